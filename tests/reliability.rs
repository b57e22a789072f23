//! Crashes, concurrency and bad input against real labs: `kill -9` of `up` at several
//! points, two `up`s at once, `down` during `up`, and every bad input exits 2 with no
//! trace on the host.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Starts `up` paused after `stage`, kills it with SIGKILL there, then `down` must clean up.
fn killed_at(tag: &str, stage: &str) {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new(tag, 6, "");
    let (mut child, paused) = lab.up_paused(stage);
    child.kill().unwrap();
    reap(&mut child, Duration::from_secs(30));
    assert!(
        paused.contains(&format!("paused after {stage}")),
        "up did not reach {stage}: {paused:?}"
    );
    // Something was built, and the lab is listed as crashed.
    assert!(std::path::Path::new("/run/netns").join(lab.router(0)).exists());
    let list = nsbgp(&["list"]);
    assert_ok(&list, "list");
    let list = stdout(&list);
    assert!(
        list.lines().any(|l| l.starts_with(&lab.name) && l.contains("crashed")),
        "{list}"
    );
    let out = lab.on_lab(&["down"]);
    assert_ok(&out, "down after kill -9");
    lab.assert_clean();
}

#[test]
fn kill_9_after_namespaces_then_down_cleans_everything() {
    killed_at("kna", "namespaces");
}

#[test]
fn kill_9_after_links_then_down_cleans_everything() {
    killed_at("knb", "links");
}

#[test]
fn kill_9_after_files_then_down_cleans_everything() {
    killed_at("knc", "files");
}

#[test]
fn kill_9_while_daemons_start_then_down_cleans_everything() {
    killed_at("knd", "daemons");
}

#[test]
fn two_ups_of_one_lab_exactly_one_wins() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("two", 4, "");
    let spawn = || {
        start(
            Command::new(NSBGP)
                .args(["up", "-c", lab.config.to_str().unwrap()])
                .stdin(Stdio::null()),
        )
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait(NSBGP_LIMIT), b.wait(NSBGP_LIMIT));
    let codes = [a.status.code(), b.status.code()];
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(2)),
        "codes {codes:?}:\n{}\n{}",
        text(&a),
        text(&b)
    );
    let loser = if a.status.code() == Some(2) { &a } else { &b };
    assert!(text(loser).contains("already running"), "{}", text(loser));
    // The winner's lab is intact: every router's bgpd is alive.
    let list = nsbgp(&["list"]);
    assert_ok(&list, "list");
    let list = stdout(&list);
    assert!(
        list.lines()
            .any(|l| l.starts_with(&lab.name) && l.contains(" 8/8 ") && l.contains("running")),
        "{list}"
    );
}

#[test]
fn down_during_up_stops_up_and_cleans_up() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("dwu", 4, "");
    let (mut child, _) = lab.up_paused("links");
    let out = lab.on_lab(&["down"]);
    let status = wait_for(Duration::from_secs(30), || child.try_wait().unwrap());
    assert_ok(&out, "down during up");
    let status = status.expect("up still running 30 s after down");
    assert_eq!(status.code(), Some(1), "up, stopped by down, reports a runtime failure");
    lab.assert_clean();
}

#[test]
fn bad_input_exits_2_and_changes_nothing() {
    if !root_or_skip() {
        return;
    }
    let dir = tempdir("bad");
    let cases: &[(&str, &str)] = &[
        ("name = \"bi\"\nrouters = 0", "0 routers: a lab needs at least 1"),
        ("name = \"bi\"\nrouters = -1", "routers"),
        // Within the 2000-router limit but past the default AS range (100 … 1099).
        (
            "name = \"bi\"\nrouters = 1001",
            "1001 routers need AS 100..1100 but the lab's AS range is 100..=1099",
        ),
        (
            "name = \"bi\"\nrouters = 2001",
            "above nsbgp's limit of 2000 routers per lab",
        ),
        ("name = \"bi\"\nrouters = 3\nfirst_asn = 0", "first_asn"),
        ("name = \"bi\"\nrouters = 3\nlink_pool = \"10.0.0.0/33\"", "link_pool"),
        (
            "name = \"bi\"\nrouters = 3\nstub_prefix = \"172.31.9.0/24\"",
            "stub_prefix",
        ),
        (
            "name = \"bi\"\nrouters = 3\nrouter_prefix = \"A_VERY_LONG_NAME_\"",
            "router_prefix",
        ),
        ("name = \"bi\"\nrouters = 3\nrouter_prefix = \"a/b\"", "router_prefix"),
        ("name = \"bi\"\nrouters = 3\ncolour = \"red\"", "unknown field"),
        ("name = \"bi\"\nrouters = \"3\"", "invalid type"),
        (
            "name = \"bi\"\nrouters = 3\nfrr_dir = \"/nonexistent/frr\"",
            "apt-get install -y frr",
        ),
    ];
    let before = leftovers("bi", "ROUTER_");
    for (i, (body, needle)) in cases.iter().enumerate() {
        let f = dir.0.join(format!("bad{i}.toml"));
        std::fs::write(&f, body).unwrap();
        let out = nsbgp(&["up", "-c", f.to_str().unwrap()]);
        let msg = text(&out);
        assert_eq!(out.status.code(), Some(2), "{body:?}: {msg}");
        assert!(
            msg.contains(needle),
            "{body:?}: message does not mention {needle:?}: {msg}"
        );
        assert!(
            !std::path::Path::new("/run/nsbgp/bi").exists(),
            "{body:?} left a state directory"
        );
    }
    let missing = nsbgp(&["up", "-c", "/nonexistent/lab.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing).contains("/nonexistent/lab.toml"), "{}", text(&missing));
    let nolab = nsbgp(&["down", "--lab", "no-such-lab-here"]);
    assert!(
        nolab.status.success(),
        "down of an absent lab is a no-op: {}",
        text(&nolab)
    );
    assert_eq!(leftovers("bi", "ROUTER_"), before);
}

#[test]
fn same_lab_twice_is_refused() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("twi", 2, "");
    lab.up();
    let out = nsbgp(&["up", "-c", lab.config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("already running"), "{}", text(&out));
}

#[test]
fn daemons_cannot_write_the_hosts_system_dirs_or_see_other_routers() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("iso", 2, "");
    lab.up();
    let r0 = lab.router(0);
    let pid = std::fs::read_to_string(lab.state_dir().join("routers").join(&r0).join("run/bgpd.pid"))
        .unwrap()
        .trim()
        .to_string();
    // A shell as the frr user in bgpd's own mount namespace and root: what a compromised
    // daemon sees (nsenter and setpriv are util-linux, independent of nsbgp).
    let as_daemon = |script: &str| {
        sh(
            "nsenter",
            &[
                "-t",
                &pid,
                "-m",
                "-r",
                "--",
                "setpriv",
                "--reuid=frr",
                "--regid=frr",
                "--clear-groups",
                "sh",
                "-c",
                script,
            ],
        )
    };
    for p in ["/etc/nsbgp-test", "/usr/nsbgp-test", "/usr/lib/frr/nsbgp-test"] {
        let o = as_daemon(&format!("echo x > {p}"));
        assert!(!o.status.success(), "frr could write {p} in the chroot");
        assert!(!std::path::Path::new(p).exists(), "{p} appeared on the host");
    }
    let o = as_daemon("echo x > /var/log/frr/probe && echo x > /tmp/probe");
    assert_ok(&o, "frr writes its own log and tmp dirs");
    assert!(lab.state_dir().join("routers").join(&r0).join("log/probe").exists());
    // Another router's files are not in this router's view at all.
    let o = as_daemon(&format!("ls /run/nsbgp/{}", lab.name));
    assert!(
        !o.status.success(),
        "router 0 can see the lab's state directory: {}",
        text(&o)
    );
}

/// A lab left by an earlier boot (simulated: daemons and namespaces gone, the state's boot id
/// changed, and a namespace of the same name made by someone else since): `list` notices,
/// cleans the lab's files, trusts none of its pids or namespaces, leaves the stranger alone.
#[test]
fn stale_state_from_an_earlier_boot_is_cleaned_not_trusted() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("stl", 2, "");
    lab.up();
    let dir = lab.state_dir();
    // "Reboot": every process and namespace of the lab disappears.
    for i in 0..2 {
        let r = lab.router(i);
        for d in ["bgpd", "zebra"] {
            let pid: i32 = std::fs::read_to_string(dir.join(format!("routers/{r}/run/{d}.pid")))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
    // Bounded poll until the killed daemons have left the namespaces.
    let gone = wait_for(std::time::Duration::from_secs(30), || {
        (0..2)
            .all(|i| {
                let ns = std::fs::read_dir("/proc").into_iter().flatten().flatten().any(|e| {
                    std::fs::read_link(e.path().join("root"))
                        .is_ok_and(|r| r.starts_with(&dir) && r.to_string_lossy().contains(&lab.router(i)))
                });
                !ns
            })
            .then_some(())
    });
    assert!(gone.is_some(), "killed daemons still running after 30 s");
    for i in 0..2 {
        assert_ok(&sh("ip", &["netns", "del", &lab.router(i)]), "ip netns del");
    }
    let state_file = dir.join("state.json");
    let mut state: serde_json::Value = serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    state["boot_id"] = "an-earlier-boot".into();
    // Its `up` pid now names an unrelated process: ours. It must not be signalled.
    state["up_pid"] = std::process::id().into();
    std::fs::write(&state_file, serde_json::to_vec(&state).unwrap()).unwrap();
    // After the reboot someone else created a namespace with one of the lab's names.
    let stranger = lab.router(1);
    assert_ok(&sh("ip", &["netns", "add", &stranger]), "ip netns add");

    let out = nsbgp(&["list"]);
    assert_ok(&out, "list");
    assert!(text(&out).contains("earlier boot"), "{}", text(&out));
    assert!(
        !text(&out).contains(&format!("\n{} ", lab.name)),
        "stale lab still listed:\n{}",
        text(&out)
    );
    assert!(!dir.exists(), "stale state directory not removed");
    assert!(!std::path::Path::new("/etc/netns").join(lab.router(0)).exists());
    // The stranger's namespace is untouched.
    assert!(sh_ok("ip", &["netns", "list"])
        .lines()
        .any(|l| l.split_whitespace().next() == Some(&stranger)));
    assert_ok(&sh("ip", &["netns", "del", &stranger]), "remove the stranger");
}
