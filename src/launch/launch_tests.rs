//! Unit tests of the launcher's pure parts: each daemon's command line (through the suites'
//! interface), where its pid file is and how it is read, and which programs it agrees to
//! run as root.

use super::*;
use crate::config::{self, Overrides};
use crate::suite::RoutingSuite;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn lab(extra: &str) -> Lab {
    let text = format!("name = \"t\"\nrouters = 2\n{extra}");
    config::validate("t.toml", config::parse("t.toml", &text).unwrap(), &Overrides::default()).unwrap()
}

#[test]
fn frr_daemons_get_their_config_sockets_user_and_fd_limit() {
    let l = lab("[daemons]\nlimit_fds = 256\n");
    let zebra = crate::frr::suite::Frr.args(&l, Daemon::Zebra).join(" ");
    assert_eq!(
        zebra,
        "-d -f /etc/frr/zebra.conf -i /var/run/frr/zebra.pid -z /var/run/frr/zserv.api \
         --vty_socket /var/run/frr -A 127.0.0.1 -P 2601 -u frr -g frr --limit-fds 256"
    );
    let bgpd = crate::frr::suite::Frr.args(&l, Daemon::Bgpd).join(" ");
    assert_eq!(
        bgpd,
        "-d -f /etc/frr/bgpd.conf -i /var/run/frr/bgpd.pid -z /var/run/frr/zserv.api \
         --vty_socket /var/run/frr -A 127.0.0.1 -P 2605 -u frr -g frr --limit-fds 256 -p 179"
    );
}

#[test]
fn bird_gets_birds_own_arguments() {
    let l = lab("[daemons]\nsuite = \"bird\"\n");
    let a = crate::bird::suite::Bird.args(&l, Daemon::Bird);
    assert_eq!(a, crate::bird::args());
    assert!(a.windows(2).any(|w| w == ["-u", "bird"]), "{a:?}");
}

#[test]
fn pid_files_live_in_the_routers_run_directory() {
    let dirs = crate::rootfs::RouterDirs::new(Path::new("/run/nsbgp/lab"), "R_1");
    assert_eq!(
        pid_file(&dirs, Daemon::Bgpd),
        PathBuf::from("/run/nsbgp/lab/routers/R_1/run/bgpd.pid")
    );
    assert_eq!(pid_file(&dirs, Daemon::Bird), dirs.run().join("bird.pid"));
}

#[test]
fn read_pid_takes_a_number_and_nothing_else() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("p");
    std::fs::write(&f, "4242\n").unwrap();
    assert_eq!(read_pid(&f), Some(4242));
    std::fs::write(&f, "42x\n").unwrap();
    assert_eq!(read_pid(&f), None);
    std::fs::write(&f, "").unwrap();
    assert_eq!(read_pid(&f), None);
    assert_eq!(read_pid(&d.path().join("missing")), None);
}

/// Only as root: the files must be root's for the check to pass.
#[test]
fn check_program_runs_only_what_only_root_can_change() {
    if !nix::unistd::geteuid().is_root() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let prog = d.path().join("bgpd");
    std::fs::write(&prog, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    check_program(&prog).unwrap();
    // Writable by group or others: refused, naming it.
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o775)).unwrap();
    let e = check_program(&prog).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(e.to_string().contains(&prog.display().to_string()), "{e}");
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Its directory writable by others: refused too.
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(check_program(&prog)
        .unwrap_err()
        .to_string()
        .contains("writable by others"));
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // Not a file.
    assert!(check_program(d.path()).is_err());
    assert_eq!(
        check_program(&d.path().join("none")).unwrap_err().kind(),
        std::io::ErrorKind::NotFound
    );
}
