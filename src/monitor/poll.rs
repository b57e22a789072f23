//! Polling a running lab through its vtys (FRR) and control sockets (BIRD): one session per
//! daemon, kept across polls (and re-opened when a daemon restarts), routers asked
//! concurrently with a bound.

use super::rule::{self, Expected, Observation, Proc};
use super::timeline::Timeline;
use crate::config::{Daemon, Family, Lab};
use crate::lab::{self, LabError, Running};
use crate::launch::{pid_file, read_pid};
use crate::suite::Observer;
use futures::StreamExt;
use std::path::PathBuf;

/// Routers asked at once: enough to hide vty round trips, few enough not to starve the
/// daemons of a 2-core machine.
const CONCURRENCY: usize = 128;
/// How long one router may take to answer a poll. A daemon busy with a route storm answers
/// its vty only between BGP work; rather than wait for it, the poll reports it busy, so
/// `status` on a large, loaded lab stays bounded.
const ROUTER_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

pub struct Poller {
    pub lab: Lab,
    pub dir: PathBuf,
    pub started_unix_ms: u64,
    pub expected: Vec<Expected>,
    pub timeline: Timeline,
    sessions: Vec<Box<dyn Observer>>,
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
        // Each suite opens its routers' observers together (FRR connects its vtys up front).
        let mut slots: Vec<Option<Box<dyn Observer>>> = (0..lab.routers.len()).map(|_| None).collect();
        for suite in crate::suites::used_by(&lab) {
            let routers: Vec<usize> = (0..lab.routers.len())
                .filter(|&i| lab.routers[i].suite == suite.suite())
                .collect();
            let observers = suite.observers(&lab, &run.dir, &routers, &password).await;
            for (i, o) in routers.into_iter().zip(observers) {
                slots[i] = Some(o);
            }
        }
        let sessions = slots
            .into_iter()
            .map(|o| o.expect("every router's suite opened its observer"))
            .collect();
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
                    let observed =
                        tokio::time::timeout(ROUTER_DEADLINE, rs.observe(procs.clone(), stub, want_len)).await;
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
