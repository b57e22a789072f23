//! What `status` asks an FRR router: zebra and bgpd through their vtys, one logged-in
//! session per daemon kept across polls (and re-opened when a daemon restarts).

use super::parse::{self, BgpPrefix, BgpSummary, RouteLookup, RouteSummary};
use super::vty::{self, Session, VtyError};
use crate::config::{Daemon, Family, Lab};
use crate::suite::{FamilyObs, Observation, Observer, PeerObs, Proc, RouteObs};
use futures::future::BoxFuture;
use futures::StreamExt;

/// Logins at once when the observers are opened.
const CONCURRENCY: usize = 128;

/// One FRR router's sessions.
pub struct FrrObserver {
    zebra: Session,
    bgpd: Session,
}

impl Observer for FrrObserver {
    fn observe<'a>(
        &'a mut self,
        daemons: Vec<(Daemon, Proc)>,
        stubs: &'a [(Family, String)],
        _want_len: Option<u32>,
    ) -> BoxFuture<'a, Observation> {
        Box::pin(observe(&mut self.zebra, &mut self.bgpd, daemons, stubs))
    }

    fn reset(&mut self) {
        self.zebra.reset();
        self.bgpd.reset();
    }
}

/// Observers for `routers`, their vtys connected up front: FRR's vtys are TCP ports inside
/// the namespaces, one batch of connects is cheaper than one per poll.
pub async fn open(lab: &Lab, routers: &[usize], password: &str) -> Vec<Box<dyn Observer>> {
    let mut sessions: Vec<FrrObserver> = routers
        .iter()
        .map(|&i| &lab.routers[i])
        .map(|r| FrrObserver {
            zebra: Session::new(&r.name, Daemon::Zebra, password),
            bgpd: Session::new(&r.name, Daemon::Bgpd, password),
        })
        .collect();
    let targets: Vec<(String, Daemon)> = routers
        .iter()
        .map(|&i| &lab.routers[i])
        .flat_map(|r| lab.daemons.iter().map(|&d| (r.name.clone(), d)))
        .collect();
    let streams = tokio::task::spawn_blocking({
        let t = targets.clone();
        move || vty::connect_many(&t)
    })
    .await
    .expect("connect task");
    let logins = targets
        .iter()
        .zip(streams)
        .filter_map(|((name, d), s)| Some((name, *d, s.ok()?)));
    let mut by_router: std::collections::HashMap<&str, Vec<(Daemon, std::net::TcpStream)>> = Default::default();
    for (name, d, s) in logins {
        by_router.entry(name.as_str()).or_default().push((d, s));
    }
    futures::stream::iter(sessions.iter_mut().zip(routers.iter().map(|&i| &lab.routers[i])))
        .for_each_concurrent(CONCURRENCY, |(rs, r)| {
            let streams = by_router.remove(r.name.as_str()).unwrap_or_default();
            async move {
                for (d, s) in streams {
                    let session = if d == Daemon::Zebra {
                        &mut rs.zebra
                    } else {
                        &mut rs.bgpd
                    };
                    // A failed login is retried at the first poll.
                    let _ = session.adopt(s).await;
                }
            }
        })
        .await;
    sessions.into_iter().map(|s| Box::new(s) as Box<dyn Observer>).collect()
}

/// What `observe` needs of a daemon's vty: one command's output. A seam so that the unit
/// tests replay outputs recorded from real daemons.
trait Ask: Send {
    fn daemon(&self) -> Daemon;
    fn run<'a>(&'a mut self, cmd: &'a str) -> BoxFuture<'a, Result<String, VtyError>>;
}

impl Ask for Session {
    fn daemon(&self) -> Daemon {
        self.daemon
    }
    fn run<'a>(&'a mut self, cmd: &'a str) -> BoxFuture<'a, Result<String, VtyError>> {
        Box::pin(Session::run(self, cmd))
    }
}

/// Runs a command on a session and parses its JSON, noting failures in `errors`.
async fn ask<T: serde::de::DeserializeOwned + Default>(
    s: &mut impl Ask,
    cmd: &str,
    errors: &mut Vec<String>,
) -> Option<T> {
    match s.run(cmd).await {
        Ok(text) => match parse::from_frr::<T>(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(format!("{} `{cmd}`: unreadable output ({e})", s.daemon()));
                None
            }
        },
        Err(e) => {
            errors.push(format!("{} vty: {e}", s.daemon()));
            None
        }
    }
}

fn route_obs(lookup: &RouteLookup, prefix: &str) -> Option<RouteObs> {
    parse::installed_route(lookup, prefix).map(|r| {
        let active = r.nexthops.iter().find(|n| n.active);
        RouteObs {
            protocol: r.protocol.clone(),
            nexthop: active.and_then(|n| n.ip),
            iface: active.and_then(|n| n.interface_name.clone()),
        }
    })
}

/// zebra's and bgpd's `show` commands for a family (IPv4's are those of IPv4-only labs).
fn frr_show(f: Family) -> (&'static str, &'static str) {
    match f {
        Family::Ipv4 => ("show ip route", "show ip bgp"),
        Family::Ipv6 => ("show ipv6 route", "show bgp ipv6 unicast"),
    }
}

async fn observe(
    zebra_s: &mut impl Ask,
    bgpd_s: &mut impl Ask,
    daemons: Vec<(Daemon, Proc)>,
    stubs: &[(Family, String)],
) -> Observation {
    let at_ms = crate::host::now_unix_ms();
    let alive = |d: Daemon| daemons.iter().any(|(x, p)| *x == d && p.alive);
    let (zebra_alive, bgpd_alive) = (alive(Daemon::Zebra), alive(Daemon::Bgpd));
    let mut o = Observation {
        at_ms,
        daemons,
        ..Default::default()
    };
    let (bgp, zeb) = tokio::join!(
        async {
            let mut errors = Vec::new();
            if !bgpd_alive {
                return (None, Vec::new(), errors);
            }
            // Every family's sessions, one summary.
            let sum: Option<BgpSummary> = ask(bgpd_s, "show bgp summary json", &mut errors).await;
            let peers = sum.map(|s| {
                s.families()
                    .flat_map(|af| af.peers.iter())
                    .filter_map(|(addr, p)| {
                        Some(PeerObs {
                            addr: addr.parse().ok()?,
                            state: p.state.clone(),
                            pfx_rcd: p.pfx_rcd.unwrap_or(0),
                            up_since_ms: p
                                .peer_uptime_msec
                                .filter(|_| p.established())
                                .map(|u| at_ms.saturating_sub(u)),
                        })
                    })
                    .collect()
            });
            let mut dflts = Vec::new();
            for (f, _) in stubs {
                let cmd = format!("{} {} json", frr_show(*f).1, f.default_route());
                let dflt: Option<BgpPrefix> = ask(bgpd_s, &cmd, &mut errors).await;
                dflts.push(dflt.map(|p| {
                    p.best().and_then(|b| {
                        let len = b.aspath.as_ref()?.length;
                        Some((len, b.last_update.as_ref().map(|u| u.epoch)))
                    })
                }));
            }
            (peers, dflts, errors)
        },
        async {
            let mut errors = Vec::new();
            let mut routes = Vec::new();
            if !zebra_alive {
                return (None, routes, errors);
            }
            let mut fib: Option<u32> = Some(0);
            for (f, stub) in stubs {
                let show = frr_show(*f).0;
                let sum: Option<RouteSummary> = ask(zebra_s, &format!("{show} summary json"), &mut errors).await;
                fib = fib.zip(sum.map(|s| s.bgp_fib())).map(|(a, b)| a + b);
                let d = f.default_route().to_string();
                let dflt: Option<RouteLookup> = ask(zebra_s, &format!("{show} {d} json"), &mut errors).await;
                let stub_r: Option<RouteLookup> = ask(zebra_s, &format!("{show} {stub} json"), &mut errors).await;
                routes.push((dflt.map(|l| route_obs(&l, &d)), stub_r.map(|l| route_obs(&l, stub))));
            }
            (fib, routes, errors)
        }
    );
    o.peers = bgp.0;
    o.bgp_fib_routes = zeb.0;
    o.fams = stubs
        .iter()
        .enumerate()
        .map(|(k, (f, _))| {
            let mut fo = FamilyObs::new(*f);
            fo.default_bgp = bgp.1.get(k).cloned().flatten();
            if let Some((d, s)) = zeb.1.get(k) {
                fo.default_route = d.clone();
                fo.stub_route = s.clone();
            }
            fo
        })
        .collect();
    o.errors = bgp.2.into_iter().chain(zeb.2).collect();
    o
}

#[cfg(test)]
#[path = "observe_tests.rs"]
mod tests;
