//! The address plan: which subnet each link gets and which address each end takes.
//!
//! Links are numbered 1 … L in the graph's link order; link k takes the k-th subnet of the
//! pool, its second end (`b`) the first host and its first end (`a`) the second. On the
//! chain link k joins ROUTER_{k-1} (a) and ROUTER_k (b), so with the default pool
//! 172.31.0.0/16 and /24 links this is exactly the classic plan: link k is 172.31.k.0/24,
//! ROUTER_k holds .1 and ROUTER_{k-1} holds .2. The subnet numbered 0 is never used, which
//! keeps the classic numbering (and leaves the pool's first subnet free for the user).
//! With /31 links (RFC 3021) the ends take the two addresses of the subnet, `b` the first.

use super::graph::Graph;
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// One link with both ends and their addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPlan {
    /// k (1-based): link position k-1 of the graph, subnet k of the pool.
    pub index: usize,
    pub subnet: Ipv4Net,
    /// First end (on the chain: ROUTER_{k-1}, towards ROUTER_0).
    pub a: usize,
    /// Second end (on the chain: ROUTER_k).
    pub b: usize,
    /// Address of `a` on this link (.2 in the classic plan).
    pub a_addr: Ipv4Addr,
    /// Address of `b` on this link (.1 in the classic plan).
    pub b_addr: Ipv4Addr,
}

impl LinkPlan {
    /// The other end of the link seen from router `r`, with (own address, peer address).
    pub fn from_end(&self, r: usize) -> Option<(usize, Ipv4Addr, Ipv4Addr)> {
        if r == self.a {
            Some((self.b, self.a_addr, self.b_addr))
        } else if r == self.b {
            Some((self.a, self.b_addr, self.a_addr))
        } else {
            None
        }
    }
}

/// How many link subnets of `len` fit into `pool`, not counting the unused subnet 0.
pub fn link_capacity(pool: Ipv4Net, len: u8) -> u64 {
    if len < pool.prefix_len() || len > 31 {
        return 0;
    }
    (1u64 << (len - pool.prefix_len())) - 1
}

/// Picks the link prefix length: /24 (the classic plan) when the links fit, else /30.
pub fn auto_link_len(pool: Ipv4Net, links: usize) -> u8 {
    if link_capacity(pool, 24) >= links as u64 {
        24
    } else {
        30
    }
}

/// The subnet and addresses of link `k` (1-based) joining `a` and `b`. The caller has
/// checked capacity.
pub fn link_between(pool: Ipv4Net, len: u8, k: usize, a: usize, b: usize) -> LinkPlan {
    let size = 1u32 << (32 - len);
    let base = u32::from(pool.network()) + (k as u32) * size;
    let first = if len >= 31 { base } else { base + 1 };
    LinkPlan {
        index: k,
        subnet: Ipv4Net::new(Ipv4Addr::from(base), len).expect("len <= 31"),
        a,
        b,
        b_addr: Ipv4Addr::from(first),
        a_addr: Ipv4Addr::from(first + 1),
    }
}

/// Link `k` of the chain (ROUTER_{k-1} — ROUTER_k).
pub fn link(pool: Ipv4Net, len: u8, k: usize) -> LinkPlan {
    link_between(pool, len, k, k - 1, k)
}

/// Every link of `graph`, in link order.
pub fn links(pool: Ipv4Net, len: u8, graph: &Graph) -> Vec<LinkPlan> {
    graph
        .links()
        .iter()
        .enumerate()
        .map(|(p, &(a, b))| link_between(pool, len, p + 1, a, b))
        .collect()
}

/// All links of an N-router chain.
pub fn chain_links(pool: Ipv4Net, len: u8, routers: usize) -> Vec<LinkPlan> {
    links(pool, len, &Graph::new(routers, super::graph::chain(routers), 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> Ipv4Net {
        "172.31.0.0/16".parse().unwrap()
    }

    #[test]
    fn classic_plan_is_reproduced_exactly() {
        // From the original slides: ROUTER_1 (AS 101) has 172.31.1.1 and 172.31.2.2,
        // its neighbours are 172.31.1.2 (ROUTER_0) and 172.31.2.1 (ROUTER_2).
        let links = chain_links(pool(), auto_link_len(pool(), 99), 100);
        assert_eq!(links.len(), 99);
        for l in &links {
            let k = l.index as u8;
            assert_eq!(l.subnet, format!("172.31.{k}.0/24").parse::<Ipv4Net>().unwrap());
            assert_eq!(l.b_addr, Ipv4Addr::new(172, 31, k, 1));
            assert_eq!(l.a_addr, Ipv4Addr::new(172, 31, k, 2));
        }
    }

    #[test]
    fn classic_plan_fits_up_to_256_routers() {
        assert_eq!(auto_link_len(pool(), 255), 24);
        assert_eq!(auto_link_len(pool(), 256), 30);
    }

    #[test]
    fn thousand_routers_fit_the_default_pool_without_overlap() {
        let len = auto_link_len(pool(), 999);
        assert_eq!(len, 30);
        let links = chain_links(pool(), len, 1000);
        assert_eq!(links.len(), 999);
        for w in links.windows(2) {
            assert!(!w[0].subnet.contains(&w[1].subnet.network()));
            assert!(u32::from(w[0].subnet.broadcast()) < u32::from(w[1].subnet.network()));
        }
        assert!(links.iter().all(|l| pool().contains(&l.subnet)));
        let last = links.last().unwrap();
        assert_eq!(last.subnet, "172.31.15.156/30".parse::<Ipv4Net>().unwrap());
        assert_eq!(last.b_addr, Ipv4Addr::new(172, 31, 15, 157));
        assert_eq!(last.a_addr, Ipv4Addr::new(172, 31, 15, 158));
    }

    #[test]
    fn capacity_excludes_subnet_zero_and_rejects_bad_lengths() {
        assert_eq!(link_capacity(pool(), 24), 255);
        assert_eq!(link_capacity("10.0.0.0/24".parse().unwrap(), 30), 63);
        assert_eq!(link_capacity("10.0.0.0/24".parse().unwrap(), 31), 127);
        assert_eq!(link_capacity("10.0.0.0/24".parse().unwrap(), 32), 0);
        assert_eq!(link_capacity("10.0.0.0/24".parse().unwrap(), 16), 0);
    }

    #[test]
    fn ring_and_slash_31_plans() {
        let g = Graph::new(4, crate::config::graph::ring(4), 0);
        let l = links(pool(), 30, &g);
        let got: Vec<(usize, usize, usize, String, String, String)> = l
            .iter()
            .map(|l| {
                (
                    l.index,
                    l.a,
                    l.b,
                    l.subnet.to_string(),
                    l.a_addr.to_string(),
                    l.b_addr.to_string(),
                )
            })
            .collect();
        assert_eq!(
            got[3],
            (
                4,
                3,
                0,
                "172.31.0.16/30".into(),
                "172.31.0.18".into(),
                "172.31.0.17".into()
            )
        );
        assert_eq!(got[0].3, "172.31.0.4/30");
        let l = links(pool(), 31, &g);
        assert_eq!(l[0].subnet.to_string(), "172.31.0.2/31");
        assert_eq!(
            (l[0].b_addr.to_string(), l[0].a_addr.to_string()),
            ("172.31.0.2".into(), "172.31.0.3".into())
        );
        assert_eq!(l[0].from_end(1).map(|x| x.0), Some(0));
        assert_eq!(l[0].from_end(2), None);
    }
}
