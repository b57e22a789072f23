//! Internet labs: AS relationships and Gao–Rexford policy on real daemons. Every router's
//! best paths are read with FRR's own vtysh (JSON) and BIRD's own birdc, independently of
//! nsbgp, and compared with paths worked out by hand and with the crate's prediction.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::time::Duration;

/// Tier-1 peers 0 and 1; transits 2 (under 0) and 3 (under 1), peering; stubs 4 (under 2),
/// 5 (under 2 and 3), 6 (under 3), 7 (under 1). The same graph as src/policy/tests.rs.
const G8: &str = r#"
[topology]
shape = "file"
[[topology.link]]
a = 0
b = 1
rel = "p2p"
[[topology.link]]
a = 0
b = 2
rel = "p2c"
[[topology.link]]
a = 1
b = 3
rel = "p2c"
[[topology.link]]
a = 2
b = 3
rel = "p2p"
[[topology.link]]
a = 2
b = 4
rel = "p2c"
[[topology.link]]
a = 2
b = 5
rel = "p2c"
[[topology.link]]
a = 3
b = 5
rel = "p2c"
[[topology.link]]
a = 3
b = 6
rel = "p2c"
[[topology.link]]
a = 1
b = 7
rel = "p2c"
"#;

/// Real-looking and 4-byte AS numbers, one per router.
const ASNS: [u32; 8] = [3356, 174, 1299, 6939, 4200000004, 4200000005, 4200000006, 4200000007];

/// The lab: `suite(k)` is router k's suite, `roles` the `[policy] roles` setting.
fn g8(tag: &str, suite: impl Fn(usize) -> &'static str, roles: bool) -> TestLab {
    let mut extra = String::from(G8);
    extra.push_str(&format!("[policy]\nmodel = \"gao-rexford\"\nroles = {roles}\n"));
    for (k, asn) in ASNS.iter().enumerate() {
        extra.push_str(&format!(
            "[[router]]\nindex = {k}\nasn = {asn}\nsuite = \"{}\"\n",
            suite(k)
        ));
    }
    TestLab::new(tag, 8, &extra)
}

/// Router k's own prefix: the k-th /24 of 198.18.0.0/15 (README, "Internet-like labs").
fn prefix(k: usize) -> String {
    format!("198.18.{k}.0/24")
}

/// Best AS paths of router `r` by prefix, from the daemon's own CLI.
fn best_paths(lab: &TestLab, r: usize, bird: bool) -> BTreeMap<String, Vec<u32>> {
    common::best_paths(lab, &lab.router(r), bird)
}

/// Paths worked out by hand (routers after the holder, to the origin) for three origins.
fn hand_paths() -> Vec<(usize, usize, Vec<usize>)> {
    let mut v = Vec::new();
    // To 4 (under 2): up to 0, across to 3 (from 2) and 1 (from 0), then down.
    for (r, p) in [
        (0, vec![2, 4]),
        (1, vec![0, 2, 4]),
        (2, vec![4]),
        (3, vec![2, 4]),
        (5, vec![2, 4]),
        (6, vec![3, 2, 4]),
        (7, vec![1, 0, 2, 4]),
    ] {
        v.push((4, r, p));
    }
    // To 6 (under 3).
    for (r, p) in [
        (0, vec![1, 3, 6]),
        (1, vec![3, 6]),
        (2, vec![3, 6]),
        (3, vec![6]),
        (4, vec![2, 3, 6]),
        (5, vec![3, 6]),
        (7, vec![1, 3, 6]),
    ] {
        v.push((6, r, p));
    }
    // To 7 (under 1): 2 cannot use its peer 3, whose route is from its provider.
    for (r, p) in [
        (0, vec![1, 7]),
        (1, vec![7]),
        (2, vec![0, 1, 7]),
        (3, vec![1, 7]),
        (4, vec![2, 0, 1, 7]),
        (5, vec![3, 1, 7]),
        (6, vec![3, 1, 7]),
    ] {
        v.push((7, r, p));
    }
    v
}

/// Whether an AS path (the holder first) is valley-free on G8, read from the origin.
fn valley_free(holder: usize, path: &[usize]) -> bool {
    // (provider, customer) and peer pairs of G8.
    let p2c = [(0, 2), (1, 3), (2, 4), (2, 5), (3, 5), (3, 6), (1, 7)];
    let p2p = [(0, 1), (2, 3)];
    common::valley_free(holder, path, &p2c, &p2p)
}

fn converge_and_compare(lab: &TestLab, bird: impl Fn(usize) -> bool) {
    let out = nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", "120"]);
    assert_ok(&out, "up --wait");
    let index_of = |asn: u32| ASNS.iter().position(|&a| a == asn).unwrap();
    let config = nsbgp::config::load(&lab.config, &Default::default()).unwrap();
    let predicted = nsbgp::policy::Prediction::of(&config);
    // Routes settle after the sessions: read until all 56 are there (bounded).
    let all = wait_for(Duration::from_secs(60), || {
        let v: Vec<_> = (0..8).map(|r| best_paths(lab, r, bird(r))).collect();
        (v.iter().map(|m| m.len()).sum::<usize>() == 56).then_some(v)
    })
    .unwrap_or_else(|| panic!("not every router learned the 7 other prefixes"));
    for (o, r, want) in hand_paths() {
        let got: Vec<usize> = all[r][&prefix(o)].iter().map(|&a| index_of(a)).collect();
        assert_eq!(got, want, "router {r} to {o}'s prefix");
    }
    for (r, paths) in all.iter().enumerate() {
        for o in (0..8).filter(|&o| o != r) {
            let got: Vec<usize> = paths[&prefix(o)].iter().map(|&a| index_of(a)).collect();
            assert!(valley_free(r, &got), "router {r} to {o}: {got:?} has a valley");
            let want = nsbgp::policy::path(&predicted.by_origin[o], r);
            assert_eq!(got, want[1..], "router {r} to {o}: daemon vs prediction");
        }
        // Link subnets are not announced: only the 7 other ASes' prefixes.
        assert!(paths.keys().all(|p| p.starts_with("198.18.")), "{:?}", paths.keys());
    }
    let o = lab.on_lab(&["check", "--policy"]);
    assert_ok(&o, "check --policy");
    assert!(
        stdout(&o).contains("56 as predicted and valley-free, 0 not"),
        "{}",
        stdout(&o)
    );
    traces_follow_policy_lengths(lab);
    status_counts_origins(lab);
}

/// `check` traces every router to every other AS's own prefix; its expected hop counts are
/// the hand paths' lengths, and what traceroute saw matches them.
fn traces_follow_policy_lengths(lab: &TestLab) {
    let o = lab.on_lab(&["check", "--json"]);
    assert_ok(&o, "check");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!((v["total"].as_u64(), v["passed"].as_u64()), (Some(56), Some(56)), "{v}");
    let cases = v["cases"].as_array().unwrap();
    for (o, r, want) in hand_paths() {
        let c = cases
            .iter()
            .find(|c| c["from"] == lab.router(r).as_str() && c["to"] == lab.router(o).as_str())
            .unwrap_or_else(|| panic!("no case {r} -> {o}"));
        assert_eq!(c["expected"].as_u64(), Some(want.len() as u64), "{r} -> {o}: {c}");
        assert_eq!(c["got"].as_u64(), Some(want.len() as u64), "{r} -> {o}: {c}");
    }
    // 4 -> 7 goes 4-2-0-1-7 (not 4-2-3-1-7: 2 does not take its peer's provider route).
    // Traced by hand from 4's own address: each hop is an address of the router the hand
    // path names, the last one 7's own prefix.
    let out = sh_ok(
        "ip",
        &[
            "netns",
            "exec",
            &lab.router(4),
            "traceroute",
            "-n",
            "-q",
            "1",
            "-w",
            "1",
            "-m",
            "8",
            "-s",
            "198.18.4.1",
            "198.18.7.1",
        ],
    );
    let hops: Vec<String> = out
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect();
    assert_eq!(hops.len(), 4, "{out}");
    for (h, r) in hops.iter().zip([2, 0, 1]) {
        assert!(
            addresses(&lab.router(r)).contains(h),
            "hop {h} is not {}: {out}",
            lab.router(r)
        );
    }
    assert_eq!(hops[3], "198.18.7.1", "{out}");
    // No world in an internet lab.
    let o = lab.on_lab(&["trace", "--from", &lab.router(4), "--to", "world"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// `status --json` reports per router the 7 other ASes reached against 7 predicted, as many
/// as its kernel holds routes to other ASes' prefixes.
fn status_counts_origins(lab: &TestLab) {
    let o = lab.on_lab(&["status", "--json"]);
    assert_ok(&o, "status");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for (r, st) in v["routers"].as_array().unwrap().iter().enumerate() {
        let origins = &st["origins"];
        assert_eq!(origins["predicted"].as_u64(), Some(7), "{st}");
        assert_eq!(origins["reached"].as_u64(), Some(7), "{st}");
        assert_eq!(origins["missing"], serde_json::json!([]), "{st}");
        assert_eq!(origins["unexpected"], serde_json::json!([]), "{st}");
        assert_eq!(st["origin"], false, "no router originates a default: {st}");
        assert_eq!(fib_bgp_routes(lab, &lab.router(r)), 7, "{} kernel", lab.router(r));
    }
}

#[test]
fn frr_routes_follow_gao_rexford() {
    if !root_or_skip() {
        return;
    }
    let lab = g8("inf", |_| "frr", true);
    converge_and_compare(&lab, |_| false);
    // Roles on every session, as configured.
    let v: serde_json::Value = serde_json::from_str(&vtysh(&lab, &lab.router(2), "show bgp neighbors json")).unwrap();
    let roles: Vec<&str> = v
        .as_object()
        .unwrap()
        .values()
        .map(|n| n["localRole"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(roles.iter().filter(|&&r| r == "customer").count(), 1, "{roles:?}");
    assert_eq!(roles.iter().filter(|&&r| r == "provider").count(), 2, "{roles:?}");
}

#[test]
fn bird_routes_follow_gao_rexford() {
    if !root_or_skip() {
        return;
    }
    let lab = g8("inb", |_| "bird", true);
    converge_and_compare(&lab, |_| true);
}

#[test]
fn mixed_routes_follow_gao_rexford_with_roles_across_suites() {
    if !root_or_skip() {
        return;
    }
    let suite = |k: usize| if k % 2 == 0 { "bird" } else { "frr" };
    let lab = g8("inm", suite, true);
    converge_and_compare(&lab, |k| k % 2 == 0);
}

#[test]
fn check_policy_refuses_a_lab_without_policy() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("inn", 2, "");
    lab.up();
    let o = lab.on_lab(&["check", "--policy"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no routing policy"), "{}", text(&o));
}
