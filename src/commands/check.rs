//! `nsbgp check`: the hop-count suite.

use crate::lab::{self, LabError};

/// `check`: the hop-count suite, traces run concurrently with a bound.
pub async fn check(
    lab_name: Option<&crate::config::LabName>,
    json: bool,
    sample: Option<usize>,
) -> Result<(), LabError> {
    use crate::trace::{self, Case};
    use futures::StreamExt;
    let run = lab::select(lab_name)?;
    let lab = &run.lab;
    let n = lab.routers.len();
    if sample == Some(0) {
        return Err(LabError::Input("--sample 0: give at least 1 router".into()));
    }
    // The same cases in every family the lab runs. An internet lab is traced from each
    // sampled router to each sampled AS's own prefix, hop counts by the policy.
    let sources = trace::sample(n, sample);
    let cases = if lab.internet() {
        trace::policy_cases(n, &sources, sample.map(|_| sources.as_slice()))
    } else {
        trace::cases(&lab.graph, &sources)
    };
    let plan: Vec<_> = lab
        .families()
        .iter()
        .flat_map(|&f| cases.iter().map(move |&(k, to)| (f, k, to)))
        .collect();
    let started = std::time::Instant::now();
    let results: Vec<(usize, Case)> = futures::stream::iter(plan.into_iter().enumerate())
        .map(|(i, (family, k, to))| async move {
            let spec = to.map_or("world".to_string(), |j| j.to_string());
            let target = trace::resolve_target(lab, k, &spec, family).expect("planned targets are in the lab");
            let expected = target.expected.unwrap_or(0);
            let mut case = Case {
                family,
                from: lab.routers[k].name.clone(),
                to: target.label.clone(),
                expected,
                got: None,
                reached: false,
                pass: false,
                note: None,
            };
            if target.expected.is_none() {
                // Only an internet lab's policy leaves an AS unreached: nothing to trace.
                case.note = Some("skipped: the policy predicts no route".into());
                return (i, case);
            }
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
                    case.pass = r.passed();
                    case.note = r.error.clone().or_else(|| {
                        (r.reached && !r.hops_adjacent).then(|| "hops are not consecutive neighbours".into())
                    });
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
        let fam = lab.families().len() > 1;
        if fam {
            println!(
                "{:<5} {:<14} {:<14} {:>8} {:>5}  RESULT",
                "AF", "FROM", "TO", "EXPECTED", "GOT"
            );
        } else {
            println!("{:<14} {:<14} {:>8} {:>5}  RESULT", "FROM", "TO", "EXPECTED", "GOT");
        }
        for c in &cases {
            let result = match (&c.note, c.pass) {
                (Some(n), _) if n.starts_with("skipped") => "SKIP".to_string(),
                (_, true) => "PASS".into(),
                (Some(n), false) => format!("FAIL ({n})"),
                (None, false) => "FAIL".into(),
            };
            if fam {
                print!("{:<5} ", c.family.name());
            }
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
                "; {skipped} case(s) skipped: {}",
                if lab.internet() {
                    "the policy predicts no route".to_string()
                } else {
                    format!("paths over {} hops cannot be traced (IP TTL is 8 bits)", trace::MAX_TTL)
                }
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

/// `check --policy`: every router's best routes against the policy's prediction.
pub async fn check_policy(lab_name: Option<&crate::config::LabName>, json: bool) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    let lab = &run.lab;
    let findings = crate::policy::check::check(&run).await?;
    let routes: usize = lab.routers.len() * lab.policy.prefixes.len().saturating_sub(1);
    if json {
        let v = serde_json::json!({
            "lab": lab.name, "routers": lab.routers.len(), "routes": routes,
            "failed": findings.len(), "findings": findings,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
    } else {
        for f in &findings {
            println!(
                "{:<14} {:<18} ({:<10}) FAIL: {}; predicted [{}], observed [{}]",
                f.router,
                f.prefix,
                f.origin,
                f.problem,
                f.predicted.as_deref().unwrap_or("none"),
                f.observed.as_deref().unwrap_or("none")
            );
        }
        println!(
            "check --policy: {} routers x {} origins: {} as predicted and valley-free, {} not",
            lab.routers.len(),
            lab.policy.prefixes.len(),
            routes.saturating_sub(findings.len()),
            findings.len()
        );
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(LabError::Runtime(format!(
            "{} route(s) not as predicted",
            findings.len()
        )))
    }
}
