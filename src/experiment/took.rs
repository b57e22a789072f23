//! `took` after a hijack or a leak: which route each router ended up with, read from its
//! daemon's best routes (`crate::policy::check::read`), by the route's origin AS and, for a
//! leak, whether its AS path crossed the leaker's export against its policy; and the
//! fraction of routers polluted.

use super::model::Took;
use super::spec::Step;
use crate::config::policy::Role;
use crate::config::Lab;
use crate::lab::Running;
use crate::policy::check::Observed;
use ipnet::Ipv4Net;
use std::time::{Duration, Instant};

/// What a hijack or leak step is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub victim: usize,
    pub hijacker: Option<usize>,
    pub leaker: Option<usize>,
    /// The measured prefix (for a more-specific hijack, the half).
    pub measured: Ipv4Net,
    /// The victim's own prefix.
    pub own: Ipv4Net,
}

impl Subject {
    /// The subject of `step` if it is a hijack or a leak in an internet lab.
    pub fn of(lab: &Lab, step: &Step<usize>, measured: Ipv4Net) -> Option<Subject> {
        let (victim, hijacker, leaker) = match *step {
            Step::Hijack { router, victim, .. } => (victim, Some(router), None),
            Step::Leak { router, victim } => (victim, None, Some(router)),
            _ => return None,
        };
        Some(Subject {
            victim,
            hijacker,
            leaker,
            measured,
            own: *lab.policy.prefixes.get(victim)?,
        })
    }

    /// Whether router k counts in the polluted fraction (all but the victim and the actor).
    pub fn counts(&self, k: usize) -> bool {
        k != self.victim && Some(k) != self.hijacker && Some(k) != self.leaker
    }
}

/// Router k's `took` from its best routes `seen`: its route to the measured prefix, or (a
/// more-specific hijack) without one, its route to the victim's own prefix.
pub fn classify(lab: &Lab, s: &Subject, k: usize, seen: &[Observed]) -> Took {
    let route = seen
        .iter()
        .find(|o| o.prefix == s.measured)
        .or_else(|| seen.iter().find(|o| o.prefix == s.own));
    let Some(route) = route else {
        return Took::None;
    };
    // The routers along the path, k first; an AS that is not in the lab ends it.
    let mut path = vec![k];
    for asn in &route.as_path {
        match lab.routers.iter().position(|r| r.asn == *asn) {
            Some(r) => path.push(r),
            None => break,
        }
    }
    let origin = *path.last().expect("k is on it");
    if s.hijacker == Some(origin) {
        return Took::Hijacker;
    }
    if let Some(l) = s.leaker {
        // Leaked: L got it from a provider or a peer and passed it to a provider or a peer.
        let against = |x: usize| matches!(lab.role_of(l, x), Some(Role::Provider | Role::Peer));
        if let Some(i) = path.iter().position(|&x| x == l) {
            if i >= 1 && i + 1 < path.len() && against(path[i - 1]) && against(path[i + 1]) {
                return Took::Leak;
            }
        }
    }
    Took::Victim
}

/// Hijacked or leaked routers over the counted ones (None when none counts).
pub fn polluted_fraction(s: &Subject, took: &[Took]) -> Option<f64> {
    let counted: Vec<Took> = (0..took.len()).filter(|&k| s.counts(k)).map(|k| took[k]).collect();
    if counted.is_empty() {
        return None;
    }
    let bad = counted
        .iter()
        .filter(|t| matches!(t, Took::Hijacker | Took::Leak))
        .count();
    Some((bad as f64 / counted.len() as f64 * 10000.0).round() / 10000.0)
}

/// Every router's `took` now (a router whose daemon cannot be read counts as `none`, with a
/// warning).
pub async fn read_all(run: &Running, password: &str, s: &Subject) -> Vec<Took> {
    use futures::StreamExt;
    let lab = &run.lab;
    let mut per: Vec<(usize, Took)> = futures::stream::iter(0..lab.routers.len())
        .map(|k| async move {
            match crate::policy::check::read(run, password, k).await {
                Ok(seen) => (k, classify(lab, s, k, &seen)),
                Err(e) => {
                    eprintln!("nsbgp: {}: cannot read its routes for `took`: {e}", lab.routers[k].name);
                    (k, Took::None)
                }
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    per.sort_by_key(|(k, _)| *k);
    per.into_iter().map(|(_, t)| t).collect()
}

/// `took` once it stopped changing: two reads a second apart that agree (bounded by
/// `limit`; the last read then). Routers that switch to another origin through the same
/// neighbour change no FIB, so the step's settling alone does not say they are done.
pub async fn read_settled(run: &Running, password: &str, s: &Subject, limit: Duration) -> Vec<Took> {
    let deadline = Instant::now() + limit;
    let mut last = read_all(run, password, s).await;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = read_all(run, password, s).await;
        if now == last {
            return now;
        }
        last = now;
    }
    last
}
