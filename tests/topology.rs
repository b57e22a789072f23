//! Topologies beyond the chain on real labs: each shape converges, traces take the graph's
//! shortest distances (checked against a breadth-first search done here, hop by hop along
//! links listed here), and `down` leaves nothing. One lab per shape, shared by its
//! assertions; FRR's own vtysh and `ip` are the independent witnesses.

mod common;
use common::*;
use serde_json::Value;
use std::time::Duration;

fn adjacent(links: &[(usize, usize)], a: usize, b: usize) -> bool {
    links.iter().any(|&(x, y)| (x, y) == (a, b) || (x, y) == (b, a))
}

/// Router index from a name like `tpr12_3`.
fn index(lab: &TestLab, name: &str) -> usize {
    name.strip_prefix(&lab.prefix)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{name}"))
}

/// Traces `from` → `to` (a router index, or None for `world`) and checks the hop count
/// against `want` and that every hop is a neighbour of the one before.
fn trace_matches(lab: &TestLab, links: &[(usize, usize)], from: usize, to: Option<usize>, want: usize) {
    let target = to.map_or("world".to_string(), |j| lab.router(j));
    let out = nsbgp(&[
        "trace",
        "--lab",
        &lab.name,
        "--from",
        &lab.router(from),
        "--to",
        &target,
        "--json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} → {target}: {}",
        lab.router(from),
        text(&out)
    );
    assert_eq!(v["hop_count"], want, "{} → {target}: {v}", lab.router(from));
    assert_eq!(v["hops_adjacent"], true, "{v}");
    let mut prev = from;
    for h in v["hops"].as_array().unwrap() {
        let r = index(lab, h["router"].as_str().unwrap_or_else(|| panic!("{v}")));
        assert!(
            adjacent(links, prev, r),
            "{} → {target}: hop {r} is not a neighbour of {prev}: {v}",
            lab.router(from)
        );
        prev = r;
    }
}

/// Every router → world against this test's BFS, `check` passing, and each router's default
/// AS path as long as its distance (FRR's own account).
fn converged_and_traced(lab: &TestLab, links: &[(usize, usize)], origin: usize) {
    let n = lab.routers;
    let d = bfs_hops(n, links, origin);
    assert!(d.iter().all(|&x| x != usize::MAX), "the test's graph is connected");
    for (k, &dk) in d.iter().enumerate() {
        trace_matches(lab, links, k, None, dk);
        if k != origin {
            let v: Value =
                serde_json::from_str(&vtysh(lab, &lab.router(k), "show bgp ipv4 unicast 0.0.0.0/0 json")).unwrap();
            let best = v["paths"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["bestpath"]["overall"] == true)
                .unwrap_or_else(|| panic!("{}: no best default: {v}", lab.router(k)))
                .clone();
            assert_eq!(best["aspath"]["length"], dk, "{}: {best}", lab.router(k));
        }
    }
    let out = nsbgp(&["check", "--lab", &lab.name, "--json"]);
    assert_ok(&out, "check");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Not an empty pass: at least every router to the world, each case's expected hops the
    // test's own distance, every one traced and passed.
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= n, "{v}");
    assert_eq!(
        (v["total"].as_u64(), v["skipped"].as_u64()),
        (Some(cases.len() as u64), Some(0)),
        "{v}"
    );
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(cases.len() as u64), Some(0)),
        "{v}"
    );
    for c in cases {
        let from = index(lab, c["from"].as_str().unwrap());
        let to = match c["to"].as_str().unwrap() {
            "world" => origin,
            r => index(lab, r),
        };
        assert_eq!(c["expected"].as_u64(), Some(bfs_hops(n, links, to)[from] as u64), "{c}");
        assert_eq!(
            (c["pass"].as_bool(), c["got"].as_u64()),
            (Some(true), c["expected"].as_u64()),
            "{c}"
        );
    }
    assert_eq!(
        cases.iter().filter(|c| c["to"] == "world").count(),
        n,
        "one case per router to the world: {v}"
    );
    // The picture of the running lab: every router converged.
    let dir = tempdir("gr");
    let svg = dir.0.join("lab.svg");
    assert_ok(
        &nsbgp(&["graph", "--lab", &lab.name, "-o", svg.to_str().unwrap()]),
        "graph",
    );
    let s = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(
        s.matches("data-state=\"converged\"").count(),
        n,
        "every router drawn converged"
    );
}

#[test]
fn ring_6_takes_the_short_way_and_reroutes_round_a_failed_link() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("tpr", 6, "[topology]\nshape = \"ring\"\n");
    let links: Vec<(usize, usize)> = (0..6).map(|i| (i, (i + 1) % 6)).collect();
    lab.up_wait(120, &[]);
    converged_and_traced(&lab, &links, 0);
    // Both directions take the shorter way: 1 ↔ 5 through 0 (2 hops, not 4), 2 ↔ 4 via 3.
    for (a, b) in [(1, 5), (5, 1), (2, 4), (4, 2)] {
        trace_matches(&lab, &links, a, Some(b), 2);
    }

    // The link ROUTER_0 — ROUTER_1 fails: the far side re-learns the default the other way
    // round. nsbgp times it ...
    let (_dir, out, summary) = lab.experiment(
        "tpx",
        &format!(
            "measure = \"default\"\nrepeat = 1\ntimeout_s = 60\n[[step]]\naction = \"link_down\"\nrouters = [\"{}\", \"{}\"]\n[[step]]\naction = \"wait\"\nuntil = \"converged\"\n",
            lab.router(0),
            lab.router(1)
        ),
    );
    assert_eq!(summary["event"], "reroute", "{summary}");
    let per = summary["per_router"].as_array().unwrap();
    let names: Vec<&str> = per.iter().map(|r| r["router"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [lab.router(1), lab.router(2)],
        "the routers whose distance changes"
    );
    for r in per {
        assert_eq!(r["missing_runs"], 0, "{r}");
    }
    // ... and ROUTER_1 lost the default (its only path went through the failed link) and
    // regained it: a departure, then an arrival.
    let csv = std::fs::read_to_string(out.join("events.csv")).unwrap();
    let r1: Vec<&str> = csv
        .lines()
        .filter(|l| l.split(',').nth(1) == Some(lab.router(1).as_str()))
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    let dep = r1
        .iter()
        .position(|e| *e == "departure")
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(r1[dep..].contains(&"arrival"), "{csv}");

    // Independently: set the link down with `ip`, watch FRR's routing table on ROUTER_1 move
    // to ROUTER_2 with a 5-hop path, then put it back.
    let via2 = String::from_utf8_lossy(
        &sh(
            "ip",
            &["-n", &lab.router(2), "-4", "-o", "addr", "show", "dev", &lab.router(1)],
        )
        .stdout,
    )
    .split_whitespace()
    .nth(3)
    .and_then(|a| a.split('/').next())
    .unwrap()
    .to_string();
    assert_ok(
        &sh("ip", &["-n", &lab.router(0), "link", "set", &lab.router(1), "down"]),
        "ip link set down",
    );
    let rerouted = wait_for(Duration::from_secs(60), || {
        let v: Value = serde_json::from_str(&vtysh_try(
            &lab,
            &lab.router(1),
            "show bgp ipv4 unicast 0.0.0.0/0 json",
        )?)
        .ok()?;
        let best = v["paths"]
            .as_array()?
            .iter()
            .find(|p| p["bestpath"]["overall"] == true)?
            .clone();
        (best["aspath"]["length"] == 5 && best["nexthops"][0]["ip"] == via2.as_str()).then_some(best)
    });
    assert_ok(
        &sh("ip", &["-n", &lab.router(0), "link", "set", &lab.router(1), "up"]),
        "ip link set up",
    );
    assert!(
        rerouted.is_some(),
        "ROUTER_1 did not reach the default via ROUTER_2 ({via2}) in 5 hops"
    );
    assert!(
        wait_for(Duration::from_secs(60), || {
            let o = nsbgp(&["status", "--lab", &lab.name, "--json"]);
            let v: Value = serde_json::from_slice(&o.stdout).ok()?;
            (v["converged"] == true).then_some(())
        })
        .is_some(),
        "the ring converged back"
    );
    // And the kernel's tables and FRR's paths agree with the test's BFS of the whole ring.
    assert_routing(&lab, &links, 0);
}

#[test]
fn clique_5_every_default_is_one_hop() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("tpk", 5, "[topology]\nshape = \"clique\"\n");
    let links: Vec<(usize, usize)> = (0..5).flat_map(|i| (i + 1..5).map(move |j| (i, j))).collect();
    lab.up_wait(120, &[]);
    // converged_and_traced checks every default AS path against the distance: 1 everywhere.
    assert!(bfs_hops(5, &links, 0)[1..].iter().all(|&d| d == 1));
    converged_and_traced(&lab, &links, 0);
    for k in 1..5 {
        assert_eq!(established(&lab, &lab.router(k)), 4, "{}", lab.router(k));
    }
}

#[test]
fn tree_7_converges_and_traces() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("tpt", 7, "[topology]\nshape = \"tree\"\nfanout = 2\n");
    let links: Vec<(usize, usize)> = (1..7).map(|i| ((i - 1) / 2, i)).collect();
    lab.up_wait(120, &[]);
    converged_and_traced(&lab, &links, 0);
    // Leaf to leaf across the root: 3 → 1 → 0 → 2 → 6.
    trace_matches(&lab, &links, 3, Some(6), 4);
}

#[test]
fn grid_3x3_with_ties() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("tpg", 9, "[topology]\nshape = \"grid\"\nrows = 3\ncols = 3\n");
    let mut links = Vec::new();
    for i in 0..9 {
        if i % 3 < 2 {
            links.push((i, i + 1));
        }
        if i / 3 < 2 {
            links.push((i, i + 3));
        }
    }
    lab.up_wait(120, &[]);
    converged_and_traced(&lab, &links, 0);
    // The far corner: 6 equal-cost paths of 4 hops; whichever BGP picked, the trace is one.
    trace_matches(&lab, &links, 8, Some(0), 4);
    trace_matches(&lab, &links, 2, Some(6), 4);
}

#[test]
fn star_5_goes_through_the_hub() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("tps", 5, "[topology]\nshape = \"star\"\n");
    let links: Vec<(usize, usize)> = (1..5).map(|i| (0, i)).collect();
    lab.up_wait(120, &[]);
    converged_and_traced(&lab, &links, 0);
    trace_matches(&lab, &links, 1, Some(4), 2);
    assert_eq!(established(&lab, &lab.router(0)), 4);
}

#[test]
fn a_graph_from_topology_links() {
    if !root_or_skip() {
        return;
    }
    // A square 0-1-2-3 with a tail 2-4-5 and ROUTER_4 as the origin, routers by name and
    // by index.
    let links = [(0, 1), (1, 2), (2, 3), (3, 0), (2, 4), (4, 5)];
    let mut extra = String::from("[topology]\nshape = \"file\"\norigin = 4\n");
    let tl = TestLab::new("tpf", 6, "");
    for (i, (a, b)) in links.iter().enumerate() {
        if i % 2 == 0 {
            extra.push_str(&format!(
                "[[topology.link]]\na = \"{}\"\nb = \"{}\"\n",
                tl.router(*a),
                tl.router(*b)
            ));
        } else {
            extra.push_str(&format!("[[topology.link]]\na = {a}\nb = {b}\n"));
        }
    }
    let text = std::fs::read_to_string(&tl.config).unwrap();
    std::fs::write(&tl.config, format!("{text}{extra}")).unwrap();
    tl.up_wait(120, &[]);
    converged_and_traced(&tl, &links, 4);
    // The world is on ROUTER_4 now: ROUTER_0 is 3 hops from it (0-1-2-4 or 0-3-2-4).
    let ip = String::from_utf8_lossy(&sh("ip", &["-n", &tl.router(4), "-br", "addr", "show", "dev", "lo"]).stdout)
        .into_owned();
    assert!(ip.contains("198.51.100.1/24"), "{ip}");
    trace_matches(&tl, &links, 0, Some(5), 4);
}
