//! `nsbgp restart`: a router's daemons again, in the same namespace and chroot.

use super::{router_arg, router_daemon};
use crate::config::Daemon;
use crate::lab::{self, LabError};

pub async fn restart(lab_name: Option<&crate::config::LabName>, router: &str, daemon: &str) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    let idx = router_arg(&run, router)?;
    let daemons: Vec<Daemon> = if daemon == "all" {
        run.lab.daemons_of(idx)
    } else {
        vec![router_daemon(&run, idx, Some(daemon))?]
    };
    let name = run.lab.routers[idx].name.clone();
    // Serialized with `up` and `down` of the same lab: never start daemons into a lab that
    // is being built or torn down.
    let _lock = lab::LabLock::acquire_within(&run.dir, std::time::Duration::from_secs(10))
        .await
        .map_err(|e| LabError::Runtime(format!("lab {}: cannot take its lock: {e}", run.lab.name)))?
        .ok_or_else(|| {
            LabError::Input(format!(
                "lab {} is busy (an `up` or `down` of it is running); try again when it has finished",
                run.lab.name
            ))
        })?;
    if !lab::state::check_lab(&run.lab.name)? {
        return Err(LabError::Input(format!(
            "lab {} was taken down meanwhile",
            run.lab.name
        )));
    }
    // Stop what runs first (bgpd before zebra), then start in order (zebra before bgpd).
    for &d in daemons.iter().rev() {
        crate::launch::stop(&run.dirs(idx), d, nix::sys::signal::Signal::SIGTERM).await;
    }
    for d in daemons {
        let pid = lab::up::restart_daemon(&run, idx, d).await?;
        println!("{name}: {d} started (pid {pid})");
    }
    Ok(())
}
