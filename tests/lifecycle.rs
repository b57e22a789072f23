//! Real labs: `up` builds namespaces, links, chroots and daemons; BGP converges; `down`
//! leaves nothing. Checked with independent tools: `ip`, FRR's `vtysh`, `/proc/PID/*`.

mod common;
use common::*;
use std::time::Duration;

fn pid_of(lab: &TestLab, router: &str, daemon: &str) -> u32 {
    let p = lab
        .state_dir()
        .join("routers")
        .join(router)
        .join("run")
        .join(format!("{daemon}.pid"));
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .trim()
        .parse()
        .unwrap()
}

fn chain(tag: &str, n: usize) {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new(tag, n, "");
    lab.up();

    // Namespaces are visible to iproute2.
    let list = sh_ok("ip", &["netns", "list"]);
    for i in 0..n {
        assert!(
            list.lines()
                .any(|l| l.split_whitespace().next() == Some(&lab.router(i))),
            "{} missing from `ip netns list`:\n{list}",
            lab.router(i)
        );
    }

    for i in 0..n {
        let r = lab.router(i);
        for d in ["zebra", "bgpd"] {
            let pid = pid_of(&lab, &r, d);
            // The daemon runs in its router's namespace, per iproute2 ...
            let ident = sh_ok("ip", &["netns", "identify", &pid.to_string()]);
            assert_eq!(ident.trim(), r, "{d} of {r} (pid {pid}) is in namespace {ident:?}");
            // ... and in its chroot, as the frr user.
            let root = std::fs::read_link(format!("/proc/{pid}/root")).unwrap();
            assert_eq!(root, lab.state_dir().join("routers").join(&r).join("root"));
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
            let uid = status
                .lines()
                .find(|l| l.starts_with("Uid:"))
                .unwrap()
                .split_whitespace()
                .nth(2)
                .unwrap()
                .to_string();
            let frr = nix::unistd::User::from_name("frr").unwrap().unwrap().uid.to_string();
            assert_eq!(uid, frr, "{d} of {r} runs with effective uid {uid}, not frr");
        }
        // FRR accepted every line nsbgp rendered (it logs and skips what it does not know),
        // and said nothing on stderr but the one notice every zebra gives in a namespace.
        for d in ["zebra", "bgpd"] {
            let log = lab.state_dir().join(format!("routers/{r}/log/{d}.log"));
            let text = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
            let bad: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("No such command") || l.contains("Unknown command") || l.contains("Error"))
                .collect();
            assert!(bad.is_empty(), "{d} of {r} rejected config lines:\n{}", bad.join("\n"));
            let err = lab.state_dir().join(format!("routers/{r}/log/{d}.stderr"));
            let text = std::fs::read_to_string(&err).unwrap_or_else(|e| panic!("{}: {e}", err.display()));
            let said: Vec<&str> = text
                .lines()
                .filter(|l| !l.contains("Disabling MPLS support (no kernel support)"))
                .collect();
            assert!(said.is_empty(), "{d} of {r} wrote to stderr:\n{}", said.join("\n"));
        }
        // Interfaces are named after the neighbour, with the classic addresses.
        let addrs = sh_ok("ip", &["-n", &r, "-br", "-4", "addr"]);
        if i > 0 {
            assert!(addrs.contains(&format!("172.31.{i}.1/24")), "{r}:\n{addrs}");
            assert!(addrs.contains(&lab.router(i - 1)), "{r}:\n{addrs}");
        }
        if i + 1 < n {
            assert!(addrs.contains(&format!("172.31.{}.2/24", i + 1)), "{r}:\n{addrs}");
        }
        let fwd = sh_ok(
            "ip",
            &[
                "netns",
                "exec",
                &r,
                "sysctl",
                "-n",
                "net.ipv4.ip_forward",
                "net.ipv4.ip_default_ttl",
            ],
        );
        assert_eq!(fwd.split_whitespace().collect::<Vec<_>>(), ["1", "255"], "{r} sysctls");
    }

    // Every session reaches Established (bounded wait), by FRR's own vtysh.
    let want = |i: usize| if i == 0 || i == n - 1 { 1 } else { 2 };
    let ok = wait_for(Duration::from_secs(90), || {
        (0..n)
            .all(|i| established(&lab, &lab.router(i)) == want(i))
            .then_some(())
    });
    assert!(
        ok.is_some(),
        "not all sessions Established: {:?}",
        (0..n).map(|i| established(&lab, &lab.router(i))).collect::<Vec<_>>()
    );

    // The far router learns the default route through BGP, via its upstream neighbour.
    let far = lab.router(n - 1);
    let def = wait_for(Duration::from_secs(60), || {
        let r = sh_ok("ip", &["-n", &far, "route", "show", "default"]);
        r.contains("proto bgp").then_some(r)
    });
    let def = def.unwrap_or_else(|| panic!("{far} never learned the default route"));
    assert!(def.contains(&format!("via 172.31.{}.2", n - 1)), "{def}");

    // Names resolve through /etc/netns/{router}/hosts, as `ip netns exec` provides it.
    let hosts = sh_ok("ip", &["netns", "exec", &far, "getent", "hosts", &lab.router(0)]);
    assert!(hosts.starts_with("172.31.1.2"), "{hosts}");

    // The vty listens on 127.0.0.1 inside the namespace only.
    let ss = sh_ok("ip", &["netns", "exec", &far, "ss", "-Hltn"]);
    assert!(ss.contains("127.0.0.1:2605") && ss.contains("127.0.0.1:2601"), "{ss}");
    assert!(
        !sh_ok("ss", &["-Hltn"]).contains("127.0.0.1:2605"),
        "bgpd's vty leaked into the root namespace"
    );

    let out = lab.on_lab(&["down"]);
    assert_ok(&out, "down");
    lab.assert_clean();
    // Idempotent.
    assert_ok(&lab.on_lab(&["down"]), "second down");
}

#[test]
fn chain_of_3_comes_up_converges_and_goes_away() {
    chain("lca", 3);
}

#[test]
fn chain_of_10_comes_up_converges_and_goes_away() {
    chain("lcb", 10);
}

#[test]
fn a_foreign_namespace_is_refused_and_left_alone() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("lcf", 3, "");
    let foreign = lab.router(1);
    assert_ok(&sh("ip", &["netns", "add", &foreign]), "ip netns add");
    let out = nsbgp(&["up", "-c", lab.config.to_str().unwrap()]);
    let msg = text(&out);
    let _ = sh("ip", &["netns", "del", &foreign]);
    assert_eq!(out.status.code(), Some(2), "{msg}");
    assert!(msg.contains(&foreign) && msg.contains("router_prefix"), "{msg}");
    assert!(!lab.state_dir().exists(), "a refused up must not leave state");
    assert!(
        !std::path::Path::new("/run/netns").join(lab.router(0)).exists(),
        "a refused up must build nothing"
    );
}

#[test]
fn down_leaves_a_recreated_foreign_namespace_alone() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("lcg", 3, "");
    lab.up();
    // Someone replaces ROUTER_2's namespace behind nsbgp's back.
    let r2 = lab.router(2);
    assert_ok(&sh("ip", &["netns", "del", &r2]), "ip netns del");
    assert_ok(&sh("ip", &["netns", "add", &r2]), "ip netns add");
    let out = lab.on_lab(&["down"]);
    let msg = text(&out);
    let still = std::path::Path::new("/run/netns").join(&r2).exists();
    let _ = sh("ip", &["netns", "del", &r2]);
    assert!(still, "down deleted a namespace it did not create:\n{msg}");
    assert!(msg.contains("left alone") && msg.contains(&r2), "{msg}");
}

#[test]
fn render_writes_configs_and_never_overwrites() {
    let dir = tempdir("render");
    let out = nsbgp(&["render", "-c", "configs/chain-3.toml", "-o", dir.0.to_str().unwrap()]);
    assert_ok(&out, "render");
    let bgpd = std::fs::read_to_string(dir.0.join("ROUTER_1/bgpd.conf")).unwrap();
    assert!(
        bgpd.contains("router bgp 101") && bgpd.contains("neighbor 172.31.2.1 remote-as 102"),
        "{bgpd}"
    );
    // Never overwrites what is there.
    let again = nsbgp(&["render", "-c", "configs/chain-3.toml", "-o", dir.0.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
}

#[test]
fn doctor_reports_every_check() {
    if !root_or_skip() {
        return;
    }
    let out = nsbgp(&["doctor", "-c", "configs/chain-3.toml"]);
    let t = stdout(&out);
    for name in ["root", "veth support", "FRR bgpd", "frr user", "traceroute", "fd limit"] {
        assert!(
            t.lines().any(|l| l.starts_with("OK") && l.contains(name)),
            "doctor: no OK line for {name}:\n{t}"
        );
    }
    assert_ok(&out, "doctor");
}

/// `ip -br link` flags (`<…>`, the last column) of the interface in `router` that faces
/// `towards`.
fn link_flags(router: &str, towards: &str) -> String {
    let out = sh_ok("ip", &["-n", router, "-br", "link", "show", "dev", towards]);
    let flags = out.split_whitespace().last().unwrap_or_default().to_string();
    assert!(flags.starts_with('<'), "{router}: no flags for {towards} in {out:?}");
    flags
}

/// `daemons.hold_links`: while the daemons start, every link's downstream end is down (so
/// its upstream end has no carrier and no BGP session can start); when `up` returns, all
/// ends are up with carrier and the chain converges as usual.
#[test]
fn held_links_stay_down_while_daemons_start_then_come_up() {
    if !root_or_skip() {
        return;
    }
    const HOLD: &str = "[daemons]\nhold_links = \"on\"";
    let n = 4;

    // Paused in the middle of starting daemons (after ROUTER_1's first daemon).
    let lab = TestLab::new("hld", n, HOLD);
    let (mut child, paused) = lab.up_paused("daemons");
    let flags: Vec<(String, String)> = (1..n)
        .map(|k| {
            (
                link_flags(&lab.router(k), &lab.router(k - 1)),
                link_flags(&lab.router(k - 1), &lab.router(k)),
            )
        })
        .collect();
    child.kill().unwrap();
    reap(&mut child, std::time::Duration::from_secs(30));
    assert!(paused.contains("paused after daemons"), "up did not pause: {paused:?}");
    for (k, (down_end, up_end)) in flags.iter().enumerate() {
        assert!(
            !down_end.contains(",UP") && !down_end.contains("<UP"),
            "link {}: downstream end is up during launch: {down_end}",
            k + 1
        );
        assert!(
            up_end.contains("NO-CARRIER"),
            "link {}: upstream end has carrier during launch: {up_end}",
            k + 1
        );
    }
    assert_ok(&lab.on_lab(&["down"]), "down after kill");
    lab.assert_clean();

    // A whole `up`: links raised, every end up with carrier, converged.
    let lab = TestLab::new("hlu", n, HOLD);
    let out = nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", "90"]);
    assert_ok(&out, "up --wait with held links");
    assert!(stdout(&out).contains("links raised"), "{}", text(&out));
    assert!(
        stdout(&out).contains(&format!("converged {n}/{n} routers")),
        "{}",
        text(&out)
    );
    for k in 1..n {
        for (a, b) in [(k, k - 1), (k - 1, k)] {
            let f = link_flags(&lab.router(a), &lab.router(b));
            assert!(
                f.contains("LOWER_UP"),
                "{} towards {}: {f}",
                lab.router(a),
                lab.router(b)
            );
        }
    }
    assert_ok(&lab.on_lab(&["down"]), "down");
    lab.assert_clean();
}
