//! `daemons.merge_memory`: daemons without address-space randomisation, opted in to KSM, and
//! ksmd started by `up` and restored by the last `down`. Checked from /proc and sysfs, not
//! from nsbgp's own output.

mod common;
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

const KSM: &str = "/sys/kernel/mm/ksm";
const ADDR_NO_RANDOMIZE: u32 = 0x0040000;

fn ksm(key: &str) -> String {
    std::fs::read_to_string(Path::new(KSM).join(key))
        .unwrap()
        .trim()
        .to_string()
}

/// The kernel's KSM advisor settings, where it has one (6.9+): mode and its two parameters.
fn advisor() -> Option<(String, String, String)> {
    Path::new(KSM).join("advisor_mode").exists().then(|| {
        (
            ksm("advisor_mode"),
            ksm("advisor_target_scan_time"),
            ksm("advisor_max_cpu"),
        )
    })
}

fn ksmd_nice() -> Option<i32> {
    let pid = nsbgp_ksmd()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 19 is nice; the command name (field 2) has no spaces for ksmd.
    stat.split_whitespace().nth(18)?.parse().ok()
}

fn nsbgp_ksmd() -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
        (comm.trim() == "ksmd").then_some(pid)
    })
}

/// (pid, personality, ksm_stat text) of every zebra and bgpd of the lab.
fn daemons(lab: &TestLab) -> Vec<(u32, u32, String)> {
    let mut v = Vec::new();
    for i in 0..lab.routers {
        for d in ["zebra", "bgpd"] {
            let pidf = lab
                .state_dir()
                .join("routers")
                .join(lab.router(i))
                .join(format!("run/{d}.pid"));
            let pid: u32 = std::fs::read_to_string(&pidf)
                .unwrap_or_else(|e| panic!("{}: {e}", pidf.display()))
                .trim()
                .parse()
                .unwrap();
            let pers = std::fs::read_to_string(format!("/proc/{pid}/personality")).unwrap();
            let pers = u32::from_str_radix(pers.trim(), 16).unwrap();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/ksm_stat")).unwrap();
            v.push((pid, pers, stat));
        }
    }
    v
}

fn stat_value(stat: &str, key: &str) -> String {
    stat.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim_start_matches(':').trim().to_string())
        .unwrap_or_default()
}

#[test]
fn merge_memory_shares_daemon_pages_and_down_restores_ksmd() {
    if !root_or_skip() {
        return;
    }
    if !Path::new(KSM).join("run").exists() {
        assert!(std::env::var_os("CI").is_none(), "CI machines have KSM");
        eprintln!("skipping: no KSM in this kernel");
        return;
    }
    let before = (ksm("run"), ksm("pages_to_scan"), ksmd_nice());
    let advisor_before = advisor();

    // Off (the default below 200 routers): ordinary daemons.
    let off = TestLab::new("mof", 3, "");
    assert_ok(
        &off.nsbgp(&["up", "-c", off.config.to_str().unwrap(), "--wait"]),
        "up (off)",
    );
    for (pid, pers, stat) in daemons(&off) {
        assert_eq!(pers & ADDR_NO_RANDOMIZE, 0, "pid {pid} runs without ASLR");
        assert_eq!(stat_value(&stat, "ksm_merge_any"), "no", "pid {pid}: {stat}");
    }
    assert_eq!(ksm("run"), before.0, "a lab without merging must not touch ksmd");
    drop(off);

    let lab = TestLab::new("mem", 6, "[daemons]\nmerge_memory = \"on\"");
    assert_ok(
        &lab.nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait"]),
        "up (on)",
    );
    assert_eq!(ksm("run"), "1", "up must start ksmd");
    // Back to the steady rate once the daemons have started (never below what was set) —
    // unless the host runs the kernel's advisor, which owns the rate.
    let host_advisor = advisor_before.as_ref().is_some_and(|a| a.0.contains("[scan-time]"));
    if !host_advisor {
        let before_pages: u64 = before.1.parse().unwrap();
        assert_eq!(ksm("pages_to_scan").parse::<u64>().unwrap(), before_pages.max(100));
    }
    assert_eq!(advisor(), advisor_before, "up leaves the advisor as the host has it");
    if before.2.is_some_and(|n| n > -10) {
        assert_eq!(ksmd_nice(), Some(-10));
    }
    let ds = daemons(&lab);
    assert_eq!(ds.len(), 12);
    for (pid, pers, stat) in &ds {
        assert_ne!(pers & ADDR_NO_RANDOMIZE, 0, "pid {pid} has ASLR on");
        assert_eq!(stat_value(stat, "ksm_merge_any"), "yes", "pid {pid}: {stat}");
    }
    // The point of it all: the kernel really merges pages across the routers' daemons.
    let deadline = Instant::now() + Duration::from_secs(60);
    let merging = loop {
        let m: u64 = daemons(&lab)
            .iter()
            .map(|(_, _, s)| stat_value(s, "ksm_merging_pages").parse::<u64>().unwrap_or(0))
            .sum();
        if m >= 1000 || Instant::now() > deadline {
            break m;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        merging >= 1000,
        "only {merging} pages merged across 12 daemons after 60 s"
    );

    let out = lab.on_lab(&["down"]);
    assert_ok(&out, "down");
    let others = std::fs::read_dir("/run/nsbgp")
        .map(|d| d.flatten().any(|e| e.path().is_dir()))
        .unwrap_or(false);
    if others {
        // Another lab is running on this host: ksmd is restored when the last one goes down.
        assert!(Path::new("/run/nsbgp/ksm.saved").exists());
    } else {
        assert!(text(&out).contains("restored ksmd settings"), "{}", text(&out));
        assert_eq!((ksm("run"), ksmd_nice()), (before.0.clone(), before.2));
        // Under the host's advisor the kernel moves pages_to_scan itself.
        if !host_advisor {
            assert_eq!(ksm("pages_to_scan"), before.1);
        }
        assert_eq!(advisor(), advisor_before);
        assert!(!Path::new("/run/nsbgp/ksm.saved").exists());
    }
    lab.assert_clean();
}
