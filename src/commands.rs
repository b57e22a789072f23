//! What each subcommand does, on top of the library modules.

use crate::cli::{daemon_arg, load, router_arg};
use crate::config::{Daemon, Overrides};
use crate::lab::{self, down, LabError};
use crate::rootfs;
use std::io::IsTerminal;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

fn rt(e: impl std::fmt::Display) -> LabError {
    LabError::Runtime(e.to_string())
}

/// A random vty password for a new lab (hex, 20 chars).
pub fn new_password() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..20).map(|_| format!("{:x}", rng.random_range(0..16u8))).collect()
}

pub async fn up(config: &Path, ov: Overrides, wait: bool, timeout: Option<f64>) -> Result<(), LabError> {
    let lab = load(config, &ov)?;
    raise_fd_limit();
    let progress = lab::up::Progress::default();
    let password = new_password();
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
        let work = lab::up::up_with_progress(&lab, &password, &progress);
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
        lab::up::up_with_progress(&lab, &password, &progress).await?
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
        // The build's signal handler stays installed: without this, Ctrl-C would do nothing
        // while waiting.
        let st = tokio::select! {
            r = crate::monitor::wait_converged(&lab.name, timeout) => r?,
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

pub async fn down(config: Option<PathBuf>, lab: Option<String>, all: bool, dry_run: bool) -> Result<(), LabError> {
    let names: Vec<String> = if all {
        lab::lab_names()
    } else if let Some(c) = config {
        vec![load(&c, &Overrides::default())?.name]
    } else if let Some(l) = lab {
        vec![l]
    } else {
        return Err(LabError::Input(
            "say which lab: `nsbgp down -c FILE`, `--lab NAME` or `--all`".into(),
        ));
    };
    if names.is_empty() {
        println!("no labs to take down");
        return Ok(());
    }
    let mut failures = 0;
    for name in names {
        let rep = down::teardown(&name, down::Options { dry_run }).await;
        if !rep.found {
            println!("lab {name}: not running; nothing to do");
            continue;
        }
        let verb = if dry_run { "would remove" } else { "removed" };
        let ns = rep.removed.iter().filter(|r| r.starts_with("namespace ")).count();
        if dry_run {
            for r in &rep.removed {
                println!("lab {name}: {verb} {r}");
            }
        }
        println!(
            "lab {name}: {verb} {ns} namespace(s) and {} other object(s)",
            rep.removed.len() - ns
        );
        for f in &rep.foreign {
            println!("lab {name}: left alone: {f}");
        }
        for n in &rep.notes {
            println!("lab {name}: {n}");
        }
        for e in &rep.errors {
            eprintln!("lab {name}: error: {e}");
        }
        if !rep.errors.is_empty() {
            failures += 1;
            eprintln!(
                "lab {name}: {} problem(s); run `nsbgp down --lab {name}` again once they are fixed",
                rep.errors.len()
            );
        }
    }
    if failures > 0 {
        Err(LabError::Runtime(format!("{failures} lab(s) not fully removed")))
    } else {
        Ok(())
    }
}

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
    for name in lab::lab_names() {
        let Ok(run) = lab::open(&name) else { continue };
        if run.is_stale() {
            // Left by an earlier boot: nothing of it runs; remove its files, trust nothing else.
            let rep = down::teardown(&name, down::Options { dry_run: false }).await;
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
        let total = run.lab.routers.len() * run.lab.daemons.len();
        let mut alive = 0;
        for i in 0..run.lab.routers.len() {
            for &d in &run.lab.daemons {
                let pid = crate::frr::spawn::read_pid(&crate::frr::spawn::pid_file(&run.dirs(i), d));
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
            lab: name,
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

/// `status`: one poll (or `--watch`: a poll every SECS seconds until Ctrl-C).
pub async fn status(
    lab_name: Option<&str>,
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
    if let Some(s) = watch {
        if !(s > 0.0 && s.is_finite()) {
            return Err(LabError::Input(format!(
                "--watch {s}: give a positive number of seconds"
            )));
        }
    }
    let mut poller = Poller::open(&run).await?;
    let tty = std::io::stdout().is_terminal();
    loop {
        let poll = poller.poll().await;
        let st = monitor::lab_status(&poller, &poll);
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
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs_f64(secs)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

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

/// `attach`: an interactive, logged-in vty session in the router's namespace.
pub async fn attach(lab_name: Option<&str>, router: &str, daemon: &str) -> Result<(), LabError> {
    use crate::frr::attach;
    let run = lab::select(lab_name)?;
    let idx = router_arg(&run, router)?;
    let d = daemon_arg(daemon)?;
    let r = run.lab.routers[idx].clone();
    if !std::io::stdin().is_terminal() {
        return Err(LabError::Input(format!(
            "attach needs a terminal; for scripts use `nsbgp vty {} -d {d} -c 'COMMAND'`",
            r.name
        )));
    }
    let pid = crate::frr::spawn::read_pid(&crate::frr::spawn::pid_file(&run.dirs(idx), d));
    if !pid.is_some_and(|p| lab::pid_alive(p) && lab::pid_comm(p).as_deref() == Some(d.name())) {
        return Err(LabError::Runtime(format!(
            "{d} on {} is not running; start it with `nsbgp restart {} {d}`",
            r.name, r.name
        )));
    }
    let password = run.password()?;
    let name = r.name.clone();
    let stream = tokio::task::spawn_blocking(move || crate::frr::vty::connect_raw(&name, d))
        .await
        .expect("connect task")
        .map_err(rt)?;
    let dirs = run.dirs(idx);
    let end = attach::run(stream, &password, &attach::banner(&r.name, r.asn, d))
        .await
        .map_err(|e| {
            // The daemon may have died between the check above and the login.
            let alive = crate::frr::spawn::read_pid(&crate::frr::spawn::pid_file(&dirs, d))
                .is_some_and(|p| lab::pid_alive(p) && lab::pid_comm(p).as_deref() == Some(d.name()));
            if alive {
                LabError::Runtime(format!("attach to {d} on {}: {e}", r.name))
            } else {
                LabError::Runtime(format!(
                    "{d} on {} is not running (it stopped while attaching: {e}); start it with `nsbgp restart {} {d}`",
                    r.name, r.name
                ))
            }
        })?;
    match end {
        attach::End::Escape => eprintln!("\nleft {d} on {}", r.name),
        attach::End::Closed => eprintln!("\n{d} on {} closed the connection", r.name),
        attach::End::Signal => eprintln!("\nsession ended by a signal"),
    }
    Ok(())
}

/// `trace`: one traceroute inside the source router's namespace.
pub async fn trace(
    lab_name: Option<&str>,
    from: &str,
    to: &str,
    expect_hops: Option<usize>,
    json: bool,
) -> Result<(), LabError> {
    use crate::trace;
    let run = lab::select(lab_name)?;
    let k = router_arg(&run, from)?;
    let mut target = trace::resolve_target(&run.lab, k, to)?;
    trace::check_cap(&run.lab, k, &target)?;
    if let Some(e) = expect_hops.filter(|&e| e > trace::MAX_TTL) {
        return Err(LabError::Input(format!(
            "--expect-hops {e}: IP's 8-bit TTL caps any path at {} hops",
            trace::MAX_TTL
        )));
    }
    let rule = target.expected;
    // Probe a little past what the user expects, too.
    target.expected = match (rule, expect_hops) {
        (Some(r), Some(e)) => Some(r.max(e)),
        (r, e) => r.or(e),
    };
    let mut res = trace::trace(&run.lab, k, &target).await?;
    res.expected_hops = expect_hops;
    if json {
        println!("{}", serde_json::to_string_pretty(&res).expect("trace serializes"));
    } else {
        println!("trace {} → {} ({})", res.from, res.to, res.target_addr);
        for h in &res.hops {
            println!(
                "{:>4}  {:<16} {:<14} {}",
                h.ttl,
                h.addr.as_deref().unwrap_or("*"),
                h.router.as_deref().unwrap_or("-"),
                h.rtt_ms.map_or(String::new(), |r| format!("{r:.3} ms"))
            );
        }
        if let Some(e) = &res.error {
            println!("traceroute: {e}");
        }
        let verdict = if res.passed() { "PASS" } else { "FAIL" };
        let exp = match (expect_hops, rule) {
            (Some(e), _) => format!("expected {e}"),
            (None, Some(r)) => format!("the topology predicts {r}"),
            (None, None) => "no expectation".into(),
        };
        if res.reached {
            println!(
                "{verdict}: reached {} in {} hops ({exp})",
                res.target_addr, res.hop_count
            );
        } else {
            println!("{verdict}: did not reach {} ({exp})", res.target_addr);
        }
    }
    if res.passed() {
        Ok(())
    } else {
        Err(LabError::Runtime(if res.reached {
            format!("{} hops, not {}", res.hop_count, expect_hops.unwrap_or(0))
        } else {
            format!("{} not reached from {}", res.target_addr, res.from)
        }))
    }
}

/// `check`: the hop-count suite, traces run concurrently with a bound.
pub async fn check(lab_name: Option<&str>, json: bool, sample: Option<usize>) -> Result<(), LabError> {
    use crate::trace::{self, Case};
    use futures::StreamExt;
    let run = lab::select(lab_name)?;
    let lab = &run.lab;
    let n = lab.routers.len();
    if sample == Some(0) {
        return Err(LabError::Input("--sample 0: give at least 1 router".into()));
    }
    let plan = trace::cases(n, &trace::sample(n, sample));
    let started = std::time::Instant::now();
    let results: Vec<(usize, Case)> = futures::stream::iter(plan.into_iter().enumerate())
        .map(|(i, (k, to))| async move {
            let spec = to.map_or("world".to_string(), |j| j.to_string());
            let target = trace::resolve_target(lab, k, &spec).expect("planned targets are in the lab");
            let expected = target.expected.expect("planned targets have a rule");
            let mut case = Case {
                from: lab.routers[k].name.clone(),
                to: target.label.clone(),
                expected,
                got: None,
                reached: false,
                pass: false,
                note: None,
            };
            if expected > trace::MAX_TTL {
                case.note = Some(format!(
                    "skipped: {expected} hops exceed IP's {}-hop TTL cap",
                    trace::MAX_TTL
                ));
                return (i, case);
            }
            match trace::trace(lab, k, &target).await {
                Ok(r) => {
                    case.reached = r.reached;
                    case.got = r.reached.then_some(r.hop_count);
                    case.pass = r.reached && r.hop_count == expected;
                    case.note = r.error;
                }
                Err(e) => case.note = Some(e.to_string()),
            }
            (i, case)
        })
        .buffer_unordered(trace::CHECK_CONCURRENCY)
        .collect()
        .await;
    let mut results = results;
    results.sort_by_key(|(i, _)| *i);
    let cases: Vec<Case> = results.into_iter().map(|(_, c)| c).collect();
    let skipped = cases
        .iter()
        .filter(|c| c.note.as_deref().is_some_and(|n| n.starts_with("skipped")))
        .count();
    let total = cases.len() - skipped;
    let passed = cases.iter().filter(|c| c.pass).count();
    let secs = started.elapsed().as_secs_f64();
    if json {
        let v = serde_json::json!({
            "lab": lab.name, "total": total, "passed": passed, "failed": total - passed,
            "skipped": skipped, "seconds": secs, "cases": cases,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
    } else {
        println!("{:<14} {:<14} {:>8} {:>5}  RESULT", "FROM", "TO", "EXPECTED", "GOT");
        for c in &cases {
            let result = match (&c.note, c.pass) {
                (Some(n), _) if n.starts_with("skipped") => "SKIP".to_string(),
                (_, true) => "PASS".into(),
                (Some(n), false) => format!("FAIL ({n})"),
                (None, false) => "FAIL".into(),
            };
            println!(
                "{:<14} {:<14} {:>8} {:>5}  {result}",
                c.from,
                c.to,
                c.expected,
                c.got.map_or("-".into(), |g| g.to_string())
            );
        }
        let mut line = format!("check: {passed}/{total} passed in {secs:.1} s");
        if skipped > 0 {
            line.push_str(&format!(
                "; {skipped} case(s) skipped: paths over {} hops cannot be traced (IP TTL is 8 bits)",
                trace::MAX_TTL
            ));
        }
        println!("{line}");
    }
    if passed == total {
        Ok(())
    } else {
        Err(LabError::Runtime(format!(
            "{} of {total} hop-count case(s) failed",
            total - passed
        )))
    }
}

pub fn render(config: &Path, out: &Path, ov: Overrides) -> Result<(), LabError> {
    let lab = load(config, &ov)?;
    // A placeholder, not a secret: `up` puts a random per-lab password in its place.
    let n = crate::render::render_to_dir(&lab, out, "RENDERED-PASSWORD").map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            LabError::Input(format!(
                "{e}: render never overwrites files; choose an empty -o directory"
            ))
        } else {
            rt(e)
        }
    })?;
    println!(
        "wrote {n} files for {} routers into {}",
        lab.routers.len(),
        out.display()
    );
    Ok(())
}

pub async fn doctor(config: Option<&Path>) -> Result<(), LabError> {
    let lab = match config {
        Some(c) => Some(load(c, &Overrides::default())?),
        None => None,
    };
    let checks = crate::doctor::run(lab.as_ref());
    let mut failed = 0;
    for c in &checks {
        println!("{:<5} {:<28} {}", if c.ok { "OK" } else { "FAIL" }, c.name, c.detail);
        if !c.ok {
            failed += 1;
            println!("      fix: {}", c.fix);
        }
    }
    if failed > 0 {
        Err(LabError::Runtime(format!("{failed} check(s) failed")))
    } else {
        Ok(())
    }
}

pub async fn restart(lab_name: Option<&str>, router: &str, daemon: &str) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    let idx = router_arg(&run, router)?;
    let daemons: Vec<Daemon> = if daemon == "all" {
        run.lab.daemons.clone()
    } else {
        vec![daemon_arg(daemon)?]
    };
    let name = run.lab.routers[idx].name.clone();
    // Stop what runs first (bgpd before zebra), then start in order (zebra before bgpd).
    for &d in daemons.iter().rev() {
        crate::frr::spawn::stop(&run.dirs(idx), d, nix::sys::signal::Signal::SIGTERM).await;
    }
    for d in daemons {
        let pid = lab::up::restart_daemon(&run, idx, d).await?;
        println!("{name}: {d} started (pid {pid})");
    }
    Ok(())
}

/// Runs a program in a router's namespace with its `/etc/netns` files, like `ip netns exec`:
/// a private mount namespace where those files cover `/etc`'s and `/sys` shows the router.
pub fn exec(lab_name: Option<&str>, router: &str, program: &[String]) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    let idx = router_arg(&run, router)?;
    let name = run.lab.routers[idx].name.clone();
    let fd = crate::netns::open_named(&name).map_err(rt)?;
    let etc = Path::new(lab::up::ETC_NETNS).join(&name);
    let binds: Vec<(std::ffi::CString, std::ffi::CString)> = std::fs::read_dir(&etc)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| (cstring(&e.path()), cstring(&Path::new("/etc").join(e.file_name()))))
                .collect()
        })
        .unwrap_or_default();
    let mut cmd = std::process::Command::new(&program[0]);
    cmd.args(&program[1..]).env("NSBGP_ROUTER", &name);
    let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
    // SAFETY: only syscalls on data prepared before fork.
    unsafe {
        cmd.pre_exec(move || {
            use nix::mount::{mount, umount2, MntFlags, MsFlags};
            nix::sched::setns(
                std::os::fd::BorrowedFd::borrow_raw(raw),
                nix::sched::CloneFlags::CLONE_NEWNET,
            )?;
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)?;
            mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_SLAVE,
                None::<&str>,
            )?;
            for (src, dst) in &binds {
                mount(
                    Some(src.as_c_str()),
                    dst.as_c_str(),
                    None::<&str>,
                    MsFlags::MS_BIND,
                    None::<&str>,
                )?;
            }
            // sysfs shows the namespace of whoever mounts it.
            if umount2("/sys", MntFlags::MNT_DETACH).is_ok() {
                let _ = mount(Some("sysfs"), "/sys", Some("sysfs"), MsFlags::empty(), None::<&str>);
            }
            Ok(())
        });
    }
    let status = cmd
        .status()
        .map_err(|e| LabError::Input(format!("cannot run {:?} in {name}: {e}", program[0])))?;
    std::process::exit(
        status
            .code()
            .unwrap_or(128 + std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0)),
    );
}

fn cstring(p: &Path) -> std::ffi::CString {
    std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str())).expect("no NUL in paths")
}

/// FRR's vtysh inside the router's namespace and chroot, where it finds the daemons' sockets.
pub fn vtysh(lab_name: Option<&str>, router: &str, args: &[String]) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    let idx = router_arg(&run, router)?;
    let name = run.lab.routers[idx].name.clone();
    let fd = crate::netns::open_named(&name).map_err(rt)?;
    let mounts = rootfs::PreparedMounts::new(&rootfs::plan(&run.dirs(idx), &rootfs::RealHost));
    let mut cmd = std::process::Command::new("/usr/bin/vtysh");
    cmd.args(args);
    if args.is_empty() && !std::io::stdin().is_terminal() {
        return Err(LabError::Input(
            "vtysh without -c needs a terminal; pass commands: `nsbgp vtysh R -- -c 'show ip bgp summary'`".into(),
        ));
    }
    let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
    // SAFETY: only syscalls on data prepared before fork.
    unsafe {
        cmd.pre_exec(move || {
            nix::sched::setns(
                std::os::fd::BorrowedFd::borrow_raw(raw),
                nix::sched::CloneFlags::CLONE_NEWNET,
            )?;
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)?;
            rootfs::apply(&mounts, &mut rootfs::Syscalls)?;
            Ok(())
        });
    }
    let status = cmd
        .status()
        .map_err(|e| rt(format!("cannot run vtysh in {name}: {e}")))?;
    std::process::exit(status.code().unwrap_or(1));
}
