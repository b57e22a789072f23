//! Consoles of a real 3-router lab: one-shot `vty` commands (one router and `all`), a rejected
//! command, `exec` inside a router, and `attach` driven through a pseudo-terminal.

mod common;
use common::*;
use nix::pty::openpty;
use nix::sys::termios;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::time::Duration;

fn wait_established(lab: &TestLab) {
    let n = lab.routers;
    wait_for(Duration::from_secs(60), || {
        (0..n)
            .all(|i| established(lab, &lab.router(i)) == if i == 0 || i == n - 1 { 1 } else { 2 })
            .then_some(())
    })
    .expect("sessions not established within 60 s");
}

#[test]
fn vty_exec_and_attach_on_three_routers() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("vty", 3, "");
    lab.up();
    wait_established(&lab);
    let (r0, r1, r2) = (lab.router(0), lab.router(1), lab.router(2));

    // One router, by name: both neighbours listed, Established (uptime shown).
    let out = lab.on_lab(&["vty", &r1, "-c", "show ip bgp summary"]);
    assert_ok(&out, "vty show ip bgp summary");
    let s = stdout(&out);
    for (addr, peer) in [("172.31.1.2", &r0), ("172.31.2.1", &r2)] {
        let line = s
            .lines()
            .find(|l| l.starts_with(addr))
            .unwrap_or_else(|| panic!("neighbour {addr} missing:\n{s}"));
        assert!(line.contains(peer.as_str()), "{line}");
    }
    // The password is never printed.
    let secret = std::fs::read_to_string(lab.state_dir().join("secret")).unwrap();
    assert!(!text(&out).contains(secret.trim()));

    // By AS and by index, too.
    assert_ok(&lab.on_lab(&["vty", "AS101", "-c", "show version"]), "vty AS101");
    assert_ok(
        &lab.on_lab(&["vty", "1", "-d", "zebra", "-c", "show version"]),
        "vty 1 zebra",
    );

    // `all`: three groups in chain order, each with its own routes.
    let out = lab.on_lab(&["vty", "all", "-d", "zebra", "-c", "show ip route"]);
    assert_ok(&out, "vty all show ip route");
    let s = stdout(&out);
    let headers: Vec<&str> = s.lines().filter(|l| l.starts_with("===== ")).collect();
    assert_eq!(headers.len(), 3, "{s}");
    for (h, r) in headers.iter().zip([&r0, &r1, &r2]) {
        assert!(h.contains(&format!(" {r} ")), "{h}");
    }
    assert!(s.contains("C>* 198.51.100.0/24 is directly connected, lo"), "{s}");

    // JSON: FRR's own JSON passed through parsed.
    let out = lab.on_lab(&["vty", &r1, "-c", "show bgp summary json", "--json"]);
    assert_ok(&out, "vty --json");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["router"], r1.as_str());
    assert_eq!(v[0]["results"][0]["json"]["ipv4Unicast"]["as"], 101);

    // A command the daemon rejects: non-zero exit, the daemon's message shown.
    let out = lab.on_lab(&["vty", &r1, "-c", "show no-such-thing"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("Unknown command"), "{}", text(&out));
    // An unknown router: exit 2, and it says what is accepted.
    let out = lab.on_lab(&["vty", "ROUTER_X", "-c", "show version"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // exec: that router's addresses only, exit code passed through.
    let out = nsbgp(&["exec", &r2, "--lab", &lab.name, "--", "ip", "-br", "addr"]);
    assert_ok(&out, "exec ip -br addr");
    let s = stdout(&out);
    assert!(s.contains("172.31.2.1/24"), "{s}");
    assert!(
        !s.contains("172.31.1.1/") && !s.contains("172.31.1.2/"),
        "other routers' addresses:\n{s}"
    );
    let out = nsbgp(&["exec", &r2, "--lab", &lab.name, "--", "sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7));

    attach_through_a_pty(&lab, &r1);
}

fn attach_through_a_pty(lab: &TestLab, router: &str) {
    let (mut s, greet) = PtyAttach::start(lab, router, Duration::from_secs(10));
    assert!(greet.contains("Ctrl-] leaves"), "banner missing:\n{greet}");
    s.send(b"show ip bgp summary\r");
    let out = s.read_until("Total number of neighbors 2", Duration::from_secs(10));
    assert!(out.contains("Total number of neighbors 2"), "no answer:\n{out}");
    // Ctrl-] leaves, back to the caller with the terminal restored.
    s.leave("left bgpd", Duration::from_secs(5));
}

#[test]
fn attach_errors_leave_the_terminal_alone() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("vta", 2, "");
    lab.up();
    // Not a terminal: exit 2 with a hint to use `vty`.
    let out = lab.on_lab(&["attach", &lab.router(1)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("nsbgp vty"), "{}", text(&out));
    // Daemon dead: a clear error, exit 1, terminal untouched.
    let pid: i32 = std::fs::read_to_string(lab.state_dir().join(format!("routers/{}/run/bgpd.pid", lab.router(1))))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    // SIGKILL is asynchronous: wait (bounded) until the process is gone or a zombie.
    wait_for(Duration::from_secs(5), || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        (stat.is_empty() || stat.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z'))).then_some(())
    })
    .expect("killed bgpd still running after 5 s");
    let pty = openpty(None, None).unwrap();
    let before = termios::tcgetattr(pty.slave.as_fd()).unwrap();
    let out = start(
        Command::new(NSBGP)
            .args(["attach", &lab.router(1), "--lab", &lab.name])
            .stdin(Stdio::from(pty.slave.try_clone().unwrap())),
    )
    .wait(NSBGP_LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("not running"), "{}", text(&out));
    let after = termios::tcgetattr(pty.slave.as_fd()).unwrap();
    assert_eq!(after.local_flags, before.local_flags);
}
