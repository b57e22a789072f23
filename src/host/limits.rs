//! Host-wide kernel limits a lab of N routers needs. `doctor` reports them; `up` raises the
//! ones that are safe to raise (never lowers anything) and says so.
//!
//! The one that bites first: the IPv4 neighbour (ARP) table is one table for all network
//! namespaces, and its default `gc_thresh3` of 1024 entries is below what ~500 routers with
//! two neighbours each need. Past it the kernel logs "neighbor table overflow", ARP fails,
//! and BGP sessions sit in Connect forever. IPv6's neighbour (NDP) table is one table too,
//! with the same default of 1024, and a lab with IPv6 fills it twice as fast: each neighbour
//! has a global and a link-local entry (BIRD routes via the one, FRR via the other). Missed,
//! a dual chain of 1000 sat with its IPv6 sessions in Connect ("ndisc_cache: neighbor table
//! overflow!") and so did every other lab's on the host.

use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub key: &'static str,
    pub current: u64,
    pub wanted: u64,
    /// Whether `up` raises it by itself.
    pub raise: bool,
}

impl Limit {
    pub fn ok(&self) -> bool {
        self.current >= self.wanted
    }
    pub fn path(&self) -> String {
        format!("/proc/sys/{}", self.key.replace('.', "/"))
    }
}

/// What a lab of `routers` routers (or links, whichever is more) needs, `v6` when it has
/// IPv6, given a reader of current values (a seam for tests).
pub fn needed(routers: u64, v6: bool, read: &dyn Fn(&str) -> u64) -> Vec<Limit> {
    let l = |key: &'static str, wanted: u64, raise: bool| Limit {
        key,
        current: read(key),
        wanted,
        raise,
    };
    // Two neighbours per router, plus room for the host's own entries and traceroute bursts.
    let neigh = 2 * routers;
    let mut v = vec![
        // Above thresh2 the kernel starts reclaiming; thresh3 is the hard cap.
        l("net.ipv4.neigh.default.gc_thresh2", (neigh + 256).max(512), true),
        l("net.ipv4.neigh.default.gc_thresh3", (2 * neigh + 256).max(1024), true),
        // zebra and bgpd run about three threads each.
        l("kernel.pid_max", (8 * routers + 4096).max(32768), true),
        l("kernel.threads-max", 8 * routers + 4096, false),
        // One /run/netns bind mount per router in the host's mount namespace.
        l("fs.mount-max", routers + 1000, false),
    ];
    if v6 {
        // A global and a link-local entry per neighbour.
        let neigh6 = 2 * neigh;
        v.push(l("net.ipv6.neigh.default.gc_thresh2", (neigh6 + 256).max(512), true));
        v.push(l(
            "net.ipv6.neigh.default.gc_thresh3",
            (2 * neigh6 + 256).max(1024),
            true,
        ));
    }
    v
}

pub fn read_sysctl(key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/sys/{}", key.replace('.', "/")))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// Raises what `up` may raise; returns one message per change, and errors for limits it
/// could not fix (so the caller can stop before building a lab that cannot work).
pub fn raise(routers: u64, v6: bool) -> (Vec<String>, Vec<String>) {
    let mut changed = Vec::new();
    let mut problems = Vec::new();
    for l in needed(routers, v6, &read_sysctl) {
        if l.ok() {
            continue;
        }
        if !l.raise {
            problems.push(format!(
                "{} is {} but a lab of {routers} routers or links needs {}; raise it with `sysctl -w {}={}`",
                l.key, l.current, l.wanted, l.key, l.wanted
            ));
            continue;
        }
        // The neighbour thresholds exist only in the host's first network namespace: inside a
        // container with a namespace of its own they are absent and the host's values apply.
        if !Path::new(&l.path()).exists() && l.key.starts_with("net.") {
            changed.push(format!(
                "{} is not visible here (a container's network namespace?): the host's value applies; \
                 for a lab of {routers} routers or links it should be at least {} (`sysctl -w {}={}` on the host)",
                l.key, l.wanted, l.key, l.wanted
            ));
            continue;
        }
        match std::fs::write(Path::new(&l.path()), l.wanted.to_string()) {
            Ok(()) => changed.push(format!(
                "raised {} from {} to {} for a lab of {routers} routers or links",
                l.key, l.current, l.wanted
            )),
            Err(e) => problems.push(format!(
                "cannot raise {} from {} to {}: {e}; run `sysctl -w {}={}`",
                l.key, l.current, l.wanted, l.key, l.wanted
            )),
        }
    }
    (changed, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_suffice_for_small_labs_not_for_1000() {
        let defaults = |k: &str| match k {
            "net.ipv4.neigh.default.gc_thresh2" => 512,
            "net.ipv4.neigh.default.gc_thresh3" => 1024,
            "kernel.pid_max" => 32768,
            "kernel.threads-max" => 192_729,
            "fs.mount-max" => 100_000,
            _ => 0,
        };
        assert!(needed(100, false, &defaults).iter().all(Limit::ok));
        let big: Vec<&'static str> = needed(1000, false, &defaults)
            .into_iter()
            .filter(|l| !l.ok())
            .map(|l| l.key)
            .collect();
        assert_eq!(
            big,
            ["net.ipv4.neigh.default.gc_thresh2", "net.ipv4.neigh.default.gc_thresh3"]
        );
        let t3 = needed(1000, false, &defaults)
            .into_iter()
            .find(|l| l.key.ends_with("thresh3"))
            .unwrap();
        assert_eq!(
            (t3.wanted, t3.path().as_str()),
            (4256, "/proc/sys/net/ipv4/neigh/default/gc_thresh3")
        );
    }

    #[test]
    fn thresholds_stay_ordered() {
        for n in [1, 10, 500, 1000] {
            let v = needed(n, true, &|_| 0);
            assert!(v[0].wanted <= v[1].wanted, "{n}: {v:?}");
            assert!(v[5].wanted <= v[6].wanted, "{n}: {v:?}");
        }
    }

    #[test]
    fn a_lab_with_ipv6_needs_the_ndp_table_too() {
        let default = |k: &str| match k {
            "net.ipv6.neigh.default.gc_thresh2" => 512,
            "net.ipv6.neigh.default.gc_thresh3" => 1024,
            _ => u64::MAX,
        };
        assert!(needed(1000, false, &default).iter().all(Limit::ok));
        // 1000 routers, two neighbours each, two entries a neighbour: 4000, doubled.
        let short: Vec<(&str, u64)> = needed(1000, true, &default)
            .into_iter()
            .filter(|l| !l.ok())
            .map(|l| (l.key, l.wanted))
            .collect();
        assert_eq!(
            short,
            [
                ("net.ipv6.neigh.default.gc_thresh2", 4256),
                ("net.ipv6.neigh.default.gc_thresh3", 8256)
            ]
        );
        // Small labs fit the defaults; from about 64 routers `up` raises them.
        assert!(needed(60, true, &default).iter().all(Limit::ok));
        assert!(!needed(100, true, &default).iter().all(Limit::ok));
    }
}
