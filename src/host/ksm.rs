//! Kernel same-page merging for big labs.
//!
//! Every zebra (and every bgpd) builds the same CLI graph and YANG schemas at start: ~11 MB
//! of each router's ~16 MB is, byte for byte, what every other router holds — once the
//! daemons run without address-space randomisation, so the pointers inside those pages agree.
//! With `merge_memory` on, the daemons start that way and opted in to KSM
//! (`PR_SET_MEMORY_MERGE`, see `crate::launch`), and `up` makes sure ksmd runs and scans fast
//! enough for the lab. Measured on chain-100: 15.7 → 3.8–5.0 MB per router.
//!
//! ksmd runs at nice 5: on a 2-core host busy with hundreds of starting daemons it got
//! ~1 % of a CPU and fell minutes behind (1000 routers: 2 GB merged of ~11 GB mergeable at
//! the end of launch). `up` raises it to nice -10, so it gets a share while the lab starts;
//! `pages_to_scan` still bounds what it can take.
//!
//! How fast ksmd scans: `up` sets a launch rate and lowers it to a steady rate once the
//! daemons have started — unless the host runs the kernel's KSM advisor (6.9+), which then
//! owns `pages_to_scan`. Tried and not adopted: turning the advisor on (60 s passes, 30 %
//! CPU cap). 300 routers settled at 6.2 MB per router 60 s after convergence instead of
//! ~6 minutes, but at 1000 it drove `pages_to_scan` to its 30 000 maximum and the chain
//! converged after 758 s instead of ~350 (the fixed rates that day; ~250–270 s since).
//!
//! ksmd is host-wide, so `up` saves its previous settings once (`ksm.saved` in the state
//! root) and the `down` that leaves no lab behind puts them back.

use std::path::{Path, PathBuf};

pub const SYSFS: &str = "/sys/kernel/mm/ksm";
const SAVED: &str = "ksm.saved";
/// ksmd's nice value while a lab that merges memory runs.
pub const KSMD_NICE: i32 = -10;

/// pid of the ksmd kernel thread, if there is one.
pub fn find_ksmd() -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
        // Kernel threads have no command line; a user process may call itself ksmd.
        let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
        (comm.trim() == "ksmd" && cmdline.is_empty()).then_some(pid)
    })
}

fn nice_of(pid: u32) -> Option<i32> {
    // SAFETY: plain syscalls; errno is cleared first because -1 is also a valid nice value.
    unsafe {
        *libc::__errno_location() = 0;
        let n = libc::getpriority(libc::PRIO_PROCESS, pid);
        (*libc::__errno_location() == 0).then_some(n)
    }
}

fn set_nice(pid: u32, nice: i32) -> Result<(), String> {
    // SAFETY: plain syscall on a pid.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, pid, nice) } != 0 {
        return Err(format!(
            "cannot set ksmd's nice to {nice}: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// Settings ksmd needs for `routers` routers: (file, value).
///
/// A router's daemons hold ~4000 pages; ksmd wakes every 20 ms by default. Scanning
/// `3 × routers` pages per wake-up passes over the whole lab in ~30 s, and a page merges on
/// its second pass. Never below what is set already.
pub fn wanted(routers: usize, current_pages: u64) -> Vec<(&'static str, u64)> {
    let pages = (3 * routers as u64).clamp(300, 4000).max(current_pages);
    vec![("pages_to_scan", pages), ("run", 1)]
}

/// `pages_to_scan` once the lab's daemons have started: scanning 1000 routers' 4 M pages at
/// the launch rate kept ksmd at half a core for as long as the lab ran. At this rate a pass
/// over the lab takes ~6 minutes whatever its size, and memory keeps falling for two passes
/// after convergence (300 routers: 13.8 MB per router at convergence, 6.3 MB ~6 min later).
/// Never below the setting `up` found (`saved`).
pub fn steady_pages(routers: usize, saved: u64) -> u64 {
    (routers as u64 / 2).max(100).max(saved)
}

pub fn available(sysfs: &Path) -> bool {
    sysfs.join("run").exists()
}

/// Can a process opt in to merging (`PR_SET_MEMORY_MERGE`, Linux 6.4)? On older kernels
/// with KSM the daemons' opt-in fails silently and nothing would merge.
pub fn process_merge_supported() -> bool {
    // SAFETY: a read-only prctl on this process.
    unsafe { libc::prctl(libc::PR_GET_MEMORY_MERGE, 0, 0, 0, 0) >= 0 }
}

/// Is the kernel's KSM advisor (6.9+) choosing `pages_to_scan`? Then the kernel refuses
/// writes to it (EINVAL) and the rate is the advisor's business.
pub fn advisor_on(sysfs: &Path) -> bool {
    std::fs::read_to_string(sysfs.join("advisor_mode"))
        .is_ok_and(|m| m.contains("[scan-time]") || m.trim() == "scan-time")
}

fn read(sysfs: &Path, key: &str) -> Option<u64> {
    std::fs::read_to_string(sysfs.join(key)).ok()?.trim().parse().ok()
}

fn saved_path(state_root: &Path) -> PathBuf {
    state_root.join(SAVED)
}

/// `key=value` from the saved settings' text.
fn saved_value(text: &str, key: &str) -> Option<i64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .and_then(|v| v.trim().parse().ok())
}

/// ksmd is host-wide: every `up` and `down` reads and writes its settings and `ksm.saved`
/// under this one lock (`ksm.lock` in the state root), held until the returned file drops.
fn host_lock(state_root: &Path) -> Result<std::fs::File, String> {
    let p = state_root.join("ksm.lock");
    let f = crate::host::lock_file(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    // SAFETY: flock on an fd we own; blocks only for another nsbgp's few sysfs writes.
    if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&f), libc::LOCK_EX) } != 0 {
        return Err(format!("{}: {}", p.display(), std::io::Error::last_os_error()));
    }
    Ok(f)
}

fn write_key(sysfs: &Path, key: &str, value: &str) -> Result<(), String> {
    std::fs::write(sysfs.join(key), value).map_err(|e| format!("cannot set {}/{key} to {value}: {e}", sysfs.display()))
}

/// Starts ksmd for a lab of `routers`; returns what it changed, for the user. `ksmd` is the
/// kernel thread to renice (None: leave priorities alone, as unit tests do).
pub fn enable(sysfs: &Path, state_root: &Path, routers: usize, ksmd: Option<u32>) -> Result<Vec<String>, String> {
    if !available(sysfs) {
        return Err(format!(
            "{} is missing: this kernel has no KSM (CONFIG_KSM); set merge_memory = \"off\" \
             under [daemons]",
            sysfs.display()
        ));
    }
    let _lock = host_lock(state_root)?;
    let run = read(sysfs, "run").unwrap_or(0);
    let pages = read(sysfs, "pages_to_scan").unwrap_or(100);
    let nice = ksmd.and_then(nice_of);
    let saved = saved_path(state_root);
    if !saved.exists() {
        let mut text = format!("run={run}\npages_to_scan={pages}\n");
        if let Some(n) = nice {
            text.push_str(&format!("nice={n}\n"));
        }
        std::fs::write(&saved, text).map_err(|e| format!("{}: {e}", saved.display()))?;
    }
    let mut changed = Vec::new();
    let advisor = advisor_on(sysfs);
    for (key, value) in wanted(routers, pages) {
        if read(sysfs, key) == Some(value) || (advisor && key == "pages_to_scan") {
            continue;
        }
        write_key(sysfs, key, &value.to_string())?;
        changed.push(format!("{key}={value}"));
    }
    if let (Some(pid), Some(n)) = (ksmd, nice) {
        if n > KSMD_NICE {
            set_nice(pid, KSMD_NICE)?;
            changed.push(format!("nice={KSMD_NICE}"));
        }
    }
    Ok(changed)
}

/// Lowers ksmd's scan rate to `steady_pages` after a launch (unless the advisor sets it).
pub fn settle(sysfs: &Path, state_root: &Path, routers: usize) -> Result<(), String> {
    if advisor_on(sysfs) {
        return Ok(());
    }
    let _lock = host_lock(state_root)?;
    let saved = std::fs::read_to_string(saved_path(state_root))
        .ok()
        .and_then(|t| saved_value(&t, "pages_to_scan"))
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(100);
    let pages = steady_pages(routers, saved);
    write_key(sysfs, "pages_to_scan", &pages.to_string())
}

/// After a lab's state directory is gone: when no lab is left under `state_root`, restores
/// the ksmd settings `enable` saved. Returns a message when it restored something.
pub fn restore_if_last(sysfs: &Path, state_root: &Path, ksmd: Option<u32>) -> Result<Option<String>, String> {
    let saved = saved_path(state_root);
    if !saved.exists() {
        return Ok(None);
    }
    let _lock = host_lock(state_root)?;
    let Ok(text) = std::fs::read_to_string(&saved) else {
        return Ok(None);
    };
    let labs_left = std::fs::read_dir(state_root)
        .map(|d| d.flatten().any(|e| e.path().is_dir()))
        .unwrap_or(false);
    if labs_left {
        return Ok(None);
    }
    let value_of = |key: &str| saved_value(&text, key);
    let mut restored = Vec::new();
    if let (Some(pid), Some(n)) = (ksmd, value_of("nice")) {
        if nice_of(pid) != Some(n as i32) {
            set_nice(pid, n as i32)?;
            restored.push(format!("nice={n}"));
        }
    }
    // pages_to_scan first: with run=0 last, ksmd stops before anything else changes.
    for key in ["pages_to_scan", "run"] {
        let Some(value) = value_of(key).and_then(|v| u64::try_from(v).ok()) else {
            continue;
        };
        // Under the host's advisor the kernel sets the rate; writing it would fail.
        if key == "pages_to_scan" && advisor_on(sysfs) {
            continue;
        }
        if read(sysfs, key) != Some(value) {
            write_key(sysfs, key, &value.to_string())?;
            restored.push(format!("{key}={value}"));
        }
    }
    std::fs::remove_file(&saved).map_err(|e| format!("{}: {e}", saved.display()))?;
    Ok((!restored.is_empty()).then(|| format!("restored ksmd settings ({})", restored.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_sysfs(run: u64, pages: u64) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("run"), format!("{run}\n")).unwrap();
        std::fs::write(d.path().join("pages_to_scan"), format!("{pages}\n")).unwrap();
        d
    }

    #[test]
    fn scan_rate_grows_with_the_lab_and_never_lowers_a_setting() {
        assert_eq!(wanted(10, 100), [("pages_to_scan", 300), ("run", 1)]);
        assert_eq!(wanted(1000, 100)[0], ("pages_to_scan", 3000));
        assert_eq!(wanted(5000, 100)[0], ("pages_to_scan", 4000));
        assert_eq!(wanted(200, 9000)[0], ("pages_to_scan", 9000));
    }

    #[test]
    fn steady_rate_is_lower_but_never_below_what_was_there() {
        assert_eq!(steady_pages(1000, 100), 500);
        assert_eq!(steady_pages(10, 100), 100);
        assert_eq!(steady_pages(1000, 2000), 2000);
        let sys = fake_sysfs(0, 100);
        let root = tempfile::tempdir().unwrap();
        enable(sys.path(), root.path(), 1000, None).unwrap();
        settle(sys.path(), root.path(), 1000).unwrap();
        assert_eq!(read(sys.path(), "pages_to_scan"), Some(500));
    }

    #[test]
    fn enable_then_last_down_restores_the_previous_settings() {
        let sys = fake_sysfs(0, 100);
        let root = tempfile::tempdir().unwrap();
        let lab = root.path().join("a");
        std::fs::create_dir(&lab).unwrap();
        let changed = enable(sys.path(), root.path(), 1000, None).unwrap();
        assert_eq!(changed, ["pages_to_scan=3000", "run=1"]);
        // A second lab: nothing to change, the first saved state is kept.
        std::fs::create_dir(root.path().join("b")).unwrap();
        assert!(enable(sys.path(), root.path(), 200, None).unwrap().is_empty());
        assert_eq!(read(sys.path(), "pages_to_scan"), Some(3000));
        // One lab still running: nothing restored.
        std::fs::remove_dir(&lab).unwrap();
        assert_eq!(restore_if_last(sys.path(), root.path(), None).unwrap(), None);
        assert_eq!(read(sys.path(), "run"), Some(1));
        std::fs::remove_dir(root.path().join("b")).unwrap();
        let msg = restore_if_last(sys.path(), root.path(), None).unwrap().unwrap();
        assert_eq!(msg, "restored ksmd settings (pages_to_scan=100, run=0)");
        assert_eq!(
            (read(sys.path(), "run"), read(sys.path(), "pages_to_scan")),
            (Some(0), Some(100))
        );
        assert!(!saved_path(root.path()).exists());
        // Nothing saved: nothing to do.
        assert_eq!(restore_if_last(sys.path(), root.path(), None).unwrap(), None);
    }

    #[test]
    fn the_kernels_advisor_keeps_the_scan_rate() {
        // With advisor_mode = scan-time the kernel answers EINVAL to pages_to_scan writes:
        // `up` failed with "cannot set …/pages_to_scan to 900: Invalid argument".
        let sys = fake_sysfs(0, 500);
        std::fs::write(sys.path().join("advisor_mode"), "none [scan-time]\n").unwrap();
        let root = tempfile::tempdir().unwrap();
        assert_eq!(enable(sys.path(), root.path(), 1000, None).unwrap(), ["run=1"]);
        settle(sys.path(), root.path(), 1000).unwrap();
        std::fs::write(sys.path().join("pages_to_scan"), "4321\n").unwrap();
        let msg = restore_if_last(sys.path(), root.path(), None).unwrap().unwrap();
        assert_eq!(msg, "restored ksmd settings (run=0)");
        assert_eq!(read(sys.path(), "pages_to_scan"), Some(4321));
        // Off, as on most hosts: nsbgp sets the rate itself.
        std::fs::write(sys.path().join("advisor_mode"), "[none] scan-time\n").unwrap();
        assert!(!advisor_on(sys.path()));
    }

    #[test]
    fn the_per_process_opt_in_is_detected_as_the_kernel_reports_it() {
        // Linux 6.4 added PR_SET_MEMORY_MERGE and `ksm_merge_any` in /proc/PID/ksm_stat together.
        let stat = std::fs::read_to_string("/proc/self/ksm_stat").unwrap_or_default();
        assert_eq!(process_merge_supported(), stat.contains("ksm_merge_any"), "{stat}");
    }

    #[test]
    fn a_kernel_without_ksm_is_a_clear_error() {
        let none = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let e = enable(&none.path().join("ksm"), root.path(), 300, None).unwrap_err();
        assert!(e.contains("merge_memory = \"off\""), "{e}");
    }
}
