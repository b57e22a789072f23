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
    use crate::config::Daemon;
    use crate::frr::attach;
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
    let pid = crate::frr::spawn::read_pid(&crate::frr::spawn::pid_file(&run.dirs(idx), d));
    if !pid.is_some_and(|p| lab::pid_alive(p) && lab::pid_comm(p).as_deref() == Some(d.name())) {
        return Err(LabError::Runtime(format!(
            "{d} on {} is not running; start it with `nsbgp restart {} {d}`",
            r.name, r.name
        )));
    }
    if d == Daemon::Bird {
        let path = crate::bird::ctl_path(&run.dirs(idx));
        let end = crate::bird::attach::run(
            &path,
            &format!("{}> ", r.name),
            &crate::bird::attach::banner(&r.name, r.asn, &path),
        )
        .await
        .map_err(|e| LabError::Runtime(format!("attach to bird on {}: {e}", r.name)))?;
        report_end(&end, d, &r.name);
        return Ok(());
    }
    let password = run.password()?;
    let name = r.name.clone();
    let stream = tokio::task::spawn_blocking(move || crate::frr::vty::connect_raw(&name, d))
        .await
        .expect("connect task")?;
    let dirs = run.dirs(idx);
    // zebra for what bgpd does not know; if zebra is down, the session is bgpd's alone.
    let other = match daemon {
        Some(_) => None,
        None => crate::frr::vty::Vty::connect(&r.name, Daemon::Zebra, &password)
            .await
            .ok(),
    };
    let banner = attach::banner(&r.name, r.asn, d, other.as_ref().map(|_| Daemon::Zebra));
    let end = attach::run(stream, &password, &banner, other).await.map_err(|e| {
        // The daemon may have died between the check above and the login.
        let alive = crate::frr::spawn::read_pid(&crate::frr::spawn::pid_file(&dirs, d))
            .is_some_and(|p| lab::pid_alive(p) && lab::pid_comm(p).as_deref() == Some(d.name()));
        if alive {
            LabError::Runtime(format!("attach to {d} on {}: {e}", r.name))
        } else {
            LabError::Runtime(format!(
                "{d} on {} is not running (it stopped while attaching: {e}); start it with `nsbgp restart {} {d}`",
                r.name, r.name
            ))
        }
    })?;
    report_end(&end, d, &r.name);
    Ok(())
}

fn report_end(end: &crate::frr::attach::End, d: crate::config::Daemon, router: &str) {
    use crate::frr::attach::End;
    match end {
        End::Escape => eprintln!("\nleft {d} on {router}"),
        End::Closed => eprintln!("\n{d} on {router} closed the connection"),
        End::Signal => eprintln!("\nsession ended by a signal"),
    }
}
