//! `status --json` (`status_of`) on synthetic polls of chains of 3, every observation written
//! down from the address plan here (link k = 172.31.k.0/24 and 2001:db8:31:k::/64, ROUTER_{k-1}
//! holding .2 / ::2, ROUTER_k .1 / ::1) and judged by the real rule.

use super::poll::Poll;
use super::rule::{self, FamilyObs, Observation, PeerObs, Proc, RouteObs};
use super::timeline::Timeline;
use super::*;
use crate::config::{self, Daemon, Lab, Overrides};
use serde_json::json;
use std::net::IpAddr;

const START: u64 = 1_796_221_289_000;
const POLLED: u64 = START + 9_000;

fn lab(text: &str) -> Lab {
    let file = config::parse("t.toml", &format!("name = \"t\"\nrouters = 3\n{text}")).unwrap();
    config::validate("t.toml", file, &Overrides::default()).unwrap()
}

/// Dual-stack, ROUTER_1 on BIRD (as the lab the observe fixtures were recorded from).
fn dual_mixed() -> Lab {
    lab("[addressing]\nfamily = \"dual\"\n\n[[router]]\nindex = 1\nsuite = \"bird\"\n")
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn proc_(pid: u32, rss_kb: u64, cpu_ms: u64) -> Proc {
    Proc {
        pid: Some(pid),
        alive: true,
        rss_kb,
        cpu_ms,
    }
}

fn frr(base: u32) -> Vec<(Daemon, Proc)> {
    vec![
        (Daemon::Zebra, proc_(base, 1000, 250)),
        (Daemon::Bgpd, proc_(base + 1, 2000, 500)),
    ]
}

fn peer(addr: &str, state: &str, pfx_rcd: u32) -> PeerObs {
    PeerObs {
        addr: ip(addr),
        state: state.into(),
        pfx_rcd,
        up_since_ms: Some(START + 300),
    }
}

fn bgp(nexthop: &str, iface: &str) -> Option<Option<RouteObs>> {
    Some(Some(RouteObs {
        protocol: "bgp".into(),
        nexthop: Some(ip(nexthop)),
        iface: Some(iface.into()),
    }))
}

fn fam(family: Family, route: Option<Option<RouteObs>>, path_len: Option<u32>) -> FamilyObs {
    FamilyObs {
        family,
        default_route: route.clone(),
        stub_route: route,
        default_bgp: Some(path_len.map(|l| (l, Some(START / 1000 + 1)))),
    }
}

/// The origin: sessions to ROUTER_1, the one far link from BGP in each family, the stub on lo.
fn origin(fams: &[Family]) -> Observation {
    let lo = Some(Some(RouteObs {
        protocol: "connected".into(),
        nexthop: None,
        iface: Some("lo".into()),
    }));
    let mut peers = vec![peer("172.31.1.1", "Established", 2)];
    if fams.contains(&Family::Ipv6) {
        peers.push(peer("2001:db8:31:1::1", "Established", 2));
    }
    Observation {
        at_ms: POLLED,
        daemons: frr(10),
        peers: Some(peers),
        bgp_fib_routes: Some(fams.len() as u32),
        fams: fams
            .iter()
            .map(|&f| FamilyObs {
                stub_route: lo.clone(),
                default_route: Some(None),
                ..fam(f, None, None)
            })
            .collect(),
        errors: vec![],
    }
}

/// ROUTER_1 on BIRD: both sessions of each family up, default and stub via ROUTER_0, path 1.
fn middle_bird() -> Observation {
    Observation {
        at_ms: POLLED,
        daemons: vec![(Daemon::Bird, proc_(20, 3000, 100))],
        peers: Some(vec![
            peer("172.31.1.2", "Established", 3),
            peer("172.31.2.1", "Established", 1),
            peer("2001:db8:31:1::2", "Established", 3),
            peer("2001:db8:31:2::1", "Established", 1),
        ]),
        // Per family: stub + default, no far link.
        bgp_fib_routes: Some(4),
        fams: vec![
            fam(Family::Ipv4, bgp("172.31.1.2", "ROUTER_0"), Some(1)),
            fam(Family::Ipv6, bgp("2001:db8:31:1::2", "ROUTER_0"), Some(1)),
        ],
        errors: vec![],
    }
}

/// ROUTER_2 of a chain of 3 (FRR): one session per family to ROUTER_1, far link 1 + stub +
/// default per family, the default via ROUTER_1 in 2 AS hops (IPv6 via its link-local address).
fn last(fams: &[Family]) -> Observation {
    let mut peers = vec![peer("172.31.2.2", "Established", 4)];
    let mut fo = vec![fam(Family::Ipv4, bgp("172.31.2.2", "ROUTER_1"), Some(2))];
    if fams.contains(&Family::Ipv6) {
        peers.push(peer("2001:db8:31:2::2", "Established", 4));
        fo.push(fam(Family::Ipv6, bgp("fe80::1", "ROUTER_1"), Some(2)));
    }
    Observation {
        at_ms: POLLED,
        daemons: frr(30),
        peers: Some(peers),
        bgp_fib_routes: Some(3 * fams.len() as u32),
        fams: fo,
        errors: vec![],
    }
}

/// The poll, each router judged by the real rule.
fn poll(lab: &Lab, obs: Vec<Observation>) -> Poll {
    let exp = rule::expected(lab);
    let problems = exp.iter().zip(&obs).map(|(e, o)| rule::judge(e, o)).collect();
    Poll {
        obs,
        problems,
        took_ms: 7,
    }
}

/// A timeline where every router converged once (ROUTER_2 last, at 0.62 s).
fn timeline(lab: &Lab) -> Timeline {
    let mut t = Timeline::new(START, lab.routers.iter().map(|r| r.name.clone()));
    for (i, r) in t.routers.iter_mut().enumerate() {
        r.sessions_up_after_s = Some(0.3);
        r.default_after_s = (i > 0).then_some(0.3 + 0.1 * i as f64);
        r.converged_after_s = Some([0.36, 0.4, 0.62][i]);
    }
    t.converged_after_s = Some(0.62);
    t
}

fn status(lab: &Lab, obs: Vec<Observation>) -> serde_json::Value {
    let p = poll(lab, obs);
    let s = status_of(lab, &rule::expected(lab), &timeline(lab), START, &p, POLLED);
    serde_json::to_value(s).unwrap()
}

#[test]
fn converged_dual_stack_mixed_lab_every_field() {
    let l = dual_mixed();
    let both = [Family::Ipv4, Family::Ipv6];
    let s = status(&l, vec![origin(&both), middle_bird(), last(&both)]);
    let routers = s["routers"].as_array().unwrap().clone();
    let mut top = s.clone();
    top.as_object_mut().unwrap().remove("routers");
    assert_eq!(
        top,
        json!({
            "lab": "t",
            "routers_total": 3,
            "converged": true,
            "converged_routers": 3,
            "converged_after_s": 0.62,
            "slowest_router": "ROUTER_2",
            "started_unix_ms": START,
            "polled_unix_ms": POLLED,
            "poll_ms": 7,
        })
    );
    assert_eq!(
        routers[2],
        json!({
            "name": "ROUTER_2",
            "index": 2,
            "origin": false,
            "asn": 102,
            "netns": "ROUTER_2",
            "suite": "frr",
            "daemons": [
                {"name": "zebra", "pid": 30, "alive": true},
                {"name": "bgpd", "pid": 31, "alive": true}
            ],
            "bgpd_pid": 31,
            "zebra_pid": 30,
            "bgpd_alive": true,
            "zebra_alive": true,
            "neighbors": 2,
            "established": 2,
            "prefixes_received": 8,
            "bgp_routes": 6,
            "bgp_routes_expected": 6,
            "has_default": true,
            "default_as_path_len": 2,
            "default_nexthop": "172.31.2.2",
            "has_default_v6": true,
            "default_v6_as_path_len": 2,
            "rss_kb": 3000,
            "cpu_s": 0.75,
            "converged": true,
            "converged_after_s": 0.62,
            "sessions_up_after_s": 0.3,
            "default_after_s": 0.5,
            "problems": [],
            "origins": null
        })
    );
    // The BIRD router: one daemon, FRR's fields null.
    let b = &routers[1];
    assert_eq!(
        (
            &b["suite"],
            &b["daemons"],
            &b["bgpd_pid"],
            &b["zebra_pid"],
            &b["bgpd_alive"],
            &b["zebra_alive"]
        ),
        (
            &json!("bird"),
            &json!([{"name": "bird", "pid": 20, "alive": true}]),
            &json!(null),
            &json!(null),
            &json!(null),
            &json!(null)
        )
    );
    assert_eq!(
        (
            &b["neighbors"],
            &b["established"],
            &b["prefixes_received"],
            &b["bgp_routes"],
            &b["bgp_routes_expected"]
        ),
        (&json!(4), &json!(4), &json!(8), &json!(4), &json!(4))
    );
    assert_eq!(
        (&b["default_nexthop"], &b["cpu_s"]),
        (&json!("172.31.1.2"), &json!(0.1))
    );
    // The origin originates its defaults: none installed, none expected, converged.
    let o = &routers[0];
    assert_eq!(
        (
            &o["origin"],
            &o["has_default"],
            &o["has_default_v6"],
            &o["default_as_path_len"],
            &o["default_nexthop"],
            &o["bgp_routes_expected"],
            &o["converged"],
            &o["default_after_s"]
        ),
        (
            &json!(true),
            &json!(false),
            &json!(false),
            &json!(null),
            &json!(null),
            &json!(2),
            &json!(true),
            &json!(null)
        )
    );
    assert_eq!(routers[1]["origin"], json!(false));
}

/// A field of a router's status and the value it must have.
type Field = (&'static str, fn() -> serde_json::Value);

/// One deviation of ROUTER_2 in an IPv4 chain of 3, and what status must say.
struct Case {
    what: &'static str,
    change: fn(&mut Observation),
    problems: &'static [&'static str],
    /// (field, value) of ROUTER_2's status besides `converged: false`.
    fields: &'static [Field],
}

#[test]
fn each_way_of_not_converging_is_reported_in_its_fields() {
    let l = lab("");
    let v4 = [Family::Ipv4];
    let cases = [
        Case {
            what: "missing default",
            change: |o| {
                o.fams[0].default_route = Some(None);
                o.fams[0].default_bgp = Some(None);
                o.bgp_fib_routes = Some(2);
            },
            problems: &["2 of 3 BGP routes installed", "no default route"],
            fields: &[
                ("has_default", || json!(false)),
                ("default_as_path_len", || json!(null)),
                ("default_nexthop", || json!(null)),
                ("bgp_routes", || json!(2)),
                ("bgp_routes_expected", || json!(3)),
            ],
        },
        Case {
            what: "AS path one hop too long",
            change: |o| o.fams[0].default_bgp = Some(Some((3, None))),
            problems: &["default AS path length 3, expected 2"],
            fields: &[("has_default", || json!(true)), ("default_as_path_len", || json!(3))],
        },
        Case {
            what: "session down",
            change: |o| {
                o.peers = Some(vec![peer("172.31.2.2", "Active", 0)]);
            },
            problems: &["session to ROUTER_1 (172.31.2.2) is Active"],
            fields: &[
                ("neighbors", || json!(1)),
                ("established", || json!(0)),
                ("prefixes_received", || json!(0)),
            ],
        },
        Case {
            what: "default via a non-BGP route",
            change: |o| o.fams[0].default_route.as_mut().unwrap().as_mut().unwrap().protocol = "static".into(),
            problems: &["default route is from static, not bgp"],
            fields: &[
                ("has_default", || json!(false)),
                ("default_nexthop", || json!("172.31.2.2")),
            ],
        },
        Case {
            what: "bgpd dead",
            change: |o| {
                o.daemons[1].1.alive = false;
                o.peers = None;
                o.fams[0].default_bgp = None;
            },
            problems: &["bgpd (pid 31) is dead"],
            fields: &[
                ("bgpd_alive", || json!(false)),
                ("zebra_alive", || json!(true)),
                ("bgpd_pid", || json!(31)),
                ("established", || json!(0)),
                ("default_as_path_len", || json!(null)),
                (
                    "daemons",
                    || json!([{"name": "zebra", "pid": 30, "alive": true}, {"name": "bgpd", "pid": 31, "alive": false}]),
                ),
            ],
        },
    ];
    for c in cases {
        let mut o2 = last(&v4);
        (c.change)(&mut o2);
        let s = status(&l, vec![origin(&v4), middle_frr(), o2]);
        let r = &s["routers"][2];
        assert_eq!(r["problems"], json!(c.problems), "{}", c.what);
        assert_eq!(r["converged"], json!(false), "{}", c.what);
        // Converged once (the timeline says when), not now: no convergence time.
        assert_eq!(r["converged_after_s"], json!(null), "{}", c.what);
        assert_eq!(r["sessions_up_after_s"], json!(0.3), "{}", c.what);
        // IPv4 lab: the IPv6 fields are null.
        assert_eq!(
            (&r["has_default_v6"], &r["default_v6_as_path_len"]),
            (&json!(null), &json!(null))
        );
        for (k, v) in c.fields {
            assert_eq!(r[*k], v(), "{}: {k}", c.what);
        }
        assert_eq!(
            (
                &s["converged"],
                &s["converged_routers"],
                &s["converged_after_s"],
                &s["slowest_router"]
            ),
            (&json!(false), &json!(2), &json!(null), &json!(null)),
            "{}",
            c.what
        );
        assert_eq!(s["routers"][1]["problems"], json!([]), "{}", c.what);
    }
}

/// ROUTER_1 of an IPv4 chain of 3 on FRR.
fn middle_frr() -> Observation {
    Observation {
        at_ms: POLLED,
        daemons: frr(20),
        peers: Some(vec![
            peer("172.31.1.2", "Established", 3),
            peer("172.31.2.1", "Established", 1),
        ]),
        bgp_fib_routes: Some(2),
        fams: vec![fam(Family::Ipv4, bgp("172.31.1.2", "ROUTER_0"), Some(1))],
        errors: vec![],
    }
}

#[test]
fn a_missing_ipv6_default_shows_in_the_v6_fields_only() {
    let l = dual_mixed();
    let both = [Family::Ipv4, Family::Ipv6];
    let mut o2 = last(&both);
    o2.fams[1].default_route = Some(None);
    o2.fams[1].default_bgp = Some(None);
    o2.bgp_fib_routes = Some(5);
    let s = status(&l, vec![origin(&both), middle_bird(), o2]);
    let r = &s["routers"][2];
    assert_eq!(
        r["problems"],
        json!(["5 of 6 BGP routes installed", "no IPv6 default route"])
    );
    assert_eq!(
        (
            &r["has_default"],
            &r["default_as_path_len"],
            &r["has_default_v6"],
            &r["default_v6_as_path_len"],
            &r["converged"]
        ),
        (&json!(true), &json!(2), &json!(false), &json!(null), &json!(false))
    );
    assert_eq!((&s["converged_routers"], &s["converged"]), (&json!(2), &json!(false)));
}

#[test]
fn an_ipv6_default_via_a_non_upstream_interface_is_wrong() {
    let l = dual_mixed();
    let both = [Family::Ipv4, Family::Ipv6];
    let mut o2 = last(&both);
    o2.fams[1].stub_route = bgp("fe80::9", "eth9");
    let s = status(&l, vec![origin(&both), middle_bird(), o2]);
    assert_eq!(
        s["routers"][2]["problems"],
        json!(["IPv6 stub route via fe80::9, expected 2001:db8:31:2::2 (ROUTER_1)"])
    );
}
