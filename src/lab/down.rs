//! `nsbgp down`: stop the daemons, delete namespaces (their veths go with them), hosts
//! files and the state directory. Works from the ledger alone, keeps going past every
//! error and reports them all; running it again finishes what is left.

use super::ledger::{self, Entry};
use super::up::hosts_marker;
use super::{pid_alive, read_state, state_dir, LabLock};
use crate::netns;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
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

pub async fn teardown(lab: &str, opts: Options) -> Report {
    let dir = state_dir(lab);
    let t0 = Instant::now();
    let mut rep = Report {
        found: dir.exists(),
        ..Default::default()
    };
    if !rep.found {
        return rep;
    }
    // State from an earlier boot: its pids and namespace inodes name other things now.
    // Only its files are ours to remove; namespaces and processes are not trusted.
    let stale = read_state(&dir).is_some_and(|s| s.boot_id != super::boot_id());
    if stale {
        rep.removed
            .push("nothing running: the state is from an earlier boot (stale)".into());
    }
    if !opts.dry_run && !stale {
        stop_running_up(&dir, &mut rep).await;
        if !dir.exists() {
            rep.removed
                .push("everything: the running `up` stopped and rolled back".into());
            return rep;
        }
    }
    let entries = ledger::read(&dir.join("ledger.jsonl")).unwrap_or_default();

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
            (Some(ino), _) => {
                ours.insert(ino);
            }
            (None, Some(w)) => {
                // Gone from /run/netns, but a daemon may still hold it alive.
                ours.insert(*w);
            }
            (None, None) => {}
        }
    }

    // Daemons: every process in one of our namespaces or rooted in our state directory,
    // plus recorded pids still alive. Again until none is left: a daemon that was starting
    // when `up` died may fork (daemonize) after a scan.
    let recorded: Vec<u32> = entries
        .iter()
        .filter(|_| !stale)
        .filter_map(|e| match e {
            Entry::Daemon { daemon, pid, .. }
                if pid_alive(*pid) && super::pid_comm(*pid).as_deref() == Some(daemon.as_str()) =>
            {
                Some(*pid)
            }
            _ => None,
        })
        .collect();
    tracing::info!("down {lab}: ledger read, {} namespaces ({:?})", nss.len(), t0.elapsed());
    for round in 0..5 {
        let mut pids: Vec<u32> = netns::pids_in(&ours);
        tracing::info!(
            "down {lab}: round {round}: {} processes found ({:?})",
            pids.len(),
            t0.elapsed()
        );
        if !stale {
            pids.extend(rooted_in(&dir));
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
        if opts.dry_run {
            if netns::path_of(name).exists() {
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
        let d = Path::new(super::up::ETC_NETNS).join(name);
        remove_marked_file(&d.join("hosts"), &marker, opts, &mut rep);
        remove_empty_dir(&d, opts, &mut rep);
    }

    tracing::info!("down {lab}: files removed ({:?})", t0.elapsed());
    if opts.dry_run {
        rep.removed.push(format!("state directory {}", dir.display()));
    } else if rep.errors.is_empty() {
        // Keep the ledger while anything failed: a second `down` needs it.
        match remove_tree(&dir) {
            Ok(()) => rep.removed.push(format!("state directory {}", dir.display())),
            Err(e) => rep.errors.push(format!("{}: {e}", dir.display())),
        }
        tracing::info!("down {lab}: state directory removed ({:?})", t0.elapsed());
        match super::ksm::restore_if_last(
            Path::new(super::ksm::SYSFS),
            &super::state_root(),
            super::ksm::find_ksmd(),
        ) {
            Ok(Some(m)) => rep.notes.push(m),
            Ok(None) => {}
            Err(e) => rep.errors.push(e),
        }
    }
    rep
}

/// Live processes whose root directory is inside `dir` (the routers' chroots).
fn rooted_in(dir: &Path) -> Vec<u32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    procs
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            std::fs::read_link(format!("/proc/{pid}/root")).is_ok_and(|r| r.starts_with(dir)) && pid_alive(pid)
        })
        .collect()
}

/// `down` while `up` runs: ask that `up` to stop (it rolls back), then wait for its lock.
async fn stop_running_up(dir: &Path, rep: &mut Report) {
    let state = read_state(dir);
    // An `up` rolling back calls this teardown itself, still holding the lock so that a
    // `down` waiting for it cannot start a second teardown of the same tree.
    if state.as_ref().is_some_and(|s| s.up_pid == std::process::id()) {
        return;
    }
    if let Ok(Some(_)) = LabLock::try_acquire(dir) {
        return;
    }
    let Some(state) = state else { return };
    let pid = nix::unistd::Pid::from_raw(state.up_pid as i32);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    // `up` rolls back on SIGTERM; wait until it has exited (it may remove the whole dir).
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if !pid_alive(state.up_pid) || !dir.exists() {
            return;
        }
        if let Ok(Some(_)) = LabLock::try_acquire_existing(dir) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
    rep.errors.push(format!(
        "`nsbgp up` (pid {}) did not stop within 30 s and was killed",
        state.up_pid
    ));
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

fn remove_marked_file(path: &Path, marker: &str, opts: Options, rep: &mut Report) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    if text.lines().next() != Some(marker) {
        rep.foreign
            .push(format!("{} (not written by this lab; left alone)", path.display()));
        return;
    }
    if opts.dry_run {
        rep.removed.push(path.display().to_string());
        return;
    }
    match std::fs::remove_file(path) {
        Ok(()) => rep.removed.push(path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => rep.errors.push(format!("{}: {e}", path.display())),
    }
}

fn remove_empty_dir(path: &Path, opts: Options, rep: &mut Report) {
    if opts.dry_run || !path.is_dir() {
        return;
    }
    match std::fs::remove_dir(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        // Not empty: the user put something there; leave it.
        Err(_) => rep.foreign.push(format!("{} (not empty; left alone)", path.display())),
    }
}

/// Removes the state directory without ever crossing into another filesystem: if a bind
/// mount were left in a chroot, a plain recursive delete would empty the host's /usr.
pub fn remove_tree(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mounts = mounts_under(dir);
    if !mounts.is_empty() {
        return Err(std::io::Error::other(format!(
            "still has mounts ({}); unmount them (`umount -l PATH`) and run `nsbgp down` again",
            mounts
                .iter()
                .map(|m| m.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let dev = std::fs::symlink_metadata(dir)?.dev();
    empty_dir(dir, dev)?;
    std::fs::remove_dir(dir)
}

/// Directories with more entries than this (the `routers` directory) are emptied by
/// several threads. Removing a file can wait on the disk (ext4 mounted with `discard` waits
/// for every freed block), so the waits overlap: 300 routers' trees took 1.3 s one by one.
const PARALLEL_MIN: usize = 16;
const REMOVE_THREADS: usize = 16;

fn empty_dir(dir: &Path, dev: u64) -> std::io::Result<()> {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    if entries.len() < PARALLEL_MIN {
        return entries.iter().try_for_each(|p| remove_entry(p, dev));
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..REMOVE_THREADS)
            .map(|_| {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    match entries.get(i) {
                        Some(p) => remove_entry(p, dev)?,
                        None => return Ok(()),
                    }
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("removal thread panicked")))
        })
    })
}

/// Removes one entry below the root. Something already gone is fine: a rolling-back `up`
/// may be removing the same tree.
fn remove_entry(path: &Path, dev: u64) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let gone_is_fine = |r: std::io::Result<()>| match r {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        r => r,
    };
    let md = match path.symlink_metadata() {
        Ok(md) => md,
        Err(e) => return gone_is_fine(Err(e)),
    };
    if !md.is_dir() {
        return gone_is_fine(std::fs::remove_file(path));
    }
    if md.dev() != dev {
        return Err(std::io::Error::other(format!(
            "{} is another filesystem",
            path.display()
        )));
    }
    gone_is_fine(empty_dir(path, dev))?;
    gone_is_fine(std::fs::remove_dir(path))
}

/// Mount points at or below `dir` in this process's mount table.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(PathBuf::from)
        .filter(|m| m.starts_with(dir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_tree_empties_a_wide_tree_with_several_threads() {
        let root = tempfile::tempdir().unwrap();
        let state = root.path().join("lab");
        let outside = root.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("keep"), "the user's").unwrap();
        // Wider than PARALLEL_MIN at the `routers` level, as in a real lab.
        for r in 0..40 {
            let d = state.join("routers").join(format!("ROUTER_{r}"));
            std::fs::create_dir_all(d.join("root/var/run/frr")).unwrap();
            std::fs::create_dir_all(d.join("log")).unwrap();
            std::fs::write(d.join("log/bgpd.log"), "x").unwrap();
            std::os::unix::fs::symlink(&outside, d.join("root/link-out")).unwrap();
        }
        std::fs::write(state.join("ledger.jsonl"), "{}").unwrap();
        remove_tree(&state).unwrap();
        assert!(!state.exists());
        // Symlinks are removed, never followed.
        assert_eq!(std::fs::read_to_string(outside.join("keep")).unwrap(), "the user's");
    }

    #[test]
    fn remove_tree_reports_what_it_could_not_remove() {
        let root = tempfile::tempdir().unwrap();
        let err = remove_tree(&root.path().join("missing")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
