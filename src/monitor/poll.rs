//! Polling a running lab through its vtys: one logged-in session per daemon, kept across
//! polls (and re-opened when a daemon restarts), routers asked concurrently with a bound.

use super::rule::{self, Expected, Observation, PeerObs, Proc, RouteObs};
use super::timeline::Timeline;
use crate::config::{Daemon, Lab};
use crate::frr::parse::{self, BgpPrefix, BgpSummary, RouteLookup, RouteSummary};
use crate::frr::spawn::{pid_file, read_pid};
use crate::frr::vty::{self, Session};
use crate::lab::{self, LabError, Running};
use futures::StreamExt;
use std::path::PathBuf;

/// Routers asked at once: enough to hide vty round trips, few enough not to starve the
/// daemons of a 2-core machine.
const CONCURRENCY: usize = 128;
/// How long one router may take to answer a poll. A daemon busy with a route storm answers
/// its vty only between BGP work; rather than wait for it, the poll reports it busy, so
/// `status` on a large, loaded lab stays bounded.
const ROUTER_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

struct RouterSessions {
    zebra: Session,
    bgpd: Session,
}

pub struct Poller {
    pub lab: Lab,
    pub dir: PathBuf,
    pub started_unix_ms: u64,
    pub expected: Vec<Expected>,
    pub timeline: Timeline,
    sessions: Vec<RouterSessions>,
    sys: Option<sysinfo::System>,
    last_unconverged_ms: Vec<Option<u64>>,
}

/// One poll of the whole lab.
pub struct Poll {
    pub obs: Vec<Observation>,
    /// Per router: why it has not converged (empty when it has).
    pub problems: Vec<Vec<String>>,
    pub took_ms: u64,
}

impl Poll {
    pub fn converged(&self, i: usize) -> bool {
        self.problems[i].is_empty()
    }
    pub fn converged_count(&self) -> usize {
        self.problems.iter().filter(|p| p.is_empty()).count()
    }
    pub fn all_converged(&self) -> bool {
        self.problems.iter().all(|p| p.is_empty())
    }
}

impl Poller {
    /// Opens vty sessions to every daemon of the lab (those that are down are retried at
    /// each poll).
    pub async fn open(run: &Running) -> Result<Poller, LabError> {
        let password = run.password()?;
        let lab = run.lab.clone();
        let started_unix_ms = run.state.as_ref().map_or(0, |s| s.started_unix_ms);
        let mut sessions: Vec<RouterSessions> = lab
            .routers
            .iter()
            .map(|r| RouterSessions {
                zebra: Session::new(&r.name, Daemon::Zebra, &password),
                bgpd: Session::new(&r.name, Daemon::Bgpd, &password),
            })
            .collect();
        let targets: Vec<(String, Daemon)> = lab
            .routers
            .iter()
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
        futures::stream::iter(sessions.iter_mut().zip(&lab.routers))
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
        let names = lab.routers.iter().map(|r| r.name.clone()).collect();
        Ok(Poller {
            expected: rule::expected(&lab),
            timeline: Timeline::load(&run.dir, started_unix_ms, names),
            last_unconverged_ms: vec![None; lab.routers.len()],
            sys: sysinfo::System::new().ok(),
            dir: run.dir.clone(),
            started_unix_ms,
            sessions,
            lab,
        })
    }

    /// Daemon processes of every router: pid file, liveness, memory and CPU.
    fn procs(&mut self) -> Vec<(Proc, Proc)> {
        let dirs: Vec<_> = (0..self.lab.routers.len())
            .map(|i| crate::rootfs::RouterDirs::new(&self.dir, &self.lab.routers[i].name))
            .collect();
        let look = |i: usize, d: Daemon| {
            let pid = read_pid(&pid_file(&dirs[i], d));
            let alive = pid.is_some_and(|p| lab::pid_alive(p) && lab::pid_comm(p).as_deref() == Some(d.name()));
            Proc {
                pid,
                alive,
                rss_kb: 0,
                cpu_ms: 0,
            }
        };
        let mut v: Vec<(Proc, Proc)> = (0..dirs.len())
            .map(|i| (look(i, Daemon::Zebra), look(i, Daemon::Bgpd)))
            .collect();
        if let Some(sys) = self.sys.as_mut() {
            let pids: Vec<sysinfo::Pid> = v
                .iter()
                .flat_map(|(z, b)| [z, b])
                .filter(|p| p.alive)
                .filter_map(|p| p.pid)
                .map(sysinfo::Pid::from_u32)
                .collect();
            let kind = sysinfo::ProcessRefreshKind::nothing()
                .with_memory()
                .with_cpu()
                .without_tasks();
            sys.refresh_processes_specifics(sysinfo::ProcessesToUpdate::Some(&pids), true, kind);
            for p in v.iter_mut().flat_map(|(z, b)| [z, b]) {
                if let Some(proc_) = p
                    .pid
                    .filter(|_| p.alive)
                    .and_then(|pid| sys.process(sysinfo::Pid::from_u32(pid)))
                {
                    p.rss_kb = proc_.memory() / 1024;
                    p.cpu_ms = proc_.accumulated_cpu_time();
                }
            }
        }
        v
    }

    /// Asks every router; updates and saves the timeline.
    pub async fn poll(&mut self) -> Poll {
        let t0 = std::time::Instant::now();
        let procs = self.procs();
        let stub = self.lab.stub_prefix.to_string();
        let mut obs: Vec<(usize, Observation)> = futures::stream::iter(self.sessions.iter_mut().zip(procs).enumerate())
            .map(|(i, (rs, (zp, bp)))| {
                let stub = stub.clone();
                async move {
                    match tokio::time::timeout(ROUTER_DEADLINE, observe(rs, zp, bp, &stub)).await {
                        Ok(o) => (i, o),
                        Err(_) => {
                            // Abandoned mid-command: those connections are out of step now.
                            rs.zebra.reset();
                            rs.bgpd.reset();
                            let o = Observation {
                                at_ms: lab::now_unix_ms(),
                                zebra: zp,
                                bgpd: bp,
                                errors: vec![format!("busy: its vtys did not answer within {ROUTER_DEADLINE:?}")],
                                ..Default::default()
                            };
                            (i, o)
                        }
                    }
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        obs.sort_by_key(|(i, _)| *i);
        let obs: Vec<Observation> = obs.into_iter().map(|(_, o)| o).collect();
        let problems: Vec<Vec<String>> = self.expected.iter().zip(&obs).map(|(e, o)| rule::judge(e, o)).collect();
        let converged: Vec<bool> = problems.iter().map(|p| p.is_empty()).collect();
        let peers: Vec<usize> = self.expected.iter().map(|e| e.peers.len()).collect();
        let mut changed = self
            .timeline
            .record(&obs, &peers, &converged, &self.last_unconverged_ms);
        for (i, o) in obs.iter().enumerate() {
            if !converged[i] {
                self.last_unconverged_ms[i] = Some(o.at_ms);
            }
        }
        if converged.iter().all(|&c| c) {
            changed |= self.timeline.lab_converged();
        }
        if changed {
            // The timeline is a convenience record: a read-only state dir must not fail status.
            let _ = self.timeline.save(&self.dir);
        }
        Poll {
            obs,
            problems,
            took_ms: t0.elapsed().as_millis() as u64,
        }
    }
}

/// Runs a command on a session and parses its JSON, noting failures in `errors`.
async fn ask<T: serde::de::DeserializeOwned + Default>(
    s: &mut Session,
    cmd: &str,
    errors: &mut Vec<String>,
) -> Option<T> {
    match s.run(cmd).await {
        Ok(text) => match parse::from_frr::<T>(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(format!("{} `{cmd}`: unreadable output ({e})", s.daemon));
                None
            }
        },
        Err(e) => {
            errors.push(format!("{} vty: {e}", s.daemon));
            None
        }
    }
}

fn route_obs(lookup: &RouteLookup, prefix: &str) -> Option<RouteObs> {
    parse::installed_route(lookup, prefix).map(|r| RouteObs {
        protocol: r.protocol.clone(),
        nexthop: r.nexthops.iter().find(|n| n.active).and_then(|n| n.ip),
    })
}

async fn observe(rs: &mut RouterSessions, zebra: Proc, bgpd: Proc, stub: &str) -> Observation {
    let at_ms = lab::now_unix_ms();
    let mut o = Observation {
        at_ms,
        bgpd,
        zebra,
        ..Default::default()
    };
    let (bgp, zeb) = tokio::join!(
        async {
            let mut errors = Vec::new();
            if !bgpd.alive {
                return (None, None, errors);
            }
            let sum: Option<BgpSummary> = ask(&mut rs.bgpd, "show bgp summary json", &mut errors).await;
            let peers = sum.map(|s| {
                s.ipv4
                    .map(|v4| {
                        v4.peers
                            .iter()
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
                    })
                    .unwrap_or_default()
            });
            let dflt: Option<BgpPrefix> = ask(&mut rs.bgpd, "show ip bgp 0.0.0.0/0 json", &mut errors).await;
            let dflt = dflt.map(|p| {
                p.best().and_then(|b| {
                    let len = b.aspath.as_ref()?.length;
                    Some((len, b.last_update.as_ref().map(|u| u.epoch)))
                })
            });
            (peers, dflt, errors)
        },
        async {
            let mut errors = Vec::new();
            if !zebra.alive {
                return (None, None, None, errors);
            }
            let sum: Option<RouteSummary> = ask(&mut rs.zebra, "show ip route summary json", &mut errors).await;
            let dflt: Option<RouteLookup> = ask(&mut rs.zebra, "show ip route 0.0.0.0/0 json", &mut errors).await;
            let stub_r: Option<RouteLookup> =
                ask(&mut rs.zebra, &format!("show ip route {stub} json"), &mut errors).await;
            (
                sum.map(|s| s.bgp_fib()),
                dflt.map(|l| route_obs(&l, "0.0.0.0/0")),
                stub_r.map(|l| route_obs(&l, stub)),
                errors,
            )
        }
    );
    o.peers = bgp.0;
    o.default_bgp = bgp.1;
    o.bgp_fib_routes = zeb.0;
    o.default_route = zeb.1;
    o.stub_route = zeb.2;
    o.errors = bgp.2.into_iter().chain(zeb.3).collect();
    o
}
