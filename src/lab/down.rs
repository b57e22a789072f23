//! `nsbgp down`: stop the daemons, delete namespaces (their veths go with them), hosts
//! files and the state directory. Works from the ledger alone, keeps going past every
//! error and reports them all; running it again finishes what is left.

use super::ledger::{self, Entry};
use super::{pid_alive, read_state, state, state_dir, LabError, LabLock};
use crate::config::LabName;
use crate::netns;
use crate::netns::hosts_marker;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub dry_run: bool,
}

#[derive(Debug, Default)]
pub struct Report {
    /// What was removed (or, with --dry-run, would be).
    pub removed: Vec<String>,
    /// Things that look like the lab's but are not ours: left alone.
    pub foreign: Vec<String>,
    pub errors: Vec<String>,
    /// Other things done on the way, for the user (host settings restored).
    pub notes: Vec<String>,
    pub found: bool,
}

/// How long killed daemons get to leave the process table.
const GRACE: Duration = Duration::from_secs(5);

/// Takes lab `lab` down. Refuses (an error, nothing touched) when its state directory fails
/// the checks of [`state::check_lab`] or its ledger cannot be read; otherwise keeps going past
/// every error and reports them all.
pub async fn teardown(lab: &LabName, opts: Options) -> Result<Report, LabError> {
    let dir = state_dir(lab);
    let t0 = Instant::now();
    let mut rep = Report {
        found: state::check_lab(lab)?,
        ..Default::default()
    };
    if !rep.found {
        return Ok(rep);
    }
    // State from an earlier boot: its pids and namespace inodes name other things now.
    // Only its files are ours to remove; namespaces and processes are not trusted.
    let stale = read_state(&dir).is_some_and(|s| s.boot_id != super::boot_id());
    if stale {
        rep.removed
            .push("nothing running: the state is from an earlier boot (stale)".into());
    }
    // Held until the end: a `restart` or a second `down` waits for this one.
    let mut _lock = None;
    if !opts.dry_run && !stale {
        _lock = stop_running_up(&dir, &mut rep).await;
        if !state::check_lab(lab)? {
            rep.removed
                .push("everything: the running `up` stopped and rolled back".into());
            return Ok(rep);
        }
    }
    let entries = ledger::read(&dir.join("ledger.jsonl"))?;

    // Namespaces: claimed names and their identities.
    let mut nss: BTreeMap<String, Option<u64>> = BTreeMap::new();
    for e in &entries {
        match e {
            Entry::Netns { name } => {
                nss.entry(name.clone()).or_insert(None);
            }
            Entry::NetnsIno { name, ino } => {
                nss.insert(name.clone(), Some(*ino));
            }
            _ => {}
        }
    }
    let mut ours: HashSet<u64> = HashSet::new();
    for (name, want) in &nss {
        if stale {
            if netns::inode_of(name).is_some() {
                rep.foreign.push(format!(
                    "namespace {name} (the lab's is gone since the reboot; this one is not ours)"
                ));
            }
            continue;
        }
        match (netns::inode_of(name), want) {
            (Some(ino), Some(w)) if ino != *w => rep
                .foreign
                .push(format!("namespace {name} (recreated by someone else; left alone)")),
            (_, Some(w)) => {
                // Gone from /run/netns, a daemon may still hold it alive.
                ours.insert(*w);
            }
            // Claimed but never recorded as created: the name may be another lab's, which won
            // the race for it. Never touched.
            (Some(_), None) => rep.foreign.push(format!(
                "namespace {name} (this lab claimed the name but never recorded creating it; \
                 left alone: if it is this lab's, `ip netns del {name}`)"
            )),
            (None, None) => {}
        }
    }

    // Daemons: every process in one of our namespaces or rooted in our state directory
    // (and started since the lab was), plus recorded pids still alive that are proven ours
    // the same way. Again until none is left: a daemon that was starting when `up` died may
    // fork (daemonize) after a scan.
    let since_ms = read_state(&dir).map(|s| s.started_unix_ms);
    let mut recorded: Vec<u32> = Vec::new();
    for e in entries.iter().filter(|_| !stale) {
        let Entry::Daemon { router, daemon, pid } = e else {
            continue;
        };
        if !(pid_alive(*pid) && super::pid_comm(*pid).as_deref() == Some(daemon.as_str())) {
            continue;
        }
        if netns::inode_of_pid(*pid).is_some_and(|ino| ours.contains(&ino)) || is_rooted_in(*pid, &dir, since_ms) {
            recorded.push(*pid);
        } else {
            // The daemon died and its pid went to another process that has the same name
            // (the host's own FRR, say): not the lab's to kill.
            rep.foreign.push(format!(
                "process {pid} ({daemon}): the ledger's {daemon} of {router}, but it runs in none of the \
                 lab's namespaces and not in its state directory, so its pid was reused by another program"
            ));
        }
    }
    tracing::info!("down {lab}: ledger read, {} namespaces ({:?})", nss.len(), t0.elapsed());
    for round in 0..5 {
        let mut pids: Vec<u32> = netns::pids_in(&ours);
        tracing::info!(
            "down {lab}: round {round}: {} processes found ({:?})",
            pids.len(),
            t0.elapsed()
        );
        if !stale {
            pids.extend(rooted_in(&dir, since_ms));
        }
        if round == 0 {
            pids.extend(recorded.iter().copied().filter(|p| pid_alive(*p)));
        }
        pids.sort_unstable();
        pids.dedup();
        pids.retain(|&p| p != std::process::id());
        if pids.is_empty() {
            break;
        }
        if opts.dry_run {
            rep.removed.extend(
                pids.iter()
                    .map(|p| format!("process {p} ({})", super::pid_comm(*p).unwrap_or_default())),
            );
            break;
        }
        stop_processes(&pids, &mut rep).await;
    }

    for (name, want) in &nss {
        if rep.foreign.iter().any(|f| f.starts_with(&format!("namespace {name} "))) {
            continue;
        }
        let Some(want) = want else { continue };
        if opts.dry_run {
            if netns::inode_of(name) == Some(*want) {
                rep.removed.push(format!("namespace {name}"));
            }
            continue;
        }
        match netns::delete(name, *want) {
            Ok(true) => rep.removed.push(format!("namespace {name}")),
            Ok(false) => {}
            Err(e) => rep.errors.push(e.to_string()),
        }
    }

    tracing::info!("down {lab}: namespaces deleted ({:?})", t0.elapsed());
    // Files and directories outside the state dir, newest first.
    let marker = hosts_marker(lab);
    for e in entries.iter().rev() {
        match e {
            Entry::File { path } => remove_marked_file(path, &marker, opts, &mut rep),
            Entry::Dir { path } => remove_empty_dir(path, opts, &mut rep),
            _ => {}
        }
    }
    // Hosts files written before a crash could record them.
    for name in nss.keys() {
        let d = Path::new(crate::netns::ETC_NETNS).join(name);
        remove_marked_file(&d.join("hosts"), &marker, opts, &mut rep);
        remove_empty_dir(&d, opts, &mut rep);
    }

    tracing::info!("down {lab}: files removed ({:?})", t0.elapsed());
    if opts.dry_run {
        rep.removed.push(format!("state directory {}", dir.display()));
    } else if rep.errors.is_empty() {
        // Keep the ledger while anything failed: a second `down` needs it.
        match state::remove_lab(lab) {
            Ok(()) => rep.removed.push(format!("state directory {}", dir.display())),
            Err(e) => rep.errors.push(e.to_string()),
        }
        tracing::info!("down {lab}: state directory removed ({:?})", t0.elapsed());
        match crate::host::ksm::restore_if_last(
            Path::new(crate::host::ksm::SYSFS),
            &super::state_root(),
            crate::host::ksm::find_ksmd(),
        ) {
            Ok(Some(m)) => rep.notes.push(m),
            Ok(None) => {}
            Err(e) => rep.errors.push(e),
        }
    }
    Ok(rep)
}

/// Live processes whose root directory is inside `dir` (the routers' chroots), started
/// since `since_ms` (the lab's start, when known).
fn rooted_in(dir: &Path, since_ms: Option<u64>) -> Vec<u32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    procs
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| is_rooted_in(pid, dir, since_ms))
        .collect()
}

/// Whether `pid` is alive, has its root directory inside `dir` and started since `since_ms`.
fn is_rooted_in(pid: u32, dir: &Path, since_ms: Option<u64>) -> bool {
    crate::host::root_of(pid).is_some_and(|r| r.starts_with(dir))
        && pid_alive(pid)
        && since_ms.map_or(true, |since| crate::host::started_since(pid, since))
}

/// `down` while `up` runs: ask that `up` to stop (it rolls back), then wait for its lock.
/// Returns the lab's lock, for the caller to hold until it is done.
async fn stop_running_up(dir: &Path, rep: &mut Report) -> Option<LabLock> {
    let state = read_state(dir);
    // An `up` rolling back calls this teardown itself, still holding the lock so that a
    // `down` waiting for it cannot start a second teardown of the same tree.
    if state.as_ref().is_some_and(|s| s.up_pid == std::process::id()) {
        return None;
    }
    match LabLock::try_acquire_existing(dir) {
        Ok(Some(l)) => return Some(l),
        // No lock file: no `up` got as far as locking, so none to wait for.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        _ => {}
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    if let Some(s) = state
        .as_ref()
        .filter(|s| s.stage == super::Stage::Starting && pid_alive(s.up_pid))
    {
        // `up` rolls back on SIGTERM; wait until it has exited (it may remove the whole dir).
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(s.up_pid as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    // Otherwise another `down` or a `restart` holds the lock: wait for it.
    while Instant::now() < deadline {
        if !dir.exists() {
            return None;
        }
        match LabLock::try_acquire_existing(dir) {
            Ok(Some(l)) => return Some(l),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Some(s) = state.filter(|s| s.stage == super::Stage::Starting && pid_alive(s.up_pid)) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(s.up_pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        rep.errors.push(format!(
            "`nsbgp up` (pid {}) did not stop within 30 s and was killed",
            s.up_pid
        ));
    } else {
        rep.errors
            .push("another nsbgp held the lab's lock for 30 s; going ahead".into());
    }
    None
}

async fn stop_processes(pids: &[u32], rep: &mut Report) {
    use nix::sys::signal::{kill, Signal};
    let p = |pid: u32| nix::unistd::Pid::from_raw(pid as i32);
    // SIGKILL, not SIGTERM: nothing a lab's daemon holds outlives its namespace (routes,
    // addresses and sockets go with it; pid files and vty sockets with the state dir), and a
    // graceful exit is pure cost: zebra deletes every route it installed, one netlink request
    // each, bgpd walks and frees its tables and notifies its peers, who push withdrawals on
    // through the chain. Killed, each daemon only unmaps its memory.
    for &pid in pids {
        let _ = kill(p(pid), Signal::SIGKILL);
    }
    let deadline = Instant::now() + GRACE;
    let mut left: Vec<u32> = pids.to_vec();
    while !left.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        left.retain(|&pid| pid_alive(pid));
    }
    for pid in left {
        rep.errors.push(format!("process {pid} survived SIGKILL"));
    }
    if !pids.is_empty() {
        rep.removed.push(format!("{} daemon process(es)", pids.len()));
    }
}

/// Opens the directory that holds `path`, refusing a symbolic link anywhere on the way: a
/// planted `/etc/netns/R -> /etc` must not lead `down` to another directory's files.
/// `None` when there is nothing to do (already gone); a link on the way is noted as foreign.
fn open_parent(path: &Path, rep: &mut Report) -> Option<(std::os::fd::OwnedFd, std::ffi::CString)> {
    use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};
    let parent = path.parent()?;
    let name = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(path.file_name()?)).ok()?;
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_NO_SYMLINKS);
    match openat2(nix::fcntl::AT_FDCWD, parent, how) {
        Ok(fd) => Some((fd, name)),
        Err(nix::Error::ENOENT) => None,
        Err(e) => {
            rep.foreign.push(format!(
                "{} (its directory is a symbolic link or cannot be opened: {e}; left alone)",
                path.display()
            ));
            None
        }
    }
}

/// Removes a hosts file nsbgp wrote (its first line is the lab's marker), reading and
/// removing it through its directory's fd, never through a link.
fn remove_marked_file(path: &Path, marker: &str, opts: Options, rep: &mut Report) {
    use nix::fcntl::{openat, OFlag};
    use nix::sys::stat::Mode;
    use nix::unistd::{unlinkat, UnlinkatFlags};
    use std::os::fd::AsFd;
    let Some((dir, name)) = open_parent(path, rep) else {
        return;
    };
    let Ok(fd) = openat(
        dir.as_fd(),
        name.as_c_str(),
        OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) else {
        return;
    };
    let mut text = String::new();
    let read = std::io::Read::read_to_string(&mut std::fs::File::from(fd), &mut text);
    if read.is_err() || text.lines().next() != Some(marker) {
        rep.foreign
            .push(format!("{} (not written by this lab; left alone)", path.display()));
        return;
    }
    if opts.dry_run {
        // Nothing is removed, so the crash fallback below the ledger meets the same file
        // again: list it once.
        let shown = path.display().to_string();
        if !rep.removed.contains(&shown) {
            rep.removed.push(shown);
        }
        return;
    }
    match unlinkat(dir.as_fd(), name.as_c_str(), UnlinkatFlags::NoRemoveDir) {
        Ok(()) => rep.removed.push(path.display().to_string()),
        Err(nix::Error::ENOENT) => {}
        Err(e) => rep.errors.push(format!("{}: {e}", path.display())),
    }
}

/// Removes a directory nsbgp made if it is empty; never through a link.
fn remove_empty_dir(path: &Path, opts: Options, rep: &mut Report) {
    use nix::unistd::{unlinkat, UnlinkatFlags};
    use std::os::fd::AsFd;
    if opts.dry_run {
        return;
    }
    let Some((dir, name)) = open_parent(path, rep) else {
        return;
    };
    match unlinkat(dir.as_fd(), name.as_c_str(), UnlinkatFlags::RemoveDir) {
        Ok(()) | Err(nix::Error::ENOENT) => {}
        // A link where the directory was: not ours.
        Err(nix::Error::ENOTDIR) => rep
            .foreign
            .push(format!("{} (not a directory; left alone)", path.display())),
        // Not empty: the user put something there; leave it.
        Err(_) => rep.foreign.push(format!("{} (not empty; left alone)", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_files_are_never_reached_through_a_link() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join("hosts"), "# marker\n127.0.0.1 x\n").unwrap();
        let netns = t.path().join("netns");
        std::fs::create_dir(&netns).unwrap();
        std::os::unix::fs::symlink(&real, netns.join("R_1")).unwrap();
        let mut rep = Report::default();
        remove_marked_file(&netns.join("R_1/hosts"), "# marker", Options::default(), &mut rep);
        remove_empty_dir(&netns.join("R_1"), Options::default(), &mut rep);
        assert!(real.join("hosts").exists(), "the link's target was touched");
        assert!(netns.join("R_1").symlink_metadata().is_ok(), "the link itself stays");
        assert!(rep.removed.is_empty() && rep.errors.is_empty(), "{rep:?}");
        assert_eq!(rep.foreign.len(), 2, "{rep:?}");
        // The same file in a real directory is removed, and the emptied directory with it.
        std::fs::create_dir(netns.join("R_2")).unwrap();
        std::fs::write(netns.join("R_2/hosts"), "# marker\n").unwrap();
        let mut rep = Report::default();
        remove_marked_file(&netns.join("R_2/hosts"), "# marker", Options::default(), &mut rep);
        remove_empty_dir(&netns.join("R_2"), Options::default(), &mut rep);
        assert!(!netns.join("R_2").exists(), "{rep:?}");
        assert_eq!(rep.removed.len(), 1);
    }
}
