//! `nsbgp check --policy`: every router's best routes, read from its daemon (FRR's
//! `show ip bgp json`, BIRD's `show route all`), against the policy's prediction: each route
//! must exist exactly when predicted, with the predicted AS path (which fixes its length,
//! its class and its next AS), and be valley-free.

use super::{path, valley_free, Net, Prediction};
use crate::config::{Daemon, Lab, Suite};
use crate::lab::{LabError, Running};
use ipnet::Ipv4Net;
use serde::Serialize;

/// A best route as a daemon reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub prefix: Ipv4Net,
    /// AS numbers from the next AS to the origin (empty: the router's own route).
    pub as_path: Vec<u32>,
}

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

/// Best routes in FRR's `show ip bgp json`.
pub fn parse_frr(text: &str) -> Result<Vec<Observed>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("bgpd's JSON: {e}"))?;
    let mut out = Vec::new();
    let Some(routes) = v["routes"].as_object() else {
        return Ok(out);
    };
    for (prefix, paths) in routes {
        let Ok(prefix) = prefix.parse::<Ipv4Net>() else {
            continue;
        };
        for p in paths.as_array().into_iter().flatten() {
            if p["bestpath"].as_bool() == Some(true) {
                let as_path = p["path"]
                    .as_str()
                    .unwrap_or("")
                    .split_whitespace()
                    .filter_map(|a| a.parse().ok())
                    .collect();
                out.push(Observed { prefix, as_path });
            }
        }
    }
    Ok(out)
}

/// Best (`*`) BGP and own routes in BIRD's `show route all` (one line per reply line).
pub fn parse_bird(lines: &[String]) -> Vec<Observed> {
    let mut out = Vec::new();
    let mut net: Option<Ipv4Net> = None;
    let mut in_best = false;
    for line in lines {
        if line.starts_with('\t') {
            if in_best {
                if let Some(rest) = line.trim().strip_prefix("BGP.as_path:") {
                    if let Some(o) = out.last_mut() {
                        let o: &mut Observed = o;
                        o.as_path = rest.split_whitespace().filter_map(|a| a.parse().ok()).collect();
                    }
                }
            }
            continue;
        }
        if line.starts_with("Table ") || line.starts_with("BIRD ") {
            continue;
        }
        // "198.18.4.0/24  unicast [bgp1 …] * (100) [AS104i]", or "  unicast [bgp2 …] (100) …"
        // for another route of the same net.
        if !line.starts_with(' ') {
            net = line.split_whitespace().next().and_then(|n| n.parse().ok());
        }
        let Some(close) = line.find(']') else {
            in_best = false;
            continue;
        };
        in_best = line[close + 1..].trim_start().starts_with('*');
        if in_best {
            if let Some(prefix) = net {
                out.push(Observed {
                    prefix,
                    as_path: Vec::new(),
                });
            }
        }
    }
    out
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
    let r = &run.lab.routers[index];
    match r.suite {
        Suite::Frr => {
            let mut s = crate::frr::vty::Session::new(&r.name, Daemon::Bgpd, password);
            let text = s.run("show ip bgp json").await.map_err(|e| format!("bgpd: {e}"))?;
            parse_frr(&text)
        }
        Suite::Bird => {
            let dirs = crate::rootfs::RouterDirs::new(&run.dir, &r.name);
            let mut s = crate::bird::ctl::Session::new(crate::bird::ctl_path(&dirs));
            let reply = s.run("show route all").await.map_err(|e| format!("bird: {e}"))?;
            let lines: Vec<String> = reply.lines.iter().map(|(_, l)| l.clone()).collect();
            Ok(parse_bird(&lines))
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bird_best_routes_with_paths() {
        let text = "Table master4:\n198.18.4.0/24        unicast [bgp1 1796195893.831] * (100) [AS104i]\n\tvia 172.31.0.38 on in8_1\n\tType: BGP univ\n\tBGP.as_path: 101 100 102 104\n                     unicast [bgp2 1796195893.900] (100) [AS104i]\n\tBGP.as_path: 103 102 104\n198.18.7.0/24        unicast [direct1 1796195892.942] * (240)\n\tdev lo\n172.31.0.36/30       unicast [direct1 1796195892.942] * (240)\n";
        let lines: Vec<String> = text.lines().map(String::from).collect();
        let got = parse_bird(&lines);
        assert_eq!(
            got,
            [
                Observed {
                    prefix: "198.18.4.0/24".parse().unwrap(),
                    as_path: vec![101, 100, 102, 104]
                },
                Observed {
                    prefix: "198.18.7.0/24".parse().unwrap(),
                    as_path: vec![]
                },
                Observed {
                    prefix: "172.31.0.36/30".parse().unwrap(),
                    as_path: vec![]
                },
            ]
        );
    }

    #[test]
    fn frr_best_routes_with_paths() {
        let text = r#"{"routes": { "198.18.0.0/24": [{"valid":true,"bestpath":false,"path":"103 100"},{"valid":true,"bestpath":true,"path":"101 100"}],
          "198.18.7.0/24": [{"valid":true,"bestpath":true,"path":""}] } }"#;
        let got = parse_frr(text).unwrap();
        assert_eq!(got[0].as_path, [101, 100]);
        assert!(got[1].as_path.is_empty());
        assert!(parse_frr("").unwrap().is_empty());
    }
}
