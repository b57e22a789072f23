//! The routing suites behind one small interface: which daemons a router runs, their
//! programs and command lines, the user they drop to, their config files, and whether the
//! host has them. FRR lives in `frr/`, BIRD in `bird/`; everything above (up, restart,
//! monitor, commands) asks here instead of assuming FRR.

use crate::config::{Daemon, Lab, Suite};
use std::path::PathBuf;

/// The program a daemon runs.
pub fn program(lab: &Lab, daemon: Daemon) -> PathBuf {
    match daemon {
        Daemon::Bird => PathBuf::from(crate::bird::BIRD),
        d => lab.frr_dir.join(d.name()),
    }
}

/// The user a suite's daemons drop to (and who owns the router's private directories).
pub fn user(suite: Suite) -> &'static str {
    match suite {
        Suite::Frr => "frr",
        Suite::Bird => crate::bird::USER,
    }
}

/// uid and gid of `user(suite)`.
pub fn ids(suite: Suite) -> std::io::Result<(nix::unistd::Uid, nix::unistd::Gid)> {
    let name = user(suite);
    let u = nix::unistd::User::from_name(name)
        .ok()
        .flatten()
        .ok_or_else(|| std::io::Error::other(format!("no {name} user")))?;
    Ok((u.uid, u.gid))
}

/// Config files of router `index` (file name in its `etc`, content).
pub fn config_files(lab: &Lab, index: usize, password: &str) -> Vec<(String, String)> {
    lab.daemons_of(index)
        .into_iter()
        .map(|d| {
            (
                crate::render::file_name(d),
                crate::render::render(lab, index, d, password),
            )
        })
        .collect()
}

/// Checks that the host can run every suite the lab uses: programs and users. The message
/// says how to fix it.
pub fn check_installed(lab: &Lab) -> Result<(), String> {
    if lab.uses(Suite::Frr) {
        for &d in &lab.daemons {
            let p = program(lab, d);
            if !p.is_file() {
                return Err(format!(
                    "FRR's {d} is missing: {} does not exist. Install FRR (`apt-get install -y frr`) or set frr_dir in the lab file",
                    p.display()
                ));
            }
        }
        if ids(Suite::Frr).is_err() {
            return Err(
                "there is no `frr` user for the daemons to run as; install the frr package (`apt-get install -y frr`)"
                    .into(),
            );
        }
    }
    if lab.uses(Suite::Bird) {
        let routers = lab.routers.iter().filter(|r| r.suite == Suite::Bird).count();
        if !std::path::Path::new(crate::bird::BIRD).is_file() {
            return Err(format!(
                "{routers} router(s) run BIRD but {} does not exist; install BIRD 2 (`apt-get install -y bird2`)",
                crate::bird::BIRD
            ));
        }
        if ids(Suite::Bird).is_err() {
            return Err(format!(
                "{routers} router(s) run BIRD but there is no `{}` user for it to run as; install the bird2 package (`apt-get install -y bird2`)",
                crate::bird::USER
            ));
        }
    }
    Ok(())
}
