//! Unit tests of what the subcommands share: resolving a router argument, a daemon
//! argument, the daemon a command addresses on a router of either suite, and which
//! failures are input errors (exit 2) and which runtime ones (exit 1).

use super::*;
use crate::config::{Daemon, Overrides};

fn running(text: &str) -> lab::Running {
    let lab = config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap();
    lab::Running {
        lab,
        dir: "/run/nsbgp/t".into(),
        state: None,
    }
}

/// Four routers, ROUTER_1 and ROUTER_3 on BIRD.
fn mixed() -> lab::Running {
    running(
        "name = \"t\"\nrouters = 4\n[[router]]\nindex = 1\nsuite = \"bird\"\n[[router]]\nindex = 3\nsuite = \"bird\"\n",
    )
}

#[test]
fn router_arg_takes_a_name_an_index_or_an_as() {
    let r = running("name = \"t\"\nrouters = 5\n");
    for spec in ["ROUTER_3", "3", "AS103"] {
        assert_eq!(router_arg(&r, spec).unwrap(), 3, "{spec}");
    }
    for spec in ["ROUTER_5", "5", "AS99", "AS105", "router_3", ""] {
        let e = router_arg(&r, spec).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), 2, "{spec}");
        assert_eq!(
            e.to_string(),
            format!(
                "lab t has no router {spec:?}; use a name (ROUTER_0 … ROUTER_4), an index (0 … 4) or an AS (AS100 … AS104)"
            )
        );
    }
}

#[test]
fn daemon_arg_knows_the_three_daemons() {
    assert_eq!(daemon_arg("bgpd").unwrap(), Daemon::Bgpd);
    assert_eq!(daemon_arg("zebra").unwrap(), Daemon::Zebra);
    assert_eq!(daemon_arg("bird").unwrap(), Daemon::Bird);
    let e = daemon_arg("ospfd").unwrap_err();
    assert_eq!(crate::error::exit_code(&e), 2);
    assert!(e.to_string().contains("use bgpd, zebra or bird"), "{e}");
}

#[test]
fn router_daemon_defaults_to_the_suites_bgp_daemon() {
    let r = mixed();
    assert_eq!(router_daemon(&r, 0, None).unwrap(), Daemon::Bgpd);
    assert_eq!(router_daemon(&r, 1, None).unwrap(), Daemon::Bird);
    assert_eq!(router_daemon(&r, 0, Some("zebra")).unwrap(), Daemon::Zebra);
    assert_eq!(router_daemon(&r, 3, Some("bird")).unwrap(), Daemon::Bird);
}

#[test]
fn router_daemon_refuses_the_other_suites_daemons() {
    let r = mixed();
    let e = router_daemon(&r, 1, Some("bgpd")).unwrap_err();
    assert_eq!(crate::error::exit_code(&e), 2);
    assert_eq!(e.to_string(), "ROUTER_1 runs bird (bird), not bgpd; use bird");
    let e = router_daemon(&r, 2, Some("bird")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ROUTER_2 runs frr (zebra and bgpd), not bird; use zebra or bgpd"
    );
}

#[test]
fn clab_input_errors_exit_2_and_failed_writes_1() {
    assert_eq!(
        crate::error::exit_code(&clab_err(crate::clab::ClabError::Input("bad".into()))),
        2
    );
    let w = crate::clab::ClabError::Write {
        path: "/x/y".into(),
        source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
    };
    let e = clab_err(w);
    assert_eq!(crate::error::exit_code(&e), 1);
    assert!(e.to_string().starts_with("/x/y: "), "{e}");
}

#[test]
fn overrides_carry_the_command_line() {
    let name: config::LabName = "other".parse().unwrap();
    let o = overrides(Some(7), Some(name.clone()));
    assert_eq!((o.routers, o.name), (Some(7), Some(name)));
}
