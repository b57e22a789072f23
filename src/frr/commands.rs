//! `nsbgp vty` on an FRR router: each command to the daemon that knows it, as vtysh does.

use super::vty::{daemon_for, is_unknown_command, Vty, VtyError};
use crate::config::Daemon;
use crate::suite::{Answer, CmdError};

/// FRR: with `fixed`, every command goes there; without, each goes to the daemon that knows
/// it ([`crate::frr::vty::daemon_for`]), and a command bgpd calls unknown is tried on zebra.
pub async fn run_frr(name: &str, fixed: Option<Daemon>, password: &str, commands: &[String]) -> Vec<Answer> {
    let mut out = Vec::new();
    // One logged-in session per daemon, opened when first needed.
    let mut sessions: Vec<(Daemon, Vty)> = Vec::new();
    for c in commands {
        let first = fixed.unwrap_or_else(|| daemon_for(c));
        let mut tries = vec![first];
        if fixed.is_none() && first == Daemon::Bgpd {
            tries.push(Daemon::Zebra);
        }
        let mut answer = None;
        for d in tries {
            if !sessions.iter().any(|(sd, _)| *sd == d) {
                match Vty::connect(name, d, password).await {
                    Ok(v) => sessions.push((d, v)),
                    Err(e) => {
                        answer = Some((d, Err(e)));
                        break;
                    }
                }
            }
            let v = &mut sessions.iter_mut().find(|(sd, _)| *sd == d).expect("opened").1;
            let r = v.run(c).await;
            if matches!(&r, Err(e) if e.is_connection_lost()) {
                sessions.retain(|(sd, _)| *sd != d);
            }
            let retry = matches!(&r, Err(e) if is_unknown_command(e));
            answer = Some((d, r));
            if !retry {
                break;
            }
        }
        let (d, result) = answer.expect("at least one daemon tried");
        let stop = matches!(&result, Err(VtyError::Connect { .. }) | Err(VtyError::Login(_)));
        out.push(Answer {
            command: c.clone(),
            daemon: d,
            result: result.map_err(|e| match e {
                VtyError::Rejected { message, .. } => CmdError::Rejected(message),
                e => CmdError::Failed(e.to_string()),
            }),
        });
        if stop && fixed.is_some() {
            break;
        }
    }
    out
}
