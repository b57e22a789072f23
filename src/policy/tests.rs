use super::*;
use crate::config::internet;
use crate::config::policy::Rel;

/// A relationship graph from (a, b, rel) links; router-ids are given per router.
fn net(n: usize, links: &[(usize, usize, Rel)], rid: &[u32]) -> Net {
    let mut nbrs = vec![Vec::new(); n];
    for &(a, b, rel) in links {
        nbrs[a].push((b, Role::of_neighbour(rel, true)));
        nbrs[b].push((a, Role::of_neighbour(rel, false)));
    }
    Net {
        nbrs,
        rid: rid.to_vec(),
    }
}

use Rel::{P2c, P2p};

/// The 8-AS graph of tests/internet.rs: tier-1 peers 0 and 1; transits 2 (under 0) and 3
/// (under 1), peering; stubs 4 (under 2), 5 (under 2 and 3), 6 (under 3), 7 (under 1).
const G8: [(usize, usize, Rel); 9] = [
    (0, 1, P2p),
    (0, 2, P2c),
    (1, 3, P2c),
    (2, 3, P2p),
    (2, 4, P2c),
    (2, 5, P2c),
    (3, 5, P2c),
    (3, 6, P2c),
    (1, 7, P2c),
];

fn g8() -> Net {
    net(8, &G8, &[10, 20, 30, 40, 50, 60, 70, 80])
}

/// (class, len, next) per router, None for unreachable.
fn summary(b: &[Option<Best>]) -> Vec<Option<(Class, u32, Option<usize>)>> {
    b.iter().map(|x| x.map(|b| (b.class, b.len, b.next))).collect()
}

use Class::{Customer as C, Own as O, Peer as P, Provider as V};

#[test]
fn g8_routes_worked_out_by_hand() {
    let n = g8();
    // To 4 (stub under 2): up 4-2-0, across to 3 (from 2) and to 1 (from 0), down to the rest.
    assert_eq!(
        summary(&routes_to(&n, &[4])),
        [
            Some((C, 2, Some(2))),
            Some((P, 3, Some(0))),
            Some((C, 1, Some(4))),
            Some((P, 2, Some(2))),
            Some((O, 0, None)),
            Some((V, 2, Some(2))),
            Some((V, 3, Some(3))),
            Some((V, 4, Some(1))),
        ]
    );
    // To 6 (stub under 3).
    assert_eq!(
        summary(&routes_to(&n, &[6])),
        [
            Some((P, 3, Some(1))),
            Some((C, 2, Some(3))),
            Some((P, 2, Some(3))),
            Some((C, 1, Some(6))),
            Some((V, 3, Some(2))),
            Some((V, 2, Some(3))),
            Some((O, 0, None)),
            Some((V, 3, Some(1))),
        ]
    );
    // To 7 (stub under 1): 2 cannot use its peer 3 (3 has only a provider route).
    let to7 = routes_to(&n, &[7]);
    assert_eq!(to7[2].map(|b| (b.class, b.len, b.next)), Some((V, 3, Some(0))));
    assert_eq!(path(&to7, 4), [4, 2, 0, 1, 7]);
    for o in 0..8 {
        let b = routes_to(&n, &[o]);
        for r in 0..8 {
            assert!(b[r].is_some(), "{r} reaches {o}");
            assert!(valley_free(&n, &path(&b, r)), "{r} -> {o}: {:?}", path(&b, r));
        }
    }
}

#[test]
fn ties_go_to_the_lowest_router_id() {
    // 0 and 1 peer; 2 and 3 are customers of both. 2 reaches 3 through 0 or 1 (2 hops).
    let links = [(0, 1, P2p), (0, 2, P2c), (1, 2, P2c), (0, 3, P2c), (1, 3, P2c)];
    let low0 = net(4, &links, &[1, 2, 3, 4]);
    let low1 = net(4, &links, &[2, 1, 3, 4]);
    assert_eq!(routes_to(&low0, &[3])[2].unwrap().next, Some(0));
    assert_eq!(routes_to(&low1, &[3])[2].unwrap().next, Some(1));
    for n in [low0, low1] {
        let sim = simulate(
            &n,
            &Scenario {
                sources: vec![3],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            sim[2].as_ref().unwrap().path[0],
            routes_to(&n, &[3])[2].unwrap().next.unwrap()
        );
    }
}

#[test]
fn valley_free_paths() {
    let n = g8();
    assert!(valley_free(&n, &[7, 1, 0, 2, 4]));
    // 4 -> 2 -> 5 -> 3: through the stub 5 (down then up): a valley.
    assert!(!valley_free(&n, &[3, 5, 2, 4]));
    // Two peer steps.
    assert!(!valley_free(&n, &[1, 0, 2, 3]));
    assert!(!valley_free(&n, &[3, 2, 0, 1, 7]));
    // Not adjacent.
    assert!(!valley_free(&n, &[4, 7]));
    assert!(valley_free(&n, &[4]));
}

#[test]
fn unreachable_when_the_hierarchy_has_no_way() {
    // 0 and 1 are tier-1s that do not peer; 2 under 0, 3 under 1: 2 cannot reach 3.
    let n = net(4, &[(0, 2, P2c), (1, 3, P2c), (2, 3, P2p)], &[1, 2, 3, 4]);
    let b = routes_to(&n, &[0]);
    assert!(b[2].is_some());
    // 3 gets 0's prefix from neither: its peer 2 has only a provider route.
    assert!(b[3].is_none() && b[1].is_none());
}

#[test]
fn hijack_on_g8_worked_out_by_hand() {
    // 6 originates 4's prefix. Up: 2 (from 4) and 3 (from 6), then 0 and 1. 5 hears both at
    // 2 hops from its providers 2 and 3: the lower router-id (2) wins, so the victim's.
    let n = g8();
    let b = routes_to(&n, &[4, 6]);
    let took: Vec<usize> = b.iter().map(|x| x.unwrap().origin).collect();
    assert_eq!(took, [4, 6, 4, 6, 4, 4, 6, 6]);
    let sim = simulate(
        &n,
        &Scenario {
            sources: vec![4, 6],
            ..Default::default()
        },
    )
    .unwrap();
    let took_sim: Vec<usize> = (0..8).map(|r| sim[r].as_ref().unwrap().origin(r)).collect();
    assert_eq!(took_sim, took);
}

#[test]
fn leak_on_g8_worked_out_by_hand() {
    // 5 leaks its provider route to 4's prefix (learned from 2) to its other provider 3.
    let n = g8();
    let leak = |roles| {
        simulate(
            &n,
            &Scenario {
                sources: vec![4],
                leaker: Some(5),
                roles,
            },
        )
        .unwrap()
    };
    let leaked: Vec<bool> = leak(false).iter().map(|r| r.as_ref().unwrap().leaked).collect();
    // 3 prefers the customer route from 5 (len 3) to its peer route (len 2); 1 prefers it
    // as its customer's to its peer route; 6 and 7 learn from 3 and 1. 0 and 2 keep theirs.
    assert_eq!(leaked, [false, true, false, true, false, false, true, true]);
    let r3 = leak(false)[3].clone().unwrap();
    assert_eq!((r3.class, r3.path.clone()), (C, vec![5, 2, 4]));
    // With roles, 2 marks the route OTC on its way down to 5, and 3 drops it from its customer.
    let with_roles = leak(true);
    assert!(with_roles.iter().all(|r| !r.as_ref().unwrap().leaked));
    let plain = routes_to(&n, &[4]);
    for r in 0..8 {
        let s = with_roles[r].as_ref().unwrap();
        assert_eq!(s.path.first().copied(), plain[r].unwrap().next, "router {r}");
        assert_eq!(s.path.len() as u32, plain[r].unwrap().len);
    }
}

#[test]
fn phases_and_fixpoint_agree_on_generated_internets() {
    for seed in 0..15 {
        for (size, tier1) in [(12, 3), (40, 4), (100, 5)] {
            let links = internet::generate(size, tier1, seed);
            // Router-ids: a scrambled but fixed order, so ties are not decided by index.
            let rid: Vec<u32> = (0..size as u32).map(|i| i.wrapping_mul(2654435761) >> 8).collect();
            let n = net(size, &links, &rid);
            for o in (0..size).step_by(7) {
                let phases = routes_to(&n, &[o]);
                for roles in [false, true] {
                    let sim = simulate(
                        &n,
                        &Scenario {
                            sources: vec![o],
                            leaker: None,
                            roles,
                        },
                    )
                    .unwrap();
                    for r in 0..size {
                        let a = phases[r].map(|b| (b.class, b.len, b.next));
                        let b = sim[r]
                            .as_ref()
                            .map(|s| (s.class, s.path.len() as u32, s.path.first().copied()));
                        assert_eq!(a, b, "seed {seed} size {size} origin {o} router {r} roles {roles}");
                    }
                }
                // A generated internet is connected through its tier-1 clique: all reach all.
                assert!(phases.iter().all(|b| b.is_some()));
                for r in 0..size {
                    assert!(valley_free(&n, &path(&phases, r)));
                }
            }
        }
    }
}
