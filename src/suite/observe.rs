//! What a suite reports about one router when `status` polls it: its daemons, sessions,
//! routes, per address family. The convergence rule (`monitor::rule`) judges it; each suite
//! fills it in its own way (FRR through its vtys, BIRD through its control socket).

use crate::config::{Daemon, Family};
use std::net::IpAddr;

/// A daemon process as seen through its pid file and /proc.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Proc {
    pub pid: Option<u32>,
    pub alive: bool,
    pub rss_kb: u64,
    pub cpu_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PeerObs {
    pub addr: IpAddr,
    pub state: String,
    pub pfx_rcd: u32,
    /// When the session was established (unix ms), estimated from its uptime.
    pub up_since_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouteObs {
    pub protocol: String,
    pub nexthop: Option<IpAddr>,
    /// The interface of the next hop (named after the neighbour).
    pub iface: Option<String>,
}

/// What one poll saw of one family's default and stub. `None` fields: not asked.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyObs {
    pub family: Family,
    pub default_route: Option<Option<RouteObs>>,
    pub stub_route: Option<Option<RouteObs>>,
    /// AS-path length and last-update time (unix s) of the best default path in BGP.
    pub default_bgp: Option<Option<(u32, Option<u64>)>>,
}

impl FamilyObs {
    pub fn new(family: Family) -> FamilyObs {
        FamilyObs {
            family,
            default_route: None,
            stub_route: None,
            default_bgp: None,
        }
    }

    /// The default route installed in the RIB via BGP.
    pub fn has_default(&self) -> bool {
        matches!(&self.default_route, Some(Some(r)) if r.protocol == "bgp")
    }

    pub fn default_path_len(&self) -> Option<u32> {
        match self.default_bgp {
            Some(Some((len, _))) => Some(len),
            _ => None,
        }
    }
}

/// One poll of one router. `None` fields: the daemon could not be asked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    pub at_ms: u64,
    /// The router's daemons in start order (zebra and bgpd, or bird).
    pub daemons: Vec<(Daemon, Proc)>,
    pub peers: Option<Vec<PeerObs>>,
    pub bgp_fib_routes: Option<u32>,
    /// The default and the stub of each family observed, IPv4 first.
    pub fams: Vec<FamilyObs>,
    /// Why a daemon could not be asked.
    pub errors: Vec<String>,
}

impl Observation {
    /// The process of `daemon`, if the router runs it.
    pub fn proc(&self, daemon: Daemon) -> Option<&Proc> {
        self.daemons.iter().find(|(d, _)| *d == daemon).map(|(_, p)| p)
    }

    pub fn all_alive(&self) -> bool {
        self.daemons.iter().all(|(_, p)| p.alive)
    }

    pub fn established(&self) -> usize {
        self.peers
            .as_ref()
            .map_or(0, |p| p.iter().filter(|p| p.state == "Established").count())
    }

    pub fn prefixes_received(&self) -> u32 {
        self.peers.as_ref().map_or(0, |p| p.iter().map(|p| p.pfx_rcd).sum())
    }

    /// What was seen of family `f`.
    pub fn fam(&self, f: Family) -> Option<&FamilyObs> {
        self.fams.iter().find(|o| o.family == f)
    }

    /// The default route of every family observed is installed via BGP.
    pub fn has_default(&self) -> bool {
        !self.fams.is_empty() && self.fams.iter().all(|f| f.has_default())
    }

    /// The default of family `f` is installed via BGP.
    pub fn has_default_in(&self, f: Family) -> bool {
        self.fam(f).is_some_and(|o| o.has_default())
    }

    /// The AS-path length of the first family's default.
    pub fn default_path_len(&self) -> Option<u32> {
        self.fams.first().and_then(|f| f.default_path_len())
    }

    pub fn default_path_len_in(&self, f: Family) -> Option<u32> {
        self.fam(f).and_then(|o| o.default_path_len())
    }

    /// When the last family's default was last updated (unix s), once every family has one.
    pub fn default_epoch(&self) -> Option<u64> {
        if !self.has_default() {
            return None;
        }
        self.fams
            .iter()
            .map(|f| match f.default_bgp {
                Some(Some((_, e))) => e,
                _ => None,
            })
            .collect::<Option<Vec<u64>>>()
            .and_then(|v| v.into_iter().max())
    }
}

/// What the suites' observe tests share: the recordings' names and the lab they came from.
#[cfg(test)]
pub mod recorded {
    use super::{PeerObs, RouteObs};
    use crate::config::Family;
    use std::net::IpAddr;

    pub fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    pub fn peer(addr: &str, state: &str, pfx_rcd: u32, up_since_ms: Option<u64>) -> PeerObs {
        PeerObs {
            addr: ip(addr),
            state: state.into(),
            pfx_rcd,
            up_since_ms,
        }
    }

    /// A route installed via BGP through `nexthop` on `iface`.
    pub fn bgp_via(nexthop: &str, iface: &str) -> Option<Option<RouteObs>> {
        Some(Some(RouteObs {
            protocol: "bgp".into(),
            nexthop: Some(ip(nexthop)),
            iface: Some(iface.into()),
        }))
    }

    /// A recording's file name: the command, every character outside [A-Za-z0-9.] a `-`
    /// (as `scripts/record-observe-fixtures.sh` names them).
    pub fn slug(cmd: &str) -> String {
        cmd.chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
            .collect()
    }

    /// The stubs of lab `tst-obs` (dual-stack), the one the recordings are of.
    pub fn stubs() -> Vec<(Family, String)> {
        vec![
            (Family::Ipv4, "198.51.100.0/24".into()),
            (Family::Ipv6, "2001:db8:100::/48".into()),
        ]
    }
}
