//! Which ASes of a CAIDA file become the lab: a connected sub-graph of N ASes.
//!
//! - Customer cone of an AS: the AS and every AS it reaches going down provider → customer
//!   links (CAIDA's definition), counted in the whole file. Rank: larger cone first, then the
//!   lower AS number.
//! - Tier-1 clique: the one the file states (`# input clique: …`, as CAIDA's files do), else
//!   provider-free ASes that all peer with each other, grown greedily in rank order from
//!   each of the 10 best-ranked provider-free ASes; the largest wins.
//! - Default selection: start from the clique (its N best when N is smaller) and repeatedly
//!   add the best-ranked AS that has a link to one already chosen. When the N largest cones
//!   are connected to the clique this is exactly them; an AS of the N largest that is not
//!   (an island) is skipped for the next one that is, so the lab has exactly N ASes and is
//!   connected, or fewer when the clique's component has fewer (both warned).
//! - `--around ASN`: that AS, then its neighbours, their neighbours, … (breadth-first), each
//!   ring in rank order, until N.
//! - Every link of the file between two chosen ASes is kept, with its relationship. A
//!   provider cycle among them (the data has a few; a lab must not, nsbgp refuses it) is
//!   broken by turning one of its links into a peering: the link whose customer has the most
//!   customers of its own (ties: the lower AS number), and warned.

use super::{AsGraph, CaidaError};
use crate::config::policy::Rel;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

/// How to choose (`--around ASN` or the largest cones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Largest,
    Around(u32),
}

/// The chosen sub-graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Graph positions of the chosen ASes in lab order: router k is `chosen[k]`.
    pub chosen: Vec<usize>,
    /// Links among them by router index, p2c with the provider first, in file order.
    pub links: Vec<(usize, usize, Rel)>,
    /// Per router: its customer cone in the whole file.
    pub cones: Vec<usize>,
    /// How many routers (the first ones) are of the tier-1 clique (default selection).
    pub tier1: usize,
    /// Whether that clique is the one the file states (`# input clique:`), not inferred.
    pub clique_stated: bool,
    /// What was dropped or changed, one sentence each.
    pub warnings: Vec<String>,
}

/// Customer cone size of every AS of the file.
pub fn cones(g: &AsGraph) -> Vec<usize> {
    let n = g.asns.len();
    let mut customers = vec![Vec::new(); n];
    for &(a, b, rel) in &g.links {
        if rel == Rel::P2c {
            customers[a].push(b);
        }
    }
    // One depth-first walk per AS with customers; `stamp` marks who this walk has seen.
    let mut stamp = vec![usize::MAX; n];
    let mut stack = Vec::new();
    (0..n)
        .map(|s| {
            if customers[s].is_empty() {
                return 1;
            }
            stamp[s] = s;
            stack.push(s);
            let mut size = 0;
            while let Some(u) = stack.pop() {
                size += 1;
                for &c in &customers[u] {
                    if stamp[c] != s {
                        stamp[c] = s;
                        stack.push(c);
                    }
                }
            }
            size
        })
        .collect()
}

/// The ASes in rank order: larger cone first, then lower AS number (= lower position).
fn ranked(cone: &[usize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..cone.len()).collect();
    order.sort_by_key(|&i| (Reverse(cone[i]), i));
    order
}

/// Provider-free ASes a clique is grown from (the best-ranked ones).
const CLIQUE_SEEDS: usize = 10;

/// The tier-1 clique: grown greedily from each of the [`CLIQUE_SEEDS`] best-ranked
/// provider-free ASes (the rest joining in rank order when they peer with every member so
/// far), the largest of those cliques (ties: the earlier seed). Several seeds, so that a
/// big island (an AS with a large cone that peers with no one) cannot pass for tier 1.
pub fn clique(g: &AsGraph, order: &[usize]) -> Vec<usize> {
    let mut has_provider = vec![false; g.asns.len()];
    let mut peers = HashSet::new();
    for &(a, b, rel) in &g.links {
        match rel {
            Rel::P2c => has_provider[b] = true,
            Rel::P2p => {
                peers.insert((a.min(b), a.max(b)));
            }
        }
    }
    let free: Vec<usize> = order.iter().copied().filter(|&c| !has_provider[c]).collect();
    let mut best: Vec<usize> = Vec::new();
    for (s, &seed) in free.iter().enumerate().take(CLIQUE_SEEDS) {
        let mut k = vec![seed];
        for &c in free.iter().skip(s + 1).chain(&free[..s]) {
            if k.iter().all(|&m| peers.contains(&(m.min(c), m.max(c)))) {
                k.push(c);
            }
        }
        if k.len() > best.len() {
            // Members in rank order.
            k.sort_by_key(|&m| free.iter().position(|&f| f == m));
            best = k;
        }
    }
    best
}

pub fn select(file: &str, g: &AsGraph, n: usize, how: How) -> Result<Selection, CaidaError> {
    if g.asns.is_empty() {
        return Err(CaidaError::Select {
            file: file.into(),
            problem: "no relationship lines: not a CAIDA as-rel file, or an empty one".into(),
        });
    }
    let total = g.asns.len();
    let mut nbrs = vec![Vec::new(); total];
    let mut direct_customers = vec![0usize; total];
    for &(a, b, rel) in &g.links {
        nbrs[a].push(b);
        nbrs[b].push(a);
        if rel == Rel::P2c {
            direct_customers[a] += 1;
        }
    }
    let cone = cones(g);
    let order = ranked(&cone);
    let mut rank = vec![0; total];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    let mut warnings = Vec::new();
    let mut chosen: Vec<usize> = Vec::new();
    let mut tier1 = 0;
    let mut clique_stated = false;
    let mut inside = vec![false; total];
    match how {
        How::Largest => {
            let k = if g.stated_clique.is_empty() {
                clique(g, &order)
            } else {
                let (mut k, mut absent) = (Vec::new(), Vec::new());
                for &a in &g.stated_clique {
                    match g.index_of(a) {
                        Some(i) if !k.contains(&i) => k.push(i),
                        Some(_) => {}
                        None => absent.push(a),
                    }
                }
                if !absent.is_empty() {
                    warnings.push(format!(
                        "the file's clique comment names {} that no line has: left out",
                        absent.iter().map(|a| format!("AS{a}")).collect::<Vec<_>>().join(", ")
                    ));
                }
                k.sort_by_key(|&i| rank[i]);
                k
            };
            clique_stated = !g.stated_clique.is_empty();
            if k.len() > n {
                warnings.push(format!(
                    "the tier-1 clique has {} ASes; --routers {n} keeps the {n} with the largest cones",
                    k.len()
                ));
            }
            tier1 = k.len().min(n);
            let start: Vec<usize> = if k.is_empty() { vec![order[0]] } else { k };
            // Frontier by rank: the best-ranked AS next to the chosen ones comes next; the
            // clique's members (key `false`) before anyone.
            let mut queued = vec![false; total];
            let mut frontier: BinaryHeap<Reverse<(bool, usize)>> = BinaryHeap::new();
            for &v in start.iter().take(n) {
                queued[v] = true;
                frontier.push(Reverse((false, rank[v])));
            }
            while chosen.len() < n {
                let Some(Reverse((_, r))) = frontier.pop() else { break };
                let v = order[r];
                inside[v] = true;
                chosen.push(v);
                for &w in &nbrs[v] {
                    if !queued[w] {
                        queued[w] = true;
                        frontier.push(Reverse((true, rank[w])));
                    }
                }
            }
            let top: HashSet<usize> = order.iter().take(n).copied().collect();
            let mut skipped: Vec<usize> = top.iter().copied().filter(|&v| !inside[v]).collect();
            skipped.sort_by_key(|&v| rank[v]);
            if !skipped.is_empty() && chosen.len() == n {
                warnings.push(format!(
                    "{} of the {n} largest cones ({}) have no link to the others and were skipped for the next largest that do",
                    skipped.len(),
                    names(g, &skipped)
                ));
            }
        }
        How::Around(asn) => {
            let Some(c) = g.index_of(asn) else {
                return Err(CaidaError::Select {
                    file: file.into(),
                    problem: format!("--around AS{asn}: that AS is in no line of the file"),
                });
            };
            inside[c] = true;
            chosen.push(c);
            let mut ring = vec![c];
            while chosen.len() < n && !ring.is_empty() {
                let mut next: Vec<usize> = ring
                    .iter()
                    .flat_map(|&u| nbrs[u].iter().copied())
                    .filter(|&w| !inside[w])
                    .collect();
                // Rank order; equal ranks are the same AS, reached from two of the ring.
                next.sort_by_key(|&w| rank[w]);
                next.dedup();
                next.truncate(n - chosen.len());
                for &w in &next {
                    inside[w] = true;
                }
                chosen.extend_from_slice(&next);
                ring = next;
            }
        }
    }
    if chosen.len() < n {
        warnings.push(format!(
            "only {} ASes are connected to {}: the lab has {} routers, not {n}",
            chosen.len(),
            names(g, &chosen[..1]),
            chosen.len()
        ));
    }
    let mut router_of = vec![usize::MAX; total];
    for (k, &v) in chosen.iter().enumerate() {
        router_of[v] = k;
    }
    let mut links: Vec<(usize, usize, Rel)> = g
        .links
        .iter()
        .filter(|&&(a, b, _)| router_of[a] != usize::MAX && router_of[b] != usize::MAX)
        .map(|&(a, b, rel)| (router_of[a], router_of[b], rel))
        .collect();
    let (cycles, members) = cycles_in_file(g);
    if cycles > 0 {
        warnings.push(format!(
            "the file has {cycles} provider cycle{} among {members} ASes (each its own provider's provider; their cones include each other); those among the chosen ASes are broken below",
            if cycles == 1 { "" } else { "s" }
        ));
    }
    let customers_of = |r: usize| direct_customers[chosen[r]];
    // Bounded: every round turns one more link into a peering.
    for _ in 0..links.len() {
        let Some(cycle) = provider_cycle(chosen.len(), &links) else {
            break;
        };
        let &worst = cycle
            .iter()
            .max_by_key(|&&l| (customers_of(links[l].1), Reverse(g.asns[chosen[links[l].1]])))
            .expect("a cycle has links");
        let mut along: Vec<usize> = cycle.iter().map(|&l| chosen[links[l].0]).collect();
        along.push(along[0]);
        let (a, b, _) = links[worst];
        warnings.push(format!(
            "provider cycle {} (each a provider of the next): AS{} — AS{} is made a peering (its customer has the most customers of its own)",
            along.iter().map(|&v| format!("AS{}", g.asns[v])).collect::<Vec<_>>().join(" -> "),
            g.asns[chosen[a]],
            g.asns[chosen[b]]
        ));
        links[worst].2 = Rel::P2p;
    }
    if chosen.len() < total || links.len() < g.links.len() {
        warnings.push(format!(
            "kept {} of the file's {total} ASes and {} of its {} links; dropped {} ASes and the {} links with an end among them",
            chosen.len(),
            links.len(),
            g.links.len(),
            total - chosen.len(),
            g.links.len() - links.len()
        ));
    }
    if g.duplicates > 0 {
        warnings.push(format!(
            "{} lines repeat a relationship stated before; each is read once",
            g.duplicates
        ));
    }
    Ok(Selection {
        cones: chosen.iter().map(|&v| cone[v]).collect(),
        chosen,
        links,
        tier1,
        clique_stated,
        warnings,
    })
}

/// "AS1, AS2, AS3 and 4 more".
fn names(g: &AsGraph, v: &[usize]) -> String {
    let shown: Vec<String> = v.iter().take(5).map(|&i| format!("AS{}", g.asns[i])).collect();
    match v.len().saturating_sub(5) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// Provider cycles of the whole file: how many strongly connected sets of provider →
/// customer links it has (of more than one AS), and how many ASes are in them. Kosaraju's
/// two passes, iterative.
pub fn cycles_in_file(g: &AsGraph) -> (usize, usize) {
    let n = g.asns.len();
    let (mut down, mut up) = (vec![Vec::new(); n], vec![Vec::new(); n]);
    for &(a, b, rel) in &g.links {
        if rel == Rel::P2c {
            down[a].push(b);
            up[b].push(a);
        }
    }
    let mut finished = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    for s in 0..n {
        if seen[s] {
            continue;
        }
        seen[s] = true;
        let mut stack = vec![(s, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (u, i) = *top;
            if i == down[u].len() {
                finished.push(u);
                stack.pop();
                continue;
            }
            top.1 += 1;
            let v = down[u][i];
            if !seen[v] {
                seen[v] = true;
                stack.push((v, 0));
            }
        }
    }
    let mut comp = vec![usize::MAX; n];
    let (mut cycles, mut members) = (0, 0);
    for &s in finished.iter().rev() {
        if comp[s] != usize::MAX {
            continue;
        }
        comp[s] = s;
        let (mut size, mut stack) = (0, vec![s]);
        while let Some(u) = stack.pop() {
            size += 1;
            for &v in &up[u] {
                if comp[v] == usize::MAX {
                    comp[v] = s;
                    stack.push(v);
                }
            }
        }
        if size > 1 {
            cycles += 1;
            members += size;
        }
    }
    (cycles, members)
}

/// A cycle of p2c links (provider -> customer) among `n` routers, as link positions in
/// order along it, if there is one.
pub fn provider_cycle(n: usize, links: &[(usize, usize, Rel)]) -> Option<Vec<usize>> {
    let mut out = vec![Vec::new(); n];
    for (l, &(a, b, rel)) in links.iter().enumerate() {
        if rel == Rel::P2c {
            out[a].push((b, l));
        }
    }
    // 0 unseen, 1 on the current path, 2 done. Iterative: no recursion depth limit.
    let mut colour = vec![0u8; n];
    let mut via = vec![usize::MAX; n];
    for s in 0..n {
        if colour[s] != 0 {
            continue;
        }
        colour[s] = 1;
        let mut stack = vec![(s, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (u, i) = *top;
            if i == out[u].len() {
                colour[u] = 2;
                stack.pop();
                continue;
            }
            top.1 += 1;
            let (v, l) = out[u][i];
            match colour[v] {
                0 => {
                    colour[v] = 1;
                    via[v] = l;
                    stack.push((v, 0));
                }
                1 => {
                    let mut cycle = vec![l];
                    let mut x = u;
                    while x != v {
                        cycle.push(via[x]);
                        x = links[via[x]].0;
                    }
                    cycle.reverse();
                    return Some(cycle);
                }
                _ => {}
            }
        }
    }
    None
}
