//! Where the measured prefix should be after each step, on the lab's graph: it reaches every
//! router joined to an origin by up links and running bgpds, and each router's distance to
//! the nearest origin says how long its path should be. Used to know when a step's effect is
//! complete, which routers lose or gain the prefix, which must re-learn it another way (a
//! link down on a ring), and each router's hop from the step. Killing zebra has effects the
//! model does not predict; then the experiment waits for the FIBs to go quiet instead. A
//! killed bird is a router without BGP whose own FIB stays as it was (BIRD's routes stay in
//! the kernel until it starts again and flushes them); a restarted bird has its BGP back.
//!
//! In an internet lab (`[policy] model = "gao-rexford"`) routes follow the policy, not the
//! shortest paths: presence, paths and next hops come from `crate::policy::simulate` over
//! the links and routers that are up, with the hijackers among the origins and the leaker
//! exporting against its policy, roles on or off as the lab says.
//!
//! Which of these a daemon is, each suite says (`RoutingSuite::daemon_role`).

use super::spec::Step;
use crate::config::Graph;
use crate::policy::{Net, Scenario, SimRoute};
use crate::suite::DaemonRole;
use crate::suites;

/// Which route a router takes to the measured prefix: `took` in summary.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Took {
    Victim,
    Hijacker,
    Leak,
    None,
}

impl Took {
    pub fn name(self) -> &'static str {
        match self {
            Took::Victim => "victim",
            Took::Hijacker => "hijacker",
            Took::Leak => "leak",
            Took::None => "none",
        }
    }
}

/// The routing policy of an internet lab, as the experiment changes it.
#[derive(Debug, Clone)]
struct Policy {
    net: Net,
    roles: bool,
    /// Every AS's own prefix (what a hijack or a leak names by its victim).
    prefixes: Vec<ipnet::Ipv4Net>,
    leaker: Option<usize>,
    /// Origins added by hijack steps.
    hijackers: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct World {
    graph: Graph,
    /// `link_up[p]`: link position p of the graph is up (LAN positions too: always up).
    link_up: Vec<bool>,
    bgpd_up: Vec<bool>,
    /// A killed bird's FIB: whether it had the prefix when it died (it keeps it).
    frozen: Vec<Option<bool>>,
    origins: Vec<usize>,
    /// Whether an origin has the prefix in its own main table. Neither case in nsbgp does:
    /// the origin originates the default without installing one, and an announced prefix
    /// sits on the origin's `lo`, which the kernel routes from the local table.
    origin_has_it: bool,
    pub predictable: bool,
    policy: Option<Policy>,
    /// `routes()` of this state, computed once (`apply` clears it): the plan asks for every
    /// router's next hop and path, and each answer is a whole simulation.
    routes: std::sync::OnceLock<Option<Vec<Option<SimRoute>>>>,
}

impl World {
    pub fn new(graph: &Graph, origins: Vec<usize>, origin_has_it: bool) -> Self {
        World {
            graph: graph.clone(),
            link_up: vec![true; graph.links().len() + graph.lans().len()],
            bgpd_up: vec![true; graph.len()],
            frozen: vec![None; graph.len()],
            origins,
            origin_has_it,
            predictable: true,
            policy: None,
            routes: std::sync::OnceLock::new(),
        }
    }

    /// The world of `lab`: routes by its policy in an internet lab, else by shortest paths.
    pub fn of(lab: &crate::config::Lab, origins: Vec<usize>, origin_has_it: bool) -> Self {
        let mut w = World::new(&lab.graph, origins, origin_has_it);
        if lab.internet() {
            w.policy = Some(Policy {
                net: Net::of(lab),
                roles: lab.policy.roles,
                prefixes: lab.policy.prefixes.clone(),
                leaker: None,
                hijackers: Vec::new(),
            });
        }
        w
    }

    /// Every router's route under the policy, over what is up (None: no policy, or one that
    /// does not settle).
    pub fn routes(&self) -> Option<&[Option<SimRoute>]> {
        self.routes.get_or_init(|| self.simulate()).as_deref()
    }

    fn simulate(&self) -> Option<Vec<Option<SimRoute>>> {
        let p = self.policy.as_ref()?;
        let alive = |r: usize| self.bgpd_up[r];
        let nbrs = p
            .net
            .nbrs
            .iter()
            .enumerate()
            .map(|(r, v)| {
                v.iter()
                    .copied()
                    .filter(|&(q, _)| {
                        alive(r) && alive(q) && self.graph.link_between(r, q).is_some_and(|l| self.link_up[l])
                    })
                    .collect()
            })
            .collect();
        let net = Net {
            nbrs,
            rid: p.net.rid.clone(),
        };
        let scenario = Scenario {
            sources: self.origins.iter().copied().filter(|&o| alive(o)).collect(),
            leaker: p.leaker,
            roles: p.roles,
        };
        crate::policy::simulate(&net, &scenario).ok()
    }

    /// The routers along k's path, from k to the origin (None: no policy or no route).
    pub fn path(&self, k: usize) -> Option<Vec<usize>> {
        let r = self.routes()?[k].clone()?;
        Some(std::iter::once(k).chain(r.path).collect())
    }

    /// Which route each router takes (internet labs; None elsewhere or unsettled).
    pub fn took(&self) -> Option<Vec<Took>> {
        let p = self.policy.as_ref()?;
        let routes = self.routes()?;
        Some(
            routes
                .iter()
                .enumerate()
                .map(|(k, r)| match r {
                    None => Took::None,
                    Some(r) if r.leaked => Took::Leak,
                    Some(r) if p.hijackers.contains(&r.origin(k)) => Took::Hijacker,
                    Some(_) => Took::Victim,
                })
                .collect(),
        )
    }

    /// Applies a step that concerns the measured prefix `measured` (other prefixes' steps
    /// change nothing here).
    pub fn apply(&mut self, step: &Step<usize>, measured: ipnet::IpNet) {
        self.routes = std::sync::OnceLock::new();
        match *step {
            Step::Announce { router, prefix } if prefix == measured && !self.origins.contains(&router) => {
                self.origins.push(router)
            }
            Step::Withdraw { router, prefix } if prefix == measured => self.origins.retain(|&o| o != router),
            Step::Hijack {
                router,
                victim,
                more_specific,
            } => {
                if let Some(p) = self.policy.as_mut() {
                    let own = p.prefixes[victim];
                    let announced = match more_specific {
                        true => ipnet::Ipv4Net::new(own.network(), own.prefix_len() + 1)
                            .ok()
                            .map(ipnet::IpNet::V4),
                        false => Some(ipnet::IpNet::V4(own)),
                    };
                    if announced == Some(measured) && !self.origins.contains(&router) {
                        self.origins.push(router);
                        p.hijackers.push(router);
                    }
                }
            }
            Step::Leak { router, victim } => {
                if let Some(p) = self.policy.as_mut() {
                    if ipnet::IpNet::V4(p.prefixes[victim]) == measured {
                        p.leaker = Some(router);
                    }
                }
            }
            Step::LinkDown { a, b } | Step::LinkUp { a, b } => {
                if let Some(l) = self.graph.link_between(a, b) {
                    self.link_up[l] = matches!(step, Step::LinkUp { .. });
                }
            }
            // What a daemon's death does is its suite's to say (`RoutingSuite::daemon_role`).
            Step::Kill { router, daemon } => match suites::daemon_role(daemon) {
                DaemonRole::Bgp => self.bgpd_up[router] = false,
                DaemonRole::BgpKeepsFib => {
                    if self.frozen[router].is_none() {
                        self.frozen[router] = Some(self.presence()[router]);
                    }
                    self.bgpd_up[router] = false;
                }
                DaemonRole::Unpredictable => self.predictable = false,
            },
            Step::Restart { router, daemon } => match suites::daemon_role(daemon) {
                DaemonRole::Bgp | DaemonRole::BgpKeepsFib => {
                    self.bgpd_up[router] = true;
                    self.frozen[router] = None;
                }
                DaemonRole::Unpredictable => self.predictable = false,
            },
            // A link that drops everything may take its sessions down, or not, in the window
            // measured: the model cannot say.
            Step::Impair { keys, .. } if keys.loss_pct == Some(100.0) => self.predictable = false,
            _ => {}
        }
        // A policy that does not settle (a leak can make one oscillate) cannot be predicted.
        if self.policy.is_some() && self.routes().is_none() {
            self.predictable = false;
        }
    }

    /// Hops from the nearest origin with a running bgpd over up links, through routers whose
    /// bgpd runs (None: the prefix cannot reach the router).
    pub fn distances(&self) -> Vec<Option<u32>> {
        if let Some(routes) = self.routes() {
            return routes.iter().map(|r| r.as_ref().map(|r| r.path.len() as u32)).collect();
        }
        let live: Vec<usize> = self.origins.iter().copied().filter(|&o| self.bgpd_up[o]).collect();
        let (g, up, bgpd) = (&self.graph, &self.link_up, &self.bgpd_up);
        // A router without bgpd carries nothing: no path enters it (the live origins are
        // where paths start, so none leaves one either).
        g.distances_through(&live, &|l| !up[l], &|r| !bgpd[r])
    }

    /// Which routers should have the prefix in their FIB.
    pub fn presence(&self) -> Vec<bool> {
        let d = self.distances();
        (0..self.graph.len())
            .map(|k| match (self.frozen[k], d[k]) {
                (Some(kept), _) => kept,
                (None, Some(0)) => self.origin_has_it,
                (None, Some(_)) => true,
                (None, None) => false,
            })
            .collect()
    }

    /// Neighbours of `k` on a shortest path to the nearest origin in this state (empty for
    /// an origin or a router cut off).
    pub fn next_hops(&self, k: usize) -> Vec<usize> {
        if let Some(routes) = self.routes() {
            return routes[k]
                .as_ref()
                .and_then(|r| r.path.first().copied())
                .into_iter()
                .collect();
        }
        let d = self.distances();
        let Some(dk) = d[k].filter(|&x| x > 0) else {
            return Vec::new();
        };
        self.graph
            .neighbours(k)
            .iter()
            .filter(|&&(p, l)| self.link_up[l] && d[p] == Some(dk - 1))
            .map(|&(p, _)| p)
            .collect()
    }

    /// Hop of router k from the step's point of change (the router acted on, or the nearer
    /// end of the link), over the links that are up in this state, before the step.
    pub fn hop(&self, step: &Step<usize>, k: usize) -> usize {
        self.hops(step)[k]
    }

    /// [`World::hop`] of every router (one breadth-first search).
    pub fn hops(&self, step: &Step<usize>) -> Vec<usize> {
        let n = self.graph.len();
        let from: Vec<usize> = match *step {
            Step::Announce { router, .. }
            | Step::Withdraw { router, .. }
            | Step::Kill { router, .. }
            | Step::Restart { router, .. }
            | Step::Hijack { router, .. }
            | Step::Leak { router, .. } => vec![router],
            Step::LinkDown { a, b } | Step::LinkUp { a, b } | Step::Impair { a, b, .. } => vec![a, b],
            _ => return vec![0; n],
        };
        let up = &self.link_up;
        let d = self.graph.distances_avoiding(&from, &|l| !up[l]);
        // Cut off from the change by links already down: the distance in the whole graph.
        let whole = self.graph.distances_avoiding(&from, &|_| false);
        (0..n).map(|k| d[k].or(whole[k]).unwrap_or(0) as usize).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Daemon;

    fn p() -> ipnet::IpNet {
        "203.0.113.0/24".parse().unwrap()
    }

    fn chain(n: usize) -> Graph {
        Graph::new(n, crate::config::graph::chain(n), 0)
    }

    #[test]
    fn announce_reaches_everyone_until_a_link_goes_down() {
        let mut w = World::new(&chain(6), vec![], true);
        assert_eq!(w.presence(), [false; 6]);
        w.apply(&Step::Announce { router: 2, prefix: p() }, p());
        assert_eq!(w.presence(), [true; 6]);
        w.apply(&Step::LinkDown { a: 4, b: 3 }, p());
        assert_eq!(w.presence(), [true, true, true, true, false, false]);
        w.apply(
            &Step::Kill {
                router: 1,
                daemon: Daemon::Bgpd,
            },
            p(),
        );
        assert_eq!(w.presence(), [false, false, true, true, false, false]);
        w.apply(&Step::Withdraw { router: 2, prefix: p() }, p());
        assert_eq!(w.presence(), [false; 6]);
        assert!(w.predictable);
        w.apply(
            &Step::Kill {
                router: 1,
                daemon: Daemon::Zebra,
            },
            p(),
        );
        assert!(!w.predictable);
    }

    #[test]
    fn a_killed_bird_keeps_its_fib_until_it_restarts() {
        let d: ipnet::IpNet = "0.0.0.0/0".parse().unwrap();
        let mut w = World::new(&chain(6), vec![0], false);
        let kill = Step::Kill {
            router: 2,
            daemon: Daemon::Bird,
        };
        w.apply(&kill, d);
        assert!(w.predictable);
        assert_eq!(w.presence(), [false, true, true, false, false, false]);
        w.apply(
            &Step::Restart {
                router: 2,
                daemon: Daemon::Bird,
            },
            d,
        );
        assert_eq!(w.presence(), [false, true, true, true, true, true]);
    }

    #[test]
    fn the_default_is_not_in_its_originators_fib() {
        let d: ipnet::IpNet = "0.0.0.0/0".parse().unwrap();
        let mut w = World::new(&chain(4), vec![0], false);
        assert_eq!(w.presence(), [false, true, true, true]);
        w.apply(
            &Step::Kill {
                router: 0,
                daemon: Daemon::Bgpd,
            },
            d,
        );
        assert_eq!(w.presence(), [false; 4]);
        // Steps about other prefixes change nothing.
        let mut w2 = World::new(&chain(4), vec![0], false);
        w2.apply(&Step::Withdraw { router: 0, prefix: p() }, d);
        assert_eq!(w2.presence(), [false, true, true, true]);
    }

    #[test]
    fn hops() {
        let w = World::new(&chain(10), vec![0], false);
        assert_eq!(w.hop(&Step::Announce { router: 3, prefix: p() }, 0), 3);
        let l = Step::LinkDown { a: 4, b: 5 };
        assert_eq!((w.hop(&l, 9), w.hop(&l, 5), w.hop(&l, 4), w.hop(&l, 1)), (4, 0, 0, 3));
        // On a ring the hop is the shorter way round.
        let r = World::new(&Graph::new(8, crate::config::graph::ring(8), 0), vec![0], false);
        assert_eq!(r.hop(&Step::Announce { router: 1, prefix: p() }, 7), 2);
        assert_eq!(r.hop(&Step::LinkDown { a: 0, b: 1 }, 5), 3);
    }

    #[test]
    fn a_lan_carries_the_prefix_until_its_members_lose_bgp() {
        let d: ipnet::IpNet = "0.0.0.0/0".parse().unwrap();
        // Routers 0 … 3 on a LAN, 4 behind 3 (link 0), 5 behind 4.
        let g = Graph::with_lans(6, vec![(3, 4), (4, 5)], vec![vec![0, 1, 2, 3]], 0);
        let mut w = World::new(&g, vec![0], false);
        assert_eq!(w.distances(), [Some(0), Some(1), Some(1), Some(1), Some(2), Some(3)]);
        assert_eq!((w.next_hops(2), w.next_hops(4)), (vec![0], vec![3]));
        // The LAN's member 3 loses bgpd: the routers behind it lose the prefix, the other
        // members keep theirs straight across the LAN.
        w.apply(
            &Step::Kill {
                router: 3,
                daemon: Daemon::Bgpd,
            },
            d,
        );
        assert_eq!(w.presence(), [false, true, true, false, false, false]);
        // Hops from a step at the origin: one across the LAN, then along the chain.
        let hops = w.hops(&Step::Withdraw { router: 0, prefix: d });
        assert_eq!(hops, [0, 1, 1, 1, 2, 3]);
    }

    #[test]
    fn a_ring_reroutes_and_a_tree_is_cut() {
        let d: ipnet::IpNet = "0.0.0.0/0".parse().unwrap();
        let mut w = World::new(&Graph::new(6, crate::config::graph::ring(6), 0), vec![0], false);
        assert_eq!(w.distances(), [Some(0), Some(1), Some(2), Some(3), Some(2), Some(1)]);
        assert_eq!(w.next_hops(3), [2, 4]);
        w.apply(&Step::LinkDown { a: 1, b: 0 }, d);
        // Everyone keeps the default; ROUTER_1 and ROUTER_2 now reach it the other way.
        assert_eq!(w.presence(), [false, true, true, true, true, true]);
        assert_eq!(w.distances(), [Some(0), Some(5), Some(4), Some(3), Some(2), Some(1)]);
        assert_eq!((w.next_hops(1), w.next_hops(3)), (vec![2], vec![4]));
        w.apply(&Step::LinkUp { a: 1, b: 0 }, d);
        assert_eq!(w.distances()[1], Some(1));
        // A tree loses the subtree below a cut link.
        let mut t = World::new(&Graph::new(7, crate::config::graph::tree(7, 2), 0), vec![0], false);
        t.apply(&Step::LinkDown { a: 1, b: 0 }, d);
        assert_eq!(t.presence(), [false, false, true, false, false, true, true]);
        // bgpd down in the middle of a ring: the rest goes round.
        let mut k = World::new(&Graph::new(6, crate::config::graph::ring(6), 0), vec![0], false);
        k.apply(
            &Step::Kill {
                router: 1,
                daemon: Daemon::Bgpd,
            },
            d,
        );
        assert_eq!(k.presence(), [false, false, true, true, true, true]);
        assert_eq!(k.distances()[2], Some(4));
    }
}
