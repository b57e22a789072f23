//! A BIRD router as a containerlab node: its `bird.conf` (the lab's template) and the
//! start-up commands that do what nsbgp does for it otherwise.

use crate::config::{Family, Lab};

/// Where the BIRD image's entrypoint (`bird -c /etc/bird.conf -d`) reads its config.
pub const BIRD_CONF: &str = "/etc/bird.conf";

/// A BIRD node's start-up commands (containerlab runs them once the container runs). BIRD
/// sets no addresses and no sysctls, so these do what nsbgp and FRR's zebra do otherwise:
/// the address of each lab interface (eth1 … in link order), the stub on `lo` for the
/// router holding the world, forwarding on, and the management default route (through
/// `eth0`) deleted so that the lab's default from BGP is the one used. `dev eth0` names
/// that route alone: BIRD may already have installed the lab's default when this runs.
pub fn bird_exec(lab: &Lab, index: usize, holds_world: bool) -> Vec<String> {
    let r = lab.router(index);
    let mut ifaces: Vec<_> = r.interfaces.iter().collect();
    ifaces.sort_by_key(|i| i.link);
    let v6 = lab.family.has(Family::Ipv6);
    let mut exec: Vec<String> = Vec::new();
    if v6 {
        // Before any address: with DAD on, a new address stays tentative and BGP waits.
        exec.push("sysctl -w net.ipv6.conf.all.disable_ipv6=0".into());
        exec.push("sysctl -w net.ipv6.conf.all.accept_dad=0".into());
        exec.push("sysctl -w net.ipv6.conf.default.accept_dad=0".into());
    }
    exec.extend(ifaces.iter().flat_map(|i| {
        i.addrs
            .iter()
            .map(move |a| format!("ip addr add {}/{} dev {}", a.addr, a.subnet.prefix_len(), i.name))
    }));
    if holds_world {
        for s in &lab.stubs {
            exec.push(format!("ip addr add {}/{} dev lo", s.addr, s.prefix.prefix_len()));
        }
    }
    exec.push("sysctl -w net.ipv4.ip_forward=1".into());
    if v6 {
        exec.push("sysctl -w net.ipv6.conf.all.forwarding=1".into());
    }
    exec.push("ip route del default dev eth0".into());
    exec
}
