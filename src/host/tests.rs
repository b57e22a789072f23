//! host/ parsing on recorded /proc text.

use super::*;

/// `/proc/PID/stat` of a shell (recorded), and the same process with a name that holds a
/// space and a parenthesis, as a hostile program can choose, shown as a zombie.
const STAT: &str = include_str!("../../tests/fixtures/proc/stat-bash");

fn odd_zombie() -> String {
    STAT.replacen("(bash) S", "(bgpd) S (x) Z", 1)
}

#[test]
fn start_time_is_boot_time_plus_starttime_ticks() {
    // starttime 290686 ticks at 100 per second: 2906.86 s after the boot.
    assert_eq!(
        start_unix_ms(STAT, 1_795_676_400, 100),
        Some(1_795_676_400_000 + 2_906_860)
    );
    // The name's ") " is skipped to the last one; at 250 ticks per second.
    assert_eq!(
        start_unix_ms(&odd_zombie(), 1_795_676_400, 250),
        Some(1_795_676_400_000 + 1_162_744)
    );
    assert_eq!(start_unix_ms("28916 (bash) S 1 2\n", 1, 100), None, "cut short");
}

#[test]
fn liveness_reads_the_state_after_the_name() {
    assert!(stat_alive(STAT));
    // The name holds " S (": the state is the field after the last ") ".
    assert!(!stat_alive(&odd_zombie()));
    assert!(!stat_alive(&STAT.replacen(") S ", ") X ", 1)));
    assert!(!stat_alive("garbage"));
}

#[test]
fn this_process_started_before_now_and_after_the_boot() {
    let pid = std::process::id();
    let now = now_unix_ms();
    assert!(started_since(pid, now - 3_600_000), "started within the last hour");
    assert!(!started_since(pid, now + 60_000), "not a minute from now");
    assert!(!started_since(u32::MAX, 0), "no such process");
}

#[test]
fn mounts_below_a_directory() {
    let text = "22 27 0:21 / /proc rw,relatime - proc proc rw\n\
                812 27 0:52 / /run/nsbgp/lab/routers/R_0/root/usr ro - ext4 /dev/sda1 rw\n\
                813 27 0:52 / /run/nsbgp/lab2/routers/R_0/root ro - ext4 /dev/sda1 rw\n\
                814 27 0:52 / /run/nsbgp/lab rw - tmpfs tmpfs rw\n";
    assert_eq!(
        mounts_in(text, Path::new("/run/nsbgp/lab")),
        vec![
            PathBuf::from("/run/nsbgp/lab/routers/R_0/root/usr"),
            PathBuf::from("/run/nsbgp/lab")
        ],
        "lab2 is not below lab"
    );
    assert!(mounts_in("", Path::new("/")).is_empty());
}

#[test]
fn mem_available_of_a_recorded_meminfo() {
    let text = include_str!("../../tests/fixtures/proc/meminfo");
    assert_eq!(mem_available_in(text), 22_611_156);
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("MemAvailable:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(mem_available_in(&without), 0);
    assert_eq!(mem_available_in("garbage"), 0);
}
