//! The convergence rule, as a pure function of what the lab should look like (`Expected`,
//! derived from the address plan) and what one poll saw (`Observation`).
//!
//! A router has converged when: its daemons are alive (zebra and bgpd, or bird); every
//! configured session is Established; it has installed as many BGP routes as the lab
//! announces to it (every link it is not attached to, plus the stub and the default unless it
//! is the origin); the stub and the default are installed via BGP through a neighbour on a
//! shortest path to the origin (any of them when paths tie); and the default's AS path is as
//! long as the router's graph distance (breadth-first) from the origin. In a dual lab all
//! of this holds in both families (one session per family per link, a default and a stub
//! in each).

use crate::config::{Family, Lab};
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub index: usize,
    /// The families the router runs, IPv4 first.
    pub families: Vec<Family>,
    /// Configured sessions, every family: (neighbour address, neighbour name).
    pub peers: Vec<(IpAddr, String)>,
    /// BGP routes zebra must have installed, every family.
    pub bgp_routes: u32,
    /// Accepted next hops for the defaults and the stubs: the neighbours on a shortest path
    /// to the origin (several when paths tie; empty on the origin), by address in each
    /// family, with its name.
    pub next_hops: Vec<(IpAddr, String)>,
    /// The interface towards each of `next_hops` (same order): named after the neighbour on
    /// a link, after the LAN on a LAN. IPv6 routes go via the neighbour's link-local address,
    /// which the plan does not know: the interface tells the neighbour (on a LAN, one of its
    /// members).
    pub next_hop_ifaces: Vec<String>,
    /// Required AS-path length of the defaults (None on the origin, which originates them).
    pub default_path_len: Option<u32>,
}

/// What every router of `lab` must show, from the graph's distances to the origin.
pub fn expected(lab: &Lab) -> Vec<Expected> {
    if lab.internet() {
        return expected_by_policy(lab);
    }
    // A LAN is one prefix, however many sessions its members run over it.
    let links = (lab.links.len() + lab.lans.len()) as u32;
    let fams = lab.families().len() as u32;
    let g = &lab.graph;
    lab.routers
        .iter()
        .map(|r| {
            let toward = g.next_hops(r.index);
            let via: Vec<(IpAddr, String, String)> = r
                .interfaces
                .iter()
                .filter(|i| toward.contains(&i.peer_index))
                .flat_map(|i| {
                    i.addrs
                        .iter()
                        .map(|a| (a.peer_addr, i.peer_name.clone(), i.name.clone()))
                })
                .collect();
            let next_hop_ifaces = via.iter().map(|(_, _, i)| i.clone()).collect();
            let next_hops = via.into_iter().map(|(a, n, _)| (a, n)).collect();
            let far_links = links - crate::render::attached_subnets(r, lab.families()[0]).len() as u32;
            let origin = r.index == g.origin();
            Expected {
                index: r.index,
                families: lab.families().to_vec(),
                peers: r
                    .interfaces
                    .iter()
                    .flat_map(|i| i.addrs.iter().map(|a| (a.peer_addr, i.peer_name.clone())))
                    .collect(),
                bgp_routes: fams * (far_links + if origin { 0 } else { 2 }),
                next_hops,
                next_hop_ifaces,
                default_path_len: (!origin).then_some(g.distance(r.index)),
            }
        })
        .collect()
}

pub use crate::suite::observe::{FamilyObs, Observation, PeerObs, Proc, RouteObs};
/// An internet lab (no default, no stub, no link prefixes): a router has converged when its
/// sessions are up and it has installed a route to exactly the ASes' prefixes the policy
/// says it reaches (crate::policy); `check --policy` compares the routes themselves.
fn expected_by_policy(lab: &Lab) -> Vec<Expected> {
    let p = crate::policy::Prediction::of(lab);
    lab.routers
        .iter()
        .map(|r| Expected {
            index: r.index,
            families: lab.families().to_vec(),
            peers: r
                .interfaces
                .iter()
                .map(|i| (i.first_addr().peer_addr, i.peer_name.clone()))
                .collect(),
            bgp_routes: p.reached(r.index) as u32,
            next_hops: Vec::new(),
            next_hop_ifaces: Vec::new(),
            default_path_len: None,
        })
        .collect()
}

/// Whether `obs` satisfies `exp`, and if not, every reason why (for humans and JSON).
pub fn judge(exp: &Expected, obs: &Observation) -> Vec<String> {
    let mut why = Vec::new();
    for (d, p) in &obs.daemons {
        let name = d.name();
        if !p.alive {
            why.push(match p.pid {
                Some(pid) => format!("{name} (pid {pid}) is dead"),
                None => format!("{name} is not running (no pid file)"),
            });
        }
    }
    why.extend(obs.errors.iter().cloned());
    if let Some(peers) = &obs.peers {
        for (addr, name) in &exp.peers {
            match peers.iter().find(|p| p.addr == *addr) {
                Some(p) if p.state == "Established" => {}
                Some(p) => why.push(format!("session to {name} ({addr}) is {}", p.state)),
                None => why.push(format!("no session to {name} ({addr}) configured in bgpd")),
            }
        }
    }
    if let Some(n) = obs.bgp_fib_routes {
        if n != exp.bgp_routes {
            why.push(format!("{n} of {} BGP routes installed", exp.bgp_routes));
        }
    }
    for fo in &obs.fams {
        // IPv4 keeps the words of IPv4-only labs; IPv6 says so.
        let pre = match fo.family {
            Family::Ipv4 => "",
            Family::Ipv6 => "IPv6 ",
        };
        let hops: Vec<(&(IpAddr, String), &String)> = exp
            .next_hops
            .iter()
            .zip(&exp.next_hop_ifaces)
            .filter(|((a, _), _)| Family::of(*a) == fo.family)
            .collect();
        if !hops.is_empty() {
            let accepted = || {
                let v: Vec<String> = hops.iter().map(|((a, n), _)| format!("{a} ({n})")).collect();
                match v.len() {
                    1 => v[0].clone(),
                    _ => format!("one of {}", v.join(", ")),
                }
            };
            // By address, or (IPv6, where routes go via the neighbour's link-local address)
            // by the interface towards it.
            let ok = |r: &RouteObs| {
                hops.iter().any(|((a, _), i)| {
                    r.nexthop == Some(*a) || (fo.family == Family::Ipv6 && r.iface.as_deref() == Some(i.as_str()))
                })
            };
            for (what, route) in [("default route", &fo.default_route), ("stub route", &fo.stub_route)] {
                match route {
                    None => {}
                    Some(None) => why.push(format!("no {pre}{what}")),
                    Some(Some(r)) if r.protocol != "bgp" => {
                        why.push(format!("{pre}{what} is from {}, not bgp", r.protocol))
                    }
                    Some(Some(r)) if !ok(r) => why.push(format!(
                        "{pre}{what} via {}, expected {}",
                        r.nexthop.map_or("?".into(), |a| a.to_string()),
                        accepted()
                    )),
                    Some(Some(_)) => {}
                }
            }
        }
        if let (Some(want), Some(Some((got, _)))) = (exp.default_path_len, &fo.default_bgp) {
            if *got != want {
                why.push(format!("{pre}default AS path length {got}, expected {want}"));
            }
        }
        if exp.default_path_len.is_some() && matches!(fo.default_bgp, Some(None)) && fo.has_default() {
            why.push(format!("{pre}default route not in bgpd's table"));
        }
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Daemon;
    use crate::config::{self, Overrides};

    fn lab(n: usize) -> Lab {
        shaped(n, "")
    }

    fn shaped(n: usize, topology: &str) -> Lab {
        let text = format!("name = \"t\"\nrouters = {n}\n{topology}");
        let file = config::parse("t.toml", &text).unwrap();
        config::validate("t.toml", file, &Overrides::default()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn alive() -> Proc {
        Proc {
            pid: Some(1),
            alive: true,
            rss_kb: 1,
            cpu_ms: 0,
        }
    }

    /// What a converged ROUTER_k of `lab` looks like.
    fn converged_obs(e: &Expected) -> Observation {
        // Any accepted next hop will do: take the last, so ties test the non-first one too.
        let up = |f: Family| {
            e.next_hops
                .iter()
                .rev()
                .find(|(a, _)| Family::of(*a) == f)
                .map(|(a, _)| *a)
        };
        let route = |f: Family| {
            up(f).map(|a| RouteObs {
                protocol: "bgp".into(),
                nexthop: Some(a),
                iface: None,
            })
        };
        Observation {
            at_ms: 0,
            daemons: vec![(Daemon::Zebra, alive()), (Daemon::Bgpd, alive())],
            peers: Some(
                e.peers
                    .iter()
                    .map(|(a, _)| PeerObs {
                        addr: *a,
                        state: "Established".into(),
                        pfx_rcd: 3,
                        up_since_ms: Some(0),
                    })
                    .collect(),
            ),
            bgp_fib_routes: Some(e.bgp_routes),
            fams: e
                .families
                .iter()
                .map(|&f| FamilyObs {
                    family: f,
                    default_route: Some(route(f)),
                    stub_route: Some(route(f)),
                    default_bgp: Some(e.default_path_len.map(|l| (l, None))),
                })
                .collect(),
            errors: vec![],
        }
    }

    #[test]
    fn expectations_on_the_classic_plan() {
        let l = lab(100);
        let e = expected(&l);
        // ROUTER_0: one session, learns the 98 links it is not on, originates the default.
        assert_eq!(e[0].peers, vec![(ip("172.31.1.1"), "ROUTER_1".into())]);
        assert_eq!(
            (e[0].bgp_routes, e[0].next_hops.clone(), e[0].default_path_len),
            (98, vec![], None)
        );
        // ROUTER_50: two sessions, 97 far links + stub + default, upstream ROUTER_49 on link 50.
        assert_eq!(e[50].peers.len(), 2);
        assert_eq!(e[50].bgp_routes, 99);
        assert_eq!(e[50].next_hops, vec![(ip("172.31.50.2"), "ROUTER_49".into())]);
        assert_eq!(e[50].default_path_len, Some(50));
        assert_eq!(e[99].bgp_routes, 100);
        assert_eq!(expected(&lab(1))[0].bgp_routes, 0);
    }

    /// A converged ROUTER_i of the classic n-router chain, written down from the address plan
    /// (link k = 172.31.k.0/24, ROUTER_{k-1} holds .2 and ROUTER_k .1) and counted here,
    /// not taken from `expected`: sessions to both neighbours, every link not attached plus
    /// the stub and the default from BGP, the default via ROUTER_{i-1} in i AS hops.
    fn chain_obs(n: usize, i: usize) -> Observation {
        let mut peers = Vec::new();
        if i > 0 {
            peers.push(ip(&format!("172.31.{i}.2")));
        }
        if i + 1 < n {
            peers.push(ip(&format!("172.31.{}.1", i + 1)));
        }
        let attached = peers.len();
        let route = (i > 0).then(|| RouteObs {
            protocol: "bgp".into(),
            nexthop: Some(ip(&format!("172.31.{i}.2"))),
            iface: None,
        });
        Observation {
            at_ms: 0,
            daemons: vec![(Daemon::Zebra, alive()), (Daemon::Bgpd, alive())],
            peers: Some(
                peers
                    .into_iter()
                    .map(|addr| PeerObs {
                        addr,
                        state: "Established".into(),
                        pfx_rcd: 3,
                        up_since_ms: Some(0),
                    })
                    .collect(),
            ),
            bgp_fib_routes: Some((n - 1 - attached + if i > 0 { 2 } else { 0 }) as u32),
            fams: vec![FamilyObs {
                family: Family::Ipv4,
                default_route: Some(route.clone()),
                stub_route: Some(route),
                default_bgp: Some((i > 0).then_some((i as u32, None))),
            }],
            errors: vec![],
        }
    }

    #[test]
    fn converged_states_pass() {
        let n = 5;
        let l = lab(n);
        let exp = expected(&l);
        assert_eq!(exp.len(), n);
        for (i, e) in exp.iter().enumerate() {
            assert_eq!(judge(e, &chain_obs(n, i)), Vec::<String>::new(), "router {i}");
        }
        // One route short, or a path one hop long, is not converged.
        let mut short = chain_obs(n, 3);
        short.bgp_fib_routes = Some(short.bgp_fib_routes.unwrap() - 1);
        assert_ne!(judge(&exp[3], &short), Vec::<String>::new());
        let mut long = chain_obs(n, 3);
        long.fams[0].default_bgp = Some(Some((4, None)));
        assert_ne!(judge(&exp[3], &long), Vec::<String>::new());
    }

    #[test]
    fn each_deviation_is_reported() {
        let l = lab(5);
        let e = &expected(&l)[3];
        let base = converged_obs(e);
        type Change = Box<dyn Fn(&mut Observation)>;
        let cases: Vec<(&str, Change, &str)> = vec![
            (
                "bgpd dead",
                Box::new(|o| o.daemons[1].1.alive = false),
                "bgpd (pid 1) is dead",
            ),
            (
                "zebra gone",
                Box::new(|o| o.daemons[0].1 = Proc::default()),
                "zebra is not running (no pid file)",
            ),
            (
                "session down",
                Box::new(|o| o.peers.as_mut().unwrap()[1].state = "Active".into()),
                "session to ROUTER_4 (172.31.4.1) is Active",
            ),
            (
                "session missing",
                Box::new(|o| {
                    o.peers.as_mut().unwrap().pop();
                }),
                "no session to ROUTER_4 (172.31.4.1) configured in bgpd",
            ),
            (
                "routes missing",
                Box::new(|o| o.bgp_fib_routes = Some(2)),
                "2 of 4 BGP routes installed",
            ),
            (
                "no default",
                Box::new(|o| o.fams[0].default_route = Some(None)),
                "no default route",
            ),
            (
                "wrong next hop",
                Box::new(|o| {
                    o.fams[0].stub_route = Some(Some(RouteObs {
                        protocol: "bgp".into(),
                        nexthop: Some(ip("172.31.4.1")),
                        iface: None,
                    }))
                }),
                "stub route via 172.31.4.1, expected 172.31.3.2 (ROUTER_2)",
            ),
            (
                "static default",
                Box::new(|o| {
                    o.fams[0].default_route = Some(Some(RouteObs {
                        protocol: "static".into(),
                        nexthop: None,
                        iface: None,
                    }))
                }),
                "default route is from static, not bgp",
            ),
            (
                "long path",
                Box::new(|o| o.fams[0].default_bgp = Some(Some((5, None)))),
                "default AS path length 5, expected 3",
            ),
            (
                "bird dead",
                Box::new(|o| {
                    o.daemons = vec![(
                        Daemon::Bird,
                        Proc {
                            pid: Some(7),
                            ..Proc::default()
                        },
                    )]
                }),
                "bird (pid 7) is dead",
            ),
            (
                "vty unreachable",
                Box::new(|o| o.errors.push("bgpd vty: timeout".into())),
                "bgpd vty: timeout",
            ),
        ];
        for (what, change, want) in cases {
            let mut o = base.clone();
            change(&mut o);
            assert_eq!(judge(e, &o), vec![want.to_string()], "{what}");
        }
    }

    /// Graphs with ties: every shortest-path neighbour is accepted, nothing else is.
    #[test]
    fn ties_accept_any_shortest_path() {
        // (topology, routers, router, accepted next-hop routers, path length, BGP routes)
        type Case<'a> = (&'a str, usize, usize, &'a [&'a str], u32, u32);
        let cases: &[Case] = &[
            // Ring of 6: ROUTER_3 is opposite the origin, both ways are 3 hops; 6 links.
            ("shape = \"ring\"", 6, 3, &["ROUTER_2", "ROUTER_4"], 3, 6),
            ("shape = \"ring\"", 6, 5, &["ROUTER_0"], 1, 6),
            // Grid 3×3 from the corner: the centre and the far corner have two ways.
            (
                "shape = \"grid\"\nrows = 3\ncols = 3",
                9,
                4,
                &["ROUTER_1", "ROUTER_3"],
                2,
                10,
            ),
            (
                "shape = \"grid\"\nrows = 3\ncols = 3",
                9,
                8,
                &["ROUTER_5", "ROUTER_7"],
                4,
                12,
            ),
            ("shape = \"grid\"\nrows = 3\ncols = 3", 9, 2, &["ROUTER_1"], 2, 12),
            // Clique: everyone is one hop from the origin, only through it.
            ("shape = \"clique\"", 5, 3, &["ROUTER_0"], 1, 8),
            // Ring with another origin: ROUTER_0 is then 2 hops away, both ways from ROUTER_2.
            (
                "shape = \"ring\"\norigin = \"ROUTER_2\"",
                4,
                0,
                &["ROUTER_1", "ROUTER_3"],
                2,
                4,
            ),
        ];
        for &(topo, n, r, accepted, len, routes) in cases {
            let l = shaped(n, &format!("[topology]\n{topo}\n"));
            let e = &expected(&l)[r];
            let names: Vec<&str> = e.next_hops.iter().map(|(_, n)| n.as_str()).collect();
            assert_eq!(names, accepted, "{topo} router {r}");
            assert_eq!(
                (e.default_path_len, e.bgp_routes),
                (Some(len), routes),
                "{topo} router {r}"
            );
            // Converged through each accepted neighbour.
            for (a, _) in &e.next_hops {
                let mut o = converged_obs(e);
                let via = Some(Some(RouteObs {
                    protocol: "bgp".into(),
                    nexthop: Some(*a),
                    iface: None,
                }));
                o.fams[0].default_route = via.clone();
                o.fams[0].stub_route = via;
                assert_eq!(judge(e, &o), Vec::<String>::new(), "{topo} router {r} via {a}");
            }
            // Through any other neighbour: not converged, and the message lists the choices.
            for i in &l.routers[r].interfaces {
                if accepted.contains(&i.peer_name.as_str()) {
                    continue;
                }
                let mut o = converged_obs(e);
                o.fams[0].default_route = Some(Some(RouteObs {
                    protocol: "bgp".into(),
                    nexthop: Some(i.first_addr().peer_addr),
                    iface: None,
                }));
                let why = judge(e, &o);
                assert_eq!(why.len(), 1, "{topo} router {r} via {}: {why:?}", i.peer_name);
                assert!(why[0].starts_with("default route via"), "{why:?}");
                if accepted.len() > 1 {
                    assert!(why[0].contains("expected one of"), "{why:?}");
                }
            }
            // A longer path than the distance is not converged, even through a right neighbour.
            let mut o = converged_obs(e);
            o.fams[0].default_bgp = Some(Some((len + 2, None)));
            assert_eq!(
                judge(e, &o),
                vec![format!("default AS path length {}, expected {len}", len + 2)]
            );
        }
        // The origin expects no default and learns only the links it is not on.
        let l = shaped(6, "[topology]\nshape = \"star\"\n");
        let e = &expected(&l)[0];
        assert_eq!((e.next_hops.len(), e.default_path_len, e.bgp_routes), (0, None, 0));
        assert_eq!(judge(e, &converged_obs(e)), Vec::<String>::new());
    }

    #[test]
    fn observation_summaries() {
        let l = lab(3);
        let e = &expected(&l)[1];
        let o = converged_obs(e);
        assert_eq!((o.established(), o.prefixes_received(), o.has_default()), (2, 6, true));
        assert_eq!(o.default_path_len(), Some(1));
        assert!(!Observation::default().has_default());
    }

    #[test]
    fn dual_labs_expect_both_families_and_accept_v6_via_the_interface() {
        let l = shaped(4, "[addressing]\nfamily = \"dual\"\n");
        let e = &expected(&l)[2];
        // Two links, two families: four sessions; the far link and stub and default, twice.
        assert_eq!(e.peers.len(), 4);
        assert_eq!(e.bgp_routes, 2 * (1 + 2));
        assert_eq!(
            e.next_hops,
            vec![
                (ip("172.31.2.2"), "ROUTER_1".into()),
                (ip("2001:db8:31:2::2"), "ROUTER_1".into())
            ]
        );
        let mut o = converged_obs(e);
        assert_eq!(judge(e, &o), Vec::<String>::new());
        assert!(o.has_default() && o.has_default_in(Family::Ipv6));
        // zebra installs IPv6 routes via the neighbour's link-local address.
        let ll = Some(Some(RouteObs {
            protocol: "bgp".into(),
            nexthop: Some(ip("fe80::1")),
            iface: Some("ROUTER_1".into()),
        }));
        o.fams[1].default_route = ll.clone();
        o.fams[1].stub_route = ll;
        assert_eq!(judge(e, &o), Vec::<String>::new());
        o.fams[1].default_route = Some(Some(RouteObs {
            protocol: "bgp".into(),
            nexthop: Some(ip("fe80::3")),
            iface: Some("ROUTER_3".into()),
        }));
        assert_eq!(
            judge(e, &o),
            vec!["IPv6 default route via fe80::3, expected 2001:db8:31:2::2 (ROUTER_1)".to_string()]
        );
        o.fams[1].default_route = Some(None);
        assert!(!o.has_default());
        assert_eq!(judge(e, &o), vec!["no IPv6 default route".to_string()]);
        // On a LAN the interface is named after the LAN: a link-local next hop on it counts.
        let lan = shaped(
            4,
            "[addressing]\nfamily = \"dual\"\n[topology]\nshape = \"file\"\n[[topology.link]]\na = 2\nb = 3\n[[topology.lan]]\nname = \"ix1\"\nrouters = [0, 1, 2]\n",
        );
        let e = &expected(&lan)[1];
        assert_eq!(e.next_hop_ifaces, ["ix1", "ix1"]);
        let mut o = converged_obs(e);
        o.fams[1].default_route = Some(Some(RouteObs {
            protocol: "bgp".into(),
            nexthop: Some(ip("fe80::9")),
            iface: Some("ix1".into()),
        }));
        assert_eq!(judge(e, &o), Vec::<String>::new());
        let v6 = shaped(3, "[addressing]\nfamily = \"ipv6\"\n");
        let e = &expected(&v6)[1];
        assert_eq!(
            (e.peers.len(), e.bgp_routes, e.families.clone()),
            (2, 2, vec![Family::Ipv6])
        );
    }
}
