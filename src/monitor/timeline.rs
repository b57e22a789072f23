//! The convergence timeline: for every router, when (seconds since `up` started) its
//! sessions came up, it first had the default route, and it first converged; and when the
//! whole lab converged. Kept in `timeline.json` in the lab's state directory, first-seen
//! values only, so it is the record of the lab's first convergence.
//!
//! Resolution: while `up --wait` or `status --watch` polls, a router's convergence time is
//! bracketed by two polls; session and default times come from the daemons' own clocks
//! (session uptime, the path's last update), which FRR reports in whole seconds.

use super::rule::Observation;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FILE: &str = "timeline.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RouterTimes {
    pub name: String,
    pub sessions_up_after_s: Option<f64>,
    pub default_after_s: Option<f64>,
    pub converged_after_s: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub started_unix_ms: u64,
    pub converged_after_s: Option<f64>,
    pub routers: Vec<RouterTimes>,
}

fn secs(ms: u64, start: u64) -> f64 {
    (ms.saturating_sub(start) as f64 / 1000.0 * 1000.0).round() / 1000.0
}

impl Timeline {
    pub fn new(started_unix_ms: u64, names: impl IntoIterator<Item = String>) -> Self {
        Timeline {
            started_unix_ms,
            converged_after_s: None,
            routers: names
                .into_iter()
                .map(|name| RouterTimes {
                    name,
                    ..Default::default()
                })
                .collect(),
        }
    }

    /// Loads the lab's timeline, or starts one when there is none (or it belongs to an
    /// earlier `up` of the same lab name).
    pub fn load(dir: &Path, started_unix_ms: u64, names: Vec<String>) -> Self {
        std::fs::read(dir.join(FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<Timeline>(&b).ok())
            .filter(|t| t.started_unix_ms == started_unix_ms && t.routers.len() == names.len())
            .unwrap_or_else(|| Timeline::new(started_unix_ms, names))
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).expect("timeline serializes");
        crate::lab::write_atomic(&dir.join(FILE), &json, 0o644)
    }

    /// Records first sightings from one poll. `converged[i]` is router i's verdict;
    /// `last_unconverged_ms[i]` the last time this process saw it not converged (a lower
    /// bound for its convergence time). Returns whether anything changed.
    pub fn record(
        &mut self,
        obs: &[Observation],
        expected_peers: &[usize],
        converged: &[bool],
        last_unconverged_ms: &[Option<u64>],
    ) -> bool {
        let start = self.started_unix_ms;
        let mut changed = false;
        for (i, o) in obs.iter().enumerate() {
            let t = &mut self.routers[i];
            let now = o.at_ms;
            if t.sessions_up_after_s.is_none() && expected_peers[i] > 0 && o.established() == expected_peers[i] {
                let since = o
                    .peers
                    .iter()
                    .flatten()
                    .filter_map(|p| p.up_since_ms)
                    .max()
                    .unwrap_or(now)
                    .min(now);
                t.sessions_up_after_s = Some(secs(since, start));
                changed = true;
            }
            if t.default_after_s.is_none() && o.has_default() {
                // Every family's default: the last of them to arrive.
                let since = match o.default_epoch() {
                    Some(epoch) => ((epoch + 1) * 1000).min(now),
                    None => now,
                };
                t.default_after_s = Some(secs(since, start));
                changed = true;
            }
            if t.converged_after_s.is_none() && converged[i] {
                // The router converged once its sessions and its default were there, and
                // not before the last poll that saw it unconverged.
                let parts = [t.sessions_up_after_s, t.default_after_s];
                let est = parts.iter().flatten().fold(0.0f64, |a, &b| a.max(b));
                let floor = last_unconverged_ms[i].map_or(0.0, |ms| secs(ms, start));
                t.converged_after_s = Some(est.max(floor).min(secs(now, start)));
                changed = true;
            }
        }
        changed
    }

    /// Marks the lab converged (first time only): when its slowest router converged.
    pub fn lab_converged(&mut self) -> bool {
        if self.converged_after_s.is_some() {
            return false;
        }
        self.converged_after_s = self
            .routers
            .iter()
            .map(|r| r.converged_after_s)
            .try_fold(0.0f64, |a, b| b.map(|b| a.max(b)));
        self.converged_after_s.is_some()
    }

    /// The router that converged last, with its time.
    pub fn slowest(&self) -> Option<(&str, f64)> {
        self.routers
            .iter()
            .filter_map(|r| Some((r.name.as_str(), r.converged_after_s?)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::rule::{FamilyObs, PeerObs, RouteObs};

    fn obs(at_ms: u64, up_since: u64, default_epoch: Option<u64>) -> Observation {
        Observation {
            at_ms,
            peers: Some(vec![PeerObs {
                addr: "10.0.0.1".parse().unwrap(),
                state: "Established".into(),
                pfx_rcd: 1,
                up_since_ms: Some(up_since),
            }]),
            fams: vec![FamilyObs {
                family: crate::config::Family::Ipv4,
                default_route: Some(Some(RouteObs {
                    protocol: "bgp".into(),
                    nexthop: None,
                    iface: None,
                })),
                stub_route: None,
                default_bgp: Some(Some((1, default_epoch))),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn first_sightings_use_daemon_clocks_and_poll_brackets() {
        let start = 1_000_000;
        let mut t = Timeline::new(start, ["R0".to_string(), "R1".to_string()]);
        // R1 seen unconverged at +1.5 s; at +2.0 s its session has been up since +0.8 s and
        // its default path dates from unix second 1000, so it arrived by +1.0 s.
        let o = vec![Observation::default(), obs(start + 2000, start + 800, Some(1000))];
        assert!(t.record(&o, &[1, 1], &[false, true], &[None, Some(start + 1500)]));
        let r1 = &t.routers[1];
        assert_eq!(r1.sessions_up_after_s, Some(0.8));
        assert_eq!(r1.default_after_s, Some(1.0));
        assert_eq!(r1.converged_after_s, Some(1.5));
        assert!(!t.lab_converged(), "R0 has not converged");
        // Later sightings do not move first times.
        let o2 = vec![
            obs(start + 3000, start + 2900, None),
            obs(start + 9000, start + 8000, None),
        ];
        assert!(t.record(&o2, &[1, 1], &[true, true], &[None, None]));
        assert_eq!(t.routers[1].sessions_up_after_s, Some(0.8));
        assert_eq!(t.routers[0].converged_after_s, Some(3.0));
        assert!(t.lab_converged());
        assert_eq!(t.converged_after_s, Some(3.0));
        assert_eq!(t.slowest(), Some(("R0", 3.0)));
        assert!(!t.record(&o2, &[1, 1], &[true, true], &[None, None]));
    }

    #[test]
    fn saved_and_loaded_only_for_the_same_up() {
        let dir = std::env::temp_dir().join(format!("nsbgp-tl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut t = Timeline::new(5, ["A".to_string()]);
        t.routers[0].default_after_s = Some(1.25);
        t.save(&dir).unwrap();
        assert_eq!(Timeline::load(&dir, 5, vec!["A".into()]), t);
        assert_eq!(
            Timeline::load(&dir, 6, vec!["A".into()]),
            Timeline::new(6, ["A".to_string()])
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
