//! `nsbgp vty` on a BIRD router: commands on its control socket.

use crate::config::Daemon;
use crate::suite::{Answer, CmdError, Target};

/// BIRD: every command on the control socket, stopping at a lost connection.
pub async fn run_bird(target: &Target<'_>, commands: &[String]) -> Vec<Answer> {
    let name = target.name();
    let path = super::ctl_path(&target.dirs);
    let mut out = Vec::new();
    match crate::bird::ctl::Ctl::connect(&path).await {
        Err(e) => out.push(Answer {
            command: String::new(),
            daemon: Daemon::Bird,
            result: Err(CmdError::Failed(format!("{name}: {e}"))),
        }),
        Ok(mut c) => {
            for cmd in commands {
                let r = c.run(cmd).await;
                let stop = matches!(&r, Err(e) if e.is_connection_lost());
                out.push(Answer {
                    command: cmd.clone(),
                    daemon: Daemon::Bird,
                    result: r.map(|r| r.text()).map_err(|e| match e {
                        crate::bird::ctl::CtlError::Rejected { message, .. } => CmdError::Rejected(message),
                        e => CmdError::Failed(e.to_string()),
                    }),
                });
                if stop {
                    break;
                }
            }
        }
    }
    out
}
