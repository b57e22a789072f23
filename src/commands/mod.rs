//! One file per subcommand: what each does, on top of the library modules. `cli` parses
//! and calls in here; nothing below `commands` imports from it.

pub mod attach;
pub mod capture;
pub mod check;
pub mod completions;
pub mod doctor;
pub mod down;
pub mod exec;
pub mod export;
pub mod graph;
pub mod import;
pub mod list;
pub mod render;
pub mod restart;
pub mod save;
pub mod status;
pub mod trace;
pub mod up;
pub mod vty;
pub mod vtysh;

use crate::config::{self, Daemon, Overrides};
use crate::lab::{self, LabError};

pub(crate) fn rt(e: impl std::fmt::Display) -> LabError {
    LabError::Runtime(e.to_string())
}

pub fn overrides(routers: Option<i64>, lab: Option<config::LabName>) -> Overrides {
    Overrides { routers, name: lab }
}

pub fn load(config: &std::path::Path, ov: &Overrides) -> Result<config::Lab, LabError> {
    Ok(config::load(config, ov)?)
}

/// Resolves a router argument (`ROUTER_5`, `5`, `AS105`) or explains the accepted forms.
pub fn router_arg(run: &lab::Running, spec: &str) -> Result<usize, LabError> {
    run.lab.resolve_router(spec).ok_or_else(|| {
        let n = run.lab.routers.len();
        LabError::Input(format!(
            "lab {} has no router {spec:?}; use a name ({}0 … {}{}), an index (0 … {}) or an AS (AS{} … AS{})",
            run.lab.name,
            run.lab.router_prefix,
            run.lab.router_prefix,
            n - 1,
            n - 1,
            run.lab.first_asn,
            run.lab.first_asn + n as u32 - 1
        ))
    })
}

/// Export and import problems: bad input is exit 2, a failed write exit 1.
pub(crate) fn clab_err(e: crate::clab::ClabError) -> LabError {
    match e {
        crate::clab::ClabError::Input(m) => LabError::Input(m),
        e @ crate::clab::ClabError::Write { .. } => LabError::Runtime(e.to_string()),
    }
}

pub fn daemon_arg(s: &str) -> Result<Daemon, LabError> {
    Daemon::parse(s).ok_or_else(|| LabError::Input(format!("unknown daemon {s:?}: use bgpd, zebra or bird")))
}

/// The daemon a command addresses on router `idx`: `spec` if the router runs it, else its
/// suite's default (bgpd on FRR routers, bird on BIRD routers).
pub fn router_daemon(run: &lab::Running, idx: usize, spec: Option<&str>) -> Result<Daemon, LabError> {
    let runs = run.lab.daemons_of(idx);
    let Some(spec) = spec else {
        return Ok(crate::suites::of(run.lab.routers[idx].suite).default_daemon(&run.lab));
    };
    let d = daemon_arg(spec)?;
    if !runs.contains(&d) {
        let r = &run.lab.routers[idx];
        return Err(LabError::Input(format!(
            "{} runs {} ({}), not {d}; use {}",
            r.name,
            r.suite,
            runs.iter().map(|d| d.name()).collect::<Vec<_>>().join(" and "),
            runs.iter().map(|d| d.name()).collect::<Vec<_>>().join(" or ")
        )));
    }
    Ok(d)
}

#[cfg(test)]
mod tests;
