//! Independent witnesses of a converged lab (FRR, BIRD or both): the kernel's FIB (`ip -j route` inside each
//! namespace), the addresses on the neighbours' interfaces (`ip -j addr`), FRR's own RIB
//! (vtysh JSON) or BIRD's (birdc), and counts this module works out from the test's own list of links. Used
//! after nsbgp's `converged` has said yes, so that nsbgp never judges itself.

use super::{sh_ok, vtysh, vtysh_try, TestLab};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

/// Hops from `src` to every router over `links` (the test's own BFS, not nsbgp's).
pub fn bfs_hops(n: usize, links: &[(usize, usize)], src: usize) -> Vec<usize> {
    let mut d = vec![usize::MAX; n];
    d[src] = 0;
    let mut q = VecDeque::from([src]);
    while let Some(u) = q.pop_front() {
        for &(a, b) in links {
            for (x, y) in [(a, b), (b, a)] {
                if x == u && d[y] == usize::MAX {
                    d[y] = d[u] + 1;
                    q.push_back(y);
                }
            }
        }
    }
    d
}

/// The links of a chain of `n` routers: 0-1, 1-2, …
pub fn chain_links(n: usize) -> Vec<(usize, usize)> {
    (1..n).map(|i| (i - 1, i)).collect()
}

/// IPv4 addresses on the interfaces of a router (its namespace), by `ip -j addr`.
pub fn addresses(router: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(&sh_ok("ip", &["-n", router, "-j", "-4", "addr", "show"])).unwrap();
    v.as_array()
        .into_iter()
        .flatten()
        .flat_map(|l| l["addr_info"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a["local"].as_str().map(str::to_string))
        .collect()
}

/// Router `r`'s IPv4 address on its link to `peer` (the interface named after it), from its
/// namespace.
pub fn link_addr(lab: &TestLab, r: usize, peer: usize) -> String {
    let out = sh_ok(
        "ip",
        &[
            "-n",
            &lab.router(r),
            "-j",
            "-4",
            "addr",
            "show",
            "dev",
            &lab.router(peer),
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    v[0]["addr_info"][0]["local"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no IPv4 address towards {}: {out}", lab.router(r), lab.router(peer)))
        .to_string()
}

/// The gateways of a router's default route in its kernel FIB (several for multipath),
/// empty when it has none.
pub fn fib_default_gateways(router: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(&sh_ok("ip", &["-n", router, "-j", "-4", "route", "show", "default"])).unwrap();
    let Some(r) = v.as_array().and_then(|a| a.first()) else {
        return Vec::new();
    };
    match r["gateway"].as_str() {
        Some(g) => vec![g.to_string()],
        None => r["nexthops"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| h["gateway"].as_str().map(str::to_string))
            .collect(),
    }
}

/// A BIRD router (its control socket is there), else FRR.
fn is_bird(lab: &TestLab, router: &str) -> bool {
    lab.state_dir().join(format!("routers/{router}/run/bird.ctl")).exists()
}

/// How many routes the kernel holds from the router's BGP daemon (`proto bgp` from FRR's
/// zebra, `proto bird` from BIRD's kernel protocol) in its namespace.
pub fn fib_bgp_routes(lab: &TestLab, router: &str) -> usize {
    let proto = if is_bird(lab, router) { "bird" } else { "bgp" };
    let v: Value = serde_json::from_str(&sh_ok(
        "ip",
        &["-n", router, "-j", "-4", "route", "show", "proto", proto],
    ))
    .unwrap();
    v.as_array().map_or(0, Vec::len)
}

/// Whether the best path to 0.0.0.0/0 on a router has an AS path of `want` hops, by its
/// daemon's own client: FRR's vtysh (JSON length) or BIRD's birdc (the `BGP.as_path:` it
/// prints, or — BIRD cuts that line short with `...` past ~120 ASNs — a route filter on
/// `bgp_path.len`). Err says what it saw instead.
pub fn default_path_len_is(lab: &TestLab, router: &str, want: usize) -> Result<(), String> {
    if is_bird(lab, router) {
        let sock = lab.state_dir().join(format!("routers/{router}/run/bird.ctl"));
        let sock = sock.to_str().unwrap();
        let out = super::stdout(&super::sh(
            "birdc",
            &["-s", sock, "show", "route", "0.0.0.0/0", "primary", "all"],
        ));
        let Some(path) = out.lines().find_map(|l| l.trim().strip_prefix("BGP.as_path:")) else {
            return Err(format!("no BGP default in birdc:\n{out}"));
        };
        if !path.ends_with("...") {
            let got = path.split_whitespace().count();
            return (got == want).then_some(()).ok_or(format!("AS-path length {got}"));
        }
        let filter = format!("bgp_path.len = {want}");
        let out = super::stdout(&super::sh(
            "birdc",
            &["-s", sock, "show", "route", "0.0.0.0/0", "primary", "where", &filter],
        ));
        return out
            .contains("0.0.0.0/0")
            .then_some(())
            .ok_or(format!("no default with {filter}"));
    }
    let out = vtysh_try(lab, router, "show bgp ipv4 unicast 0.0.0.0/0 json").ok_or("vtysh failed")?;
    let v: Value = serde_json::from_str(&out).map_err(|e| format!("vtysh: {e}"))?;
    let got = v["paths"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["bestpath"]["overall"] == true))
        .and_then(|p| p["aspath"]["length"].as_u64());
    (got == Some(want as u64))
        .then_some(())
        .ok_or(format!("AS-path length {got:?}"))
}

/// Everything wrong with the routing of a lab whose links are `links` and whose
/// default comes from `origin`, by the witnesses above; empty when every router
/// - has its default in the FIB through an address of a neighbour one hop nearer the origin,
/// - has its daemon's best default with an AS path as long as its BFS distance, and
/// - holds from BGP exactly the prefixes it is not attached to: every link it does not
///   touch, plus the stub and the default when it is not the origin.
pub fn routing_problems(lab: &TestLab, links: &[(usize, usize)], origin: usize) -> Vec<String> {
    let n = lab.routers;
    let d = bfs_hops(n, links, origin);
    let addrs: Vec<Vec<String>> = (0..n).map(|i| addresses(&lab.router(i))).collect();
    let mut bad = Vec::new();
    for i in 0..n {
        let r = lab.router(i);
        let degree = links.iter().filter(|&&(a, b)| a == i || b == i).count();
        let want_routes = links.len() - degree + if i == origin { 0 } else { 2 };
        let got_routes = fib_bgp_routes(lab, &r);
        if got_routes != want_routes {
            bad.push(format!("{r}: {got_routes} BGP routes in the FIB, want {want_routes}"));
        }
        if i == origin {
            continue;
        }
        let nearer: Vec<usize> = links
            .iter()
            .filter_map(|&(a, b)| match (a == i, b == i) {
                (true, _) => Some(b),
                (_, true) => Some(a),
                _ => None,
            })
            .filter(|&j| d[j] + 1 == d[i])
            .collect();
        let gws = fib_default_gateways(&r);
        if gws.is_empty() || !gws.iter().all(|g| nearer.iter().any(|&j| addrs[j].contains(g))) {
            bad.push(format!(
                "{r}: default via {gws:?} in the FIB, want an address of {:?}",
                nearer.iter().map(|&j| lab.router(j)).collect::<Vec<_>>()
            ));
        }
        if let Err(e) = default_path_len_is(lab, &r, d[i]) {
            bad.push(format!(
                "{r}: its daemon's best default: {e}, want AS-path length {}",
                d[i]
            ));
        }
    }
    bad
}

/// Asserts [`routing_problems`] finds nothing.
pub fn assert_routing(lab: &TestLab, links: &[(usize, usize)], origin: usize) {
    let bad = routing_problems(lab, links, origin);
    assert!(bad.is_empty(), "lab {}:\n  {}", lab.name, bad.join("\n  "));
}

/// A router's best AS paths by prefix, from its daemon's own CLI: FRR's vtysh (JSON) or
/// BIRD's birdc (`show route all`, the primary route's `BGP.as_path`). Own routes (empty
/// path) are left out.
pub fn best_paths(lab: &TestLab, router: &str, bird: bool) -> BTreeMap<String, Vec<u32>> {
    let mut out = BTreeMap::new();
    if bird {
        let sock = format!("/run/nsbgp/{}/routers/{router}/run/bird.ctl", lab.name);
        let o = super::sh("birdc", &["-s", &sock, "show route all"]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let (mut net, mut best) = (String::new(), false);
        for line in text.lines() {
            if let Some(attr) = line.strip_prefix('\t') {
                if let (true, Some(p)) = (best, attr.trim().strip_prefix("BGP.as_path:")) {
                    out.insert(net.clone(), p.split_whitespace().map(|a| a.parse().unwrap()).collect());
                }
                continue;
            }
            if !line.starts_with(' ') && line.contains("unicast") {
                net = line.split_whitespace().next().unwrap().to_string();
            }
            best = line.contains("] * (");
        }
    } else {
        let v: Value = serde_json::from_str(&vtysh(lab, router, "show ip bgp json")).unwrap_or_default();
        for (p, paths) in v["routes"].as_object().into_iter().flatten() {
            for path in paths.as_array().unwrap() {
                if path["bestpath"] == true && path["path"] != "" {
                    let asns = path["path"].as_str().unwrap().split_whitespace();
                    out.insert(p.clone(), asns.map(|a| a.parse().unwrap()).collect());
                }
            }
        }
    }
    out
}

/// Whether the AS path `path` that `holder` uses (nearest AS first, the origin last) is
/// valley-free on the relationships `p2c` (provider, customer) and `p2p`: read from the
/// origin, it climbs customer → provider, takes at most one peer step, then only descends.
pub fn valley_free<T: PartialEq + Copy>(holder: T, path: &[T], p2c: &[(T, T)], p2p: &[(T, T)]) -> bool {
    let mut hops = vec![holder];
    hops.extend_from_slice(path);
    let mut phase = 0; // 0 climbing, 1 after the peer step, 2 descending
    for w in hops.windows(2).rev() {
        let (from, to) = (w[1], w[0]);
        phase = if p2c.contains(&(to, from)) && phase == 0 {
            0
        } else if (p2p.contains(&(from, to)) || p2p.contains(&(to, from))) && phase == 0 {
            1
        } else if p2c.contains(&(from, to)) {
            2
        } else {
            return false;
        };
    }
    true
}
