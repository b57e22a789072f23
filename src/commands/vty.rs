//! `nsbgp vty`: vty commands on one router or all of them; BIRD routers run them on their
//! control socket.

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

/// Runs `commands` on one router's daemon `d`, stopping at a lost connection.
async fn run_on(
    run: &lab::Running,
    i: usize,
    d: Daemon,
    password: &str,
    commands: &[String],
) -> Vec<(String, Result<String, CmdError>)> {
    use crate::frr::vty::{Vty, VtyError};
    let name = run.lab.routers[i].name.clone();
    let mut outputs = Vec::new();
    if d == Daemon::Bird {
        let path = crate::bird::ctl_path(&run.dirs(i));
        match crate::bird::ctl::Ctl::connect(&path).await {
            Err(e) => outputs.push((String::new(), Err(CmdError::Failed(format!("{name}: {e}"))))),
            Ok(mut c) => {
                for cmd in commands {
                    let r = c.run(cmd).await;
                    let stop = matches!(&r, Err(e) if e.is_connection_lost());
                    outputs.push((
                        cmd.clone(),
                        r.map(|r| r.text()).map_err(|e| match e {
                            crate::bird::ctl::CtlError::Rejected { message, .. } => CmdError::Rejected(message),
                            e => CmdError::Failed(e.to_string()),
                        }),
                    ));
                    if stop {
                        break;
                    }
                }
            }
        }
        return outputs;
    }
    match Vty::connect(&name, d, password).await {
        Err(e) => outputs.push((String::new(), Err(CmdError::Failed(e.to_string())))),
        Ok(mut v) => {
            for c in commands {
                let r = v.run(c).await;
                let stop = matches!(&r, Err(e) if e.is_connection_lost());
                outputs.push((
                    c.clone(),
                    r.map_err(|e| match e {
                        VtyError::Rejected { message, .. } => CmdError::Rejected(message),
                        e => CmdError::Failed(e.to_string()),
                    }),
                ));
                if stop {
                    break;
                }
            }
        }
    }
    outputs
}

/// `vty`: commands on one router or on `all` (concurrently, printed in chain order).
pub async fn vty(
    lab_name: Option<&str>,
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
    // `-d` picks an FRR daemon; BIRD routers have only bird.
    let daemons: Vec<Daemon> = (0..run.lab.routers.len())
        .map(|i| match run.lab.routers[i].suite {
            // One BIRD router with an FRR daemon named: say so rather than run bird.
            Suite::Bird if router != "all" && targets.contains(&i) => router_daemon(&run, i, daemon.or(Some("bird"))),
            Suite::Bird => Ok(Daemon::Bird),
            Suite::Frr if targets.contains(&i) => router_daemon(&run, i, daemon),
            Suite::Frr => Ok(Daemon::Bgpd),
        })
        .collect::<Result<_, _>>()?;
    let password = run.password()?;
    struct Out {
        outputs: Vec<(String, Result<String, CmdError>)>,
    }
    let results: Vec<(usize, Out)> = futures::stream::iter(targets.iter().copied())
        .map(|i| {
            let password = password.clone();
            let run = &run;
            let d = daemons[i];
            async move {
                let outputs = run_on(run, i, d, &password, commands).await;
                (i, Out { outputs })
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut results = results;
    results.sort_by_key(|(i, _)| *i);
    let mut failed = 0usize;
    if json {
        let v: Vec<serde_json::Value> = results
            .iter()
            .map(|(i, o)| {
                let r = &run.lab.routers[*i];
                let cmds: Vec<serde_json::Value> = o
                    .outputs
                    .iter()
                    .map(|(c, res)| match res {
                        Ok(text) => {
                            let parsed = c
                                .trim_end()
                                .ends_with(" json")
                                .then(|| serde_json::from_str::<serde_json::Value>(text).ok())
                                .flatten();
                            match parsed {
                                Some(p) => serde_json::json!({"command": c, "ok": true, "json": p}),
                                None => serde_json::json!({"command": c, "ok": true, "output": text}),
                            }
                        }
                        Err(e) => serde_json::json!({"command": c, "ok": false, "error": e.to_string()}),
                    })
                    .collect();
                serde_json::json!({"router": r.name, "asn": r.asn, "daemon": daemons[*i].name(), "results": cmds})
            })
            .collect();
        failed = results
            .iter()
            .map(|(_, o)| o.outputs.iter().filter(|(_, r)| r.is_err()).count())
            .sum();
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
    } else {
        let grouped = targets.len() > 1;
        for (i, o) in &results {
            let r = &run.lab.routers[*i];
            if grouped {
                println!("===== {} (AS {}) {} =====", r.name, r.asn, daemons[*i]);
            }
            for (c, res) in &o.outputs {
                match res {
                    Ok(text) => print!("{text}"),
                    Err(CmdError::Rejected(message)) => {
                        failed += 1;
                        eprintln!("{}: `{c}` rejected: {message}", r.name);
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("{}: {e}", r.name);
                    }
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
