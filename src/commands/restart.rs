//! `nsbgp restart`: a router's daemons again, in the same namespace and chroot.

use super::{router_arg, router_daemon};
use crate::config::Daemon;
use crate::lab::{self, LabError};

pub async fn restart(lab_name: Option<&str>, router: &str, daemon: &str) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    let idx = router_arg(&run, router)?;
    let daemons: Vec<Daemon> = if daemon == "all" {
        run.lab.daemons_of(idx)
    } else {
        vec![router_daemon(&run, idx, Some(daemon))?]
    };
    let name = run.lab.routers[idx].name.clone();
    // Stop what runs first (bgpd before zebra), then start in order (zebra before bgpd).
    for &d in daemons.iter().rev() {
        crate::frr::spawn::stop(&run.dirs(idx), d, nix::sys::signal::Signal::SIGTERM).await;
    }
    for d in daemons {
        let pid = lab::up::restart_daemon(&run, idx, d).await?;
        println!("{name}: {d} started (pid {pid})");
    }
    Ok(())
}
