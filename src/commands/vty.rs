//! `nsbgp vty`: vty commands on one router or all of them. FRR routers: each command goes to
//! the daemon that knows it, as in vtysh (or to `-d DAEMON` alone); BIRD routers run them on
//! their control socket.

use super::{router_arg, router_daemon};
use crate::config::Daemon;
use crate::lab::{self, LabError};
use crate::suite::{Answer, CmdError};

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
        .map(
            |i| match (crate::suites::of(run.lab.routers[i].suite).command_daemon(), daemon) {
                (Some(own), _) if router == "all" || !targets.contains(&i) => Ok(Some(own)),
                (Some(own), d) => router_daemon(&run, i, d.or(Some(own.name()))).map(Some),
                (None, Some(d)) if targets.contains(&i) => router_daemon(&run, i, Some(d)).map(Some),
                (None, _) => Ok(None),
            },
        )
        .collect::<Result<_, _>>()?;
    let password = run.password()?;
    let results: Vec<(usize, Vec<Answer>)> = futures::stream::iter(targets.iter().copied())
        .map(|i| {
            let password = password.clone();
            let run = &run;
            let fixed = fixed[i];
            async move {
                let target = crate::suite::Target {
                    lab: &run.lab,
                    index: i,
                    dirs: run.dirs(i),
                    password: &password,
                };
                let out = crate::suites::of(run.lab.routers[i].suite)
                    .run_commands(&target, fixed, commands)
                    .await;
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
