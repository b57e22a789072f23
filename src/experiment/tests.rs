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
