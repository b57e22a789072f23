//! `nsbgp graph`: a picture of the topology (SVG, or DOT with `--format dot`), routers
//! coloured by state when the lab runs; or the same as data (`--format json`).

use super::{load, overrides};
use crate::draw::{self, State};
use crate::lab::{self, LabError};
use std::path::Path;

/// `graph [--lab NAME | -c FILE] -o FILE [--format svg|dot|json]`. Without either, the running
/// lab (if exactly one runs). Never overwrites: `-o` must not exist.
pub async fn graph(
    lab_name: Option<&crate::config::LabName>,
    config: Option<&Path>,
    out: &Path,
    format: &str,
) -> Result<(), LabError> {
    let (lab, states) = match config {
        Some(c) => {
            let lab = load(c, &overrides(None, None))?;
            let n = lab.routers.len();
            (lab, vec![State::Unknown; n])
        }
        None => {
            let run = lab::select(lab_name)?;
            let states = if run.is_stale() {
                vec![State::Dead; run.lab.routers.len()]
            } else {
                poll_states(&run).await?
            };
            (run.lab, states)
        }
    };
    let text = match format {
        "svg" => draw::svg(&lab, &states),
        "dot" => draw::dot(&lab, &states),
        "json" => draw::json(&lab, &states),
        other => return Err(LabError::Input(format!("--format {other:?}: use svg, dot or json"))),
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .map_err(|e| {
            let msg = format!("{}: {e}", out.display());
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                LabError::Input(format!("{msg}; nsbgp never overwrites files: choose another -o"))
            } else {
                LabError::Runtime(msg)
            }
        })?;
    std::io::Write::write_all(&mut f, text.as_bytes())
        .map_err(|e| LabError::Runtime(format!("{}: {e}", out.display())))?;
    let count = |s: State| states.iter().filter(|&&x| x == s).count();
    let summary = if states.iter().all(|&s| s == State::Unknown) {
        String::new()
    } else {
        format!(
            "; converged {}, not converged {}, daemon dead {}",
            count(State::Converged),
            count(State::NotConverged),
            count(State::Dead)
        )
    };
    println!(
        "wrote {} ({} routers, {} links{}, {}){summary}",
        out.display(),
        lab.routers.len(),
        lab.links.len(),
        match lab.lans.len() {
            0 => String::new(),
            1 => ", 1 LAN".into(),
            n => format!(", {n} LANs"),
        },
        lab.topology.shape
    );
    Ok(())
}

/// One poll of every router: dead (a daemon is not running), converged, or not.
async fn poll_states(run: &lab::Running) -> Result<Vec<State>, LabError> {
    let mut poller = crate::monitor::poll::Poller::open(run).await?;
    let poll = poller.poll().await;
    Ok(poll
        .obs
        .iter()
        .enumerate()
        .map(|(i, o)| {
            if o.daemons.iter().any(|(_, p)| !p.alive) {
                State::Dead
            } else if poll.converged(i) {
                State::Converged
            } else {
                State::NotConverged
            }
        })
        .collect())
}
