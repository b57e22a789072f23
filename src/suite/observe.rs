//! What a suite reports about one router when `status` polls it: its daemons, sessions,
//! routes. The convergence rule (`monitor::rule`) judges it; each suite fills it in its own
//! way (FRR through its vtys, BIRD through its control socket).

use crate::config::Daemon;
use std::net::Ipv4Addr;

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
    pub addr: Ipv4Addr,
    pub state: String,
    pub pfx_rcd: u32,
    /// When the session was established (unix ms), estimated from its uptime.
    pub up_since_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouteObs {
    pub protocol: String,
    pub nexthop: Option<Ipv4Addr>,
}

/// One poll of one router. `None` fields: the daemon could not be asked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    pub at_ms: u64,
    /// The router's daemons in start order (zebra and bgpd, or bird).
    pub daemons: Vec<(Daemon, Proc)>,
    pub peers: Option<Vec<PeerObs>>,
    pub bgp_fib_routes: Option<u32>,
    pub default_route: Option<Option<RouteObs>>,
    pub stub_route: Option<Option<RouteObs>>,
    /// AS-path length and last-update time (unix s) of bgpd's best default path.
    pub default_bgp: Option<Option<(u32, Option<u64>)>>,
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

    /// The default route installed in zebra's RIB via BGP.
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
