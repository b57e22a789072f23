//! Lab orchestration: `up` (build), `down` (teardown), the state directory and its ledger.
//!
//! State of lab NAME lives in `/run/nsbgp/NAME/` (`NSBGP_STATE_DIR` overrides the root):
//! `lab.json` (the resolved lab), `state.json` (stage, `up` pid, start time, boot id),
//! `secret` (vty password, 0600), `ledger.jsonl`, `lock`, `timeline.json`, and
//! `routers/{router}/` (chroot, configs, pid files, logs).

pub mod down;
pub mod ledger;
pub mod state;
pub mod up;

pub use crate::host::{boot_id, now_unix_ms, pid_alive, pid_comm};
pub use state::{lab_dir as state_dir, state_root, StateError};

use crate::config::{ConfigError, Lab, LabName, LabNameError};
use serde::{Deserialize, Serialize};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// A failure and the exit code it maps to: input errors (2) change nothing on the system.
/// Module errors keep their cause; [`LabError::exit_code`] is the one place that maps them.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Runtime(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Name(#[from] LabNameError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error(transparent)]
    Netns(#[from] crate::netns::NetnsError),
    #[error(transparent)]
    Spawn(#[from] crate::launch::SpawnError),
    #[error(transparent)]
    Link(#[from] crate::netns::LinkError),
    #[error(transparent)]
    Vty(#[from] crate::frr::vty::VtyError),
}

impl LabError {
    pub fn exit_code(&self) -> i32 {
        match self {
            LabError::Input(_) | LabError::Config(_) | LabError::Name(_) => 2,
            // Another lab's namespace holds the name: a clash of inputs, nothing of ours built.
            LabError::Netns(crate::netns::NetnsError::Taken(_)) => 2,
            LabError::Runtime(_)
            | LabError::State(_)
            | LabError::Ledger(_)
            | LabError::Netns(_)
            | LabError::Spawn(_)
            | LabError::Link(_)
            | LabError::Vty(_) => 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Starting,
    Running,
    Failed,
    Stopping,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabState {
    pub stage: Stage,
    pub up_pid: u32,
    /// Unix time (ms) when `up` started: convergence times count from here.
    pub started_unix_ms: u64,
    pub boot_id: String,
}

/// A random vty password for a new lab (hex, 20 chars).
pub fn new_password() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..20).map(|_| format!("{:x}", rng.random_range(0..16u8))).collect()
}

/// Writes a file atomically (temp + rename) with the given mode.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        std::io::Write::write_all(&mut f, data)?;
    }
    std::fs::rename(tmp, path)
}

pub fn write_state(dir: &Path, s: &LabState) -> std::io::Result<()> {
    write_atomic(
        &dir.join("state.json"),
        &serde_json::to_vec_pretty(s).expect("state serializes"),
        0o644,
    )
}

pub fn read_state(dir: &Path) -> Option<LabState> {
    serde_json::from_slice(&std::fs::read(dir.join("state.json")).ok()?).ok()
}

/// A lab as found on this host.
pub struct Running {
    pub lab: Lab,
    pub dir: PathBuf,
    pub state: Option<LabState>,
}

impl Running {
    pub fn password(&self) -> Result<String, LabError> {
        std::fs::read_to_string(self.dir.join("secret"))
            .map(|s| s.trim().to_string())
            .map_err(|e| LabError::Runtime(format!("lab {}: cannot read its vty password: {e}", self.lab.name)))
    }

    /// True when the state comes from an earlier boot: nothing in it can be trusted.
    pub fn is_stale(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.boot_id != boot_id())
    }

    pub fn dirs(&self, router: usize) -> crate::rootfs::RouterDirs {
        crate::rootfs::RouterDirs::new(&self.dir, &self.lab.routers[router].name)
    }
}

/// Names of every lab that has a state directory. Entries whose names are not lab names
/// are not nsbgp's and are ignored. A state root that fails its checks is an error.
pub fn lab_names() -> Result<Vec<LabName>, StateError> {
    if state::check_root()?.is_none() {
        return Ok(vec![]);
    }
    let mut v: Vec<LabName> = std::fs::read_dir(state_root())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok()?.parse().ok())
                .filter(|n: &LabName| state_dir(n).join("lab.json").exists())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    Ok(v)
}

fn join_names(v: &[LabName]) -> String {
    v.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
}

/// Opens a running lab: its directory checked ([`state::check_lab`]) and its `lab.json`
/// validated again, as a lab file would be, so a doctored file cannot point commands at
/// another program or path.
pub fn open(name: &LabName) -> Result<Running, LabError> {
    let not_running = || {
        let known = lab_names().unwrap_or_default();
        LabError::Input(if known.is_empty() {
            format!("lab {name} is not running (no labs are); start one with `nsbgp up -c FILE`")
        } else {
            format!("lab {name} is not running; running labs: {}", join_names(&known))
        })
    };
    if !state::check_lab(name)? {
        return Err(not_running());
    }
    let dir = state_dir(name);
    let path = dir.join("lab.json");
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_running()),
        Err(e) => return Err(LabError::Runtime(format!("{}: unreadable: {e}", path.display()))),
    };
    let lab: Lab = serde_json::from_slice(&text).map_err(|e| {
        LabError::Runtime(format!(
            "{}: unreadable: {e}; remove the lab with `nsbgp down --lab {name}`",
            path.display()
        ))
    })?;
    if lab.name != *name {
        return Err(LabError::Runtime(format!(
            "{}: names lab {:?}, not {name}: the file was changed by hand; nsbgp will not act on it",
            path.display(),
            lab.name.as_str()
        )));
    }
    crate::config::revalidate(&lab).map_err(|e| {
        LabError::Runtime(format!(
            "{}: no longer the lab nsbgp wrote ({e}); nsbgp will not act on it. \
             Fix: `nsbgp down --lab {name}` removes what its ledger recorded",
            path.display()
        ))
    })?;
    // The namespaces this lab may enter are those whose identity its ledger recorded.
    let entries = ledger::read(&dir.join("ledger.jsonl"))?;
    crate::netns::expect_identities(entries.into_iter().filter_map(|e| match e {
        ledger::Entry::NetnsIno { name, ino } => Some((name, ino)),
        _ => None,
    }));
    Ok(Running {
        lab,
        state: read_state(&dir),
        dir,
    })
}

/// The lab a command acts on: `--lab NAME`, or the only running lab.
pub fn select(name: Option<&LabName>) -> Result<Running, LabError> {
    if let Some(n) = name {
        return open(n);
    }
    let names = lab_names()?;
    match names.as_slice() {
        [] => Err(LabError::Input(
            "no lab is running; start one with `nsbgp up -c FILE`".into(),
        )),
        [one] => open(one),
        many => Err(LabError::Input(format!(
            "{} labs are running ({}); choose one with --lab NAME",
            many.len(),
            join_names(many)
        ))),
    }
}

/// An exclusive advisory lock on the lab's `lock` file, held for as long as `up` runs.
pub struct LabLock {
    _file: std::fs::File,
}

impl LabLock {
    pub fn try_acquire(dir: &Path) -> std::io::Result<Option<LabLock>> {
        Self::try_lock(dir, true)
    }

    /// Waits up to `limit` for the lock (polling: flock has no timeout).
    pub async fn acquire_within(dir: &Path, limit: std::time::Duration) -> std::io::Result<Option<LabLock>> {
        let end = std::time::Instant::now() + limit;
        loop {
            if let Some(l) = Self::try_lock(dir, true)? {
                return Ok(Some(l));
            }
            if std::time::Instant::now() >= end {
                return Ok(None);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Like `try_acquire`, but never creates the lock file: for watching an `up` whose
    /// rollback may be removing the directory (a new file there would make that fail).
    pub fn try_acquire_existing(dir: &Path) -> std::io::Result<Option<LabLock>> {
        Self::try_lock(dir, false)
    }

    fn try_lock(dir: &Path, create: bool) -> std::io::Result<Option<LabLock>> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(dir.join("lock"))?;
        // SAFETY: flock on an fd we own.
        let r = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX | libc::LOCK_NB) };
        if r == 0 {
            Ok(Some(LabLock { _file: file }))
        } else {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::WouldBlock {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}
