//! Golden files of rendered FRR and BIRD configs. `UPDATE_GOLDEN=1 cargo test --test golden`
//! regenerates them; review the diff before committing. Each topology is described in
//! tests/golden/README.md.

mod common;

use common::golden::{assert_golden, is_update, render_files, stale, INTERNET_12, PASSWORD, RENDER};
use nsbgp::config::{self, Daemon, Overrides, Suite};
use std::path::Path;

fn check(golden: &str) {
    assert_golden(golden, &render_files(golden));
}

#[test]
fn chain_3_every_router() {
    check("chain-3");
}

#[test]
fn chain_1000_ends_and_middle() {
    check("chain-1000");
}

#[test]
fn chain_100_mrai30_sets_the_advertisement_interval() {
    check("chain-100-mrai30");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lab = config::load(&root.join("configs/chain-100-mrai30.toml"), &Overrides::default()).unwrap();
    let conf = nsbgp::render::render(&lab, 1, Daemon::Bgpd, PASSWORD);
    assert!(conf.contains("neighbor 172.31.1.2 advertisement-interval 30"));
}

/// Values that look like markup must come out verbatim: askama's HTML escaper is off for .conf.
#[test]
fn configs_are_not_html_escaped() {
    let text = "name = \"x\"\nrouters = 2\n";
    let lab = config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap();
    let conf = nsbgp::render::render(&lab, 0, Daemon::Bgpd, "p<&>\"'");
    assert!(conf.contains("password p<&>\"'"), "{conf}");
}

#[test]
fn ix_lan_5_every_router() {
    check("ix-lan-5");
}

#[test]
fn chain_100_bird_ends_and_middle() {
    check("chain-100-bird");
}

#[test]
fn chain_1000_bird_timers_and_thirty_bit_links() {
    check("chain-1000-bird");
}

#[test]
fn chain_100_mixed_alternates_the_suites() {
    check("chain-100-mixed");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lab = config::load(&root.join("configs/chain-100-mixed.toml"), &Overrides::default()).unwrap();
    for r in &lab.routers {
        let want = if r.index % 2 == 1 { Suite::Bird } else { Suite::Frr };
        assert_eq!(r.suite, want, "{}", r.name);
    }
}

/// What the BIRD config must say for the lab's semantics, independent of the golden text.
#[test]
fn bird_config_keeps_the_lab_semantics() {
    let text = "name = \"x\"\nrouters = 3\n[daemons]\nsuite = \"bird\"\n[timers]\nkeepalive_s = 7\nhold_s = 21\nconnect_retry_s = 3\n";
    let lab = config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap();
    let origin = nsbgp::render::render(&lab, 0, Daemon::Bird, PASSWORD);
    let middle = nsbgp::render::render(&lab, 1, Daemon::Bird, PASSWORD);
    for want in [
        "hold time 21;",
        "keepalive time 7;",
        "connect retry time 3;",
        "enable extended messages on;",
        "next hop self;",
        "neighbor 172.31.1.2 as 100;",
        "neighbor 172.31.2.1 as 102;",
        "define OWN = [ 172.31.1.0/24, 172.31.2.0/24 ];",
    ] {
        assert!(middle.contains(want), "middle router lacks {want:?}:\n{middle}");
    }
    assert!(!middle.contains("route 0.0.0.0/0"), "only the origin has the default");
    assert!(origin.contains("route 0.0.0.0/0 unreachable;"));
    assert!(origin.contains("198.51.100.0/24, 0.0.0.0/0 ]"));
    assert!(!origin.contains("password"), "BIRD has no vty password");
}

/// One golden set per shape: the origin, a router in the middle and one at the far end.
/// Sessions (one per link, next-hop-self), networks (every link of the router) and the
/// default (the origin alone) all come from the graph.
#[test]
fn every_shape_renders_from_its_graph() {
    check("ring-16");
    check("star-20");
    check("tree-63");
    check("grid-10x10");
    check("clique-8");
    check("example-graph");
}

/// The table in tests/common/golden.rs names every set once, and every file in tests/golden/
/// (but its README) is produced by one of them: a golden nothing produces is stale.
#[test]
fn every_golden_file_is_produced() {
    let names: Vec<&str> = RENDER.iter().map(|c| c.1).collect();
    let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "a set is listed twice: {names:?}");
    let stale: Vec<String> = stale()
        .iter()
        .map(|p| format!("tests/golden/{}", p.display()))
        .collect();
    assert!(
        stale.is_empty(),
        "golden files no test produces (delete them with `git rm`, or add the case that makes them to tests/common/golden.rs):\n  {}",
        stale.join("\n  ")
    );
}

/// Only `UPDATE_GOLDEN=1` rewrites: `0`, empty or anything else compares.
#[test]
fn only_update_golden_1_updates() {
    let v = |s: &str| is_update(Some(std::ffi::OsStr::new(s)));
    assert!(v("1"));
    for other in ["0", "", "true", "yes", " 1", "1 ", "01"] {
        assert!(!v(other), "UPDATE_GOLDEN={other:?} must only compare");
    }
    assert!(!is_update(None));
}

/// The suite's own parser accepts a rendered config: FRR's `vtysh -C -f` (dry run) for
/// zebra.conf and bgpd.conf, `bird -p -c` for bird.conf. Skipped where a suite is missing.
fn assert_suite_parses(config_file: &str, routers: &[usize]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lab = config::load(&root.join(config_file), &Overrides::default()).unwrap();
    let dir = std::env::temp_dir().join(format!("nsbgp-golden-parse-{}-{}", lab.name, std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for &i in routers {
        for d in lab.daemons_of(i) {
            let (program, args): (&str, &[&str]) = match d {
                Daemon::Bird => ("/usr/sbin/bird", &["-p", "-c"]),
                _ => ("/usr/bin/vtysh", &["-C", "-f"]),
            };
            if !Path::new(program).exists() {
                // CI installs both suites (scripts/install-deps.sh): there a missing one fails.
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{program} is not installed: {config_file} cannot be parse-checked"
                );
                eprintln!("{program} is not installed: {config_file} not parse-checked");
                continue;
            }
            let path = dir.join(format!("{}-{d}.conf", lab.routers[i].name));
            std::fs::write(&path, nsbgp::render::render(&lab, i, d, PASSWORD)).unwrap();
            let o = common::run(
                std::process::Command::new(program).args(args).arg(&path),
                common::TOOL_LIMIT,
            );
            assert!(
                o.status.success(),
                "{config_file} {} {d}: `{program} {}` rejects it:\n{}{}",
                lab.routers[i].name,
                args.join(" "),
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Dual-stack and IPv6-only labs of both suites: one session per family per link, the
/// defaults and stubs of each family at the origin, and every file accepted by its suite.
#[test]
fn dual_and_v6_configs_of_both_suites() {
    check("chain-70-dual");
    check("chain-3-v6");
    check("ring-8-bird-v6");
    check("chain-6-mixed-dual");
    assert_suite_parses("configs/chain-70-dual.toml", &[0, 1, 69]);
    assert_suite_parses("configs/chain-3-v6.toml", &[0, 1, 2]);
    assert_suite_parses("configs/ring-8-bird-v6.toml", &[0, 4, 7]);
    assert_suite_parses("configs/chain-6-mixed-dual.toml", &[0, 1, 5]);
    // IPv4-only labs are accepted as well (their text is the goldens above).
    assert_suite_parses("configs/chain-3.toml", &[0, 1]);
    assert_suite_parses("configs/chain-100-bird.toml", &[0, 1]);
}

/// What the IPv6 configs must say, independent of the golden text.
#[test]
fn v6_configs_keep_the_lab_semantics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let v6 = config::load(&root.join("configs/chain-3-v6.toml"), &Overrides::default()).unwrap();
    let origin = nsbgp::render::render(&v6, 0, Daemon::Bgpd, PASSWORD);
    let middle = nsbgp::render::render(&v6, 1, Daemon::Bgpd, PASSWORD);
    assert!(
        !origin.contains("172.31.") && !origin.contains("198.51.100"),
        "no IPv4 in an IPv6 lab:\n{origin}"
    );
    assert!(origin.contains("bgp router-id 0.0.0.100"));
    assert!(origin.contains("address-family ipv6 unicast\n  network 2001:db8:31:1::/64\n  network 2001:db8:100::/48\n"));
    assert!(origin.contains("neighbor 2001:db8:31:1::1 default-originate"));
    assert!(!middle.contains("default-originate"));
    assert!(!middle.contains("address-family ipv4"));
    for want in [
        "neighbor 2001:db8:31:1::2 next-hop-self",
        "neighbor 2001:db8:31:2::1 activate",
    ] {
        assert!(middle.contains(want), "{want}:\n{middle}");
    }
    let dual = config::load(&root.join("configs/chain-6-mixed-dual.toml"), &Overrides::default()).unwrap();
    let b = nsbgp::render::render(&dual, 1, Daemon::Bird, PASSWORD);
    for want in [
        "neighbor 172.31.1.2 as 100;",
        "neighbor 2001:db8:31:1::2 as 100;",
        "protocol bgp bgp2_6 from chain6 {",
        "define OWN6 = [ 2001:db8:31:1::/64, 2001:db8:31:2::/64 ];",
        "protocol kernel kernel6 {",
    ] {
        assert!(b.contains(want), "{want}:\n{b}");
    }
    let bo = nsbgp::render::render(&dual, 0, Daemon::Bgpd, PASSWORD);
    assert!(
        bo.contains("neighbor 172.31.1.1 default-originate")
            && bo.contains("neighbor 2001:db8:31:1::1 default-originate")
    );
    let ring = config::load(&root.join("configs/ring-8-bird-v6.toml"), &Overrides::default()).unwrap();
    let ro = nsbgp::render::render(&ring, 0, Daemon::Bird, PASSWORD);
    assert!(ro.contains("route ::/0 unreachable;") && !ro.contains("0.0.0.0/0"));
    assert!(ro.contains("2001:db8:100::/48, ::/0 ]"));
    assert!(ro.contains("enable extended messages on;"));
}

/// Gao–Rexford configs of both suites, roles on and off: the goldens, each accepted by its
/// suite's own parser, and what they must say whatever the golden text.
#[test]
fn internet_policy_configs_of_both_suites() {
    for suite in ["frr", "bird"] {
        for roles in ["on", "off"] {
            let golden = format!("internet-12-{suite}-roles-{roles}");
            check(&golden);
            assert_suite_parses(&format!("tests/fixtures/{golden}.toml"), INTERNET_12);
        }
    }
    check("internet-100");
    assert_suite_parses("configs/internet-100.toml", &[0, 5, 12, 99]);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let load = |f: &str| config::load(&root.join(f), &Overrides::default()).unwrap();
    // The transit (router 3): one provider (router 0), eight customers.
    let frr = load("tests/fixtures/internet-12-frr-roles-on.toml");
    let t = nsbgp::render::render(&frr, 3, Daemon::Bgpd, PASSWORD);
    assert_eq!(t.matches("route-map GR-FROM-CUSTOMER in").count(), 8, "{t}");
    assert_eq!(t.matches("route-map GR-FROM-PROVIDER in").count(), 1, "{t}");
    assert_eq!(t.matches("route-map GR-TO-PEER-OR-PROVIDER out").count(), 1, "{t}");
    assert_eq!(t.matches("local-role provider").count(), 8, "{t}");
    assert_eq!(t.matches("local-role customer").count(), 1, "{t}");
    // Its own prefix only: no link subnet, no default, no stub.
    assert!(
        t.contains("  network 198.18.3.0/24\n") && t.matches("  network ").count() == 1,
        "{t}"
    );
    assert!(!t.contains("default-originate") && !t.contains("198.51.100"), "{t}");
    let off = nsbgp::render::render(
        &load("tests/fixtures/internet-12-frr-roles-off.toml"),
        3,
        Daemon::Bgpd,
        PASSWORD,
    );
    assert!(
        !off.contains("local-role") && off.contains("route-map GR-FROM-CUSTOMER in"),
        "{off}"
    );
    let bird = load("tests/fixtures/internet-12-bird-roles-on.toml");
    let b = nsbgp::render::render(&bird, 3, Daemon::Bird, PASSWORD);
    assert_eq!(b.matches("local role provider;").count(), 8, "{b}");
    assert_eq!(b.matches("import filter gr_from_customer;").count(), 8, "{b}");
    assert_eq!(b.matches("export filter gr_to_peer_or_provider;").count(), 1, "{b}");
    assert!(b.contains("define OWN = [ 198.18.3.0/24 ];"), "{b}");
    let boff = nsbgp::render::render(
        &load("tests/fixtures/internet-12-bird-roles-off.toml"),
        3,
        Daemon::Bird,
        PASSWORD,
    );
    assert!(
        !boff.contains("local role") && boff.contains("import filter gr_from_customer;"),
        "{boff}"
    );
}
