//! Where the measured prefix should be after each step, in a chain: it reaches every router
//! joined to an origin by up links and running bgpd. Used to know when a step's effect is
//! complete (and which routers are missing it). Killing zebra has effects the model does
//! not predict; then the experiment waits for the FIBs to go quiet instead. A killed bird is
//! a router without BGP whose own FIB stays as it was (BIRD's routes stay in the kernel
//! until it starts again and flushes them); a restarted bird is a router with its BGP back.

use super::spec::Step;
use crate::config::Daemon;

#[derive(Debug, Clone, PartialEq)]
pub struct World {
    n: usize,
    /// `link_up[k]`: link k (between ROUTER_{k-1} and ROUTER_k) is up; index 0 unused.
    link_up: Vec<bool>,
    bgpd_up: Vec<bool>,
    /// A killed bird's FIB: whether it had the prefix when it died (it keeps it).
    frozen: Vec<Option<bool>>,
    origins: Vec<usize>,
    /// Whether an origin has the prefix in its own main table. Neither case in nsbgp does:
    /// ROUTER_0 originates the default without installing one, and an announced prefix
    /// sits on the origin's `lo`, which the kernel routes from the local table.
    origin_has_it: bool,
    pub predictable: bool,
}

impl World {
    pub fn new(n: usize, origins: Vec<usize>, origin_has_it: bool) -> Self {
        World {
            n,
            link_up: vec![true; n],
            bgpd_up: vec![true; n],
            frozen: vec![None; n],
            origins,
            origin_has_it,
            predictable: true,
        }
    }

    /// Applies a step that concerns the measured prefix `measured` (other prefixes' steps
    /// change nothing here).
    pub fn apply(&mut self, step: &Step<usize>, measured: ipnet::Ipv4Net) {
        match *step {
            Step::Announce { router, prefix } if prefix == measured && !self.origins.contains(&router) => {
                self.origins.push(router)
            }
            Step::Withdraw { router, prefix } if prefix == measured => self.origins.retain(|&o| o != router),
            Step::LinkDown { a, b } => self.link_up[a.max(b)] = false,
            Step::LinkUp { a, b } => self.link_up[a.max(b)] = true,
            Step::Kill {
                router,
                daemon: Daemon::Bgpd,
            } => self.bgpd_up[router] = false,
            Step::Kill {
                router,
                daemon: Daemon::Bird,
            } => {
                if self.frozen[router].is_none() {
                    self.frozen[router] = Some(self.presence()[router]);
                }
                self.bgpd_up[router] = false;
            }
            Step::Restart {
                router,
                daemon: Daemon::Bgpd | Daemon::Bird,
            } => {
                self.bgpd_up[router] = true;
                self.frozen[router] = None;
            }
            Step::Kill {
                daemon: Daemon::Zebra, ..
            }
            | Step::Restart {
                daemon: Daemon::Zebra, ..
            } => self.predictable = false,
            _ => {}
        }
    }

    /// Which routers should have the prefix in their FIB.
    pub fn presence(&self) -> Vec<bool> {
        let mut have = vec![false; self.n];
        for &o in &self.origins {
            if self.origin_has_it {
                have[o] = true;
            }
            if !self.bgpd_up[o] {
                continue;
            }
            // Spread both ways while links are up and bgpd runs.
            for dir in [-1i64, 1] {
                let mut k = o as i64;
                loop {
                    let next = k + dir;
                    if next < 0 || next >= self.n as i64 {
                        break;
                    }
                    let link = k.max(next) as usize;
                    if !self.link_up[link] || !self.bgpd_up[next as usize] {
                        break;
                    }
                    have[next as usize] = true;
                    k = next;
                }
            }
        }
        for (h, f) in have.iter_mut().zip(&self.frozen) {
            if let Some(v) = f {
                *h = *v;
            }
        }
        have
    }

    /// Hop of router k from the step's point of change (the router acted on, or the nearer
    /// end of the link).
    pub fn hop(step: &Step<usize>, k: usize) -> usize {
        match *step {
            Step::Announce { router, .. }
            | Step::Withdraw { router, .. }
            | Step::Kill { router, .. }
            | Step::Restart { router, .. } => k.abs_diff(router),
            Step::LinkDown { a, b } | Step::LinkUp { a, b } => {
                let (lo, hi) = (a.min(b), a.max(b));
                if k <= lo {
                    lo - k
                } else {
                    k - hi
                }
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> ipnet::Ipv4Net {
        "203.0.113.0/24".parse().unwrap()
    }

    #[test]
    fn announce_reaches_everyone_until_a_link_goes_down() {
        let mut w = World::new(6, vec![], true);
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
        let d: ipnet::Ipv4Net = "0.0.0.0/0".parse().unwrap();
        let mut w = World::new(6, vec![0], false);
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
        let d: ipnet::Ipv4Net = "0.0.0.0/0".parse().unwrap();
        let mut w = World::new(4, vec![0], false);
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
        let mut w2 = World::new(4, vec![0], false);
        w2.apply(&Step::Withdraw { router: 0, prefix: p() }, d);
        assert_eq!(w2.presence(), [false, true, true, true]);
    }

    #[test]
    fn hops() {
        assert_eq!(World::hop(&Step::Announce { router: 3, prefix: p() }, 0), 3);
        let l = Step::LinkDown { a: 4, b: 5 };
        assert_eq!(
            (
                World::hop(&l, 9),
                World::hop(&l, 5),
                World::hop(&l, 4),
                World::hop(&l, 1)
            ),
            (4, 0, 0, 3)
        );
    }
}
