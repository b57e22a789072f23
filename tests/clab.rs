//! containerlab export and import (issue 18): golden exports checked against containerlab's
//! schema and FRR's own config parser, the round trip, the command line's bad inputs, and an
//! imported diamond brought up for real.
//! `UPDATE_GOLDEN=1 cargo test --test clab` regenerates tests/golden/export-*/.

mod common;

use common::*;
use nsbgp::clab::{export, import, yaml::ClabFile};
use nsbgp::config::{self, Addressing, Family, Lab, Overrides, Suite};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::golden::{assert_golden, export_lab, BIRD_IMAGE, IMAGE};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn lab_from(text: &str) -> Lab {
    config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap()
}

/// Exports `lab`, compares every file with tests/golden/{golden}/ (`UPDATE_GOLDEN=1` rewrites
/// them first), writes
/// the export into a fresh directory and checks it there. Returns that directory.
fn golden_export(lab: &Lab, golden: &str) -> TempDir {
    let files = export::build(lab, IMAGE, BIRD_IMAGE).unwrap();
    assert_golden(golden, &files);
    let dir = tempdir("clx");
    let out = dir.0.join("export");
    export::write(&out, &files).unwrap();
    check_export(lab, &out);
    dir
}

/// The structure issue 18 asks for, read back from the files on disk.
fn check_export(lab: &Lab, dir: &Path) {
    let yml = std::fs::read_to_string(dir.join(format!("{}.clab.yml", lab.name))).unwrap();
    let topo: ClabFile = serde_yaml_ng::from_str(&yml).unwrap();
    assert_eq!(topo.name, lab.name.as_str());

    // Valid against containerlab's schema.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/containerlab/clab.schema.json")).unwrap(),
    )
    .unwrap();
    let instance: serde_json::Value = serde_yaml_ng::from_str(&yml).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "not a valid containerlab topology: {errors:?}");

    // One linux node per router, DNS-1123 names, its suite's image, its files bound and present:
    // FRR's frr.conf and daemons, or BIRD's bird.conf.
    assert_eq!(topo.topology.nodes.0.len(), lab.routers.len());
    let mut node_of = BTreeMap::new();
    for (name, node) in &topo.topology.nodes.0 {
        assert!(nsbgp::clab::is_dns_label(name), "{name}");
        let r = lab
            .routers
            .iter()
            .find(|r| export::node_name(&r.name).unwrap() == *name)
            .unwrap();
        assert_eq!(node.kind, "linux");
        // The lab's families travel in a label (none in an IPv4 lab: its exports as before).
        let family = node.labels.get("nsbgp-family").and_then(|v| v.as_str());
        let want = (lab.family != Addressing::Ipv4).then(|| lab.family.name());
        assert_eq!(family, want, "{name}: {:?}", node.labels);
        let targets: BTreeSet<&str> = node.binds.iter().map(|b| b.split_once(':').unwrap().1).collect();
        for b in &node.binds {
            let src = dir.join(b.split_once(':').unwrap().0);
            assert!(src.is_file(), "{name} binds {} which the export lacks", src.display());
        }
        match r.suite {
            Suite::Frr => {
                assert_eq!(node.image, IMAGE);
                assert_eq!(
                    targets,
                    BTreeSet::from(["/etc/frr/daemons", "/etc/frr/frr.conf"]),
                    "{name}"
                );
                let daemons = std::fs::read_to_string(dir.join(name).join("daemons")).unwrap();
                assert!(
                    daemons.contains("\nzebra=yes\n") && daemons.contains("\nbgpd=yes\n"),
                    "{daemons}"
                );
                assert!(!daemons.lines().any(|l| l.ends_with("=yes")
                    && !l.starts_with("zebra")
                    && !l.starts_with("bgpd")
                    && !l.starts_with("vtysh")));
            }
            Suite::Bird => {
                assert_eq!(node.image, BIRD_IMAGE);
                assert_eq!(targets, BTreeSet::from(["/etc/bird.conf"]), "{name}");
            }
        }
        node_of.insert(name.clone(), r.index);
    }

    // Links: one per lab link; per node eth1 … ethN, each used once, numbered in link order.
    assert_eq!(topo.topology.links.len(), lab.links.len());
    let mut ifaces: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut pairs = BTreeSet::new();
    let suite = |n: &str| lab.routers[node_of[n]].suite;
    let conf = |n: &str| {
        let file = match suite(n) {
            Suite::Frr => "frr.conf",
            Suite::Bird => "bird.conf",
        };
        std::fs::read_to_string(dir.join(n).join(file)).unwrap()
    };
    let exec = |n: &str| {
        topo.topology
            .nodes
            .0
            .iter()
            .find(|(k, _)| k == n)
            .unwrap()
            .1
            .exec
            .clone()
    };
    for l in &topo.topology.links {
        assert_eq!(l.endpoints.len(), 2);
        let ends: Vec<(String, String)> = l
            .endpoints
            .iter()
            .map(|e| {
                let (n, i) = e.split_once(':').unwrap();
                (n.to_string(), i.to_string())
            })
            .collect();
        let (a, b) = (node_of[&ends[0].0], node_of[&ends[1].0]);
        pairs.insert((a.min(b), a.max(b)));
        for (k, (n, i)) in ends.iter().enumerate() {
            let num: u32 = i.strip_prefix("eth").unwrap().parse().unwrap();
            ifaces.entry(n.clone()).or_default().push(num);
            // The config addresses that interface, and peers with the other end's address.
            let me = &lab.routers[node_of[n]];
            let other = &lab.routers[node_of[&ends[1 - k].0]];
            let link = me.interfaces.iter().find(|x| x.peer_index == other.index).unwrap();
            let c = conf(n);
            // Every family of the lab: its address on the interface and its session.
            assert_eq!(link.addrs.len(), lab.family.families().len(), "{n}");
            match suite(n) {
                Suite::Frr => {
                    let kw = |a: &std::net::IpAddr| if a.is_ipv6() { "ipv6 address" } else { "ip address" };
                    let block: String = std::iter::once(format!("interface {i}\n"))
                        .chain(
                            link.addrs
                                .iter()
                                .map(|a| format!(" {} {}/{}\n", kw(&a.addr), a.addr, a.subnet.prefix_len())),
                        )
                        .collect();
                    assert!(c.contains(&block), "{n}: no {block:?} in\n{c}");
                    for a in &link.addrs {
                        assert!(
                            c.contains(&format!(" neighbor {} remote-as {}\n", a.peer_addr, other.asn)),
                            "{n}\n{c}"
                        );
                    }
                }
                Suite::Bird => {
                    // BIRD sets no addresses: the node's exec does.
                    for a in &link.addrs {
                        let add = format!("ip addr add {}/{} dev {i}", a.addr, a.subnet.prefix_len());
                        assert!(exec(n).contains(&add), "{n}: no {add:?} in {:?}", exec(n));
                        assert!(
                            c.contains(&format!(
                                "  local {} as {};\n  neighbor {} as {};\n",
                                a.addr, me.asn, a.peer_addr, other.asn
                            )),
                            "{n}\n{c}"
                        );
                    }
                }
            }
        }
    }
    for (n, nums) in &ifaces {
        let want: Vec<u32> = (1..=nums.len() as u32).collect();
        let mut sorted = nums.clone();
        sorted.sort();
        assert_eq!(sorted, want, "{n}: interfaces must be eth1 … ethN");
        assert!(
            nums.windows(2).all(|w| w[0] < w[1]),
            "{n}: numbered in link order: {nums:?}"
        );
    }
    let lab_pairs: BTreeSet<(usize, usize)> = lab
        .routers
        .iter()
        .flat_map(|r| {
            r.interfaces
                .iter()
                .map(move |i| (r.index.min(i.peer_index), r.index.max(i.peer_index)))
        })
        .collect();
    assert_eq!(pairs, lab_pairs);

    // The management network is no second path: BGP only towards link addresses, only the
    // lab's prefixes announced, nothing redistributed, eth0 never configured; and the
    // management default route is removed so the lab's own default is used.
    let lab_addrs: BTreeSet<String> = lab
        .routers
        .iter()
        .flat_map(|r| {
            r.interfaces
                .iter()
                .flat_map(|i| i.addrs.iter().map(|a| a.addr.to_string()))
        })
        .collect();
    let announced: BTreeSet<String> = lab.announced_prefixes().iter().map(|p| p.to_string()).collect();
    for (name, node) in &topo.topology.nodes.0 {
        let c = conf(name);
        assert!(
            !c.contains("password"),
            "{name}: no vty password travels with the export"
        );
        match suite(name) {
            Suite::Frr => check_frr_node(dir, name, node, &c, &lab_addrs, &announced),
            Suite::Bird => check_bird_node(lab, dir, name, node, &c, &lab_addrs),
        }
    }
}

fn check_frr_node(
    dir: &Path,
    name: &str,
    node: &nsbgp::clab::yaml::Node,
    c: &str,
    lab_addrs: &BTreeSet<String>,
    announced: &BTreeSet<String>,
) {
    assert_eq!(node.exec, ["ip route del default dev eth0"], "{name}");
    let config_lines: Vec<&str> = c.lines().filter(|l| !l.trim_start().starts_with('!')).collect();
    assert!(
        !config_lines
            .iter()
            .any(|l| l.contains("redistribute") || l.contains("eth0")),
        "{name}\n{c}"
    );
    for l in c.lines() {
        if let Some(rest) = l.strip_prefix(" neighbor ") {
            let addr = rest.split_whitespace().next().unwrap();
            assert!(
                lab_addrs.contains(addr),
                "{name}: neighbour {addr} is not a lab address"
            );
        }
        if let Some(p) = l.strip_prefix("  network ") {
            assert!(announced.contains(p), "{name}: announces {p}, not a lab prefix");
        }
    }
    // FRR's own parser (the host's vtysh, in dry-run mode) accepts the file.
    assert_parses(&dir.join(name).join("frr.conf"), "vtysh", &["-C", "-f"]);
}

/// The routing suite's own parser (`program ARGS PATH`) accepts the config at `path`.
fn assert_parses(path: &std::path::Path, program: &str, args: &[&str]) {
    let mut all = args.to_vec();
    all.push(path.to_str().unwrap());
    let o = sh(program, &all);
    assert!(
        o.status.success(),
        "{}: `{program} {}` rejects it:\n{}",
        path.display(),
        args.join(" "),
        text(&o)
    );
}

/// A BIRD node: its exec sets what BIRD does not (addresses, the origin's stub, forwarding)
/// and deletes the management default route; its bird.conf logs to stderr, peers with lab
/// addresses only and reads only lo and the lab's interfaces (never eth0); BIRD's own parser
/// accepts it.
fn check_bird_node(
    lab: &Lab,
    dir: &Path,
    name: &str,
    node: &nsbgp::clab::yaml::Node,
    c: &str,
    lab_addrs: &BTreeSet<String>,
) {
    let r = lab
        .routers
        .iter()
        .find(|r| export::node_name(&r.name).unwrap() == name)
        .unwrap();
    let origin = r.index == lab.origin();
    let n = r.interfaces.len();
    let families = lab.family.families().len();
    let v6 = lab.family.has(Family::Ipv6);
    // One address per interface and family, the stubs on the origin, forwarding, the
    // management default deleted; with IPv6 also IPv6 on, DAD off, IPv6 forwarding.
    assert_eq!(
        node.exec.len(),
        n * families + if origin { families } else { 0 } + 2 + if v6 { 4 } else { 0 },
        "{name}: {:?}",
        node.exec
    );
    assert_eq!(node.exec.last().unwrap(), "ip route del default dev eth0", "{name}");
    assert!(node.exec.contains(&"sysctl -w net.ipv4.ip_forward=1".to_string()));
    assert_eq!(
        node.exec
            .contains(&"sysctl -w net.ipv6.conf.all.forwarding=1".to_string()),
        v6,
        "{name}: {:?}",
        node.exec
    );
    for s in &lab.stubs {
        let stub = format!("ip addr add {}/{} dev lo", s.addr, s.prefix.prefix_len());
        assert_eq!(node.exec.contains(&stub), origin, "{name}: {:?}", node.exec);
    }
    let code: Vec<&str> = c.lines().filter(|l| !l.trim_start().starts_with('#')).collect();
    assert!(
        code.contains(&"log stderr { info, remote, warning, error, auth, fatal, bug };"),
        "{name}\n{c}"
    );
    assert!(
        !c.contains("/var/log") && !code.iter().any(|l| l.contains("eth0")),
        "{name}\n{c}"
    );
    let ifaces: Vec<String> = std::iter::once("\"lo\"".to_string())
        .chain((1..=n).map(|k| format!("\"eth{k}\"")))
        .collect();
    let channels: String = lab
        .family
        .families()
        .iter()
        .map(|f| format!("  {};\n", f.name()))
        .collect();
    assert!(
        c.contains(&format!(
            "protocol direct {{\n{channels}  interface {};\n}}",
            ifaces.join(", ")
        )),
        "{name}\n{c}"
    );
    let neighbours: Vec<&str> = code
        .iter()
        .filter_map(|l| l.trim_start().strip_prefix("neighbor "))
        .map(|rest| rest.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(neighbours.len(), n * families, "{name}");
    assert!(
        neighbours.iter().all(|a| lab_addrs.contains(*a)),
        "{name}: {neighbours:?}"
    );
    // BIRD's own parser (the host's bird, parse-only) accepts the file.
    assert_parses(&dir.join(name).join("bird.conf"), "bird", &["-p", "-c"]);
}

#[test]
fn chain_3_golden_export() {
    golden_export(&export_lab("export-chain-3"), "export-chain-3");
}

#[test]
fn ring_6_golden_export() {
    let dir = golden_export(&export_lab("export-ring-6"), "export-ring-6");
    // On a ring every router has two links: eth1 and eth2.
    let text = std::fs::read_to_string(dir.0.join("export/ring-6.clab.yml")).unwrap();
    let topo: ClabFile = serde_yaml_ng::from_str(&text).unwrap();
    assert_eq!(topo.topology.links.len(), 6);
}

/// FRR and BIRD alternating, the default from a BIRD router: FRR nodes as above, BIRD
/// nodes with the BIRD image, bird.conf bound to /etc/bird.conf, addresses in their exec.
#[test]
fn mixed_ring_4_golden_export() {
    let lab = export_lab("export-mixed-ring-4");
    assert_eq!(lab.routers[lab.origin()].suite, Suite::Bird);
    let dir = golden_export(&lab, "export-mixed-ring-4");
    let text = std::fs::read_to_string(dir.0.join("export/mixed-ring-4.clab.yml")).unwrap();
    let topo: ClabFile = serde_yaml_ng::from_str(&text).unwrap();
    let images: Vec<(&str, &str)> = topo
        .topology
        .nodes
        .0
        .iter()
        .map(|(n, node)| (n.as_str(), node.image.as_str()))
        .collect();
    // The origin's node first.
    assert_eq!(
        images,
        [
            ("router-1", BIRD_IMAGE),
            ("router-0", IMAGE),
            ("router-2", IMAGE),
            ("router-3", BIRD_IMAGE)
        ]
    );
}

/// Dual stack with FRR and BIRD alternating: every FRR node's frr.conf has both addresses
/// per interface (`ip address`, `ipv6 address`) and both sessions per link, every BIRD node's
/// exec sets both addresses and its bird.conf runs both sessions (checked by `check_export`,
/// and by vtysh -C / bird -p); the origin holds both stubs.
#[test]
fn dual_mixed_chain_golden_export() {
    let lab = export_lab("export-chain-6-mixed-dual");
    assert_eq!(lab.family, Addressing::Dual);
    let dir = golden_export(&lab, "export-chain-6-mixed-dual");
    let r0 = std::fs::read_to_string(dir.0.join("export/router-0/frr.conf")).unwrap();
    assert!(
        r0.contains(" ip address 198.51.100.1/24\n ipv6 address 2001:db8:100::1/48\n"),
        "{r0}"
    );
    assert!(
        r0.contains("address-family ipv6 unicast\n") && r0.contains("ipv6 forwarding\n"),
        "{r0}"
    );
    let b1 = std::fs::read_to_string(dir.0.join("export/router-1/bird.conf")).unwrap();
    assert!(b1.contains("protocol bgp bgp0_6 from chain6"), "{b1}");
}

/// IPv6-only labs of either suite (a BIRD ring, an FRR chain): no IPv4 address anywhere in
/// the export, IPv6 sessions only.
#[test]
fn ipv6_only_exports_of_both_suites() {
    for file in ["configs/ring-8-bird-v6.toml", "configs/chain-3-v6.toml"] {
        let lab = config::load(&root().join(file), &Overrides::default()).unwrap();
        let files = export::build(&lab, IMAGE, BIRD_IMAGE).unwrap();
        let dir = tempdir("cl6");
        export::write(&dir.0.join("e"), &files).unwrap();
        check_export(&lab, &dir.0.join("e"));
        for (path, text) in &files[1..] {
            assert!(
                !text.contains("172.31.") && !text.contains("198.51.100."),
                "{}: {text}",
                path.display()
            );
            assert!(
                !text.contains("\n  ipv4;") && !text.contains(" ip address "),
                "{}: {text}",
                path.display()
            );
        }
    }
}

/// A one-router lab has no links: still a valid topology (no empty `links`), and its import
/// gives back one router.
#[test]
fn single_router_export() {
    let lab = lab_from("name = \"solo\"\nrouters = 1\n");
    let files = export::build(&lab, IMAGE, BIRD_IMAGE).unwrap();
    let dir = tempdir("cl1");
    export::write(&dir.0.join("e"), &files).unwrap();
    check_export(&lab, &dir.0.join("e"));
    let back = lab_from(
        &import::import("s", &files[0].1, &import::Options::default())
            .unwrap()
            .toml,
    );
    assert_eq!(back.routers.len(), 1);
}

/// Export → import gives back the same graph: routers, links, AS numbers and origin, as
/// nsbgp's own validation of the imported file resolves them.
#[test]
fn round_trip_keeps_the_graph() {
    for text in [
        "name = \"rt\"\nrouters = 3\n",
        "name = \"rt\"\nrouters = 12\nrouter_prefix = \"R\"\nfirst_asn = 65001\nlast_asn = 65100\n",
        "name = \"rt\"\nrouters = 6\n[topology]\nshape = \"ring\"\norigin = \"ROUTER_3\"\n",
        "name = \"rt\"\nrouters = 7\n[topology]\nshape = \"tree\"\nfanout = 2\n",
        "name = \"rt\"\nrouters = 9\n[topology]\nshape = \"grid\"\nrows = 3\ncols = 3\norigin = 4\n",
        "name = \"rt\"\nrouters = 5\n[topology]\nshape = \"file\"\norigin = \"ROUTER_2\"\n\
         [[topology.link]]\na = 0\nb = 4\n[[topology.link]]\na = 4\nb = 2\n\
         [[topology.link]]\na = 2\nb = 1\n[[topology.link]]\na = 1\nb = 3\n[[topology.link]]\na = 3\nb = 4\n",
        // BIRD nodes (ghcr.io/srl-labs/bird) come back as BIRD routers, in a mixed lab and
        // in a lab of BIRD alone.
        "name = \"rt\"\nrouters = 6\n[topology]\nshape = \"ring\"\norigin = \"ROUTER_1\"\n\
         [[router]]\nindex = 1\nsuite = \"bird\"\n[[router]]\nindex = 4\nsuite = \"bird\"\n",
        "name = \"rt\"\nrouters = 4\n[daemons]\nsuite = \"bird\"\n",
        // The family comes back from the nodes' nsbgp-family labels: dual (mixed suites) and
        // IPv6 only.
        "name = \"rt\"\nrouters = 6\n[addressing]\nfamily = \"dual\"\n[[router]]\nindex = 1\nsuite = \"bird\"\n",
        "name = \"rt\"\nrouters = 5\n[topology]\nshape = \"ring\"\n[daemons]\nsuite = \"bird\"\n[addressing]\nfamily = \"ipv6\"\n",
    ] {
        let lab = lab_from(text);
        let files = export::build(&lab, IMAGE, BIRD_IMAGE).unwrap();
        let imported = import::import("rt.clab.yml", &files[0].1, &import::Options::default()).unwrap();
        assert!(
            imported
                .warnings
                .iter()
                .all(|w| w.contains("image") || w.contains("binds, exec") || w.contains("interface names")),
            "{:?}",
            imported.warnings
        );
        let back = lab_from(&imported.toml);
        assert_eq!(back.name, lab.name);
        assert_eq!(back.family, lab.family, "{text}");
        // An address in every family on every link (nsbgp's plan: a file lab's links are /30s).
        let nets = lab.family.families().len();
        assert!(back.links.iter().all(|l| l.nets.len() == nets), "{text}");
        assert_eq!(back.routers.len(), lab.routers.len(), "{text}");
        for (a, b) in lab.routers.iter().zip(&back.routers) {
            assert_eq!(
                b.name,
                export::node_name(&a.name).unwrap(),
                "routers keep their node names"
            );
            assert_eq!(a.asn, b.asn, "{text}");
            assert_eq!(a.suite, b.suite, "{text}: BIRD nodes come back as BIRD routers");
        }
        let pairs = |l: &Lab| -> BTreeSet<(usize, usize)> {
            l.graph.links().iter().map(|&(a, b)| (a.min(b), a.max(b))).collect()
        };
        assert_eq!(pairs(&back), pairs(&lab), "{text}");
        assert_eq!(back.origin(), lab.origin(), "{text}");
        // And so the same distances from the origin: the same hop counts.
        for r in 0..lab.routers.len() {
            assert_eq!(back.graph.distance(r), lab.graph.distance(r));
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Every bad input is exit 2 with a message, and no file is written.
#[test]
fn bad_imports_exit_2_and_write_nothing() {
    let d = tempdir("cli");
    let nodes = "name: x\ntopology:\n  nodes:\n    a: {kind: linux, image: quay.io/frrouting/frr:8.4.2}\n    b: {kind: linux, image: quay.io/frrouting/frr:8.4.2}\n    c: {kind: linux, image: quay.io/frrouting/frr:8.4.2}\n  links:\n";
    let cases = [
        (
            "malformed",
            "name: x\ntopology: {nodes: [\n".to_string(),
            "not a containerlab topology",
        ),
        (
            "unknown",
            format!("{nodes}    - endpoints: [\"a:eth1\", \"b:eth1\"]\n    - endpoints: [\"b:eth2\", \"q:eth1\"]\n"),
            "\"q\" is not in topology.nodes",
        ),
        (
            "unmappable",
            "name: x\ntopology:\n  nodes:\n    \"r/1\": {kind: srl}\n".to_string(),
            "node \"r/1\": not a name containerlab gives a container",
        ),
        (
            "disconnected",
            format!(
                "{}    d: {{kind: srl}}\n  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\"]\n    - endpoints: [\"c:eth1\", \"d:eth1\"]\n",
                nodes.trim_end_matches("  links:\n")
            ),
            "c, d cannot be reached from a",
        ),
    ];
    for (tag, yaml, msg) in cases {
        let input = write(&d.0, &format!("{tag}.clab.yml"), &yaml);
        let out = d.0.join(format!("{tag}.toml"));
        let o = nsbgp(&["import", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{tag}: {}", text(&o));
        assert!(text(&o).contains(msg), "{tag}: {}", text(&o));
        assert!(!out.exists(), "{tag}: a file was written");
    }
    // An existing lab file is never replaced.
    let good = write(
        &d.0,
        "good.clab.yml",
        &format!("{nodes}    - endpoints: [\"a:eth1\", \"b:eth1\"]\n    - endpoints: [\"b:eth2\", \"c:eth1\"]\n"),
    );
    let existing = write(&d.0, "existing.toml", "keep me\n");
    let o = nsbgp(&["import", good.to_str().unwrap(), "-o", existing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me\n");
    let fresh = d.0.join("fresh.toml");
    let o = nsbgp(&[
        "import",
        good.to_str().unwrap(),
        "-o",
        fresh.to_str().unwrap(),
        "--origin",
        "c",
    ]);
    assert_ok(&o, "import");
    let v: toml::Value = toml::from_str(&std::fs::read_to_string(&fresh).unwrap()).unwrap();
    assert_eq!(v["topology"]["origin"].as_str(), Some("ROUTER_2"));
}

#[test]
fn export_refuses_an_existing_directory() {
    let d = tempdir("cle");
    let cfg = root().join("configs/chain-3.toml");
    let out = d.0.join("x");
    let args = |o: &Path| {
        vec![
            "export".to_string(),
            "-c".into(),
            cfg.to_str().unwrap().into(),
            "--format".into(),
            "containerlab".into(),
            "-o".into(),
            o.to_str().unwrap().into(),
        ]
    };
    let a = args(&out);
    let o = nsbgp(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_ok(&o, "export");
    assert!(out.join("chain-3.clab.yml").is_file() && out.join("router-2/frr.conf").is_file());
    let before = std::fs::read_to_string(out.join("chain-3.clab.yml")).unwrap();
    let o = nsbgp(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(out.join("chain-3.clab.yml")).unwrap(), before);
    // The image follows the host's FRR major version (8.4.4 here) unless --image says otherwise.
    let out2 = d.0.join("y");
    let mut a = args(&out2);
    a.extend(["--image".into(), "example.org/frr:1".into()]);
    assert_ok(
        &nsbgp(&a.iter().map(String::as_str).collect::<Vec<_>>()),
        "export --image",
    );
    assert!(std::fs::read_to_string(out2.join("chain-3.clab.yml"))
        .unwrap()
        .contains("image: example.org/frr:1"));
}

#[test]
fn completions_and_man_page() {
    for (shell, marker) in [
        ("bash", "_nsbgp()"),
        ("zsh", "#compdef nsbgp"),
        ("fish", "complete -c nsbgp"),
    ] {
        let o = nsbgp(&["completions", shell]);
        assert_ok(&o, shell);
        let s = stdout(&o);
        assert!(
            s.contains(marker) && s.contains("export") && s.contains("import"),
            "{shell}"
        );
    }
    let o = nsbgp(&["man"]);
    assert_ok(&o, "man");
    let s = stdout(&o);
    assert!(
        s.starts_with(".ie") || s.contains(".TH nsbgp 1"),
        "{}",
        &s[..s.len().min(200)]
    );
    assert!(s.contains("export") && s.contains("completions"));
    let d = tempdir("clm");
    assert_ok(&nsbgp(&["man", "-o", d.0.to_str().unwrap()]), "man -o");
    for page in ["nsbgp.1", "nsbgp-up.1", "nsbgp-export.1", "nsbgp-import.1"] {
        assert!(d.0.join(page).is_file(), "{page}");
    }
}

/// A hand-written containerlab diamond with a host hanging off the far router: imported,
/// brought up, converged, traced (far router → world = 2 hops) and taken down.
#[test]
fn imported_diamond_runs() {
    if !root_or_skip() {
        return;
    }
    // TestLab gives a unique lab name and router prefix and takes the lab down on drop.
    let lab = TestLab::new("clb", 4, "");
    let p = &lab.prefix;
    let yaml = format!(
        "name: diamond\ntopology:\n  kinds:\n    linux:\n      image: quay.io/frrouting/frr:8.4.2\n  nodes:\n    {p}0: {{kind: linux}}\n    {p}1: {{kind: linux}}\n    {p}2: {{kind: linux}}\n    {p}3: {{kind: linux}}\n    pc1:\n      kind: linux\n      image: wbitt/network-multitool:alpine-minimal\n  links:\n    - endpoints: [\"{p}0:eth1\", \"{p}1:eth1\"]\n    - endpoints: [\"{p}0:eth2\", \"{p}2:eth1\"]\n    - endpoints: [\"{p}1:eth2\", \"{p}3:eth1\"]\n    - endpoints: [\"{p}2:eth2\", \"{p}3:eth2\"]\n    - endpoints: [\"{p}3:eth3\", \"pc1:eth1\"]\n"
    );
    let d = tempdir("cld");
    let input = write(&d.0, "diamond.clab.yml", &yaml);
    let labfile = d.0.join("diamond.toml");
    let o = nsbgp(&[
        "import",
        input.to_str().unwrap(),
        "-o",
        labfile.to_str().unwrap(),
        "--name",
        &lab.name,
    ]);
    assert_ok(&o, "import");
    let t = text(&o);
    assert!(
        t.contains("node pc1 (kind linux, image wbitt/network-multitool:alpine-minimal) is not a router: skipped"),
        "{t}"
    );
    assert!(t.contains("pc1 is not a router: skipped"), "{t}");

    let o = nsbgp(&["up", "-c", labfile.to_str().unwrap(), "--wait", "--timeout", "120"]);
    assert_ok(&o, "up --wait");
    let far = lab.router(3);
    let o = nsbgp(&[
        "trace",
        "--lab",
        &lab.name,
        "--from",
        &far,
        "--to",
        "world",
        "--expect-hops",
        "2",
        "--json",
    ]);
    assert_ok(&o, "trace");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["hop_count"], 2, "{v}");
    assert!(wait_for(Duration::from_secs(30), || (established(&lab, &far) == 2).then_some(())).is_some());
    assert_ok(&nsbgp(&["down", "--lab", &lab.name]), "down");
    lab.assert_clean();
}

/// The vendored schema does reject what containerlab rejects (so a pass above means something).
#[test]
fn schema_rejects_invalid_topologies() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/containerlab/clab.schema.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let ok = serde_json::json!({"name": "x", "topology": {"nodes": {"a": {"kind": "linux", "binds": ["f:/etc/frr/frr.conf"]}},
        "links": [{"endpoints": ["a:eth1", "b:eth1"]}]}});
    assert!(v.is_valid(&ok));
    for bad in [
        serde_json::json!({"topology": {"nodes": {}}}),
        serde_json::json!({"name": "x", "topology": {"nodes": {"a": {"kind": "frobnicate"}}}}),
        serde_json::json!({"name": "x", "topology": {"nodes": {"a": {"knid": "linux"}}}}),
        serde_json::json!({"name": "x", "topology": {"nodes": {"a": {"binds": []}}}}),
        serde_json::json!({"name": "x", "topology": {"nodes": {}, "links": [{"endpoints": ["a-eth1", "b:eth1"]}]}}),
        serde_json::json!({"name": "x", "topology": {"nodes": {}}, "extra": 1}),
    ] {
        assert!(!v.is_valid(&bad), "{bad}");
    }
}

/// What containerlab does with an export, done with plain tools (containerlab itself is not
/// installed here): one network namespace per node, a veth pair per link with the export's
/// interface names, a management network, the daemons started from the node's bound files,
/// then the node's `exec` commands. FRR: zebra and bgpd started with no config and the bound
/// `frr.conf` loaded the way FRR's container start-up does (`vtysh -b`). BIRD: `bird -c` on
/// the bound `bird.conf`, as the BIRD image's entrypoint does (with a control socket in a
/// temporary directory). Everything is removed on drop, also when the test fails.
struct Emulated {
    netns: Vec<String>,
    pidfiles: Vec<PathBuf>,
    _dir: TempDir,
}

impl Drop for Emulated {
    fn drop(&mut self) {
        for p in &self.pidfiles {
            let Some(pid) = std::fs::read_to_string(p)
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
            else {
                continue;
            };
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if matches!(comm.trim(), "zebra" | "bgpd" | "bird") {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
                // Gone, or a zombie waiting for this machine's init to reap it.
                wait_for(Duration::from_secs(5), || {
                    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                    (stat.is_empty() || stat.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z'))).then_some(())
                });
            }
        }
        for ns in &self.netns {
            let _ = sh("ip", &["netns", "del", ns]);
        }
    }
}

fn ok_sh(cmd: &str, args: &[&str]) -> std::process::Output {
    let o = sh(cmd, args);
    assert!(o.status.success(), "{cmd} {args:?}: {}", text(&o));
    o
}

#[test]
fn exported_ring_6_converges_as_containerlab_would_run_it() {
    if !root_or_skip() {
        return;
    }
    let lab = lab_from("name = \"ring-6\"\nrouters = 6\n[topology]\nshape = \"ring\"\n");
    run_like_containerlab(&lab, "clr");
}

/// FRR and BIRD alternating on a ring, the default from a BIRD router (ROUTER_1): every
/// router learns it over a lab link with an AS path as long as its distance (1, 2 or 3), and
/// neither suite peers or announces anything on the management network.
#[test]
fn exported_mixed_ring_6_converges_as_containerlab_would_run_it() {
    if !root_or_skip() {
        return;
    }
    let lab = lab_from(
        "name = \"mixed-ring-6\"\nrouters = 6\n[topology]\nshape = \"ring\"\norigin = \"ROUTER_1\"\n\
         [[router]]\nindex = 1\nsuite = \"bird\"\n[[router]]\nindex = 3\nsuite = \"bird\"\n\
         [[router]]\nindex = 5\nsuite = \"bird\"\n",
    );
    assert_eq!(lab.graph.distance(4), 3);
    run_like_containerlab(&lab, "clm");
}

/// Dual stack, FRR and BIRD alternating: the export as containerlab would run it gives every
/// router both defaults with AS paths as long as its distance, over one session per family
/// per link, and the farthest router traces both worlds in as many hops.
#[test]
fn exported_dual_mixed_chain_converges_as_containerlab_would_run_it() {
    if !root_or_skip() {
        return;
    }
    let lab = config::load(&root().join("configs/chain-6-mixed-dual.toml"), &Overrides::default()).unwrap();
    run_like_containerlab(&lab, "cld");
}

/// IPv6 only, BIRD on a ring: the same with IPv6 alone.
#[test]
fn exported_ipv6_bird_ring_converges_as_containerlab_would_run_it() {
    if !root_or_skip() {
        return;
    }
    let lab = config::load(&root().join("configs/ring-8-bird-v6.toml"), &Overrides::default()).unwrap();
    run_like_containerlab(&lab, "cl6");
}

/// Exports `lab`, runs the export the way containerlab would (see `Emulated`) and checks
/// that the lab's routes and hop counts hold and the management network is no second path.
fn run_like_containerlab(lab: &Lab, tag: &str) {
    let dir = tempdir(tag);
    let exp = dir.0.join("export");
    export::write(&exp, &export::build(lab, IMAGE, BIRD_IMAGE).unwrap()).unwrap();
    let topo: ClabFile =
        serde_yaml_ng::from_str(&std::fs::read_to_string(exp.join(export::topology_file_name(lab))).unwrap()).unwrap();
    let tag = format!("{tag}{}", std::process::id());
    let ns = |node: &str| format!("{tag}-{node}");
    let index = |node: &str| -> usize { node.strip_prefix("router-").unwrap().parse().unwrap() };
    let suite = |node: &str| lab.routers[index(node)].suite;
    let frr = nix::unistd::User::from_name("frr")
        .unwrap()
        .expect("the frr user exists");
    let mut emu = Emulated {
        netns: Vec::new(),
        pidfiles: Vec::new(),
        _dir: dir,
    };
    let root_dir = emu._dir.0.clone();
    let run_dir = |node: &str| root_dir.join(format!("run-{node}"));
    for (node, _) in &topo.topology.nodes.0 {
        ok_sh("ip", &["netns", "add", &ns(node)]);
        emu.netns.push(ns(node));
        ok_sh("ip", &["-n", &ns(node), "link", "set", "lo", "up"]);
    }
    // containerlab's management network, as Docker builds it: a bridge (172.20.20.1/24), an
    // eth0 per node on it, and a default route through it.
    let mgmt = format!("{tag}-mgmt");
    ok_sh("ip", &["netns", "add", &mgmt]);
    emu.netns.push(mgmt.clone());
    ok_sh("ip", &["-n", &mgmt, "link", "add", "br0", "type", "bridge"]);
    ok_sh("ip", &["-n", &mgmt, "addr", "add", "172.20.20.1/24", "dev", "br0"]);
    ok_sh("ip", &["-n", &mgmt, "link", "set", "br0", "up"]);
    for (k, (node, _)) in topo.topology.nodes.0.iter().enumerate() {
        let port = format!("m{k}");
        ok_sh(
            "ip",
            &[
                "-n",
                &ns(node),
                "link",
                "add",
                "eth0",
                "type",
                "veth",
                "peer",
                "name",
                &port,
                "netns",
                &mgmt,
            ],
        );
        ok_sh("ip", &["-n", &mgmt, "link", "set", &port, "master", "br0", "up"]);
        ok_sh(
            "ip",
            &[
                "-n",
                &ns(node),
                "addr",
                "add",
                &format!("172.20.20.{}/24", k + 2),
                "dev",
                "eth0",
            ],
        );
        ok_sh("ip", &["-n", &ns(node), "link", "set", "eth0", "up"]);
        ok_sh(
            "ip",
            &["-n", &ns(node), "route", "add", "default", "via", "172.20.20.1"],
        );
    }
    for l in &topo.topology.links {
        let (a, ia) = l.endpoints[0].split_once(':').unwrap();
        let (b, ib) = l.endpoints[1].split_once(':').unwrap();
        let (na, nb) = (ns(a), ns(b));
        ok_sh(
            "ip",
            &[
                "-n", &na, "link", "add", ia, "type", "veth", "peer", "name", ib, "netns", &nb,
            ],
        );
        ok_sh("ip", &["-n", &na, "link", "set", ia, "up"]);
        ok_sh("ip", &["-n", &nb, "link", "set", ib, "up"]);
    }
    for (node, n) in &topo.topology.nodes.0 {
        let run = run_dir(node);
        let cfg = root_dir.join(format!("etc-{node}"));
        std::fs::create_dir_all(&run).unwrap();
        std::fs::create_dir_all(&cfg).unwrap();
        let r = run.to_str().unwrap();
        // The binds: the node's files as the container sees them.
        let bound = |target: &str| -> PathBuf {
            let (src, _) = n
                .binds
                .iter()
                .find_map(|b| b.split_once(':').filter(|(_, t)| *t == target))
                .unwrap_or_else(|| panic!("{node} binds nothing to {target}: {:?}", n.binds));
            exp.join(src)
        };
        match suite(node) {
            Suite::Frr => {
                nix::unistd::chown(&run, Some(frr.uid), Some(frr.gid)).unwrap();
                std::fs::write(run.join("empty.conf"), "").unwrap();
                std::fs::write(cfg.join("vtysh.conf"), "").unwrap();
                std::fs::copy(bound("/etc/frr/frr.conf"), cfg.join("frr.conf")).unwrap();
                for d in ["zebra", "bgpd"] {
                    let pid = format!("{r}/{d}.pid");
                    emu.pidfiles.push(PathBuf::from(&pid));
                    ok_sh(
                        "ip",
                        &[
                            "netns",
                            "exec",
                            &ns(node),
                            &format!("/usr/lib/frr/{d}"),
                            "-d",
                            "-A",
                            "127.0.0.1",
                            "--vty_socket",
                            r,
                            "-z",
                            &format!("{r}/zserv.api"),
                            "-i",
                            &pid,
                            "-f",
                            &format!("{r}/empty.conf"),
                            "--log",
                            &format!("file:{r}/{d}.log"),
                        ],
                    );
                }
                let o = ok_sh(
                    "ip",
                    &[
                        "netns",
                        "exec",
                        &ns(node),
                        "vtysh",
                        "--vty_socket",
                        r,
                        "--config_dir",
                        cfg.to_str().unwrap(),
                        "-b",
                    ],
                );
                assert!(!text(&o).contains("Unknown command"), "{node}: {}", text(&o));
            }
            Suite::Bird => {
                // The image's entrypoint is `bird -c /etc/bird.conf -d`; here BIRD forks
                // into the background (same config, root as in the container) so that its
                // pid file lets the test stop it.
                let pid = format!("{r}/bird.pid");
                emu.pidfiles.push(PathBuf::from(&pid));
                let conf = bound("/etc/bird.conf");
                ok_sh(
                    "ip",
                    &[
                        "netns",
                        "exec",
                        &ns(node),
                        "/usr/sbin/bird",
                        "-c",
                        conf.to_str().unwrap(),
                        "-s",
                        &format!("{r}/bird.ctl"),
                        "-P",
                        &pid,
                    ],
                );
            }
        }
    }
    // containerlab runs each node's `exec` commands once it has started (for BIRD nodes:
    // after BIRD, which then finds its addresses appear).
    for (node, n) in &topo.topology.nodes.0 {
        for cmd in &n.exec {
            let name = ns(node);
            let mut args = vec!["netns", "exec", &name];
            args.extend(cmd.split_whitespace());
            ok_sh("ip", &args);
        }
    }

    let vtysh_json = |node: &str, cmd: &str| -> serde_json::Value {
        let o = sh(
            "ip",
            &[
                "netns",
                "exec",
                &ns(node),
                "vtysh",
                "--vty_socket",
                run_dir(node).to_str().unwrap(),
                "-c",
                cmd,
            ],
        );
        serde_json::from_slice(&o.stdout).unwrap_or_default()
    };
    let birdc = |node: &str, cmd: &str| -> String {
        let sock = run_dir(node).join("bird.ctl");
        let mut args = vec!["-s", sock.to_str().unwrap()];
        args.extend(cmd.split_whitespace());
        stdout(&sh("birdc", &args))
    };
    // Every router but the origin has the default route of every family from BGP with an AS
    // path as long as its distance from the origin, learned over a lab link.
    for (node, _) in &topo.topology.nodes.0 {
        let r = index(node);
        if r == lab.origin() {
            continue;
        }
        let want = lab.graph.distance(r) as u64;
        for &f in lab.family.families() {
            let d = f.default_route();
            let got = wait_for(Duration::from_secs(60), || {
                let len = match suite(node) {
                    Suite::Frr => {
                        let v = vtysh_json(node, &format!("show bgp {} {d} json", f.frr_afi()));
                        let best = v["paths"]
                            .as_array()?
                            .iter()
                            .find(|p| p["bestpath"]["overall"] == true)?
                            .clone();
                        best["aspath"]["length"].as_u64()?
                    }
                    Suite::Bird => {
                        // The best route only; `BGP.as_path: 102 101` lists its ASNs.
                        let out = birdc(node, &format!("show route {d} primary all"));
                        let via = out.lines().find(|l| l.trim_start().starts_with("via "))?;
                        assert!(!via.contains("eth0"), "{node}: {out}");
                        let path = out.lines().find_map(|l| l.trim().strip_prefix("BGP.as_path:"))?;
                        path.split_whitespace().count() as u64
                    }
                };
                (len == want).then_some(len)
            });
            assert_eq!(got, Some(want), "{node}: {d}'s AS path");
        }
    }
    let families = lab.family.families().len();
    let lab_addr = |a: &str| a.starts_with("172.31.") || a.starts_with("2001:db8:31:");
    // The management network is no second path: the kernel's default route is the lab's
    // (from BGP, over a lab link), BGP runs on lab links only and nothing of 172.20.20.0/24
    // is announced or even in the BGP tables.
    for (node, _) in &topo.topology.nodes.0 {
        let r = index(node);
        let links = lab.routers[r].interfaces.len();
        match suite(node) {
            Suite::Frr => {
                // One session per family per link, each between the link's addresses.
                for &f in lab.family.families() {
                    let peers = vtysh_json(node, &format!("show bgp {} summary json", f.frr_afi()));
                    let peers = peers["peers"].as_object().cloned().unwrap_or_default();
                    assert_eq!(peers.len(), links, "{node} {f}");
                    assert!(
                        peers.keys().all(|a| lab_addr(a) && Family::of(a.parse().unwrap()) == f),
                        "{node}: {peers:?}"
                    );
                }
                let table = vtysh_json(node, &format!("show bgp {} json", lab.family.families()[0].frr_afi()));
                let prefixes: Vec<&String> = table["routes"]
                    .as_object()
                    .map(|m| m.keys().collect())
                    .unwrap_or_default();
                assert!(
                    !prefixes.is_empty() && prefixes.iter().all(|p| !p.starts_with("172.20.")),
                    "{node}: {prefixes:?}"
                );
            }
            Suite::Bird => {
                let protos = birdc(node, "show protocols all");
                let neighbours: Vec<&str> = protos
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("Neighbor address:"))
                    .map(str::trim)
                    .collect();
                assert_eq!(neighbours.len(), links * families, "{node}: {protos}");
                assert!(neighbours.iter().all(|a| lab_addr(a)), "{node}: {neighbours:?}");
                let established = protos
                    .lines()
                    .filter(|l| l.starts_with("bgp") && l.contains("Established"))
                    .count();
                assert_eq!(established, links * families, "{node}: {protos}");
                // BIRD's whole table (direct, static and BGP routes) and what it exports to
                // each peer: nothing of the management network.
                let table = birdc(node, "show route");
                let first = lab.family.families()[0].default_route().to_string();
                assert!(
                    table.contains(&first) && !table.contains("172.20.") && !table.contains("3fff:172:20:20"),
                    "{node}: {table}"
                );
                for i in &lab.routers[r].interfaces {
                    for &f in lab.family.families() {
                        let proto = match f {
                            Family::Ipv4 => format!("bgp{}", i.peer_index),
                            Family::Ipv6 => format!("bgp{}_6", i.peer_index),
                        };
                        let out = birdc(node, &format!("show route export {proto}"));
                        assert!(
                            (out.contains("172.31.") || out.contains("2001:db8:31:")) && !out.contains("172.20."),
                            "{node} → {proto}: {out}"
                        );
                    }
                }
            }
        }
        // Independent of either suite: no BGP connection towards the management network.
        let o = ok_sh("ip", &["netns", "exec", &ns(node), "ss", "-tn"]);
        let conns = stdout(&o);
        assert!(
            conns.lines().any(|l| l.contains(":179")) && !conns.contains("172.20.20."),
            "{node}: {conns}"
        );
        for f in lab.family.families().iter().filter(|_| r != lab.origin()) {
            let o = ok_sh("ip", &["-n", &ns(node), f.flag(), "route", "show", "default"]);
            let route = stdout(&o);
            let proto = match suite(node) {
                Suite::Frr => "proto bgp",
                Suite::Bird => "proto bird",
            };
            assert!(
                route.contains(proto) && !route.contains("eth0") && route.lines().count() == 1,
                "{node}: {route}"
            );
        }
    }
    // The farthest router traces the world (in every family) in as many hops as it is far
    // from the origin.
    let far = (0..lab.routers.len()).max_by_key(|&r| lab.graph.distance(r)).unwrap();
    let far_node = export::node_name(&lab.routers[far].name).unwrap();
    for s in &lab.stubs {
        let world = s.addr.to_string();
        let o = ok_sh(
            "ip",
            &[
                "netns",
                "exec",
                &ns(&far_node),
                "traceroute",
                Family::of(s.addr).flag(),
                "-n",
                "-q",
                "1",
                "-w",
                "2",
                "-m",
                "8",
                &world,
            ],
        );
        let out = stdout(&o);
        let hops: Vec<&str> = out.lines().skip(1).collect();
        assert_eq!(hops.len() as u32, lab.graph.distance(far), "{out}");
        assert!(hops.last().unwrap().contains(&world), "{out}");
    }
    drop(emu);
    let left = String::from_utf8_lossy(&sh("ip", &["netns", "list"]).stdout).into_owned();
    assert!(!left.contains(&tag), "namespaces left: {left}");
}
