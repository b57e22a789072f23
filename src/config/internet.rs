//! `[topology] shape = "internet"`: a generated AS hierarchy with business relationships.
//!
//! The model (README, "Internet-like labs"): routers 0 … K-1 are the tier-1 ASes, peering
//! with each other (a clique of p2p links). The next ~15 % of the routers (at least one when
//! there is room) are transit ASes in two layers; each buys transit from 1–3 providers in
//! the layers above it (tier-1 or an earlier transit layer), and about half of them also
//! peer with another transit of their own layer. The rest are stubs: 60 % single-homed (one
//! provider), the others multihomed to two, their providers drawn from the transits (from
//! the tier-1s when there are no transits). A provider always has a lower index than its
//! customer, so there is no provider cycle, and every router below tier 1 has a provider,
//! so the graph is connected. The pseudo-random choices come from SplitMix64 seeded with
//! `seed`, so the same seed gives the same graph on every build.

use super::policy::Rel;

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, stable across builds and crate versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Percent chance.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The tier-1 count when `tier1` is not given: n/20 within 3 … 10 (and at most n).
pub fn default_tier1(n: usize) -> usize {
    (n / 20).clamp(3, 10).min(n)
}

/// Router tiers: 1 for tier-1, 2 and 3 for the transit layers, 4 for stubs.
pub fn tiers(n: usize, tier1: usize) -> Vec<u8> {
    let transits = transit_count(n, tier1);
    let layer2 = transits.div_ceil(2);
    (0..n)
        .map(|i| match i {
            i if i < tier1 => 1,
            i if i < tier1 + layer2 => 2,
            i if i < tier1 + transits => 3,
            _ => 4,
        })
        .collect()
}

fn transit_count(n: usize, tier1: usize) -> usize {
    let rest = n - tier1;
    if rest == 0 {
        0
    } else {
        ((rest * 15) / 100).max(1).min(rest)
    }
}

/// The links (a, b, rel) of an internet of `n` routers with `tier1` tier-1 ASes: p2c links
/// have the provider as `a`. Needs 1 ≤ tier1 ≤ n.
pub fn generate(n: usize, tier1: usize, seed: u64) -> Vec<(usize, usize, Rel)> {
    let mut rng = Rng(seed);
    let tier = tiers(n, tier1);
    let mut links: Vec<(usize, usize, Rel)> = Vec::new();
    let mut joined = std::collections::HashSet::new();
    let mut add = |links: &mut Vec<(usize, usize, Rel)>, a: usize, b: usize, rel: Rel| {
        if joined.insert((a.min(b), a.max(b))) {
            links.push((a, b, rel));
            true
        } else {
            false
        }
    };
    for i in 0..tier1 {
        for j in i + 1..tier1 {
            add(&mut links, i, j, Rel::P2p);
        }
    }
    let first = |t: u8| tier.iter().position(|&x| x == t);
    for c in tier1..n {
        let t = tier[c];
        // Providers: transits buy from the layers above them, stubs from the transits.
        let pool: Vec<usize> = match t {
            4 if tier.iter().any(|&x| x == 2 || x == 3) => (0..c).filter(|&p| tier[p] == 2 || tier[p] == 3).collect(),
            _ => (0..c).filter(|&p| tier[p] < t).collect(),
        };
        let want = match t {
            4 => {
                if rng.chance(60) {
                    1
                } else {
                    2
                }
            }
            _ => 1 + rng.below(3),
        }
        .min(pool.len());
        let mut got = 0;
        // Bounded: at most 8 draws per wanted provider, then the lowest free ones.
        for _ in 0..want * 8 {
            if got == want {
                break;
            }
            let p = pool[rng.below(pool.len())];
            if add(&mut links, p, c, Rel::P2c) {
                got += 1;
            }
        }
        for &p in &pool {
            if got == want {
                break;
            }
            if add(&mut links, p, c, Rel::P2c) {
                got += 1;
            }
        }
        // Transit peering within the layer, with an earlier member (about half of them).
        if (t == 2 || t == 3) && rng.chance(50) {
            let start = first(t).expect("c is in its layer");
            if c > start {
                let q = start + rng.below(c - start);
                add(&mut links, q, c, Rel::P2p);
            }
        }
    }
    links
}

#[cfg(test)]
mod tests;
