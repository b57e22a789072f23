//! Turns a parsed [`LabFile`] into a resolved [`Lab`], or says exactly which key is wrong.
//! Every value that later reaches a template, a path or a command line is checked here.

use super::family::{self, Addressing, Family};
use super::graph::{self, Graph, GraphProblem, Shape, Topology};
use super::model::{self, LabFile, RouterOverride, RouterRef};
use super::plan::{self, LinkPlan};
use super::{ConfigError, Daemon, IfAddr, Interface, Lab, Router, Stub, Suite, Timers, IFINDEX_FIRST};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use super::name::{LabName, LAB_NAME_RULE};
use super::MAX_ROUTERS;

/// Command-line values that replace the file's.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub routers: Option<i64>,
    pub name: Option<LabName>,
}

/// Linux interface names are at most 15 bytes (IFNAMSIZ - 1); routers name their interfaces.
const IFNAME_MAX: usize = 15;

/// AS numbers a lab must not use: 0, AS_TRANS, documentation and last ones (RFC 7607,
/// 6793, 5398, 7300).
pub(crate) fn reserved_asn(asn: u64) -> bool {
    matches!(asn, 0 | 23456 | 64496..=64511 | 65535 | 65536..=65551 | 4294967295)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

struct Ctx<'a> {
    file: &'a str,
}

fn file_of<'a>(c: &Ctx<'a>) -> &'a str {
    c.file
}

impl Ctx<'_> {
    fn err(&self, key: &str, problem: impl Into<String>, fix: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            file: self.file.to_string(),
            key: key.to_string(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// An "auto" / "on" / "off" setting; "auto" is on from `auto_min` routers.
    fn auto_on_off(&self, key: &str, value: &str, routers: usize, auto_min: usize) -> Result<bool, ConfigError> {
        match value {
            "auto" => Ok(routers >= auto_min),
            "on" => Ok(true),
            "off" => Ok(false),
            other => Err(self.err(
                key,
                format!("{other:?} is not a setting"),
                format!("use \"auto\" (on from {auto_min} routers), \"on\" or \"off\""),
            )),
        }
    }

    fn net(&self, key: &str, value: &str) -> Result<Ipv4Net, ConfigError> {
        let net: Ipv4Net = value.parse().map_err(|_| {
            self.err(
                key,
                format!("{value:?} is not an IPv4 prefix"),
                "write it as address/length, e.g. \"172.31.0.0/16\"",
            )
        })?;
        if net.trunc() != net {
            return Err(self.err(
                key,
                format!("{value} has host bits set"),
                format!("use the network address: \"{}\"", net.trunc()),
            ));
        }
        let a = net.network();
        if a.is_loopback() || a.is_multicast() || a.is_unspecified() || a.is_broadcast() || a.octets()[0] >= 240 {
            return Err(self.err(
                key,
                format!("{value} is a loopback, multicast, reserved or unspecified range"),
                "use a private range (e.g. 172.31.0.0/16) or a documentation range (e.g. 198.51.100.0/24)",
            ));
        }
        Ok(net)
    }

    /// An IPv6 prefix of the lab (`[addressing]`): documentation (2001:db8::/32) or ULA
    /// (fc00::/7) space only, so a lab never announces a prefix someone else routes.
    fn net6(&self, key: &str, value: &str) -> Result<Ipv6Net, ConfigError> {
        let net: Ipv6Net = value.parse().map_err(|_| {
            self.err(
                key,
                format!("{value:?} is not an IPv6 prefix"),
                "write it as address/length, e.g. \"2001:db8:31::/48\"",
            )
        })?;
        if net.trunc() != net {
            return Err(self.err(
                key,
                format!("{value} has host bits set"),
                format!("use the network address: \"{}\"", net.trunc()),
            ));
        }
        if !Family::is_lab_space(IpNet::V6(net)) {
            return Err(self.err(
                key,
                format!("{value} is neither documentation space (2001:db8::/32) nor ULA space (fc00::/7)"),
                "use a prefix inside 2001:db8::/32, e.g. \"2001:db8:31::/48\", or inside fd00::/8",
            ));
        }
        Ok(net)
    }

    fn ranged(&self, key: &str, v: i64, lo: i64, hi: i64, fix: &str) -> Result<u32, ConfigError> {
        if v < lo || v > hi {
            return Err(self.err(key, format!("{v} is outside {lo}..={hi}"), fix));
        }
        Ok(v as u32)
    }
}

pub fn validate(file: &str, f: LabFile, ov: &Overrides) -> Result<Lab, ConfigError> {
    let c = Ctx { file };
    let name: LabName = match &ov.name {
        Some(n) => n.clone(),
        None => f.name.parse().map_err(|e: super::name::LabNameError| {
            c.err(
                "name",
                format!("lab name {:?} must be {LAB_NAME_RULE}", e.given),
                "pick a name like \"chain-100\"",
            )
        })?,
    };

    let routers = ov.routers.unwrap_or(f.routers);
    let routers_key = if ov.routers.is_some() { "--routers" } else { "routers" };
    if routers < 1 {
        return Err(c.err(
            routers_key,
            format!("{routers} routers: a lab needs at least 1"),
            "set routers to a count from 1 up, e.g. routers = 100",
        ));
    }
    // Before anything is sized by the count: a huge AS range and pool would otherwise let
    // 500 million routers through to the address plan.
    if routers > MAX_ROUTERS as i64 {
        return Err(c.err(
            routers_key,
            format!("{routers} routers is above nsbgp's limit of {MAX_ROUTERS} routers per lab"),
            format!("use at most {MAX_ROUTERS} routers (1000 is the largest lab measured; see README, Safety)"),
        ));
    }

    let prefix = f.router_prefix;
    if prefix.is_empty() || !prefix.chars().all(is_name_char) || !prefix.starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return Err(c.err(
            "router_prefix",
            format!("{prefix:?} must start with a letter and contain only [A-Za-z0-9_-]"),
            "use e.g. router_prefix = \"ROUTER_\"",
        ));
    }
    let longest = format!("{prefix}{}", routers - 1);
    if longest.len() > IFNAME_MAX {
        return Err(c.err(
            "router_prefix",
            format!(
                "router name {longest:?} is {} characters; routers name namespaces and interfaces, which Linux limits to {IFNAME_MAX}",
                longest.len()
            ),
            match IFNAME_MAX.saturating_sub((routers - 1).to_string().len()) {
                0 => "use fewer routers (at most 1000 with the default AS range)".to_string(),
                n => format!("shorten router_prefix to at most {n} characters"),
            },
        ));
    }

    let first = f.first_asn;
    let last = f.last_asn;
    if !(1..=4294967295).contains(&first) || reserved_asn(first as u64) {
        return Err(c.err(
            "first_asn",
            format!("{first} is not a usable AS number (1-4294967294, not 23456, 64496-64511, 65535-65551)"),
            "use e.g. first_asn = 100",
        ));
    }
    if last < first || last > 4294967295 {
        return Err(c.err(
            "last_asn",
            format!("{last} must be between first_asn ({first}) and 4294967295"),
            "raise last_asn or lower first_asn",
        ));
    }
    let capacity = last - first + 1;
    if routers > capacity {
        return Err(c.err(
            routers_key,
            format!(
                "{routers} routers need AS {first}..{} but the lab's AS range is {first}..={last} ({capacity} routers)",
                first.saturating_add(routers - 1)
            ),
            format!("use at most {capacity} routers, or widen the range with last_asn"),
        ));
    }
    let top = first + routers - 1;
    if let Some(bad) = (first..=top).find(|&a| reserved_asn(a as u64)) {
        return Err(c.err(
            "first_asn",
            format!("the routers' AS range {first}..={top} contains the reserved AS {bad}"),
            "move first_asn so that the range avoids 23456, 64496-64511 and 65535-65551",
        ));
    }

    let pool = c.net("link_pool", &f.link_pool)?;
    let stub = c.net("stub_prefix", &f.stub_prefix)?;
    if stub.prefix_len() > 30 {
        return Err(c.err(
            "stub_prefix",
            format!("{stub} is too small to hold a host address"),
            "use a /24 such as \"198.51.100.0/24\"",
        ));
    }
    if pool.contains(&stub.network()) || stub.contains(&pool.network()) {
        return Err(c.err(
            "stub_prefix",
            format!("{stub} overlaps link_pool {pool}"),
            "pick a stub outside the link pool, e.g. \"198.51.100.0/24\"",
        ));
    }
    let (names, asns) =
        super::validate_policy::names_and_asns(file, &prefix, first as u32, routers as usize, &f.router, reserved_asn)?;
    let (topology, graph, rels) = topology(&c, &f.topology, routers as usize, &prefix, &names, &asns)?;
    let policy = super::validate_policy::policy(
        file,
        &f.policy,
        graph.links(),
        rels,
        &names,
        &[("link_pool", pool), ("stub_prefix", stub)],
    )?;
    let n_links = graph.links().len();
    // A LAN takes a subnet too (the auto length counts it; see `lan::plan`).
    let n_subnets = n_links + graph.lans().len();
    let a = &f.addressing;
    let addressing = Addressing::parse(&a.family).ok_or_else(|| {
        c.err(
            "addressing.family",
            format!("{:?} is not an address family setting", a.family),
            "use \"ipv4\" (the default), \"dual\" (both on every link) or \"ipv6\"",
        )
    })?;
    let v6_pool = c.net6("addressing.v6_link_pool", &a.v6_link_pool)?;
    let v6_stub = c.net6("addressing.v6_stub_prefix", &a.v6_stub_prefix)?;
    if v6_stub.prefix_len() > 126 {
        return Err(c.err(
            "addressing.v6_stub_prefix",
            format!("{v6_stub} is too small to hold a host address"),
            "use a /48 such as \"2001:db8:100::/48\"",
        ));
    }
    if v6_pool.contains(&v6_stub.network()) || v6_stub.contains(&v6_pool.network()) {
        return Err(c.err(
            "addressing.v6_stub_prefix",
            format!("{v6_stub} overlaps v6_link_pool {v6_pool}"),
            "pick a stub outside the link pool, e.g. \"2001:db8:100::/48\"",
        ));
    }
    let cap6 = family::v6_link_capacity(v6_pool);
    if addressing.has(Family::Ipv6) && (n_subnets as u64) > cap6 {
        return Err(c.err(
            "addressing.v6_link_pool",
            format!(
                "{v6_pool} holds {cap6} links of /{} but a {routers}-router {} needs {n_subnets}",
                family::V6_LINK_LEN,
                topology.shape
            ),
            "use a shorter pool prefix, e.g. a /48 such as \"2001:db8:31::/48\"",
        ));
    }
    // Policy (Gao-Rexford, internet labs) is written for IPv4 sessions only so far.
    if addressing != Addressing::Ipv4 && policy.internet() {
        return Err(c.err(
            "addressing.family",
            format!(
                "{:?} with a [policy] model: routing policy is IPv4-only so far",
                a.family
            ),
            "use family = \"ipv4\" in a lab with relationships or [policy]",
        ));
    }
    // A LAN's plan starts from its IPv4 subnet (a dual lab's LAN adds a /64): not yet in
    // IPv6-only labs.
    if addressing == Addressing::Ipv6 && !graph.lans().is_empty() {
        return Err(c.err(
            "addressing.family",
            format!(
                "{:?} with [[topology.lan]]: LANs carry IPv4 or both families so far",
                a.family
            ),
            "use family = \"dual\" (or \"ipv4\") for a lab with LANs, or [[topology.link]] tables instead of the LAN",
        ));
    }
    let len = match f.link_prefix_len {
        Some(l) => {
            let l = c.ranged(
                "link_prefix_len",
                l,
                pool.prefix_len() as i64,
                31,
                "use a length between the pool's and 31, e.g. 24, 30 or 31",
            )?;
            l as u8
        }
        // The chain keeps the classic /24s while they fit; other shapes take /30s.
        None if topology.shape == Shape::Chain => plan::auto_link_len(pool, n_subnets),
        None => 30,
    };
    let cap = plan::link_capacity(pool, len);
    // An IPv6-only lab puts no IPv4 address on any link: its IPv4 pool is not used.
    if addressing.has(Family::Ipv4) && (n_links as u64) > cap {
        return Err(c.err(
            "link_pool",
            format!(
                "{pool} holds {cap} links of /{len} but a {routers}-router {} needs {n_links}",
                topology.shape
            ),
            "use a larger pool (e.g. \"172.31.0.0/16\") or a longer link_prefix_len (30 or 31)",
        ));
    }

    let frr_dir = f.frr_dir;
    if !frr_dir.starts_with('/')
        || !frr_dir
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "/_.-".contains(ch))
        || frr_dir.contains("..")
    {
        return Err(c.err(
            "frr_dir",
            format!("{frr_dir:?} must be an absolute path of [A-Za-z0-9/_.-]"),
            "use the default \"/usr/lib/frr\"",
        ));
    }

    let t = f.timers;
    let keepalive_s = c.ranged("timers.keepalive_s", t.keepalive_s, 1, 21845, "use e.g. 10")?;
    let hold_s = c.ranged(
        "timers.hold_s",
        t.hold_s,
        3,
        65535,
        "use at least 3 x keepalive_s, e.g. 30",
    )?;
    if hold_s < keepalive_s {
        return Err(c.err(
            "timers.hold_s",
            format!("hold time {hold_s} s is shorter than keepalive {keepalive_s} s"),
            "use hold_s = 3 x keepalive_s",
        ));
    }
    let timers = Timers {
        keepalive_s,
        hold_s,
        connect_retry_s: c.ranged("timers.connect_retry_s", t.connect_retry_s, 1, 65535, "use e.g. 2")?,
        advertisement_interval_s: c.ranged(
            "timers.advertisement_interval_s",
            t.advertisement_interval_s,
            0,
            600,
            "use 0 (FRR) or 30 (classic eBGP)",
        )?,
        coalesce_time_ms: c.ranged(
            "timers.coalesce_time_ms",
            t.coalesce_time_ms,
            0,
            60_000,
            "use 0 (announce at once) or FRR's 1000",
        )?,
    };

    let d = f.daemons;
    let daemons: Vec<Daemon> = d
        .run
        .iter()
        .map(|s| {
            Daemon::parse(s).ok_or_else(|| {
                c.err(
                    "daemons.run",
                    format!("unknown daemon {s:?}"),
                    "nsbgp runs [\"zebra\", \"bgpd\"]",
                )
            })
        })
        .collect::<Result<_, _>>()?;
    if daemons != [Daemon::Zebra, Daemon::Bgpd] {
        return Err(c.err(
            "daemons.run",
            format!("{:?}: every router needs zebra (to install routes) then bgpd", d.run),
            "use run = [\"zebra\", \"bgpd\"]",
        ));
    }
    let limit_fds = c.ranged("daemons.limit_fds", d.limit_fds, 32, 65536, "use e.g. 128")?;
    const LEVELS: [&str; 8] = [
        "emergencies",
        "alerts",
        "critical",
        "errors",
        "warnings",
        "notifications",
        "informational",
        "debugging",
    ];
    if !LEVELS.contains(&d.log_level.as_str()) {
        return Err(c.err(
            "daemons.log_level",
            format!("{:?} is not an FRR log level", d.log_level),
            format!("use one of {}", LEVELS.join(", ")),
        ));
    }
    let merge_memory = c.auto_on_off(
        "daemons.merge_memory",
        &d.merge_memory,
        routers as usize,
        super::MERGE_AUTO_MIN_ROUTERS,
    )?;
    // Links count as well as routers: a clique's load grows with its links.
    let hold_links = c.auto_on_off(
        "daemons.hold_links",
        &d.hold_links,
        (routers as usize).max(n_links),
        super::HOLD_LINKS_AUTO_MIN_ROUTERS,
    )?;

    let links = plan::links_for(addressing, pool, len, v6_pool, &graph);
    let lan_names: Vec<String> = f.topology.lans.iter().map(|l| l.name.clone()).collect();
    let v6_lans = addressing.has(Family::Ipv6).then_some(v6_pool);
    let lans = super::lan::plan(pool, len, n_links, graph.lans(), &lan_names, &prefix, v6_lans).ok_or_else(|| {
        c.err(
            "link_pool",
            format!("{pool} holds the {n_links} links of /{len} but not the LANs after them"),
            "use a larger pool (e.g. \"172.31.0.0/16\") or a longer link_prefix_len (30 or 31)",
        )
    })?;
    let impairments = super::impair::resolve(file, (&f.links, &f.link, &f.topology), &graph, &names, &asns)?;
    let stubs: Vec<Stub> = addressing
        .families()
        .iter()
        .map(|f| match f {
            Family::Ipv4 => Stub {
                prefix: IpNet::V4(stub),
                addr: IpAddr::V4(family::first_host_v4(stub)),
            },
            Family::Ipv6 => Stub {
                prefix: IpNet::V6(v6_stub),
                addr: IpAddr::V6(family::first_host_v6(v6_stub)),
            },
        })
        .collect();
    let stub_v4 = family::first_host_v4(stub);
    let mut routers = build_routers(&names, &asns, &links, stub_v4, addressing);
    super::lan::add_interfaces(&mut routers, &lans);
    assign_suites(&c, &d.suite, &f.router, &mut routers)?;
    check_bird_timers(&c, &timers, &routers)?;

    Ok(Lab {
        name,
        source: None::<PathBuf>,
        router_prefix: prefix,
        first_asn: first as u32,
        family: addressing,
        link_pool: pool,
        link_prefix_len: len,
        v6_link_pool: v6_pool,
        stubs,
        frr_dir: PathBuf::from(frr_dir),
        timers,
        daemons,
        limit_fds,
        log_level: d.log_level,
        merge_memory,
        hold_links,
        topology,
        graph,
        routers,
        links,
        lans,
        policy,
        file_text: None,
        impairments,
    })
}

/// `[daemons] suite` for every router, then the `[[router]]` overrides.
fn assign_suites(
    c: &Ctx,
    default: &str,
    overrides: &[RouterOverride],
    routers: &mut [Router],
) -> Result<(), ConfigError> {
    let suite = |key: &str, s: &str| {
        Suite::parse(s).ok_or_else(|| c.err(key, format!("{s:?} is not a routing suite"), "use \"frr\" or \"bird\""))
    };
    let default = suite("daemons.suite", default)?;
    for r in routers.iter_mut() {
        r.suite = default;
    }
    let mut seen: Vec<Option<usize>> = vec![None; routers.len()];
    for (k, o) in overrides.iter().enumerate() {
        let key = |field: &str| format!("router[{k}]{field}");
        let idx = match (&o.name, o.index) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(c.err(
                    &key(""),
                    "a [[router]] table names its router by `name` or by `index`, exactly one of them",
                    "write name = \"ROUTER_5\" or index = 5",
                ))
            }
            (Some(n), None) => routers.iter().position(|r| &r.name == n).ok_or_else(|| {
                c.err(
                    &key(".name"),
                    format!("there is no router {n:?} in this lab ({} routers)", routers.len()),
                    format!(
                        "use a name from {} to {}",
                        routers[0].name,
                        routers[routers.len() - 1].name
                    ),
                )
            })?,
            (None, Some(i)) => {
                if i < 0 || i as usize >= routers.len() {
                    return Err(c.err(
                        &key(".index"),
                        format!("{i} is outside 0..={}", routers.len() - 1),
                        "use the index of a router of this lab",
                    ));
                }
                i as usize
            }
        };
        if let Some(prev) = seen[idx] {
            return Err(c.err(
                &key(""),
                format!("{} already has a [[router]] table (router[{prev}])", routers[idx].name),
                "merge the two tables into one",
            ));
        }
        seen[idx] = Some(k);
        if let Some(s) = &o.suite {
            routers[idx].suite = suite(&key(".suite"), s)?;
        }
    }
    Ok(())
}

/// BIRD has no eBGP advertisement interval and no update batching: a lab that asks for them
/// on BIRD routers would silently measure something else.
fn check_bird_timers(c: &Ctx, t: &Timers, routers: &[Router]) -> Result<(), ConfigError> {
    let bird: Vec<&str> = routers
        .iter()
        .filter(|r| r.suite == Suite::Bird)
        .map(|r| r.name.as_str())
        .collect();
    if bird.is_empty() {
        return Ok(());
    }
    let names = if bird.len() <= 5 {
        bird.join(", ")
    } else {
        format!("{} and {} more", bird[..5].join(", "), bird.len() - 5)
    };
    if t.advertisement_interval_s != 0 {
        return Err(c.err(
            "timers.advertisement_interval_s",
            format!(
                "{} s cannot be honoured by BIRD, which has no advertisement interval; BIRD routers: {names}",
                t.advertisement_interval_s
            ),
            "set advertisement_interval_s = 0, or run these routers with suite = \"frr\"",
        ));
    }
    if t.coalesce_time_ms != 0 {
        return Err(c.err(
            "timers.coalesce_time_ms",
            format!(
                "{} ms cannot be honoured by BIRD, which does not batch a new session's updates; BIRD routers: {names}",
                t.coalesce_time_ms
            ),
            "set coalesce_time_ms = 0, or run these routers with suite = \"frr\"",
        ));
    }
    Ok(())
}

/// `[topology]`: checks the shape and its parameters, builds the graph and checks it.
fn topology(
    c: &Ctx,
    t: &model::Topology,
    n: usize,
    prefix: &str,
    names: &[String],
    asns: &[u32],
) -> Result<(Topology, Graph, Vec<Option<super::policy::Rel>>), ConfigError> {
    let shape = match t.shape.as_deref() {
        None => Shape::Chain,
        Some(s) => Shape::parse(s).ok_or_else(|| {
            c.err(
                "topology.shape",
                format!("{s:?} is not a shape"),
                format!("use one of {}", Shape::ALL.join(", ")),
            )
        })?,
    };
    let router_ref = |key: &str, r: &RouterRef| -> Result<usize, ConfigError> {
        let found = match r {
            RouterRef::Index(i) => usize::try_from(*i).ok().filter(|&i| i < n),
            RouterRef::Name(s) => super::validate_policy::resolve(names, asns, s),
        };
        found.ok_or_else(|| {
            c.err(
                key,
                format!("{r} is not a router of this lab ({n} routers)"),
                format!(
                    "name a router as \"{}\" … \"{}\", an index or \"AS{}\"",
                    names[0],
                    names[n - 1],
                    asns[0]
                ),
            )
        })
    };
    let origin = match &t.origin {
        Some(r) => router_ref("topology.origin", r)?,
        None => 0,
    };
    let only = |key: &str, given: bool, owner: Shape| -> Result<(), ConfigError> {
        if given && shape != owner {
            return Err(c.err(
                key,
                format!("only shape = \"{owner}\" takes it, this lab is a {shape}"),
                format!("remove {key} or set shape = \"{owner}\""),
            ));
        }
        Ok(())
    };
    only("topology.fanout", t.fanout.is_some(), Shape::Tree)?;
    only("topology.rows", t.rows.is_some(), Shape::Grid)?;
    only("topology.cols", t.cols.is_some(), Shape::Grid)?;
    only("topology.link", !t.links.is_empty(), Shape::File)?;
    only("topology.seed", t.seed.is_some(), Shape::Internet)?;
    only("topology.tier1", t.tier1.is_some(), Shape::Internet)?;
    let mut rels = Vec::new();
    let mut topo = Topology {
        shape,
        ..Topology::default()
    };
    let links = match shape {
        Shape::Ring if n < 3 => {
            return Err(c.err(
                "topology.shape",
                format!("a ring needs at least 3 routers, this lab has {n}"),
                "use routers = 3 or more, or shape = \"chain\"",
            ))
        }
        Shape::Tree => {
            let f = c.ranged("topology.fanout", t.fanout.unwrap_or(2), 1, 1000, "use e.g. fanout = 2")? as usize;
            topo.fanout = Some(f);
            graph::tree(n, f)
        }
        Shape::Grid => {
            let (Some(rows), Some(cols)) = (t.rows, t.cols) else {
                return Err(c.err(
                    if t.rows.is_none() {
                        "topology.rows"
                    } else {
                        "topology.cols"
                    },
                    "a grid needs both rows and cols",
                    format!("set rows and cols with rows × cols = {n}"),
                ));
            };
            let rows = c.ranged("topology.rows", rows, 1, 1000, "use e.g. rows = 10")? as usize;
            let cols = c.ranged("topology.cols", cols, 1, 1000, "use e.g. cols = 10")? as usize;
            if rows * cols != n {
                return Err(c.err(
                    "topology.rows",
                    format!(
                        "rows × cols = {rows} × {cols} = {} but the lab has {n} routers",
                        rows * cols
                    ),
                    format!("make rows × cols equal routers (e.g. routers = {})", rows * cols),
                ));
            }
            topo.rows = Some(rows);
            topo.cols = Some(cols);
            graph::grid(rows, cols)
        }
        Shape::File => {
            let mut v = Vec::with_capacity(t.links.len());
            for (i, l) in t.links.iter().enumerate() {
                let key = format!("topology.link[{}]", i + 1);
                v.push((
                    router_ref(&format!("{key}.a"), &l.a)?,
                    router_ref(&format!("{key}.b"), &l.b)?,
                ));
                rels.push(super::validate_policy::rel(file_of(c), &format!("{key}.rel"), &l.rel)?);
            }
            v
        }
        Shape::Internet => {
            let k = c.ranged(
                "topology.tier1",
                t.tier1.unwrap_or(super::internet::default_tier1(n) as i64),
                1,
                n as i64,
                "use 1 up to the router count, e.g. tier1 = 5",
            )? as usize;
            let seed = c.ranged(
                "topology.seed",
                t.seed.unwrap_or(1),
                0,
                u32::MAX as i64,
                "use e.g. seed = 1",
            )? as u64;
            topo.tier1 = Some(k);
            topo.seed = Some(seed);
            let v = super::internet::generate(n, k, seed);
            rels = v.iter().map(|&(_, _, r)| Some(r)).collect();
            v.into_iter().map(|(a, b, _)| (a, b)).collect()
        }
        _ => graph::generate(&topo, n),
    };
    let name = |r: usize| names[r].clone();
    let link_key = |i: usize| match shape {
        Shape::File => format!("topology.link[{}]", i + 1),
        _ => "topology".to_string(),
    };
    let router_name = |s: &str| super::validate_policy::resolve(names, asns, s).is_some();
    let lans = super::lan::resolve(&t.lans, &links, &name, prefix, &router_name, &router_ref, &|k, p, f| {
        c.err(k, p, f)
    })?;
    match graph::check_with_lans(n, &links, &lans, origin) {
        Ok(()) => {}
        Err(GraphProblem::SelfLoop { link, router }) => {
            return Err(c.err(
                &link_key(link),
                format!("joins {} to itself", name(router)),
                "a link needs two different routers",
            ))
        }
        Err(GraphProblem::Duplicate { link, first }) => {
            let (a, b) = links[link];
            return Err(c.err(
                &link_key(link),
                format!(
                    "{} — {} is already link {} (topology.link[{}])",
                    name(a),
                    name(b),
                    first + 1,
                    first + 1
                ),
                "list each link once",
            ));
        }
        Err(GraphProblem::NoSuchRouter { link, router }) => {
            return Err(c.err(
                &link_key(link),
                format!("router {router} does not exist"),
                format!("use routers 0 … {}", n - 1),
            ))
        }
        Err(GraphProblem::Disconnected { unreachable }) => {
            let shown: Vec<String> = unreachable.iter().take(5).map(|&r| name(r)).collect();
            let more = unreachable.len().saturating_sub(5);
            return Err(c.err(
                if shape == Shape::File {
                    "topology.link"
                } else {
                    "topology"
                },
                format!(
                    "the graph is not connected: {}{} cannot reach the origin {}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    },
                    name(origin)
                ),
                "add [[topology.link]] (or [[topology.lan]]) tables that join them to the rest",
            ));
        }
    }
    Ok((topo, Graph::with_lans(n, links, lans, origin), rels))
}

/// Every router's per-router view of the links: one interface per link it is on, in link
/// order, named after the router at the other end.
fn build_routers(
    names: &[String],
    asns: &[u32],
    links: &[LinkPlan],
    stub_v4: Ipv4Addr,
    addressing: Addressing,
) -> Vec<Router> {
    let n = names.len();
    let name = |i: usize| names[i].clone();
    let mut per: Vec<Vec<Interface>> = vec![Vec::new(); n];
    for l in links {
        for r in [l.a, l.b] {
            let addrs = l
                .nets
                .iter()
                .map(|net| {
                    let (_, addr, peer_addr) = l.from_end_in(r, net).expect("r is an end");
                    IfAddr {
                        addr,
                        subnet: net.subnet,
                        peer_addr,
                    }
                })
                .collect();
            let peer = if r == l.a { l.b } else { l.a };
            let ifs = &mut per[r];
            ifs.push(Interface {
                name: name(peer),
                ifindex: IFINDEX_FIRST + ifs.len() as u32,
                addrs,
                link: l.index,
                peer_index: peer,
                peer_name: name(peer),
                peer_asn: asns[peer],
                lan: None,
            });
        }
    }
    per.into_iter()
        .enumerate()
        .map(|(i, interfaces)| {
            let asn = asns[i];
            // Classic router-ids: 172.31.k.1 for ROUTER_k, 172.31.1.2 for ROUTER_0; in
            // general the IPv4 address of the router's first link. Without IPv4 the id is
            // the AS number as a 32-bit value (AS 105 → 0.0.0.105): unique and fixed.
            let router_id = if addressing.has(Family::Ipv4) {
                match interfaces.first().map(|x| x.first_addr().addr) {
                    Some(IpAddr::V4(a)) => a,
                    _ => stub_v4,
                }
            } else {
                Ipv4Addr::from(asn)
            };
            Router {
                index: i,
                name: name(i),
                asn,
                router_id,
                suite: Suite::Frr,
                interfaces,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    fn lab(text: &str) -> Result<Lab, ConfigError> {
        validate("t.toml", parse("t.toml", text)?, &Overrides::default())
    }

    #[test]
    fn classic_router_one_matches_the_slides() {
        let l = lab("name = \"c\"\nrouters = 100\n").unwrap();
        let r = l.router(1);
        assert_eq!(r.asn, 101);
        assert_eq!(r.router_id, Ipv4Addr::new(172, 31, 1, 1));
        let peers: Vec<_> = r
            .interfaces
            .iter()
            .map(|i| (i.first_addr().peer_addr.to_string(), i.peer_asn))
            .collect();
        assert_eq!(peers, vec![("172.31.1.2".into(), 100), ("172.31.2.1".into(), 102)]);
        assert_eq!(l.router(0).router_id, Ipv4Addr::new(172, 31, 1, 2));
        assert_eq!(l.router(99).interfaces.len(), 1);
        assert_eq!(l.stubs.len(), 1);
        assert_eq!(l.stubs[0].addr.to_string(), "198.51.100.1");
    }

    #[test]
    fn dual_and_v6_labs_resolve_their_addresses_and_ids() {
        let d = lab("name = \"d\"\nrouters = 3\n[addressing]\nfamily = \"dual\"\n").unwrap();
        let r = d.router(1);
        assert_eq!(r.router_id, Ipv4Addr::new(172, 31, 1, 1), "dual keeps the classic ids");
        let got: Vec<Vec<String>> = r
            .interfaces
            .iter()
            .map(|i| {
                i.addrs
                    .iter()
                    .map(|a| format!("{} {} {}", a.addr, a.subnet, a.peer_addr))
                    .collect()
            })
            .collect();
        assert_eq!(
            got,
            [
                [
                    "172.31.1.1 172.31.1.0/24 172.31.1.2",
                    "2001:db8:31:1::1 2001:db8:31:1::/64 2001:db8:31:1::2"
                ],
                [
                    "172.31.2.2 172.31.2.0/24 172.31.2.1",
                    "2001:db8:31:2::2 2001:db8:31:2::/64 2001:db8:31:2::1"
                ],
            ]
        );
        let stubs: Vec<String> = d.stubs.iter().map(|s| format!("{} {}", s.prefix, s.addr)).collect();
        assert_eq!(
            stubs,
            ["198.51.100.0/24 198.51.100.1", "2001:db8:100::/48 2001:db8:100::1"]
        );
        let v6 = lab("name = \"s\"\nrouters = 3\n[addressing]\nfamily = \"ipv6\"\n").unwrap();
        // No IPv4 anywhere; router ids are the AS numbers as 32-bit values.
        assert!(v6
            .routers
            .iter()
            .flat_map(|r| &r.interfaces)
            .all(|i| i.addrs.len() == 1 && i.addrs[0].family() == Family::Ipv6));
        assert_eq!(v6.stubs.len(), 1);
        assert_eq!(v6.stubs[0].addr.to_string(), "2001:db8:100::1");
        let ids: Vec<String> = v6.routers.iter().map(|r| r.router_id.to_string()).collect();
        assert_eq!(ids, ["0.0.0.100", "0.0.0.101", "0.0.0.102"]);
        // An IPv6-only lab does not size its (unused) IPv4 pool.
        assert!(
            lab("name = \"s\"\nrouters = 100\nlink_pool = \"10.0.0.0/30\"\n[addressing]\nfamily = \"ipv6\"\n").is_ok()
        );
    }

    #[test]
    fn bad_addressing_is_rejected_with_the_key_named() {
        for (body, key) in [
            ("family = \"ipx\"", "addressing.family"),
            (
                "family = \"dual\"\nv6_link_pool = \"2001:4860::/48\"",
                "addressing.v6_link_pool",
            ),
            (
                "family = \"dual\"\nv6_link_pool = \"nonsense\"",
                "addressing.v6_link_pool",
            ),
            (
                "family = \"dual\"\nv6_link_pool = \"2001:db8:31::1/48\"",
                "addressing.v6_link_pool",
            ),
            (
                "family = \"dual\"\nv6_link_pool = \"2001:db8:31::/63\"",
                "addressing.v6_link_pool",
            ),
            (
                "family = \"ipv6\"\nv6_link_pool = \"2001:db8:31::/64\"",
                "addressing.v6_link_pool",
            ),
            (
                "family = \"dual\"\nv6_stub_prefix = \"2001:db8:31:5::/64\"",
                "addressing.v6_stub_prefix",
            ),
            (
                "family = \"dual\"\nv6_stub_prefix = \"2000::/3\"",
                "addressing.v6_stub_prefix",
            ),
            (
                "family = \"dual\"\nv6_stub_prefix = \"2001:db8:100::/127\"",
                "addressing.v6_stub_prefix",
            ),
            (
                "family = \"dual\"\nv6_link_pool = \"2001:db8::/32\"\nv6_stub_prefix = \"2001:db8:100::/48\"",
                "addressing.v6_stub_prefix",
            ),
            ("famly = \"dual\"", "famly"),
        ] {
            let text = format!("name = \"c\"\nrouters = 3\n[addressing]\n{body}\n");
            let e = lab(&text).unwrap_err().to_string();
            assert!(e.contains(key), "{body}: {e}");
        }
        // LANs run in dual labs, not yet in IPv6-only ones.
        let lan = "name = \"c\"\nrouters = 3\n[addressing]\nfamily = \"dual\"\n[topology]\nshape = \"file\"\n[[topology.link]]\na = 0\nb = 1\n[[topology.lan]]\nname = \"ix1\"\nrouters = [1, 2]\n";
        assert!(lab(lan).is_ok());
        let e = lab(&lan.replace("\"dual\"", "\"ipv6\"")).unwrap_err().to_string();
        assert!(e.contains("addressing.family") && e.contains("LAN"), "{e}");
        // ULA space is lab space too.
        assert!(
            lab("name = \"c\"\nrouters = 3\n[addressing]\nfamily = \"dual\"\nv6_link_pool = \"fd00:31::/48\"\n")
                .is_ok()
        );
    }

    #[test]
    fn resolve_router_accepts_name_index_and_as() {
        let l = lab("name = \"c\"\nrouters = 100\n").unwrap();
        assert_eq!(l.resolve_router("ROUTER_50"), Some(50));
        assert_eq!(l.resolve_router("50"), Some(50));
        assert_eq!(l.resolve_router("AS150"), Some(50));
        assert_eq!(l.resolve_router("ROUTER_05"), None);
        assert_eq!(l.resolve_router("ROUTER_100"), None);
        assert_eq!(l.resolve_router("AS99"), None);
        assert_eq!(l.resolve_router("x"), None);
    }

    #[test]
    fn overrides_replace_file_values() {
        let f = parse("t.toml", "name = \"c\"\nrouters = 100\n").unwrap();
        let l = validate(
            "t.toml",
            f,
            &Overrides {
                routers: Some(3),
                name: Some("other".parse().unwrap()),
            },
        )
        .unwrap();
        assert_eq!((l.routers.len(), l.name.as_str()), (3, "other"));
    }

    /// Every bad input names its key; the table is the contract of issue "bad input".
    #[test]
    fn bad_inputs_are_rejected_with_the_key_named() {
        let cases: &[(&str, &str)] = &[
            ("routers = 0", "routers"),
            ("routers = -3", "routers"),
            ("routers = 1001", "routers"),
            ("routers = 3\nfirst_asn = 0", "first_asn"),
            ("routers = 3\nfirst_asn = 4294967296", "first_asn"),
            ("routers = 3\nfirst_asn = 23456", "first_asn"),
            ("routers = 3\nfirst_asn = 64495\nlast_asn = 70000", "first_asn"),
            ("routers = 3\nlink_pool = \"172.31.0.0/33\"", "link_pool"),
            ("routers = 3\nlink_pool = \"nonsense\"", "link_pool"),
            ("routers = 3\nlink_pool = \"172.31.0.1/16\"", "link_pool"),
            ("routers = 100\nlink_pool = \"10.0.0.0/24\"", "link_pool"),
            ("routers = 3\nstub_prefix = \"172.31.200.0/24\"", "stub_prefix"),
            ("routers = 3\nlink_pool = \"198.51.0.0/16\"", "stub_prefix"),
            ("routers = 3\nrouter_prefix = \"VERY_LONG_ROUTER_\"", "router_prefix"),
            ("routers = 3\nrouter_prefix = \"R;rm -rf /\"", "router_prefix"),
            ("routers = 3\nrouter_prefix = \"9R\"", "router_prefix"),
            ("routers = 3\nframr = 1", "unknown field"),
            ("routers = \"three\"", "invalid type"),
            ("routers = 3\n[timers]\nhold_s = 1", "timers.hold_s"),
            ("routers = 3\n[timers]\nbogus = 1", "unknown field"),
            ("routers = 3\n[daemons]\nrun = [\"bgpd\"]", "daemons.run"),
            ("routers = 3\n[daemons]\nlog_level = \"loud\"", "daemons.log_level"),
            ("routers = 3\n[daemons]\nmerge_memory = \"yes\"", "daemons.merge_memory"),
            ("routers = 3\n[daemons]\nhold_links = \"true\"", "daemons.hold_links"),
            ("routers = 3\nfrr_dir = \"relative/frr\"", "frr_dir"),
            ("routers = 3\nfrr_dir = \"/usr/lib/frr;reboot\"", "frr_dir"),
            ("routers = 3\nname = \"a b\"", "name"),
            ("routers = 3\n[daemons]\nsuite = \"quagga\"", "daemons.suite"),
            ("routers = 3\n[daemons]\nrun = [\"bird\"]", "daemons.run"),
            ("routers = 3\n[[router]]\nname = \"ROUTER_3\"\nsuite = \"bird\"", "router[0].name"),
            ("routers = 3\n[[router]]\nindex = 3\nsuite = \"bird\"", "router[0].index"),
            ("routers = 3\n[[router]]\nindex = -1\nsuite = \"bird\"", "router[0].index"),
            ("routers = 3\n[[router]]\nsuite = \"bird\"", "router[0]"),
            ("routers = 3\n[[router]]\nindex = 1\nname = \"ROUTER_1\"", "router[0]"),
            ("routers = 3\n[[router]]\nindex = 1\nsuite = \"gobgp\"", "router[0].suite"),
            ("routers = 3\n[[router]]\nindex = 1\nasn = 23456", "router[0].asn"),
            ("routers = 3\n[[router]]\nindex = 1\nasn = 102", "both have AS 102"),
            ("routers = 3\n[[router]]\nindex = 1\nnom = 5", "unknown field"),
            (
                "routers = 3\n[[router]]\nindex = 1\nsuite = \"bird\"\n[[router]]\nname = \"ROUTER_1\"\nsuite = \"frr\"",
                "router[1]",
            ),
            (
                "routers = 3\n[timers]\nadvertisement_interval_s = 30\n[[router]]\nindex = 2\nsuite = \"bird\"",
                "ROUTER_2",
            ),
            (
                "routers = 3\n[timers]\ncoalesce_time_ms = 1000\n[daemons]\nsuite = \"bird\"",
                "ROUTER_0, ROUTER_1, ROUTER_2",
            ),
            ("routers = 3\n[topology]\nshape = \"torus\"", "topology.shape"),
            ("routers = 2\n[topology]\nshape = \"ring\"", "topology.shape"),
            ("routers = 12\n[topology]\nshape = \"grid\"\nrows = 3\ncols = 5", "topology.rows"),
            ("routers = 12\n[topology]\nshape = \"grid\"\nrows = 3", "topology.cols"),
            ("routers = 12\n[topology]\nshape = \"ring\"\nrows = 3", "topology.rows"),
            ("routers = 7\n[topology]\nshape = \"tree\"\nfanout = 0", "topology.fanout"),
            ("routers = 7\n[topology]\nshape = \"star\"\nfanout = 2", "topology.fanout"),
            ("routers = 7\n[topology]\norigin = \"ROUTER_7\"", "topology.origin"),
            ("routers = 7\n[topology]\norigin = -1", "topology.origin"),
            ("routers = 3\n[topology]\nbogus = 1", "unknown field"),
            ("routers = 3\n[[topology.link]]\na = 0\nb = 1", "topology.link"),
            ("routers = 3\n[topology]\nshape = \"file\"\n[[topology.link]]\na = 0\nb = 1\n[[topology.link]]\na = 2\nb = 2", "topology.link[2]"),
            ("routers = 3\n[topology]\nshape = \"file\"\n[[topology.link]]\na = 0\nb = 1\n[[topology.link]]\na = \"ROUTER_1\"\nb = \"ROUTER_0\"", "topology.link[2]"),
            ("routers = 3\n[topology]\nshape = \"file\"\n[[topology.link]]\na = 0\nb = \"ROUTER_9\"", "topology.link[1].b"),
            ("routers = 3\n[topology]\nshape = \"file\"\n[[topology.link]]\na = 0\nb = 1\nc = 2", "unknown field"),
            ("routers = 4\n[topology]\nshape = \"file\"\n[[topology.link]]\na = 0\nb = 1\n[[topology.link]]\na = 2\nb = 3", "not connected"),
            ("routers = 3\n[topology]\nshape = \"file\"", "topology.link"),
            ("routers = 40\nlink_pool = \"10.0.0.0/24\"\n[topology]\nshape = \"clique\"", "link_pool"),
            ("routers = 3\nlink_prefix_len = 32", "link_prefix_len"),
        ];
        for (body, key) in cases {
            // `name` at the top level, not in a [[router]] table.
            let top = body.split("\n[").next().unwrap_or_default();
            let text = if top.lines().any(|l| l.starts_with("name =")) {
                body.to_string()
            } else {
                format!("name = \"c\"\n{body}")
            };
            let err = lab(&text).expect_err(body).to_string();
            assert!(err.contains(key), "{body:?}: error {err:?} does not mention {key:?}");
            assert!(
                err.starts_with("t.toml"),
                "{body:?}: error {err:?} does not name the file"
            );
        }
    }

    #[test]
    fn suites_default_to_frr_and_overrides_pick_routers() {
        let l = lab("name = \"c\"\nrouters = 4\n").unwrap();
        assert!(l.routers.iter().all(|r| r.suite == Suite::Frr));
        assert_eq!(l.daemons_of(2), vec![Daemon::Zebra, Daemon::Bgpd]);
        let l = lab(
            "name = \"c\"\nrouters = 4\n[daemons]\nsuite = \"bird\"\n[[router]]\nname = \"ROUTER_1\"\nsuite = \"frr\"\n[[router]]\nindex = 3\n",
        )
        .unwrap();
        let suites: Vec<Suite> = l.routers.iter().map(|r| r.suite).collect();
        assert_eq!(suites, [Suite::Bird, Suite::Frr, Suite::Bird, Suite::Bird]);
        assert_eq!(l.daemons_of(0), vec![Daemon::Bird]);
        assert!(l.uses(Suite::Bird) && l.uses(Suite::Frr));
        // A lab saved before suites existed reads as FRR.
        let mut v = serde_json::to_value(&l).unwrap();
        v["routers"][0].as_object_mut().unwrap().remove("suite");
        let back: Lab = serde_json::from_value(v).unwrap();
        assert_eq!(back.routers[0].suite, Suite::Frr);
    }

    #[test]
    fn shapes_build_their_graphs_and_plans() {
        let shaped = |n: usize, t: &str| lab(&format!("name = \"s\"\nrouters = {n}\n[topology]\n{t}\n")).unwrap();
        // (lab, links, link prefix length, interfaces of ROUTER_0)
        let cases = [
            (shaped(16, "shape = \"ring\""), 16, 30, 2),
            (shaped(20, "shape = \"star\""), 19, 30, 19),
            (shaped(63, "shape = \"tree\"\nfanout = 2"), 62, 30, 2),
            (shaped(100, "shape = \"grid\"\nrows = 10\ncols = 10"), 180, 30, 2),
            (shaped(8, "shape = \"clique\""), 28, 30, 7),
            (shaped(8, "shape = \"clique\"\n"), 28, 30, 7),
            (
                lab("name = \"s\"\nrouters = 4\nlink_prefix_len = 31\n[topology]\nshape = \"ring\"\n").unwrap(),
                4,
                31,
                2,
            ),
        ];
        for (l, links, len, deg0) in cases {
            assert_eq!(l.links.len(), links, "{:?}", l.topology);
            assert_eq!(l.link_prefix_len, len, "{:?}", l.topology);
            assert_eq!(l.routers[0].interfaces.len(), deg0, "{:?}", l.topology);
            // Both ends of every link see each other, named after the other end.
            for lp in &l.links {
                let ia = l.interface_on(lp.a, lp.index).unwrap();
                let ib = l.interface_on(lp.b, lp.index).unwrap();
                let (a, b) = (ia.first_addr(), ib.first_addr());
                let n = &lp.nets[0];
                assert_eq!((a.addr, a.peer_addr, ia.peer_index), (n.a_addr, n.b_addr, lp.b));
                assert_eq!((b.addr, b.peer_addr, ib.peer_index), (n.b_addr, n.a_addr, lp.a));
                assert_eq!(ia.name, l.routers[lp.b].name);
                assert_eq!(ib.peer_asn, l.routers[lp.a].asn);
            }
            // Every address in the lab is unique; ifindexes count up from 2 per router.
            let mut all: Vec<IpAddr> = l
                .routers
                .iter()
                .flat_map(|r| r.interfaces.iter().map(|i| i.first_addr().addr))
                .collect();
            let n = all.len();
            all.sort();
            all.dedup();
            assert_eq!(all.len(), n);
            for r in &l.routers {
                let idx: Vec<u32> = r.interfaces.iter().map(|i| i.ifindex).collect();
                assert_eq!(idx, (2..2 + idx.len() as u32).collect::<Vec<_>>());
            }
        }
        // A ring's links are /30s in link order: link k is the k-th /30 of the pool.
        let r = shaped(16, "shape = \"ring\"");
        assert_eq!(r.links[0].subnet().to_string(), "172.31.0.4/30");
        assert_eq!(r.links[15].subnet().to_string(), "172.31.0.64/30");
        assert_eq!((r.links[15].a, r.links[15].b), (15, 0));
        // The file form takes names, indexes and AS numbers; the origin moves the world.
        let f = lab(
            "name = \"f\"\nrouters = 3\n[topology]\nshape = \"file\"\norigin = \"ROUTER_2\"\n\
                     [[topology.link]]\na = \"ROUTER_0\"\nb = 2\n[[topology.link]]\na = \"AS101\"\nb = \"2\"\n",
        )
        .unwrap();
        assert_eq!(f.graph.links(), [(0, 2), (1, 2)]);
        assert_eq!((f.origin(), f.graph.distance(0), f.graph.distance(1)), (2, 1, 1));
        // The chain is the default, also when named.
        let c = lab("name = \"c\"\nrouters = 100\n").unwrap();
        let named = lab("name = \"c\"\nrouters = 100\n[topology]\nshape = \"chain\"\norigin = 0\n").unwrap();
        assert_eq!(c, named);
        assert_eq!(c.link_prefix_len, 24);
    }

    #[test]
    fn hold_links_counts_links_too() {
        // A 32-router clique has 496 links: held like a 496-router chain.
        let l = lab("name = \"k\"\nrouters = 32\n[topology]\nshape = \"clique\"\n").unwrap();
        assert_eq!((l.links.len(), l.size(), l.hold_links), (496, 496, true));
        assert!(
            !lab("name = \"k\"\nrouters = 16\n[topology]\nshape = \"clique\"\n")
                .unwrap()
                .hold_links
        );
    }

    #[test]
    fn thousand_routers_fill_the_default_as_range() {
        let l = lab("name = \"big\"\nrouters = 1000\n").unwrap();
        assert_eq!(l.routers.last().unwrap().asn, 1099);
        assert_eq!(l.link_prefix_len, 30);
    }

    #[test]
    fn hold_links_auto_holds_from_the_threshold_and_on_off_override() {
        let n = crate::config::HOLD_LINKS_AUTO_MIN_ROUTERS;
        let cases = [
            (n - 1, "auto", false),
            (n, "auto", true),
            (3, "on", true),
            (1000, "off", false),
        ];
        for (routers, setting, held) in cases {
            let text = format!("name = \"c\"\nrouters = {routers}\n[daemons]\nhold_links = \"{setting}\"\n");
            assert_eq!(lab(&text).unwrap().hold_links, held, "{routers} routers, {setting}");
        }
        // The default is "auto".
        assert!(!lab("name = \"c\"\nrouters = 100\n").unwrap().hold_links);
        assert!(lab("name = \"c\"\nrouters = 1000\n").unwrap().hold_links);
    }
}
