//! Hop-count tests: Debian's traceroute run inside the source router's namespace, its hops
//! mapped back to routers through the address plan.
//!
//! The rule: from router k, `world` (the stub behind the origin's default route) is as many
//! hops away as k's graph distance to the origin, and router j is dist(k, j) hops away, a hop
//! being a router the probe reaches (the target router included); each hop must be a
//! neighbour of the one before (on the chain: |k − j| hops, ROUTER_0 the origin). Paths
//! longer than 255 hops cannot be traced: IP's TTL is 8 bits.

pub mod parse;
mod policy;

use crate::config::{Family, Graph, Lab};
use crate::lab::LabError;
use serde::Serialize;
use std::net::IpAddr;
use std::time::Duration;

pub const TRACEROUTE: &str = "/usr/sbin/traceroute";
/// IP's TTL field (IPv6's hop limit) is 8 bits: no probe can cross more routers.
pub const MAX_TTL: usize = 255;
/// Traces `check` runs at once.
pub const CHECK_CONCURRENCY: usize = 8;

/// What a trace goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// As the user wrote it, or the router's name.
    pub label: String,
    /// The family traced: that of `addr`.
    pub family: Family,
    pub addr: IpAddr,
    /// Hops the rule predicts (None for an address the plan cannot place).
    pub expected: Option<usize>,
    /// The router that owns `addr`.
    pub router: Option<usize>,
}

fn input(msg: String) -> LabError {
    LabError::Input(msg)
}

/// The address of router `to` nearest router `from`: its interface towards a neighbour on a
/// shortest path from `from`. That link's subnet is reached through the neighbour, one hop
/// short of `to`, so the trace takes exactly dist(from, to) hops; through a link whose other
/// end is as far as `to`, BGP may pick that end and add a hop.
pub fn nearest_addr(lab: &Lab, from: usize, to: usize, family: Family) -> IpAddr {
    let d = lab.graph.distances_from(from);
    let r = &lab.routers[to];
    r.interfaces
        .iter()
        .find(|i| d[to].is_some_and(|dt| d[i.peer_index].map(|dp| dp + 1) == Some(dt)))
        .and_then(|i| i.addr(family))
        .map(|a| a.addr)
        // A router without links is the single router of a 1-router lab: the origin.
        .or_else(|| lab.stub(family).map(|s| s.addr))
        .unwrap_or(IpAddr::V4(r.router_id))
}

/// Hops the rule predicts from `from` to address `addr` of router `owner`: its distance,
/// unless the address is on a link whose other end is as far from `from` (then BGP may
/// reach it through either end: no single prediction).
fn expected_to_addr(lab: &Lab, from: usize, owner: usize, addr: IpAddr) -> Option<usize> {
    let d = lab.graph.distances_from(from);
    let dj = d[owner]?;
    let tie = lab.routers[owner]
        .interfaces
        .iter()
        .any(|i| i.holds(addr) && d[i.peer_index] == Some(dj));
    (!tie).then_some(dj as usize)
}

/// The family a trace uses: the one asked for (`-4`/`-6`), which the lab must run, else
/// the lab's first (IPv4 where it has it).
pub fn family_for(lab: &Lab, asked: Option<Family>) -> Result<Family, LabError> {
    match asked {
        Some(f) if !lab.family.has(f) => Err(input(format!(
            "lab {} runs {} only (`[addressing] family = \"{}\"`): trace it without {}",
            lab.name,
            lab.families()
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(" and "),
            lab.family.name(),
            f.flag()
        ))),
        Some(f) => Ok(f),
        None => Ok(lab.families()[0]),
    }
}

/// Resolves `--to` in `family`: `world`, a router (name, index, ASnnn) or an address of the
/// lab (whose own family then decides).
pub fn resolve_target(lab: &Lab, from: usize, spec: &str, family: Family) -> Result<Target, LabError> {
    if lab.internet() {
        return policy::resolve(lab, from, spec);
    }
    let origin = lab.origin();
    if spec == "world" {
        let stub = lab
            .stub(family)
            .ok_or_else(|| input(format!("lab {} has no {family} world", lab.name)))?;
        return Ok(Target {
            label: "world".into(),
            family,
            addr: stub.addr,
            expected: Some(lab.graph.distance(from) as usize),
            router: Some(origin),
        });
    }
    if let Some(j) = lab.resolve_router(spec) {
        let addr = nearest_addr(lab, from, j, family);
        return Ok(Target {
            label: lab.routers[j].name.clone(),
            family: Family::of(addr),
            addr,
            expected: Some(lab.graph.hops(from, j) as usize),
            router: Some(j),
        });
    }
    if let Ok(addr) = spec.parse::<IpAddr>() {
        // Probes only go to the lab's own addresses (network rule): links and the stubs.
        let owner = if lab.stubs.iter().any(|s| s.prefix.contains(&addr)) {
            Some(origin)
        } else {
            lab.router_of_addr(addr).map(|r| r.index)
        };
        return match owner {
            Some(j) => Ok(Target {
                label: spec.into(),
                family: Family::of(addr),
                addr,
                expected: expected_to_addr(lab, from, j, addr),
                router: Some(j),
            }),
            None => {
                let pools: Vec<String> = lab
                    .families()
                    .iter()
                    .map(|f| match f {
                        Family::Ipv4 => lab.link_pool.to_string(),
                        Family::Ipv6 => lab.v6_link_pool.to_string(),
                    })
                    .collect();
                let stubs: Vec<String> = lab.stubs.iter().map(|s| s.prefix.to_string()).collect();
                Err(input(format!(
                    "{addr} is not an address of lab {}: nsbgp only probes the lab's own addresses \
                     (its links in {} and the stub {}); use a router name, an address from `nsbgp exec ROUTER -- ip -br addr`, or `world`",
                    lab.name,
                    pools.join(" and "),
                    stubs.join(" and ")
                )))
            }
        };
    }
    Err(input(format!(
        "--to {spec:?}: use `world`, a router ({}0, 0 or AS{}), or an address of the lab",
        lab.router_prefix, lab.first_asn
    )))
}

#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    pub ttl: u32,
    pub addr: Option<String>,
    pub router: Option<String>,
    pub rtt_ms: Option<f64>,
}

/// `trace --json`. Field names are a contract (see README).
#[derive(Debug, Clone, Serialize)]
pub struct TraceResult {
    pub from: String,
    pub to: String,
    pub target_addr: String,
    pub reached: bool,
    pub hop_count: usize,
    pub expected_hops: Option<usize>,
    pub hops: Vec<Hop>,
    /// Every hop answered and is a neighbour (in the lab's graph) of the hop before it, the
    /// first one of the source.
    pub hops_adjacent: bool,
    /// Why the trace could not run or stopped (traceroute's own words), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TraceResult {
    pub fn passed(&self) -> bool {
        self.reached && self.hops_adjacent && self.expected_hops.map_or(true, |e| e == self.hop_count)
    }
}

/// Whether `path` (routers the hops mapped to; None: unanswered or not a lab address) walks
/// from `from` along links of the graph, one neighbour at a time.
pub fn consecutive(g: &Graph, from: usize, path: &[Option<usize>]) -> bool {
    let mut prev = from;
    for r in path {
        match r {
            Some(r) if g.link_between(prev, *r).is_some() => prev = *r,
            _ => return false,
        }
    }
    true
}

/// Max TTL for a trace: a little past the expected path, never traceroute's default 30.
pub fn max_ttl(lab: &Lab, expected: Option<usize>) -> usize {
    expected
        .map(|e| e + 2)
        .unwrap_or(lab.routers.len() + 1)
        .clamp(1, MAX_TTL)
}

/// Traces from router `from` to `target` (expected hops already checked against the cap).
pub async fn trace(lab: &Lab, from: usize, target: &Target) -> Result<TraceResult, LabError> {
    let src = &lab.routers[from];
    let mut result = TraceResult {
        from: src.name.clone(),
        to: target.label.clone(),
        target_addr: target.addr.to_string(),
        reached: false,
        hop_count: 0,
        expected_hops: target.expected,
        hops: vec![],
        hops_adjacent: true,
        error: None,
    };
    if target.router == Some(from) {
        // The target is the source's own address: nothing to cross.
        result.reached = true;
        return Ok(result);
    }
    let m = max_ttl(lab, target.expected);
    let fd = crate::netns::open_named(&src.name).map_err(|e| LabError::Runtime(e.to_string()))?;
    let ttl = m.to_string();
    let mut args = vec![target.family.flag(), "-n", "-q", "1", "-w", "1", "-m", &ttl];
    // An internet lab announces no link subnets: probes leave from the AS's own prefix, the
    // one address every other AS has a route back to.
    let own = lab
        .policy
        .prefixes
        .get(from)
        .map(|&p| crate::config::policy::origin_addr(p).to_string());
    if let Some(a) = &own {
        args.extend(["-s", a.as_str()]);
    }
    let dst = target.addr.to_string();
    args.push(&dst);
    let cmd = crate::runner::InRouter::new(TRACEROUTE)
        .args(args)
        .stdin(std::process::Stdio::null())
        .netns(fd)
        .command();
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.kill_on_drop(true);
    // Probes go out 16 at a time with a 1 s wait: a silent path costs about m/16 + 1 s.
    let limit = Duration::from_secs(5 + m as u64 / 4);
    let out = tokio::time::timeout(limit, cmd.output())
        .await
        .map_err(|_| LabError::Runtime(format!("traceroute from {} did not finish within {limit:?}", src.name)))?
        .map_err(|e| {
            LabError::Runtime(format!(
                "cannot run {TRACEROUTE} in {}: {e}; install it with `apt-get install traceroute`",
                src.name
            ))
        })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed = parse::parse(&text);
    result.error = parsed.error;
    result.hops = parsed
        .hops
        .iter()
        .map(|h| Hop {
            ttl: h.ttl,
            addr: h.addr.map(|a| a.to_string()),
            router: h.addr.and_then(|a| lab.router_of_addr(a)).map(|r| r.name.clone()),
            rtt_ms: h.rtt_ms,
        })
        .collect();
    let path: Vec<Option<usize>> = parsed
        .hops
        .iter()
        .map(|h| h.addr.and_then(|a| lab.router_of_addr(a)).map(|r| r.index))
        .collect();
    result.hops_adjacent = consecutive(&lab.graph, from, &path);
    let last = parsed.hops.last();
    result.reached = last.is_some_and(|h| h.addr == Some(target.addr) && h.note.is_none());
    result.hop_count = last.map_or(0, |h| h.ttl as usize);
    Ok(result)
}

/// Refuses traces the TTL cannot carry, saying why.
pub fn check_cap(lab: &Lab, from: usize, target: &Target) -> Result<(), LabError> {
    match target.expected {
        Some(e) if e > MAX_TTL => Err(input(format!(
            "{} → {} is {e} hops, but IP's 8-bit TTL caps any path at {MAX_TTL} hops; \
             trace to a router at most {MAX_TTL} hops away (lab {} has {} routers)",
            lab.routers[from].name,
            target.label,
            lab.name,
            lab.routers.len()
        ))),
        _ => Ok(()),
    }
}

/// One `check` case.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// The family traced ("ipv4", "ipv6"): `check` runs every case in every family of the lab.
    pub family: Family,
    pub from: String,
    pub to: String,
    pub expected: usize,
    pub got: Option<usize>,
    pub reached: bool,
    pub pass: bool,
    /// Why the case was not run (over the TTL cap) or could not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Source routers for `check`: all, or `k` spread evenly with both ends included.
pub fn sample(n: usize, k: Option<usize>) -> Vec<usize> {
    match k {
        Some(k) if k < n => {
            if k <= 1 {
                return vec![n - 1];
            }
            let mut v: Vec<usize> = (0..k).map(|i| i * (n - 1) / (k - 1)).collect();
            v.dedup();
            v
        }
        _ => (0..n).collect(),
    }
}

/// The cases `check` runs on an internet lab: from each source to each sampled origin's
/// own prefix (every router when `origins` is None), never to itself.
pub fn policy_cases(n: usize, sources: &[usize], origins: Option<&[usize]>) -> Vec<(usize, Option<usize>)> {
    let all: Vec<usize> = (0..n).collect();
    let origins = origins.unwrap_or(&all);
    sources
        .iter()
        .flat_map(|&k| origins.iter().filter(move |&&j| j != k).map(move |&j| (k, Some(j))))
        .collect()
}

/// Seed of the sampled pairs: fixed, so two runs of `check` trace the same pairs.
pub const SAMPLE_SEED: u64 = 0x6e73_6267_7000_0016;

/// splitmix64: a tiny deterministic generator for the sampled pairs.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The cases `check` runs from `sources`: each to `world`, to its first neighbour, to a
/// router farthest from it and to one seeded random router; then the pairs at the graph's
/// diameter (at most as many as there are sources, so a clique's all-pairs diameter stays
/// bounded). Each case once, never to itself.
pub fn cases(g: &Graph, sources: &[usize]) -> Vec<(usize, Option<usize>)> {
    let n = g.len();
    let mut v: Vec<(usize, Option<usize>)> = Vec::new();
    let push = |c: (usize, Option<usize>), v: &mut Vec<(usize, Option<usize>)>| {
        if c.1 != Some(c.0) && !v.contains(&c) {
            v.push(c);
        }
    };
    for &k in sources {
        push((k, None), &mut v);
        if let Some(&(j, _)) = g.neighbours(k).first() {
            push((k, Some(j)), &mut v);
        }
        let d = g.distances_from(k);
        let far = (0..n).max_by_key(|&j| (d[j].unwrap_or(0), std::cmp::Reverse(j)));
        if let Some(j) = far {
            push((k, Some(j)), &mut v);
        }
        if n > 1 {
            let j = (mix(SAMPLE_SEED ^ k as u64) % n as u64) as usize;
            push((k, Some(if j == k { (j + 1) % n } else { j })), &mut v);
        }
    }
    let (_, pairs) = g.diameter_pairs();
    for (a, b) in pairs.into_iter().take(sources.len().max(1)) {
        if !v.contains(&(b, Some(a))) {
            push((a, Some(b)), &mut v);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Overrides};

    fn lab(n: usize) -> Lab {
        shaped(n, "")
    }

    fn shaped(n: usize, topology: &str) -> Lab {
        let f = config::parse("t.toml", &format!("name = \"t\"\nrouters = {n}\n{topology}")).unwrap();
        config::validate("t.toml", f, &Overrides::default()).unwrap()
    }

    #[test]
    fn targets_and_expected_hops() {
        let l = lab(10);
        let w = resolve_target(&l, 9, "world", Family::Ipv4).unwrap();
        assert_eq!((w.addr.to_string(), w.expected), ("198.51.100.1".into(), Some(9)));
        // ROUTER_3 seen from ROUTER_9: its address on link 4 (facing ROUTER_4), 6 hops.
        let r = resolve_target(&l, 9, "ROUTER_3", Family::Ipv4).unwrap();
        assert_eq!(
            (r.addr.to_string(), r.expected, r.router),
            ("172.31.4.2".into(), Some(6), Some(3))
        );
        // Seen from ROUTER_0: its address on link 3 (facing ROUTER_2).
        assert_eq!(
            resolve_target(&l, 0, "AS103", Family::Ipv4).unwrap().addr.to_string(),
            "172.31.3.1"
        );
        assert_eq!(resolve_target(&l, 5, "7", Family::Ipv4).unwrap().expected, Some(2));
        let a = resolve_target(&l, 5, "172.31.2.1", Family::Ipv4).unwrap();
        assert_eq!((a.router, a.expected), (Some(2), Some(3)));
        assert_eq!(
            resolve_target(&l, 5, "198.51.100.77", Family::Ipv4).unwrap().expected,
            Some(5)
        );
    }

    #[test]
    fn outside_addresses_and_nonsense_are_refused() {
        let l = lab(10);
        for bad in ["8.8.8.8", "203.0.113.5", "172.31.200.1", "ROUTER_10", "moon", ""] {
            match resolve_target(&l, 1, bad, Family::Ipv4) {
                Err(LabError::Input(m)) => assert!(!m.is_empty()),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn ttl_cap_and_max_ttl() {
        let l = lab(1000);
        let far = resolve_target(&l, 999, "world", Family::Ipv4).unwrap();
        let e = check_cap(&l, 999, &far).unwrap_err();
        assert!(e.to_string().contains("255"), "{e}");
        let ok = resolve_target(&l, 255, "world", Family::Ipv4).unwrap();
        assert!(check_cap(&l, 255, &ok).is_ok());
        assert_eq!(max_ttl(&l, Some(255)), 255);
        assert_eq!(max_ttl(&l, Some(9)), 11);
        assert_eq!(max_ttl(&lab(10), None), 11);
    }

    #[test]
    fn sampling_and_cases() {
        assert_eq!(sample(100, Some(5)), [0, 24, 49, 74, 99]);
        assert_eq!(sample(3, Some(10)), [0, 1, 2]);
        assert_eq!(sample(4, None), [0, 1, 2, 3]);
        let g = |n: usize| lab(n).graph;
        let c = cases(&g(10), &[0]);
        assert_eq!(c[..3], [(0, None), (0, Some(1)), (0, Some(9))]);
        // Plus at most one sampled router; the diameter pair is (0, 9) again.
        assert!(c.len() <= 4, "{c:?}");
        let c = cases(&g(10), &[9]);
        assert_eq!(c[..3], [(9, None), (9, Some(8)), (9, Some(0))]);
        assert!(c.contains(&(9, Some(0))), "{c:?}: the diameter pair, either way round");
        assert_eq!(cases(&g(2), &[1]), [(1, None), (1, Some(0))]);
        assert_eq!(cases(&g(1), &[0]), [(0, None)]);
        // The same seed, the same pairs.
        assert_eq!(cases(&g(50), &sample(50, None)), cases(&g(50), &sample(50, None)));
        // A clique: every pair is at the diameter; only as many as sources are added.
        let k = shaped(8, "[topology]\nshape = \"clique\"\n").graph;
        let c = cases(&k, &[3, 5]);
        assert!(c.iter().all(|&(a, b)| b != Some(a)));
        assert!(c.len() <= 2 * 4 + 2, "{c:?}");
        // A ring: the farthest router is opposite.
        let r = shaped(6, "[topology]\nshape = \"ring\"\n").graph;
        assert_eq!(cases(&r, &[1])[2], (1, Some(4)));
    }

    #[test]
    fn graph_targets_and_consecutive_hops() {
        let r = shaped(6, "[topology]\nshape = \"ring\"\n");
        // ROUTER_4 reaches the world the short way round: 2 hops.
        assert_eq!(resolve_target(&r, 4, "world", Family::Ipv4).unwrap().expected, Some(2));
        // ROUTER_5 seen from ROUTER_1: 2 hops via ROUTER_0, so its address on link 6 (0—5).
        let t = resolve_target(&r, 1, "ROUTER_5", Family::Ipv4).unwrap();
        assert_eq!(t.expected, Some(2));
        assert_eq!(Some(t.addr), r.interface_to(5, 0).map(|i| i.first_addr().addr));
        // An address on a link whose far end is as far as the owner: no single prediction.
        let g = shaped(4, "[topology]\nshape = \"ring\"\n");
        let a = g.interface_to(1, 2).unwrap().first_addr().addr; // from 3: ROUTER_1 and ROUTER_2 are 2 and 1 hops
        assert_eq!(
            resolve_target(&g, 3, &a.to_string(), Family::Ipv4).unwrap().expected,
            Some(2)
        );
        let odd = shaped(5, "[topology]\nshape = \"ring\"\n");
        let a = odd.interface_to(2, 3).unwrap().first_addr().addr; // from 0: both ends are 2 hops away
        assert_eq!(
            resolve_target(&odd, 0, &a.to_string(), Family::Ipv4).unwrap().expected,
            None
        );
        // Another origin: the world is where it is.
        let o = shaped(5, "[topology]\nshape = \"star\"\norigin = 3\n");
        let w = resolve_target(&o, 4, "world", Family::Ipv4).unwrap();
        assert_eq!((w.expected, w.router), (Some(2), Some(3)));
        assert_eq!(o.router_of_addr(o.stubs[0].addr).map(|r| r.index), Some(3));
        // Hops must walk the graph.
        let gr = &r.graph;
        assert!(consecutive(gr, 3, &[Some(2), Some(1), Some(0)]));
        assert!(consecutive(gr, 3, &[Some(4), Some(5), Some(0)]));
        assert!(!consecutive(gr, 3, &[Some(2), Some(0)]));
        assert!(!consecutive(gr, 3, &[Some(2), None, Some(0)]));
        assert!(consecutive(gr, 3, &[]));
    }

    #[test]
    fn pass_rule() {
        let mut r = TraceResult {
            from: "a".into(),
            to: "b".into(),
            target_addr: "1.2.3.4".into(),
            reached: true,
            hop_count: 3,
            expected_hops: Some(3),
            hops: vec![],
            hops_adjacent: true,
            error: None,
        };
        assert!(r.passed());
        r.hops_adjacent = false;
        assert!(!r.passed());
        r.hops_adjacent = true;
        r.expected_hops = Some(4);
        assert!(!r.passed());
        r.expected_hops = None;
        assert!(r.passed());
        r.reached = false;
        assert!(!r.passed());
    }
}
