//! BIRD 2 as the routing suite: a 10-router BIRD chain and a 10-router mixed chain (FRR and
//! BIRD alternating), checked with independent tools — BIRD's own `birdc` on the control
//! socket, `ip route` in the namespaces, `/proc/PID/{root,status}` — plus nsbgp's trace,
//! check, experiment, restart and down.

mod common;
use common::*;
use serde_json::Value;
use std::time::Duration;

/// Capabilities BIRD keeps when it drops to its user: NET_BIND_SERVICE (10), NET_BROADCAST
/// (11), NET_ADMIN (12), NET_RAW (13).
const BIRD_CAPS: u64 = 0x3c00;
const CAP_NET_ADMIN: u64 = 1 << 12;

fn bird_pid(lab: &TestLab, router: &str) -> u32 {
    let p = lab.state_dir().join(format!("routers/{router}/run/bird.pid"));
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .trim()
        .parse()
        .unwrap()
}

/// `attach` on a BIRD router through a pseudo-terminal: raw while attached, a command edited
/// with backspace answered without reply codes, Ctrl-] leaves, the terminal restored.
fn attach_bird_through_a_pty(lab: &TestLab, router: &str) {
    let (mut s, greet) = PtyAttach::start(lab, router, Duration::from_secs(10));
    assert!(greet.contains("Ctrl-] or `quit` leaves"), "banner missing:\n{greet}");
    assert!(greet.contains("BIRD 2."), "no greeting:\n{greet}");
    s.send(b"show statuz\x7fs\r");
    let out = s.read_until("Daemon is up and running", Duration::from_secs(10));
    assert!(out.contains("Daemon is up and running"), "no answer:\n{out}");
    assert!(!out.contains("0013"), "reply codes shown:\n{out}");
    s.leave("left bird", Duration::from_secs(5));
}

/// A live (not zombie) process named bird.
fn bird_running(pid: u32) -> bool {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit_once(") ").and_then(|(_, r)| r.chars().next());
    comm.trim() == "bird" && !matches!(state, Some('Z' | 'X') | None)
}

fn status_json(lab: &TestLab) -> Value {
    let o = lab.on_lab(&["status", "--json"]);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("status --json: {e}\n{}", text(&o)))
}

fn field<'a>(status: &'a str, key: &str) -> &'a str {
    status
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("no {key} in {status}"))
        .split_whitespace()
        .nth(1)
        .unwrap()
}

/// Every router's kernel has the far links, the stub and the default as BIRD or FRR put them
/// there, via the neighbour towards router 0.
fn assert_kernel_routes(lab: &TestLab, n: usize) {
    for i in 1..n {
        let r = lab.router(i);
        let routes = sh_ok("ip", &["-n", &r, "-4", "route"]);
        let upstream = format!("via 172.31.{i}.2 ");
        for want in ["default ", "198.51.100.0/24 "] {
            let line = routes
                .lines()
                .find(|l| l.starts_with(want))
                .unwrap_or_else(|| panic!("{r} has no {want}route:\n{routes}"));
            assert!(line.contains(&upstream), "{r}: {line}");
        }
        for k in 1..n {
            assert!(
                routes.contains(&format!("172.31.{k}.0/24 ")),
                "{r} lacks link {k}:\n{routes}"
            );
        }
    }
}

#[test]
fn bird_chain_of_ten() {
    if !root_or_skip() {
        return;
    }
    let n = 10;
    let lab = TestLab::new("brd", n, "[daemons]\nsuite = \"bird\"\n");
    lab.up_wait(120, &[]);
    let bird_uid = nix::unistd::User::from_name("bird").unwrap().unwrap().uid.as_raw();

    // Every BIRD runs in its namespace and chroot, as the bird user, with network capabilities only.
    let mut pids = Vec::new();
    for i in 0..n {
        let r = lab.router(i);
        let pid = bird_pid(&lab, &r);
        pids.push(pid);
        let ident = sh_ok("ip", &["netns", "identify", &pid.to_string()]);
        assert_eq!(ident.trim(), r, "bird of {r} (pid {pid}) is in namespace {ident:?}");
        let root = std::fs::read_link(format!("/proc/{pid}/root")).unwrap();
        assert_eq!(root, lab.state_dir().join("routers").join(&r).join("root"));
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        // Real, effective, saved and filesystem uid.
        let uids: Vec<u32> = status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .unwrap()
            .split_whitespace()
            .skip(1)
            .map(|u| u.parse().unwrap())
            .collect();
        assert_eq!(uids.len(), 4);
        assert!(uids.iter().all(|&u| u == bird_uid), "{r}: bird runs with uids {uids:?}");
        let cap_eff = u64::from_str_radix(field(&status, "CapEff:"), 16).unwrap();
        assert_eq!(cap_eff & !BIRD_CAPS, 0, "{r}: bird keeps capabilities {cap_eff:#x}");
        assert_ne!(cap_eff & CAP_NET_ADMIN, 0, "{r}: bird cannot install routes");
        assert_eq!(
            std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap().trim(),
            "bird"
        );
        // The control socket and the log are inside the chroot's private directories.
        assert!(lab.state_dir().join(format!("routers/{r}/run/bird.ctl")).exists());
        assert!(lab.state_dir().join(format!("routers/{r}/log/bird.log")).exists());
    }

    // BIRD's own view: every session Established.
    for i in 0..n {
        let r = lab.router(i);
        let protos = birdc(&lab, &r, "show protocols");
        let established = protos
            .lines()
            .filter(|l| l.contains(" BGP ") && l.contains("Established"))
            .count();
        assert_eq!(established, if i == 0 || i == n - 1 { 1 } else { 2 }, "{r}:\n{protos}");
    }
    assert_kernel_routes(&lab, n);

    // status: BIRD routers carry suite and daemons; FRR's fields are null.
    let st = status_json(&lab);
    assert_eq!(st["converged"], true, "{st}");
    for (i, r) in st["routers"].as_array().unwrap().iter().enumerate() {
        assert_eq!(r["suite"], "bird", "{r}");
        assert_eq!(r["daemons"][0]["name"], "bird");
        assert_eq!(r["daemons"][0]["pid"], pids[i]);
        assert_eq!(r["daemons"][0]["alive"], true);
        for k in ["bgpd_pid", "zebra_pid", "bgpd_alive", "zebra_alive"] {
            assert!(r[k].is_null(), "{k} of a BIRD router: {r}");
        }
        if i > 0 {
            assert_eq!(r["default_as_path_len"], i as u64, "{r}");
        }
    }

    // The data plane: every router traces to world and across the chain.
    let o = lab.on_lab(&["check"]);
    assert_ok(&o, "check");
    assert!(stdout(&o).contains("check: "), "{}", text(&o));

    // vty runs BIRD commands; a bad one fails; vtysh is FRR-only.
    let o = lab.on_lab(&["vty", "5", "-c", "show route 0.0.0.0/0"]);
    assert_ok(&o, "vty show route");
    assert!(stdout(&o).contains("via 172.31.5.2"), "{}", text(&o));
    let o = lab.on_lab(&["vty", "5", "-c", "show nonsense"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = nsbgp(&["vtysh", "5", "--lab", &lab.name, "--", "-c", "show version"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("FRR-only"), "{}", text(&o));
    attach_bird_through_a_pty(&lab, &lab.router(3));

    // An announcement from router 0 is recorded at every other router.
    let (_dir, out, summary) = lab.experiment(
        "brd",
        &format!(
            "name = \"ann\"\nmeasure = \"203.0.113.0/24\"\nrepeat = 1\ntimeout_s = 60\n[[step]]\naction = \"announce\"\nrouter = \"{}\"\nprefix = \"203.0.113.0/24\"\n",
            lab.router(0)
        ),
    );
    let per = summary["per_router"].as_array().unwrap();
    assert_eq!(per.len(), n - 1, "{summary}");
    assert!(per.iter().all(|p| p["missing_runs"] == 0), "{summary}");
    assert!(summary["bird_version"].as_str().unwrap().starts_with("2."), "{summary}");
    let csv = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert_eq!(csv.lines().filter(|l| l.contains(",arrival,")).count(), n - 1, "{csv}");

    // Experiment kill/restart steps take daemon = "bird": the routers behind ROUTER_5 lose the
    // default when its bird dies and get it back when it restarts.
    let (_kill_dir, out, _) = lab.experiment(
        "brk",
        "name = \"kill\"\nmeasure = \"default\"\nrepeat = 1\ntimeout_s = 30\n[[step]]\naction = \"kill\"\nrouter = \"5\"\ndaemon = \"bird\"\n[[step]]\naction = \"restart\"\nrouter = \"5\"\ndaemon = \"bird\"\n",
    );
    let csv = std::fs::read_to_string(out.join("events.csv")).unwrap();
    for i in 6..n {
        for event in ["departure", "arrival"] {
            assert!(
                csv.lines()
                    .any(|l| l.starts_with(&format!("0,{},", lab.router(i))) && l.contains(event)),
                "no {event} at {}:\n{csv}",
                lab.router(i)
            );
        }
    }
    let pids: Vec<u32> = (0..n).map(|i| bird_pid(&lab, &lab.router(i))).collect();

    // restart: a new bird, and the lab converges again.
    let o = lab.on_lab(&["restart", "5", "bird"]);
    assert_ok(&o, "restart bird");
    let new_pid = bird_pid(&lab, &lab.router(5));
    assert_ne!(new_pid, pids[5]);
    assert!(!bird_running(pids[5]), "the old bird (pid {}) still runs", pids[5]);
    let st = wait_for(Duration::from_secs(90), || {
        let st = status_json(&lab);
        (st["converged"] == true).then_some(st)
    })
    .expect("the lab converges again after restarting bird");
    // nsbgp's word checked by the kernel's tables and birdc, against the test's own counts.
    assert_routing(&lab, &chain_links(n), 0);
    assert_eq!(st["routers"][5]["daemons"][0]["pid"], new_pid);
    let o = lab.on_lab(&["restart", "5", "bgpd"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    // down leaves nothing: no bird, namespace, mount, file.
    let o = lab.on_lab(&["down"]);
    assert_ok(&o, "down");
    lab.assert_clean();
    for pid in pids.iter().chain([&new_pid]) {
        assert!(!bird_running(*pid), "bird (pid {pid}) survived down");
    }
}

#[test]
fn mixed_chain_of_ten() {
    if !root_or_skip() {
        return;
    }
    let n = 10;
    let odd: String = (1..n)
        .step_by(2)
        .map(|i| format!("[[router]]\nindex = {i}\nsuite = \"bird\"\n"))
        .collect();
    // Links held while the daemons start, as large labs do: raised once every router runs.
    let lab = TestLab::new("mix", n, &format!("[daemons]\nhold_links = \"on\"\n{odd}"));
    lab.up_wait(120, &[]);

    let st = status_json(&lab);
    assert_eq!(st["converged"], true, "{st}");
    for (i, r) in st["routers"].as_array().unwrap().iter().enumerate() {
        let (suite, daemons) = if i % 2 == 1 {
            ("bird", vec!["bird"])
        } else {
            ("frr", vec!["zebra", "bgpd"])
        };
        assert_eq!(r["suite"], suite, "{r}");
        let names: Vec<&str> = r["daemons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, daemons, "{r}");
        assert_eq!(r["bgpd_alive"].is_null(), i % 2 == 1, "{r}");
    }
    // Each suite's own account of its sessions.
    assert_eq!(established(&lab, &lab.router(4)), 2);
    let protos = birdc(&lab, &lab.router(5), "show protocols");
    assert_eq!(protos.matches("Established").count(), 2, "{protos}");
    assert_kernel_routes(&lab, n);

    // End to end across both suites, in both directions.
    let far = lab.router(n - 1);
    let o = lab.on_lab(&["trace", "--from", &far, "--to", "world", "--expect-hops", "9"]);
    assert_ok(&o, "trace far end to world");
    let o = lab.on_lab(&["trace", "--from", "0", "--to", &far, "--expect-hops", "9"]);
    assert_ok(&o, "trace 0 to the far end");
    let o = lab.on_lab(&["check", "--sample", "4"]);
    assert_ok(&o, "check");
}

/// `up` killed with SIGKILL while it starts the BIRDs: `down` finds every bird it started
/// (recorded in the ledger or running in the lab's namespaces) and leaves nothing.
#[test]
fn bird_lab_survives_a_killed_up() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("brk", 4, "[daemons]\nsuite = \"bird\"\n");
    let (mut child, paused) = lab.up_paused("daemons");
    // Router 1's bird has started when `up` pauses.
    let pid = bird_pid(&lab, &lab.router(1));
    assert!(
        bird_running(pid),
        "bird of {} (pid {pid}) is not running",
        lab.router(1)
    );
    child.kill().unwrap();
    reap(&mut child, std::time::Duration::from_secs(30));
    assert!(paused.contains("paused after daemons"), "up did not pause: {paused:?}");
    let o = lab.on_lab(&["down"]);
    assert_ok(&o, "down after a killed up");
    lab.assert_clean();
    assert!(!bird_running(pid), "bird (pid {pid}) survived down");
}
