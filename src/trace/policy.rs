//! Trace targets of internet labs (`[policy] model = "gao-rexford"`): a router stands for
//! its AS, and the address traced is the first host of the AS's own prefix (on its `lo`).
//! The expected hop count is the AS-path length of the source's best route to that prefix
//! under the policy (crate::policy), not the graph distance: a valley-free path may be
//! longer than the shortest one. Link subnets are not announced, so a link address is
//! reachable from that link's two routers only; there is no `world`.

use super::Target;
use crate::config::policy::{origin_addr, ORIGIN_POOL};
use crate::config::{Family, Lab};
use crate::lab::LabError;
use crate::policy::{routes_to, Net};
use std::net::IpAddr;

/// Hops from `from` to router `to`'s own prefix by the policy (None: it predicts no route).
pub fn hops(lab: &Lab, from: usize, to: usize) -> Option<usize> {
    if from == to {
        return Some(0);
    }
    routes_to(&Net::of(lab), &[to])[from].map(|b| b.len as usize)
}

fn own_prefix_target(lab: &Lab, from: usize, j: usize, label: String, addr: IpAddr) -> Target {
    Target {
        label,
        family: Family::Ipv4,
        addr,
        expected: hops(lab, from, j),
        router: Some(j),
    }
}

pub fn resolve(lab: &Lab, from: usize, spec: &str) -> Result<Target, LabError> {
    let input = |m: String| LabError::Input(m);
    let own = |j: usize| IpAddr::V4(origin_addr(lab.policy.prefixes[j]));
    if spec == "world" {
        return Err(input(format!(
            "lab {} is an internet lab: there is no world, every AS originates a prefix of its own \
             from {ORIGIN_POOL}; trace to a router (its name or AS number) instead",
            lab.name
        )));
    }
    if let Some(j) = lab.resolve_router(spec) {
        return Ok(own_prefix_target(lab, from, j, lab.routers[j].name.clone(), own(j)));
    }
    let Ok(addr) = spec.parse::<IpAddr>() else {
        return Err(input(format!(
            "--to {spec:?}: use a router ({} or AS{}) or an address of the lab",
            lab.routers[0].name, lab.routers[0].asn
        )));
    };
    if let Some(j) = match addr {
        IpAddr::V4(a) => lab.owner_of_addr(a),
        IpAddr::V6(_) => None,
    } {
        return Ok(own_prefix_target(lab, from, j, spec.into(), addr));
    }
    let Some(owner) = lab.router_of_addr(addr).map(|r| r.index) else {
        return Err(input(format!(
            "{addr} is not an address of lab {}: nsbgp only probes the lab's own addresses (the \
             ASes' prefixes in {ORIGIN_POOL}, links in {}); use a router name or its prefix's first address",
            lab.name, lab.link_pool
        )));
    };
    // A link address: on the source itself, or one hop across a link the source is on.
    let expected = if owner == from {
        Some(0)
    } else if lab.interface_to(owner, from).is_some_and(|i| i.holds(addr)) {
        Some(1)
    } else {
        let far = lab.routers[owner]
            .interfaces
            .iter()
            .find(|i| i.holds(addr))
            .map_or("?".to_string(), |i| i.peer_name.clone());
        return Err(input(format!(
            "{addr} is on the link between {} and {far}: an internet lab does not announce its link \
             subnets, so only those two routers reach it; trace to {} (its own prefix, {}) instead",
            lab.routers[owner].name,
            lab.routers[owner].name,
            own(owner)
        )));
    };
    Ok(Target {
        label: spec.into(),
        family: Family::of(addr),
        addr,
        expected,
        router: Some(owner),
    })
}

#[cfg(test)]
mod tests {
    use super::super::resolve_target;
    use super::*;
    use crate::config::{self, Overrides};

    /// Tier-1s 0 and 1 peer; 2 is a customer of 0, 3 of 1, 4 of 2 and 3. The shortest path
    /// from 2 to 3 is 2-4-3, but 4 is a customer of both and exports neither provider's
    /// route to the other: the policy path is 2-0-1-3, three hops.
    fn lab() -> Lab {
        let text = r#"name = "t"
routers = 5
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
b = 4
rel = "p2c"
[[topology.link]]
a = 3
b = 4
rel = "p2c"
"#;
        config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap()
    }

    #[test]
    fn routers_are_traced_at_their_own_prefix_by_policy_length() {
        let l = lab();
        let t = resolve_target(&l, 2, "ROUTER_3", Family::Ipv4).unwrap();
        assert_eq!(
            (t.addr.to_string(), t.expected, t.router),
            ("198.18.3.1".into(), Some(3), Some(3))
        );
        assert_eq!(l.graph.hops(2, 3), 2, "the shortest path is shorter");
        // 4 reaches 0 up through 2 (two hops), 0 reaches 4 down the same way.
        assert_eq!(resolve_target(&l, 4, "AS100", Family::Ipv4).unwrap().expected, Some(2));
        assert_eq!(resolve_target(&l, 0, "4", Family::Ipv4).unwrap().expected, Some(2));
        // An address in an AS's prefix is that AS; its lo address maps back to it.
        let a = resolve_target(&l, 2, "198.18.3.1", Family::Ipv4).unwrap();
        assert_eq!((a.router, a.expected), (Some(3), Some(3)));
        assert_eq!(
            l.router_of_addr("198.18.4.1".parse().unwrap()).map(|r| r.index),
            Some(4)
        );
        assert_eq!(
            resolve_target(&l, 3, "ROUTER_3", Family::Ipv4).unwrap().expected,
            Some(0)
        );
    }

    #[test]
    fn no_world_and_far_link_addresses_are_refused() {
        let l = lab();
        let e = resolve_target(&l, 2, "world", Family::Ipv4).unwrap_err();
        assert!(matches!(&e, LabError::Input(m) if m.contains("no world")), "{e}");
        // Link 0-1's address at 1: one hop from 0, unrouted from 4.
        let a = l.interface_to(1, 0).unwrap().first_addr().addr.to_string();
        assert_eq!(resolve_target(&l, 0, &a, Family::Ipv4).unwrap().expected, Some(1));
        assert_eq!(resolve_target(&l, 1, &a, Family::Ipv4).unwrap().expected, Some(0));
        let e = resolve_target(&l, 4, &a, Family::Ipv4).unwrap_err();
        assert!(
            matches!(&e, LabError::Input(m) if m.contains("does not announce its link") && m.contains("198.18.1.1")),
            "{e}"
        );
        for bad in ["8.8.8.8", "198.20.0.1", "moon"] {
            assert!(
                matches!(resolve_target(&l, 0, bad, Family::Ipv4), Err(LabError::Input(_))),
                "{bad}"
            );
        }
    }

    /// On the shipped internet-100, `check` expects policy lengths: some pairs are farther
    /// apart by policy than by the graph, none nearer.
    #[test]
    fn internet_100_expects_policy_lengths_not_shortest_paths() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/internet-100.toml");
        let l = config::load(&path, &Overrides::default()).unwrap();
        let net = Net::of(&l);
        let (mut longer, mut pairs) = (0, 0);
        for j in 0..l.routers.len() {
            let best = routes_to(&net, &[j]);
            for (k, b) in best.iter().enumerate().filter(|&(k, _)| k != j) {
                let len = b.expect("a connected hierarchy reaches every AS").len as usize;
                let shortest = l.graph.hops(k, j) as usize;
                assert!(len >= shortest, "{k} -> {j}: {len} < {shortest}");
                longer += usize::from(len > shortest);
                pairs += 1;
            }
        }
        assert_eq!(pairs, 9900);
        assert!(longer > 0, "no valley-free detour in internet-100");
        eprintln!("internet-100: {longer} of {pairs} policy paths longer than the shortest");
    }

    #[test]
    fn check_traces_every_sampled_pair() {
        let c = super::super::policy_cases(3, &[0, 2], None);
        assert_eq!(c, [(0, Some(1)), (0, Some(2)), (2, Some(0)), (2, Some(1))]);
        let c = super::super::policy_cases(10, &[0, 9], Some(&[0, 9]));
        assert_eq!(c, [(0, Some(9)), (9, Some(0))]);
    }
}
