//! BIRD 2: its [`crate::suite::RoutingSuite`] (`suite`), its config (`conf`), control-socket
//! client (`ctl`) and reply parsers (`parse`), what `status` and `vty` ask it (`observe`,
//! `commands`), the interactive `attach` session and its containerlab node (`clab`). BIRD is
//! launched by the same launcher as FRR's daemons (`crate::launch`), in the router's
//! namespace and chroot, as the `bird` user.
pub mod attach;
pub mod clab;
pub mod commands;
pub mod conf;
pub mod ctl;
pub mod observe;
pub mod parse;
pub mod suite;

use crate::rootfs::RouterDirs;
use std::path::{Path, PathBuf};

/// Debian's bird2 package.
pub const BIRD: &str = "/usr/sbin/bird";
/// The unprivileged user BIRD drops to (Debian's bird2 package creates it).
pub const USER: &str = "bird";

/// Inside the chroot, BIRD uses the router's private directories (`rootfs::PRIVATE`).
pub const CONF_IN_CHROOT: &str = "/etc/frr/bird.conf";
pub const CTL_IN_CHROOT: &str = "/var/run/frr/bird.ctl";
pub const PID_IN_CHROOT: &str = "/var/run/frr/bird.pid";

/// The control socket as the host sees it.
pub fn ctl_path(dirs: &RouterDirs) -> PathBuf {
    dirs.run().join("bird.ctl")
}

/// Command line of BIRD inside the chroot: config, control socket, pid file, user.
pub fn args() -> Vec<String> {
    [
        "-c",
        CONF_IN_CHROOT,
        "-s",
        CTL_IN_CHROOT,
        "-P",
        PID_IN_CHROOT,
        "-u",
        USER,
        "-g",
        USER,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// `BIRD version 2.0.12`, if the binary runs (it prints to stderr).
pub fn version_line(program: &Path) -> Option<String> {
    let out = std::process::Command::new(program).arg("--version").output().ok()?;
    let text = [out.stdout, out.stderr].concat();
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}
