//! The lab's topology as a graph: routers 0 … N-1, links with both ends, and the breadth-first
//! distances and shortest-path next hops towards the origin, computed once. Every consumer
//! (address plan, render, netns links, the convergence rule, trace, experiments, `graph`)
//! reads it; the shape generators below are the only code that knows how a shape is wired
//! (the chain's `k-1`/`k+1` lives in [`chain`] and nowhere else).

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// A topology generator, as `[topology] shape` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    #[default]
    Chain,
    Ring,
    Star,
    Tree,
    Grid,
    Clique,
    File,
    /// A generated AS hierarchy with relationships (config/internet.rs).
    Internet,
}

impl Shape {
    pub const ALL: [&'static str; 8] = ["chain", "ring", "star", "tree", "grid", "clique", "file", "internet"];

    pub fn parse(s: &str) -> Option<Shape> {
        Some(match s {
            "chain" => Shape::Chain,
            "ring" => Shape::Ring,
            "star" => Shape::Star,
            "tree" => Shape::Tree,
            "grid" => Shape::Grid,
            "clique" => Shape::Clique,
            "file" => Shape::File,
            "internet" => Shape::Internet,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Shape::Chain => "chain",
            Shape::Ring => "ring",
            Shape::Star => "star",
            Shape::Tree => "tree",
            Shape::Grid => "grid",
            Shape::Clique => "clique",
            Shape::File => "file",
            Shape::Internet => "internet",
        }
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The resolved `[topology]` table: which generator made the graph and with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Topology {
    pub shape: Shape,
    /// tree: children per router.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fanout: Option<usize>,
    /// grid: rows × cols = routers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cols: Option<usize>,
    /// internet: the generator's seed and tier-1 count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier1: Option<usize>,
}

/// ROUTER_{k-1} — ROUTER_k for k = 1 … N-1 (the classic lab; link k-1 in 0-based order).
pub fn chain(n: usize) -> Vec<(usize, usize)> {
    (1..n).map(|k| (k - 1, k)).collect()
}

/// ROUTER_i — ROUTER_(i+1 mod N); needs N ≥ 3 (fewer would be a self-loop or a duplicate).
pub fn ring(n: usize) -> Vec<(usize, usize)> {
    (0..n).map(|i| (i, (i + 1) % n)).collect()
}

/// ROUTER_0 is the hub.
pub fn star(n: usize) -> Vec<(usize, usize)> {
    (1..n).map(|i| (0, i)).collect()
}

/// ROUTER_0 is the root; router i's parent is (i-1)/fanout, so the tree fills level by level.
pub fn tree(n: usize, fanout: usize) -> Vec<(usize, usize)> {
    (1..n).map(|i| ((i - 1) / fanout.max(1), i)).collect()
}

/// Router r·cols+c is joined to its right and lower neighbours.
pub fn grid(rows: usize, cols: usize) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let i = r * cols + c;
            if c + 1 < cols {
                v.push((i, i + 1));
            }
            if r + 1 < rows {
                v.push((i, i + cols));
            }
        }
    }
    v
}

/// Every pair, in order (0,1), (0,2), … (1,2), …
pub fn clique(n: usize) -> Vec<(usize, usize)> {
    (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect()
}

/// The links of a generated shape (not `File`, whose links come from the lab file).
pub fn generate(t: &Topology, n: usize) -> Vec<(usize, usize)> {
    match t.shape {
        Shape::Chain => chain(n),
        Shape::Ring => ring(n),
        Shape::Star => star(n),
        Shape::Tree => tree(n, t.fanout.unwrap_or(2)),
        Shape::Grid => grid(t.rows.unwrap_or(1), t.cols.unwrap_or(n)),
        Shape::Clique => clique(n),
        Shape::Internet => super::internet::generate(n, t.tier1.unwrap_or(1).min(n), t.seed.unwrap_or(0))
            .into_iter()
            .map(|(a, b, _)| (a, b))
            .collect(),
        Shape::File => Vec::new(),
    }
}

/// What is wrong with a list of links (validation turns these into keyed messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphProblem {
    /// Link at this 0-based position joins a router to itself.
    SelfLoop { link: usize, router: usize },
    /// Link at `link` joins the same two routers as the earlier link `first`.
    Duplicate { link: usize, first: usize },
    /// A link names a router ≥ N.
    NoSuchRouter { link: usize, router: usize },
    /// Routers the origin cannot reach.
    Disconnected { unreachable: Vec<usize> },
}

/// Checks that links are within 0..n, no self-loops, no duplicates, and all routers are
/// connected to `origin`.
pub fn check(n: usize, links: &[(usize, usize)], origin: usize) -> Result<(), GraphProblem> {
    check_with_lans(n, links, &[], origin)
}

/// [`check`] with shared segments: a router joined only through a LAN is connected. The
/// LANs' own members are checked by validation (`config::lan`), which names them.
pub fn check_with_lans(
    n: usize,
    links: &[(usize, usize)],
    lans: &[Vec<usize>],
    origin: usize,
) -> Result<(), GraphProblem> {
    let mut seen = std::collections::HashMap::new();
    for (i, &(a, b)) in links.iter().enumerate() {
        for r in [a, b] {
            if r >= n {
                return Err(GraphProblem::NoSuchRouter { link: i, router: r });
            }
        }
        if a == b {
            return Err(GraphProblem::SelfLoop { link: i, router: a });
        }
        if let Some(&first) = seen.get(&(a.min(b), a.max(b))) {
            return Err(GraphProblem::Duplicate { link: i, first });
        }
        seen.insert((a.min(b), a.max(b)), i);
    }
    let g = Graph::with_lans(n, links.to_vec(), lans.to_vec(), origin);
    let unreachable: Vec<usize> = (0..n).filter(|&r| g.dist[r].is_none()).collect();
    if !unreachable.is_empty() {
        return Err(GraphProblem::Disconnected { unreachable });
    }
    Ok(())
}

/// What `lab.json` stores of a graph; the rest is recomputed on load.
#[derive(Serialize, Deserialize)]
struct GraphSpec {
    routers: usize,
    origin: usize,
    links: Vec<(usize, usize)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    lans: Vec<Vec<usize>>,
}

/// Routers 0 … n-1 joined by links (0-based positions; the address plan numbers link at
/// position p as link p+1) and by shared segments (LANs: every member is one hop from every
/// other), with distances from the origin precomputed. A LAN is one position after the
/// links: LAN j is position `links().len() + j`, so adjacency through it reads like a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "GraphSpec", into = "GraphSpec")]
pub struct Graph {
    n: usize,
    origin: usize,
    links: Vec<(usize, usize)>,
    /// Members of each LAN, in the lab file's order.
    lans: Vec<Vec<usize>>,
    /// Per router: (neighbour, link position), in link order (LAN neighbours last).
    adj: Vec<Vec<(usize, usize)>>,
    /// Hops from the origin (None: unreachable, which validation rejects).
    dist: Vec<Option<u32>>,
}

impl From<GraphSpec> for Graph {
    fn from(s: GraphSpec) -> Graph {
        Graph::with_lans(s.routers, s.links, s.lans, s.origin)
    }
}

impl From<Graph> for GraphSpec {
    fn from(g: Graph) -> GraphSpec {
        GraphSpec {
            routers: g.n,
            origin: g.origin,
            links: g.links,
            lans: g.lans,
        }
    }
}

impl Default for Graph {
    fn default() -> Self {
        Graph::new(1, vec![], 0)
    }
}

impl Graph {
    /// Builds the adjacency and the distances from `origin`. Links must be within 0..n.
    pub fn new(n: usize, links: Vec<(usize, usize)>, origin: usize) -> Graph {
        Graph::with_lans(n, links, Vec::new(), origin)
    }

    /// [`Graph::new`] with LANs (members within 0..n).
    pub fn with_lans(n: usize, links: Vec<(usize, usize)>, lans: Vec<Vec<usize>>, origin: usize) -> Graph {
        let mut adj = vec![Vec::new(); n];
        for (i, &(a, b)) in links.iter().enumerate() {
            if a < n && b < n {
                adj[a].push((b, i));
                adj[b].push((a, i));
            }
        }
        for (j, members) in lans.iter().enumerate() {
            for &a in members.iter().filter(|&&a| a < n) {
                for &b in members.iter().filter(|&&b| b < n && b != a) {
                    adj[a].push((b, links.len() + j));
                }
            }
        }
        let mut g = Graph {
            n,
            origin: origin.min(n.saturating_sub(1)),
            links,
            lans,
            adj,
            dist: Vec::new(),
        };
        g.dist = g.distances_from(g.origin);
        g
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The router that originates the default route and holds the stub ("world").
    pub fn origin(&self) -> usize {
        self.origin
    }

    /// Links as (a, b) in link order (position p is link p+1 of the address plan).
    pub fn links(&self) -> &[(usize, usize)] {
        &self.links
    }

    /// Members of each LAN (LAN j is position `links().len() + j`).
    pub fn lans(&self) -> &[Vec<usize>] {
        &self.lans
    }

    /// The LAN at position `p`, if `p` is one (not a link).
    pub fn lan_at(&self, p: usize) -> Option<usize> {
        p.checked_sub(self.links.len()).filter(|&j| j < self.lans.len())
    }

    /// (neighbour, link position) of router `r`, in link order.
    pub fn neighbours(&self, r: usize) -> &[(usize, usize)] {
        &self.adj[r]
    }

    pub fn degree(&self, r: usize) -> usize {
        self.adj[r].len()
    }

    /// The link position joining `a` and `b`, if they are adjacent.
    pub fn link_between(&self, a: usize, b: usize) -> Option<usize> {
        self.adj.get(a)?.iter().find(|&&(p, _)| p == b).map(|&(_, l)| l)
    }

    /// Hops from the origin to `r` (0 for the origin itself).
    pub fn distance(&self, r: usize) -> u32 {
        self.dist[r].unwrap_or(u32::MAX)
    }

    /// Neighbours of `r` on a shortest path to the origin (empty for the origin). Several
    /// when paths tie: BGP may pick any of them.
    pub fn next_hops(&self, r: usize) -> Vec<usize> {
        let d = self.distance(r);
        self.adj[r]
            .iter()
            .filter(|&&(p, _)| d > 0 && self.dist[p] == Some(d - 1))
            .map(|&(p, _)| p)
            .collect()
    }

    /// Hops from `src` to every router (None: unreachable).
    pub fn distances_from(&self, src: usize) -> Vec<Option<u32>> {
        self.distances_avoiding(&[src], &|_| false)
    }

    /// Hops from the nearest of `srcs` to every router, not using links for which
    /// `skip(link position)` holds (a link that is down).
    pub fn distances_avoiding(&self, srcs: &[usize], skip: &dyn Fn(usize) -> bool) -> Vec<Option<u32>> {
        self.distances_through(srcs, skip, &|_| false)
    }

    /// [`Graph::distances_avoiding`] that also never enters a router for which
    /// `blocked(router)` holds (one without BGP, whatever joins it: link or LAN).
    pub fn distances_through(
        &self,
        srcs: &[usize],
        skip: &dyn Fn(usize) -> bool,
        blocked: &dyn Fn(usize) -> bool,
    ) -> Vec<Option<u32>> {
        let mut dist = vec![None; self.n];
        let mut q = VecDeque::new();
        for &s in srcs {
            if s < self.n && dist[s].is_none() {
                dist[s] = Some(0);
                q.push_back(s);
            }
        }
        while let Some(u) = q.pop_front() {
            let du = dist[u].expect("queued routers have a distance");
            for &(v, l) in &self.adj[u] {
                if dist[v].is_none() && !skip(l) && !blocked(v) {
                    dist[v] = Some(du + 1);
                    q.push_back(v);
                }
            }
        }
        dist
    }

    /// Hops between two routers (u32::MAX if unreachable).
    pub fn hops(&self, a: usize, b: usize) -> u32 {
        self.distances_from(a)[b].unwrap_or(u32::MAX)
    }

    /// The largest distance between two routers, and every pair (a < b) at that distance.
    pub fn diameter_pairs(&self) -> (u32, Vec<(usize, usize)>) {
        let mut best = 0;
        let mut pairs = Vec::new();
        for a in 0..self.n {
            let d = self.distances_from(a);
            for (b, db) in d.iter().enumerate().skip(a + 1) {
                let db = db.unwrap_or(0);
                if db > best {
                    best = db;
                    pairs.clear();
                }
                if db == best && best > 0 {
                    pairs.push((a, b));
                }
            }
        }
        (best, pairs)
    }

    /// Start order for the daemons: from the origin and the routers farthest from it
    /// inwards (breadth-first from both), ties by index. On a chain from ROUTER_0 this is
    /// 0, N-1, 1, N-2, …: the last routers to start sit in the middle, so once they run
    /// every announcement has at most half the way left to cross.
    pub fn launch_order(&self) -> Vec<usize> {
        let far = (0..self.n).map(|r| self.distance(r)).max().unwrap_or(0);
        let mut srcs = vec![self.origin];
        srcs.extend((0..self.n).filter(|&r| self.distance(r) == far && r != self.origin));
        let d = self.distances_avoiding(&srcs, &|_| false);
        let mut v: Vec<usize> = (0..self.n).collect();
        v.sort_by_key(|&r| (d[r].unwrap_or(u32::MAX), r));
        v
    }

    /// Link positions ordered breadth-first from the origin (by the nearer end's distance,
    /// then link order): the order held links are raised in, so sessions come up outwards.
    pub fn links_outwards(&self) -> Vec<usize> {
        let mut v: Vec<usize> = (0..self.links.len()).collect();
        v.sort_by_key(|&l| {
            let (a, b) = self.links[l];
            (self.distance(a).min(self.distance(b)), l)
        });
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators() {
        assert_eq!(chain(4), [(0, 1), (1, 2), (2, 3)]);
        assert_eq!(ring(4), [(0, 1), (1, 2), (2, 3), (3, 0)]);
        assert_eq!(star(4), [(0, 1), (0, 2), (0, 3)]);
        assert_eq!(tree(7, 2), [(0, 1), (0, 2), (1, 3), (1, 4), (2, 5), (2, 6)]);
        assert_eq!(tree(5, 3), [(0, 1), (0, 2), (0, 3), (1, 4)]);
        // 2×3: 0 1 2 / 3 4 5
        assert_eq!(grid(2, 3), [(0, 1), (0, 3), (1, 2), (1, 4), (2, 5), (3, 4), (4, 5)]);
        assert_eq!(clique(4), [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]);
        assert_eq!(clique(8).len(), 28);
        assert_eq!(grid(10, 10).len(), 180);
        for links in [chain(6), ring(6), star(6), tree(6, 2), grid(2, 3), clique(6)] {
            assert_eq!(check(6, &links, 0), Ok(()), "{links:?}");
        }
        assert!(chain(1).is_empty() && clique(1).is_empty());
    }

    #[test]
    fn problems_are_found() {
        assert_eq!(
            check(3, &[(0, 1), (1, 1)], 0),
            Err(GraphProblem::SelfLoop { link: 1, router: 1 })
        );
        assert_eq!(
            check(3, &[(0, 1), (1, 2), (1, 0)], 0),
            Err(GraphProblem::Duplicate { link: 2, first: 0 })
        );
        assert_eq!(
            check(3, &[(0, 1), (1, 5)], 0),
            Err(GraphProblem::NoSuchRouter { link: 1, router: 5 })
        );
        assert_eq!(
            check(5, &[(0, 1), (3, 4)], 0),
            Err(GraphProblem::Disconnected {
                unreachable: vec![2, 3, 4]
            })
        );
        // Ring of 2 is a duplicate, ring of 1 a self-loop.
        assert!(matches!(check(2, &ring(2), 0), Err(GraphProblem::Duplicate { .. })));
        assert!(matches!(check(1, &ring(1), 0), Err(GraphProblem::SelfLoop { .. })));
    }

    #[test]
    fn distances_and_next_hops_with_ties() {
        // Ring of 6 from 0: 3 is opposite, reachable both ways.
        let g = Graph::new(6, ring(6), 0);
        let d: Vec<u32> = (0..6).map(|r| g.distance(r)).collect();
        assert_eq!(d, [0, 1, 2, 3, 2, 1]);
        assert_eq!(g.next_hops(3), [2, 4]);
        assert_eq!(g.next_hops(1), [0]);
        assert!(g.next_hops(0).is_empty());
        // Grid 3×3 from the corner: the centre has two shortest ways, the far corner too.
        let g = Graph::new(9, grid(3, 3), 0);
        assert_eq!(g.distance(8), 4);
        assert_eq!(g.next_hops(4), [1, 3]);
        assert_eq!(g.next_hops(8), [5, 7]);
        // A link down on the ring: the far side goes the other way round.
        let g = Graph::new(6, ring(6), 0);
        let down = g.link_between(0, 1).unwrap();
        let d = g.distances_avoiding(&[0], &|l| l == down);
        assert_eq!(d, [Some(0), Some(5), Some(4), Some(3), Some(2), Some(1)]);
        // A cut: the tree loses a subtree.
        let t = Graph::new(7, tree(7, 2), 0);
        let cut = t.link_between(0, 1).unwrap();
        let d = t.distances_avoiding(&[0], &|l| l == cut);
        assert_eq!(d[1], None);
        assert_eq!(d[3], None);
        assert_eq!(d[2], Some(1));
        assert_eq!(t.hops(3, 6), 4);
    }

    #[test]
    fn diameter_and_orders() {
        let c = Graph::new(6, chain(6), 0);
        assert_eq!(c.diameter_pairs(), (5, vec![(0, 5)]));
        assert_eq!(c.launch_order(), [0, 5, 1, 4, 2, 3]);
        assert_eq!(Graph::new(5, chain(5), 0).launch_order(), [0, 4, 1, 3, 2]);
        assert_eq!(Graph::new(1, chain(1), 0).launch_order(), [0]);
        let r = Graph::new(6, ring(6), 0);
        assert_eq!(r.diameter_pairs(), (3, vec![(0, 3), (1, 4), (2, 5)]));
        assert_eq!(r.launch_order(), [0, 3, 1, 2, 4, 5]);
        let k = Graph::new(4, clique(4), 0);
        assert_eq!(k.diameter_pairs().1.len(), 6);
        let mut all = Graph::new(1000, chain(1000), 0).launch_order();
        all.sort();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        // Held links come up from the origin outwards.
        let s = Graph::new(7, tree(7, 2), 0);
        assert_eq!(s.links_outwards(), [0, 1, 2, 3, 4, 5]);
        let r = Graph::new(6, ring(6), 3);
        assert_eq!(r.links_outwards(), [2, 3, 1, 4, 0, 5]);
    }

    #[test]
    fn serde_round_trip_recomputes() {
        let g = Graph::new(9, grid(3, 3), 4);
        let s = serde_json::to_string(&g).unwrap();
        assert!(!s.contains("dist"), "{s}");
        let back: Graph = serde_json::from_str(&s).unwrap();
        assert_eq!(back, g);
        assert_eq!(back.distance(0), 2);
    }
}
