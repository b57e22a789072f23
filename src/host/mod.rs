//! Facts about this host read from the kernel: processes, the boot id, the mount table,
//! memory, sysctl limits (`limits`), KSM (`ksm`). Everything above asks here rather than
//! reading /proc itself. /proc is parsed with the `procfs` crate, on text so that the
//! parsing is tested on recorded files.

pub mod ksm;
pub mod limits;

use procfs::FromRead;
use std::path::{Path, PathBuf};

/// This boot's id: a state directory from another boot describes nothing that still runs.
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The wall clock in unix milliseconds.
pub fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Is `pid` alive (and not a zombie)?
pub fn pid_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| stat_alive(&s))
}

/// Whether a `/proc/PID/stat` text is of a live process (not a zombie, not dead).
pub fn stat_alive(stat: &str) -> bool {
    procfs::process::Stat::from_read(stat.as_bytes()).is_ok_and(|s| s.state != 'Z' && s.state != 'X')
}

/// A process's root directory (`/proc/PID/root`; a chrooted daemon's is its chroot).
pub fn root_of(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/root")).ok()
}

/// Whether process `pid` started at or after `unix_ms`. Its start time is known to the
/// clock tick and the boot time to the second, so a process started within a second before
/// `unix_ms` counts as after it: the test is for a pid recycled long before a lab started.
pub fn started_since(pid: u32, unix_ms: u64) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
    match (stat, procfs::boot_time_secs()) {
        (Ok(stat), Ok(btime)) => {
            start_unix_ms(&stat, btime, procfs::ticks_per_second()).is_some_and(|s| s + 1000 >= unix_ms)
        }
        _ => false,
    }
}

/// A process's start time (unix ms) from its `/proc/PID/stat` text (`starttime`: clock ticks
/// after the boot) and the boot time (`btime` of /proc/stat, unix seconds).
pub fn start_unix_ms(pid_stat: &str, btime_secs: u64, ticks_per_s: u64) -> Option<u64> {
    let stat = procfs::process::Stat::from_read(pid_stat.as_bytes()).ok()?;
    Some(btime_secs * 1000 + stat.starttime * 1000 / ticks_per_s.max(1))
}

/// Command name of a process (`/proc/PID/comm`).
pub fn pid_comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim().to_string())
}

/// Mount points at or below `dir` in this process's mount table.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    mounts_in(
        &std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default(),
        dir,
    )
}

/// Mount points at or below `dir` in a mountinfo text (an unreadable text has none).
pub fn mounts_in(mountinfo: &str, dir: &Path) -> Vec<PathBuf> {
    procfs::process::MountInfos::from_read(mountinfo.as_bytes())
        .map(|m| m.0)
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.mount_point)
        .filter(|m| m.starts_with(dir))
        .collect()
}

/// MemAvailable of /proc/meminfo in kB (0 when unknown).
pub fn mem_available_kb() -> u64 {
    mem_available_in(&std::fs::read_to_string("/proc/meminfo").unwrap_or_default())
}

/// MemAvailable of a /proc/meminfo text in kB (0 when absent or unreadable).
pub fn mem_available_in(meminfo: &str) -> u64 {
    procfs::Meminfo::from_read(meminfo.as_bytes())
        .ok()
        .and_then(|m| m.mem_available)
        .map_or(0, |bytes| bytes / 1024)
}

/// A lock file (created root-only; a link in its place is refused, never followed).
pub fn lock_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(test)]
mod tests;
