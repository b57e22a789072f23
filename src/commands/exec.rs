//! `nsbgp exec` and `nsbgp shell`: a program inside a router's namespace.

use super::router_arg;
use crate::lab::{self, LabError};
use crate::runner::{etc_netns_binds, Filesystem, InRouter};
use std::sync::Arc;

/// Runs a program in a router's namespace with its `/etc/netns` files, like `ip netns exec`:
/// a private mount namespace where those files cover `/etc`'s and `/sys` shows the router.
pub fn exec(lab_name: Option<&crate::config::LabName>, router: &str, program: &[String]) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    let idx = router_arg(&run, router)?;
    let name = run.lab.routers[idx].name.clone();
    let fd = crate::netns::open_named(&name)?;
    let status = InRouter::new(&program[0])
        .args(&program[1..])
        .env("NSBGP_ROUTER", &name)
        .netns(fd)
        .filesystem(Filesystem::EtcNetns(Arc::new(etc_netns_binds(&name))))
        .command()
        .status()
        .map_err(|e| LabError::Input(format!("cannot run {:?} in {name}: {e}", program[0])))?;
    // A program killed by a signal exits 128 + the signal, as shells report it.
    match status
        .code()
        .unwrap_or(128 + std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0))
    {
        0 => Ok(()),
        code => Err(LabError::Exited(code)),
    }
}
