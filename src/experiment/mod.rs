//! Route-propagation experiments: run steps against a lab (announce, withdraw, link down/up,
//! kill/restart a daemon, wait), time when the measured prefix arrives at or leaves every
//! router's FIB (kernel events, not vty polling), repeat, and write events, a summary and a
//! plot. Between runs the lab is put back as it was.

pub mod model;
pub mod output;
pub mod spec;
pub mod stats;
pub mod took;
pub mod watch;

use crate::config::{Daemon, Family, Lab, Overrides, Suite};
use crate::lab::{self, LabError, Running};
use ipnet::{IpNet, Ipv4Net};
use model::World;
use output::Event;
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags};
use spec::{Measure, Spec, Step};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use watch::NextHop;

fn rt(e: impl std::fmt::Display) -> LabError {
    LabError::Runtime(e.to_string())
}

pub struct Options {
    pub lab: Option<crate::config::LabName>,
    pub repeat: Option<usize>,
    pub out: Option<PathBuf>,
}

/// What `run_file` produced.
pub struct Outcome {
    pub dir: PathBuf,
    pub summary: output::Summary,
    /// Expected routers without an event in some runs, and those runs: the command fails.
    pub missing: Vec<(String, Vec<usize>)>,
}

/// Loads, checks and runs an experiment file (bringing its lab up and down if it names one).
pub async fn run_file(file: &Path, opts: Options) -> Result<Outcome, LabError> {
    let spec = spec::load(file).map_err(|e| LabError::Input(e.to_string()))?;
    let repeat = match opts.repeat {
        Some(0) => return Err(LabError::Input("--repeat 0: give at least 1 run".into())),
        Some(r) => r,
        None => spec.repeat,
    };
    let out = opts.out.clone().unwrap_or_else(|| {
        PathBuf::from("results").join(format!(
            "{}-{}",
            spec.name,
            output::timestamp(lab::now_unix_ms() / 1000)
        ))
    });
    if out.exists() {
        return Err(LabError::Input(format!(
            "{} already exists: nsbgp never overwrites results; choose another --out",
            out.display()
        )));
    }
    match spec.lab.clone() {
        Some(lab_file) => {
            let lab = crate::config::load(
                &lab_file,
                &Overrides {
                    routers: None,
                    name: opts.lab.clone(),
                },
            )
            .map_err(|e| LabError::Input(format!("{} (named by {}): {e}", lab_file.display(), spec.file)))?;
            let resolved = spec::resolve(&spec, &lab).map_err(|e| LabError::Input(e.to_string()))?;
            kernel_can_impair(&resolved)?;
            lab::up::memory_check(&lab)?;
            // Handlers first: SIGINT, SIGTERM and SIGHUP end the experiment and take its lab
            // down, wherever they arrive (`up` rolls back by itself).
            let shutdown = lab::up::Shutdown::install();
            lab::up::up(&lab, &lab::new_password()).await?;
            let result = tokio::select! {
                r = async {
                    crate::monitor::wait_converged(&lab.name, None).await?;
                    let run = lab::open(&lab.name)?;
                    execute(&run, &resolved, repeat, &out, &mut Changes::default()).await
                } => r,
                _ = shutdown.wait() => Err(LabError::Runtime(format!("interrupted; taking lab {} down", lab.name))),
            };
            match lab::down::teardown(&lab.name, lab::down::Options { dry_run: false }).await {
                Ok(rep) => {
                    for e in &rep.errors {
                        eprintln!("nsbgp: taking lab {} down: {e}", lab.name);
                    }
                }
                Err(e) => eprintln!("nsbgp: taking lab {} down: {e}", lab.name),
            }
            result
        }
        None => {
            let run = lab::select(opts.lab.as_ref())?;
            let resolved = spec::resolve(&spec, &run.lab).map_err(|e| LabError::Input(e.to_string()))?;
            kernel_can_impair(&resolved)?;
            // On a signal the runs stop and the running lab is put back as they found it.
            let shutdown = lab::up::Shutdown::install();
            let mut changes = Changes::default();
            let result = tokio::select! {
                r = execute(&run, &resolved, repeat, &out, &mut changes) => Some(r),
                _ = shutdown.wait() => None,
            };
            match result {
                Some(r) => r,
                None => {
                    let mut ctx = Ctx {
                        run: &run,
                        password: run.password()?,
                        handles: BTreeMap::new(),
                        _conns: Vec::new(),
                    };
                    let put_back = match ctx.restore(&mut changes).await {
                        Ok(_) => "the lab was put back".to_string(),
                        Err(e) => format!("putting the lab back failed: {e}; check it with `nsbgp status`"),
                    };
                    Err(LabError::Runtime(format!("interrupted; {put_back}")))
                }
            }
        }
    }
}

/// The lab's state as the experiment changed it, so it can be put back.
#[derive(Default)]
struct Changes {
    announced: BTreeSet<(usize, IpNet)>,
    links_down: BTreeSet<(usize, usize)>,
    stopped: BTreeSet<(usize, Daemon)>,
    /// Links an `impair` step changed (1-based link index), with their current setting.
    impaired: BTreeMap<usize, crate::config::impair::Impairment>,
    /// Routers leaking a prefix (`leak` steps).
    leaks: BTreeSet<(usize, Ipv4Net)>,
}

struct Ctx<'a> {
    run: &'a Running,
    password: String,
    handles: BTreeMap<usize, rtnetlink::Handle>,
    _conns: Vec<tokio::task::JoinHandle<()>>,
}

impl Ctx<'_> {
    fn lab(&self) -> &Lab {
        &self.run.lab
    }

    async fn handle(&mut self, r: usize) -> Result<rtnetlink::Handle, LabError> {
        if let Some(h) = self.handles.get(&r) {
            return Ok(h.clone());
        }
        let name = self.lab().routers[r].name.clone();
        let fd = crate::netns::open_named(&name)?;
        let tokio_rt = tokio::runtime::Handle::current();
        let (conn, handle, _) = crate::netns::run_in(&fd, move || {
            let _g = tokio_rt.enter();
            rtnetlink::new_connection()
        })
        .map_err(rt)?
        .map_err(rt)?;
        self._conns.push(tokio::spawn(conn));
        self.handles.insert(r, handle.clone());
        Ok(handle)
    }

    /// Router `router` as its suite addresses it.
    fn target(&self, router: usize) -> crate::suite::Target<'_> {
        crate::suite::Target {
            lab: &self.run.lab,
            index: router,
            dirs: self.run.dirs(router),
            password: &self.password,
        }
    }

    /// Makes `prefix` (on the router's `lo` already, or about to leave it) announced or not,
    /// as the router's suite does it.
    async fn suite_announce(&mut self, router: usize, prefix: IpNet, on: bool) -> Result<(), LabError> {
        let target = self.target(router);
        crate::suites::of(self.lab().routers[router].suite)
            .announce(&target, prefix, on)
            .await
            .map_err(LabError::from)
    }

    /// Makes router `router` leak `prefix` (or stop), as its suite does it.
    async fn suite_leak(&mut self, router: usize, prefix: Ipv4Net, on: bool) -> Result<(), LabError> {
        let target = self.target(router);
        crate::suites::of(self.lab().routers[router].suite)
            .leak(&target, prefix, on)
            .await
            .map_err(LabError::from)
    }

    async fn perform(&mut self, step: &Step<usize>, ch: &mut Changes) -> Result<(), LabError> {
        match *step {
            Step::Leak { router, victim } => {
                let prefix = self.lab().policy.prefixes[victim];
                ch.leaks.insert((router, prefix));
                self.suite_leak(router, prefix, true).await?;
            }
            // A hijack is an announcement of the victim's prefix (or its half) by the hijacker.
            Step::Announce { .. } | Step::Hijack { .. } => {
                let Some((router, prefix)) = announcement(self.lab(), step) else {
                    return Ok(());
                };
                let h = self.handle(router).await?;
                let host = announce_host(prefix);
                let mut add = h.address().add(1, host, prefix.prefix_len());
                if host.is_ipv6() {
                    // IPv6 would put the prefix in the main table too (IPv4 on `lo` only in
                    // the local table): with noprefixroute the origin's FIB stays as in IPv4,
                    // and both suites still announce the address's prefix.
                    add.message_mut()
                        .attributes
                        .push(AddressAttribute::Flags(AddressFlags::Noprefixroute));
                }
                match add.execute().await {
                    Ok(()) => {}
                    Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -libc::EEXIST => {}
                    Err(e) => return Err(rt(format!("adding {host}/{} to lo: {e}", prefix.prefix_len()))),
                }
                self.suite_announce(router, prefix, true).await?;
                ch.announced.insert((router, prefix));
            }
            Step::Withdraw { router, prefix } => {
                self.suite_announce(router, prefix, false).await?;
                let h = self.handle(router).await?;
                let msg = match announce_host(prefix) {
                    IpAddr::V4(host) => rtnetlink::AddressMessageBuilder::<Ipv4Addr>::new()
                        .index(1)
                        .address(host, prefix.prefix_len())
                        .build(),
                    IpAddr::V6(host) => rtnetlink::AddressMessageBuilder::<Ipv6Addr>::new()
                        .index(1)
                        .address(host, prefix.prefix_len())
                        .build(),
                };
                // Absent already is fine: the point is that it is gone.
                let _ = h.address().del(msg).execute().await;
                ch.announced.remove(&(router, prefix));
            }
            Step::LinkDown { a, b } | Step::LinkUp { a, b } => {
                let up = matches!(step, Step::LinkUp { .. });
                let ifindex = self
                    .lab()
                    .interface_to(a, b)
                    .map(|i| i.ifindex)
                    .ok_or_else(|| rt(format!("{} and {} are not joined by a link", a, b)))?;
                let h = self.handle(a).await?;
                let msg = rtnetlink::LinkUnspec::new_with_index(ifindex);
                let msg = if up { msg.up() } else { msg.down() };
                h.link().set(msg.build()).execute().await.map_err(rt)?;
                let key = (a.min(b), a.max(b));
                if up {
                    ch.links_down.remove(&key);
                } else {
                    ch.links_down.insert(key);
                }
            }
            Step::Kill { router, daemon } => {
                crate::launch::stop(&self.run.dirs(router), daemon, nix::sys::signal::Signal::SIGKILL).await;
                ch.stopped.insert((router, daemon));
            }
            Step::Restart { router, daemon } => {
                crate::launch::stop(&self.run.dirs(router), daemon, nix::sys::signal::Signal::SIGTERM).await;
                lab::up::restart_daemon(self.run, router, daemon).await?;
                ch.stopped.remove(&(router, daemon));
            }
            Step::Impair { a, b, ref keys } => {
                let link = self
                    .lab()
                    .graph
                    .link_between(a, b)
                    .ok_or_else(|| rt(format!("{a} and {b} are not joined by a link")))?
                    + 1;
                let now = ch
                    .impaired
                    .get(&link)
                    .copied()
                    .unwrap_or_else(|| spec::configured(self.lab(), link));
                let next = now
                    .with("", keys)
                    .map_err(|e| rt(format!("{}: {}", e.key, e.problem)))?;
                self.set_impairment(link, next).await?;
                ch.impaired.insert(link, next);
            }
            Step::WaitSeconds(_) | Step::WaitConverged => {}
        }
        Ok(())
    }

    /// Sets link `link`'s impairment on both its ends (`crate::impair`).
    async fn set_impairment(&mut self, link: usize, imp: crate::config::impair::Impairment) -> Result<(), LabError> {
        let lab = self.lab().clone();
        tokio::task::spawn_blocking(move || {
            let fd_of = |r: usize| {
                crate::netns::open_named(&lab.routers[r].name)
                    .map(std::sync::Arc::new)
                    .map_err(|e| e.to_string())
            };
            crate::impair::apply_link(&lab, link, &imp, &fd_of)
        })
        .await
        .map_err(rt)?
        .map_err(|e| rt(format!("impair: {e}")))
    }

    /// Puts the lab back: impairments as configured, withdraw announcements, links up,
    /// daemons restarted (zebra first).
    async fn restore(&mut self, ch: &mut Changes) -> Result<bool, LabError> {
        for (link, _) in std::mem::take(&mut ch.impaired) {
            let configured = spec::configured(self.lab(), link);
            self.set_impairment(link, configured).await?;
        }
        // FRR's leak with roles on resets the leaker's sessions (frr/suite.rs): wait for them.
        let structural = !ch.links_down.is_empty() || !ch.stopped.is_empty() || !ch.leaks.is_empty();
        for (r, p) in std::mem::take(&mut ch.leaks) {
            self.suite_leak(r, p, false).await?;
        }
        for (r, p) in ch.announced.clone() {
            self.perform(&Step::Withdraw { router: r, prefix: p }, ch).await?;
        }
        for (a, b) in ch.links_down.clone() {
            // Both ends: a link_down acted on one end; bring that one up.
            self.perform(&Step::LinkUp { a, b }, ch).await?;
            self.perform(&Step::LinkUp { a: b, b: a }, ch).await?;
        }
        let mut stopped: Vec<(usize, Daemon)> = ch.stopped.iter().copied().collect();
        // In each router's start order (zebra before bgpd).
        stopped.sort_by_key(|&(r, d)| (r, self.lab().daemons_of(r).iter().position(|&x| x == d)));
        for (r, d) in stopped {
            self.perform(&Step::Restart { router: r, daemon: d }, ch).await?;
        }
        Ok(structural)
    }
}

/// The router and prefix a step puts on the router's `lo` and announces: an announce, or a
/// hijack (the victim's prefix or its half).
fn announcement(lab: &Lab, step: &Step<usize>) -> Option<(usize, IpNet)> {
    match *step {
        Step::Announce { router, prefix } => Some((router, prefix)),
        Step::Hijack {
            router,
            victim,
            more_specific,
        } => Some((router, spec::hijack_prefix(lab, victim, more_specific))),
        _ => None,
    }
}

/// Refuses (exit 2, before any step runs) an `impair` step this kernel cannot build.
fn kernel_can_impair(spec: &Spec<usize>) -> Result<(), LabError> {
    for (i, step) in spec.steps.iter().enumerate() {
        if let Step::Impair { keys, .. } = step {
            let asked = crate::config::impair::Impairment {
                delay_ms: keys.delay_ms.unwrap_or(0).max(0) as u32,
                jitter_ms: keys.jitter_ms.unwrap_or(0).max(0) as u32,
                loss_pct: keys.loss_pct.unwrap_or(0.0),
                rate_mbit: keys.rate_mbit.unwrap_or(0.0),
            };
            if let Some(why) = crate::impair::support().refusal(&asked) {
                return Err(LabError::Input(format!("{}: step {}: impair: {why}", spec.file, i + 1)));
            }
        }
    }
    Ok(())
}

/// What the FIBs of the lab show for the measured prefix, as the route events tell it.
struct Fib {
    present: Vec<bool>,
    gateway: Vec<Option<NextHop>>,
    /// Since the current action: the router has installed the prefix via a neighbour on a
    /// new shortest path (only tracked for the routers that must re-learn it).
    rerouted: Vec<bool>,
}

/// Routers that keep the prefix through a step but must re-learn it another way (their
/// distance to the origin changes, e.g. the far side of a ring after a link failure), with
/// the next hops (neighbours on a new shortest path: address in the measured family and the
/// interface towards it) they may end up with.
type Movers = Vec<(usize, Vec<(IpAddr, u32)>)>;

/// Whether `hop` is one of the accepted next hops `via`.
fn via_one_of(hop: Option<NextHop>, via: &[(IpAddr, u32)]) -> bool {
    hop.is_some_and(|h| via.iter().any(|&(a, i)| h.is(a, i)))
}

/// What each step of the experiment should do, worked out on the graph before it runs.
struct StepPlan {
    /// Each router's hop from the step's point of change.
    hops: Vec<usize>,
    movers: Movers,
    /// Presence after the step (None: the model cannot predict it).
    want: Option<Vec<bool>>,
}

fn plan_steps(lab: &Lab, base: &World, steps: &[Step<usize>], measured: IpNet) -> Vec<StepPlan> {
    let n = lab.routers.len();
    let mut world = base.clone();
    let mut movers: Movers = Vec::new();
    steps
        .iter()
        .map(|step| {
            let mut hops = vec![0; n];
            if step.is_action() {
                let before = world.clone();
                hops = before.hops(step);
                world.apply(step, measured);
                movers = moved(lab, &before, &world, Family::of_net(measured));
                // A reroute happens along the router's new path: its hop is its distance on
                // that path, not from the change (on a ring the router next to a failed link
                // re-learns the prefix last, from the far side).
                for (k, _) in &movers {
                    if let Some(h) = path_hop(&world, step, *k) {
                        hops[*k] = h;
                    }
                }
            }
            StepPlan {
                hops,
                movers: movers.clone(),
                want: world.predictable.then(|| world.presence()),
            }
        })
        .collect()
}

/// A rerouting router's hop after `step`: its position on its new path counted from the
/// step's router when the path passes it (a hijacker, a leaker: where the new route comes
/// from), else its distance to the origin along the new path.
pub(crate) fn path_hop(after: &World, step: &Step<usize>, k: usize) -> Option<usize> {
    let from = match *step {
        Step::Hijack { router, .. } | Step::Leak { router, .. } => Some(router),
        _ => None,
    };
    if let (Some(r), Some(path)) = (from, after.path(k)) {
        if let Some(i) = path.iter().position(|&x| x == r) {
            return Some(i);
        }
    }
    after.distances()[k].map(|d| d as usize)
}

/// Routers that have the prefix before and after but at another distance (under a routing
/// policy: through another neighbour, whatever the distance), with the addresses of their accepted next hops
/// afterwards. A router that keeps the prefix with no path left (a killed bird: the kernel
/// keeps its routes) has nothing to re-learn.
fn moved(lab: &Lab, before: &World, after: &World, family: Family) -> Movers {
    if !before.predictable || !after.predictable {
        return Vec::new();
    }
    let (db, da) = (before.distances(), after.distances());
    let (pb, pa) = (before.presence(), after.presence());
    let policy = lab.internet();
    (0..lab.routers.len())
        .filter(|&k| {
            pb[k]
                && pa[k]
                && da[k].is_some()
                // Under a policy the next hop is known: only a new one changes the FIB (a
                // longer or shorter path through the same neighbour is replaced in place).
                && match policy {
                    true => before.next_hops(k) != after.next_hops(k),
                    false => db[k] != da[k],
                }
        })
        .map(|k| {
            let via = after
                .next_hops(k)
                .into_iter()
                .filter_map(|p| {
                    let i = lab.interface_to(k, p)?;
                    Some((i.addr(family)?.peer_addr, i.ifindex))
                })
                .collect();
            (k, via)
        })
        .collect()
}

/// Applies one route event to `fib`, recording it if it changes a router's state against the
/// current action: an `arrival`, a `departure`, or a `reroute` (still there, another next hop).
fn record(ev: watch::RouteEvent, fib: &mut Fib, events: &mut Vec<Event>, lab: &Lab, ctx: Option<Cur>) {
    let k = ev.router;
    let (was, old_gw) = (fib.present[k], fib.gateway[k]);
    fib.present[k] = ev.present;
    fib.gateway[k] = if ev.present { ev.gateway } else { None };
    if let Some(c) = &ctx {
        if ev.present && c.movers.iter().any(|(m, via)| *m == k && via_one_of(ev.gateway, via)) {
            fib.rerouted[k] = true;
        }
    }
    let kind = match (was, ev.present) {
        (false, true) => "arrival",
        (true, false) => "departure",
        (true, true) if old_gw != ev.gateway => "reroute",
        _ => return, // a route replaced in place, nothing changed
    };
    // Events stamped before the action (queued while the lab was put back) are not its effect.
    if let Some(c) = ctx.filter(|c| ev.at >= c.t0) {
        events.push(Event {
            run: c.run,
            router: lab.routers[k].name.clone(),
            index: k,
            hop: c.hops[k],
            event: kind,
            t_ms: ev.at.saturating_duration_since(c.t0).as_secs_f64() * 1000.0,
            step: c.step,
        });
    }
}

/// The action events are timed against.
#[derive(Clone, Copy)]
struct Cur<'a> {
    run: usize,
    step: usize,
    t0: Instant,
    hops: &'a [usize],
    movers: &'a Movers,
}

/// Waits (bounded) until the FIB presence matches `want` and every mover has re-learned the
/// prefix via a new shortest path, or, with `want = None`, until no route event came for
/// `QUIET`.
async fn settle(
    w: &mut watch::Watcher,
    fib: &mut Fib,
    events: &mut Vec<Event>,
    lab: &Lab,
    ctx: Option<Cur<'_>>,
    want: Option<&[bool]>,
    limit: Duration,
) -> bool {
    const QUIET: Duration = Duration::from_secs(2);
    let deadline = tokio::time::Instant::now() + limit;
    let movers: &[(usize, Vec<(IpAddr, u32)>)] = ctx.map_or(&[], |c| c.movers.as_slice());
    let done = |fib: &Fib, want: &[bool]| fib.present == want && movers.iter().all(|(k, _)| fib.rerouted[*k]);
    loop {
        if let Some(want) = want {
            if done(fib, want) {
                return true;
            }
        }
        let wait_until = match want {
            Some(_) => deadline,
            None => (tokio::time::Instant::now() + QUIET).min(deadline),
        };
        match tokio::time::timeout_at(wait_until, w.rx.recv()).await {
            Ok(Some(ev)) => record(ev, fib, events, lab, ctx),
            Ok(None) => return false,
            Err(_) => {
                // Some removals reach no monitor (a device set down flushes its routes
                // silently): ask the kernels that disagree, fix the state, record nothing.
                if let Some(want) = want {
                    let differ: Vec<usize> = (0..fib.present.len()).filter(|&k| fib.present[k] != want[k]).collect();
                    for k in differ {
                        if let Ok(now) = w.present_now(k).await {
                            fib.present[k] = now;
                        }
                    }
                    for (k, via) in movers {
                        if let Ok(g) = w.gateway_now(*k).await {
                            fib.gateway[*k] = g;
                            fib.rerouted[*k] |= via_one_of(g, via);
                        }
                    }
                    return done(fib, want);
                }
                return tokio::time::Instant::now() < deadline;
            }
        }
    }
}

/// Waits (bounded) until every router's next hop for the prefix is `want`'s, recording the
/// events against no action; on a quiet second, asks the kernels that still differ.
async fn settle_gateways(
    w: &mut watch::Watcher,
    fib: &mut Fib,
    events: &mut Vec<Event>,
    lab: &Lab,
    want: &[Option<NextHop>],
    limit: Duration,
) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while fib.gateway != want {
        let quiet = (tokio::time::Instant::now() + Duration::from_secs(1)).min(deadline);
        match tokio::time::timeout_at(quiet, w.rx.recv()).await {
            Ok(Some(ev)) => record(ev, fib, events, lab, None),
            Ok(None) => return false,
            Err(_) => {
                let differ: Vec<usize> = (0..want.len()).filter(|&k| fib.gateway[k] != want[k]).collect();
                for k in differ {
                    if let Ok(g) = w.gateway_now(k).await {
                        fib.gateway[k] = g;
                    }
                }
                if tokio::time::Instant::now() >= deadline {
                    return fib.gateway == want;
                }
            }
        }
    }
    true
}

/// Waits (bounded by `limit`) until nsbgp's convergence rule holds again for every router:
/// the sessions and routes a step took down are back. `poller` is opened on first use.
async fn sessions_back(
    run: &Running,
    poller: &mut Option<crate::monitor::poll::Poller>,
    limit: Duration,
) -> Result<(), LabError> {
    if poller.is_none() {
        *poller = Some(crate::monitor::poll::Poller::open(run).await?);
    }
    let p = poller.as_mut().expect("opened");
    let deadline = Instant::now() + limit;
    while !p.poll().await.all_converged() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(())
}

/// `ch` collects what the runs change, so that whoever stops them early can put it back.
// `&mut ch` below predates `ch` being a reference; kept so the runs' loop reads as before.
#[allow(clippy::needless_borrow)]
async fn execute(
    run: &Running,
    spec: &Spec<usize>,
    repeat: usize,
    out: &Path,
    mut ch: &mut Changes,
) -> Result<Outcome, LabError> {
    let lab = &run.lab;
    let n = lab.routers.len();
    let names: Vec<String> = lab.routers.iter().map(|r| r.name.clone()).collect();
    let measured = spec.measure.net();
    let base = match spec.measure {
        // An internet lab's ASes announce their own prefixes only: nobody has a default.
        Measure::Default(_) if lab.internet() => World::of(lab, vec![], false),
        // (`resolve` leaves no Victim.)
        Measure::Default(_) | Measure::Victim => World::of(lab, vec![lab.origin()], false),
        // An announced prefix lives on the origin's `lo`: the kernel puts it in the local
        // table, so only the other routers' main tables show it arriving. So does an
        // internet lab's own prefix, there from the start.
        Measure::Prefix(p) => World::of(
            lab,
            lab.policy
                .prefixes
                .iter()
                .position(|&o| IpNet::V4(o) == p)
                .into_iter()
                .collect(),
            false,
        ),
    };
    let mut w = watch::watch(&names, measured).await.map_err(rt)?;
    let mut fib = Fib {
        present: w.initial.clone(),
        gateway: w.initial_gateway.clone(),
        rerouted: vec![false; n],
    };
    let baseline = base.presence();
    if let Some(k) = (0..n).find(|&k| fib.present[k] != baseline[k]) {
        return Err(LabError::Runtime(format!(
            "before the experiment {} is {} at {}, which a converged lab would not show; \
             wait for convergence (`nsbgp status`) or remove it, then run again",
            spec.measure,
            if fib.present[k] { "present" } else { "missing" },
            names[k]
        )));
    }
    let mut ctx = Ctx {
        run,
        password: run.password()?,
        handles: BTreeMap::new(),
        _conns: Vec::new(),
    };
    let plans = plan_steps(lab, &base, &spec.steps, measured);
    // Which routers the measured step should change, and how.
    let mut before = base.clone();
    for s in &spec.steps[..spec.measure_step] {
        before.apply(s, measured);
    }
    let mut after = before.clone();
    let mstep = &spec.steps[spec.measure_step];
    after.apply(mstep, measured);
    let mplan = &plans[spec.measure_step];
    let (pb, pa) = (before.presence(), after.presence());
    let mut expected: Vec<output::Expect> = (0..n)
        .filter_map(|k| {
            let kind = if pb[k] != pa[k] {
                if pa[k] {
                    "arrival"
                } else {
                    "departure"
                }
            } else if mplan.movers.iter().any(|(m, _)| *m == k) {
                "reroute"
            } else {
                return None;
            };
            Some(output::Expect {
                index: k,
                name: names[k].clone(),
                hop: mplan.hops[k],
                kind,
            })
        })
        .collect();
    let fallback = if matches!(
        mstep,
        Step::Announce { .. } | Step::LinkUp { .. } | Step::Restart { .. }
    ) {
        "arrival"
    } else if matches!(mstep, Step::Hijack { .. } | Step::Leak { .. }) {
        "reroute"
    } else {
        "departure"
    };

    // A hijack or a leak: who took what, read after the step settled (the last run's).
    // (Internet labs, where hijacks and leaks run, are IPv4.)
    let subject = match measured {
        IpNet::V4(m) => took::Subject::of(lab, mstep, m),
        IpNet::V6(_) => None,
    };
    let mut took_now: Option<Vec<model::Took>> = None;
    let mut events: Vec<Event> = Vec::new();
    let mut poller: Option<crate::monitor::poll::Poller> = None;
    for r in 0..repeat {
        let mut last: Option<(usize, Instant)> = None;
        let cur = |last: Option<(usize, Instant)>| {
            last.map(|(i, t0)| Cur {
                run: r,
                step: i,
                t0,
                hops: &plans[i].hops,
                movers: &plans[i].movers,
            })
        };
        for (si, step) in spec.steps.iter().enumerate() {
            match step {
                Step::WaitSeconds(s) => {
                    let end = tokio::time::Instant::now() + Duration::from_secs_f64(*s);
                    while let Ok(Some(ev)) = tokio::time::timeout_at(end, w.rx.recv()).await {
                        record(ev, &mut fib, &mut events, lab, cur(last));
                    }
                }
                Step::WaitConverged => {
                    let want = plans[si].want.as_deref();
                    settle(&mut w, &mut fib, &mut events, lab, cur(last), want, spec.timeout).await;
                }
                action => {
                    fib.rerouted = vec![false; n];
                    let t0 = Instant::now();
                    last = Some((si, t0));
                    ctx.perform(action, &mut ch).await?;
                    let want = plans[si].want.as_deref();
                    settle(&mut w, &mut fib, &mut events, lab, cur(last), want, spec.timeout).await;
                    if let (true, Some(s)) = (si == spec.measure_step, &subject) {
                        if s.leaker.is_some() {
                            // FRR's leak with roles resets the leaker's sessions: read once
                            // they are back, or the leaker (and what it leaks) is not there yet.
                            sessions_back(run, &mut poller, spec.timeout).await?;
                            // Whatever the sessions' return changed is this step's.
                            while let Ok(ev) = w.rx.try_recv() {
                                record(ev, &mut fib, &mut events, lab, cur(last));
                            }
                        }
                        took_now = Some(took::read_settled(run, &ctx.password, s, spec.timeout).await);
                    }
                }
            }
        }
        // Back to the initial state before the next run (and after the last one).
        let structural = ctx.restore(&mut ch).await?;
        let mut ok = settle(&mut w, &mut fib, &mut events, lab, None, Some(&baseline), spec.timeout).await;
        if ok && lab.internet() {
            // The prefix stays everywhere through a hijack or a leak: being back means every
            // router's next hop as before too (the policy's next hops are unique).
            let initial = w.initial_gateway.clone();
            ok = settle_gateways(&mut w, &mut fib, &mut events, lab, &initial, spec.timeout).await;
        }
        if structural {
            // Sessions must be back too, not just the measured prefix.
            sessions_back(run, &mut poller, spec.timeout).await?;
        }
        // Whatever the putting back changed meanwhile (routes returning to their shortest
        // paths) belongs to no action: take it in before the next run starts.
        while let Ok(ev) = w.rx.try_recv() {
            record(ev, &mut fib, &mut events, lab, None);
        }
        if !ok {
            return Err(LabError::Runtime(format!(
                "after run {} the lab did not return to its initial state within {:?}; inspect it with `nsbgp status`",
                r + 1,
                spec.timeout
            )));
        }
    }
    if !after.predictable || !before.predictable {
        // The model could not say who changes: take whoever did.
        let seen: BTreeSet<usize> = events
            .iter()
            .filter(|e| e.step == spec.measure_step)
            .map(|e| e.index)
            .collect();
        expected = seen
            .into_iter()
            .map(|k| output::Expect {
                index: k,
                name: names[k].clone(),
                hop: mplan.hops[k],
                kind: fallback,
            })
            .collect();
    }
    let mut kinds: Vec<&str> = Vec::new();
    for e in &expected {
        if !kinds.contains(&e.kind) {
            kinds.push(e.kind);
        }
    }
    let kind = if kinds.is_empty() {
        fallback.to_string()
    } else {
        kinds.join("+")
    };
    let mut per = output::per_router(&events, &expected, repeat, spec.measure_step);
    let (total, slope) = output::totals(&per);
    let mut pollution = (None, None, None);
    if let Some(s) = &subject {
        // Every router gets its `took`, also those whose FIB did not change.
        let predicted: Option<Vec<model::Took>> = after.took().map(|t| {
            t.into_iter()
                // Without the half, a router still has the victim's own prefix.
                .map(|x| match x {
                    model::Took::None if s.measured != s.own => model::Took::Victim,
                    x => x,
                })
                .collect()
        });
        let mut all = Vec::with_capacity(n);
        for k in 0..n {
            let mut r = per
                .iter()
                .find(|p| p.router == names[k])
                .cloned()
                .unwrap_or_else(|| output::RouterSummary {
                    router: names[k].clone(),
                    hop: mplan.hops[k],
                    median_ms: None,
                    p95_ms: None,
                    min_ms: None,
                    max_ms: None,
                    missing_runs: 0,
                    took: None,
                    predicted: None,
                });
            r.took = took_now.as_ref().map(|t| t[k].name());
            r.predicted = predicted.as_ref().map(|t| t[k].name());
            all.push(r);
        }
        let polluted = |t: Option<&str>| matches!(t, Some("hijacker" | "leak"));
        let times: Vec<f64> = all
            .iter()
            .enumerate()
            .filter(|(k, r)| s.counts(*k) && polluted(r.took))
            .filter_map(|(_, r)| r.median_ms)
            .collect();
        pollution = (
            took_now.as_ref().and_then(|t| took::polluted_fraction(s, t)),
            predicted.as_ref().and_then(|t| took::polluted_fraction(s, t)),
            stats::median(&times).map(|x| (x * 1000.0).round() / 1000.0),
        );
        per = all;
    }
    let summary = output::Summary {
        experiment: spec.name.clone(),
        lab: lab.name.to_string(),
        runs: repeat,
        frr_version: frr_version(lab),
        bird_version: lab.uses(Suite::Bird).then(|| {
            crate::suites::of(Suite::Bird)
                .version(lab)
                .unwrap_or_else(|| "unknown".into())
        }),
        kernel: nix::sys::utsname::uname()
            .map(|u| u.release().to_string_lossy().into_owned())
            .unwrap_or_default(),
        measure: spec.measure.to_string(),
        event: kind,
        measured_step: spec.measure_step + 1,
        per_router: per,
        total_median_ms: total,
        per_hop_median_ms: slope,
        polluted_fraction: pollution.0,
        predicted_polluted_fraction: pollution.1,
        time_to_pollute_ms: pollution.2,
    };
    write_results(out, spec, &events, &expected, &summary, repeat)?;
    Ok(Outcome {
        dir: out.to_path_buf(),
        summary,
        missing: output::missing(&events, &expected, repeat, spec.measure_step),
    })
}

fn frr_version(lab: &Lab) -> String {
    crate::suites::of(Suite::Frr)
        .version(lab)
        .unwrap_or_else(|| "unknown".into())
}

fn write_results(
    out: &Path,
    spec: &Spec<usize>,
    events: &[Event],
    expected: &[output::Expect],
    summary: &output::Summary,
    runs: usize,
) -> Result<(), LabError> {
    std::fs::create_dir_all(out.parent().unwrap_or(Path::new("."))).map_err(rt)?;
    // create_dir, not _all: never write into a directory someone else made meanwhile.
    std::fs::create_dir(out).map_err(|e| rt(format!("{}: {e}", out.display())))?;
    let write = |name: &str, data: &[u8]| {
        std::fs::write(out.join(name), data).map_err(|e| rt(format!("{}: {e}", out.join(name).display())))
    };
    write("events.csv", output::events_csv(events).as_bytes())?;
    write(
        "summary.json",
        &serde_json::to_vec_pretty(summary).expect("summary serializes"),
    )?;
    let per_run: Vec<Vec<(usize, f64)>> = (0..runs)
        .map(|r| {
            expected
                .iter()
                .filter_map(|x| Some((x.hop, output::time_of(events, r, spec.measure_step, x)?)))
                .collect()
        })
        .collect();
    let median: Vec<(usize, f64)> = summary
        .per_router
        .iter()
        .filter_map(|r| Some((r.hop, r.median_ms?)))
        .collect();
    let title = format!("{}: {} of {} ({} runs)", spec.name, summary.event, spec.measure, runs);
    write(
        "propagation.svg",
        output::svg(&title, &summary.event, &per_run, &median).as_bytes(),
    )?;
    Ok(())
}

/// Why the command fails although its results were written: expected routers that saw no
/// change in some runs (a router the model says must change did not), None when none.
pub fn missing_message(o: &Outcome) -> Option<String> {
    if o.missing.is_empty() {
        return None;
    }
    let runs = |v: &[usize]| v.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", ");
    let shown: Vec<String> = o
        .missing
        .iter()
        .take(10)
        .map(|(router, gone)| format!("{router} (run{} {})", if gone.len() > 1 { "s" } else { "" }, runs(gone)))
        .collect();
    let more = o.missing.len().saturating_sub(shown.len());
    Some(format!(
        "experiment {}: {} router(s) the model expects to see {} recorded none in some runs: {}{}; \
         the data is in {} (events.csv, summary.json: missing_runs); check the lab with `nsbgp status --lab {}`",
        o.summary.experiment,
        o.missing.len(),
        o.summary.event,
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        },
        o.dir.display(),
        o.summary.lab
    ))
}

/// The short table the command prints.
pub fn table(o: &Outcome) -> String {
    use std::fmt::Write;
    let s = &o.summary;
    let mut t = format!(
        "experiment {} on lab {}: {} of {}, {} run(s)\n{:<14} {:>4} {:>10} {:>10} {:>10} {:>10} {:>8}\n",
        s.experiment,
        s.lab,
        s.event,
        s.measure,
        s.runs,
        "ROUTER",
        "HOP",
        "MEDIAN_MS",
        "P95_MS",
        "MIN_MS",
        "MAX_MS",
        "MISSING"
    );
    let f = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.1}"));
    let n = s.per_router.len();
    for (i, r) in s.per_router.iter().enumerate() {
        if n > 40 && i % 10 != 0 && i + 1 != n {
            continue;
        }
        writeln!(
            t,
            "{:<14} {:>4} {:>10} {:>10} {:>10} {:>10} {:>8}",
            r.router,
            r.hop,
            f(r.median_ms),
            f(r.p95_ms),
            f(r.min_ms),
            f(r.max_ms),
            r.missing_runs
        )
        .unwrap();
    }
    writeln!(
        t,
        "farthest router: median {} ms; per hop: {} ms (least-squares fit of median against hop)",
        f(s.total_median_ms),
        f(s.per_hop_median_ms)
    )
    .unwrap();
    if let Some(frac) = s.polluted_fraction {
        let count = |w: &str| s.per_router.iter().filter(|r| r.took == Some(w)).count();
        writeln!(
            t,
            "took: victim {}, hijacker {}, leak {}, none {}; polluted_fraction {frac} (predicted {}); time to pollute: median {} ms",
            count("victim"),
            count("hijacker"),
            count("leak"),
            count("none"),
            s.predicted_polluted_fraction.map_or("-".to_string(), |p| p.to_string()),
            f(s.time_to_pollute_ms)
        )
        .unwrap();
    }
    writeln!(t, "results: {}", o.dir.display()).unwrap();
    t
}

/// The address an announcement puts on the router's `lo`: the prefix's first host (the
/// prefix's own address when it is a host or a point-to-point pair).
fn announce_host(prefix: IpNet) -> IpAddr {
    match prefix {
        IpNet::V4(p) if p.prefix_len() >= 31 => IpAddr::V4(p.network()),
        IpNet::V4(p) => IpAddr::V4((u32::from(p.network()) + 1).into()),
        IpNet::V6(p) if p.prefix_len() >= 127 => IpAddr::V6(p.network()),
        IpNet::V6(p) => IpAddr::V6((u128::from(p.network()) + 1).into()),
    }
}

#[cfg(test)]
mod tests;
