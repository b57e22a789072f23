//! `nsbgp check --policy`: every router's best routes, read from its daemon by its suite
//! (`RoutingSuite::best_routes`: FRR's `show ip bgp json`, BIRD's `show route all`), against
//! the policy's prediction: each route
//! must exist exactly when predicted, with the predicted AS path (which fixes its length,
//! its class and its next AS), and be valley-free.

use super::{path, valley_free, Net, Prediction};
use crate::config::Lab;
use crate::lab::{LabError, Running};
use serde::Serialize;

/// A best route as a daemon reports it (each suite reads its own: `RoutingSuite::best_routes`).
pub type Observed = crate::suite::BestRoute;

/// One route that is not as predicted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub router: String,
    pub prefix: String,
    /// The AS whose prefix it is.
    pub origin: String,
    pub predicted: Option<String>,
    pub observed: Option<String>,
    pub problem: String,
}

/// Router `r`'s routes against the prediction: every origin's prefix (its own excepted).
pub fn judge(lab: &Lab, net: &Net, p: &Prediction, r: usize, seen: &[Observed]) -> Vec<Finding> {
    let asns: Vec<u32> = lab.routers.iter().map(|x| x.asn).collect();
    let show = |v: &[u32]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(" ");
    let mut v = Vec::new();
    for (o, prefix) in lab.policy.prefixes.iter().enumerate() {
        if o == r {
            continue;
        }
        let want: Option<Vec<u32>> =
            p.by_origin[o][r].map(|_| path(&p.by_origin[o], r)[1..].iter().map(|&x| asns[x]).collect());
        let got = seen.iter().find(|s| s.prefix == *prefix).map(|s| s.as_path.clone());
        let finding = |problem: String| Finding {
            router: lab.routers[r].name.clone(),
            prefix: prefix.to_string(),
            origin: lab.routers[o].name.clone(),
            predicted: want.as_deref().map(show),
            observed: got.as_deref().map(show),
            problem,
        };
        match (&want, &got) {
            (None, None) => {}
            (Some(_), None) => v.push(finding("no route, but the policy predicts one".into())),
            (None, Some(_)) => v.push(finding("a route the policy predicts none for".into())),
            (Some(w), Some(g)) => {
                let routers: Option<Vec<usize>> = std::iter::once(Some(r))
                    .chain(g.iter().map(|a| asns.iter().position(|x| x == a)))
                    .collect();
                match routers {
                    None => v.push(finding("its AS path holds an AS that is not in the lab".into())),
                    Some(rs) if !valley_free(net, &rs) => v.push(finding("its AS path is not valley-free".into())),
                    Some(_) if w != g => v.push(finding(if w.len() != g.len() {
                        format!("AS path length {}, predicted {}", g.len(), w.len())
                    } else {
                        "another AS path than predicted".into()
                    })),
                    Some(_) => {}
                }
            }
        }
    }
    v
}

/// Router `index`'s best routes, from its daemon.
pub async fn read(run: &Running, password: &str, index: usize) -> Result<Vec<Observed>, String> {
    let target = crate::suite::Target {
        lab: &run.lab,
        index,
        dirs: run.dirs(index),
        password,
    };
    crate::suites::of(run.lab.routers[index].suite)
        .best_routes(&target)
        .await
        .map_err(|e| match e {
            // The finding names the router already.
            crate::suite::SuiteError::Daemon { source, .. } => source.to_string(),
            e => e.to_string(),
        })
}

/// Every router's findings (an unreadable daemon is one finding).
pub async fn check(run: &Running) -> Result<Vec<Finding>, LabError> {
    use futures::StreamExt;
    let lab = &run.lab;
    if !lab.internet() {
        return Err(LabError::Input(format!(
            "lab {} has no routing policy ([policy] model = \"none\"): `check --policy` compares routes with a Gao-Rexford prediction; use `check` for hop counts",
            lab.name
        )));
    }
    let password = run.password()?;
    let net = Net::of(lab);
    let p = Prediction::of(lab);
    let per: Vec<(usize, Result<Vec<Observed>, String>)> = futures::stream::iter(0..lab.routers.len())
        .map(|i| {
            let password = password.clone();
            async move { (i, read(run, &password, i).await) }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut per = per;
    per.sort_by_key(|(i, _)| *i);
    let mut out = Vec::new();
    for (i, seen) in per {
        match seen {
            Ok(seen) => out.extend(judge(lab, &net, &p, i, &seen)),
            Err(e) => out.push(Finding {
                router: lab.routers[i].name.clone(),
                prefix: "-".into(),
                origin: "-".into(),
                predicted: None,
                observed: None,
                problem: format!("cannot read its routes: {e}"),
            }),
        }
    }
    Ok(out)
}
