//! Hijacks and leaks on a hand-written 8-AS relationship graph (the `g8` of tests/internet.rs
//! and src/policy/tests.rs), on FRR, BIRD and mixed labs, roles on and off. Who takes what is
//! worked out by hand below; the test reads every router's best path to the victim's prefix
//! with FRR's own vtysh and BIRD's own birdc while the experiment holds the step (a wait
//! after it), and compares both with `took` in summary.json.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Tier-1 peers 0 and 1; transits 2 (under 0) and 3 (under 1), peering; stubs 4 (under 2),
/// 5 (under 2 and 3), 6 (under 3), 7 (under 1).
const LINKS: [(usize, usize, &str); 9] = [
    (0, 1, "p2p"),
    (0, 2, "p2c"),
    (1, 3, "p2c"),
    (2, 3, "p2p"),
    (2, 4, "p2c"),
    (2, 5, "p2c"),
    (3, 5, "p2c"),
    (3, 6, "p2c"),
    (1, 7, "p2c"),
];

const ASNS: [u32; 8] = [3356, 174, 1299, 6939, 4200000004, 4200000005, 4200000006, 4200000007];

/// The victim in every scenario: AS 4's own prefix (the 5th /24 of 198.18.0.0/15).
const VICTIM: usize = 4;
const PREFIX: &str = "198.18.4.0/24";

fn g8(tag: &str, bird: impl Fn(usize) -> bool, roles: bool) -> TestLab {
    let mut extra = String::from("[topology]\nshape = \"file\"\n");
    for (a, b, rel) in LINKS {
        extra.push_str(&format!("[[topology.link]]\na = {a}\nb = {b}\nrel = \"{rel}\"\n"));
    }
    extra.push_str(&format!("[policy]\nmodel = \"gao-rexford\"\nroles = {roles}\n"));
    for (k, asn) in ASNS.iter().enumerate() {
        let suite = if bird(k) { "bird" } else { "frr" };
        extra.push_str(&format!("[[router]]\nindex = {k}\nasn = {asn}\nsuite = \"{suite}\"\n"));
    }
    let lab = TestLab::new(tag, 8, &extra);
    let out = nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", "120"]);
    assert_ok(&out, "up --wait");
    lab
}

/// Router r's best AS path to PREFIX as router indices (Some(vec![]) for its own route),
/// from the daemon's own CLI; None without a route.
fn best_path(lab: &TestLab, r: usize, bird: bool) -> Option<Vec<usize>> {
    let name = lab.router(r);
    let index_of = |a: &str| ASNS.iter().position(|x| x.to_string() == a).expect("an AS of the lab");
    if bird {
        let sock = format!("/run/nsbgp/{}/routers/{name}/run/bird.ctl", lab.name);
        let o = sh("birdc", &["-s", &sock, "show", "route", "for", PREFIX, "all"]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let mut best = false;
        for line in text.lines() {
            if let Some(attr) = line.strip_prefix('\t') {
                if let (true, Some(p)) = (best, attr.trim().strip_prefix("BGP.as_path:")) {
                    return Some(p.split_whitespace().map(index_of).collect());
                }
                continue;
            }
            // "198.18.4.0/24 unicast [direct1 …] * (240)": the router's own route (a hijacker's).
            best = line.contains("] * (");
            if best && line.contains("[direct") {
                return Some(Vec::new());
            }
        }
        None
    } else {
        let v: Value = serde_json::from_str(&vtysh(lab, &name, &format!("show ip bgp {PREFIX} json"))).ok()?;
        for p in v["paths"].as_array()? {
            if p["bestpath"]["overall"] == true {
                let s = p["aspath"]["string"].as_str().unwrap_or("");
                if s == "Local" {
                    return Some(Vec::new());
                }
                return Some(s.split_whitespace().map(index_of).collect());
            }
        }
        None
    }
}

/// One scenario: `action` by `actor` against VICTIM, with the paths every router must show
/// while it holds (None: not checked) and the `took` of every router, worked out by hand.
struct Scenario<'a> {
    action: &'a str,
    actor: usize,
    paths: [Option<&'a [usize]>; 8],
    took: [&'a str; 8],
    polluted: f64,
}

fn run(lab: &TestLab, bird: &dyn Fn(usize) -> bool, s: &Scenario) -> Value {
    let dir = tempdir("hij");
    let file = dir.0.join("e.toml");
    // The wait holds the step while the test reads the daemons (and is no part of `took`).
    std::fs::write(
        &file,
        format!(
            "name = \"{}\"\ntimeout_s = 60\n[[step]]\naction = \"{}\"\nrouter = \"{}\"\nvictim = \"{}\"\n[[step]]\naction = \"wait\"\nseconds = 25\n",
            s.action,
            s.action,
            lab.router(s.actor),
            lab.router(VICTIM)
        ),
    )
    .unwrap();
    let out = dir.0.join("out");
    let exp = start(
        Command::new(NSBGP)
            .args(["experiment", file.to_str().unwrap(), "--lab", &lab.name])
            .args(["--out", out.to_str().unwrap()])
            .stdin(Stdio::null()),
    );
    // Every router's best path as worked out, read from its daemon (bounded).
    let want: BTreeMap<usize, Vec<usize>> = s
        .paths
        .iter()
        .enumerate()
        .filter_map(|(r, p)| Some((r, (*p)?.to_vec())))
        .collect();
    let seen = wait_for(Duration::from_secs(25), || {
        let now: BTreeMap<usize, Vec<usize>> = want
            .keys()
            .filter_map(|&r| Some((r, best_path(lab, r, bird(r))?)))
            .collect();
        (now == want).then_some(now)
    });
    let last: BTreeMap<usize, Option<Vec<usize>>> = want.keys().map(|&r| (r, best_path(lab, r, bird(r)))).collect();
    let o = exp.wait(Duration::from_secs(240));
    assert!(
        seen.is_some(),
        "{}: daemons' paths {last:?}, worked out {want:?}",
        s.action
    );
    assert_ok(&o, &format!("experiment {}", s.action));
    let summary: Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let took: Vec<&str> = (0..8)
        .map(|k| {
            let r = summary["per_router"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["router"] == lab.router(k))
                .unwrap_or_else(|| panic!("{} has no entry: {summary}", lab.router(k)));
            r["took"].as_str().unwrap()
        })
        .collect();
    assert_eq!(took, s.took, "{}: took, by the daemons", s.action);
    assert_eq!(summary["polluted_fraction"].as_f64(), Some(s.polluted), "{summary}");
    assert_eq!(
        summary["predicted_polluted_fraction"].as_f64(),
        Some(s.polluted),
        "{summary}"
    );
    summary
}

/// 6 originates 4's prefix. 2 keeps its customer route from 4, 3 prefers its customer 6;
/// 0 and 1 take their customers' (2 and 3); 5 hears both at 2 hops from its providers and
/// takes the lower router-id's, 2 (the victim's); 7 follows 1. Roles change nothing: the
/// hijacker's route is its own, valley-free everywhere.
fn hijack() -> Scenario<'static> {
    Scenario {
        action: "hijack",
        actor: 6,
        paths: [
            Some(&[2, 4]),
            Some(&[3, 6]),
            Some(&[4]),
            Some(&[6]),
            None,
            Some(&[2, 4]),
            Some(&[]),
            Some(&[1, 3, 6]),
        ],
        took: [
            "victim", "hijacker", "victim", "hijacker", "victim", "victim", "hijacker", "hijacker",
        ],
        // 1, 3, 7 of the six routers that are neither 4 nor 6.
        polluted: 0.5,
    }
}

/// 5 leaks its route to 4's prefix (learned from its provider 2) to its other provider 3.
/// Without roles 3 takes it (a customer route, over its peer 2's), 1 takes 3's (customer
/// over peer), 6 and 7 follow; 0 and 2 keep theirs. With roles 2 marked the route OTC on
/// its way down to 5; 5 passes it on marked, and 3 drops it (OTC from a customer): every
/// router keeps the paths of the converged lab.
fn leak(roles: bool) -> Scenario<'static> {
    if roles {
        Scenario {
            action: "leak",
            actor: 5,
            paths: [
                Some(&[2, 4]),
                Some(&[0, 2, 4]),
                Some(&[4]),
                Some(&[2, 4]),
                None,
                Some(&[2, 4]),
                Some(&[3, 2, 4]),
                Some(&[1, 0, 2, 4]),
            ],
            took: ["victim"; 8],
            polluted: 0.0,
        }
    } else {
        Scenario {
            action: "leak",
            actor: 5,
            paths: [
                Some(&[2, 4]),
                Some(&[3, 5, 2, 4]),
                Some(&[4]),
                Some(&[5, 2, 4]),
                None,
                Some(&[2, 4]),
                Some(&[3, 5, 2, 4]),
                Some(&[1, 3, 5, 2, 4]),
            ],
            took: ["victim", "leak", "victim", "leak", "victim", "victim", "leak", "leak"],
            // 1, 3, 6, 7 of the six routers that are neither 4 nor 5.
            polluted: 0.6667,
        }
    }
}

/// With roles on the leaker did send the route to its provider 3 (3 dropped it): the
/// leak ran, the roles stopped it. Read from 5's own daemon (`lab`: the lab's name).
fn leaked_to_3(lab: &str, router5: &str, peer3: &str, bird5: bool) -> bool {
    let o = if bird5 {
        let sock = format!("/run/nsbgp/{lab}/routers/{router5}/run/bird.ctl");
        sh("birdc", &["-s", &sock, "show", "route", "export", "bgp3"])
    } else {
        let sock = format!("/run/nsbgp/{lab}/routers/{router5}/run");
        let cmd = format!("show ip bgp neighbors {peer3} advertised-routes");
        sh(
            "ip",
            &["netns", "exec", router5, "vtysh", "--vty_socket", &sock, "-c", &cmd],
        )
    };
    String::from_utf8_lossy(&o.stdout).contains(PREFIX)
}

fn all_three(tag: &str, bird: impl Fn(usize) -> bool + Copy) {
    let on = g8(tag, bird, true);
    let h = run(&on, &bird, &hijack());
    assert!(h["time_to_pollute_ms"].as_f64().is_some(), "{h}");
    // The leak with roles: 5's export to 3, watched from a thread while the step holds.
    let config = nsbgp::config::load(&on.config, &Default::default()).unwrap();
    let peer3 = config.interface_to(5, 3).unwrap().first_addr().peer_addr.to_string();
    let (name, router5, bird5) = (on.name.clone(), on.router(5), bird(5));
    let watcher = std::thread::spawn(move || {
        wait_for(Duration::from_secs(45), || {
            leaked_to_3(&name, &router5, &peer3, bird5).then_some(())
        })
        .is_some()
    });
    run(&on, &bird, &leak(true));
    assert!(watcher.join().unwrap(), "with roles, 5 never exported the leak to 3");
    drop(on);
    let off = g8(tag, bird, false);
    let l = run(&off, &bird, &leak(false));
    assert!(l["time_to_pollute_ms"].as_f64().is_some(), "{l}");
}

#[test]
fn frr_hijack_and_leak_with_roles_and_without() {
    if !root_or_skip() {
        return;
    }
    all_three("hjf", |_| false);
}

#[test]
fn bird_hijack_and_leak_with_roles_and_without() {
    if !root_or_skip() {
        return;
    }
    all_three("hjb", |_| true);
}

#[test]
fn mixed_hijack_and_leak_with_roles_and_without() {
    if !root_or_skip() {
        return;
    }
    // BIRD on the even routers: 4 (victim) and 6 (hijacker) BIRD, 5 (leaker) and 3 FRR.
    all_three("hjm", |k| k % 2 == 0);
}
