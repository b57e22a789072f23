//! The routes an internet lab must converge to, computed by its Gao–Rexford policy (not by
//! shortest paths). Pure: no daemon is asked here.
//!
//! The decision every router makes (both suites are configured to make exactly this one,
//! see render/policy.rs): its own route first; then the highest class, customer > peer >
//! provider (local preference 300/200/100); then the shortest AS path; then the neighbour
//! with the lowest router-id (FRR's `bgp bestpath compare-routerid`, BIRD's default). Routes
//! whose AS path holds the router are dropped (loop detection). Exports: own and customer
//! routes to every neighbour, peer and provider routes to customers only.
//!
//! [`routes_to`] computes the stable state with the classic three phases (customer routes
//! climb the hierarchy breadth-first, then one peer hop, then provider routes flow down in
//! order of path length); [`simulate`] iterates the per-router decision to a fixpoint and
//! handles what breaks the phases: a leaking router, and RFC 9234 roles with OTC. Unit
//! tests check that both agree wherever both apply.

use crate::config::policy::Role;
use crate::config::Lab;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

pub mod check;

/// A router's best route's class: how it learned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Own,
    Customer,
    Peer,
    Provider,
}

impl Class {
    fn from_role(r: Role) -> Class {
        match r {
            Role::Customer => Class::Customer,
            Role::Peer => Class::Peer,
            Role::Provider => Class::Provider,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Class::Own => "own",
            Class::Customer => "customer",
            Class::Peer => "peer",
            Class::Provider => "provider",
        }
    }
    /// Exported to every neighbour (own and customer routes), not to customers only.
    fn to_everyone(self) -> bool {
        matches!(self, Class::Own | Class::Customer)
    }
}

/// The relationship graph the policy runs on.
#[derive(Debug, Clone)]
pub struct Net {
    /// Per router: (neighbour, what the neighbour is to the router).
    pub nbrs: Vec<Vec<(usize, Role)>>,
    /// Router-ids as numbers: the last tie-break.
    pub rid: Vec<u32>,
}

impl Net {
    pub fn of(lab: &Lab) -> Net {
        let nbrs = lab
            .routers
            .iter()
            .map(|r| {
                r.interfaces
                    .iter()
                    .filter_map(|i| Some((i.peer_index, lab.role_of(r.index, i.peer_index)?)))
                    .collect()
            })
            .collect();
        Net {
            nbrs,
            rid: lab.routers.iter().map(|r| u32::from(r.router_id)).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.nbrs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nbrs.is_empty()
    }

    fn role(&self, r: usize, peer: usize) -> Option<Role> {
        self.nbrs[r].iter().find(|&&(p, _)| p == peer).map(|&(_, role)| role)
    }
}

/// A router's best route to one prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Best {
    pub class: Class,
    /// AS-path length as the daemons show it (0 for the router's own route).
    pub len: u32,
    /// The neighbour it goes through (None for the own route).
    pub next: Option<usize>,
    /// The router that originates the route.
    pub origin: usize,
}

/// Every router's best route to the prefix `sources` originate (one origin, or several in a
/// hijack), in the stable state of the policy.
pub fn routes_to(net: &Net, sources: &[usize]) -> Vec<Option<Best>> {
    let n = net.len();
    let mut best: Vec<Option<Best>> = vec![None; n];
    for &s in sources {
        best[s] = Some(Best {
            class: Class::Own,
            len: 0,
            next: None,
            origin: s,
        });
    }
    // Phase 1: customer routes climb from customer to provider, one level at a time.
    let mut level: Vec<usize> = sources.to_vec();
    let mut len = 0;
    while !level.is_empty() {
        len += 1;
        let mut cand: Vec<Option<usize>> = vec![None; n];
        for &u in &level {
            for &(v, role) in &net.nbrs[u] {
                if role == Role::Provider && best[v].is_none() && cand[v].map_or(true, |c| net.rid[u] < net.rid[c]) {
                    cand[v] = Some(u);
                }
            }
        }
        level = Vec::new();
        for (v, c) in cand.iter().enumerate() {
            if let Some(u) = *c {
                best[v] = Some(Best {
                    class: Class::Customer,
                    len,
                    next: Some(u),
                    origin: best[u].expect("u has a route").origin,
                });
                level.push(v);
            }
        }
    }
    // Phase 2: one peer hop from a router with an own or customer route.
    let peer: Vec<Option<Best>> = (0..n)
        .map(|v| {
            if best[v].is_some() {
                return None;
            }
            net.nbrs[v]
                .iter()
                .filter(|&&(_, role)| role == Role::Peer)
                .filter_map(|&(u, _)| best[u].filter(|b| b.class.to_everyone()).map(|b| (b, u)))
                .min_by_key(|&(b, u)| (b.len, net.rid[u]))
                .map(|(b, u)| Best {
                    class: Class::Peer,
                    len: b.len + 1,
                    next: Some(u),
                    origin: b.origin,
                })
        })
        .collect();
    for (v, p) in peer.into_iter().enumerate() {
        if p.is_some() {
            best[v] = p;
        }
    }
    // Phase 3: provider routes flow down to customers, shortest first, then lowest router-id.
    let mut heap = BinaryHeap::new();
    for u in 0..n {
        if let Some(b) = best[u] {
            for &(v, role) in &net.nbrs[u] {
                if role == Role::Customer && best[v].is_none() {
                    heap.push(Reverse((b.len + 1, net.rid[u], v, u)));
                }
            }
        }
    }
    while let Some(Reverse((len, _, v, u))) = heap.pop() {
        if best[v].is_some() {
            continue;
        }
        best[v] = Some(Best {
            class: Class::Provider,
            len,
            next: Some(u),
            origin: best[u].expect("u has a route").origin,
        });
        for &(w, role) in &net.nbrs[v] {
            if role == Role::Customer && best[w].is_none() {
                heap.push(Reverse((len + 1, net.rid[v], w, v)));
            }
        }
    }
    best
}

/// The routers along `r`'s best path, from `r` to the origin (empty without a route).
pub fn path(best: &[Option<Best>], r: usize) -> Vec<usize> {
    let mut v = Vec::new();
    let mut x = r;
    // Bounded by the router count: a path visits each router at most once.
    for _ in 0..=best.len() {
        let Some(b) = best[x] else { return Vec::new() };
        v.push(x);
        match b.next {
            None => return v,
            Some(nx) => x = nx,
        }
    }
    Vec::new()
}

/// Whether a path (routers from the holder to the origin) is valley-free: read from the
/// origin, zero or more customer-to-provider steps, at most one peer step, then only
/// provider-to-customer steps.
pub fn valley_free(net: &Net, path: &[usize]) -> bool {
    // Walk from the origin towards the holder: phase 0 up, 1 after the peer step, 2 down.
    let mut phase = 0;
    for w in path.windows(2).rev() {
        let (to, from) = (w[0], w[1]);
        let Some(role) = net.role(from, to) else {
            return false;
        };
        phase = match (phase, role) {
            (0, Role::Provider) => 0,
            (0, Role::Peer) => 1,
            (_, Role::Customer) => 2,
            _ => return false,
        };
    }
    true
}

/// Prediction for a whole internet lab: `by_origin[o][r]` is router r's best route to router
/// o's prefix.
pub struct Prediction {
    pub by_origin: Vec<Vec<Option<Best>>>,
}

impl Prediction {
    pub fn of(lab: &Lab) -> Prediction {
        let net = Net::of(lab);
        Prediction {
            by_origin: (0..net.len()).map(|o| routes_to(&net, &[o])).collect(),
        }
    }

    /// How many other ASes' prefixes router r reaches.
    pub fn reached(&self, r: usize) -> usize {
        self.by_origin
            .iter()
            .enumerate()
            .filter(|(o, b)| *o != r && b[r].is_some())
            .count()
    }
}

/// What a scenario changes about the policy: who originates, who leaks, whether roles run.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub sources: Vec<usize>,
    /// A router that exports its route to every neighbour, ignoring its export policy and
    /// its roles for this prefix.
    pub leaker: Option<usize>,
    /// RFC 9234 roles and OTC on every other router.
    pub roles: bool,
}

/// A route in the simulation: the path with its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRoute {
    /// Routers from the holder's next hop to the origin (empty for the own route).
    pub path: Vec<usize>,
    pub class: Class,
    /// OTC: the router whose AS the attribute names.
    pub otc: Option<usize>,
    /// Whether the route crossed the leaker's policy-breaking export.
    pub leaked: bool,
}

impl SimRoute {
    pub fn origin(&self, holder: usize) -> usize {
        self.path.last().copied().unwrap_or(holder)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the policy did not settle within {rounds} rounds")]
pub struct NotSettled {
    pub rounds: usize,
}

/// Every router's best route under `s`, by iterating each router's decision (synchronous
/// rounds) until nothing changes. Bounded: a policy that oscillates is reported.
pub fn simulate(net: &Net, s: &Scenario) -> Result<Vec<Option<SimRoute>>, NotSettled> {
    let n = net.len();
    let own = |_: usize| SimRoute {
        path: Vec::new(),
        class: Class::Own,
        otc: None,
        leaked: false,
    };
    let mut cur: Vec<Option<SimRoute>> = (0..n).map(|r| s.sources.contains(&r).then(|| own(r))).collect();
    let rounds = 4 * n + 8;
    for _ in 0..rounds {
        let mut next: Vec<Option<SimRoute>> = Vec::with_capacity(n);
        for v in 0..n {
            if s.sources.contains(&v) {
                next.push(Some(own(v)));
                continue;
            }
            let mut pick: Option<(SimRoute, usize)> = None;
            for &(u, role_u) in &net.nbrs[v] {
                let Some(r) = &cur[u] else { continue };
                let Some(got) = carry(net, s, u, v, role_u, r) else {
                    continue;
                };
                let better = match &pick {
                    None => true,
                    Some((p, pu)) => (got.class, got.path.len(), net.rid[u]) < (p.class, p.path.len(), net.rid[*pu]),
                };
                if better {
                    pick = Some((got, u));
                }
            }
            next.push(pick.map(|(r, _)| r));
        }
        if next == cur {
            return Ok(cur);
        }
        cur = next;
    }
    Err(NotSettled { rounds })
}

/// Route `r` held by `u` as `v` (to whom `u` is `role_u`) receives it, or None if `u` does not
/// send it or `v` rejects it.
fn carry(net: &Net, s: &Scenario, u: usize, v: usize, role_u: Role, r: &SimRoute) -> Option<SimRoute> {
    let role_v = net.role(u, v)?;
    let leaking = s.leaker == Some(u);
    let allowed = r.class.to_everyone() || role_v == Role::Customer;
    if !allowed && !leaking {
        return None;
    }
    if r.path.contains(&v) {
        return None;
    }
    let mut otc = r.otc;
    if s.roles && !leaking {
        // Egress (RFC 9234 5.): never up or sideways with OTC; mark routes sent down or across.
        if otc.is_some() && role_v != Role::Customer {
            return None;
        }
        if otc.is_none() && role_v != Role::Provider {
            otc = Some(u);
        }
    }
    if s.roles {
        // Ingress: a route with OTC from a customer, or from a peer that is not its OTC, leaked.
        match role_u {
            Role::Customer if otc.is_some() => return None,
            Role::Peer if otc.is_some_and(|o| o != u) => return None,
            Role::Provider | Role::Peer if otc.is_none() => otc = Some(u),
            _ => {}
        }
    }
    let mut path = Vec::with_capacity(r.path.len() + 1);
    path.push(u);
    path.extend_from_slice(&r.path);
    Some(SimRoute {
        path,
        class: Class::from_role(role_u),
        otc,
        leaked: r.leaked || (leaking && !allowed),
    })
}

#[cfg(test)]
mod tests;
