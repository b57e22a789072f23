//! host/ parsing on recorded /proc text.

use super::*;

/// `/proc/PID/stat` of a `cat` (recorded), and the same with a command name that holds a
/// space and a parenthesis, as a hostile program can choose.
const STAT: &str = "11492 (cat) R 11428 11428 7627 0 -1 4194304 102 0 0 0 0 0 0 0 20 0 1 0 146528 3133440 414 18446744073709551615 94511102287872 94511102307753 140723871784944 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
const STAT_ODD: &str = "77 (bgpd) Z (x) Z 1 77 77 0 -1 4194304 102 0 0 0 0 0 0 0 20 0 1 0 500 3133440 414\n";
const PROC_STAT: &str = "cpu  2255 34 2290 22625563 6290 127 456 0 0 0\nintr 114930548 113199788 3\nctxt 1990473\nbtime 1795676400\nprocesses 2664\n";

#[test]
fn start_time_is_boot_time_plus_field_22() {
    // 146528 ticks at 100 per second: 1465.28 s after the boot.
    assert_eq!(start_unix_ms(STAT, PROC_STAT, 100), Some(1_795_676_400_000 + 1_465_280));
    // The name's ") " is skipped to the last one; 500 ticks at 250 per second = 2 s.
    assert_eq!(start_unix_ms(STAT_ODD, PROC_STAT, 250), Some(1_795_676_400_000 + 2_000));
    assert_eq!(start_unix_ms(STAT, "cpu 1 2 3\n", 100), None, "no btime");
    assert_eq!(start_unix_ms("11492 (cat) R 1 2\n", PROC_STAT, 100), None, "cut short");
}

#[test]
fn liveness_reads_the_state_after_the_name() {
    assert!(stat_alive(STAT));
    // The name holds " Z (": the state is the field after the last ") ".
    assert!(!stat_alive(STAT_ODD));
    assert!(!stat_alive("5 (x) X 1\n"));
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
fn meminfo_fields() {
    let text = "MemTotal:       24668192 kB\nMemFree:         1185072 kB\nMemAvailable:   18131400 kB\n";
    assert_eq!(meminfo_field(text, "MemAvailable"), 18_131_400);
    assert_eq!(meminfo_field(text, "MemTotal"), 24_668_192);
    // A key is matched whole: "Mem" is no field.
    assert_eq!(meminfo_field(text, "Mem"), 0);
    assert_eq!(meminfo_field(text, "SwapTotal"), 0);
}
