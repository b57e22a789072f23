//! Hop-count tests: Debian's traceroute run inside the source router's namespace, its hops
//! mapped back to routers through the address plan.
//!
//! The rule: from ROUTER_k, `world` (the stub behind ROUTER_0's default route) is k hops
//! away and ROUTER_j is |k − j| hops away, a hop being a router the probe reaches (the
//! target router included). Paths longer than 255 hops cannot be traced: IP's TTL is 8 bits.

pub mod parse;

use crate::config::Lab;
use crate::lab::LabError;
use serde::Serialize;
use std::net::Ipv4Addr;
use std::time::Duration;

pub const TRACEROUTE: &str = "/usr/sbin/traceroute";
/// IP's TTL field is 8 bits: no probe can cross more routers.
pub const MAX_TTL: usize = 255;
/// Traces `check` runs at once.
pub const CHECK_CONCURRENCY: usize = 8;

/// What a trace goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// As the user wrote it, or the router's name.
    pub label: String,
    pub addr: Ipv4Addr,
    /// Hops the rule predicts (None for an address the plan cannot place).
    pub expected: Option<usize>,
    /// The router that owns `addr`.
    pub router: Option<usize>,
}

fn input(msg: String) -> LabError {
    LabError::Input(msg)
}

/// The address of router `to` nearest router `from`: its interface facing `from`'s side.
pub fn nearest_addr(lab: &Lab, from: usize, to: usize) -> Ipv4Addr {
    let r = &lab.routers[to];
    let towards = if from < to { to - 1 } else { to + 1 };
    r.interfaces
        .iter()
        .find(|i| i.peer_index == towards)
        .map(|i| i.addr)
        .unwrap_or(r.router_id)
}

/// Resolves `--to`: `world`, a router (name, index, ASnnn) or an IPv4 address of the lab.
pub fn resolve_target(lab: &Lab, from: usize, spec: &str) -> Result<Target, LabError> {
    if spec == "world" {
        return Ok(Target {
            label: "world".into(),
            addr: lab.stub_addr,
            expected: Some(from),
            router: Some(0),
        });
    }
    if let Some(j) = lab.resolve_router(spec) {
        return Ok(Target {
            label: lab.routers[j].name.clone(),
            addr: nearest_addr(lab, from, j),
            expected: Some(from.abs_diff(j)),
            router: Some(j),
        });
    }
    if let Ok(addr) = spec.parse::<Ipv4Addr>() {
        // Probes only go to the lab's own addresses (network rule): links and the stub.
        let owner = if lab.stub_prefix.contains(&addr) {
            Some(0)
        } else {
            lab.router_of_addr(addr).map(|r| r.index)
        };
        return match owner {
            Some(j) => Ok(Target {
                label: spec.into(),
                addr,
                expected: Some(from.abs_diff(j)),
                router: Some(j),
            }),
            None => Err(input(format!(
                "{addr} is not an address of lab {}: nsbgp only probes the lab's own addresses \
                 (its links in {} and the stub {}); use a router name, an address from `nsbgp exec ROUTER -- ip -br addr`, or `world`",
                lab.name, lab.link_pool, lab.stub_prefix
            ))),
        };
    }
    Err(input(format!(
        "--to {spec:?}: use `world`, a router ({}0, 0 or AS{}), or an IPv4 address of the lab",
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
    /// Why the trace could not run or stopped (traceroute's own words), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TraceResult {
    pub fn passed(&self) -> bool {
        self.reached && self.expected_hops.map_or(true, |e| e == self.hop_count)
    }
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
        error: None,
    };
    if target.router == Some(from) {
        // The target is the source's own address: nothing to cross.
        result.reached = true;
        return Ok(result);
    }
    let m = max_ttl(lab, target.expected);
    let fd = crate::netns::open_named(&src.name).map_err(|e| LabError::Runtime(e.to_string()))?;
    let cmd = crate::runner::InRouter::new(TRACEROUTE)
        .args([
            "-n",
            "-q",
            "1",
            "-w",
            "1",
            "-m",
            &m.to_string(),
            &target.addr.to_string(),
        ])
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

/// The cases `check` runs from `sources`: to `world`, and to a neighbour, the middle and
/// the far end of the chain (each once, never to itself).
pub fn cases(n: usize, sources: &[usize]) -> Vec<(usize, Option<usize>)> {
    let mut v = Vec::new();
    for &k in sources {
        v.push((k, None));
        let neighbour = if k > 0 { k - 1 } else { 1.min(n - 1) };
        let mut targets = vec![neighbour, n / 2, if k < n / 2 { n - 1 } else { 0 }];
        targets.sort();
        targets.dedup();
        for j in targets.into_iter().filter(|&j| j != k) {
            v.push((k, Some(j)));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Overrides};

    fn lab(n: usize) -> Lab {
        let f = config::parse("t.toml", &format!("name = \"t\"\nrouters = {n}\n")).unwrap();
        config::validate("t.toml", f, &Overrides::default()).unwrap()
    }

    #[test]
    fn targets_and_expected_hops() {
        let l = lab(10);
        let w = resolve_target(&l, 9, "world").unwrap();
        assert_eq!((w.addr.to_string(), w.expected), ("198.51.100.1".into(), Some(9)));
        // ROUTER_3 seen from ROUTER_9: its address on link 4 (facing ROUTER_4), 6 hops.
        let r = resolve_target(&l, 9, "ROUTER_3").unwrap();
        assert_eq!(
            (r.addr.to_string(), r.expected, r.router),
            ("172.31.4.2".into(), Some(6), Some(3))
        );
        // Seen from ROUTER_0: its address on link 3 (facing ROUTER_2).
        assert_eq!(resolve_target(&l, 0, "AS103").unwrap().addr.to_string(), "172.31.3.1");
        assert_eq!(resolve_target(&l, 5, "7").unwrap().expected, Some(2));
        let a = resolve_target(&l, 5, "172.31.2.1").unwrap();
        assert_eq!((a.router, a.expected), (Some(2), Some(3)));
        assert_eq!(resolve_target(&l, 5, "198.51.100.77").unwrap().expected, Some(5));
    }

    #[test]
    fn outside_addresses_and_nonsense_are_refused() {
        let l = lab(10);
        for bad in ["8.8.8.8", "203.0.113.5", "172.31.200.1", "ROUTER_10", "moon", ""] {
            match resolve_target(&l, 1, bad) {
                Err(LabError::Input(m)) => assert!(!m.is_empty()),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn ttl_cap_and_max_ttl() {
        let l = lab(1000);
        let far = resolve_target(&l, 999, "world").unwrap();
        let e = check_cap(&l, 999, &far).unwrap_err();
        assert!(e.to_string().contains("255"), "{e}");
        let ok = resolve_target(&l, 255, "world").unwrap();
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
        assert_eq!(cases(10, &[0]), [(0, None), (0, Some(1)), (0, Some(5)), (0, Some(9))]);
        assert_eq!(cases(10, &[9]), [(9, None), (9, Some(0)), (9, Some(5)), (9, Some(8))]);
        assert_eq!(cases(2, &[1]), [(1, None), (1, Some(0))]);
        assert_eq!(cases(1, &[0]), [(0, None)]);
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
            error: None,
        };
        assert!(r.passed());
        r.expected_hops = Some(4);
        assert!(!r.passed());
        r.expected_hops = None;
        assert!(r.passed());
        r.reached = false;
        assert!(!r.passed());
    }
}
