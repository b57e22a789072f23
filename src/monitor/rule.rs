//! The convergence rule, as a pure function of what the lab should look like (`Expected`,
//! derived from the address plan) and what one poll saw (`Observation`).
//!
//! A router has converged when: its daemons are alive (zebra and bgpd, or bird); every configured session is
//! Established; zebra has installed as many BGP routes as the chain announces to it (every
//! link it is not attached to, plus the stub and the default unless it is ROUTER_0); the
//! stub and the default are installed via BGP through the neighbour towards ROUTER_0; and
//! the default's AS path is as long as the router's distance from ROUTER_0.

use crate::config::{Daemon, Lab};
use std::net::Ipv4Addr;

#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub index: usize,
    /// Configured sessions: (neighbour address, neighbour name).
    pub peers: Vec<(Ipv4Addr, String)>,
    /// BGP routes zebra must have installed.
    pub bgp_routes: u32,
    /// Next hop for the default and the stub: the neighbour towards ROUTER_0 (None on ROUTER_0).
    pub upstream: Option<(Ipv4Addr, String)>,
    /// Required AS-path length of the default (None on ROUTER_0, which originates it).
    pub default_path_len: Option<u32>,
}

pub fn expected(lab: &Lab) -> Vec<Expected> {
    let links = lab.links.len() as u32;
    lab.routers
        .iter()
        .map(|r| {
            let upstream = r
                .interfaces
                .iter()
                .find(|i| i.peer_index + 1 == r.index)
                .map(|i| (i.peer_addr, i.peer_name.clone()));
            let far_links = links - r.interfaces.len() as u32;
            Expected {
                index: r.index,
                peers: r
                    .interfaces
                    .iter()
                    .map(|i| (i.peer_addr, i.peer_name.clone()))
                    .collect(),
                bgp_routes: far_links + if r.index > 0 { 2 } else { 0 },
                upstream,
                default_path_len: (r.index > 0).then_some(r.index as u32),
            }
        })
        .collect()
}

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

/// Whether `obs` satisfies `exp`, and if not, every reason why (for humans and JSON).
pub fn judge(exp: &Expected, obs: &Observation) -> Vec<String> {
    let mut why = Vec::new();
    for (d, p) in &obs.daemons {
        let name = d.name();
        if !p.alive {
            why.push(match p.pid {
                Some(pid) => format!("{name} (pid {pid}) is dead"),
                None => format!("{name} is not running (no pid file)"),
            });
        }
    }
    why.extend(obs.errors.iter().cloned());
    if let Some(peers) = &obs.peers {
        for (addr, name) in &exp.peers {
            match peers.iter().find(|p| p.addr == *addr) {
                Some(p) if p.state == "Established" => {}
                Some(p) => why.push(format!("session to {name} ({addr}) is {}", p.state)),
                None => why.push(format!("no session to {name} ({addr}) configured in bgpd")),
            }
        }
    }
    if let Some(n) = obs.bgp_fib_routes {
        if n != exp.bgp_routes {
            why.push(format!("{n} of {} BGP routes installed", exp.bgp_routes));
        }
    }
    if let Some((up_addr, up_name)) = &exp.upstream {
        for (what, route) in [("default route", &obs.default_route), ("stub route", &obs.stub_route)] {
            match route {
                None => {}
                Some(None) => why.push(format!("no {what}")),
                Some(Some(r)) if r.protocol != "bgp" => why.push(format!("{what} is from {}, not bgp", r.protocol)),
                Some(Some(r)) if r.nexthop != Some(*up_addr) => why.push(format!(
                    "{what} via {}, expected {up_addr} ({up_name})",
                    r.nexthop.map_or("?".into(), |a| a.to_string())
                )),
                Some(Some(_)) => {}
            }
        }
    }
    if let (Some(want), Some(Some((got, _)))) = (exp.default_path_len, &obs.default_bgp) {
        if *got != want {
            why.push(format!("default AS path length {got}, expected {want}"));
        }
    }
    if exp.default_path_len.is_some() && matches!(obs.default_bgp, Some(None)) && obs.has_default() {
        why.push("default route not in bgpd's table".into());
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Overrides};

    fn lab(n: usize) -> Lab {
        let file = config::parse("t.toml", &format!("name = \"t\"\nrouters = {n}\n")).unwrap();
        config::validate("t.toml", file, &Overrides::default()).unwrap()
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn alive() -> Proc {
        Proc {
            pid: Some(1),
            alive: true,
            rss_kb: 1,
            cpu_ms: 0,
        }
    }

    /// What a converged ROUTER_k of `lab` looks like.
    fn converged_obs(e: &Expected) -> Observation {
        let up = e.upstream.as_ref().map(|(a, _)| *a);
        let route = up.map(|a| RouteObs {
            protocol: "bgp".into(),
            nexthop: Some(a),
        });
        Observation {
            at_ms: 0,
            daemons: vec![(Daemon::Zebra, alive()), (Daemon::Bgpd, alive())],
            peers: Some(
                e.peers
                    .iter()
                    .map(|(a, _)| PeerObs {
                        addr: *a,
                        state: "Established".into(),
                        pfx_rcd: 3,
                        up_since_ms: Some(0),
                    })
                    .collect(),
            ),
            bgp_fib_routes: Some(e.bgp_routes),
            default_route: Some(route.clone()),
            stub_route: Some(route),
            default_bgp: Some(e.default_path_len.map(|l| (l, None))),
            errors: vec![],
        }
    }

    #[test]
    fn expectations_on_the_classic_plan() {
        let l = lab(100);
        let e = expected(&l);
        // ROUTER_0: one session, learns the 98 links it is not on, originates the default.
        assert_eq!(e[0].peers, vec![(ip("172.31.1.1"), "ROUTER_1".into())]);
        assert_eq!(
            (e[0].bgp_routes, e[0].upstream.clone(), e[0].default_path_len),
            (98, None, None)
        );
        // ROUTER_50: two sessions, 97 far links + stub + default, upstream ROUTER_49 on link 50.
        assert_eq!(e[50].peers.len(), 2);
        assert_eq!(e[50].bgp_routes, 99);
        assert_eq!(e[50].upstream, Some((ip("172.31.50.2"), "ROUTER_49".into())));
        assert_eq!(e[50].default_path_len, Some(50));
        assert_eq!(e[99].bgp_routes, 100);
        assert_eq!(expected(&lab(1))[0].bgp_routes, 0);
    }

    #[test]
    fn converged_states_pass() {
        let l = lab(5);
        for e in expected(&l) {
            assert_eq!(
                judge(&e, &converged_obs(&e)),
                Vec::<String>::new(),
                "router {}",
                e.index
            );
        }
    }

    #[test]
    fn each_deviation_is_reported() {
        let l = lab(5);
        let e = &expected(&l)[3];
        let base = converged_obs(e);
        type Change = Box<dyn Fn(&mut Observation)>;
        let cases: Vec<(&str, Change, &str)> = vec![
            (
                "bgpd dead",
                Box::new(|o| o.daemons[1].1.alive = false),
                "bgpd (pid 1) is dead",
            ),
            (
                "zebra gone",
                Box::new(|o| o.daemons[0].1 = Proc::default()),
                "zebra is not running (no pid file)",
            ),
            (
                "session down",
                Box::new(|o| o.peers.as_mut().unwrap()[1].state = "Active".into()),
                "session to ROUTER_4 (172.31.4.1) is Active",
            ),
            (
                "session missing",
                Box::new(|o| {
                    o.peers.as_mut().unwrap().pop();
                }),
                "no session to ROUTER_4 (172.31.4.1) configured in bgpd",
            ),
            (
                "routes missing",
                Box::new(|o| o.bgp_fib_routes = Some(2)),
                "2 of 4 BGP routes installed",
            ),
            (
                "no default",
                Box::new(|o| o.default_route = Some(None)),
                "no default route",
            ),
            (
                "wrong next hop",
                Box::new(|o| {
                    o.stub_route = Some(Some(RouteObs {
                        protocol: "bgp".into(),
                        nexthop: Some(ip("172.31.4.1")),
                    }))
                }),
                "stub route via 172.31.4.1, expected 172.31.3.2 (ROUTER_2)",
            ),
            (
                "static default",
                Box::new(|o| {
                    o.default_route = Some(Some(RouteObs {
                        protocol: "static".into(),
                        nexthop: None,
                    }))
                }),
                "default route is from static, not bgp",
            ),
            (
                "long path",
                Box::new(|o| o.default_bgp = Some(Some((5, None)))),
                "default AS path length 5, expected 3",
            ),
            (
                "bird dead",
                Box::new(|o| {
                    o.daemons = vec![(
                        Daemon::Bird,
                        Proc {
                            pid: Some(7),
                            ..Proc::default()
                        },
                    )]
                }),
                "bird (pid 7) is dead",
            ),
            (
                "vty unreachable",
                Box::new(|o| o.errors.push("bgpd vty: timeout".into())),
                "bgpd vty: timeout",
            ),
        ];
        for (what, change, want) in cases {
            let mut o = base.clone();
            change(&mut o);
            assert_eq!(judge(e, &o), vec![want.to_string()], "{what}");
        }
    }

    #[test]
    fn observation_summaries() {
        let l = lab(3);
        let e = &expected(&l)[1];
        let o = converged_obs(e);
        assert_eq!((o.established(), o.prefixes_received(), o.has_default()), (2, 6, true));
        assert_eq!(o.default_path_len(), Some(1));
        assert!(!Observation::default().has_default());
    }
}
