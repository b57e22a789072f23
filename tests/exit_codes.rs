//! Exit codes of programs run in a router (issue 21): `exec` and `vtysh` end with the
//! program's own status (returned up to `main`, not `process::exit` from inside), without an
//! nsbgp error line; a BIRD router has no vtysh (exit 2, what to use instead).

mod common;
use common::*;

#[test]
fn exec_and_vtysh_pass_the_programs_status_on() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("ext", 2, "[[router]]\nindex = 1\nsuite = \"bird\"\n");
    lab.up();
    let (frr, bird) = (lab.router(0), lab.router(1));

    // A program killed by a signal: 128 + the signal, as a shell reports it.
    let o = nsbgp(&["exec", &frr, "--lab", &lab.name, "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(o.status.code(), Some(128 + 15), "{}", text(&o));
    assert!(!text(&o).contains("nsbgp: error"), "{}", text(&o));
    let o = nsbgp(&["exec", &frr, "--lab", &lab.name, "--", "true"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // vtysh: the same status as FRR's vtysh run by hand in the router's namespace.
    let sock = format!("/run/nsbgp/{}/routers/{frr}/run", lab.name);
    for cmd in ["show version", "show no-such-thing"] {
        let direct = sh(
            "ip",
            &["netns", "exec", &frr, "vtysh", "--vty_socket", &sock, "-c", cmd],
        );
        let o = nsbgp(&["vtysh", &frr, "--lab", &lab.name, "--", "-c", cmd]);
        assert_eq!(o.status.code(), direct.status.code(), "{cmd}: {}", text(&o));
        assert!(!text(&o).contains("nsbgp: error"), "{}", text(&o));
    }
    let o = nsbgp(&["vtysh", &frr, "--lab", &lab.name, "--", "-c", "show no-such-thing"]);
    assert_ne!(
        o.status.code(),
        Some(0),
        "an unknown command is a failure: {}",
        text(&o)
    );

    let o = nsbgp(&["vtysh", &bird, "--lab", &lab.name, "--", "-c", "show version"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("vtysh is FRR-only") && text(&o).contains(&format!("nsbgp attach {bird}")),
        "{}",
        text(&o)
    );
}
