//! Convergence monitoring: polls every router's daemons through the vty (`poll`), judges
//! each router against the address plan (`rule`), keeps the convergence timeline
//! (`timeline`) and shows it (`view`). Used by `status` and `up --wait`.

pub mod origins;
pub mod poll;
pub mod rule;
pub mod timeline;
pub mod view;

use crate::config::{Daemon, Family};
use crate::lab::{self, LabError};
use poll::{Poll, Poller};
use serde::Serialize;
use std::io::IsTerminal;
use std::time::Duration;

/// How long every router must stay converged before `up --wait` calls the lab converged:
/// long enough to see a session flap or a late withdrawal, short against a chain's settle.
pub const SETTLE: Duration = Duration::from_secs(1);
/// Poll interval of `up --wait`: the resolution of the timeline it records.
pub const WAIT_INTERVAL: Duration = Duration::from_millis(250);
/// Longest pause between two polls of `up --wait`, however slow the last poll was.
pub const MAX_PAUSE: Duration = Duration::from_secs(5);

/// `status --json`: one object per lab. Field names are a contract (see README).
#[derive(Debug, Serialize)]
pub struct LabStatus {
    pub lab: String,
    pub routers_total: usize,
    pub converged: bool,
    pub converged_routers: usize,
    pub converged_after_s: Option<f64>,
    pub slowest_router: Option<String>,
    pub started_unix_ms: u64,
    pub polled_unix_ms: u64,
    pub poll_ms: u64,
    pub routers: Vec<RouterStatus>,
}

#[derive(Debug, Serialize)]
pub struct RouterStatus {
    pub name: String,
    pub index: usize,
    /// The router originates the default route (`[topology] origin`).
    pub origin: bool,
    pub asn: u32,
    pub netns: String,
    /// `frr` or `bird`.
    pub suite: crate::config::Suite,
    /// The router's daemons, whatever the suite.
    pub daemons: Vec<DaemonStatus>,
    /// FRR's fields: null on BIRD routers.
    pub bgpd_pid: Option<u32>,
    pub zebra_pid: Option<u32>,
    pub bgpd_alive: Option<bool>,
    pub zebra_alive: Option<bool>,
    pub neighbors: usize,
    pub established: usize,
    pub prefixes_received: u32,
    pub bgp_routes: Option<u32>,
    pub bgp_routes_expected: u32,
    /// The IPv4 default (false and null in IPv6-only labs).
    pub has_default: bool,
    pub default_as_path_len: Option<u32>,
    pub default_nexthop: Option<String>,
    /// The IPv6 default (both null in IPv4 labs).
    pub has_default_v6: Option<bool>,
    pub default_v6_as_path_len: Option<u32>,
    pub rss_kb: u64,
    pub cpu_s: f64,
    pub converged: bool,
    pub converged_after_s: Option<f64>,
    pub sessions_up_after_s: Option<f64>,
    pub default_after_s: Option<f64>,
    /// Why the router has not converged (empty when it has).
    pub problems: Vec<String>,
    /// Internet labs: the ASes whose prefixes it reaches, against the policy's prediction
    /// (null in other labs).
    pub origins: Option<origins::Origins>,
}

#[derive(Debug, Serialize)]
pub struct DaemonStatus {
    pub name: String,
    pub pid: Option<u32>,
    pub alive: bool,
}

impl RouterStatus {
    /// Every daemon of the router runs.
    pub fn all_alive(&self) -> bool {
        self.daemons.iter().all(|d| d.alive)
    }
}

/// `status --json` of the poll `poll` made by `p`, polled now.
pub fn lab_status(p: &Poller, poll: &Poll) -> LabStatus {
    status_of(
        &p.lab,
        &p.expected,
        &p.timeline,
        p.started_unix_ms,
        poll,
        lab::now_unix_ms(),
    )
}

/// [`lab_status`] as a pure function of the lab, what it should look like, the timeline so
/// far and one poll.
pub fn status_of(
    lab: &crate::config::Lab,
    expected: &[rule::Expected],
    timeline: &timeline::Timeline,
    started_unix_ms: u64,
    poll: &Poll,
    polled_unix_ms: u64,
) -> LabStatus {
    let routers: Vec<RouterStatus> = lab
        .routers
        .iter()
        .zip(&poll.obs)
        .zip(expected)
        .enumerate()
        .map(|(i, ((r, o), e))| {
            let t = &timeline.routers[i];
            let converged = poll.converged(i);
            RouterStatus {
                name: r.name.clone(),
                index: i,
                // An internet lab has no default: every AS originates its own prefix.
                origin: i == lab.origin() && !lab.internet(),
                asn: r.asn,
                netns: r.name.clone(),
                suite: r.suite,
                daemons: o
                    .daemons
                    .iter()
                    .map(|(d, p)| DaemonStatus {
                        name: d.name().to_string(),
                        pid: p.pid,
                        alive: p.alive,
                    })
                    .collect(),
                bgpd_pid: o.proc(Daemon::Bgpd).and_then(|p| p.pid),
                zebra_pid: o.proc(Daemon::Zebra).and_then(|p| p.pid),
                bgpd_alive: o.proc(Daemon::Bgpd).map(|p| p.alive),
                zebra_alive: o.proc(Daemon::Zebra).map(|p| p.alive),
                neighbors: e.peers.len(),
                established: o.established(),
                prefixes_received: o.prefixes_received(),
                bgp_routes: o.bgp_fib_routes,
                bgp_routes_expected: e.bgp_routes,
                has_default: o.has_default_in(Family::Ipv4),
                default_as_path_len: o.default_path_len_in(Family::Ipv4),
                default_nexthop: match o.fam(Family::Ipv4).and_then(|f| f.default_route.as_ref()) {
                    Some(Some(r)) => r.nexthop.map(|a| a.to_string()),
                    _ => None,
                },
                has_default_v6: lab.family.has(Family::Ipv6).then(|| o.has_default_in(Family::Ipv6)),
                default_v6_as_path_len: o.default_path_len_in(Family::Ipv6),
                rss_kb: o.daemons.iter().map(|(_, p)| p.rss_kb).sum(),
                cpu_s: o.daemons.iter().map(|(_, p)| p.cpu_ms).sum::<u64>() as f64 / 1000.0,
                converged,
                converged_after_s: t.converged_after_s.filter(|_| converged),
                sessions_up_after_s: t.sessions_up_after_s,
                default_after_s: t.default_after_s,
                problems: poll.problems[i].clone(),
                origins: None,
            }
        })
        .collect();
    let all = poll.all_converged();
    LabStatus {
        lab: lab.name.to_string(),
        routers_total: routers.len(),
        converged: all,
        converged_routers: poll.converged_count(),
        converged_after_s: timeline.converged_after_s.filter(|_| all),
        slowest_router: timeline.slowest().map(|(n, _)| n.to_string()).filter(|_| all),
        started_unix_ms,
        polled_unix_ms,
        poll_ms: poll.took_ms,
        routers,
    }
}

/// `up --wait`: polls until every router has converged and stayed so for `SETTLE`, showing
/// progress on a terminal. On timeout, the error lists who is not converged and why.
pub async fn wait_converged(lab_name: &crate::config::LabName, timeout: Option<f64>) -> Result<LabStatus, LabError> {
    wait_converged_on(&lab::open(lab_name)?, timeout).await
}

/// [`wait_converged`] on a lab the caller holds (`up --wait`: the lab it just built).
pub async fn wait_converged_on(run: &lab::Running, timeout: Option<f64>) -> Result<LabStatus, LabError> {
    let n = run.lab.routers.len();
    // A chain needs roughly 50-60 ms per hop once all sessions are up; leave ample room.
    // Links count too: a clique's routers each process every other router's links.
    let timeout = Duration::from_secs_f64(timeout.unwrap_or(60.0 + 0.3 * run.lab.size() as f64));
    let deadline = tokio::time::Instant::now() + timeout;
    let bar = std::io::stdout().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(n as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} converged · {msg}",
            )
            .expect("valid template"),
        );
        b.enable_steady_tick(Duration::from_millis(120));
        b
    });
    let mut poller = Poller::open(run).await?;
    let mut steady_since: Option<tokio::time::Instant> = None;
    loop {
        let poll = poller.poll().await;
        let now = tokio::time::Instant::now();
        if let Some(b) = &bar {
            let alive = poll.obs.iter().filter(|o| o.all_alive()).count();
            let sessions = poll
                .obs
                .iter()
                .zip(&poller.expected)
                .filter(|(o, e)| o.established() == e.peers.len())
                .count();
            b.set_position(poll.converged_count() as u64);
            b.set_message(format!("routers running {alive}/{n}, sessions up {sessions}/{n}"));
        }
        if poll.all_converged() {
            let since = *steady_since.get_or_insert(now);
            if now.duration_since(since) >= SETTLE {
                if let Some(b) = &bar {
                    b.finish_and_clear();
                }
                return Ok(lab_status(&poller, &poll));
            }
        } else {
            steady_since = None;
        }
        // A lab that converged just before the deadline gets its settle time: failing it with
        // "N/N routers converged" (seen at 1000 routers, where one poll takes over a second)
        // would be wrong.
        let settling = poll.all_converged() && now < deadline + SETTLE + 2 * Duration::from_millis(poll.took_ms);
        if now >= deadline && !settling {
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            let st = lab_status(&poller, &poll);
            return Err(LabError::Runtime(view::not_converged_report(
                &st,
                timeout.as_secs_f64(),
            )));
        }
        // Polling must not starve the daemons it waits for: on a big, busy lab a poll takes
        // long, so wait at least as long again before the next one.
        // Capped: on a 1000-router lab at load ~1000, nsbgp's own share of the CPU made one
        // poll take 2 minutes, and `up --wait` then slept 2 minutes more after convergence.
        let pause = WAIT_INTERVAL.max(Duration::from_millis(poll.took_ms)).min(MAX_PAUSE);
        let wake = if now < deadline {
            (now + pause).min(deadline)
        } else {
            now + pause
        };
        tokio::time::sleep_until(wake).await;
    }
}

#[cfg(test)]
mod tests;
