//! Reading BIRD's `show protocols all` and `show route … all` replies (with the Unix-time
//! `timeformat` nsbgp's bird.conf sets) into what the convergence rule needs.

use super::ctl::Reply;
use crate::suite::BestRoute;
use std::net::IpAddr;

/// One row of `show protocols all`, with the details nsbgp uses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Protocol {
    pub name: String,
    /// `BGP`, `Kernel`, `Direct`, `Static`, `Device`.
    pub proto: String,
    /// `up`, `start`, `down`…
    pub state: String,
    /// Unix time (s) of the last state change.
    pub since: Option<f64>,
    pub info: String,
    /// BGP only: `Established`, `Active`, `Connect`, `Idle`…
    pub bgp_state: Option<String>,
    pub neighbor: Option<IpAddr>,
    pub imported: Option<u32>,
    pub exported: Option<u32>,
}

impl Protocol {
    pub fn established(&self) -> bool {
        self.bgp_state.as_deref() == Some("Established")
    }
}

/// `show protocols all`: 1002 lines are the table rows, 1006 lines each row's details.
pub fn protocols(r: &Reply) -> Vec<Protocol> {
    let mut v: Vec<Protocol> = Vec::new();
    for (code, line) in &r.lines {
        match code {
            1002 => {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() < 4 {
                    continue;
                }
                v.push(Protocol {
                    name: f[0].into(),
                    proto: f[1].into(),
                    state: f[3].into(),
                    since: f.get(4).and_then(|s| s.parse().ok()),
                    info: f.get(5..).map(|x| x.join(" ")).unwrap_or_default(),
                    ..Default::default()
                });
            }
            1006 => {
                let Some(p) = v.last_mut() else { continue };
                let Some((key, val)) = line.trim().split_once(':') else {
                    continue;
                };
                let val = val.trim();
                match key {
                    "BGP state" => p.bgp_state = Some(val.to_string()),
                    "Neighbor address" => p.neighbor = val.parse().ok(),
                    "Routes" => {
                        // "5 imported, 3 exported, 5 preferred"
                        for part in val.split(',') {
                            let mut w = part.split_whitespace();
                            if let (Some(n), Some(what)) = (w.next(), w.next()) {
                                match what {
                                    "imported" => p.imported = n.parse().ok(),
                                    "exported" => p.exported = n.parse().ok(),
                                    _ => {}
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    v
}

/// The best route of `show route PREFIX all`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Route {
    /// The protocol instance that gave it (`bgp4`, `static1`…).
    pub from: String,
    /// `bgp`, `static`, `device`… (from `Type:`, lower case).
    pub kind: String,
    pub nexthop: Option<IpAddr>,
    /// The interface of the next hop (`via … on IFACE`).
    pub iface: Option<String>,
    pub as_path_len: Option<u32>,
    /// BIRD cuts long attribute lines (about 480 characters: ~120 ASNs) and ends them with
    /// `...`; then `as_path_len` counts only the ASNs shown.
    pub as_path_truncated: bool,
    /// Unix time (s) the route was last changed.
    pub since: Option<u64>,
}

/// The best (`*`) route of a `show route PREFIX all` reply, if there is one.
pub fn best_route(r: &Reply) -> Option<Route> {
    let mut best: Option<Route> = None;
    let mut in_best = false;
    for (_, line) in &r.lines {
        if line.starts_with("Table ") {
            continue;
        }
        if !line.starts_with('\t') {
            // A route line: "0.0.0.0/0   unicast [bgp0 1795681711.327] * (100) [AS100i]",
            // or "  unicast [bgp1 …] (100) [AS102i]" for another route of the same net.
            if best.is_some() {
                in_best = false;
                continue;
            }
            let Some(open) = line.find('[') else { continue };
            let Some(close) = line[open..].find(']').map(|c| open + c) else {
                continue;
            };
            in_best = line[close + 1..].trim_start().starts_with('*');
            if in_best {
                let mut w = line[open + 1..close].split_whitespace();
                best = Some(Route {
                    from: w.next().unwrap_or_default().to_string(),
                    since: w.next().and_then(|t| t.parse::<f64>().ok()).map(|t| t as u64),
                    ..Default::default()
                });
            }
            continue;
        }
        if !in_best {
            continue;
        }
        let b = best.as_mut().expect("in the best route");
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("via ") {
            let mut w = rest.split_whitespace();
            b.nexthop = w.next().and_then(|a| a.parse().ok());
            b.iface = match (w.next(), w.next()) {
                (Some("on"), Some(i)) => Some(i.to_string()),
                _ => None,
            };
        } else if let Some(rest) = l.strip_prefix("Type:") {
            b.kind = rest.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
        } else if let Some(rest) = l.strip_prefix("BGP.as_path:") {
            let rest = rest.trim_end();
            b.as_path_truncated = rest.ends_with("...");
            let shown = rest.trim_end_matches("...");
            b.as_path_len = Some(shown.split_whitespace().filter(|a| a.parse::<u32>().is_ok()).count() as u32);
        }
    }
    best
}

/// Best (`*`) BGP and own routes in BIRD's `show route all` (one line per reply line).
pub fn best_routes(lines: &[String]) -> Vec<BestRoute> {
    let mut out = Vec::new();
    let mut net: Option<ipnet::Ipv4Net> = None;
    let mut in_best = false;
    for line in lines {
        if line.starts_with('\t') {
            if in_best {
                if let Some(rest) = line.trim().strip_prefix("BGP.as_path:") {
                    if let Some(o) = out.last_mut() {
                        let o: &mut BestRoute = o;
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
                out.push(BestRoute {
                    prefix,
                    as_path: Vec::new(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bird::ctl::parse_reply;

    fn fixture(name: &str) -> Reply {
        let path = format!("{}/tests/fixtures/bird/{name}", env!("CARGO_MANIFEST_DIR"));
        parse_reply(&std::fs::read_to_string(&path).expect(&path)).expect("recorded reply parses")
    }

    #[test]
    fn protocols_of_a_converged_middle_router() {
        let ps = protocols(&fixture("show-protocols-all.txt"));
        let bgp: Vec<&Protocol> = ps.iter().filter(|p| p.proto == "BGP").collect();
        assert_eq!(bgp.len(), 2);
        assert!(bgp.iter().all(|p| p.established()));
        assert_eq!(bgp[0].neighbor, Some("172.31.5.2".parse().unwrap()));
        assert_eq!(bgp[1].neighbor, Some("172.31.6.1".parse().unwrap()));
        assert!(bgp[0].since.unwrap() > 1.7e9);
        let kernel = ps.iter().find(|p| p.proto == "Kernel").unwrap();
        assert_eq!(kernel.exported, Some(9));
        assert_eq!(bgp[0].imported, Some(7));
    }

    #[test]
    fn best_default_route_via_upstream() {
        let r = best_route(&fixture("show-route-default-all.txt")).unwrap();
        assert_eq!(r.kind, "bgp");
        assert_eq!(r.nexthop, Some("172.31.5.2".parse().unwrap()));
        assert_eq!(r.as_path_len, Some(5));
        assert!(r.since.unwrap() > 1_700_000_000);
    }

    #[test]
    fn attached_link_is_best_from_direct_not_bgp() {
        let r = best_route(&fixture("show-route-attached-all.txt")).unwrap();
        assert_eq!(
            (r.from.as_str(), r.kind.as_str(), r.nexthop),
            ("direct1", "device", None)
        );
        assert_eq!(
            r.as_path_len, None,
            "the BGP alternative's attributes are not the best's"
        );
    }

    #[test]
    fn long_as_paths_are_cut_and_flagged() {
        // ROUTER_150 of chain-1000-bird: BIRD shows 120 of the 150 ASNs, then "...".
        let r = best_route(&fixture("show-route-default-truncated.txt")).unwrap();
        assert!(r.as_path_truncated);
        assert!(r.as_path_len.unwrap() < 150, "{r:?}");
        let r = best_route(&fixture("show-route-default-all.txt")).unwrap();
        assert!(!r.as_path_truncated);
    }

    /// `show route … primary where bgp_path.len = N`: the route line when it holds, else nothing.
    #[test]
    fn a_filter_query_answers_by_showing_the_route_or_not() {
        assert!(best_route(&fixture("show-route-where-len-match.txt")).is_some());
        assert!(best_route(&fixture("show-route-where-len-nomatch.txt")).is_none());
    }

    #[test]
    fn origin_default_is_static() {
        let r = best_route(&fixture("show-route-default-origin.txt")).unwrap();
        assert_eq!((r.kind.as_str(), r.nexthop, r.as_path_len), ("static", None, None));
    }

    #[test]
    fn bird_best_routes_with_paths() {
        let text = "Table master4:\n198.18.4.0/24        unicast [bgp1 1796195893.831] * (100) [AS104i]\n\tvia 172.31.0.38 on in8_1\n\tType: BGP univ\n\tBGP.as_path: 101 100 102 104\n                     unicast [bgp2 1796195893.900] (100) [AS104i]\n\tBGP.as_path: 103 102 104\n198.18.7.0/24        unicast [direct1 1796195892.942] * (240)\n\tdev lo\n172.31.0.36/30       unicast [direct1 1796195892.942] * (240)\n";
        let lines: Vec<String> = text.lines().map(String::from).collect();
        let got = best_routes(&lines);
        assert_eq!(
            got,
            [
                BestRoute {
                    prefix: "198.18.4.0/24".parse().unwrap(),
                    as_path: vec![101, 100, 102, 104]
                },
                BestRoute {
                    prefix: "198.18.7.0/24".parse().unwrap(),
                    as_path: vec![]
                },
                BestRoute {
                    prefix: "172.31.0.36/30".parse().unwrap(),
                    as_path: vec![]
                },
            ]
        );
    }
}
