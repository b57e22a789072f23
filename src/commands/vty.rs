//! `nsbgp vty`: vty commands on one router or all of them.

use super::{daemon_arg, router_arg};
use crate::lab::{self, LabError};

/// `vty`: commands on one router or on `all` (concurrently, printed in chain order).
pub async fn vty(
    lab_name: Option<&str>,
    router: &str,
    daemon: &str,
    commands: &[String],
    json: bool,
) -> Result<(), LabError> {
    use crate::frr::vty::{Vty, VtyError};
    use futures::StreamExt;
    let run = lab::select(lab_name)?;
    let d = daemon_arg(daemon)?;
    let targets: Vec<usize> = if router == "all" {
        (0..run.lab.routers.len()).collect()
    } else {
        vec![router_arg(&run, router)?]
    };
    let password = run.password()?;
    struct Out {
        outputs: Vec<(String, Result<String, VtyError>)>,
    }
    let results: Vec<(usize, Out)> = futures::stream::iter(targets.iter().copied())
        .map(|i| {
            let name = run.lab.routers[i].name.clone();
            let password = password.clone();
            async move {
                let mut outputs = Vec::new();
                match Vty::connect(&name, d, &password).await {
                    Err(e) => outputs.push((String::new(), Err(e))),
                    Ok(mut v) => {
                        for c in commands {
                            let r = v.run(c).await;
                            let stop = matches!(&r, Err(e) if e.is_connection_lost());
                            outputs.push((c.clone(), r));
                            if stop {
                                break;
                            }
                        }
                    }
                }
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
                serde_json::json!({"router": r.name, "asn": r.asn, "daemon": d.name(), "results": cmds})
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
                println!("===== {} (AS {}) {d} =====", r.name, r.asn);
            }
            for (c, res) in &o.outputs {
                match res {
                    Ok(text) => print!("{text}"),
                    Err(VtyError::Rejected { message, .. }) => {
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
