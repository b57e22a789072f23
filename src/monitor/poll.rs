//! Polling a running lab through its vtys (FRR) and control sockets (BIRD): one session per
//! daemon, kept across polls (and re-opened when a daemon restarts), routers asked
//! concurrently with a bound.

use super::rule::{self, Expected, FamilyObs, Observation, PeerObs, Proc, RouteObs};
use super::timeline::Timeline;
use crate::config::{Daemon, Family, Lab, Suite};
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

// One per router, the FRR variant for most labs: boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum RouterSessions {
    Frr { zebra: Session, bgpd: Session },
    Bird(crate::bird::ctl::Session),
}

impl RouterSessions {
    fn reset(&mut self) {
        match self {
            RouterSessions::Frr { zebra, bgpd } => {
                zebra.reset();
                bgpd.reset();
            }
            RouterSessions::Bird(s) => s.reset(),
        }
    }
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
            .map(|r| match r.suite {
                Suite::Frr => RouterSessions::Frr {
                    zebra: Session::new(&r.name, Daemon::Zebra, &password),
                    bgpd: Session::new(&r.name, Daemon::Bgpd, &password),
                },
                Suite::Bird => RouterSessions::Bird(crate::bird::ctl::Session::new(crate::bird::ctl_path(
                    &crate::rootfs::RouterDirs::new(&run.dir, &r.name),
                ))),
            })
            .collect();
        // FRR's vtys are TCP ports inside the namespaces: connect them all up front. BIRD's
        // control sockets are files and connect at the first poll.
        let targets: Vec<(String, Daemon)> = lab
            .routers
            .iter()
            .filter(|r| r.suite == Suite::Frr)
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
                    let RouterSessions::Frr { zebra, bgpd } = rs else {
                        return;
                    };
                    for (d, s) in streams {
                        let session = if d == Daemon::Zebra { &mut *zebra } else { &mut *bgpd };
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
    fn procs(&mut self) -> Vec<Vec<(Daemon, Proc)>> {
        let mut v: Vec<Vec<(Daemon, Proc)>> = (0..self.lab.routers.len())
            .map(|i| {
                let dirs = crate::rootfs::RouterDirs::new(&self.dir, &self.lab.routers[i].name);
                self.lab
                    .daemons_of(i)
                    .into_iter()
                    .map(|d| {
                        let pid = read_pid(&pid_file(&dirs, d));
                        let alive =
                            pid.is_some_and(|p| lab::pid_alive(p) && lab::pid_comm(p).as_deref() == Some(d.name()));
                        (
                            d,
                            Proc {
                                pid,
                                alive,
                                rss_kb: 0,
                                cpu_ms: 0,
                            },
                        )
                    })
                    .collect()
            })
            .collect();
        if let Some(sys) = self.sys.as_mut() {
            let pids: Vec<sysinfo::Pid> = v
                .iter()
                .flatten()
                .map(|(_, p)| p)
                .filter(|p| p.alive)
                .filter_map(|p| p.pid)
                .map(sysinfo::Pid::from_u32)
                .collect();
            let kind = sysinfo::ProcessRefreshKind::nothing()
                .with_memory()
                .with_cpu()
                .without_tasks();
            sys.refresh_processes_specifics(sysinfo::ProcessesToUpdate::Some(&pids), true, kind);
            for (_, p) in v.iter_mut().flatten() {
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
        // Each family of the lab with its stub: what every router is asked about.
        let stubs: Vec<(Family, String)> = self
            .lab
            .stubs
            .iter()
            .map(|s| (Family::of(s.addr), s.prefix.to_string()))
            .collect();
        let stub = &stubs;
        let mut obs: Vec<(usize, Observation)> = futures::stream::iter(self.sessions.iter_mut().zip(procs).enumerate())
            .map(|(i, (rs, procs))| {
                let want_len = self.expected[i].default_path_len;
                async move {
                    let observed = match rs {
                        RouterSessions::Frr { zebra, bgpd } => {
                            tokio::time::timeout(ROUTER_DEADLINE, observe(zebra, bgpd, procs.clone(), stub)).await
                        }
                        RouterSessions::Bird(s) => {
                            tokio::time::timeout(ROUTER_DEADLINE, observe_bird(s, procs.clone(), stub, want_len)).await
                        }
                    };
                    match observed {
                        Ok(o) => (i, o),
                        Err(_) => {
                            // Abandoned mid-command: those connections are out of step now.
                            rs.reset();
                            let o = Observation {
                                at_ms: lab::now_unix_ms(),
                                daemons: procs,
                                errors: vec![format!("busy: its daemons did not answer within {ROUTER_DEADLINE:?}")],
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
    zebra_s: &mut Session,
    bgpd_s: &mut Session,
    daemons: Vec<(Daemon, Proc)>,
    stubs: &[(Family, String)],
) -> Observation {
    let at_ms = lab::now_unix_ms();
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

/// One router running BIRD, through its control socket: the same observation as FRR's.
/// Sessions and prefixes from `show protocols all`, BGP routes in the kernel from the kernel
/// protocol's export count (it exports BGP routes only), the default and the stub from
/// `show route … all`.
/// Whether BIRD's best default route satisfies a filter condition (it is shown or not).
async fn bird_holds(
    s: &mut crate::bird::ctl::Session,
    default: &str,
    cond: &str,
) -> Result<bool, crate::bird::ctl::CtlError> {
    let r = s.run(&format!("show route {default} primary where {cond}")).await?;
    Ok(crate::bird::parse::best_route(&r).is_some())
}

/// The default's AS-path length when BIRD cut the line short (`shown` ASNs visible): the
/// expected length if it holds (one query), else found by bisection on `bgp_path.len`.
async fn bird_path_len(
    s: &mut crate::bird::ctl::Session,
    default: &str,
    shown: u32,
    want: Option<u32>,
) -> Result<u32, crate::bird::ctl::CtlError> {
    if let Some(w) = want {
        if bird_holds(s, default, &format!("bgp_path.len = {w}")).await? {
            return Ok(w);
        }
    }
    // An AS path fits one (extended) UPDATE: fewer than 2^14 four-byte ASNs.
    let (mut lo, mut hi) = (shown, 1u32 << 14);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if bird_holds(s, default, &format!("bgp_path.len >= {mid}")).await? {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}

async fn observe_bird(
    s: &mut crate::bird::ctl::Session,
    daemons: Vec<(Daemon, Proc)>,
    stubs: &[(Family, String)],
    want_len: Option<u32>,
) -> Observation {
    use crate::bird::{ctl::CtlError, parse as bp};
    let at_ms = lab::now_unix_ms();
    let alive = daemons.iter().all(|(_, p)| p.alive);
    let mut o = Observation {
        at_ms,
        daemons,
        ..Default::default()
    };
    if !alive {
        return o;
    }
    match s.run("show protocols all").await {
        Ok(reply) => {
            let ps = bp::protocols(&reply);
            o.peers = Some(
                ps.iter()
                    .filter(|p| p.proto == "BGP")
                    .filter_map(|p| {
                        Some(PeerObs {
                            addr: p.neighbor?,
                            state: p.bgp_state.clone().unwrap_or_else(|| p.state.clone()),
                            pfx_rcd: p.imported.unwrap_or(0),
                            up_since_ms: p.since.filter(|_| p.established()).map(|t| (t * 1000.0) as u64),
                        })
                    })
                    .collect(),
            );
            // One kernel protocol per family, each exporting BGP routes only.
            o.bgp_fib_routes = ps
                .iter()
                .filter(|p| p.proto == "Kernel")
                .map(|p| p.exported)
                .sum::<Option<u32>>();
        }
        Err(e) => {
            o.errors.push(format!("bird control socket: {e}"));
            return o;
        }
    }
    let route = |reply: Result<crate::bird::ctl::Reply, CtlError>, errors: &mut Vec<String>| match reply {
        Ok(r) => Some(bp::best_route(&r)),
        // 8001 "Network not found": BIRD has no route for it.
        Err(CtlError::Rejected { code: 8001, .. }) => Some(None),
        Err(e) => {
            errors.push(format!("bird control socket: {e}"));
            None
        }
    };
    let obs = |r: &bp::Route| RouteObs {
        protocol: r.kind.clone(),
        nexthop: r.nexthop,
        iface: r.iface.clone(),
    };
    for (f, stub) in stubs {
        let d = f.default_route().to_string();
        let dflt = s.run(&format!("show route {d} all")).await;
        let mut dflt = route(dflt, &mut o.errors);
        if let Some(Some(r)) = dflt
            .as_mut()
            .filter(|r| r.as_ref().is_some_and(|r| r.as_path_truncated))
        {
            match bird_path_len(s, &d, r.as_path_len.unwrap_or(0), want_len).await {
                Ok(len) => r.as_path_len = Some(len),
                Err(e) => {
                    o.errors.push(format!("bird control socket: {e}"));
                    r.as_path_len = None;
                }
            }
        }
        let stub_r = s.run(&format!("show route {stub} all")).await;
        let stub_r = route(stub_r, &mut o.errors);
        let mut fo = FamilyObs::new(*f);
        fo.default_route = dflt.as_ref().map(|r| r.as_ref().map(obs));
        fo.stub_route = stub_r.as_ref().map(|r| r.as_ref().map(obs));
        fo.default_bgp = dflt.map(|r| {
            r.filter(|r| r.kind == "bgp")
                .and_then(|r| Some((r.as_path_len?, r.since)))
        });
        o.fams.push(fo);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    /// A control socket that answers `where bgp_path.len = N` / `>= N` like BIRD would for a
    /// best default route whose AS path has `len` ASNs, and counts the queries.
    async fn fake_bird(len: u32) -> (PathBuf, tokio::task::JoinHandle<usize>) {
        let dir = std::env::temp_dir().join(format!("nsbgp-fake-bird-{}-{len}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bird.ctl");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let task = tokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let (r, mut w) = s.into_split();
            w.write_all(b"0001 BIRD 2.0.12 ready.\n").await.unwrap();
            let mut lines = BufReader::new(r).lines();
            let mut queries = 0;
            while let Ok(Some(cmd)) = lines.next_line().await {
                queries += 1;
                let (op, n) = cmd
                    .rsplit_once(' ')
                    .map(|(a, n)| (a, n.parse::<u32>().unwrap()))
                    .unwrap();
                let holds = if op.ends_with(">=") { len >= n } else { len == n };
                let reply = if holds {
                    "1007-Table master4:\n 0.0.0.0/0            unicast [bgp149 1795682615.725] * (100) [AS100i]\n \tvia 172.31.2.90 on ROUTER_149\n0000 \n"
                } else {
                    "0000 \n"
                };
                w.write_all(reply.as_bytes()).await.unwrap();
            }
            queries
        });
        (path, task)
    }

    #[tokio::test]
    async fn cut_as_paths_are_measured_by_filter_queries() {
        // The expected length holds: one query.
        let (path, task) = fake_bird(150).await;
        let mut s = crate::bird::ctl::Session::new(path.clone());
        assert_eq!(bird_path_len(&mut s, "0.0.0.0/0", 120, Some(150)).await.unwrap(), 150);
        drop(s);
        assert_eq!(task.await.unwrap(), 1);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
        // It does not: bisection from the ASNs shown, a bounded number of queries.
        let (path, task) = fake_bird(733).await;
        let mut s = crate::bird::ctl::Session::new(path.clone());
        assert_eq!(bird_path_len(&mut s, "0.0.0.0/0", 120, Some(999)).await.unwrap(), 733);
        drop(s);
        assert!(task.await.unwrap() <= 16);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
