//! The address plan: which subnet each link gets and which address each end takes.
//!
//! Links are numbered 1 … L in the graph's link order; link k takes the k-th subnet of the
//! pool, its second end (`b`) the first host and its first end (`a`) the second. On the
//! chain link k joins ROUTER_{k-1} (a) and ROUTER_k (b), so with the default pool
//! 172.31.0.0/16 and /24 links this is exactly the classic plan: link k is 172.31.k.0/24,
//! ROUTER_k holds .1 and ROUTER_{k-1} holds .2. The subnet numbered 0 is never used, which
//! keeps the classic numbering (and leaves the pool's first subnet free for the user).
//! With /31 links (RFC 3021) the ends take the two addresses of the subnet, `b` the first.

use super::family::{self, Addressing, Family};
use super::graph::Graph;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};

/// One link with both ends and their addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPlan {
    /// k (1-based): link position k-1 of the graph, subnet k of the pool.
    pub index: usize,
    /// First end (on the chain: ROUTER_{k-1}, towards ROUTER_0).
    pub a: usize,
    /// Second end (on the chain: ROUTER_k).
    pub b: usize,
    /// The link's subnet and both ends' addresses, one per family of the lab, IPv4 first.
    pub nets: Vec<LinkNet>,
}

/// A link's subnet in one family and the addresses of its two ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkNet {
    pub subnet: IpNet,
    /// Address of `a` on this link (.2 in the classic plan, ::2 in IPv6).
    pub a_addr: IpAddr,
    /// Address of `b` on this link (.1 in the classic plan, ::1 in IPv6).
    pub b_addr: IpAddr,
}

impl LinkNet {
    pub fn family(&self) -> Family {
        Family::of_net(self.subnet)
    }
}

impl LinkPlan {
    /// The other end of the link seen from router `r`, with (own address, peer address)
    /// in the link's first family.
    pub fn from_end(&self, r: usize) -> Option<(usize, IpAddr, IpAddr)> {
        self.from_end_in(r, &self.nets[0])
    }

    /// The other end seen from `r` with (own, peer) addresses of `net`.
    pub fn from_end_in(&self, r: usize, net: &LinkNet) -> Option<(usize, IpAddr, IpAddr)> {
        if r == self.a {
            Some((self.b, net.a_addr, net.b_addr))
        } else if r == self.b {
            Some((self.a, net.b_addr, net.a_addr))
        } else {
            None
        }
    }

    /// The link's subnet and addresses in family `f`.
    pub fn net(&self, f: Family) -> Option<&LinkNet> {
        self.nets.iter().find(|n| n.family() == f)
    }

    /// The link's first subnet (IPv4 where the lab has it): what a picture labels it with.
    pub fn subnet(&self) -> IpNet {
        self.nets[0].subnet
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

/// The IPv4 subnet and addresses of link `k` (1-based). The caller has checked capacity.
pub fn v4_link(pool: Ipv4Net, len: u8, k: usize) -> LinkNet {
    let size = 1u32 << (32 - len);
    let base = u32::from(pool.network()) + (k as u32) * size;
    let first = if len >= 31 { base } else { base + 1 };
    LinkNet {
        subnet: IpNet::V4(Ipv4Net::new(Ipv4Addr::from(base), len).expect("len <= 31")),
        b_addr: IpAddr::V4(Ipv4Addr::from(first)),
        a_addr: IpAddr::V4(Ipv4Addr::from(first + 1)),
    }
}

/// The IPv6 /64 and addresses of link `k` (1-based). The caller has checked capacity.
pub fn v6_link(pool: Ipv6Net, k: usize) -> LinkNet {
    let (subnet, a, b) = family::v6_link(pool, k);
    LinkNet {
        subnet: IpNet::V6(subnet),
        a_addr: IpAddr::V6(a),
        b_addr: IpAddr::V6(b),
    }
}

/// The IPv4 subnet and addresses of link `k` (1-based) joining `a` and `b`. The caller has
/// checked capacity.
pub fn link_between(pool: Ipv4Net, len: u8, k: usize, a: usize, b: usize) -> LinkPlan {
    LinkPlan {
        index: k,
        a,
        b,
        nets: vec![v4_link(pool, len, k)],
    }
}

/// Link `k` of the chain (ROUTER_{k-1} — ROUTER_k).
pub fn link(pool: Ipv4Net, len: u8, k: usize) -> LinkPlan {
    link_between(pool, len, k, k - 1, k)
}

/// Every link of `graph`, in link order (IPv4 only).
pub fn links(pool: Ipv4Net, len: u8, graph: &Graph) -> Vec<LinkPlan> {
    graph
        .links()
        .iter()
        .enumerate()
        .map(|(p, &(a, b))| link_between(pool, len, p + 1, a, b))
        .collect()
}

/// Every link of `graph` with a subnet in each family of `addressing`: link k takes subnet
/// k of the IPv4 pool and /64 number k of the IPv6 pool.
pub fn links_for(addressing: Addressing, pool: Ipv4Net, len: u8, v6_pool: Ipv6Net, graph: &Graph) -> Vec<LinkPlan> {
    graph
        .links()
        .iter()
        .enumerate()
        .map(|(p, &(a, b))| {
            let k = p + 1;
            let nets = addressing
                .families()
                .iter()
                .map(|f| match f {
                    Family::Ipv4 => v4_link(pool, len, k),
                    Family::Ipv6 => v6_link(v6_pool, k),
                })
                .collect();
            LinkPlan { index: k, a, b, nets }
        })
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
            let n = l.nets[0];
            assert_eq!(n.subnet, format!("172.31.{k}.0/24").parse::<IpNet>().unwrap());
            assert_eq!(n.b_addr, IpAddr::V4(Ipv4Addr::new(172, 31, k, 1)));
            assert_eq!(n.a_addr, IpAddr::V4(Ipv4Addr::new(172, 31, k, 2)));
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
        let v4 = |l: &LinkPlan| match l.subnet() {
            IpNet::V4(n) => n,
            IpNet::V6(_) => panic!("IPv4 plan"),
        };
        for w in links.windows(2) {
            assert!(!v4(&w[0]).contains(&v4(&w[1]).network()));
            assert!(u32::from(v4(&w[0]).broadcast()) < u32::from(v4(&w[1]).network()));
        }
        assert!(links.iter().all(|l| pool().contains(&v4(l))));
        let last = links.last().unwrap();
        assert_eq!(v4(last), "172.31.15.156/30".parse::<Ipv4Net>().unwrap());
        assert_eq!(last.nets[0].b_addr.to_string(), "172.31.15.157");
        assert_eq!(last.nets[0].a_addr.to_string(), "172.31.15.158");
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
                    l.subnet().to_string(),
                    l.nets[0].a_addr.to_string(),
                    l.nets[0].b_addr.to_string(),
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
        assert_eq!(l[0].subnet().to_string(), "172.31.0.2/31");
        assert_eq!(
            (l[0].nets[0].b_addr.to_string(), l[0].nets[0].a_addr.to_string()),
            ("172.31.0.2".into(), "172.31.0.3".into())
        );
        assert_eq!(l[0].from_end(1).map(|x| x.0), Some(0));
        assert_eq!(l[0].from_end(2), None);
    }

    #[test]
    fn dual_and_v6_plans_number_links_alike_in_both_families() {
        let g = Graph::new(3, crate::config::graph::chain(3), 0);
        let v6: Ipv6Net = "2001:db8:31::/48".parse().unwrap();
        let d = links_for(Addressing::Dual, pool(), 24, v6, &g);
        let got: Vec<Vec<String>> = d
            .iter()
            .map(|l| {
                l.nets
                    .iter()
                    .flat_map(|n| [n.subnet.to_string(), n.a_addr.to_string(), n.b_addr.to_string()])
                    .collect()
            })
            .collect();
        assert_eq!(
            got[1],
            [
                "172.31.2.0/24",
                "172.31.2.2",
                "172.31.2.1",
                "2001:db8:31:2::/64",
                "2001:db8:31:2::2",
                "2001:db8:31:2::1"
            ]
        );
        let only = links_for(Addressing::Ipv6, pool(), 24, v6, &g);
        assert_eq!(only[0].nets.len(), 1);
        assert_eq!(
            only[0].net(Family::Ipv6).unwrap().subnet.to_string(),
            "2001:db8:31:1::/64"
        );
        assert!(only[0].net(Family::Ipv4).is_none());
        assert_eq!(
            only[0].from_end(0).map(|(p, o, r)| (p, o.to_string(), r.to_string())),
            Some((1, "2001:db8:31:1::2".into(), "2001:db8:31:1::1".into()))
        );
    }
}
