//! Golden files of rendered FRR and BIRD configs. `UPDATE_GOLDEN=1 cargo test --test golden`
//! regenerates them; review the diff before committing. Each topology is described in
//! tests/golden/README.md.

use nsbgp::config::{self, Daemon, Overrides, Suite};
use std::path::{Path, PathBuf};

const PASSWORD: &str = "golden-password";

fn check(config_file: &str, golden: &str, routers: &[usize]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lab = config::load(&root.join(config_file), &Overrides::default()).unwrap();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for &i in routers {
        for d in lab.daemons_of(i) {
            let path: PathBuf = root
                .join("tests/golden")
                .join(golden)
                .join(&lab.routers[i].name)
                .join(format!("{d}.conf"));
            let got = nsbgp::render::render(&lab, i, d, PASSWORD);
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &got).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
            if got != want {
                mismatches.push(format!("{}:\n--- want\n{want}\n+++ got\n{got}", path.display()));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "rendered configs differ from golden files (UPDATE_GOLDEN=1 to accept):\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn chain_3_every_router() {
    check("configs/chain-3.toml", "chain-3", &[0, 1, 2]);
}

#[test]
fn chain_1000_ends_and_middle() {
    check("configs/chain-1000.toml", "chain-1000", &[0, 500, 999]);
}

#[test]
fn chain_100_mrai30_sets_the_advertisement_interval() {
    check("configs/chain-100-mrai30.toml", "chain-100-mrai30", &[1]);
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
    check("configs/ix-lan-5.toml", "ix-lan-5", &[0, 1, 2, 3, 4]);
}

#[test]
fn chain_100_bird_ends_and_middle() {
    check("configs/chain-100-bird.toml", "chain-100-bird", &[0, 1, 50, 99]);
}

#[test]
fn chain_1000_bird_timers_and_thirty_bit_links() {
    check("configs/chain-1000-bird.toml", "chain-1000-bird", &[0, 999]);
}

#[test]
fn chain_100_mixed_alternates_the_suites() {
    check("configs/chain-100-mixed.toml", "chain-100-mixed", &[0, 1, 2, 99]);
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
    check("configs/ring-16.toml", "ring-16", &[0, 8, 15]);
    check("configs/star-20.toml", "star-20", &[0, 19]);
    check("configs/tree-63.toml", "tree-63", &[0, 1, 62]);
    check("configs/grid-10x10.toml", "grid-10x10", &[0, 55, 99]);
    check("configs/clique-8.toml", "clique-8", &[0, 7]);
    check("configs/example-graph.toml", "example-graph", &[0, 8, 11]);
}
