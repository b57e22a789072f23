//! `nsbgp vty`: vty commands on one router or all of them. FRR routers: each command goes to
//! the daemon that knows it, as in vtysh (or to `-d DAEMON` alone); BIRD routers run them on
//! their control socket.

use super::{router_arg, router_daemon};
use crate::config::{Daemon, Suite};
use crate::lab::{self, LabError};

/// Why one command gave no output: the daemon refused it, or it could not be asked.
enum CmdError {
    Rejected(String),
    Failed(String),
}

impl std::fmt::Display for CmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CmdError::Rejected(m) | CmdError::Failed(m) => f.write_str(m),
        }
    }
}

/// One command's result on one router, and the daemon that gave it.
struct Answer {
    command: String,
    daemon: Daemon,
    result: Result<String, CmdError>,
}

/// FRR: with `fixed`, every command goes there; without, each goes to the daemon that knows
/// it ([`crate::frr::vty::daemon_for`]), and a command bgpd calls unknown is tried on zebra.
async fn run_frr(name: &str, fixed: Option<Daemon>, password: &str, commands: &[String]) -> Vec<Answer> {
    use crate::frr::vty::{daemon_for, is_unknown_command, Vty, VtyError};
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

/// BIRD: every command on the control socket, stopping at a lost connection.
async fn run_bird(run: &lab::Running, i: usize, commands: &[String]) -> Vec<Answer> {
    let name = &run.lab.routers[i].name;
    let path = crate::bird::ctl_path(&run.dirs(i));
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

/// `vty`: commands on one router or on `all` (concurrently, printed in the lab's order).
pub async fn vty(
    lab_name: Option<&crate::config::LabName>,
    router: &str,
    daemon: Option<&str>,
    commands: &[String],
    json: bool,
) -> Result<(), LabError> {
    use futures::StreamExt;
    let run = lab::select(lab_name)?;
    let targets: Vec<usize> = if router == "all" {
        (0..run.lab.routers.len()).collect()
    } else {
        vec![router_arg(&run, router)?]
    };
    // `-d` names a daemon the router runs; with `all`, BIRD routers always answer with bird.
    let fixed: Vec<Option<Daemon>> = (0..run.lab.routers.len())
        .map(|i| match (run.lab.routers[i].suite, daemon) {
            (Suite::Bird, _) if router == "all" || !targets.contains(&i) => Ok(Some(Daemon::Bird)),
            (Suite::Bird, d) => router_daemon(&run, i, d.or(Some("bird"))).map(Some),
            (Suite::Frr, Some(d)) if targets.contains(&i) => router_daemon(&run, i, Some(d)).map(Some),
            (Suite::Frr, _) => Ok(None),
        })
        .collect::<Result<_, _>>()?;
    let password = run.password()?;
    let results: Vec<(usize, Vec<Answer>)> = futures::stream::iter(targets.iter().copied())
        .map(|i| {
            let password = password.clone();
            let run = &run;
            let fixed = fixed[i];
            async move {
                let out = match fixed {
                    Some(Daemon::Bird) => run_bird(run, i, commands).await,
                    f => run_frr(&run.lab.routers[i].name, f, &password, commands).await,
                };
                (i, out)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut results = results;
    results.sort_by_key(|(i, _)| *i);
    let failed: usize = results
        .iter()
        .map(|(_, o)| o.iter().filter(|a| a.result.is_err()).count())
        .sum();
    if json {
        let v: Vec<serde_json::Value> = results
            .iter()
            .map(|(i, o)| {
                let r = &run.lab.routers[*i];
                let cmds: Vec<serde_json::Value> = o
                    .iter()
                    .map(|a| {
                        let d = a.daemon.name();
                        match &a.result {
                            Ok(text) => {
                                let parsed = a
                                    .command
                                    .trim_end()
                                    .ends_with(" json")
                                    .then(|| serde_json::from_str::<serde_json::Value>(text).ok())
                                    .flatten();
                                match parsed {
                                    Some(p) => {
                                        serde_json::json!({"command": a.command, "daemon": d, "ok": true, "json": p})
                                    }
                                    None => {
                                        serde_json::json!({"command": a.command, "daemon": d, "ok": true, "output": text})
                                    }
                                }
                            }
                            Err(e) => {
                                serde_json::json!({"command": a.command, "daemon": d, "ok": false, "error": e.to_string()})
                            }
                        }
                    })
                    .collect();
                let mut obj = serde_json::json!({"router": r.name, "asn": r.asn, "results": cmds});
                if let Some(d) = fixed[*i] {
                    obj["daemon"] = d.name().into();
                }
                obj
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
    } else {
        let grouped = targets.len() > 1;
        for (i, o) in &results {
            let r = &run.lab.routers[*i];
            if grouped {
                match fixed[*i] {
                    Some(d) => println!("===== {} (AS {}) {d} =====", r.name, r.asn),
                    None => println!("===== {} (AS {}) =====", r.name, r.asn),
                }
            }
            for a in o {
                match &a.result {
                    Ok(text) => print!("{text}"),
                    Err(CmdError::Rejected(message)) => {
                        eprintln!("{}: `{}` rejected: {message}", r.name, a.command);
                    }
                    Err(e) => eprintln!("{}: {e}", r.name),
                }
            }
        }
    }
    if failed > 0 {
        Err(LabError::Runtime(format!("{failed} command(s) failed")))
    } else {
        Ok(())
    }
}
