//! `nsbgp attach`: an interactive vty session.

use super::{router_arg, router_daemon};
use crate::lab::{self, LabError};
use std::io::IsTerminal;

/// `attach`: an interactive, logged-in vty session in the router's namespace.
/// Without `daemon`, the session is bgpd's and a command bgpd does not know is run on zebra
/// (as vtysh sends `show ip route` to zebra); with it, that daemon alone.
pub async fn attach(
    lab_name: Option<&crate::config::LabName>,
    router: &str,
    daemon: Option<&str>,
) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    let idx = router_arg(&run, router)?;
    let d = router_daemon(&run, idx, daemon)?;
    let r = run.lab.routers[idx].clone();
    if !std::io::stdin().is_terminal() {
        return Err(LabError::Input(format!(
            "attach needs a terminal; for scripts use `nsbgp vty {} -d {d} -c 'COMMAND'`",
            r.name
        )));
    }
    let pid = crate::launch::read_pid(&crate::launch::pid_file(&run.dirs(idx), d));
    if !pid.is_some_and(|p| lab::pid_alive(p) && lab::pid_comm(p).as_deref() == Some(d.name())) {
        return Err(LabError::Runtime(format!(
            "{d} on {} is not running; start it with `nsbgp restart {} {d}`",
            r.name, r.name
        )));
    }
    let password = run.password()?;
    let target = crate::suite::Target {
        lab: &run.lab,
        index: idx,
        dirs: run.dirs(idx),
        password: &password,
    };
    let end = crate::suites::of(r.suite)
        .attach(&target, d, daemon.is_some())
        .await
        .map_err(|e| match e {
            crate::suite::AttachError::Connect(e) => LabError::Runtime(e.to_string()),
            crate::suite::AttachError::Session(e) => {
                // The daemon may have died between the check above and the login.
                let alive = crate::launch::read_pid(&crate::launch::pid_file(&run.dirs(idx), d))
                    .is_some_and(|p| lab::pid_alive(p) && lab::pid_comm(p).as_deref() == Some(d.name()));
                if alive {
                    LabError::Runtime(format!("attach to {d} on {}: {e}", r.name))
                } else {
                    LabError::Runtime(format!(
                        "{d} on {} is not running (it stopped while attaching: {e}); start it with `nsbgp restart {} {d}`",
                        r.name, r.name
                    ))
                }
            }
        })?;
    report_end(&end, d, &r.name);
    Ok(())
}

fn report_end(end: &crate::suite::terminal::End, d: crate::config::Daemon, router: &str) {
    use crate::suite::terminal::End;
    match end {
        End::Escape => eprintln!("\nleft {d} on {router}"),
        End::Closed => eprintln!("\n{d} on {router} closed the connection"),
        End::Signal => eprintln!("\nsession ended by a signal"),
    }
}
