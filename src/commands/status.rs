//! `nsbgp status`: the convergence report, once or `--watch`ed.

use crate::lab::{self, LabError};
use std::io::IsTerminal;

/// `status`: one poll (or `--watch`: a poll every SECS seconds until Ctrl-C).
pub async fn status(
    lab_name: Option<&crate::config::LabName>,
    json: bool,
    watch: Option<f64>,
    all: bool,
    timeline: bool,
) -> Result<(), LabError> {
    use crate::monitor::{self, poll::Poller, view};
    let run = lab::select(lab_name)?;
    if run.is_stale() {
        return Err(LabError::Runtime(format!(
            "lab {} is left over from an earlier boot; clean it with `nsbgp down --lab {}`",
            run.lab.name, run.lab.name
        )));
    }
    let mut poller = Poller::open(&run).await?;
    let tty = std::io::stdout().is_terminal();
    // Registered once, before the first poll: a Ctrl-C that lands while a poll runs must
    // still stop the watch (a handler made per sleep missed it, and the watch ran on).
    let stop = watch.map(|_| lab::up::Shutdown::install());
    loop {
        let poll = poller.poll().await;
        let mut st = monitor::lab_status(&poller, &poll);
        if run.lab.internet() {
            let got = monitor::origins::read(&run.lab).await;
            for (r, o) in st.routers.iter_mut().zip(got) {
                r.origins = Some(o);
            }
        }
        let frame = if timeline && json {
            serde_json::to_string_pretty(&poller.timeline).expect("timeline serializes")
        } else if timeline {
            view::timeline(&poller.timeline, all)
        } else if json && watch.is_some() {
            // One object per line: a stream other tools can follow.
            serde_json::to_string(&st).expect("status serializes")
        } else if json {
            serde_json::to_string_pretty(&st).expect("status serializes")
        } else {
            view::table(&st, all)
        };
        let Some(secs) = watch else {
            println!("{}", frame.trim_end());
            return Ok(());
        };
        if tty && !json {
            // Redraw in place: home, clear, frame.
            print!("\x1b[H\x1b[2J{}\n(every {secs} s; Ctrl-C stops)\n", frame.trim_end());
        } else {
            println!("{}", frame.trim_end());
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let stop = stop.as_ref().expect("installed with --watch");
        if stop.requested() {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs_f64(secs)) => {}
            _ = stop.wait() => return Ok(()),
        }
    }
}
