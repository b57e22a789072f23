//! A containerlab topology as an nsbgp lab file (`[topology] shape = "file"`): its router
//! nodes become routers, its links between them become `[[topology.link]]` tables, and the
//! lab runs nsbgp's own configs. Everything else the file holds (startup configs, images,
//! hosts and bridges, link parameters, management settings) is named in a warning and in the
//! file's comments: nothing is dropped silently.
//!
//! Router names: when the router nodes are one prefix followed by 0 … N-1 (as nsbgp's own
//! exports are: `router-0`, `router-1`, …) they keep their names, the prefix becoming
//! `router_prefix` ('.' mapped to '_'); otherwise they are `ROUTER_0` … in node order. The
//! mapping is written as comments either way. Router k has AS `first_asn + k`: 100 + k, or
//! what the nodes' `nsbgp-asn` labels say (exports carry them).
//!
//! Suites: a router node whose image runs BIRD (its name contains `bird`, as
//! `ghcr.io/srl-labs/bird` that nsbgp's exports use) runs the host's BIRD (`suite = "bird"`);
//! every other router node the host's FRR.

use super::yaml::{InFile, InNode, InTopology, ASN_LABEL, FAMILY_LABEL};
use super::{is_clab_node_name, ClabError};
use crate::config::model::{DEFAULT_FIRST_ASN, DEFAULT_PREFIX};
use crate::config::{Addressing, Overrides};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

/// Linux interface names (which nsbgp takes from the router at the other end) fit 15 bytes.
const IFNAME_MAX: usize = 15;
const LAB_NAME_MAX: usize = 32;

/// Kinds that never route: containerlab's bridges, the host, external containers, traffic
/// generators.
const NON_ROUTER_KINDS: &[&str] = &[
    "spirent_stc",
    "bridge",
    "ovs-bridge",
    "host",
    "ext-container",
    "k8s-kind",
    "border0",
    "mysocketio",
    "generic_vm",
    "openbsd",
    "freebsd",
    "keysight_ixia-c-one",
];
/// A `linux` node is a router when its image runs one of these routing stacks.
const ROUTING_IMAGES: &[&str] = &[
    "frr", "bird", "quagga", "gobgp", "exabgp", "openbgpd", "crpd", "vyos", "sonic", "holo",
];
/// Endpoint "nodes" containerlab understands without a node entry.
const SPECIAL_ENDPOINTS: &[&str] = &["host", "mgmt-net", "macvlan", "vxlan", "vxlan-stitch", "dummy"];

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Lab name (default: the topology's `name`).
    pub name: Option<String>,
    /// Node that originates the default route (default: the first router node).
    pub origin: Option<String>,
    /// Nodes that are routers whatever their kind or image says (`--router`).
    pub routers: Vec<String>,
    /// Nodes that are left out (`--skip`).
    pub skip: Vec<String>,
}

/// The lab file's text, what was not carried over, and node → router names.
#[derive(Debug, Clone)]
pub struct Imported {
    pub lab_name: String,
    pub toml: String,
    pub warnings: Vec<String>,
    /// (node, router) in router order.
    pub routers: Vec<(String, String)>,
    /// Router links (indices into `routers`), in the file's order.
    pub links: Vec<(usize, usize)>,
    /// LANs from bridge nodes: (LAN name, routers), in node order.
    pub lans: Vec<(String, Vec<usize>)>,
    pub origin: usize,
}

fn bad(file: &str, msg: impl std::fmt::Display) -> ClabError {
    ClabError::Input(format!("{file}: {msg}"))
}

fn is_router(kind: &str, image: Option<&str>) -> bool {
    if NON_ROUTER_KINDS.contains(&kind) {
        return false;
    }
    if kind == "linux" {
        let img = image.unwrap_or("").to_ascii_lowercase();
        return ROUTING_IMAGES.iter().any(|r| img.contains(r));
    }
    // Every other kind is a network OS (srl, ceos, crpd, vr-*, cisco_*, frr, …).
    true
}

/// Whether a router node's image runs BIRD (nsbgp runs such a router with `suite = "bird"`).
fn runs_bird(image: &str) -> bool {
    image.to_ascii_lowercase().contains("bird")
}

fn keys(m: &BTreeMap<String, serde_yaml_ng::Value>) -> String {
    m.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
}

/// A node's settings after containerlab's inheritance (types/topology.go): the kind is the
/// node's, else its group's, else the group of `defaults`, else `defaults`'; the group is the
/// node's, else `kinds.{kind}.group`, else `defaults.group`; every other field the node's,
/// else its group's, else its kind's, else `defaults`'.
#[derive(Debug, Default)]
struct Effective {
    kind: Option<String>,
    image: Option<String>,
    network_mode: Option<String>,
    node_type: Option<String>,
}

fn effective(t: &InTopology, node: Option<&InNode>) -> Effective {
    let group_def = |g: &Option<String>| -> Option<InNode> { t.groups.as_ref()?.get(g.as_ref()?).cloned().flatten() };
    let defaults = t.defaults.clone().unwrap_or_default();
    let kind_def = |k: &Option<String>| -> Option<InNode> { t.kinds.as_ref()?.get(k.as_ref()?).cloned().flatten() };
    let kind = node
        .and_then(|n| n.kind.clone())
        .or_else(|| node.and_then(|n| group_def(&n.group)).and_then(|g| g.kind))
        .or_else(|| group_def(&defaults.group).and_then(|g| g.kind))
        .or_else(|| defaults.kind.clone());
    // A node with nothing under it takes the default group (containerlab's GetNodeGroup).
    let group = match node {
        None => defaults.group.clone(),
        Some(n) => n
            .group
            .clone()
            .or_else(|| kind_def(&kind).and_then(|k| k.group))
            .or_else(|| defaults.group.clone()),
    };
    let (g, k) = (group_def(&group), kind_def(&kind));
    let field = |f: &dyn Fn(&InNode) -> Option<String>| {
        node.and_then(f)
            .or_else(|| g.as_ref().and_then(f))
            .or_else(|| k.as_ref().and_then(f))
            .or_else(|| f(&defaults))
    };
    Effective {
        image: field(&|n| n.image.clone()),
        network_mode: field(&|n| n.network_mode.clone()),
        node_type: field(&|n| n.node_type.clone()),
        kind,
    }
}

/// A parser's message cut to a line's length: YAML errors quote the offending value, which
/// may be the whole file.
fn brief(msg: &str) -> String {
    let one_line = msg.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

/// The hint for a file containerlab would render as a Go template first.
fn template_hint(text: &str) -> &'static str {
    if text.contains("{{") {
        " — this file looks like a Go template (`{{ … }}`), which containerlab renders before \
         reading it: render it first (`containerlab deploy --export-rendered FILE` writes the \
         rendered topology) and import that"
    } else {
        ""
    }
}

/// The file as containerlab reads it: without a UTF-8 byte-order mark, environment variables
/// expanded (`envsubst`), YAML merge keys (`<<: *anchor`) applied.
fn read(file: &str, text: &str) -> Result<InFile, ClabError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let expanded = super::envsubst::expand(text, &|k| std::env::var(k).ok())
        .map_err(|e| bad(file, format!("environment variables: {e}{}", template_hint(text))))?;
    let not_topology = |e: &dyn std::fmt::Display| {
        bad(
            file,
            format!(
                "not a containerlab topology ({}); a topology file is YAML with `name:` and `topology: {{nodes: …, links: …}}`{}",
                brief(&e.to_string()),
                template_hint(text)
            ),
        )
    };
    let mut value: serde_yaml_ng::Value = serde_yaml_ng::from_str(&expanded).map_err(|e| not_topology(&e))?;
    value.apply_merge().map_err(|e| not_topology(&e))?;
    serde_yaml_ng::from_value(value).map_err(|e| not_topology(&e))
}

/// What a node is to the import.
enum Role {
    Router,
    /// A LAN segment: the LAN's name (a `br|ns` bridge's part before `|`).
    Bridge(String),
    Skipped,
}

/// Reads a containerlab topology (`text`, from `file`) into an nsbgp lab file.
pub fn import(file: &str, text: &str, opts: &Options) -> Result<Imported, ClabError> {
    let parsed = read(file, text)?;
    let mut warnings = Vec::new();
    for k in parsed.other.keys() {
        warnings.push(format!("`{k}` (top level) is not carried over"));
    }
    let t = parsed.topology.ok_or_else(|| {
        bad(
            file,
            "no `topology` section: a containerlab topology has `topology: nodes: …`",
        )
    })?;
    if !t.other.is_empty() {
        warnings.push(format!("topology: {} not carried over", keys(&t.other)));
    }
    for (what, map) in [("groups", &t.groups), ("kinds", &t.kinds)] {
        for (name, n) in map.iter().flatten() {
            if let Some(n) = n {
                if n.startup_config.is_some() || !n.other.is_empty() {
                    warnings.push(format!(
                        "topology.{what}.{name}: only kind, image, group, type and network-mode are read (for telling routers from hosts)"
                    ));
                }
            }
        }
    }
    if t.defaults
        .as_ref()
        .is_some_and(|d| d.startup_config.is_some() || !d.other.is_empty())
    {
        warnings.push(
            "topology.defaults: only kind, image, group, type and network-mode are read (for telling routers from hosts)"
                .into(),
        );
    }
    for n in opts.routers.iter().chain(&opts.skip) {
        if !t.nodes.0.iter().any(|(x, _)| x == n) {
            return Err(bad(
                file,
                format!(
                    "--router/--skip {n:?} is not a node of the topology; its nodes: {}",
                    t.nodes.0.iter().map(|(x, _)| x.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    if let Some(n) = opts.routers.iter().find(|n| opts.skip.contains(n)) {
        return Err(ClabError::Input(format!(
            "node {n:?} is given to both --router and --skip: pick one"
        )));
    }

    // Nodes: what each one is; routers in file order.
    let mut roles: Vec<(String, Role)> = Vec::new();
    let mut info: BTreeMap<String, (Effective, InNode)> = BTreeMap::new();
    for (name, node) in &t.nodes.0 {
        let eff = effective(&t, node.as_ref());
        let kind = eff.kind.clone().unwrap_or_else(|| "linux".into());
        let forced = opts.routers.contains(name);
        let what = format!(
            "node {name} (kind {kind}{})",
            eff.image.as_deref().map(|i| format!(", image {i}")).unwrap_or_default()
        );
        let role = if opts.skip.contains(name) {
            warnings.push(format!("{what}: skipped (--skip)"));
            Role::Skipped
        } else if (kind == "bridge" || kind == "ovs-bridge") && !forced {
            match name.split_once('|') {
                Some((br, ns)) => {
                    warnings.push(format!(
                        "node {name}: a bridge inside {ns}'s namespace; built as LAN {br} in a namespace of its own"
                    ));
                    Role::Bridge(br.to_string())
                }
                None => Role::Bridge(name.clone()),
            }
        } else if !is_clab_node_name(name) {
            if forced {
                return Err(bad(
                    file,
                    format!(
                        "node {name:?} cannot be mapped to a router name: containerlab node names are \
                         letters, digits, '_', '.' and '-', starting with a letter or digit. Fix: rename it"
                    ),
                ));
            }
            warnings.push(format!(
                "node {name:?}: not a name containerlab gives a container (letters, digits, '_', '.', '-'): skipped"
            ));
            Role::Skipped
        } else if forced {
            Role::Router
        } else if let Some(owner) = eff.network_mode.as_deref().and_then(|m| m.strip_prefix("container:")) {
            warnings.push(format!(
                "{what}: shares the network namespace of {owner} (network-mode container:{owner}: a sidecar or line card), not a router: skipped"
            ));
            Role::Skipped
        } else if eff.node_type.as_deref().is_some_and(|t| t.trim() == "l2") {
            warnings.push(format!("{what}: an L2 switch (type l2), not a router: skipped"));
            Role::Skipped
        } else if !is_router(&kind, eff.image.as_deref()) {
            warnings.push(format!(
                "{what} is not a router: skipped{}",
                if kind == "linux" {
                    " (--router NODE makes it one)"
                } else {
                    ""
                }
            ));
            Role::Skipped
        } else {
            Role::Router
        };
        info.insert(name.clone(), (eff, node.clone().unwrap_or_default()));
        roles.push((name.clone(), role));
    }
    let role_of = |n: &str| roles.iter().find(|(x, _)| x == n).map(|(_, r)| r);

    // Links, by node name; what no lab can hold is refused, the rest reported.
    let mut raw: Vec<(String, String, String)> = Vec::new();
    // Families the router nodes' endpoints carry addresses in (`ipv4:`, `ipv6:`).
    let (mut ep_v4, mut ep_v6) = (false, false);
    for (k, l) in t.links.iter().flatten().enumerate() {
        let what = format!("link {} ({})", k + 1, describe(l));
        let Some(eps) = &l.endpoints else {
            warnings.push(format!("{what}: no two node endpoints: skipped"));
            continue;
        };
        if eps.len() != 2 {
            return Err(bad(
                file,
                format!("{what}: a link joins two endpoints, this one has {}", eps.len()),
            ));
        }
        let mut ends = Vec::new();
        for e in eps {
            let Some((node, _)) = e.parts() else {
                return Err(bad(file, format!("{what}: endpoint {e} is not \"node:interface\"")));
            };
            let extra = e.extra_keys();
            if matches!(role_of(node), Some(Role::Router)) {
                ep_v4 |= extra.iter().any(|k| k == "ipv4");
                ep_v6 |= extra.iter().any(|k| k == "ipv6");
            }
            if !extra.is_empty() {
                warnings.push(format!(
                    "{what}: endpoint {node}: {} not carried over",
                    extra.join(", ")
                ));
            }
            ends.push(node.to_string());
        }
        for n in &ends {
            let known = t.nodes.0.iter().any(|(x, _)| x == n);
            if !known && !SPECIAL_ENDPOINTS.contains(&n.as_str()) {
                return Err(bad(file, format!("{what}: node {n:?} is not in topology.nodes")));
            }
        }
        if ends[0] == ends[1] {
            warnings.push(format!("{what}: joins node {} to itself: skipped", ends[0]));
            continue;
        }
        let other: Vec<&String> = l
            .other
            .iter()
            .filter(|(k, v)| !(k.as_str() == "type" && v.as_str() == Some("veth")))
            .map(|(k, _)| k)
            .collect();
        if !other.is_empty() {
            let o: Vec<&str> = other.iter().map(|s| s.as_str()).collect();
            warnings.push(format!("{what}: {} not carried over", o.join(", ")));
        }
        raw.push((ends[0].clone(), ends[1].clone(), what));
    }

    // A router candidate nothing is linked to, in a lab whose other routers have links, is a
    // build or tooling host (`--router` keeps it).
    let carries = |n: &str| matches!(role_of(n), Some(Role::Router | Role::Bridge(_)));
    let linked = |n: &str| {
        raw.iter()
            .any(|(a, b, _)| (a == n && carries(b)) || (b == n && carries(a)))
    };
    let any_linked = roles.iter().any(|(n, r)| matches!(r, Role::Router) && linked(n));
    let mut routers: Vec<String> = Vec::new();
    for (n, r) in &roles {
        if matches!(r, Role::Router) {
            if any_linked && !linked(n) && !opts.routers.contains(n) {
                warnings.push(format!(
                    "node {n}: no link joins it to a router or a bridge: not a router (a build or tooling host?): skipped (--router {n} keeps it)"
                ));
                continue;
            }
            routers.push(n.clone());
        }
    }
    // Refusals carry everything said so far, and the ways out.
    let refuse = |msg: String, fix: &str, warnings: &[String]| {
        let mut m = format!("{file}: {msg}");
        if !warnings.is_empty() {
            m.push_str("\n  what the import skipped or does not carry over:");
            for w in warnings {
                let _ = write!(m, "\n    - {w}");
            }
        }
        let _ = write!(m, "\n  Fix: {fix}");
        ClabError::Input(m)
    };
    if routers.is_empty() {
        return Err(refuse(
            "no router nodes: nothing to build a lab of".into(),
            "name the nodes that route with --router NODE (a custom FRR or BIRD image, say), or leave a node out with --skip NODE",
            &warnings,
        ));
    }

    let mut asns: Vec<Option<u64>> = Vec::new();
    let mut families: Vec<Option<String>> = Vec::new();
    let mut images: Vec<(String, Vec<String>)> = Vec::new();
    let mut bird: Vec<bool> = Vec::new();
    for name in &routers {
        let (eff, node) = &info[name];
        bird.push(eff.image.as_deref().is_some_and(runs_bird));
        if let Some(img) = &eff.image {
            match images.iter_mut().find(|(i, _)| i == img) {
                Some((_, nodes)) => nodes.push(name.clone()),
                None => images.push((img.clone(), vec![name.clone()])),
            }
        }
        if let Some(sc) = &node.startup_config {
            warnings.push(format!(
                "node {name}: startup-config {sc} not used (nsbgp renders its own configs)"
            ));
        }
        if let Some(ty) = &node.node_type {
            warnings.push(format!("node {name}: type {ty} not carried over"));
        }
        let mut other = node.other.clone();
        // nsbgp's own label (exports carry each router's AS in it) is read; other labels not.
        if let Some(serde_yaml_ng::Value::Mapping(labels)) = other.get_mut("labels") {
            families.push(labels.remove(FAMILY_LABEL).map(|v| match v {
                serde_yaml_ng::Value::String(s) => s,
                v => serde_yaml_ng::to_string(&v).unwrap_or_default().trim().to_string(),
            }));
            let asn = labels.remove(ASN_LABEL);
            asns.push(asn.as_ref().and_then(|v| v.as_u64()));
            if asn.is_some() && asns.last() == Some(&None) {
                warnings.push(format!("node {name}: label {ASN_LABEL} is not a number: ignored"));
            }
            if labels.is_empty() {
                other.remove("labels");
            }
        } else {
            asns.push(None);
            families.push(None);
        }
        if !other.is_empty() {
            warnings.push(format!("node {name}: {} not carried over", keys(&other)));
        }
    }
    for (img, nodes) in images {
        warnings.push(format!(
            "image {img} of {} not used (nsbgp runs the host's {})",
            nodes.join(", "),
            if runs_bird(&img) { "BIRD" } else { "FRR" }
        ));
    }
    let index = |n: &str| routers.iter().position(|r| r == n);

    // Router links, and each bridge's routers (in link order).
    let mut links: Vec<(usize, usize)> = Vec::new();
    let mut bridges: Vec<(String, String, Vec<usize>)> = roles
        .iter()
        .filter_map(|(n, r)| match r {
            Role::Bridge(lan) => Some((n.clone(), lan.clone(), Vec::new())),
            _ => None,
        })
        .collect();
    for (a, b, what) in &raw {
        match (index(a), index(b)) {
            (Some(x), Some(y)) => {
                if links.iter().any(|&(p, q)| (p, q) == (x, y) || (p, q) == (y, x)) {
                    warnings.push(format!(
                        "{what}: a second link between {a} and {b}: skipped (nsbgp runs one session per pair)"
                    ));
                } else {
                    links.push((x, y));
                }
            }
            (Some(r), None) | (None, Some(r)) => {
                let other = if index(a).is_some() { b } else { a };
                match bridges.iter_mut().find(|(n, _, _)| n == other) {
                    Some((_, _, m)) if m.contains(&r) => warnings.push(format!(
                        "{what}: a second link from {} to bridge {other}: skipped",
                        routers[r]
                    )),
                    Some((_, _, m)) => m.push(r),
                    None => warnings.push(format!("{what}: {other} is not a router: skipped")),
                }
            }
            (None, None) => warnings.push(format!("{what}: neither end is a router: skipped")),
        }
    }
    let mut lans: Vec<(String, Vec<usize>)> = Vec::new();
    for (node, lan, members) in bridges {
        if members.len() < 2 {
            warnings.push(format!(
                "bridge {node} joins {} router{}: no LAN (a LAN joins 2 or more)",
                members.len(),
                if members.len() == 1 { "" } else { "s" }
            ));
            continue;
        }
        let pair_on = |x: usize, y: usize, l: &[(String, Vec<usize>)]| {
            l.iter()
                .find(|(_, m)| m.contains(&x) && m.contains(&y))
                .map(|(n, _)| n.clone())
        };
        let mut clash = None;
        for (i, &x) in members.iter().enumerate() {
            for &y in &members[i + 1..] {
                if clash.is_none() {
                    clash = pair_on(x, y, &lans).map(|n| (x, y, n));
                }
            }
        }
        if let Some((x, y, earlier)) = clash {
            warnings.push(format!(
                "bridge {node}: {} and {} already meet on bridge {earlier}: skipped (nsbgp runs one session per pair)",
                routers[x], routers[y]
            ));
            continue;
        }
        // The LAN carries the session of a pair that also has a link of its own.
        links.retain(|&(p, q)| {
            let both = members.contains(&p) && members.contains(&q);
            if both {
                warnings.push(format!(
                    "the link between {} and {}: skipped, they meet on bridge {node} (nsbgp runs one session per pair)",
                    routers[p], routers[q]
                ));
            }
            !both
        });
        lans.push((lan, members));
    }
    if !links.is_empty() || !lans.is_empty() || t.links.as_ref().is_some_and(|l| !l.is_empty()) {
        warnings.push("interface names (eth1 …) are not carried over: nsbgp names each interface after the router at the other end (a LAN's after the LAN)".into());
    }

    let unreached = unreachable(routers.len(), &links, &lans);
    if !unreached.is_empty() {
        let names: Vec<&str> = unreached.iter().map(|&i| routers[i].as_str()).collect();
        return Err(refuse(
            format!(
                "the routers are not connected: {} cannot be reached from {} (nsbgp labs are one connected graph)",
                names.join(", "),
                routers[0]
            ),
            "add links; or leave nodes that are not routers out with --skip NODE, or make one a router with --router NODE",
            &warnings,
        ));
    }

    let origin = match &opts.origin {
        None => 0,
        Some(o) => index(o).ok_or_else(|| {
            ClabError::Input(format!(
                "--origin {o:?} is not a router node of {file}; router nodes: {}",
                routers.join(", ")
            ))
        })?,
    };

    let lab_name = lab_name(file, opts.name.as_deref(), parsed.name.as_deref())?;
    let (prefix, order) = router_names(&routers);
    let names: Vec<String> = order.iter().map(|k| format!("{prefix}{k}")).collect();
    let first_asn = first_asn(&asns, &order, &mut warnings);
    let family = family(&families, ep_v4, ep_v6, !lans.is_empty(), &mut warnings);
    let lan_names = lan_names(&lans, &prefix, &names, &mut warnings);

    // The lab file. Routers are listed in index order; links keep the file's order.
    let mut by_index: Vec<usize> = (0..routers.len()).collect();
    by_index.sort_by_key(|&i| order[i]);
    let mut s = format!("# nsbgp lab imported by `nsbgp import` from {file}");
    if let Some(n) = &parsed.name {
        let _ = write!(s, " (containerlab topology {:?})", n.replace(['\n', '\r'], " "));
    }
    s.push_str(".\n# containerlab node -> nsbgp router (AS):\n");
    for &i in &by_index {
        let _ = writeln!(
            s,
            "#   {} -> {} (AS {})",
            routers[i],
            names[i],
            first_asn + order[i] as u64
        );
    }
    if !warnings.is_empty() {
        s.push_str("# Not carried over:\n");
        for w in &warnings {
            let _ = writeln!(s, "#   - {}", w.replace(['\n', '\r'], " "));
        }
    }
    let _ = writeln!(s, "name = {}", toml_str(&lab_name));
    let _ = writeln!(s, "routers = {}", routers.len());
    if prefix != DEFAULT_PREFIX {
        let _ = writeln!(s, "router_prefix = {}", toml_str(&prefix));
    }
    if first_asn != DEFAULT_FIRST_ASN as u64 {
        let _ = writeln!(s, "first_asn = {first_asn}");
        let _ = writeln!(s, "last_asn = {}", first_asn + routers.len() as u64 - 1);
    }
    let all_bird = bird.iter().all(|&b| b);
    if all_bird {
        s.push_str("\n[daemons]\nsuite = \"bird\"\n");
    }
    if family != Addressing::Ipv4 {
        let _ = write!(s, "\n[addressing]\nfamily = {}\n", toml_str(family.name()));
    }
    let _ = write!(
        s,
        "\n[topology]\nshape = \"file\"\norigin = {}\n",
        toml_str(&names[origin])
    );
    for &(a, b) in &links {
        let _ = write!(
            s,
            "\n[[topology.link]]\na = {}  # {}\nb = {}  # {}\n",
            toml_str(&names[a]),
            routers[a],
            toml_str(&names[b]),
            routers[b]
        );
    }
    for (j, (_, members)) in lans.iter().enumerate() {
        let list: Vec<String> = members.iter().map(|&m| toml_str(&names[m])).collect();
        let nodes: Vec<&str> = members.iter().map(|&m| routers[m].as_str()).collect();
        let _ = write!(
            s,
            "\n[[topology.lan]]  # bridge {}: {}\nname = {}\nrouters = [{}]\n",
            lans[j].0,
            nodes.join(", "),
            toml_str(&lan_names[j]),
            list.join(", ")
        );
    }
    if !all_bird {
        for &i in by_index.iter().filter(|&&i| bird[i]) {
            let _ = write!(
                s,
                "\n[[router]]\nname = {}  # {}\nsuite = \"bird\"\n",
                toml_str(&names[i]),
                routers[i]
            );
        }
    }
    // The file must be a lab nsbgp can run: everything validation checks (AS range, names,
    // interface name lengths, the address pool) is checked now, before anything is written.
    let checked = crate::config::parse(file, &s).and_then(|f| crate::config::validate(file, f, &Overrides::default()));
    if let Err(e) = checked {
        return Err(ClabError::Input(format!("the lab made from {file} would not run: {e}")));
    }
    Ok(Imported {
        lab_name,
        toml: s,
        warnings,
        routers: routers.into_iter().zip(names).collect(),
        links,
        lans: lans.into_iter().zip(lan_names).map(|((_, m), n)| (n, m)).collect(),
        origin,
    })
}

/// Each LAN's name in the lab: the bridge's, with characters an interface name cannot have
/// mapped to '_', when it starts with a letter, fits (with `router_prefix`, 15 characters)
/// and is no router's and no earlier LAN's; else `lan1`, `lan2`, … in LAN order.
fn lan_names(
    lans: &[(String, Vec<usize>)],
    prefix: &str,
    routers: &[String],
    warnings: &mut Vec<String>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (j, (bridge, _)) in lans.iter().enumerate() {
        let mapped: String = bridge
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
            .collect();
        let fits = mapped.starts_with(|c: char| c.is_ascii_alphabetic())
            && prefix.len() + mapped.len() <= IFNAME_MAX
            && !routers.contains(&mapped)
            && !out.contains(&mapped);
        let mut name = if fits { mapped } else { format!("lan{}", j + 1) };
        // Bounded: one of the first LANs + routers + 1 numbers is free.
        let mut k = j + 1;
        while out.contains(&name) || routers.contains(&name) {
            k += 1;
            name = format!("lan{k}");
        }
        if &name != bridge {
            warnings.push(format!("bridge {bridge} is LAN {name} (LAN names are interface names)"));
        }
        out.push(name);
    }
    out
}

/// The lab's `[addressing] family`: what the routers' `nsbgp-family` labels say when every
/// router has the same valid one (an nsbgp export), else what the router endpoints carry
/// addresses in (`ipv6:` and `ipv4:` → "dual", `ipv6:` alone → "ipv6"; nsbgp gives the
/// links addresses from its own plan), else IPv4. LANs run in IPv4 and dual labs only, so an
/// IPv6-only lab with LANs is IPv4, with a warning.
fn family(labels: &[Option<String>], ep_v4: bool, ep_v6: bool, lans: bool, warnings: &mut Vec<String>) -> Addressing {
    let given: BTreeSet<&Option<String>> = labels.iter().collect();
    let from_labels = match given.into_iter().collect::<Vec<_>>()[..] {
        [None] => None,
        [Some(f)] => match Addressing::parse(f) {
            Some(a) => Some(a),
            None => {
                warnings.push(format!(
                    "labels {FAMILY_LABEL} say {f:?}, not \"ipv4\", \"dual\" or \"ipv6\": ignored"
                ));
                None
            }
        },
        _ => {
            warnings.push(format!(
                "labels {FAMILY_LABEL} are not on every router or differ: ignored"
            ));
            None
        }
    };
    let from_endpoints = match (ep_v4, ep_v6) {
        (true, true) => Some(Addressing::Dual),
        (false, true) => Some(Addressing::Ipv6),
        _ => None,
    };
    let Some(f) = from_labels.or(from_endpoints) else {
        return Addressing::Ipv4;
    };
    if f == Addressing::Ipv6 && lans {
        warnings.push(format!(
            "the routers' {} would make an {} lab, but LANs (bridges) need IPv4 in nsbgp: the lab is IPv4",
            if from_labels.is_some() {
                format!("{FAMILY_LABEL} labels")
            } else {
                "endpoint IPv6 addresses".to_string()
            },
            f.name()
        ));
        return Addressing::Ipv4;
    }
    if from_labels.is_none() {
        warnings.push(format!(
            "endpoint addresses in {}: the lab runs family = {:?} with nsbgp's own address plan",
            if f == Addressing::Dual {
                "IPv4 and IPv6"
            } else {
                "IPv6 only"
            },
            f.name()
        ));
    }
    f
}

/// The AS of router 0: from the routers' `nsbgp-asn` labels when every router has one and
/// they are `base + index` (an nsbgp export), else the default 100.
fn first_asn(asns: &[Option<u64>], order: &[usize], warnings: &mut Vec<String>) -> u64 {
    let default = DEFAULT_FIRST_ASN as u64;
    if asns.iter().all(Option::is_none) {
        return default;
    }
    let bases: BTreeSet<Option<u64>> = asns
        .iter()
        .zip(order)
        .map(|(a, &k)| a.and_then(|a| a.checked_sub(k as u64)))
        .collect();
    let top = |base: u64| base + asns.len() as u64 - 1;
    match bases.into_iter().collect::<Vec<_>>()[..] {
        [Some(base)] if base > 0 && top(base) < 4294967295 && !(base..=top(base)).any(crate::config::reserved_asn) => {
            base
        }
        [Some(base)] => {
            warnings.push(format!(
                "labels {ASN_LABEL} give AS {base}…{}, not a usable range (AS numbers are 1–4294967294, without 23456, 64496–64511 and 65535–65551): AS {default} + router number used",
                top(base)
            ));
            default
        }
        _ => {
            warnings.push(format!(
                "labels {ASN_LABEL} are not on every router or not one AS per router in order: AS {default} + router number used"
            ));
            default
        }
    }
}

/// "a:eth1 — b:eth2" for messages.
fn describe(l: &super::yaml::InLink) -> String {
    match &l.endpoints {
        Some(eps) => eps
            .iter()
            .map(|e| match e.parts() {
                Some((n, i)) if !i.is_empty() => format!("{n}:{i}"),
                Some((n, _)) => n.to_string(),
                None => format!("{e:?}"),
            })
            .collect::<Vec<_>>()
            .join(" — "),
        None => match l.other.get("type").and_then(|v| v.as_str()) {
            Some(t) => format!("type {t}"),
            None => "no endpoints".into(),
        },
    }
}

/// Routers not reachable from router 0 (over links and LANs).
fn unreachable(n: usize, links: &[(usize, usize)], lans: &[(String, Vec<usize>)]) -> Vec<usize> {
    let mut seen = vec![false; n];
    let mut q = VecDeque::from([0]);
    seen[0] = true;
    while let Some(x) = q.pop_front() {
        for &(a, b) in links {
            for (from, to) in [(a, b), (b, a)] {
                if from == x && !seen[to] {
                    seen[to] = true;
                    q.push_back(to);
                }
            }
        }
        for (_, m) in lans.iter().filter(|(_, m)| m.contains(&x)) {
            for &to in m {
                if !seen[to] {
                    seen[to] = true;
                    q.push_back(to);
                }
            }
        }
    }
    (0..n).filter(|&i| !seen[i]).collect()
}

/// The router prefix and each node's router index: the nodes' own names when they are one
/// prefix followed by 0 … N-1 and fit nsbgp's naming rules, else `ROUTER_` in node order.
fn router_names(nodes: &[String]) -> (String, Vec<usize>) {
    let fallback = || (DEFAULT_PREFIX.to_string(), (0..nodes.len()).collect());
    let split = |n: &str| {
        let digits = n.len() - n.bytes().rev().take_while(u8::is_ascii_digit).count();
        let (p, k) = n.split_at(digits);
        // "07" is not router 7: only canonical numbers keep the names.
        let k: Option<usize> = (!k.is_empty() && (k == "0" || !k.starts_with('0')))
            .then(|| k.parse().ok())
            .flatten();
        (p.to_string(), k)
    };
    let (p0, _) = split(&nodes[0]);
    let mut order = Vec::new();
    for n in nodes {
        match split(n) {
            (p, Some(k)) if p == p0 && k < nodes.len() => order.push(k),
            _ => return fallback(),
        }
    }
    let distinct: BTreeSet<_> = order.iter().collect();
    let prefix = p0.replace('.', "_");
    let widest = (nodes.len() - 1).to_string().len();
    if distinct.len() != nodes.len() || prefix.is_empty() || prefix.len() + widest > IFNAME_MAX {
        return fallback();
    }
    (prefix, order)
}

/// The lab name: `--name`, else the topology's name with characters nsbgp does not allow
/// mapped to '_'.
fn lab_name(file: &str, given: Option<&str>, topo: Option<&str>) -> Result<String, ClabError> {
    let ok = |s: &str| {
        !s.is_empty() && s.len() <= LAB_NAME_MAX && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if let Some(n) = given {
        return if ok(n) {
            Ok(n.to_string())
        } else {
            Err(ClabError::Input(format!(
                "--name {n:?}: a lab name is letters, digits, '_' and '-', at most {LAB_NAME_MAX}"
            )))
        };
    }
    let t = topo.ok_or_else(|| bad(file, "the topology has no `name`. Fix: give one with --name"))?;
    let mapped: String = t
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    if ok(&mapped) {
        Ok(mapped)
    } else {
        Err(bad(
            file,
            format!("topology name {t:?} does not make a lab name (letters, digits, '_', '-', at most {LAB_NAME_MAX}). Fix: give one with --name"),
        ))
    }
}

/// A TOML basic string. Names reaching here are already restricted to safe characters;
/// escaping anyway keeps the file valid whatever they hold.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Writes the lab file; never replaces an existing file.
pub fn write(path: &std::path::Path, text: &str) -> Result<(), ClabError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => ClabError::Input(format!(
                "{} already exists; import never overwrites. Fix: choose another -o file",
                path.display()
            )),
            std::io::ErrorKind::NotFound => {
                ClabError::Input(format!("{}: its directory does not exist", path.display()))
            }
            _ => ClabError::write(path, e),
        })?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| ClabError::write(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Suite;

    const DIAMOND: &str = r#"
name: diamond
topology:
  nodes:
    r1: {kind: linux, image: "quay.io/frrouting/frr:8.4.2", startup-config: r1.conf}
    r2: {kind: linux, image: "quay.io/frrouting/frr:8.4.2"}
    r3: {kind: linux, image: "quay.io/frrouting/frr:8.4.2"}
    r4: {kind: linux, image: "quay.io/frrouting/frr:8.4.2", binds: ["x:/y"]}
    pc1: {kind: linux, image: "wbitt/network-multitool:alpine-minimal"}
  links:
    - endpoints: ["r1:eth1", "r2:eth1"]
    - endpoints: ["r1:eth2", "r3:eth1"]
    - endpoints: ["r2:eth2", "r4:eth1"]
    - endpoints: ["r3:eth2", "r4:eth2"]
      mtu: 9000
    - endpoints: ["r4:eth3", "pc1:eth1"]
"#;

    fn err(text: &str) -> String {
        match import("t.clab.yml", text, &Options::default()) {
            Err(ClabError::Input(m)) => m,
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    /// Router nodes with a BIRD image run BIRD: `[[router]] suite = "bird"` for them, or
    /// `[daemons] suite = "bird"` when every router does.
    #[test]
    fn bird_images_run_bird() {
        let mixed = "name: m\ntopology:\n  nodes:\n    a: {kind: linux, image: quay.io/frrouting/frr:8.4.2}\n    \
                     b: {kind: linux, image: ghcr.io/srl-labs/bird:2.13}\n    c: {kind: linux, image: quay.io/frrouting/frr:8.4.2}\n  \
                     links:\n    - endpoints: [a:eth1, b:eth1]\n    - endpoints: [b:eth2, c:eth1]\n";
        let i = import("m.clab.yml", mixed, &Options::default()).unwrap();
        let w = i.warnings.join("\n");
        assert!(
            w.contains("image ghcr.io/srl-labs/bird:2.13 of b not used (nsbgp runs the host's BIRD)")
                && w.contains("image quay.io/frrouting/frr:8.4.2 of a, c not used (nsbgp runs the host's FRR)"),
            "{w}"
        );
        let lab =
            crate::config::validate("m", crate::config::parse("m", &i.toml).unwrap(), &Overrides::default()).unwrap();
        let suites: Vec<Suite> = lab.routers.iter().map(|r| r.suite).collect();
        assert_eq!(suites, [Suite::Frr, Suite::Bird, Suite::Frr], "{}", i.toml);
        assert!(
            i.toml
                .contains("[[router]]\nname = \"ROUTER_1\"  # b\nsuite = \"bird\"\n"),
            "{}",
            i.toml
        );

        let all = mixed.replace("quay.io/frrouting/frr:8.4.2", "ghcr.io/srl-labs/bird:2.13");
        let i = import("m.clab.yml", &all, &Options::default()).unwrap();
        assert!(
            i.toml.contains("\n[daemons]\nsuite = \"bird\"\n") && !i.toml.contains("[[router]]"),
            "{}",
            i.toml
        );
        let lab =
            crate::config::validate("m", crate::config::parse("m", &i.toml).unwrap(), &Overrides::default()).unwrap();
        assert!(lab.routers.iter().all(|r| r.suite == Suite::Bird));
    }

    #[test]
    fn diamond_with_a_host() {
        let i = import("d.clab.yml", DIAMOND, &Options::default()).unwrap();
        assert_eq!(i.lab_name, "diamond");
        let names: Vec<&str> = i.routers.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(names, ["ROUTER_0", "ROUTER_1", "ROUTER_2", "ROUTER_3"]);
        assert_eq!(i.links, [(0, 1), (0, 2), (1, 3), (2, 3)]);
        let w = i.warnings.join("\n");
        for expect in [
            "node pc1 (kind linux, image wbitt/network-multitool:alpine-minimal) is not a router: skipped",
            "node r1: startup-config r1.conf not used",
            "image quay.io/frrouting/frr:8.4.2 of r1, r2, r3, r4 not used",
            "node r4: binds not carried over",
            "link 4 (r3:eth2 — r4:eth2): mtu not carried over",
            "link 5 (r4:eth3 — pc1:eth1): pc1 is not a router: skipped",
        ] {
            assert!(w.contains(expect), "missing {expect:?} in\n{w}");
        }
        let v: toml::Value = toml::from_str(&i.toml).unwrap();
        assert_eq!(v["routers"].as_integer(), Some(4));
        assert_eq!(v["topology"]["shape"].as_str(), Some("file"));
        assert_eq!(v["topology"]["origin"].as_str(), Some("ROUTER_0"));
        assert_eq!(v["topology"]["link"].as_array().unwrap().len(), 4);
        assert!(i.toml.contains("#   r4 -> ROUTER_3 (AS 103)"), "{}", i.toml);
        assert!(i.toml.contains("#   - node pc1"), "{}", i.toml);
    }

    #[test]
    fn origin_and_name_options() {
        let o = Options {
            name: Some("d2".into()),
            origin: Some("r4".into()),
            ..Options::default()
        };
        let i = import("d.clab.yml", DIAMOND, &o).unwrap();
        assert_eq!(i.origin, 3);
        assert!(i.toml.contains("origin = \"ROUTER_3\""));
        assert!(i.toml.contains("name = \"d2\""));
        let o = Options {
            origin: Some("pc1".into()),
            ..Default::default()
        };
        assert!(
            matches!(import("d.clab.yml", DIAMOND, &o), Err(ClabError::Input(m)) if m.contains("router nodes: r1, r2, r3, r4"))
        );
    }

    #[test]
    fn numbered_node_names_are_kept() {
        let t = "name: x\ntopology:\n  nodes:\n    router-1: {kind: srl}\n    router-0: {kind: srl}\n  links:\n    - endpoints: [\"router-0:e1-1\", \"router-1:e1-1\"]\n";
        let i = import("x", t, &Options::default()).unwrap();
        assert_eq!(
            i.routers,
            [
                ("router-1".to_string(), "router-1".to_string()),
                ("router-0".into(), "router-0".into())
            ]
        );
        assert!(i.toml.contains("router_prefix = \"router-\""));
        // The first node is the origin, whatever its number.
        assert!(i.toml.contains("origin = \"router-1\""));
        // Mixed prefixes, gaps and leading zeros fall back to ROUTER_k in node order.
        for nodes in [
            "a0: {kind: srl}\n    b1: {kind: srl}",
            "r0: {kind: srl}\n    r2: {kind: srl}",
            "r00: {kind: srl}\n    r1: {kind: srl}",
        ] {
            let (n0, n1) = {
                let v: Vec<&str> = nodes.split('\n').map(|l| l.trim().split(':').next().unwrap()).collect();
                (v[0].to_string(), v[1].to_string())
            };
            let t = format!(
                "name: x\ntopology:\n  nodes:\n    {nodes}\n  links:\n    - endpoints: [\"{n0}:e1\", \"{n1}:e1\"]\n"
            );
            let i = import("x", &t, &Options::default()).unwrap();
            assert_eq!(i.routers[1].1, "ROUTER_1", "{nodes}");
        }
    }

    #[test]
    fn bad_inputs_say_what_is_wrong() {
        assert!(err("name: [unclosed\n").contains("not a containerlab topology"));
        // Not YAML of the right shape: the message is short, whatever the file holds.
        let long = format!("{}\n", "root:x:0:0:root:/root:/bin/bash ".repeat(100));
        let e = err(&long);
        assert!(e.contains("not a containerlab topology") && e.len() < 400, "{e}");
        assert!(err("name: x\n").contains("no `topology` section"));
        let base =
            "name: x\ntopology:\n  nodes:\n    a: {kind: srl}\n    b: {kind: srl}\n    c: {kind: srl}\n  links:\n";
        assert!(err(&format!("{base}    - endpoints: [\"a:e1\", \"zz:e1\"]\n"))
            .contains("node \"zz\" is not in topology.nodes"));
        // A self-loop is skipped with a warning; c, linked to nothing, is no router.
        let i = import(
            "t.clab.yml",
            &format!("{base}    - endpoints: [\"a:e1\", \"a:e2\"]\n    - endpoints: [\"b:e1\", \"a:e3\"]\n"),
            &Options::default(),
        )
        .unwrap();
        let w = i.warnings.join("\n");
        assert!(
            w.contains("link 1 (a:e1 — a:e2): joins node a to itself: skipped"),
            "{w}"
        );
        assert!(w.contains("node c: no link joins it to a router or a bridge"), "{w}");
        assert_eq!(i.links, [(1, 0)]);
        let e = err(&format!(
            "{}    d: {{kind: srl}}\n  links:\n    - endpoints: [\"a:e1\", \"b:e1\"]\n    - endpoints: [\"c:e1\", \"d:e1\"]\n",
            base.trim_end_matches("  links:\n")
        ));
        assert!(
            e.contains("c, d cannot be reached from a") && e.contains("--skip NODE"),
            "{e}"
        );
        assert!(err(&format!("{base}    - endpoints: [\"a-e1\", \"b:e1\"]\n")).contains("is not \"node:interface\""));
        let odd = "name: x\ntopology:\n  nodes:\n    \"r 1\": {kind: srl}\n";
        let e = err(odd);
        assert!(
            e.contains("no router nodes") && e.contains("node \"r 1\": not a name containerlab gives a container"),
            "{e}"
        );
        let o = Options {
            routers: vec!["r 1".into()],
            ..Options::default()
        };
        assert!(
            matches!(import("x", odd, &o), Err(ClabError::Input(m)) if m.contains("node \"r 1\" cannot be mapped to a router name"))
        );
        assert!(
            err("name: x\ntopology:\n  nodes:\n    pc: {kind: linux, image: alpine}\n").contains("no router nodes")
        );
        assert!(err("topology:\n  nodes:\n    a: {kind: srl}\n").contains("--name"));
    }

    #[test]
    fn host_endpoints_and_parallel_links_are_reported() {
        let t = "name: x\ntopology:\n  nodes:\n    a: {kind: srl}\n    b: {kind: srl}\n  links:\n    - endpoints: [\"a:e1\", \"b:e1\"]\n    - endpoints: [\"a:e2\", \"b:e2\"]\n    - endpoints: [\"a:e3\", \"host:veth-a\"]\n    - type: mgmt-net\n      endpoint: {node: a, interface: e4}\n";
        let i = import("x", t, &Options::default()).unwrap();
        assert_eq!(i.links, [(0, 1)]);
        let w = i.warnings.join("\n");
        assert!(
            w.contains("link 2 (a:e2 — b:e2): a second link between a and b: skipped"),
            "{w}"
        );
        assert!(
            w.contains("link 3 (a:e3 — host:veth-a): host is not a router: skipped"),
            "{w}"
        );
        assert!(
            w.contains("link 4 (type mgmt-net): no two node endpoints: skipped"),
            "{w}"
        );
    }

    #[test]
    fn the_family_comes_from_labels_else_from_endpoint_addresses() {
        let lab = |text: &str| {
            let i = import("x", text, &Options::default()).unwrap();
            let f = crate::config::parse("x", &i.toml).unwrap();
            let l = crate::config::validate("x", f, &crate::config::Overrides::default()).unwrap();
            (l.family, i.warnings)
        };
        let labelled = |a: &str, b: &str| {
            format!(
                "name: x\ntopology:\n  nodes:\n    r0: {{kind: srl, labels: {{nsbgp-family: {a}}}}}\n    r1: {{kind: srl, labels: {{nsbgp-family: {b}}}}}\n  links:\n    - endpoints: [\"r0:e1\", \"r1:e1\"]\n"
            )
        };
        assert_eq!(lab(&labelled("dual", "dual")).0, Addressing::Dual);
        let (f, w) = lab(&labelled("ipv6", "ipv6"));
        assert_eq!(f, Addressing::Ipv6);
        assert!(w.iter().all(|w| !w.contains("label")), "{w:?}");
        // Disagreeing or unknown labels: IPv4, said so.
        let (f, w) = lab(&labelled("dual", "ipv6"));
        assert_eq!(f, Addressing::Ipv4);
        assert!(
            w.iter()
                .any(|w| w.contains("labels nsbgp-family are not on every router or differ")),
            "{w:?}"
        );
        let (f, w) = lab(&labelled("ipx", "ipx"));
        assert_eq!(f, Addressing::Ipv4);
        assert!(w.iter().any(|w| w.contains("say \"ipx\"")), "{w:?}");
        // Without labels: the endpoints' addresses (nsbgp's own plan is used, said so).
        let ends = |r0: &str, r1: &str| {
            format!(
                "name: x\ntopology:\n  nodes:\n    r0: {{kind: srl}}\n    r1: {{kind: srl}}\n  links:\n    - endpoints:\n        - {{node: r0, interface: e1, {r0}}}\n        - {{node: r1, interface: e1, {r1}}}\n"
            )
        };
        let (f, w) = lab(&ends("ipv6: \"2001:db8:1::1/64\"", "ipv6: \"2001:db8:1::2/64\""));
        assert_eq!(f, Addressing::Ipv6);
        assert!(
            w.iter()
                .any(|w| w.contains("IPv6 only: the lab runs family = \"ipv6\"")),
            "{w:?}"
        );
        let (f, _) = lab(&ends(
            "ipv6: \"2001:db8:1::1/64\", ipv4: 10.0.0.1/30",
            "ipv4: 10.0.0.2/30",
        ));
        assert_eq!(f, Addressing::Dual);
        assert_eq!(lab(&ends("ipv4: 10.0.0.1/30", "ipv4: 10.0.0.2/30")).0, Addressing::Ipv4);
        // LANs run in dual labs; an IPv6-labelled lab with a bridge is IPv4, said so.
        let lan = "name: x\ntopology:\n  nodes:\n    r0: {kind: srl, labels: {nsbgp-family: dual}}\n    r1: {kind: srl, labels: {nsbgp-family: dual}}\n    br1: {kind: bridge}\n  links:\n    - endpoints: [\"r0:e1\", \"br1:p1\"]\n    - endpoints: [\"r1:e1\", \"br1:p2\"]\n";
        assert_eq!(lab(lan).0, Addressing::Dual);
        let (f, w) = lab(&lan.replace("dual", "ipv6"));
        assert_eq!(f, Addressing::Ipv4);
        assert!(w.iter().any(|w| w.contains("LANs (bridges) need IPv4")), "{w:?}");
    }

    #[test]
    fn asn_labels_give_back_the_as_numbers() {
        let t = |a: &str, b: &str| {
            format!(
                "name: x\ntopology:\n  nodes:\n    r0: {{kind: srl, labels: {{nsbgp-asn: {a}}}}}\n    r1: {{kind: srl, labels: {{nsbgp-asn: {b}, team: blue}}}}\n  links:\n    - endpoints: [\"r0:e1\", \"r1:e1\"]\n"
            )
        };
        let i = import("x", &t("65001", "65002"), &Options::default()).unwrap();
        assert!(i.toml.contains("first_asn = 65001\nlast_asn = 65002\n"), "{}", i.toml);
        assert!(
            i.warnings.iter().any(|w| w == "node r1: labels not carried over"),
            "{:?}",
            i.warnings
        );
        // Not one AS per router in order: the default numbering, said so.
        let i = import("x", &t("65001", "65007"), &Options::default()).unwrap();
        assert!(!i.toml.contains("first_asn"));
        assert!(
            i.warnings.iter().any(|w| w.contains("labels nsbgp-asn are not")),
            "{:?}",
            i.warnings
        );
        // Labels a lab cannot use (documentation AS numbers): the default numbering, said so
        // without contradicting itself.
        let i = import("x", &t("64500", "64501"), &Options::default()).unwrap();
        assert!(!i.toml.contains("first_asn"));
        assert!(
            i.warnings.iter().any(|w| w.contains(
                "labels nsbgp-asn give AS 64500…64501, not a usable range (AS numbers are 1–4294967294, without 23456, 64496–64511 and 65535–65551)"
            )),
            "{:?}",
            i.warnings
        );
    }

    #[test]
    fn dots_in_numbered_names_are_mapped() {
        let t = "name: x\ntopology:\n  nodes:\n    leaf.0: {kind: srl}\n    leaf.1: {kind: srl}\n  links:\n    - endpoints: [\"leaf.0:e1\", \"leaf.1:e1\"]\n";
        let i = import("x", t, &Options::default()).unwrap();
        assert_eq!(i.routers[1], ("leaf.1".to_string(), "leaf_1".to_string()));
        assert!(i.toml.contains("#   leaf.1 -> leaf_1 (AS 101)"), "{}", i.toml);
    }

    proptest::proptest! {
        /// Whatever the nodes and links, import answers Ok (with a lab file that validates,
        /// which `import` checks itself) or an input error: never a panic.
        #[test]
        fn any_topology_is_imported_or_refused(
            names in proptest::collection::vec("[a-zA-Z0-9 :/._-]{0,6}", 1..6),
            links in proptest::collection::vec((0usize..8, 0usize..8), 0..10),
        ) {
            let mut t = String::from("name: p\ntopology:\n  nodes:\n");
            for n in &names {
                t.push_str(&format!("    {:?}: {{kind: srl}}\n", n));
            }
            t.push_str("  links:\n");
            for (a, b) in &links {
                let end = |i: usize| names.get(i).cloned().unwrap_or_else(|| format!("ghost{i}"));
                t.push_str(&format!("    - endpoints: [{:?}, {:?}]\n", format!("{}:e1", end(*a)), format!("{}:e2", end(*b))));
            }
            match import("p.clab.yml", &t, &Options::default()) {
                Ok(i) => proptest::prop_assert!(i.toml.contains("shape = \"file\"")),
                Err(ClabError::Input(_)) => {}
                Err(e) => proptest::prop_assert!(false, "{e}"),
            }
        }
    }
}
