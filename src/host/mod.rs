//! Facts about this host read from the kernel: processes, the boot id, the mount table,
//! memory, sysctl limits (`limits`), KSM (`ksm`). Everything above asks here rather than
//! reading /proc itself.

pub mod ksm;
pub mod limits;

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
    // Field 3, after the parenthesised command name, is the state.
    stat.rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next())
        .is_some_and(|c| c != 'Z' && c != 'X')
}

/// A process's root directory (`/proc/PID/root`; a chrooted daemon's is its chroot).
pub fn root_of(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/root")).ok()
}

/// Whether process `pid` started at or after `unix_ms`. Its start time is known to the
/// clock tick and the boot time to the second, so a process started within a second before
/// `unix_ms` counts as after it: the test is for a pid recycled long before a lab started.
pub fn started_since(pid: u32, unix_ms: u64) -> bool {
    match (
        std::fs::read_to_string(format!("/proc/{pid}/stat")),
        std::fs::read_to_string("/proc/stat"),
    ) {
        (Ok(stat), Ok(proc_stat)) => {
            start_unix_ms(&stat, &proc_stat, clock_ticks()).is_some_and(|s| s + 1000 >= unix_ms)
        }
        _ => false,
    }
}

fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .map_or(100, |t| t as u64)
}

/// A process's start time (unix ms) from its `/proc/PID/stat` (field 22: clock ticks after
/// boot) and `/proc/stat` (`btime`: the boot, unix seconds).
pub fn start_unix_ms(pid_stat: &str, proc_stat: &str, ticks_per_s: u64) -> Option<u64> {
    // The command name (field 2) is parenthesised and may hold spaces: count after its end.
    let (_, rest) = pid_stat.rsplit_once(") ")?;
    let ticks: u64 = rest.split_whitespace().nth(19)?.parse().ok()?;
    let btime: u64 = proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    Some(btime * 1000 + ticks * 1000 / ticks_per_s.max(1))
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

/// Mount points at or below `dir` in a mountinfo text (field 5 of each line).
pub fn mounts_in(mountinfo: &str, dir: &Path) -> Vec<PathBuf> {
    mountinfo
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(PathBuf::from)
        .filter(|m| m.starts_with(dir))
        .collect()
}

/// A field of /proc/meminfo in kB (0 when absent).
pub fn meminfo_kb(key: &str) -> u64 {
    meminfo_field(&std::fs::read_to_string("/proc/meminfo").unwrap_or_default(), key)
}

/// A field of a /proc/meminfo text in kB (0 when absent).
pub fn meminfo_field(meminfo: &str, key: &str) -> u64 {
    meminfo
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)?
                .strip_prefix(':')?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
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
