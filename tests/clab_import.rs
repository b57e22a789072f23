//! `nsbgp import` on the containerlab files of tests/fixtures/containerlab/import/ (one per
//! defect of issue 23, written in containerlab's syntax): the real binary, its exit code,
//! its message, and the lab it wrote as nsbgp's own validator reads it.

mod common;
use common::*;
use nsbgp::config::{self, Lab, Overrides, Suite};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/containerlab/import")
        .join(name)
}

/// `nsbgp import FIXTURE -o OUT ARGS…` with `env` set (and the fixtures' variables unset
/// otherwise, so the caller's environment cannot change the result).
fn import(dir: &TempDir, name: &str, args: &[&str], env: &[(&str, &str)]) -> (Output, PathBuf) {
    let out = dir.0.join(format!("{}-{}.toml", name, args.len() + env.len()));
    let mut c = Command::new(NSBGP);
    c.args(["import", fixture(name).to_str().unwrap(), "-o", out.to_str().unwrap()])
        .args(args);
    for v in ["LAB_NAME", "FRR_IMAGE", "PC_KIND"] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    (run(&mut c, NSBGP_LIMIT), out)
}

fn ok(o: &Output, out: &Path) -> Lab {
    assert_eq!(o.status.code(), Some(0), "{}", text(o));
    config::load(out, &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}\n{}", std::fs::read_to_string(out).unwrap()))
}

fn refused(o: &Output, out: &Path) -> String {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    assert!(!out.exists(), "a file was written");
    let t = text(o);
    assert!(
        !t.contains("panicked") && !t.contains("untagged") && !t.contains("variant"),
        "{t}"
    );
    t
}

fn names(l: &Lab) -> Vec<&str> {
    l.routers.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn merge_keys_make_routers() {
    let d = tempdir("cim");
    let (o, out) = import(&d, "merge-keys.clab.yml", &[], &[]);
    let l = ok(&o, &out);
    assert_eq!((l.routers.len(), l.graph.links()), (3, &[(0, 1), (1, 2)][..]));
    assert!(stdout(&o).contains("3 routers, 2 links"), "{}", text(&o));
}

#[test]
fn default_and_kind_groups_are_inherited() {
    let d = tempdir("cig");
    let (o, out) = import(&d, "groups.clab.yml", &[], &[]);
    let l = ok(&o, &out);
    assert_eq!(l.routers.len(), 3);
    let t = text(&o);
    assert!(
        t.contains("node pc1 (kind linux, image alpine:3.20) is not a router"),
        "{t}"
    );
    assert!(
        t.contains("image quay.io/frrouting/frr:9.1.3 of r1, r2, r3 not used"),
        "{t}"
    );
}

#[test]
fn environment_variables_expand_as_containerlab_does() {
    let d = tempdir("cie");
    let (o, out) = import(&d, "env.clab.yml", &[], &[]);
    let l = ok(&o, &out);
    assert_eq!((l.name.as_str(), l.routers.len()), ("envlab", 2));
    assert!(text(&o).contains("node pc1 (kind linux, image alpine:3.20) is not a router"));
    // Set, the variables win over the defaults.
    let (o, out) = import(&d, "env.clab.yml", &[], &[("LAB_NAME", "lnenv"), ("PC_KIND", "srl")]);
    let l = ok(&o, &out);
    assert_eq!((l.name.as_str(), l.routers.len()), ("lnenv", 3));
}

#[test]
fn a_byte_order_mark_is_not_a_second_document() {
    let d = tempdir("cib");
    assert!(std::fs::read(fixture("bom.clab.yml"))
        .unwrap()
        .starts_with(b"\xef\xbb\xbf"));
    let (o, out) = import(&d, "bom.clab.yml", &[], &[]);
    assert_eq!(ok(&o, &out).routers.len(), 2);
}

#[test]
fn unrecognised_images_are_refused_with_the_way_out() {
    let d = tempdir("cic");
    let (o, out) = import(&d, "custom-images.clab.yml", &[], &[]);
    let t = refused(&o, &out);
    assert!(t.contains("no router nodes"), "{t}");
    for w in [
        "node edge1 (kind linux, image registry.example.com/acme/edge-router:1.2) is not a router: skipped (--router NODE makes it one)",
        "node edge2 (kind linux, image registry.example.com/acme/edge-b:2.15) is not a router",
        "Fix: name the nodes that route with --router NODE",
    ] {
        assert!(t.contains(w), "missing {w:?} in {t}");
    }
    let (o, out) = import(
        &d,
        "custom-images.clab.yml",
        &["--router", "edge1", "--router", "edge2"],
        &[],
    );
    let l = ok(&o, &out);
    assert_eq!((l.routers.len(), l.graph.links()), (2, &[(0, 1)][..]));
    assert!(l.routers.iter().all(|r| r.suite == Suite::Frr));
    // A node that is not in the file is said so.
    let (o, out) = import(&d, "custom-images.clab.yml", &["--router", "edge9"], &[]);
    assert!(refused(&o, &out).contains("--router/--skip \"edge9\" is not a node of the topology"));
}

#[test]
fn disconnected_routers_are_refused_with_the_warnings_and_skip() {
    let d = tempdir("cid");
    let (o, out) = import(&d, "disconnected.clab.yml", &[], &[]);
    let t = refused(&o, &out);
    for w in [
        "the routers are not connected: r3, r4 cannot be reached from r1",
        "what the import skipped or does not carry over:",
        "- node pc1 (kind linux, image alpine:3.20) is not a router",
        "- link 3 (r2:eth2 — pc1:eth1): pc1 is not a router: skipped",
        "--skip NODE",
    ] {
        assert!(t.contains(w), "missing {w:?} in {t}");
    }
    let (o, out) = import(&d, "disconnected.clab.yml", &["--skip", "r3", "--skip", "r4"], &[]);
    assert_eq!(names(&ok(&o, &out)), ["ROUTER_0", "ROUTER_1"]);
    assert!(text(&o).contains("node r3 (kind linux, image quay.io/frrouting/frr:8.4.2): skipped (--skip)"));
}

#[test]
fn sidecars_switches_generators_and_build_hosts_are_not_routers() {
    let d = tempdir("cin");
    let (o, out) = import(&d, "not-routers.clab.yml", &[], &[]);
    let l = ok(&o, &out);
    let t = text(&o);
    for w in [
        "node r1-exporter (kind linux, image quay.io/frrouting/frr-exporter:1.2): shares the network namespace of r1",
        "node sr1-lc1 (kind nokia_srsim, image nokia_srsim:25.3.R1): shares the network namespace of sr1",
        "node sw1 (kind cisco_iol, image vrnetlab/cisco_iol:L2-17.12.01): an L2 switch (type l2), not a router",
        "node stc1 (kind spirent_stc, image spirent/stc:5.47) is not a router",
        "node builder: no link joins it to a router or a bridge: not a router",
        "link 3 (r3:eth2 — r3:eth3): joins node r3 to itself: skipped",
        "node br01|r1: a bridge inside r1's namespace; built as LAN br01",
    ] {
        assert!(t.contains(w), "missing {w:?} in {t}");
    }
    // r1, r2, r3 and the SR-SIM chassis; r2 and r3 meet on the bridge (their link skipped).
    assert_eq!(l.routers.len(), 4);
    assert_eq!(l.graph.links(), [(0, 1), (2, 3)]);
    assert_eq!((l.lans[0].name.as_str(), &l.lans[0].members[..]), ("br01", &[1, 2][..]));
    let toml = std::fs::read_to_string(&out).unwrap();
    assert!(toml.contains("#   sr1 -> ROUTER_3 (AS 103)"), "{toml}");
    // The build host becomes a router when asked (and the lab is then not connected).
    let (o, out) = import(&d, "not-routers.clab.yml", &["--router", "builder"], &[]);
    assert!(refused(&o, &out).contains("builder cannot be reached from r1"));
}

#[test]
fn endpoint_settings_are_reported() {
    let d = tempdir("cip");
    let (o, out) = import(&d, "endpoints.clab.yml", &[], &[]);
    ok(&o, &out);
    let t = text(&o);
    assert!(
        t.contains("link 1 (r1:eth1 — r2:eth1): endpoint r1: ipv4, ipv6, mac, vars not carried over"),
        "{t}"
    );
    assert!(t.contains("endpoint r2: ipv4 not carried over"), "{t}");
    // An IPv6 address on an endpoint makes the lab dual stack (nsbgp's own address plan).
    assert!(
        t.contains("endpoint addresses in IPv4 and IPv6: the lab runs family = \"dual\""),
        "{t}"
    );
    let toml = std::fs::read_to_string(&out).unwrap();
    assert!(toml.contains("\n[addressing]\nfamily = \"dual\"\n"), "{toml}");
    assert!(
        toml.contains("#   - link 1 (r1:eth1 — r2:eth1): endpoint r1: ipv4, ipv6, mac, vars"),
        "{toml}"
    );
}

#[test]
fn a_bad_endpoint_is_said_in_containerlabs_terms() {
    let d = tempdir("cia");
    let (o, out) = import(&d, "bad-endpoint.clab.yml", &[], &[]);
    let t = refused(&o, &out);
    assert!(
        t.contains("an endpoint is \"node:interface\" or a mapping {node: NAME, interface: IFACE}"),
        "{t}"
    );
}

#[test]
fn one_router_no_links_in_good_grammar() {
    let d = tempdir("ci1");
    let (o, out) = import(&d, "one-router.clab.yml", &[], &[]);
    assert_eq!(ok(&o, &out).routers.len(), 1);
    assert!(
        stdout(&o).contains("(lab solo, 1 router, 0 links, origin ROUTER_0)"),
        "{}",
        text(&o)
    );
}

#[test]
fn unusable_label_asns_fall_back_and_say_so() {
    let d = tempdir("cil");
    let (o, out) = import(&d, "asn-labels.clab.yml", &[], &[]);
    let l = ok(&o, &out);
    assert_eq!((l.routers[0].asn, l.routers[1].asn), (100, 101));
    let t = text(&o);
    assert!(
        t.contains("labels nsbgp-asn give AS 4294967295…4294967296, not a usable range (AS numbers are 1–4294967294"),
        "{t}"
    );
}

#[test]
fn a_go_template_gets_a_hint() {
    let d = tempdir("cit");
    let (o, out) = import(&d, "gotemplate.clab.yml", &[], &[]);
    let t = refused(&o, &out);
    assert!(
        t.contains("looks like a Go template") && t.contains("--export-rendered"),
        "{t}"
    );
}

#[test]
fn routers_joined_through_a_bridge_are_one_lab() {
    let d = tempdir("cix");
    let (o, out) = import(&d, "ixp.clab.yml", &[], &[]);
    let l = ok(&o, &out);
    assert!(stdout(&o).contains("5 routers, 1 link, 1 LAN"), "{}", text(&o));
    assert_eq!(
        (l.lans[0].name.as_str(), &l.lans[0].members[..]),
        ("X_1", &[0, 1, 2, 3][..])
    );
    assert_eq!(l.graph.links(), [(3, 4)]);
    assert_eq!(l.graph.distance(4), 2);
    assert_eq!(l.routers[1].suite, Suite::Bird);
    // Exported again, the LAN is a bridge node with one link per member.
    let ex = d.0.join("ex");
    let e = nsbgp(&[
        "export",
        "-c",
        out.to_str().unwrap(),
        "--format",
        "containerlab",
        "-o",
        ex.to_str().unwrap(),
    ]);
    assert_ok(&e, "export");
    let y = std::fs::read_to_string(ex.join("ixp.clab.yml")).unwrap();
    assert!(y.contains("    x-1:\n      kind: bridge\n"), "{y}");
    assert!(
        y.contains("# First: ip link add x-1 type bridge && ip link set x-1 up"),
        "{y}"
    );
    assert_eq!(y.matches("- x-1:x-1-").count(), 4, "{y}");
}

/// A lab with a LAN exports to a topology containerlab's schema accepts, whose configs the
/// suites' own parsers accept, and which imports back to the same routers, link, LAN,
/// suites and AS numbers.
#[test]
fn a_lan_exports_and_comes_back() {
    let d = tempdir("cie");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ex = d.0.join("ex");
    let cfg = root.join("configs/ix-lan-5.toml");
    let e = nsbgp(&[
        "export",
        "-c",
        cfg.to_str().unwrap(),
        "--format",
        "containerlab",
        "-o",
        ex.to_str().unwrap(),
    ]);
    assert_ok(&e, "export");
    let yml = std::fs::read_to_string(ex.join("ix-lan-5.clab.yml")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/fixtures/containerlab/clab.schema.json")).unwrap(),
    )
    .unwrap();
    let instance: serde_json::Value = serde_yaml_ng::from_str(&yml).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&instance).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "not a valid containerlab topology: {errors:?}\n{yml}"
    );
    // router-2 (FRR) has the LAN as eth1 with its address; router-3 (BIRD) sets its two.
    let frr = std::fs::read_to_string(ex.join("router-2/frr.conf")).unwrap();
    assert!(frr.contains("interface eth1\n ip address 172.31.0.11/29\n description LAN ix1 (link 2) to router-0, router-1, router-3\n"), "{frr}");
    assert!(
        yml.contains("- ip addr add 172.31.0.6/30 dev eth1\n      - ip addr add 172.31.0.12/29 dev eth2\n"),
        "{yml}"
    );
    for n in ["router-0", "router-2", "router-4"] {
        let o = sh("vtysh", &["-C", "-f", ex.join(n).join("frr.conf").to_str().unwrap()]);
        assert!(o.status.success(), "{n}: {}", text(&o));
    }
    for n in ["router-1", "router-3"] {
        let o = sh("bird", &["-p", "-c", ex.join(n).join("bird.conf").to_str().unwrap()]);
        assert!(o.status.success(), "{n}: {}", text(&o));
    }
    let back = d.0.join("back.toml");
    let i = nsbgp(&[
        "import",
        ex.join("ix-lan-5.clab.yml").to_str().unwrap(),
        "-o",
        back.to_str().unwrap(),
    ]);
    let b = ok(&i, &back);
    let a = config::load(&cfg, &Overrides::default()).unwrap();
    assert_eq!(b.graph.links(), a.graph.links());
    assert_eq!(b.graph.lans(), a.graph.lans());
    assert_eq!(b.lans[0].subnet, a.lans[0].subnet);
    let suites = |l: &Lab| l.routers.iter().map(|r| (r.asn, r.suite)).collect::<Vec<_>>();
    assert_eq!(suites(&b), suites(&a));
}

/// Takes a hand-made lab down when the test ends, and checks nothing of it is left.
struct Down {
    name: String,
    prefix: String,
}

impl Drop for Down {
    fn drop(&mut self) {
        let o = nsbgp(&["down", "--lab", &self.name]);
        let left = leftovers(&self.name, &self.prefix);
        if !std::thread::panicking() {
            assert_ok(&o, "down");
            assert!(left.is_empty(), "left behind: {left:?}");
        }
    }
}

/// A containerlab file whose routers meet only on a bridge, imported and run: one lab, the
/// LAN's members peering across it (FRR's and BIRD's own word), the router behind it tracing
/// the world across the LAN.
#[test]
fn an_imported_bridge_lab_runs() {
    if !root_or_skip() {
        return;
    }
    let id = std::process::id() % 100000;
    let p = format!("lnb{id}-");
    let name = format!("t-lnb-{id}");
    let yml = std::fs::read_to_string(fixture("ixp.clab.yml"))
        .unwrap()
        .replace("r1", &format!("{p}0"))
        .replace("r2", &format!("{p}1"))
        .replace("r3", &format!("{p}2"))
        .replace("r4", &format!("{p}3"))
        .replace("r5", &format!("{p}4"));
    let d = tempdir("cir");
    let input = d.0.join("ixp.clab.yml");
    std::fs::write(&input, yml).unwrap();
    let out = d.0.join("lab.toml");
    let o = nsbgp(&[
        "import",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--name",
        &name,
    ]);
    let lab = ok(&o, &out);
    let prefix = lab.router_prefix.clone();
    assert_eq!(prefix, p);
    let _down = Down {
        name: name.clone(),
        prefix: prefix.clone(),
    };
    let o = nsbgp(&["up", "-c", out.to_str().unwrap(), "--wait", "--timeout", "120"]);
    assert_ok(&o, "up --wait");
    let r = |k: usize| format!("{prefix}{k}");
    // The bridge's namespace holds the four members' ports.
    let ports = sh_ok(
        "ip",
        &["-n", &format!("{prefix}X_1"), "-br", "link", "show", "master", "X_1"],
    );
    assert_eq!(ports.lines().count(), 4, "{ports}");
    // Router 1 runs BIRD (its image said so): three sessions on the LAN; router 2 (FRR) too.
    let sock = format!("/run/nsbgp/{name}/routers/{}/run/bird.ctl", r(1));
    let protos = sh_ok("birdc", &["-s", &sock, "show", "protocols"]);
    let up = protos
        .lines()
        .filter(|l| l.contains(" BGP ") && l.contains("Established"))
        .count();
    assert_eq!(up, 3, "{protos}");
    let v: serde_json::Value = serde_json::from_str(&sh_ok(
        "ip",
        &[
            "netns",
            "exec",
            &r(2),
            "vtysh",
            "--vty_socket",
            &format!("/run/nsbgp/{name}/routers/{}/run", r(2)),
            "-c",
            "show bgp summary json",
        ],
    ))
    .unwrap();
    let est = v["ipv4Unicast"]["peers"]
        .as_object()
        .map(|p| p.values().filter(|x| x["state"] == "Established").count());
    assert_eq!(est, Some(3), "{v}");
    let t = nsbgp(&["trace", "--lab", &name, "--from", &r(4), "--to", "world", "--json"]);
    assert_ok(&t, "trace");
    let v: serde_json::Value = serde_json::from_slice(&t.stdout).unwrap();
    let hops: Vec<&str> = v["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["router"].as_str().unwrap())
        .collect();
    assert_eq!(hops, [r(3), r(0)], "{v}");
}
