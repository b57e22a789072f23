//! Shared segments: `[[topology.lan]] name = "ix1"`, `routers = [..]`. A LAN is a Linux bridge
//! in a namespace of its own (`{router_prefix}{name}`), one veth per attached router (named
//! after the LAN inside the router), and one subnet of the pool; every router on it peers
//! eBGP with every other (full mesh). Here: the LAN's validation and its address plan.

use super::model::{LanSpec, RouterRef};
use super::{ConfigError, IfAddr, Interface, Router, IFINDEX_FIRST};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Linux interface names are at most 15 bytes; a LAN names an interface in every member and
/// its namespace, whose name the ledger also keeps to 15.
const NAME_MAX: usize = 15;

/// One LAN with its subnet and every member's address on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanPlan {
    /// As in the lab file: also the interface name in every member and the bridge's name.
    pub name: String,
    /// The bridge's namespace: `{router_prefix}{name}`.
    pub namespace: String,
    /// Numbered after the links: the LAN j (0-based) of a lab with L links is L + j + 1, the
    /// number its members' interfaces carry in [`super::Interface::link`].
    pub index: usize,
    pub subnet: Ipv4Net,
    /// Router indexes, in the lab file's order.
    pub members: Vec<usize>,
    /// `addrs[k]` is `members[k]`'s address: the subnet's (k+1)-th host.
    pub addrs: Vec<Ipv4Addr>,
    /// In a dual-stack lab: the LAN's /64, number `index` of `v6_link_pool` as a link's
    /// would be (so it follows the links' /64s), and `v6_addrs[k]`, `members[k]`'s `::k+1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v6_subnet: Option<Ipv6Net>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub v6_addrs: Vec<Ipv6Addr>,
}

impl LanPlan {
    /// Router `r`'s address on this LAN, if it is a member.
    pub fn addr_of(&self, r: usize) -> Option<Ipv4Addr> {
        self.members.iter().position(|&m| m == r).map(|k| self.addrs[k])
    }

    /// Its subnets in every family of the lab, IPv4 first ("172.31.0.8/29 2001:db8:31:2::/64").
    pub fn subnets_label(&self) -> String {
        match self.v6_subnet {
            Some(v6) => format!("{} {v6}", self.subnet),
            None => self.subnet.to_string(),
        }
    }
}

/// Checks every `[[topology.lan]]` and resolves its routers (through `router_ref`, which
/// names the key in its error). Refused: a name that is not an interface name, a duplicate
/// name, a name a router of the lab has or resolves to, fewer than 2 routers, a router
/// listed twice, a router that is not in the lab, two routers that already meet on a link or
/// an earlier LAN (one session per pair: BIRD names its sessions after the neighbour).
pub fn resolve(
    specs: &[LanSpec],
    links: &[(usize, usize)],
    name_of: &dyn Fn(usize) -> String,
    prefix: &str,
    router_name: &dyn Fn(&str) -> bool,
    router_ref: &dyn Fn(&str, &RouterRef) -> Result<usize, ConfigError>,
    err: &dyn Fn(&str, String, String) -> ConfigError,
) -> Result<Vec<Vec<usize>>, ConfigError> {
    let mut out: Vec<Vec<usize>> = Vec::with_capacity(specs.len());
    for (j, l) in specs.iter().enumerate() {
        let key = |field: &str| format!("topology.lan[{}]{field}", j + 1);
        let name = &l.name;
        let shaped = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !shaped || name.len() > NAME_MAX {
            return Err(err(
                &key(".name"),
                format!("{name:?} must be 1–{NAME_MAX} characters of [A-Za-z0-9_-], starting with a letter (it names an interface in every router on the LAN)"),
                "use a short name such as \"ix1\"".into(),
            ));
        }
        if router_name(name) {
            return Err(err(
                &key(".name"),
                format!("{name:?} is the name of a router of this lab; routers name their interfaces after their neighbours, so a LAN of that name would clash"),
                "give the LAN a name that is no router's, such as \"ix1\"".into(),
            ));
        }
        let ns = format!("{prefix}{name}");
        if ns.len() > NAME_MAX {
            return Err(err(
                &key(".name"),
                format!(
                    "the LAN's namespace {ns:?} (router_prefix + name) is {} characters; Linux interface and nsbgp namespace names are at most {NAME_MAX}",
                    ns.len()
                ),
                format!("shorten the name to at most {} characters", NAME_MAX.saturating_sub(prefix.len())),
            ));
        }
        if let Some(first) = specs[..j].iter().position(|o| &o.name == name) {
            return Err(err(
                &key(".name"),
                format!("{name:?} is already the name of topology.lan[{}]", first + 1),
                "give every LAN its own name".into(),
            ));
        }
        if l.routers.len() < 2 {
            return Err(err(
                &key(".routers"),
                format!(
                    "LAN {name:?} has {} router{}; a LAN joins at least 2",
                    l.routers.len(),
                    if l.routers.len() == 1 { "" } else { "s" }
                ),
                "list 2 or more routers, or use a [[topology.link]] for a single pair".into(),
            ));
        }
        let mut members = Vec::with_capacity(l.routers.len());
        for (k, r) in l.routers.iter().enumerate() {
            let idx = router_ref(&key(&format!(".routers[{}]", k + 1)), r)?;
            if let Some(p) = members.iter().position(|&m| m == idx) {
                return Err(err(
                    &key(&format!(".routers[{}]", k + 1)),
                    format!("{r} is already on LAN {name:?} (routers[{}])", p + 1),
                    "list each router once".into(),
                ));
            }
            members.push(idx);
        }
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                let met = if let Some(p) = links.iter().position(|&(p, q)| (p, q) == (a, b) || (p, q) == (b, a)) {
                    Some(format!("topology.link[{}]", p + 1))
                } else {
                    out.iter()
                        .position(|m| m.contains(&a) && m.contains(&b))
                        .map(|q| format!("topology.lan[{}] ({:?})", q + 1, specs[q].name))
                };
                if let Some(met) = met {
                    return Err(err(
                        &key(".routers"),
                        format!("{} and {} already meet on {met}", name_of(a), name_of(b)),
                        "join two routers once: remove the link or one of them from the LAN".into(),
                    ));
                }
            }
        }
        out.push(members);
    }
    Ok(out)
}

/// The prefix length a LAN of `members` routers takes: the links' length when it holds
/// them (a /24 lab's LAN is a /24), else the longest that does (network and broadcast
/// addresses are never a member's).
pub fn lan_len(link_len: u8, members: usize) -> u8 {
    let mut len = link_len.min(30);
    while len > 0 && (1u64 << (32 - len)) < members as u64 + 2 {
        len -= 1;
    }
    len
}

/// Places the LANs after the links' subnets (links take subnets 1 … L of `link_len`, see
/// `plan`), each aligned to its own size, in the lab file's order; with `v6_pool` (dual
/// stack) each also takes the /64 of its number there. None: the pool is too small (the
/// caller says so).
pub fn plan(
    pool: Ipv4Net,
    link_len: u8,
    links: usize,
    lans: &[Vec<usize>],
    names: &[String],
    prefix: &str,
    v6_pool: Option<Ipv6Net>,
) -> Option<Vec<LanPlan>> {
    let end = u64::from(u32::from(pool.broadcast())) + 1;
    let mut cursor = u64::from(u32::from(pool.network())) + (links as u64 + 1) * (1u64 << (32 - link_len));
    let mut out = Vec::with_capacity(lans.len());
    for (j, members) in lans.iter().enumerate() {
        let len = lan_len(link_len, members.len());
        let size = 1u64 << (32 - len);
        let base = cursor.div_ceil(size) * size;
        if base + size > end {
            return None;
        }
        cursor = base + size;
        out.push(LanPlan {
            name: names[j].clone(),
            namespace: format!("{prefix}{}", names[j]),
            index: links + j + 1,
            subnet: Ipv4Net::new(Ipv4Addr::from(base as u32), len).expect("len <= 30"),
            members: members.clone(),
            addrs: (0..members.len())
                .map(|k| Ipv4Addr::from((base + 1 + k as u64) as u32))
                .collect(),
            v6_subnet: v6_pool.map(|p| super::family::v6_link(p, links + j + 1).0),
            v6_addrs: v6_pool
                .map(|p| {
                    let net = u128::from(super::family::v6_link(p, links + j + 1).0.network());
                    (0..members.len())
                        .map(|k| Ipv6Addr::from(net + 1 + k as u128))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    Some(out)
}

/// Gives every member of every LAN its entries on the LAN's device (named after the LAN):
/// one per other member, after the router's links, all with the device's one address and
/// ifindex. A router on LANs only takes its first LAN address as router-id.
pub fn add_interfaces(routers: &mut [Router], lans: &[LanPlan]) {
    let names: Vec<String> = routers.iter().map(|r| r.name.clone()).collect();
    let asns: Vec<u32> = routers.iter().map(|r| r.asn).collect();
    for (j, l) in lans.iter().enumerate() {
        for (k, &r) in l.members.iter().enumerate() {
            let router = &mut routers[r];
            if router.interfaces.is_empty() {
                router.router_id = l.addrs[k];
            }
            let devices = router
                .interfaces
                .iter()
                .map(|i| i.ifindex)
                .collect::<std::collections::HashSet<_>>()
                .len();
            let ifindex = IFINDEX_FIRST + devices as u32;
            for (q, &peer) in l.members.iter().enumerate().filter(|&(q, _)| q != k) {
                let mut addrs = vec![IfAddr {
                    addr: IpAddr::V4(l.addrs[k]),
                    subnet: IpNet::V4(l.subnet),
                    peer_addr: IpAddr::V4(l.addrs[q]),
                }];
                if let Some(net) = l.v6_subnet {
                    addrs.push(IfAddr {
                        addr: IpAddr::V6(l.v6_addrs[k]),
                        subnet: IpNet::V6(net),
                        peer_addr: IpAddr::V6(l.v6_addrs[q]),
                    });
                }
                router.interfaces.push(Interface {
                    name: l.name.clone(),
                    ifindex,
                    addrs,
                    link: l.index,
                    peer_index: peer,
                    peer_name: names[peer].clone(),
                    peer_asn: asns[peer],
                    lan: Some(j),
                });
            }
        }
    }
}

#[cfg(test)]
#[path = "lan_tests.rs"]
mod tests;
