//! `nsbgp up`: check everything first, then build namespaces, links, hosts files, chroots
//! and daemons, recording each in the ledger. Any failure (or Ctrl-C) rolls back through
//! the same teardown `down` uses.

use super::ledger::{Entry, Ledger};
use super::{state, state_dir, write_atomic, write_state, LabError, LabLock, LabState, Stage};
use crate::config::{Daemon, Lab};
use crate::launch::RouterLaunch;
use crate::netns::{self, Netns};
use crate::rootfs::{self, PreparedMounts, RouterDirs};
use futures::stream::{self, StreamExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

pub use crate::netns::{hosts_marker, ETC_NETNS};

/// Timings of one `up`, for the user and the benchmark.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct UpReport {
    pub namespaces_ms: u64,
    pub links_ms: u64,
    pub files_ms: u64,
    pub daemons_ms: u64,
    /// Raising the held links (`hold_links`), 0 otherwise.
    pub raise_ms: u64,
    pub total_ms: u64,
    /// The state `up` wrote for the running lab: with the lab it built, all a caller needs to
    /// watch it ([`super::Running::built`]) without reading it back from disk.
    #[serde(skip)]
    pub state: Option<LabState>,
}

/// Checks that change nothing: root, the suites' programs and users, names free, lab not running.
pub fn preflight(lab: &Lab) -> Result<(), LabError> {
    if !nix::unistd::geteuid().is_root() {
        return Err(LabError::Input(
            "nsbgp up must run as root (namespaces, mounts and daemons need it): try `sudo nsbgp up …`".into(),
        ));
    }
    crate::suites::check_installed(lab)?;
    if let Some(why) = crate::impair::refusal(lab) {
        return Err(LabError::Input(why));
    }
    if lab.merge_memory && !crate::host::ksm::available(Path::new(crate::host::ksm::SYSFS)) {
        return Err(LabError::Input(format!(
            "merge_memory is on ({} routers) but this kernel has no KSM ({} is missing); \
             set merge_memory = \"off\" under [daemons] in the lab file",
            lab.routers.len(),
            crate::host::ksm::SYSFS
        )));
    }
    if lab.merge_memory && !crate::host::ksm::process_merge_supported() {
        return Err(LabError::Input(format!(
            "merge_memory is on ({} routers) but this kernel cannot merge a process's memory \
             (PR_SET_MEMORY_MERGE needs Linux 6.4); set merge_memory = \"off\" under [daemons] \
             in the lab file",
            lab.routers.len()
        )));
    }
    let dir = state_dir(&lab.name);
    // A directory that fails the checks is refused (exit 1) before anything is built.
    if state::check_lab(&lab.name)? {
        return Err(LabError::Input(format!(
            "lab {} is already running (state in {}); take it down first with `nsbgp down --lab {}`",
            lab.name,
            dir.display(),
            lab.name
        )));
    }
    let taken: Vec<&str> = namespaces(lab)
        .into_iter()
        .filter(|n| netns::path_of(n).exists())
        .collect();
    if !taken.is_empty() {
        return Err(LabError::Input(format!(
            "network namespace{} {} already exist{} (another lab's, or someone else's); nsbgp will not touch {}: pick another router_prefix, or remove {} (`ip netns del NAME`) if nothing uses {}",
            if taken.len() > 1 { "s" } else { "" },
            list_some(&taken),
            if taken.len() > 1 { "" } else { "s" },
            if taken.len() > 1 { "them" } else { "it" },
            if taken.len() > 1 { "them" } else { "it" },
            if taken.len() > 1 { "them" } else { "it" },
        )));
    }
    let etc: Vec<&str> = lab
        .routers
        .iter()
        .map(|r| r.name.as_str())
        .filter(|n| Path::new(ETC_NETNS).join(n).exists())
        .collect();
    if !etc.is_empty() {
        return Err(LabError::Input(format!(
            "{ETC_NETNS}/ already has entries for {}; nsbgp will not overwrite them: remove them or pick another router_prefix",
            list_some(&etc)
        )));
    }
    Ok(())
}

/// Refuses a lab whose memory estimate (see `suites::estimate_mb`) exceeds MemAvailable.
/// `up --ignore-memory` skips it.
pub fn memory_check(lab: &Lab) -> Result<(), LabError> {
    let need = crate::suites::estimate_mb(lab.routers.len() as u64, lab.merge_memory);
    let avail = crate::host::mem_available_kb() / 1024;
    if need > avail {
        return Err(LabError::Input(format!(
            "lab {} needs about {need} MB ({} routers) but this host has {avail} MB available (MemAvailable); \
             use fewer routers (`--routers N`), free memory, or pass --ignore-memory if you know better",
            lab.name,
            lab.routers.len()
        )));
    }
    Ok(())
}

/// Every namespace the lab creates: its routers' in router order, then its LANs' in LAN order.
pub fn namespaces(lab: &Lab) -> Vec<&str> {
    let routers = lab.routers.iter().map(|r| r.name.as_str());
    routers.chain(lab.lans.iter().map(|l| l.namespace.as_str())).collect()
}

fn list_some(v: &[&str]) -> String {
    if v.len() <= 5 {
        v.join(", ")
    } else {
        format!("{} and {} more", v[..5].join(", "), v.len() - 5)
    }
}

fn rt(e: impl std::fmt::Display) -> LabError {
    LabError::Runtime(e.to_string())
}

/// Builds the lab. On failure everything built so far is torn down before returning.
pub async fn up(lab: &Lab, password: &str) -> Result<UpReport, LabError> {
    up_with_progress(lab, password, &Progress::default(), None).await
}

/// Routers whose daemons have all started, for a progress display while `up` runs.
#[derive(Debug, Default)]
pub struct Progress {
    pub routers_started: std::sync::atomic::AtomicUsize,
}

/// `up`, counting started routers into `progress`; with `saved`, the routers run from those
/// config files instead of rendered ones (`up --configs`).
pub async fn up_with_progress(
    lab: &Lab,
    password: &str,
    progress: &Progress,
    saved: Option<&super::saved::Saved>,
) -> Result<UpReport, LabError> {
    // Installed first: from here on SIGINT, SIGTERM and SIGHUP roll back instead of killing.
    let shutdown = Shutdown::install();
    preflight(lab)?;
    let (raised, problems) = crate::host::limits::raise(lab.size() as u64, lab.family.has(crate::config::Family::Ipv6));
    for m in &raised {
        eprintln!("nsbgp: {m}");
    }
    if !problems.is_empty() {
        return Err(LabError::Runtime(format!(
            "this host cannot hold lab {} yet:\n  {}",
            lab.name,
            problems.join("\n  ")
        )));
    }
    let t0 = Instant::now();
    let dir = state_dir(&lab.name);
    // Creating the directory is the claim: of two concurrent `up`s exactly one succeeds.
    if !state::create_lab(&lab.name)? {
        return Err(LabError::Input(format!(
            "lab {} is already running or starting; see `nsbgp list`",
            lab.name
        )));
    }
    let lock = LabLock::try_acquire(&dir)
        .map_err(rt)?
        .ok_or_else(|| LabError::Input(format!("lab {} is being started by another nsbgp", lab.name)))?;
    let state = LabState {
        stage: Stage::Starting,
        up_pid: std::process::id(),
        started_unix_ms: super::now_unix_ms(),
        boot_id: super::boot_id(),
    };
    let setup = (|| -> std::io::Result<Ledger> {
        write_state(&dir, &state)?;
        write_atomic(&dir.join("secret"), password.as_bytes(), 0o600)?;
        write_atomic(
            &dir.join("lab.json"),
            &serde_json::to_vec_pretty(lab).expect("lab serializes"),
            0o600,
        )?;
        Ledger::create(&dir.join("ledger.jsonl"))
    })();
    let ledger = match setup {
        Ok(l) => l,
        Err(e) => {
            let _ = state::remove_lab(&lab.name);
            return Err(rt(format!("{}: {e}", dir.display())));
        }
    };
    if lab.merge_memory {
        // After the lab's directory exists, so a concurrent `down` of the last other lab
        // does not restore ksmd under us.
        match crate::host::ksm::enable(
            Path::new(crate::host::ksm::SYSFS),
            &super::state_root(),
            lab.routers.len(),
            crate::host::ksm::find_ksmd(),
        ) {
            Ok(changed) if !changed.is_empty() => {
                eprintln!(
                    "nsbgp: merging identical daemon memory: set ksmd {}",
                    changed.join(", ")
                )
            }
            Ok(_) => {}
            Err(e) => {
                let _ = state::remove_lab(&lab.name);
                let _ = crate::host::ksm::restore_if_last(
                    Path::new(crate::host::ksm::SYSFS),
                    &super::state_root(),
                    crate::host::ksm::find_ksmd(),
                );
                return Err(e.into());
            }
        }
    }

    let result = tokio::select! {
        r = build(lab, &dir, &ledger, password, progress, &shutdown, saved) => r,
        _ = shutdown.wait() => Err(LabError::Runtime("interrupted".into())),
    };
    match result {
        Ok(mut report) => {
            if lab.merge_memory {
                if let Err(e) = crate::host::ksm::settle(
                    Path::new(crate::host::ksm::SYSFS),
                    &super::state_root(),
                    lab.routers.len(),
                ) {
                    eprintln!("nsbgp: warning: {e}");
                }
            }
            let state = LabState {
                stage: Stage::Running,
                ..state
            };
            write_state(&dir, &state).map_err(rt)?;
            report.total_ms = t0.elapsed().as_millis() as u64;
            report.state = Some(state);
            drop(lock);
            Ok(report)
        }
        Err(e) => {
            tracing::warn!("up failed, rolling back: {e}");
            let _ = write_state(
                &dir,
                &LabState {
                    stage: Stage::Failed,
                    ..state
                },
            );
            let report = super::down::teardown(&lab.name, super::down::Options::default()).await;
            drop(lock);
            let teardown = match report {
                Ok(r) if r.errors.is_empty() => String::new(),
                Ok(r) => format!(", with {} problem(s):\n  {}", r.errors.len(), r.errors.join("\n  ")),
                Err(te) => format!(", but could not finish: {te}"),
            };
            Err(LabError::RolledBack {
                cause: Box::new(e),
                teardown,
            })
        }
    }
}

/// SIGINT, SIGTERM or SIGHUP, whichever comes first.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let streams = [SignalKind::interrupt(), SignalKind::terminate(), SignalKind::hangup()].map(signal);
    let mut streams: Vec<_> = streams.into_iter().filter_map(|s| s.ok()).collect();
    if streams.is_empty() {
        return std::future::pending().await;
    }
    let waits = streams.iter_mut().map(|s| Box::pin(s.recv()));
    futures::future::select_all(waits).await;
}

/// A stop request from a signal, seen both by async code ([`Shutdown::wait`]) and by the
/// namespace threads, which check [`Shutdown::flag`] between namespaces.
#[derive(Clone)]
pub struct Shutdown {
    flag: Arc<std::sync::atomic::AtomicBool>,
    rx: tokio::sync::watch::Receiver<bool>,
}

impl Shutdown {
    /// Registers the handlers now (a signal before this point kills the process, as before
    /// anything is built) and watches for them from a task.
    pub fn install() -> Shutdown {
        use tokio::signal::unix::{signal, SignalKind};
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (tx, rx) = tokio::sync::watch::channel(false);
        let mut streams: Vec<_> = [SignalKind::interrupt(), SignalKind::terminate(), SignalKind::hangup()]
            .map(signal)
            .into_iter()
            .filter_map(|s| s.ok())
            .collect();
        let f = flag.clone();
        tokio::spawn(async move {
            if streams.is_empty() {
                return;
            }
            let waits = streams.iter_mut().map(|s| Box::pin(s.recv()));
            futures::future::select_all(waits).await;
            f.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = tx.send(true);
        });
        Shutdown { flag, rx }
    }

    pub fn flag(&self) -> &std::sync::atomic::AtomicBool {
        &self.flag
    }

    pub fn requested(&self) -> bool {
        self.flag.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub async fn wait(&self) {
        let mut rx = self.rx.clone();
        let _ = rx.wait_for(|v| *v).await;
    }
}

async fn build(
    lab: &Lab,
    dir: &Path,
    ledger: &Ledger,
    password: &str,
    progress: &Progress,
    shutdown: &Shutdown,
    saved: Option<&super::saved::Saved>,
) -> Result<UpReport, LabError> {
    let mut report = UpReport::default();
    let names: Vec<String> = namespaces(lab).into_iter().map(String::from).collect();

    let t = Instant::now();
    netns::prepare_netns_dir()?;
    let handle = tokio::runtime::Handle::current();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(4);
    let ledger_failed = std::sync::atomic::AtomicBool::new(false);
    let record_claim = |name: &str| {
        if ledger.record(Entry::Netns { name: name.to_string() }).is_err() {
            ledger_failed.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    };
    // The identity goes to the ledger the moment the namespace exists: a rollback or `down`
    // deletes only namespaces whose inode it recorded.
    let record_created = |name: &str, ino: u64| {
        // This process made it: commands it runs on the lab (`up --wait`) may enter it.
        netns::expect_identities([(name.to_string(), ino)]);
        if ledger
            .record(Entry::NetnsIno {
                name: name.to_string(),
                ino,
            })
            .is_err()
        {
            ledger_failed.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        test_pause_blocking("mid-namespaces", shutdown);
    };
    let (mut made, err) = tokio::task::block_in_place(|| {
        // Namespace creation is serialized host-wide, so of two labs that share router
        // names one gets them all and the other none (exit 2, nothing of the first touched);
        // without it each could win some names and both would roll back.
        let lock = state::host_lock("netns.lock", shutdown.flag());
        match lock {
            Ok(Some(_lock)) => {
                if let Some(n) = names.iter().find(|n| netns::path_of(n).exists()) {
                    return (vec![], Some(netns::NetnsError::Taken(n.clone())));
                }
                netns::create_all(
                    &names,
                    threads,
                    &handle,
                    &record_claim,
                    &record_created,
                    shutdown.flag(),
                    netns::router_sysctls(lab.family),
                )
            }
            Ok(None) => (vec![], None),
            Err(source) => (
                vec![],
                Some(netns::NetnsError::Io {
                    name: "netns.lock".into(),
                    step: "lock",
                    source,
                }),
            ),
        }
    });
    if let Some(e) = err {
        return Err(e.into());
    }
    if ledger_failed.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(rt("cannot write the lab's ledger"));
    }
    if shutdown.requested() {
        return Err(rt("interrupted while creating namespaces"));
    }
    let position = |name: &str| names.iter().position(|n| n == name).unwrap_or(usize::MAX);
    made.sort_by_key(|n| position(&n.name));
    report.namespaces_ms = t.elapsed().as_millis() as u64;
    test_pause("namespaces").await;

    let t = Instant::now();
    let record_link = |k: usize| {
        if let Some(l) = lab.links.get(k - 1) {
            let _ = ledger.record(Entry::Link {
                index: k,
                a: names[l.a].clone(),
                b: names[l.b].clone(),
            });
        } else if let Some(l) = lab.lans.iter().find(|l| l.index == k) {
            // One veth per member, from the router to the LAN's namespace.
            let entries: Vec<Entry> = l
                .members
                .iter()
                .map(|&r| Entry::Link {
                    index: k,
                    a: names[r].clone(),
                    b: l.namespace.clone(),
                })
                .collect();
            let _ = ledger.record_all(&entries);
        }
    };
    netns::build_links(lab, &made, &record_link).await?;
    if !lab.impairments.is_empty() {
        impair_links(lab, &made).await?;
    }
    report.links_ms = t.elapsed().as_millis() as u64;
    test_pause("links").await;

    let t = Instant::now();
    let lab2 = lab.clone();
    let dir2 = dir.to_path_buf();
    let pw = password.to_string();
    let saved = saved.cloned();
    let claims = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        write_hosts_files(&lab2, &mut entries)?;
        prepare_routers(&lab2, &dir2, &pw, saved.as_ref())?;
        Ok(entries)
    });
    let entries = claims
        .await
        .map_err(rt)?
        .map_err(|e| rt(format!("preparing router files: {e}")))?;
    // Hosts files are recorded after the fact; `down` also recognises them by their marker.
    ledger.record_all(&entries).map_err(rt)?;
    report.files_ms = t.elapsed().as_millis() as u64;
    test_pause("files").await;

    let t = Instant::now();
    let handles: Vec<(String, rtnetlink::Handle)> = made.iter().map(|n| (n.name.clone(), n.handle.clone())).collect();
    start_daemons(lab, dir, ledger, made, progress).await?;
    report.daemons_ms = t.elapsed().as_millis() as u64;
    if lab.hold_links {
        let t = Instant::now();
        // The bgpds keep running: sessions start as their links come up, and that storm's
        // route installs slow the rest of the raising down (each takes the kernel's rtnl
        // lock). Freezing the bgpds meanwhile was tried: raising took 3–6 s instead of ~110 s
        // at 1000 routers, but the chain converged no sooner and needed ~4 MB per router more
        // at its peak, everything starting at once.
        netns::raise_links(lab, &handles).await?;
        report.raise_ms = t.elapsed().as_millis() as u64;
    }
    Ok(report)
}

/// Sets `[links]` / `[[link]]` impairments on both ends of each link, before any daemon
/// starts, so BGP never sees the link unimpaired.
async fn impair_links(lab: &Lab, made: &[netns::Netns]) -> Result<(), LabError> {
    let mut fds = std::collections::HashMap::new();
    for n in made {
        let fd = n.fd.try_clone().map_err(|e| rt(format!("{}: {e}", n.name)))?;
        fds.insert(n.name.clone(), std::sync::Arc::new(fd));
    }
    let lab = lab.clone();
    tokio::task::spawn_blocking(move || {
        let fd_of = |r: usize| {
            let name = &lab.routers[r].name;
            fds.get(name)
                .cloned()
                .ok_or_else(|| format!("{name}'s namespace is not open"))
        };
        for li in &lab.impairments {
            crate::impair::apply_link(&lab, li.link, &li.set, &fd_of)?;
        }
        Ok::<(), String>(())
    })
    .await
    .map_err(rt)?
    .map_err(|e| rt(format!("impairing links: {e}")))
}

/// A seam for crash tests: with `NSBGP_TEST_PAUSE=STAGE`, `up` stops after that stage (and
/// in the middle of starting daemons for `daemons`) so a test can `kill -9` it right there.
async fn test_pause(stage: &str) {
    if std::env::var("NSBGP_TEST_PAUSE").is_ok_and(|s| s == stage) {
        eprintln!("nsbgp-test: paused after {stage}");
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    }
}

/// The crash-test seam inside namespace creation (a namespace thread): with
/// `NSBGP_TEST_PAUSE=mid-namespaces`, the first namespace created waits there until a
/// signal asks `up` to stop (or 600 s), so a test can signal `up` in the middle.
fn test_pause_blocking(stage: &str, shutdown: &Shutdown) {
    static ONCE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !std::env::var("NSBGP_TEST_PAUSE").is_ok_and(|s| s == stage)
        || ONCE.swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        return;
    }
    eprintln!("nsbgp-test: paused after {stage}");
    let end = Instant::now() + std::time::Duration::from_secs(600);
    while !shutdown.requested() && Instant::now() < end {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The hosts file every router sees through `ip netns exec`: all router names, plus `world`.
pub fn hosts_text(lab: &Lab) -> String {
    let mut s = format!("{}\n127.0.0.1\tlocalhost\n", hosts_marker(&lab.name));
    for stub in &lab.stubs {
        s.push_str(&format!("{}\tworld\n", stub.addr));
    }
    for r in &lab.routers {
        for i in lab.devices(r.index) {
            for a in &i.addrs {
                s.push_str(&format!("{}\t{}\n", a.addr, r.name));
            }
        }
    }
    s
}

/// `/etc/netns/{router}/hosts` for every router. The content is the same for all, so the
/// files are hard links of one inode: 1000 routers cost one file, not 60 MB.
fn write_hosts_files(lab: &Lab, entries: &mut Vec<Entry>) -> std::io::Result<()> {
    let base = Path::new(ETC_NETNS);
    if !base.exists() {
        std::fs::create_dir_all(base)?;
        entries.push(Entry::Dir { path: base.into() });
    }
    let text = hosts_text(lab);
    let mut first: Option<PathBuf> = None;
    for r in &lab.routers {
        let d = base.join(&r.name);
        std::fs::create_dir(&d)?;
        entries.push(Entry::Dir { path: d.clone() });
        let f = d.join("hosts");
        match &first {
            None => {
                let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&f)?;
                std::io::Write::write_all(&mut file, text.as_bytes())?;
                std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644))?;
                first = Some(f.clone());
            }
            Some(src) => std::fs::hard_link(src, &f)?,
        }
        entries.push(Entry::File { path: f });
    }
    Ok(())
}

/// Chroot directories and rendered configs for every router.
fn prepare_routers(lab: &Lab, dir: &Path, password: &str, saved: Option<&super::saved::Saved>) -> std::io::Result<()> {
    let mut owners = std::collections::HashMap::new();
    for r in &lab.routers {
        if let std::collections::hash_map::Entry::Vacant(e) = owners.entry(r.suite) {
            e.insert(crate::suite::ids(crate::suites::of(r.suite))?);
        }
    }
    let host = rootfs::RealHost;
    for r in &lab.routers {
        // The private directories belong to the user the router's daemons drop to.
        let (uid, gid) = owners[&r.suite];
        let dirs = RouterDirs::new(dir, &r.name);
        let plan = rootfs::plan(&dirs, &host);
        rootfs::create_entries(&plan)?;
        for sub in rootfs::private_dirs() {
            let p = dirs.base.join(sub);
            nix::unistd::chown(&p, Some(uid), Some(gid))?;
            let mode = if sub == "tmp" { 0o1777 } else { 0o750 };
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))?;
        }
        // An empty vtysh.conf keeps `nsbgp vtysh` from warning that it is missing.
        write_atomic(
            &dirs.etc().join("vtysh.conf"),
            b"! nsbgp: vtysh reads this file; nothing to set\n",
            0o640,
        )?;
        let files = match saved {
            Some(s) => s.files_for(lab, r.index, password),
            None => crate::suites::config_files(lab, r.index, password),
        };
        for (file, text) in files {
            let p = dirs.etc().join(file);
            // 0640, the daemons' user: FRR's configs hold the vty password.
            write_atomic(&p, text.as_bytes(), 0o640)?;
            nix::unistd::chown(&p, Some(uid), Some(gid))?;
        }
    }
    Ok(())
}

/// How many daemon launches run at once: enough to keep both cores busy with FRR start-up.
const LAUNCH_PARALLELISM: usize = 8;

/// Launch order: from the origin and the routers farthest from it inwards
/// ([`crate::config::Graph::launch_order`]; on the chain 0, N-1, 1, N-2, …). The last routers
/// to start then sit in the middle, so once they are up every announcement has at most
/// half the way left to cross; starting 0…N-1 in order leaves the whole chain to cross
/// after the last router starts (about 55 ms per hop in FRR 8.4's bgpd).
pub fn launch_order(lab: &Lab) -> Vec<usize> {
    lab.graph.launch_order()
}

async fn start_daemons(
    lab: &Lab,
    dir: &Path,
    ledger: &Ledger,
    made: Vec<Netns>,
    progress: &Progress,
) -> Result<(), LabError> {
    let host = rootfs::RealHost;
    let mut slots: Vec<Option<Netns>> = made.into_iter().map(Some).collect();
    let made: Vec<Netns> = launch_order(lab).into_iter().filter_map(|i| slots[i].take()).collect();
    let results: Vec<Result<(), LabError>> = stream::iter(made)
        .map(|ns| {
            let dirs = RouterDirs::new(dir, &ns.name);
            let mounts = Arc::new(PreparedMounts::new(&rootfs::plan(&dirs, &host)));
            async move {
                let launch = RouterLaunch {
                    router: ns.name.clone(),
                    dirs,
                    netns: ns.fd,
                    mounts,
                };
                // zebra first: bgpd connects to its zserv socket at start.
                let index = lab.resolve_router(&ns.name).expect("a router of this lab");
                for d in lab.daemons_of(index) {
                    let pid = crate::launch::start(lab, &launch, d).await?;
                    ledger
                        .record(Entry::Daemon {
                            router: ns.name.clone(),
                            daemon: d.name().into(),
                            pid,
                        })
                        .map_err(rt)?;
                    if lab.resolve_router(&ns.name) == Some(1) {
                        test_pause("daemons").await;
                    }
                }
                progress
                    .routers_started
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
        })
        .buffer_unordered(LAUNCH_PARALLELISM)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Starts one daemon of a running lab again, in the same namespace and chroot (`restart`).
pub async fn restart_daemon(run: &super::Running, router: usize, daemon: Daemon) -> Result<u32, LabError> {
    let name = &run.lab.routers[router].name;
    let dirs = run.dirs(router);
    let mounts = Arc::new(PreparedMounts::new(&rootfs::plan(&dirs, &rootfs::RealHost)));
    let fd = netns::open_named(name)?;
    let launch = RouterLaunch {
        router: name.clone(),
        dirs,
        netns: fd,
        mounts,
    };
    let pid = crate::launch::start(&run.lab, &launch, daemon).await?;
    let ledger = Ledger::create(&run.dir.join("ledger.jsonl")).map_err(rt)?;
    ledger
        .record(Entry::Daemon {
            router: name.clone(),
            daemon: daemon.name().into(),
            pid,
        })
        .map_err(rt)?;
    Ok(pid)
}

#[cfg(test)]
mod tests {
    use super::launch_order;
    use crate::config::{self, Lab, Overrides};

    fn lab(text: &str) -> Lab {
        config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap()
    }

    #[test]
    fn launch_order_goes_from_both_ends_inwards() {
        assert_eq!(launch_order(&lab("name = \"c\"\nrouters = 6\n")), [0, 5, 1, 4, 2, 3]);
        assert_eq!(launch_order(&lab("name = \"c\"\nrouters = 5\n")), [0, 4, 1, 3, 2]);
        assert_eq!(launch_order(&lab("name = \"c\"\nrouters = 1\n")), [0]);
        let mut all = launch_order(&lab("name = \"c\"\nrouters = 1000\n"));
        all.sort();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        // A ring starts at the origin and the far side, the quarter points last.
        let ring = lab("name = \"r\"\nrouters = 8\n[topology]\nshape = \"ring\"\n");
        assert_eq!(launch_order(&ring), [0, 4, 1, 3, 5, 7, 2, 6]);
    }
}

#[cfg(test)]
#[path = "up_hosts_tests.rs"]
mod hosts_tests;
