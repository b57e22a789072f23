//! `nsbgp vtysh`: the suite's shell (FRR's vtysh) inside a router's namespace and chroot.

use super::{router_arg, rt};
use crate::lab::{self, LabError};
use crate::rootfs;
use std::io::IsTerminal;
use std::sync::Arc;

/// FRR's vtysh inside the router's namespace and chroot, where it finds the daemons' sockets.
pub fn vtysh(lab_name: Option<&crate::config::LabName>, router: &str, args: &[String]) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    let idx = router_arg(&run, router)?;
    let name = run.lab.routers[idx].name.clone();
    let shell = crate::suites::of(run.lab.routers[idx].suite)
        .shell(&name)
        .map_err(LabError::Input)?;
    if args.is_empty() && !std::io::stdin().is_terminal() {
        return Err(LabError::Input(
            "vtysh without -c needs a terminal; pass commands: `nsbgp vtysh R -- -c 'show ip bgp summary'`".into(),
        ));
    }
    let fd = crate::netns::open_named(&name)?;
    let mounts = rootfs::PreparedMounts::new(&rootfs::plan(&run.dirs(idx), &rootfs::RealHost));
    let status = crate::runner::InRouter::new(&shell)
        .args(args)
        .netns(fd)
        .chroot(Arc::new(mounts))
        .command()
        .status()
        .map_err(|e| rt(format!("cannot run vtysh in {name}: {e}")))?;
    std::process::exit(status.code().unwrap_or(1));
}
