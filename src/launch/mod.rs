//! Starting a router's daemons (of any suite: FRR's zebra and bgpd, BIRD) inside its namespace
//! and chroot. What to run (program, arguments) the suite says ([`crate::suite::RoutingSuite`]).
//!
//! The launcher forks, and the child joins the router's network namespace, takes a private
//! mount namespace, bind-mounts the chroot ([`crate::rootfs`]) and execs the daemon with
//! `-d`: FRR's parent process exits only once the daemon has read its config and opened its
//! vty, so a zero exit status means "ready". The daemon drops to the `frr` user itself.
//! BIRD behaves the same way: its parent exits once the config is read and the control
//! socket is open, and it drops to the `bird` user keeping only its network capabilities.

use crate::config::{Daemon, Lab};
use crate::rootfs::{PreparedMounts, RouterDirs};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("{router} {daemon}: could not start {program}: {source}")]
    Exec {
        router: String,
        daemon: Daemon,
        program: PathBuf,
        source: std::io::Error,
    },
    #[error("{router} {daemon}: exited with {status} during start-up{detail}; see {log}")]
    Failed {
        router: String,
        daemon: Daemon,
        status: String,
        detail: String,
        log: PathBuf,
    },
    #[error("{router} {daemon}: not ready after {timeout:?}; see {log}")]
    Timeout {
        router: String,
        daemon: Daemon,
        timeout: Duration,
        log: PathBuf,
    },
}

/// Everything a launch needs that is the same for both daemons of a router.
pub struct RouterLaunch {
    pub router: String,
    pub dirs: RouterDirs,
    pub netns: OwnedFd,
    pub mounts: Arc<PreparedMounts>,
}

const START_TIMEOUT: Duration = Duration::from_secs(60);

pub fn pid_file(dirs: &RouterDirs, daemon: Daemon) -> PathBuf {
    dirs.run().join(format!("{}.pid", daemon.name()))
}

/// Starts one daemon (of either suite) and returns its pid once it is ready.
pub async fn start(lab: &Lab, launch: &RouterLaunch, daemon: Daemon) -> Result<u32, SpawnError> {
    let suite = crate::suites::of(daemon.suite());
    let program = suite.program(lab, daemon);
    let log = launch.dirs.log().join(format!("{}.stderr", daemon.name()));
    let pidf = pid_file(&launch.dirs, daemon);
    let _ = std::fs::remove_file(&pidf);
    let exec_err = |source| SpawnError::Exec {
        router: launch.router.clone(),
        daemon,
        program: program.clone(),
        source,
    };
    let stderr = std::fs::File::create(&log).map_err(exec_err)?;
    check_program(&program).map_err(exec_err)?;
    let netns = launch.netns.try_clone().map_err(exec_err)?;
    // The daemon drops to the `frr` user itself (-u/-g), after binding its ports.
    let cmd = crate::runner::InRouter::new(&program)
        .args(suite.args(lab, daemon))
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        // Many small processes: one malloc arena each keeps their footprint small.
        .env("MALLOC_ARENA_MAX", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(stderr.into())
        // If `up` dies (kill -9) before the daemon has daemonized, take this child with it:
        // `down` could not see it yet. The setting ends at FRR's own fork and user switch.
        .parent_death(nix::sys::signal::Signal::SIGKILL)
        .new_session()
        .merge_memory(lab.merge_memory)
        .netns(netns)
        .chroot(launch.mounts.clone())
        .command();
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.kill_on_drop(false);
    let mut child = cmd.spawn().map_err(exec_err)?;
    let status = match tokio::time::timeout(START_TIMEOUT, child.wait()).await {
        Ok(s) => s.map_err(exec_err)?,
        Err(_) => {
            let _ = child.start_kill();
            return Err(SpawnError::Timeout {
                router: launch.router.clone(),
                daemon,
                timeout: START_TIMEOUT,
                log,
            });
        }
    };
    if !status.success() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let last: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let detail = last.iter().rev().take(3).rev().cloned().collect::<Vec<_>>().join(" | ");
        return Err(SpawnError::Failed {
            router: launch.router.clone(),
            daemon,
            status: status.to_string(),
            detail: if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            },
            log,
        });
    }
    // The pid file is written before FRR's parent exits; allow a moment on a loaded host.
    for _ in 0..200 {
        if let Some(pid) = read_pid(&pidf) {
            return Ok(pid);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(SpawnError::Timeout {
        router: launch.router.clone(),
        daemon,
        timeout: Duration::from_secs(2),
        log: pidf,
    })
}

/// A program nsbgp runs as root must be root's: a regular file owned by root, writable by
/// nobody else (and so must its directory be), or anyone could swap what runs.
pub fn check_program(program: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let bad = |what: String| {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("{what}; nsbgp runs only programs that only root can change"),
        )
    };
    let md = std::fs::metadata(program)?;
    if !md.is_file() || md.uid() != 0 || md.mode() & 0o022 != 0 {
        return Err(bad(format!(
            "{} is not a root-owned file that only root can write",
            program.display()
        )));
    }
    if let Some(dir) = program.parent() {
        let d = std::fs::metadata(dir)?;
        if d.uid() != 0 || d.mode() & 0o022 != 0 {
            return Err(bad(format!("{} is writable by others than root", dir.display())));
        }
    }
    Ok(())
}

pub fn read_pid(path: &std::path::Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Stops a router's daemon if it runs: `signal`, then SIGKILL if it has not exited within 3 s.
pub async fn stop(dirs: &RouterDirs, daemon: Daemon, signal: nix::sys::signal::Signal) {
    use crate::host::{pid_alive, pid_comm};
    let Some(pid) = read_pid(&pid_file(dirs, daemon)) else {
        return;
    };
    // The router's own daemon only (rooted in its directory): the pid file of a daemon that
    // died may name a pid the kernel has given to another process since.
    let ours = crate::host::root_of(pid).is_some_and(|r| r.starts_with(&dirs.base));
    if !(pid_alive(pid) && pid_comm(pid).as_deref() == Some(daemon.name()) && ours) {
        return;
    }
    let p = nix::unistd::Pid::from_raw(pid as i32);
    let _ = nix::sys::signal::kill(p, signal);
    for _ in 0..300 {
        if !pid_alive(pid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = nix::sys::signal::kill(p, nix::sys::signal::Signal::SIGKILL);
}

#[cfg(test)]
#[path = "launch_tests.rs"]
mod tests;
