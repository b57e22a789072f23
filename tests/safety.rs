//! Safety by construction (issue 15) against real labs and real state directories: lab
//! directories that are links, world-writable or someone else's; a corrupt ledger; two labs
//! that share a router prefix started at once; signals to `up` in the middle of building and
//! to `experiment`. What must be left behind is checked with independent tools (`ip netns`,
//! `findmnt`, /proc, stat).

mod common;
use common::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn netns_list() -> String {
    String::from_utf8_lossy(&sh("ip", &["netns", "list"]).stdout).into_owned()
}

fn findmnt_targets() -> String {
    String::from_utf8_lossy(&sh("findmnt", &["-rn", "-o", "TARGET"]).stdout).into_owned()
}

fn with_state(root: &Path, args: &[&str]) -> Output {
    nsbgp_in(root, args)
}

/// Waits (bounded) for a child to exit; kills it and fails if it does not.
fn wait_exit(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    match wait_for(limit, || child.try_wait().unwrap()) {
        Some(s) => s,
        None => {
            let _ = child.kill();
            panic!("process {} did not exit within {limit:?}", child.id());
        }
    }
}

fn signal(child: &std::process::Child, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), sig).unwrap();
}

/// A scratch state root holding one lab directory `victim-lab` with a valid `lab.json`
/// whose `frr_dir` holds a `bgpd` that would leave a marker if anything ran it.
struct Planted {
    _dir: TempDir,
    root: PathBuf,
    lab_dir: PathBuf,
    marker: PathBuf,
}

fn planted() -> Planted {
    let dir = tempdir("sfp");
    let base = dir.0.clone();
    let evil = base.join("evil");
    std::fs::create_dir(&evil).unwrap();
    let marker = base.join("ran");
    for d in ["bgpd", "zebra"] {
        let p = evil.join(d);
        std::fs::write(&p, format!("#!/bin/sh\ntouch {}\n", marker.display())).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let cfg = base.join("lab.toml");
    std::fs::write(
        &cfg,
        format!(
            "name = \"victim-lab\"\nrouters = 2\nrouter_prefix = \"sfp{}_\"\nfrr_dir = \"{}\"\n",
            std::process::id() % 1000,
            evil.display()
        ),
    )
    .unwrap();
    let lab = nsbgp::config::load(&cfg, &Default::default()).unwrap();
    let root = base.join("state");
    std::fs::create_dir(&root).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).unwrap();
    let lab_dir = root.join("victim-lab");
    std::fs::create_dir(&lab_dir).unwrap();
    std::fs::set_permissions(&lab_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(lab_dir.join("lab.json"), serde_json::to_vec(&lab).unwrap()).unwrap();
    std::fs::write(lab_dir.join("ledger.jsonl"), "").unwrap();
    std::fs::write(lab_dir.join("keep"), "the user's").unwrap();
    Planted {
        _dir: dir,
        root,
        lab_dir,
        marker,
    }
}

/// down, status and restart refuse (exit 1, what is wrong and the fix), nothing runs, nothing
/// in the directory is removed.
fn refused(p: &Planted, expect_in_message: &str) {
    for args in [
        vec!["down", "--lab", "victim-lab"],
        vec!["status", "--lab", "victim-lab"],
        vec!["restart", "0", "bgpd", "--lab", "victim-lab"],
        vec!["exec", "0", "--lab", "victim-lab", "--", "true"],
    ] {
        let o = with_state(&p.root, &args);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {t}");
        assert!(t.contains(expect_in_message) && t.contains("Fix:"), "{args:?}: {t}");
    }
    assert!(!p.marker.exists(), "a program from the lab's frr_dir ran");
    let ls = String::from_utf8_lossy(&sh("ls", &["-A", p.lab_dir.to_str().unwrap()]).stdout).into_owned();
    assert!(
        ls.contains("keep") && ls.contains("lab.json") && ls.contains("ledger.jsonl"),
        "{ls}"
    );
}

#[test]
fn a_world_writable_lab_dir_is_refused_and_nothing_runs_from_it() {
    if !root_or_skip() {
        return;
    }
    let p = planted();
    std::fs::set_permissions(&p.lab_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    refused(&p, "writable by others");
    // The same directory, root's and private again, is accepted as far as the namespaces:
    // the lab's ledger recorded none, so nothing is entered or started.
    std::fs::set_permissions(&p.lab_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let o = with_state(&p.root, &["restart", "0", "bgpd", "--lab", "victim-lab"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not the one this lab created"), "{}", text(&o));
    assert!(!p.marker.exists());
}

#[test]
fn a_foreign_owned_lab_dir_is_refused() {
    if !root_or_skip() {
        return;
    }
    let p = planted();
    std::os::unix::fs::chown(&p.lab_dir, Some(65534), Some(65534)).unwrap();
    refused(&p, "owned by uid 65534");
    assert_eq!(std::fs::metadata(&p.lab_dir).unwrap().uid(), 65534);
}

#[test]
fn a_symlinked_lab_dir_is_refused_and_its_target_kept() {
    if !root_or_skip() {
        return;
    }
    let p = planted();
    let real = p.root.parent().unwrap().join("elsewhere");
    std::fs::rename(&p.lab_dir, &real).unwrap();
    std::os::unix::fs::symlink(&real, &p.lab_dir).unwrap();
    for args in [
        vec!["down", "--lab", "victim-lab"],
        vec!["status", "--lab", "victim-lab"],
        vec!["restart", "0", "bgpd", "--lab", "victim-lab"],
    ] {
        let o = with_state(&p.root, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("symbolic link"), "{}", text(&o));
    }
    assert!(!p.marker.exists());
    assert_eq!(std::fs::read_to_string(real.join("keep")).unwrap(), "the user's");
    assert!(real.join("lab.json").exists());
    assert!(std::fs::symlink_metadata(&p.lab_dir).unwrap().file_type().is_symlink());
}

#[test]
fn a_tampered_lab_json_is_not_acted_on() {
    if !root_or_skip() {
        return;
    }
    let p = planted();
    let path = p.lab_dir.join("lab.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["routers"][1]["name"] = "../../../tmp/x".into();
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    let o = with_state(&p.root, &["restart", "1", "bgpd", "--lab", "victim-lab"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("no longer the lab nsbgp wrote"), "{}", text(&o));
    assert!(!p.marker.exists());
}

#[test]
fn a_corrupt_ledger_keeps_the_lab_and_says_how_to_recover() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("scl", 3, "");
    lab.up();
    let ledger = lab.state_dir().join("ledger.jsonl");
    let good = std::fs::read_to_string(&ledger).unwrap();
    let (first, rest) = good.split_once('\n').unwrap();
    std::fs::write(&ledger, format!("{first}\nnot json at all\n{rest}")).unwrap();
    let o = lab.on_lab(&["down"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("line 2") && text(&o).contains("Fix:"), "{}", text(&o));
    let ns = netns_list();
    for i in 0..3 {
        assert!(
            ns.contains(&lab.router(i)),
            "namespace {} was deleted:\n{ns}",
            lab.router(i)
        );
    }
    assert!(lab.state_dir().join("lab.json").exists());
    // Unreadable (a directory where the file was): the same.
    std::fs::rename(&ledger, lab.state_dir().join("ledger.saved")).unwrap();
    std::fs::create_dir(&ledger).unwrap();
    let o = lab.on_lab(&["down"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("cannot read the lab's ledger"), "{}", text(&o));
    assert!(netns_list().contains(&lab.router(0)));
    // Repaired as the message says: down removes everything (checked again on drop).
    std::fs::remove_dir(&ledger).unwrap();
    std::fs::write(&ledger, good).unwrap();
    assert_ok(&lab.on_lab(&["down"]), "down after the repair");
    lab.assert_clean();
}

/// Takes a lab down by name on drop (for a lab that is not a `TestLab`).
struct DownOnDrop(String);
impl Drop for DownOnDrop {
    fn drop(&mut self) {
        let _ = nsbgp(&["down", "--lab", &self.0]);
    }
}

#[test]
fn two_labs_sharing_a_router_prefix_started_at_once_one_wins_untouched() {
    if !root_or_skip() {
        return;
    }
    let a = TestLab::new("spx", 4, "");
    let b_name = format!("{}-b", a.name);
    let _b_down = DownOnDrop(b_name.clone());
    let b_cfg = a.config.with_file_name("b.toml");
    std::fs::write(
        &b_cfg,
        format!("name = \"{b_name}\"\nrouters = 4\nrouter_prefix = \"{}\"\n", a.prefix),
    )
    .unwrap();
    let spawn = |cfg: &Path| {
        start(
            Command::new(NSBGP)
                .args(["up", "-c", cfg.to_str().unwrap(), "--wait", "--timeout", "120"])
                .stdin(Stdio::null()),
        )
    };
    let (ca, cb) = (spawn(&a.config), spawn(&b_cfg));
    let (oa, ob) = (ca.wait(NSBGP_LIMIT), cb.wait(NSBGP_LIMIT));
    let codes = [oa.status.code(), ob.status.code()];
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(2)),
        "codes {codes:?}:\n{}\n{}",
        text(&oa),
        text(&ob)
    );
    let (winner, loser) = if oa.status.code() == Some(0) {
        (a.name.clone(), &ob)
    } else {
        (b_name.clone(), &oa)
    };
    assert!(text(loser).contains("already exist"), "{}", text(loser));
    // The winner is whole: every namespace is there, and each router's daemons live in the
    // namespace /run/netns shows under its name (same inode), with BGP established.
    let ns = netns_list();
    for i in 0..4 {
        let r = a.router(i);
        assert!(ns.contains(&r), "{r} missing:\n{ns}");
        let ino = std::fs::metadata(format!("/run/netns/{r}")).unwrap().ino();
        let pid: u32 = std::fs::read_to_string(format!("/run/nsbgp/{winner}/routers/{r}/run/bgpd.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let link = std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap();
        assert_eq!(link.to_string_lossy(), format!("net:[{ino}]"), "{r}'s bgpd");
        let sock = format!("/run/nsbgp/{winner}/routers/{r}/run");
        let out = sh(
            "ip",
            &[
                "netns",
                "exec",
                &r,
                "vtysh",
                "--vty_socket",
                &sock,
                "-c",
                "show bgp summary json",
            ],
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let up = v["ipv4Unicast"]["peers"]
            .as_object()
            .map(|p| p.values().filter(|x| x["state"] == "Established").count())
            .unwrap_or(0);
        assert_eq!(up, if i == 0 || i == 3 { 1 } else { 2 }, "{r}: {v}");
    }
    assert!(!Path::new("/run/nsbgp")
        .join(if winner == a.name { &b_name } else { &a.name })
        .exists());
    assert_ok(&nsbgp(&["down", "--lab", &winner]), "down of the winner");
    a.assert_clean();
}

/// `up` stopped by `sig` while paused at `stage`: it rolls back (exit 1) and leaves nothing.
fn signalled_up(tag: &str, stage: &str, sig: nix::sys::signal::Signal) {
    let lab = TestLab::new(tag, 6, "");
    let (mut child, paused) = lab.up_paused(stage);
    assert!(paused.contains(&format!("paused after {stage}")), "{paused:?}");
    // Mid-creation: at least the first namespace exists right now.
    assert!(netns_list().contains(&lab.prefix), "no namespace yet");
    signal(&child, sig);
    let status = wait_exit(&mut child, Duration::from_secs(120));
    assert_eq!(status.code(), Some(1), "up stopped by {sig:?}");
    let ns = netns_list();
    assert!(!ns.contains(&lab.prefix), "namespaces left:\n{ns}");
    let mounts = findmnt_targets();
    assert!(
        !mounts.contains(&format!("/run/netns/{}", lab.prefix))
            && !mounts.contains(&format!("/run/nsbgp/{}", lab.name)),
        "mounts left:\n{mounts}"
    );
    lab.assert_clean();
}

#[test]
fn sigterm_to_up_in_the_middle_of_creating_namespaces_rolls_back() {
    if !root_or_skip() {
        return;
    }
    signalled_up("stn", "mid-namespaces", nix::sys::signal::Signal::SIGTERM);
}

#[test]
fn sighup_to_up_after_the_links_rolls_back() {
    if !root_or_skip() {
        return;
    }
    signalled_up("shl", "links", nix::sys::signal::Signal::SIGHUP);
}

#[test]
fn sigterm_to_experiment_takes_its_lab_down() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("sxe", 4, "");
    let dir = lab.config.parent().unwrap().to_path_buf();
    let file = dir.join("e.toml");
    std::fs::write(
        &file,
        format!(
            "name = \"sig\"\nlab = \"{}\"\nmeasure = \"203.0.113.0/24\"\n\
             [[step]]\naction = \"announce\"\nrouter = \"0\"\nprefix = \"203.0.113.0/24\"\n\
             [[step]]\naction = \"wait\"\nseconds = 600\n",
            lab.config.display()
        ),
    )
    .unwrap();
    let out = dir.join("results");
    let child = start(
        Command::new(NSBGP)
            .args(["experiment", file.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .stdin(Stdio::null()),
    );
    // Until its lab is built and running (bounded).
    let state = lab.state_dir().join("state.json");
    let running = wait_for(Duration::from_secs(120), || {
        std::fs::read_to_string(&state)
            .ok()
            .filter(|s| s.contains("\"running\""))
    });
    assert!(running.is_some(), "the experiment's lab never ran");
    assert!(netns_list().contains(&lab.router(3)));
    signal(&child.child, nix::sys::signal::Signal::SIGTERM);
    let done = child.wait(Duration::from_secs(120));
    let err = String::from_utf8_lossy(&done.stderr).into_owned();
    assert_eq!(done.status.code(), Some(1), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(!netns_list().contains(&lab.prefix));
    assert!(!findmnt_targets().contains(&format!("/run/nsbgp/{}", lab.name)));
    lab.assert_clean();
}

#[test]
fn vty_and_attach_send_each_command_to_the_daemon_that_knows_it() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("svr", 3, "");
    assert_ok(
        &nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", "120"]),
        "up --wait",
    );
    // The first command most users type, on every router: zebra answers it.
    let o = lab.on_lab(&["vty", "all", "-c", "show ip route"]);
    assert_ok(&o, "vty all -c 'show ip route'");
    assert_eq!(stdout(&o).matches("0.0.0.0/0").count(), 2, "{}", stdout(&o));
    // --json names the daemon that answered each command.
    let o = lab.on_lab(&[
        "vty",
        "1",
        "--json",
        "-c",
        "show ip route json",
        "-c",
        "show interface brief",
        "-c",
        "show ip bgp summary json",
        "-c",
        "show version",
    ]);
    assert_ok(&o, "vty --json");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let daemons: Vec<&str> = v[0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["daemon"].as_str().unwrap())
        .collect();
    assert_eq!(daemons, ["zebra", "zebra", "bgpd", "bgpd"]);
    // The same routes as FRR's own vtysh shows (an independent client).
    let ours = &v[0]["results"][0]["json"];
    let theirs: serde_json::Value = serde_json::from_str(&vtysh(&lab, &lab.router(1), "show ip route json")).unwrap();
    let keys = |j: &serde_json::Value| j.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(ours), keys(&theirs));
    // -d still pins the daemon: bgpd does not know `show ip route`.
    let o = lab.on_lab(&["vty", "1", "-d", "bgpd", "-c", "show ip route"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    // attach without a daemon: bgpd's session, and `show ip route` answered by zebra.
    let (mut s, greet) = PtyAttach::start(&lab, &lab.router(2), Duration::from_secs(20));
    assert!(greet.contains("go to zebra"), "{greet}");
    s.send(b"show ip route\r");
    let out = s.read_until("0.0.0.0/0", Duration::from_secs(20));
    assert!(out.contains("0.0.0.0/0") && !out.contains("Unknown command"), "{out}");
    s.send(b"show ip bgp summary\r");
    let out = s.read_until("Total number of neighbors 1", Duration::from_secs(20));
    assert!(out.contains("Total number of neighbors 1"), "{out}");
    s.leave("left bgpd", Duration::from_secs(20));
}

#[test]
fn sigterm_to_experiment_on_a_running_lab_puts_the_lab_back() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("sxr", 4, "");
    assert_ok(
        &nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", "120"]),
        "up --wait",
    );
    let dir = lab.config.parent().unwrap().to_path_buf();
    let file = dir.join("e.toml");
    std::fs::write(
        &file,
        "name = \"sigr\"\nmeasure = \"203.0.113.0/24\"\n\
         [[step]]\naction = \"announce\"\nrouter = \"0\"\nprefix = \"203.0.113.0/24\"\n\
         [[step]]\naction = \"wait\"\nseconds = 600\n",
    )
    .unwrap();
    let out = dir.join("results");
    let child = start(
        Command::new(NSBGP)
            .args([
                "experiment",
                file.to_str().unwrap(),
                "--lab",
                &lab.name,
                "--out",
                out.to_str().unwrap(),
            ])
            .stdin(Stdio::null()),
    );
    // `ip` must succeed: an empty answer from a failed `ip` is not "withdrawn".
    let route_at = |i: usize| sh_ok("ip", &["-n", &lab.router(i), "route", "show", "203.0.113.0/24"]);
    // The announcement has crossed the lab (bounded poll, by the kernel's own table).
    assert!(
        wait_for(Duration::from_secs(60), || (!route_at(3).trim().is_empty())
            .then_some(()))
        .is_some(),
        "the announcement never reached the far end"
    );
    signal(&child.child, nix::sys::signal::Signal::SIGTERM);
    let done = child.wait(Duration::from_secs(60));
    let err = String::from_utf8_lossy(&done.stderr).into_owned();
    assert_eq!(done.status.code(), Some(1), "{err}");
    assert!(err.contains("interrupted; the lab was put back"), "{err}");
    // Withdrawn everywhere, and the lab itself still runs.
    assert!(
        wait_for(Duration::from_secs(60), || (1..4)
            .all(|i| route_at(i).trim().is_empty())
            .then_some(()))
        .is_some(),
        "the announcement was not withdrawn"
    );
    let ns = netns_list();
    assert!((0..4).all(|i| ns.contains(&lab.router(i))), "{ns}");
    assert_eq!(established(&lab, &lab.router(1)), 2);
}
