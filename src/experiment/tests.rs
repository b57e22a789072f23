//! Unit tests of the experiment's pure steps: the plan worked out on the graph before a run
//! (`plan_steps`, `moved`), how one kernel route event is recorded (`record`) and the
//! address an announcement puts on `lo` (`announce_host`). Labs are built from lab-file
//! text; expected values are worked out by hand from the shapes.

use super::*;
use crate::config::{self, Overrides};

fn lab(text: &str) -> Lab {
    config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap()
}

fn chain(n: usize) -> Lab {
    lab(&format!("name = \"t\"\nrouters = {n}\n"))
}

fn ring(n: usize) -> Lab {
    lab(&format!("name = \"t\"\nrouters = {n}\n[topology]\nshape = \"ring\"\n"))
}

fn world(lab: &Lab) -> World {
    World::new(&lab.graph, vec![lab.origin()], false)
}

fn default_route() -> IpNet {
    "0.0.0.0/0".parse().unwrap()
}

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// How router `from` reaches router `to` in family `f`: `to`'s own address on their link and
/// `from`'s interface towards it.
fn via_f(lab: &Lab, from: usize, to: usize, f: Family) -> (IpAddr, u32) {
    let theirs = lab.interface_to(to, from).expect("neighbours");
    let ours = lab.interface_to(from, to).expect("neighbours");
    (theirs.addr(f).expect("the lab has the family").addr, ours.ifindex)
}

fn addr_of(lab: &Lab, from: usize, to: usize) -> (IpAddr, u32) {
    via_f(lab, from, to, Family::Ipv4)
}

#[test]
fn announce_host_is_the_first_host_or_the_address_itself() {
    assert_eq!(announce_host(net("203.0.113.0/24")), ip("203.0.113.1"));
    assert_eq!(announce_host(net("198.51.100.64/26")), ip("198.51.100.65"));
    assert_eq!(announce_host(net("203.0.113.9/32")), ip("203.0.113.9"));
    assert_eq!(announce_host(net("203.0.113.8/31")), ip("203.0.113.8"));
    assert_eq!(announce_host(net("2001:db8:42::/48")), ip("2001:db8:42::1"));
    assert_eq!(announce_host(net("2001:db8:42::8/127")), ip("2001:db8:42::8"));
    assert_eq!(announce_host(net("fd00:1::5/128")), ip("fd00:1::5"));
}

#[test]
fn a_dual_ring_moves_by_the_measured_familys_addresses() {
    // The same ring link down as below, measured on ::/0: the accepted next hops are the
    // neighbours' IPv6 addresses (and the interfaces towards them, for link-local gateways).
    let l = lab("name = \"t\"\nrouters = 6\n[topology]\nshape = \"ring\"\n[addressing]\nfamily = \"dual\"\n");
    let d6 = net("::/0");
    let before = world(&l);
    let mut after = before.clone();
    after.apply(&Step::LinkDown { a: 0, b: 1 }, d6);
    let m = moved(&l, &before, &after, Family::Ipv6);
    let want = vec![
        (1, vec![via_f(&l, 1, 2, Family::Ipv6)]),
        (2, vec![via_f(&l, 2, 3, Family::Ipv6)]),
    ];
    assert_eq!(m, want);
    assert!(m[0].1[0].0.is_ipv6());
    // FRR's link-local gateway on the interface towards ROUTER_2 is that neighbour; the same
    // address on another interface, or an IPv4 gateway, is not.
    let ll = Some(ip("fe80::1"));
    let on = |oif| {
        Some(NextHop {
            gateway: ll,
            oif: Some(oif),
        })
    };
    let (global, towards_2) = m[0].1[0];
    assert!(via_one_of(on(towards_2), &m[0].1));
    assert!(!via_one_of(on(towards_2 + 1), &m[0].1));
    assert!(via_one_of(
        Some(NextHop {
            gateway: Some(global),
            oif: None
        }),
        &m[0].1
    ));
    assert!(!via_one_of(
        Some(NextHop {
            gateway: Some(ip("172.31.2.1")),
            oif: Some(towards_2)
        }),
        &m[0].1
    ));
    assert!(!via_one_of(None, &m[0].1));
}

#[test]
fn plan_of_a_chain_link_down_cuts_off_the_far_side() {
    let l = chain(5);
    let steps = [Step::LinkDown { a: 1, b: 2 }, Step::WaitConverged];
    let plan = plan_steps(&l, &world(&l), &steps, default_route());
    assert_eq!(plan.len(), 2);
    // Hops from the nearer end of the link; the origin (0) never holds its own default.
    assert_eq!(plan[0].hops, vec![1, 0, 0, 1, 2]);
    assert_eq!(plan[0].want, Some(vec![false, true, false, false, false]));
    assert!(plan[0].movers.is_empty());
    // A wait is no action: no hops of its own, the state after the link down carried on.
    assert_eq!(plan[1].hops, vec![0; 5]);
    assert_eq!(plan[1].want, plan[0].want);
}

#[test]
fn plan_of_an_announcement_reaches_everyone_but_the_announcer() {
    let l = chain(4);
    let p = net("203.0.113.0/24");
    let steps = [
        Step::Announce { router: 3, prefix: p },
        Step::Withdraw { router: 3, prefix: p },
    ];
    // Nobody holds the announced prefix before: no origin yet.
    let plan = plan_steps(&l, &World::new(&l.graph, vec![], false), &steps, p);
    assert_eq!(plan[0].hops, vec![3, 2, 1, 0]);
    assert_eq!(plan[0].want, Some(vec![true, true, true, false]));
    assert_eq!(plan[1].want, Some(vec![false; 4]));
}

#[test]
fn a_ring_link_down_moves_the_routers_whose_distance_changes() {
    // Ring 0-1-2-3-4-5-0, default from 0: distances 0,1,2,3,2,1. Without link 0-1 the far
    // way round: 1 is 5 hops away via 2, 2 is 4 via 3; 3, 4, 5 keep theirs.
    let l = ring(6);
    let before = world(&l);
    let mut after = before.clone();
    after.apply(&Step::LinkDown { a: 0, b: 1 }, default_route());
    let m = moved(&l, &before, &after, Family::Ipv4);
    assert_eq!(m, vec![(1, vec![addr_of(&l, 1, 2)]), (2, vec![addr_of(&l, 2, 3)])]);
    let plan = plan_steps(&l, &before, &[Step::LinkDown { a: 0, b: 1 }], default_route());
    assert_eq!(plan[0].movers, m);
    assert_eq!(plan[0].want, Some(vec![false, true, true, true, true, true]));
}

#[test]
fn a_killed_bgpd_moves_who_must_go_round_it() {
    // Ring of 6, bgpd of 1 killed: 1 loses the default, 2 re-learns it via 3 (4 hops).
    let l = ring(6);
    let before = world(&l);
    let mut after = before.clone();
    after.apply(
        &Step::Kill {
            router: 1,
            daemon: Daemon::Bgpd,
        },
        default_route(),
    );
    assert_eq!(
        moved(&l, &before, &after, Family::Ipv4),
        vec![(2, vec![addr_of(&l, 2, 3)])]
    );
}

#[test]
fn a_killed_bird_keeps_its_routes_and_is_no_mover() {
    // Chain of 4, bird of 2 killed: its kernel keeps the default (frozen), it has no path
    // left, so it has nothing to re-learn; 3 behind it loses the default.
    let l = lab("name = \"t\"\nrouters = 4\n[daemons]\nsuite = \"bird\"\n");
    let before = world(&l);
    let mut after = before.clone();
    after.apply(
        &Step::Kill {
            router: 2,
            daemon: Daemon::Bird,
        },
        default_route(),
    );
    assert_eq!(after.presence(), vec![false, true, true, false]);
    assert_eq!(moved(&l, &before, &after, Family::Ipv4), Vec::new());
}

#[test]
fn nothing_moves_when_the_model_cannot_predict() {
    let l = chain(3);
    let before = world(&l);
    let mut after = before.clone();
    after.apply(
        &Step::Kill {
            router: 1,
            daemon: Daemon::Zebra,
        },
        default_route(),
    );
    assert!(!after.predictable);
    assert_eq!(moved(&l, &before, &after, Family::Ipv4), Vec::new());
    let plan = plan_steps(
        &l,
        &before,
        &[Step::Kill {
            router: 1,
            daemon: Daemon::Zebra,
        }],
        default_route(),
    );
    assert_eq!(plan[0].want, None);
}

fn fib(n: usize) -> Fib {
    Fib {
        present: vec![false; n],
        gateway: vec![None; n],
        rerouted: vec![false; n],
    }
}

fn ev(router: usize, present: bool, gateway: Option<Ipv4Addr>, at: Instant) -> watch::RouteEvent {
    watch::RouteEvent {
        router,
        present,
        gateway: gateway.map(|g| NextHop {
            gateway: Some(IpAddr::V4(g)),
            oif: None,
        }),
        at,
    }
}

#[test]
fn record_turns_route_events_into_arrivals_departures_and_reroutes() {
    let l = chain(3);
    let t0 = Instant::now();
    let hops = [2, 1, 0];
    let movers: Movers = vec![(1, vec![(ip("10.0.0.9"), 2)])];
    let cur = Cur {
        run: 4,
        step: 1,
        t0,
        hops: &hops,
        movers: &movers,
    };
    let (a, b) = (Some(Ipv4Addr::new(10, 0, 0, 1)), Some(Ipv4Addr::new(10, 0, 0, 9)));
    let mut f = fib(3);
    let mut events = Vec::new();
    let at = |ms: u64| t0 + Duration::from_millis(ms);

    record(ev(1, true, a, at(5)), &mut f, &mut events, &l, Some(cur));
    assert_eq!(
        (f.present[1], f.gateway[1].and_then(|h| h.gateway)),
        (true, a.map(IpAddr::V4))
    );
    // Replaced in place (same next hop): nothing recorded.
    record(ev(1, true, a, at(6)), &mut f, &mut events, &l, Some(cur));
    // Another next hop, one the plan accepts for this mover: a reroute, and rerouted.
    record(ev(1, true, b, at(7)), &mut f, &mut events, &l, Some(cur));
    assert!(f.rerouted[1]);
    // Gone: a departure; its gateway forgotten.
    record(ev(1, false, b, at(9)), &mut f, &mut events, &l, Some(cur));
    assert_eq!((f.present[1], f.gateway[1]), (false, None));
    let got: Vec<(&str, usize, usize, usize, String, f64)> = events
        .iter()
        .map(|e| (e.event, e.run, e.step, e.hop, e.router.clone(), e.t_ms))
        .collect();
    let name = l.routers[1].name.clone();
    assert_eq!(
        got,
        vec![
            ("arrival", 4, 1, 1, name.clone(), 5.0),
            ("reroute", 4, 1, 1, name.clone(), 7.0),
            ("departure", 4, 1, 1, name, 9.0),
        ]
    );
}

#[test]
fn record_keeps_the_state_but_not_events_from_before_the_action_or_without_one() {
    let l = chain(3);
    let t0 = Instant::now() + Duration::from_secs(1);
    let hops = [0, 0, 0];
    let movers: Movers = Vec::new();
    let cur = Cur {
        run: 0,
        step: 0,
        t0,
        hops: &hops,
        movers: &movers,
    };
    let mut f = fib(3);
    let mut events = Vec::new();
    // Stamped before t0 (queued while the lab was put back): state yes, event no.
    record(ev(2, true, None, Instant::now()), &mut f, &mut events, &l, Some(cur));
    assert!(f.present[2]);
    // No current action (settling between runs): the same.
    record(ev(0, true, None, t0), &mut f, &mut events, &l, None);
    assert!(f.present[0]);
    assert!(events.is_empty());
    // A next hop the plan does not accept marks no reroute.
    record(
        ev(2, true, Some(Ipv4Addr::new(10, 9, 9, 9)), t0),
        &mut f,
        &mut events,
        &l,
        Some(cur),
    );
    assert!(!f.rerouted[2]);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, "reroute");
}

#[test]
fn a_ring_reroute_hop_is_the_distance_along_the_new_path() {
    // Ring of 16, default from 0, link 0-1 down: 1 … 7 go the other way round. The router
    // next to the failure (1) is the farthest along its new path (15 hops), 7 the nearest
    // (9): the hop grows with how far the new route travels, not from the failed link.
    let l = ring(16);
    let plan = plan_steps(&l, &world(&l), &[Step::LinkDown { a: 0, b: 1 }], default_route());
    let movers: Vec<usize> = plan[0].movers.iter().map(|(k, _)| *k).collect();
    assert_eq!(movers, (1..=7).collect::<Vec<_>>());
    let hops: Vec<usize> = movers.iter().map(|&k| plan[0].hops[k]).collect();
    assert_eq!(hops, [15, 14, 13, 12, 11, 10, 9]);
    // Routers that do not move keep their hop from the change.
    assert_eq!((plan[0].hops[0], plan[0].hops[8], plan[0].hops[15]), (0, 7, 1));
}

/// The 8-AS graph of tests/internet.rs and src/policy/tests.rs: tier-1 peers 0 and 1;
/// transits 2 (under 0) and 3 (under 1), peering; stubs 4 (under 2), 5 (under 2 and 3), 6
/// (under 3), 7 (under 1).
fn g8(roles: bool) -> Lab {
    let mut t = String::from("name = \"g8\"\nrouters = 8\n[topology]\nshape = \"file\"\n");
    for (a, b, rel) in [
        (0, 1, "p2p"),
        (0, 2, "p2c"),
        (1, 3, "p2c"),
        (2, 3, "p2p"),
        (2, 4, "p2c"),
        (2, 5, "p2c"),
        (3, 5, "p2c"),
        (3, 6, "p2c"),
        (1, 7, "p2c"),
    ] {
        t.push_str(&format!("[[topology.link]]\na = {a}\nb = {b}\nrel = \"{rel}\"\n"));
    }
    t.push_str(&format!("[policy]\nmodel = \"gao-rexford\"\nroles = {roles}\n"));
    lab(&t)
}

fn took_names(w: &World) -> Vec<&'static str> {
    w.took().unwrap().iter().map(|t| t.name()).collect()
}

#[test]
fn a_hijack_on_g8_is_predicted_by_the_policy() {
    // 6 originates 4's prefix. 2 keeps its customer route from 4, 3 prefers its own
    // customer 6; 0 and 1 take their customers' (2 and 3); 5 hears both at 2 hops from its
    // providers and takes the lower router-id's (2: the victim's); 7 follows 1.
    let l = g8(true);
    let own = l.policy.prefixes[4];
    let p = IpNet::V4(own);
    let base = World::of(&l, vec![4], false);
    let hijack = Step::Hijack {
        router: 6,
        victim: 4,
        more_specific: false,
    };
    let mut after = base.clone();
    after.apply(&hijack, p);
    assert_eq!(
        took_names(&after),
        ["victim", "hijacker", "victim", "hijacker", "victim", "victim", "hijacker", "hijacker"]
    );
    let plan = plan_steps(&l, &base, std::slice::from_ref(&hijack), p);
    // 6 loses the BGP route from its FIB (its own is on lo); 1 and 3 switch neighbour (1 from
    // its peer 0 to its customer 3, 3 from its peer 2 to 6); 7 keeps neighbour 1.
    assert_eq!(
        plan[0].want,
        Some(vec![true, true, true, true, false, true, false, true])
    );
    let movers: Vec<usize> = plan[0].movers.iter().map(|(k, _)| *k).collect();
    assert_eq!(movers, [1, 3]);
    assert_eq!(plan[0].movers[0].1, vec![addr_of(&l, 1, 3)]);
    // Hops along the new path from the hijacker: 3 is one away, 1 two.
    assert_eq!((plan[0].hops[3], plan[0].hops[1]), (1, 2));
    // The more specific half reaches everyone but the hijacker (nobody else announces it).
    let half = IpNet::V4(Ipv4Net::new(own.network(), own.prefix_len() + 1).unwrap());
    let mut ms = World::of(&l, vec![], false);
    ms.apply(
        &Step::Hijack {
            router: 6,
            victim: 4,
            more_specific: true,
        },
        half,
    );
    assert_eq!(ms.presence(), [true, true, true, true, true, true, false, true]);
    assert_eq!(took_names(&ms), ["hijacker"; 8]);
}

#[test]
fn a_leak_on_g8_spreads_without_roles_and_is_stopped_with_them() {
    // 5 leaks its route to 4's prefix (from its provider 2) to its other provider 3.
    for roles in [false, true] {
        let l = g8(roles);
        let p = IpNet::V4(l.policy.prefixes[4]);
        let base = World::of(&l, vec![4], false);
        let mut after = base.clone();
        after.apply(&Step::Leak { router: 5, victim: 4 }, p);
        let took = took_names(&after);
        if roles {
            // 3 drops it (OTC from a customer): nothing changes.
            assert!(took.iter().all(|t| *t == "victim"), "{took:?}");
            let plan = plan_steps(&l, &base, &[Step::Leak { router: 5, victim: 4 }], p);
            assert!(plan[0].movers.is_empty());
        } else {
            // 3 takes its customer's route (over its peer's), 1 its customer 3's, 6 and 7 follow.
            assert_eq!(
                took,
                ["victim", "leak", "victim", "leak", "victim", "victim", "leak", "leak"]
            );
            let plan = plan_steps(&l, &base, &[Step::Leak { router: 5, victim: 4 }], p);
            let movers: Vec<usize> = plan[0].movers.iter().map(|(k, _)| *k).collect();
            // 3: from 2 to 5; 1: from 0 to 3. 6 and 7 keep their neighbours.
            assert_eq!(movers, [1, 3]);
            assert_eq!((plan[0].hops[3], plan[0].hops[1]), (1, 2));
        }
    }
}

#[test]
fn took_is_read_from_the_as_path() {
    use crate::policy::check::Observed;
    let l = g8(false);
    let asn = |k: usize| l.routers[k].asn;
    let p = l.policy.prefixes[4];
    let seen = |path: &[usize]| {
        vec![Observed {
            prefix: p,
            as_path: path.iter().map(|&k| asn(k)).collect(),
        }]
    };
    let hijack = took::Subject {
        victim: 4,
        hijacker: Some(6),
        leaker: None,
        measured: p,
        own: p,
    };
    assert_eq!(took::classify(&l, &hijack, 1, &seen(&[3, 6])), model::Took::Hijacker);
    assert_eq!(took::classify(&l, &hijack, 0, &seen(&[2, 4])), model::Took::Victim);
    assert_eq!(took::classify(&l, &hijack, 6, &seen(&[])), model::Took::Hijacker);
    assert_eq!(took::classify(&l, &hijack, 0, &[]), model::Took::None);
    let leak = took::Subject {
        leaker: Some(5),
        hijacker: None,
        ..hijack.clone()
    };
    // 3 got it from 5, which got it from its provider 2: leaked. 2 itself got it from 4.
    assert_eq!(took::classify(&l, &leak, 3, &seen(&[5, 2, 4])), model::Took::Leak);
    assert_eq!(took::classify(&l, &leak, 1, &seen(&[3, 5, 2, 4])), model::Took::Leak);
    assert_eq!(took::classify(&l, &leak, 2, &seen(&[4])), model::Took::Victim);
    // Through 5 from its customer side is no leak: 5 passing its customer's route is fine
    // (not in g8, where 5 has no customer; a path 5 -> 2 as down is normal too).
    assert_eq!(took::classify(&l, &leak, 5, &seen(&[2, 4])), model::Took::Victim);
    let all = [
        model::Took::Victim,
        model::Took::Leak,
        model::Took::Victim,
        model::Took::Leak,
        model::Took::Victim,
        model::Took::Victim,
        model::Took::Leak,
        model::Took::Leak,
    ];
    // Over the 6 routers but 4 (victim) and 5 (leaker): 4 of 6.
    assert_eq!(took::polluted_fraction(&leak, &all), Some(0.6667));
}

#[test]
fn bird_leak_config_moves_otc_for_the_leaked_prefix_only() {
    let l = g8(true);
    let p = l.policy.prefixes[4];
    let plain = crate::bird::conf::render(&l, 5);
    let leaking = crate::bird::conf::render_leaking(&l, 5, p);
    assert!(!plain.contains("nsbgp_leak_otc"));
    assert!(leaking.contains("attribute int nsbgp_leak_otc;"));
    assert_eq!(leaking.matches(&format!("if net = {p} && defined(bgp_otc)")).count(), 2);
    assert_eq!(leaking.matches(&format!("if net = {p} && source = RTS_BGP")).count(), 1);
    // Apart from the exception, the same config: every plain line, in order.
    let mut rest = leaking.lines();
    for line in plain.lines() {
        assert!(
            rest.any(|l| l == line),
            "{line:?} missing or out of order in\n{leaking}"
        );
    }
}

#[test]
fn a_link_down_in_an_internet_lab_reroutes_by_the_policy() {
    // 5's prefix; 5 is a customer of 2 and 3. Without link 3-5, 3 reaches 5 through its peer
    // 2 (a peer route, which 3 exports to its customers only), so 1 loses its customer route
    // from 3 and takes its peer 0's (0 -> 2 -> 5). 6 and 7 keep their neighbours (3 and 1).
    let l = g8(true);
    let p = IpNet::V4(l.policy.prefixes[5]);
    let base = World::of(&l, vec![5], false);
    let plan = plan_steps(&l, &base, &[Step::LinkDown { a: 3, b: 5 }], p);
    let movers = plan[0].movers.clone();
    assert_eq!(movers, vec![(1, vec![addr_of(&l, 1, 0)]), (3, vec![addr_of(&l, 3, 2)])]);
    // Along the new paths: 1 -> 0 -> 2 -> 5 (3 hops), 3 -> 2 -> 5 (2).
    assert_eq!((plan[0].hops[1], plan[0].hops[3]), (3, 2));
    assert_eq!(
        plan[0].want,
        Some(vec![true, true, true, true, true, false, true, true])
    );
    // Nobody originates a default in an internet lab: measuring it predicts it nowhere.
    assert_eq!(World::of(&l, vec![], false).presence(), [false; 8]);
}
