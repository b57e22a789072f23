//! `nsbgp list`: the labs on this host with their state.

use crate::lab::{self, down, LabError};

#[derive(serde::Serialize)]
struct ListRow {
    lab: String,
    routers: usize,
    state: String,
    daemons_alive: usize,
    daemons_total: usize,
    up_pid: Option<u32>,
}

pub async fn list(json: bool) -> Result<(), LabError> {
    let mut rows = Vec::new();
    for name in lab::lab_names()? {
        let run = match lab::open(&name) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("lab {name}: not listed: {e}");
                continue;
            }
        };
        if run.is_stale() {
            // Left by an earlier boot: nothing of it runs; remove its files, trust nothing else.
            let rep = match down::teardown(&name, down::Options { dry_run: false }).await {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("lab {name}: stale state from an earlier boot left alone: {e}");
                    continue;
                }
            };
            eprintln!(
                "lab {name}: stale state from an earlier boot cleaned up ({} object(s) removed{})",
                rep.removed.len(),
                if rep.errors.is_empty() {
                    String::new()
                } else {
                    format!("; errors: {}", rep.errors.join("; "))
                }
            );
            for f in &rep.foreign {
                eprintln!("lab {name}: left alone: {f}");
            }
            continue;
        }
        let mut total = 0;
        let mut alive = 0;
        for i in 0..run.lab.routers.len() {
            for d in run.lab.daemons_of(i) {
                total += 1;
                let pid = crate::launch::read_pid(&crate::launch::pid_file(&run.dirs(i), d));
                alive += pid.is_some_and(lab::pid_alive) as usize;
            }
        }
        let state = match &run.state {
            Some(s) if s.stage == lab::Stage::Starting && !lab::pid_alive(s.up_pid) => {
                "crashed during up: run `nsbgp down`".into()
            }
            Some(s) => format!("{:?}", s.stage).to_lowercase(),
            None => "unknown".into(),
        };
        rows.push(ListRow {
            lab: name.to_string(),
            routers: run.lab.routers.len(),
            state,
            daemons_alive: alive,
            daemons_total: total,
            up_pid: run.state.map(|s| s.up_pid),
        });
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows).expect("rows serialize"));
    } else if rows.is_empty() {
        println!("no labs running");
    } else {
        println!("{:<24} {:>7}  {:>9}  STATE", "LAB", "ROUTERS", "DAEMONS");
        for r in rows {
            println!(
                "{:<24} {:>7}  {:>4}/{:<4}  {}",
                r.lab, r.routers, r.daemons_alive, r.daemons_total, r.state
            );
        }
    }
    Ok(())
}
