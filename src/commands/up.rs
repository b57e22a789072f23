//! `nsbgp up`: build a lab, optionally wait for convergence.

use super::load;
use crate::config::Overrides;
use crate::lab::{self, LabError};
use std::io::IsTerminal;
use std::path::Path;

pub async fn up(
    config: &Path,
    ov: Overrides,
    wait: bool,
    timeout: Option<f64>,
    ignore_memory: bool,
    configs: Option<&Path>,
) -> Result<(), LabError> {
    let lab = load(config, &ov)?;
    // Read and checked before anything is built: a bad directory is exit 2, host untouched.
    let saved = configs.map(|d| lab::saved::load(&lab, d)).transpose()?;
    if !ignore_memory {
        lab::up::memory_check(&lab)?;
    }
    raise_fd_limit();
    let progress = lab::up::Progress::default();
    let password = lab::new_password();
    let report = if std::io::stdout().is_terminal() {
        // Routers started so far, while the launch runs (quiet when not on a terminal).
        let bar = indicatif::ProgressBar::new(lab.routers.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} routers started",
            )
            .expect("valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        let work = lab::up::up_with_progress(&lab, &password, &progress, saved.as_ref());
        tokio::pin!(work);
        let r = loop {
            tokio::select! {
                r = &mut work => break r,
                _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => {
                    bar.set_position(progress.routers_started.load(std::sync::atomic::Ordering::Relaxed) as u64);
                }
            }
        };
        bar.finish_and_clear();
        r?
    } else {
        lab::up::up_with_progress(&lab, &password, &progress, saved.as_ref()).await?
    };
    let raised = if lab.hold_links {
        format!(", links raised {:.1} s", report.raise_ms as f64 / 1000.0)
    } else {
        String::new()
    };
    println!(
        "lab {}: {} routers up in {:.1} s (namespaces {:.1} s, links {:.1} s, files {:.1} s, daemons {:.1} s{raised})",
        lab.name,
        lab.routers.len(),
        report.total_ms as f64 / 1000.0,
        report.namespaces_ms as f64 / 1000.0,
        report.links_ms as f64 / 1000.0,
        report.files_ms as f64 / 1000.0,
        report.daemons_ms as f64 / 1000.0
    );
    if wait {
        // The lab just built, as held here: not read back from the state directory.
        let run = lab::Running::built(lab.clone(), report.state.clone().expect("a built lab has its state"));
        // The build's signal handler stays installed: without this, Ctrl-C would do nothing
        // while waiting.
        let st = tokio::select! {
            r = crate::monitor::wait_converged_on(&run, timeout) => r?,
            _ = lab::up::shutdown_signal() => {
                return Err(LabError::Runtime(format!(
                    "interrupted while waiting; lab {} is still up: `nsbgp status --lab {0}`, \
                     `nsbgp down --lab {0}`",
                    lab.name
                )))
            }
        };
        println!("{}", crate::monitor::view::summary(&st));
    }
    Ok(())
}

/// Each namespace costs nsbgp an fd and a netlink socket while it builds.
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
        }
    }
}
