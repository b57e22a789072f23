use super::*;
use crate::config::graph;

fn check_properties(n: usize, tier1: usize, seed: u64) {
    let links = generate(n, tier1, seed);
    let pairs: Vec<(usize, usize)> = links.iter().map(|&(a, b, _)| (a, b)).collect();
    // Connected, no self-loops or duplicates.
    assert_eq!(graph::check(n, &pairs, 0), Ok(()), "n={n} tier1={tier1} seed={seed}");
    // Tier-1 clique.
    for i in 0..tier1 {
        for j in i + 1..tier1 {
            assert!(links.contains(&(i, j, Rel::P2p)), "tier-1 {i}-{j} missing");
        }
    }
    // Every router below tier 1 has a provider, every provider an earlier index: no cycle.
    for c in tier1..n {
        assert!(
            links.iter().any(|&(_, b, r)| b == c && r == Rel::P2c),
            "{c} has no provider"
        );
    }
    assert!(links.iter().filter(|l| l.2 == Rel::P2c).all(|&(a, b, _)| a < b));
    // No provider cycle, checked independently of the index order: a topological sort of
    // the provider -> customer graph consumes every router.
    let mut indeg = vec![0usize; n];
    for &(_, b, r) in &links {
        if r == Rel::P2c {
            indeg[b] += 1;
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
    let mut seen = 0;
    while let Some(u) = ready.pop() {
        seen += 1;
        for &(a, b, r) in &links {
            if r == Rel::P2c && a == u {
                indeg[b] -= 1;
                if indeg[b] == 0 {
                    ready.push(b);
                }
            }
        }
    }
    assert_eq!(seen, n, "provider cycle");
    // Providers per router: transits 1–3, stubs 1–2.
    let t = tiers(n, tier1);
    for (c, &tc) in t.iter().enumerate().skip(tier1) {
        let k = links.iter().filter(|&&(_, b, r)| b == c && r == Rel::P2c).count();
        let max = if tc == 4 { 2 } else { 3 };
        assert!((1..=max).contains(&k), "router {c} (tier {tc}) has {k} providers");
    }
}

#[test]
fn generated_graphs_keep_the_model() {
    for seed in 0..20 {
        for (n, k) in [(1, 1), (2, 1), (3, 3), (5, 3), (12, 3), (100, 5), (300, 10)] {
            check_properties(n, k, seed);
        }
    }
    check_properties(1000, default_tier1(1000), 7);
}

#[test]
fn same_seed_same_graph_other_seed_other_graph() {
    assert_eq!(generate(100, 5, 42), generate(100, 5, 42));
    assert_ne!(generate(100, 5, 42), generate(100, 5, 43));
}

#[test]
fn has_multihomed_and_single_homed_stubs_and_transit_peering() {
    let n = 300;
    let links = generate(n, 10, 1);
    let t = tiers(n, 10);
    let providers = |c: usize| links.iter().filter(|&&(_, b, r)| b == c && r == Rel::P2c).count();
    assert!((0..n).any(|c| t[c] == 4 && providers(c) == 1));
    assert!((0..n).any(|c| t[c] == 4 && providers(c) == 2));
    assert!(links.iter().any(|&(a, b, r)| r == Rel::P2p && t[a] > 1 && t[b] > 1));
    assert_eq!(t.iter().filter(|&&x| x == 1).count(), 10);
    assert_eq!(default_tier1(100), 5);
    assert_eq!(default_tier1(10), 3);
    assert_eq!(default_tier1(1000), 10);
}
