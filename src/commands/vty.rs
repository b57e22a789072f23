//! `nsbgp vty`: vty commands on one router or all of them.

use super::{daemon_arg, router_arg};
use crate::config::Daemon;
use crate::lab::{self, LabError};

/// One command's result on one router, and the daemon that gave it.
struct Answer {
    command: String,
    daemon: Option<Daemon>,
    result: Result<String, crate::frr::vty::VtyError>,
}

/// `vty`: commands on one router or on `all` (concurrently, printed in chain order). With
/// `daemon`, every command goes there; without, each goes to the daemon that knows it
/// ([`crate::frr::vty::daemon_for`]), and a command bgpd calls unknown is tried on zebra.
pub async fn vty(
    lab_name: Option<&crate::config::LabName>,
    router: &str,
    daemon: Option<&str>,
    commands: &[String],
    json: bool,
) -> Result<(), LabError> {
    use crate::frr::vty::{daemon_for, is_unknown_command, Vty, VtyError};
    use futures::StreamExt;
    let run = lab::select(lab_name)?;
    let fixed = daemon.map(daemon_arg).transpose()?;
    let targets: Vec<usize> = if router == "all" {
        (0..run.lab.routers.len()).collect()
    } else {
        vec![router_arg(&run, router)?]
    };
    let password = run.password()?;
    let results: Vec<(usize, Vec<Answer>)> = futures::stream::iter(targets.iter().copied())
        .map(|i| {
            let name = run.lab.routers[i].name.clone();
            let password = password.clone();
            async move {
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
                            match Vty::connect(&name, d, &password).await {
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
                        daemon: Some(d),
                        result,
                    });
                    if stop && fixed.is_some() {
                        break;
                    }
                }
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
                        let d = a.daemon.map(|d| d.name());
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
                if let Some(d) = fixed {
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
                match fixed {
                    Some(d) => println!("===== {} (AS {}) {d} =====", r.name, r.asn),
                    None => println!("===== {} (AS {}) =====", r.name, r.asn),
                }
            }
            for a in o {
                match &a.result {
                    Ok(text) => print!("{text}"),
                    Err(VtyError::Rejected { message, .. }) => {
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
