//! `nsbgp doctor`: preflight checks of the host, each with a fix hint. Changes nothing: the
//! veth probe runs in a throwaway anonymous namespace on its own thread.

use crate::config::Lab;

use crate::suite::check;
pub use crate::suite::Check;

use crate::suites::{estimate_lab_mb, estimate_mb};

pub fn run(lab: Option<&Lab>) -> Vec<Check> {
    let mut v = Vec::new();
    let root = nix::unistd::geteuid().is_root();
    v.push(check(
        "root",
        root,
        if root { "running as root" } else { "not root" },
        "run nsbgp with sudo (it needs CAP_SYS_ADMIN and CAP_NET_ADMIN)",
    ));
    let netns = std::path::Path::new("/proc/self/ns/net").exists();
    v.push(check(
        "network namespaces",
        netns,
        "/proc/self/ns/net",
        "use a kernel with CONFIG_NET_NS=y",
    ));
    let (veth_ok, veth_detail) = if root {
        veth_probe()
    } else {
        (false, "needs root to probe".to_string())
    };
    v.push(check(
        "veth support",
        veth_ok,
        veth_detail,
        "use a kernel with CONFIG_VETH (or `modprobe veth`)",
    ));

    // Each suite the lab uses (without a lab file: those checked by default, FRR).
    for suite in crate::suites::ALL {
        if lab.map_or(suite.checked_by_default(), |l| l.uses(suite.suite())) {
            v.extend(suite.doctor_checks(lab));
        }
    }
    let vtysh = std::path::Path::new("/usr/bin/vtysh").exists();
    v.push(check("vtysh", vtysh, "/usr/bin/vtysh", "apt-get install -y frr"));
    let tr = ["/usr/bin/traceroute", "/usr/sbin/traceroute"]
        .iter()
        .any(|p| std::path::Path::new(p).exists());
    v.push(check(
        "traceroute",
        tr,
        if tr { "present" } else { "missing" },
        "apt-get install -y traceroute",
    ));
    v.extend(impairment_checks(lab, root));

    // Size: routers or links, whichever is more (a clique has far more links than routers).
    let size = lab.map(|l| l.size() as u64).unwrap_or(1000);
    let routers = lab.map(|l| l.routers.len() as u64).unwrap_or(1000);
    let what = match lab {
        Some(l) => format!("{routers} routers, {} links", l.links.len()),
        None => format!("{routers} routers"),
    };
    let (soft, _) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap_or((0, 0));
    v.push(check(
        "fd limit",
        soft >= 2 * size + 256,
        format!("soft RLIMIT_NOFILE {soft} (need ~{} for {what})", 2 * size + 256),
        "ulimit -n 65536 (nsbgp raises its soft limit to the hard one itself)",
    ));
    // Host limits count links as well as routers, as `up` does.
    let v6 = lab.is_some_and(|l| l.family.has(crate::config::Family::Ipv6));
    for l in crate::host::limits::needed(size, v6, &crate::host::limits::read_sysctl) {
        let detail = match (l.ok(), l.raise) {
            (true, _) => format!("{} (need {} for {what})", l.current, l.wanted),
            (false, true) => format!("{} is too low for {what}: `up` raises it to {}", l.current, l.wanted),
            (false, false) => format!("{} is too low: {what} need {}", l.current, l.wanted),
        };
        v.push(Check {
            name: l.key,
            ok: l.ok() || l.raise,
            detail,
            fix: format!("sysctl -w {}={}", l.key, l.wanted),
        });
    }
    let ksm = std::path::Path::new(crate::host::ksm::SYSFS);
    let merge = lab.map(|l| l.merge_memory);
    // Without a lab file: chain-1000, where merge_memory = "auto" is on.
    let merging = merge.unwrap_or(routers as usize >= crate::config::MERGE_AUTO_MIN_ROUTERS);
    v.push(check(
        "KSM (merge_memory)",
        (crate::host::ksm::available(ksm) && crate::host::ksm::process_merge_supported()) || merge != Some(true),
        if !crate::host::ksm::process_merge_supported() {
            "no PR_SET_MEMORY_MERGE (Linux 6.4): labs cannot merge daemon memory".to_string()
        } else if crate::host::ksm::available(ksm) {
            let run = std::fs::read_to_string(ksm.join("run")).unwrap_or_default();
            let rate = if crate::host::ksm::advisor_on(ksm) {
                ", scan rate set by the kernel's advisor (advisor_mode=scan-time)"
            } else {
                ""
            };
            format!("available, ksmd run={}{rate}", run.trim())
        } else {
            format!("{} missing: labs cannot merge daemon memory", ksm.display())
        },
        "set merge_memory = \"off\" under [daemons], or use a kernel with CONFIG_KSM",
    ));
    let avail_mb = mem_available_kb() / 1024;
    // Without a lab file: chain-1000 of FRR.
    let need = match lab {
        Some(l) => estimate_lab_mb(l, merging),
        None => estimate_mb(routers, merging),
    };
    v.push(check(
        "memory",
        avail_mb >= need,
        format!("{avail_mb} MB available, ~{need} MB for {routers} routers"),
        "use fewer routers or free memory",
    ));
    v
}

use crate::host::mem_available_kb;

/// Which link impairments this kernel can build (probed in a scratch namespace). One the
/// kernel lacks fails only when FILE's lab asks for it: without a lab, the list informs.
fn impairment_checks(lab: Option<&Lab>, root: bool) -> Vec<Check> {
    if !root {
        return vec![check(
            "impairments",
            false,
            "needs root to probe",
            "run nsbgp doctor as root",
        )];
    }
    let s = crate::impair::support();
    let asks = |f: &dyn Fn(&crate::config::impair::Impairment) -> bool| {
        lab.is_some_and(|l| l.impairments.iter().any(|li| f(&li.set)))
    };
    let how = |netem: bool, other: bool, other_name: &str| match (netem, other) {
        (true, _) => "supported (netem)".to_string(),
        (false, true) => format!("supported ({other_name}; no netem)"),
        (false, false) => "not supported".to_string(),
    };
    vec![
        check(
            "impairment: rate_mbit",
            s.rate() || !asks(&|i| i.rate_mbit > 0.0),
            how(s.netem, s.tbf, "tbf"),
            "use a kernel with CONFIG_NET_SCH_TBF or CONFIG_NET_SCH_NETEM, or remove rate_mbit",
        ),
        check(
            "impairment: loss_pct",
            s.loss() || !asks(&|i| i.loss_pct > 0.0),
            how(s.netem, s.statistic, "iptables statistic"),
            "install iptables (scripts/install-deps.sh), or remove loss_pct",
        ),
        check(
            "impairment: delay, jitter",
            s.delay() || !asks(&|i| i.needs_netem()),
            if s.delay() {
                "supported (netem)".to_string()
            } else {
                "not supported: this kernel has no netem (labs and experiments that set them are refused)".to_string()
            },
            "use a kernel with CONFIG_NET_SCH_NETEM, or remove delay_ms and jitter_ms",
        ),
    ]
}

/// Creates a veth pair in an anonymous namespace that dies with the probing thread.
fn veth_probe() -> (bool, String) {
    std::thread::spawn(|| {
        if let Err(e) = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET) {
            return (false, format!("unshare: {e}"));
        }
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return (false, e.to_string()),
        };
        rt.block_on(async {
            let (conn, handle, _) = match rtnetlink::new_connection() {
                Ok(c) => c,
                Err(e) => return (false, format!("netlink: {e}")),
            };
            tokio::spawn(conn);
            match handle
                .link()
                .add(rtnetlink::LinkVeth::new("probe0", "probe1").build())
                .execute()
                .await
            {
                Ok(()) => (true, "created a veth pair in a throwaway namespace".to_string()),
                Err(e) => (false, format!("creating a veth pair failed: {e}")),
            }
        })
    })
    .join()
    .unwrap_or((false, "probe thread panicked".into()))
}
