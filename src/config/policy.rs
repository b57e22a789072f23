//! Business relationships on links and the lab's routing policy (`[policy]`), resolved.
//!
//! Under `model = "gao-rexford"` a lab is an *internet lab*: every router is an AS that
//! originates one prefix of its own, carved from [`ORIGIN_POOL`] (198.18.0.0/15, the RFC 2544
//! benchmarking range: reserved, never routed on the Internet, and apart from the link pool
//! and the documentation ranges experiments announce). Link subnets are not announced, so a
//! lab of N ASes carries N prefixes, not N + links.

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// The pool every AS of an internet lab takes its own prefix from.
pub const ORIGIN_POOL: &str = "198.18.0.0/15";

/// A link's business relationship (`rel` on `[[topology.link]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rel {
    /// `a` is `b`'s provider.
    P2c,
    /// `a` and `b` are peers.
    P2p,
}

impl Rel {
    pub fn parse(s: &str) -> Option<Rel> {
        match s {
            "p2c" => Some(Rel::P2c),
            "p2p" => Some(Rel::P2p),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Rel::P2c => "p2c",
            Rel::P2p => "p2p",
        }
    }
}

/// What a neighbour is to a router (seen from the router).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Peer,
    Provider,
}

impl Role {
    /// The neighbour's role for the router at end `a` (`from_a`) or `b` of a link.
    pub fn of_neighbour(rel: Rel, from_a: bool) -> Role {
        match (rel, from_a) {
            (Rel::P2p, _) => Role::Peer,
            (Rel::P2c, true) => Role::Customer,
            (Rel::P2c, false) => Role::Provider,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Peer => "peer",
            Role::Provider => "provider",
        }
    }
    /// The router's own RFC 9234 role on a session to a neighbour of this role (FRR's
    /// `local-role`, BIRD's `local role`): towards my customer I am its provider.
    pub fn local_role(self) -> &'static str {
        match self {
            Role::Customer => "provider",
            Role::Peer => "peer",
            Role::Provider => "customer",
        }
    }
    /// Local preference of routes learned from a neighbour of this role: customer > peer >
    /// provider. Routes the router originates itself beat all three in both suites.
    pub fn local_pref(self) -> u32 {
        match self {
            Role::Customer => 300,
            Role::Peer => 200,
            Role::Provider => 100,
        }
    }
}

/// `[policy] model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// Every session a policy-free eBGP session: routes follow shortest paths.
    #[default]
    None,
    GaoRexford,
}

impl Model {
    pub fn parse(s: &str) -> Option<Model> {
        match s {
            "none" => Some(Model::None),
            "gao-rexford" => Some(Model::GaoRexford),
            _ => None,
        }
    }
}

/// The resolved `[policy]` with the relationship of every link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Policy {
    pub model: Model,
    /// RFC 9234 roles and OTC on every session.
    pub roles: bool,
    /// Per link position: its relationship (all `Some` under gao-rexford).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rels: Vec<Option<Rel>>,
    /// Per router of an internet lab: the prefix it originates (empty in other labs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<Ipv4Net>,
}

impl Policy {
    pub fn internet(&self) -> bool {
        self.model == Model::GaoRexford
    }
}

/// The prefix length each of `n` ASes takes from the pool: /24 while they fit (512), else
/// the shortest length that holds them all, at most /28.
pub fn origin_len(n: usize) -> Option<u8> {
    let pool: Ipv4Net = ORIGIN_POOL.parse().expect("valid pool");
    (24..=28).find(|&len| (1u64 << (len - pool.prefix_len())) >= n as u64)
}

/// Router k's own prefix: the k-th subnet of the pool.
pub fn origin_prefixes(n: usize) -> Option<Vec<Ipv4Net>> {
    let pool: Ipv4Net = ORIGIN_POOL.parse().expect("valid pool");
    let len = origin_len(n)?;
    let size = 1u32 << (32 - len);
    Some(
        (0..n)
            .map(|k| Ipv4Net::new(Ipv4Addr::from(u32::from(pool.network()) + k as u32 * size), len).expect("len <= 28"))
            .collect(),
    )
}

/// The address a router holds on `lo` for its own prefix: the prefix's first host.
pub fn origin_addr(prefix: Ipv4Net) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(prefix.network()) + 1)
}

impl super::Lab {
    /// Whether this is an internet lab (gao-rexford: relationships, own prefixes).
    pub fn internet(&self) -> bool {
        self.policy.internet()
    }

    /// What `peer` is to router `r` (None without relationships or if not adjacent).
    pub fn role_of(&self, r: usize, peer: usize) -> Option<Role> {
        let p = self.graph.link_between(r, peer)?;
        let rel = (*self.policy.rels.get(p)?)?;
        Some(Role::of_neighbour(rel, self.graph.links()[p].0 == r))
    }

    /// The router of an internet lab whose own prefix holds `addr`.
    pub fn owner_of_addr(&self, addr: Ipv4Addr) -> Option<usize> {
        self.policy.prefixes.iter().position(|p| p.contains(&addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_prefixes_fit_the_pool() {
        assert_eq!(origin_len(1), Some(24));
        assert_eq!(origin_len(512), Some(24));
        assert_eq!(origin_len(513), Some(25));
        assert_eq!(origin_len(2000), Some(26));
        let p = origin_prefixes(3).unwrap();
        assert_eq!(p[2].to_string(), "198.18.2.0/24");
        let p = origin_prefixes(1000).unwrap();
        assert_eq!(p[999].to_string(), "198.19.243.128/25");
        let pool: Ipv4Net = ORIGIN_POOL.parse().unwrap();
        assert!(p.iter().all(|x| pool.contains(x)));
        assert_eq!(origin_addr(p[0]), Ipv4Addr::new(198, 18, 0, 1));
    }

    #[test]
    fn roles_seen_from_both_ends() {
        assert_eq!(Role::of_neighbour(Rel::P2c, true), Role::Customer);
        assert_eq!(Role::of_neighbour(Rel::P2c, false), Role::Provider);
        assert_eq!(Role::of_neighbour(Rel::P2p, false), Role::Peer);
        assert_eq!(Role::Customer.local_role(), "provider");
        assert!(Role::Customer.local_pref() > Role::Peer.local_pref());
        assert!(Role::Peer.local_pref() > Role::Provider.local_pref());
    }
}
