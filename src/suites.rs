//! The registered routing suites: the one place that knows which suites exist. A suite
//! implements [`RoutingSuite`] in its own folder and is added here with one line.

use crate::config::{Lab, Suite};
use crate::suite::RoutingSuite;

/// Every suite nsbgp can run, in the order `doctor` checks them.
pub const ALL: &[&dyn RoutingSuite] = &[&crate::frr::suite::Frr, &crate::bird::suite::Bird];

/// The implementation of `suite`.
pub fn of(suite: Suite) -> &'static dyn RoutingSuite {
    *ALL.iter()
        .find(|s| s.suite() == suite)
        .expect("every Suite value is registered in suites::ALL")
}

/// The experiment model's role of `daemon`: asked of the suite that runs it.
pub fn daemon_role(daemon: crate::config::Daemon) -> crate::suite::DaemonRole {
    ALL.iter()
        .find_map(|s| s.daemon_role(daemon))
        .unwrap_or(crate::suite::DaemonRole::Unpredictable)
}

/// The suites `lab` uses, in registration order.
pub fn used_by(lab: &Lab) -> impl Iterator<Item = &'static dyn RoutingSuite> + '_ {
    ALL.iter().copied().filter(|s| lab.uses(s.suite()))
}

/// Checks that the host can run every suite the lab uses: programs and users. The message
/// says how to fix it.
pub fn check_installed(lab: &Lab) -> Result<(), crate::suite::SuiteError> {
    used_by(lab).try_for_each(|s| s.check_installed(lab))
}

/// Config files of router `index` (file name in its `etc`, content).
pub fn config_files(lab: &Lab, index: usize, password: &str) -> Vec<(String, String)> {
    of(lab.routers[index].suite).config_files(lab, index, password)
}

/// Memory a lab of `routers` FRR routers needs, in MB (the suites' own estimates).
pub fn estimate_mb(routers: u64, merge: bool) -> u64 {
    of(Suite::Frr).estimate_mb(routers, routers, merge)
}

/// The same for a lab with `bird` of its `routers` running BIRD.
pub fn estimate_mixed_mb(routers: u64, bird: u64, merge: bool) -> u64 {
    of(Suite::Frr).estimate_mb(routers - bird, routers, merge) + of(Suite::Bird).estimate_mb(bird, routers, merge)
}

/// Memory (MB) `lab` needs: each suite's estimate for its routers.
pub fn estimate_lab_mb(lab: &Lab, merge: bool) -> u64 {
    let n = lab.routers.len() as u64;
    ALL.iter()
        .map(|s| {
            let count = lab.routers.iter().filter(|r| r.suite == s.suite()).count() as u64;
            s.estimate_mb(count, n, merge)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suite_is_registered_once_and_found_by_its_value() {
        for s in [Suite::Frr, Suite::Bird] {
            assert_eq!(of(s).suite(), s);
            assert_eq!(ALL.iter().filter(|r| r.suite() == s).count(), 1, "{s}");
        }
        assert_eq!(ALL.len(), 2);
    }

    #[test]
    fn every_daemon_belongs_to_one_suite_which_gives_its_role() {
        use crate::config::Daemon;
        use crate::suite::DaemonRole;
        for d in [Daemon::Zebra, Daemon::Bgpd, Daemon::Bird] {
            assert_eq!(ALL.iter().filter(|s| s.daemon_role(d).is_some()).count(), 1, "{d}");
        }
        assert_eq!(daemon_role(Daemon::Bgpd), DaemonRole::Bgp);
        assert_eq!(daemon_role(Daemon::Bird), DaemonRole::BgpKeepsFib);
        assert_eq!(daemon_role(Daemon::Zebra), DaemonRole::Unpredictable);
    }

    #[test]
    fn memory_estimate_matches_the_measured_labs() {
        // BENCHMARKS.md: chain-100 ~14 MB/router, 500 routers 18 MB/router without merging,
        // chain-1000 13.1 MB/router with it.
        assert_eq!(super::estimate_mb(100, false), 1578);
        assert_eq!(super::estimate_mb(500, false), 9453);
        assert_eq!(super::estimate_mb(1000, true), 12812);
        // chain-1000-bird: 4.27 MB per router measured.
        assert_eq!(super::estimate_mixed_mb(1000, 1000, true), 4441);
        assert_eq!(super::estimate_mixed_mb(1000, 0, true), super::estimate_mb(1000, true));
    }
}
