//! The address plan: which subnet each chain link gets and which address each end takes.
//!
//! Link k joins ROUTER_{k-1} and ROUTER_k (k = 1 … N-1). It takes the k-th subnet of the
//! pool, so with the default pool 172.31.0.0/16 and /24 links this is exactly the classic
//! plan: link k is 172.31.k.0/24, ROUTER_k holds .1 and ROUTER_{k-1} holds .2. The subnet
//! numbered 0 is never used, which keeps the classic numbering (and leaves the pool's first
//! subnet free for the user).

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// One link of the chain with both ends' addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPlan {
    /// k: joins router k-1 (the "upstream" end, towards ROUTER_0) and router k.
    pub index: usize,
    pub subnet: Ipv4Net,
    /// Address of router k-1 on this link (.2 in the classic plan).
    pub upstream_addr: Ipv4Addr,
    /// Address of router k on this link (.1 in the classic plan).
    pub downstream_addr: Ipv4Addr,
}

/// How many link subnets of `len` fit into `pool`, not counting the unused subnet 0.
pub fn link_capacity(pool: Ipv4Net, len: u8) -> u64 {
    if len < pool.prefix_len() || len > 30 {
        return 0;
    }
    (1u64 << (len - pool.prefix_len())) - 1
}

/// Picks the link prefix length: /24 (the classic plan) when N-1 links fit, else /30.
pub fn auto_link_len(pool: Ipv4Net, links: usize) -> u8 {
    if link_capacity(pool, 24) >= links as u64 {
        24
    } else {
        30
    }
}

/// The subnet and addresses of link `k` (1-based). The caller has checked capacity.
pub fn link(pool: Ipv4Net, len: u8, k: usize) -> LinkPlan {
    let size = 1u32 << (32 - len);
    let base = u32::from(pool.network()) + (k as u32) * size;
    LinkPlan {
        index: k,
        subnet: Ipv4Net::new(Ipv4Addr::from(base), len).expect("len <= 30"),
        downstream_addr: Ipv4Addr::from(base + 1),
        upstream_addr: Ipv4Addr::from(base + 2),
    }
}

/// All links of an N-router chain.
pub fn chain_links(pool: Ipv4Net, len: u8, routers: usize) -> Vec<LinkPlan> {
    (1..routers).map(|k| link(pool, len, k)).collect()
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
            assert_eq!(l.downstream_addr, Ipv4Addr::new(172, 31, k, 1));
            assert_eq!(l.upstream_addr, Ipv4Addr::new(172, 31, k, 2));
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
        assert_eq!(last.downstream_addr, Ipv4Addr::new(172, 31, 15, 157));
        assert_eq!(last.upstream_addr, Ipv4Addr::new(172, 31, 15, 158));
    }

    #[test]
    fn capacity_excludes_subnet_zero_and_rejects_bad_lengths() {
        assert_eq!(link_capacity(pool(), 24), 255);
        assert_eq!(link_capacity("10.0.0.0/24".parse().unwrap(), 30), 63);
        assert_eq!(link_capacity("10.0.0.0/24".parse().unwrap(), 31), 0);
        assert_eq!(link_capacity("10.0.0.0/24".parse().unwrap(), 16), 0);
    }
}
