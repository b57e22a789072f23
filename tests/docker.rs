//! The Docker image, built and run (only with NSBGP_DOCKER=1: building takes minutes and needs
//! Debian's mirror for the first base image). `scripts/docker-image.sh --run` builds
//! `nsbgp:latest` and runs its default job, chain-3 up, status, trace, down, in a container;
//! its output is checked, and the host must show nothing of that lab afterwards.

mod common;
use common::*;

fn host_view() -> (Vec<String>, Vec<String>) {
    let ns = sh_ok("ip", &["netns", "list"]);
    let ns = ns
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    let mounts = mounts
        .lines()
        .filter(|l| l.contains("/run/nsbgp/chain-3") || l.contains("/run/netns/ROUTER_"))
        .map(String::from)
        .collect();
    (ns, mounts)
}

#[test]
fn the_image_runs_chain_3_and_leaves_nothing_on_the_host() {
    if std::env::var("NSBGP_DOCKER").as_deref() != Ok("1") {
        eprintln!("skipping: set NSBGP_DOCKER=1 to build and run the Docker image");
        return;
    }
    if !root_or_skip() {
        return;
    }
    let (ns_before, _) = host_view();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/docker-image.sh");
    // Building the release binary and, the first time, the base image takes minutes.
    let o = run(
        std::process::Command::new(script).arg("--run"),
        std::time::Duration::from_secs(1800),
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for want in [
        "OK    FRR bgpd",
        "lab chain-3: 3 routers up",
        "lab chain-3: converged 3/3 routers",
        "ROUTER_2          102  zebra bgpd     1/1         4  yes, path 2",
        "PASS: reached 198.51.100.1 in 2 hops (expected 2)",
        "lab chain-3: removed 3 namespace(s)",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // The container's lab lived in its own mount namespace: no ROUTER_ namespace or mount
    // of it appeared on the host.
    let (ns_after, mounts) = host_view();
    let new: Vec<&String> = ns_after
        .iter()
        .filter(|n| !ns_before.contains(n) && n.starts_with("ROUTER_"))
        .collect();
    assert!(new.is_empty(), "left on the host: {new:?}");
    assert!(mounts.is_empty(), "mounts left on the host: {mounts:?}");
    assert!(!std::path::Path::new("/run/nsbgp/chain-3").exists());
}
