//! The address family as a value: everything that differs between IPv4 and IPv6 (default
//! route, FRR address-family and BIRD channel names, the `ip`/`traceroute` flag, which
//! addresses are documentation space) is asked of a [`Family`], so plan, render, netns,
//! monitor and trace take the family as an argument instead of hard-coding IPv4.
//! [`Addressing`] is the lab file's `[addressing] family`: which families a lab runs.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address family (unicast): what a session, a route or an address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Ipv4,
    Ipv6,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Ipv4 => "ipv4",
            Family::Ipv6 => "ipv6",
        }
    }

    /// The family of an address.
    pub fn of(addr: IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        }
    }

    /// The family of a prefix.
    pub fn of_net(net: IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::Ipv4,
            IpNet::V6(_) => Family::Ipv6,
        }
    }

    /// The default route: what the origin originates and `status` looks for.
    pub fn default_route(self) -> IpNet {
        match self {
            Family::Ipv4 => IpNet::V4(Ipv4Net::default()),
            Family::Ipv6 => IpNet::V6(Ipv6Net::default()),
        }
    }

    /// `-4` / `-6`: the flag of `ip`, `ping`, `traceroute` and `nsbgp trace`.
    pub fn flag(self) -> &'static str {
        match self {
            Family::Ipv4 => "-4",
            Family::Ipv6 => "-6",
        }
    }

    /// FRR's `address-family` (and `show bgp …`) name.
    pub fn frr_afi(self) -> &'static str {
        match self {
            Family::Ipv4 => "ipv4 unicast",
            Family::Ipv6 => "ipv6 unicast",
        }
    }

    /// BIRD's channel name.
    pub fn bird_channel(self) -> &'static str {
        self.name()
    }

    /// The loopback range that `lo` holds and no router announces.
    pub fn loopback(self) -> IpNet {
        match self {
            Family::Ipv4 => "127.0.0.0/8".parse().expect("literal"),
            Family::Ipv6 => "::1/128".parse().expect("literal"),
        }
    }

    /// Whether a prefix is in documentation or private space, where a lab may put the
    /// prefixes it announces: IPv4 RFC 1918, 5737, 6598 and 198.18/15; IPv6 2001:db8::/32
    /// (RFC 3849) and ULA fc00::/7 (RFC 4193).
    pub fn is_lab_space(net: IpNet) -> bool {
        match net {
            IpNet::V4(n) => {
                let ok: [Ipv4Net; 8] = [
                    "10.0.0.0/8",
                    "172.16.0.0/12",
                    "192.168.0.0/16",
                    "192.0.2.0/24",
                    "198.51.100.0/24",
                    "203.0.113.0/24",
                    "100.64.0.0/10",
                    "198.18.0.0/15",
                ]
                .map(|s| s.parse().expect("literal"));
                ok.iter().any(|o| o.contains(&n))
            }
            IpNet::V6(n) => {
                let ok: [Ipv6Net; 2] = ["2001:db8::/32", "fc00::/7"].map(|s| s.parse().expect("literal"));
                ok.iter().any(|o| o.contains(&n))
            }
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `[addressing] family`: the families a lab runs on every link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Addressing {
    /// IPv4 only: every lab before IPv6 existed.
    #[default]
    Ipv4,
    /// Both families on every link, one BGP session per family per link.
    Dual,
    /// IPv6 only: no IPv4 address on any lab link.
    Ipv6,
}

impl Addressing {
    pub fn parse(s: &str) -> Option<Addressing> {
        match s {
            "ipv4" => Some(Addressing::Ipv4),
            "dual" => Some(Addressing::Dual),
            "ipv6" => Some(Addressing::Ipv6),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Addressing::Ipv4 => "ipv4",
            Addressing::Dual => "dual",
            Addressing::Ipv6 => "ipv6",
        }
    }

    /// The families of the lab, IPv4 first.
    pub fn families(self) -> &'static [Family] {
        match self {
            Addressing::Ipv4 => &[Family::Ipv4],
            Addressing::Dual => &[Family::Ipv4, Family::Ipv6],
            Addressing::Ipv6 => &[Family::Ipv6],
        }
    }

    pub fn has(self, f: Family) -> bool {
        self.families().contains(&f)
    }
}

/// Link `k`'s /64 of a v6 pool: `b` takes ::1, `a` ::2 (as the IPv4 plan's first and second
/// hosts).
pub fn v6_link(pool: Ipv6Net, k: usize) -> (Ipv6Net, Ipv6Addr, Ipv6Addr) {
    let base = u128::from(pool.network()) + ((k as u128) << 64);
    let subnet = Ipv6Net::new(Ipv6Addr::from(base), V6_LINK_LEN).expect("64 <= 128");
    (subnet, Ipv6Addr::from(base + 2), Ipv6Addr::from(base + 1))
}

/// Every IPv6 link is a /64 (RFC 6164's /127 would also do; /64 is what hosts expect).
pub const V6_LINK_LEN: u8 = 64;

/// How many /64 links fit into `pool`, not counting the unused subnet 0.
pub fn v6_link_capacity(pool: Ipv6Net) -> u64 {
    match pool.prefix_len() {
        l if l > V6_LINK_LEN => 0,
        l if V6_LINK_LEN - l >= 63 => u64::MAX,
        l => (1u64 << (V6_LINK_LEN - l)) - 1,
    }
}

/// The first host of an IPv4 prefix (`::1` of an IPv6 one): the stub's "world" address.
pub fn first_host_v4(net: Ipv4Net) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(net.network()) + 1)
}

pub fn first_host_v6(net: Ipv6Net) -> Ipv6Addr {
    Ipv6Addr::from(u128::from(net.network()) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_names_per_family() {
        assert_eq!(Family::Ipv4.default_route().to_string(), "0.0.0.0/0");
        assert_eq!(Family::Ipv6.default_route().to_string(), "::/0");
        assert_eq!(Family::Ipv6.frr_afi(), "ipv6 unicast");
        assert_eq!(Family::of("2001:db8::1".parse().unwrap()), Family::Ipv6);
        assert_eq!(Addressing::Dual.families(), &[Family::Ipv4, Family::Ipv6]);
        assert!(!Addressing::Ipv6.has(Family::Ipv4));
        assert_eq!(Addressing::parse("ipx"), None);
    }

    #[test]
    fn v6_links_are_numbered_like_the_v4_plan() {
        let pool: Ipv6Net = "2001:db8:31::/48".parse().unwrap();
        let (n, a, b) = v6_link(pool, 10);
        assert_eq!(n.to_string(), "2001:db8:31:a::/64");
        assert_eq!(
            (a.to_string(), b.to_string()),
            ("2001:db8:31:a::2".into(), "2001:db8:31:a::1".into())
        );
        assert_eq!(v6_link_capacity(pool), 65535);
        assert_eq!(v6_link_capacity("2001:db8:31::/64".parse().unwrap()), 0);
        assert_eq!(v6_link_capacity("2001:db8::/32".parse().unwrap()), (1 << 32) - 1);
    }

    #[test]
    fn lab_space_is_documentation_or_private() {
        for ok in ["2001:db8:42::/48", "fd00::/8", "198.51.100.0/24", "10.1.0.0/16"] {
            assert!(Family::is_lab_space(ok.parse().unwrap()), "{ok}");
        }
        for bad in ["2001:4860::/32", "2000::/3", "::/0", "8.8.8.0/24", "fe80::/10"] {
            assert!(!Family::is_lab_space(bad.parse().unwrap()), "{bad}");
        }
    }
}
