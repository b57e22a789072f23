//! Host-wide kernel limits a lab of N routers needs. `doctor` reports them; `up` raises the
//! ones that are safe to raise (never lowers anything) and says so.
//!
//! The one that bites first: the IPv4 neighbour (ARP) table is one table for all network
//! namespaces, and its default `gc_thresh3` of 1024 entries is below what ~500 routers with
//! two neighbours each need. Past it the kernel logs "neighbor table overflow", ARP fails,
//! and BGP sessions sit in Connect forever.

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

/// What `routers` routers need, given a reader of current values (a seam for tests).
pub fn needed(routers: u64, read: &dyn Fn(&str) -> u64) -> Vec<Limit> {
    let l = |key: &'static str, wanted: u64, raise: bool| Limit {
        key,
        current: read(key),
        wanted,
        raise,
    };
    // Two neighbours per router, plus room for the host's own entries and traceroute bursts.
    let neigh = 2 * routers;
    vec![
        // Above thresh2 the kernel starts reclaiming; thresh3 is the hard cap.
        l("net.ipv4.neigh.default.gc_thresh2", (neigh + 256).max(512), true),
        l("net.ipv4.neigh.default.gc_thresh3", (2 * neigh + 256).max(1024), true),
        // zebra and bgpd run about three threads each.
        l("kernel.pid_max", (8 * routers + 4096).max(32768), true),
        l("kernel.threads-max", 8 * routers + 4096, false),
        // One /run/netns bind mount per router in the host's mount namespace.
        l("fs.mount-max", routers + 1000, false),
    ]
}

pub fn read_sysctl(key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/sys/{}", key.replace('.', "/")))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// Raises what `up` may raise; returns one message per change, and errors for limits it
/// could not fix (so the caller can stop before building a lab that cannot work).
pub fn raise(routers: u64) -> (Vec<String>, Vec<String>) {
    let mut changed = Vec::new();
    let mut problems = Vec::new();
    for l in needed(routers, &read_sysctl) {
        if l.ok() {
            continue;
        }
        if !l.raise {
            problems.push(format!(
                "{} is {} but {routers} routers need {}; raise it with `sysctl -w {}={}`",
                l.key, l.current, l.wanted, l.key, l.wanted
            ));
            continue;
        }
        // The neighbour thresholds exist only in the host's first network namespace: inside a
        // container with a namespace of its own they are absent and the host's values apply.
        if !Path::new(&l.path()).exists() && l.key.starts_with("net.") {
            changed.push(format!(
                "{} is not visible here (a container's network namespace?): the host's value applies; \
                 for {routers} routers it should be at least {} (`sysctl -w {}={}` on the host)",
                l.key, l.wanted, l.key, l.wanted
            ));
            continue;
        }
        match std::fs::write(Path::new(&l.path()), l.wanted.to_string()) {
            Ok(()) => changed.push(format!(
                "raised {} from {} to {} for {routers} routers",
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
        assert!(needed(100, &defaults).iter().all(Limit::ok));
        let big: Vec<&'static str> = needed(1000, &defaults)
            .into_iter()
            .filter(|l| !l.ok())
            .map(|l| l.key)
            .collect();
        assert_eq!(
            big,
            ["net.ipv4.neigh.default.gc_thresh2", "net.ipv4.neigh.default.gc_thresh3"]
        );
        let t3 = needed(1000, &defaults)
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
            let v = needed(n, &|_| 0);
            assert!(v[0].wanted <= v[1].wanted, "{n}: {v:?}");
        }
    }
}
