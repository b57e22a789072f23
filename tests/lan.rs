//! LAN segments (`[[topology.lan]]`) on real labs: four routers on one bridge plus a chain
//! router behind one of them, FRR and BIRD mixed, and FRR alone with held links. Checked
//! with `ip` (the bridge, its ports, addresses, kernel routes), the ledger against
//! `/run/netns`' inode, FRR's `vtysh` and BIRD's `birdc`, then nsbgp's trace and check.
//! Refused LAN inputs build nothing.

mod common;
use common::*;
use serde_json::Value;
use std::time::Duration;

/// Routers 0 … 3 on `ix1`, router 4 behind router 3 (link 1: 172.31.0.4/30, router 3 is its
/// `a` end with .6, router 4 its `b` end with .5). The LAN is the pool's next /29,
/// 172.31.0.8/29, member k holding .9+k.
const LAN: &str = "[topology]\nshape = \"file\"\n[[topology.link]]\na = 3\nb = 4\n\
                   [[topology.lan]]\nname = \"ix1\"\nrouters = [0, 1, 2, 3]\n";

fn ip(args: &[&str]) -> String {
    let o = sh("ip", args);
    assert!(o.status.success(), "ip {args:?}: {}", text(&o));
    stdout(&o)
}

/// Established BGP sessions of a router, by its own suite's account.
fn sessions(lab: &TestLab, r: usize, bird: bool) -> usize {
    if bird {
        birdc(lab, &lab.router(r), "show protocols")
            .lines()
            .filter(|l| l.contains(" BGP ") && l.contains("Established"))
            .count()
    } else {
        established(lab, &lab.router(r))
    }
}

/// The default's AS path as the router's suite reports it.
fn default_path(lab: &TestLab, r: usize, bird: bool) -> Vec<String> {
    if bird {
        let out = birdc(lab, &lab.router(r), "show route 0.0.0.0/0 all");
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with("BGP.as_path:"))
            .unwrap_or_else(|| panic!("{}: no AS path: {out}", lab.router(r)));
        line.split(':')
            .nth(1)
            .unwrap()
            .split_whitespace()
            .map(String::from)
            .collect()
    } else {
        let v: Value =
            serde_json::from_str(&vtysh(lab, &lab.router(r), "show bgp ipv4 unicast 0.0.0.0/0 json")).unwrap();
        let best = v["paths"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["bestpath"]["overall"] == true))
            .unwrap_or_else(|| panic!("{}: no best default: {v}", lab.router(r)))
            .clone();
        best["aspath"]["string"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .map(String::from)
            .collect()
    }
}

fn trace(lab: &TestLab, from: usize, to: &str) -> Value {
    let out = lab.on_lab(&["trace", "--from", &lab.router(from), "--to", to, "--json"]);
    assert_eq!(out.status.code(), Some(0), "trace {from} → {to}: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn hops(v: &Value) -> Vec<(String, String)> {
    v["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["addr"].as_str().unwrap_or("*").to_string(),
                h["router"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

/// Everything a converged LAN lab must show; `bird[k]`: router k runs BIRD.
fn lan_checks(lab: &TestLab, bird: [bool; 5]) {
    let ns = format!("{}ix1", lab.prefix);
    // The bridge in its own namespace, the four members' veths its ports, named after them.
    let bridges = ip(&["-n", &ns, "-br", "link", "show", "type", "bridge"]);
    assert!(bridges.starts_with("ix1 ") && bridges.contains(" UP "), "{bridges}");
    let ports: Vec<String> = ip(&["-n", &ns, "-br", "link", "show", "master", "ix1"])
        .lines()
        .map(|l| l.split(['@', ' ']).next().unwrap().to_string())
        .collect();
    assert_eq!(ports, (0..4).map(|k| lab.router(k)).collect::<Vec<_>>());
    // The LAN's namespace is ledgered with the identity /run/netns shows.
    let ino = sh_ok("stat", &["-L", "-c", "%i", &format!("/run/netns/{ns}")]);
    let ledger = std::fs::read_to_string(lab.state_dir().join("ledger.jsonl")).unwrap();
    let want = format!("{{\"kind\":\"netns_ino\",\"name\":\"{ns}\",\"ino\":{}}}", ino.trim());
    assert!(ledger.lines().any(|l| l == want), "{want} not in\n{ledger}");

    for (k, &b) in bird.iter().enumerate().take(4) {
        let r = lab.router(k);
        let a = ip(&["-n", &r, "-4", "-o", "addr", "show", "dev", "ix1"]);
        assert!(a.contains(&format!("inet 172.31.0.{}/29 ", 9 + k)), "{r}: {a}");
        // Full mesh: three sessions on the LAN, and router 3 its link to router 4 too.
        assert_eq!(sessions(lab, k, b), if k == 3 { 4 } else { 3 }, "{r}");
        if k > 0 {
            // Router 0 originates the default; the others learn it straight across the LAN.
            assert_eq!(default_path(lab, k, b), ["100"], "{r}");
        }
    }
    assert_eq!(sessions(lab, 4, bird[4]), 1);
    assert_eq!(default_path(lab, 4, bird[4]), ["103", "100"]);

    // The kernel's routes: the members reach the world across the LAN from router 0's .9,
    // router 4 through router 3, the LAN's prefix included.
    for k in 1..4 {
        let d = ip(&["-n", &lab.router(k), "route", "show", "default"]);
        assert!(
            d.starts_with("default via 172.31.0.9 dev ix1 "),
            "{}: {d}",
            lab.router(k)
        );
    }
    let r4 = lab.router(4);
    let d = ip(&["-n", &r4, "route", "show", "default"]);
    assert!(
        d.starts_with(&format!("default via 172.31.0.6 dev {} ", lab.router(3))),
        "{d}"
    );
    let l = ip(&["-n", &r4, "route", "show", "172.31.0.8/29"]);
    assert!(
        l.starts_with(&format!("172.31.0.8/29 via 172.31.0.6 dev {} ", lab.router(3))),
        "{l}"
    );
    // Member to member is one hop on the segment.
    let p = sh(
        "ip",
        &[
            "netns",
            "exec",
            &lab.router(1),
            "ping",
            "-c",
            "1",
            "-W",
            "2",
            "172.31.0.11",
        ],
    );
    assert!(p.status.success(), "{}", text(&p));

    // Traces map their hops across the LAN.
    let t = trace(lab, 4, "world");
    assert_eq!(
        hops(&t),
        [
            ("172.31.0.6".into(), lab.router(3)),
            ("198.51.100.1".into(), lab.router(0))
        ],
        "{t}"
    );
    let t = trace(lab, 4, &lab.router(1));
    assert_eq!(
        hops(&t),
        [
            ("172.31.0.6".into(), lab.router(3)),
            ("172.31.0.10".into(), lab.router(1))
        ],
        "{t}"
    );
    assert_eq!(t["hops_adjacent"], true);
    let t = trace(lab, 2, &lab.router(1));
    assert_eq!(hops(&t), [("172.31.0.10".into(), lab.router(1))], "{t}");
    // A wrong prediction fails: across the LAN is 1 hop, not 2.
    let o = lab.on_lab(&[
        "trace",
        "--from",
        &lab.router(0),
        "--to",
        &lab.router(3),
        "--expect-hops",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    let out = lab.on_lab(&["check", "--json"]);
    assert_ok(&out, "check");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["failed"].as_u64(), v["passed"] == v["total"]),
        (Some(0), true),
        "{v}"
    );
    let st: Value = serde_json::from_slice(&lab.on_lab(&["status", "--json"]).stdout).unwrap();
    assert_eq!(st["converged"], true, "{st}");
}

#[test]
fn mixed_lan_of_four_converges_and_traces_across_it() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new(
        "ln",
        5,
        &format!("{LAN}[[router]]\nindex = 1\nsuite = \"bird\"\n[[router]]\nindex = 3\nsuite = \"bird\"\n"),
    );
    lab.up_wait(120, &[]);
    lan_checks(&lab, [false, true, false, true, false]);

    // An experiment across the LAN: a prefix announced behind router 3 arrives at router 3
    // one hop away and at the other members two hops away, across the segment.
    let (_dir, out, summary) = lab.experiment(
        "lne",
        &format!(
            "name = \"lan\"\nmeasure = \"203.0.113.0/24\"\nrepeat = 1\ntimeout_s = 60\n[[step]]\naction = \"announce\"\nrouter = \"{}\"\nprefix = \"203.0.113.0/24\"\n",
            lab.router(4)
        ),
    );
    let csv = std::fs::read_to_string(out.join("events.csv")).unwrap();
    for (k, hop) in [(3, 1), (0, 2), (1, 2), (2, 2)] {
        let want = format!("0,{},{hop},arrival,", lab.router(k));
        assert!(
            csv.lines().any(|l| l.starts_with(&want)),
            "no {want} in\n{csv}\n{summary}"
        );
    }
    assert_eq!(csv.lines().filter(|l| l.contains(",arrival,")).count(), 4, "{csv}");

    let ns = format!("{}ix1", lab.prefix);
    assert_ok(&lab.on_lab(&["down"]), "down");
    assert!(!std::path::Path::new("/run/netns").join(&ns).exists());
    lab.assert_clean();
}

/// The same LAN in a dual-stack lab: the LAN takes 2001:db8:31:2::/64 (the /64 of its number,
/// after link 1's), member k holds `::k+1`, every pair of members runs a session per family.
/// Checked with `ip -6` (addresses, the kernels' IPv6 defaults across the LAN), `ping -6`,
/// FRR's vtysh and BIRD's birdc (sessions per family), nsbgp's `trace -6` and `check`.
#[test]
fn dual_lan_runs_both_families_across_it() {
    if !root_or_skip() {
        return;
    }
    let bird = [false, true, false, true, false];
    let lab = TestLab::new(
        "lnd",
        5,
        &format!("{LAN}[addressing]\nfamily = \"dual\"\n[[router]]\nindex = 1\nsuite = \"bird\"\n[[router]]\nindex = 3\nsuite = \"bird\"\n"),
    );
    lab.up_wait(120, &[]);
    let origin_ll = {
        let a = ip(&[
            "-n",
            &lab.router(0),
            "-6",
            "-o",
            "addr",
            "show",
            "dev",
            "ix1",
            "scope",
            "link",
        ]);
        a.split_whitespace()
            .skip_while(|w| *w != "inet6")
            .nth(1)
            .and_then(|w| w.split('/').next())
            .unwrap_or_else(|| panic!("no link-local on ix1: {a}"))
            .to_string()
    };
    for (k, &b) in bird.iter().enumerate().take(4) {
        let r = lab.router(k);
        let a = ip(&["-n", &r, "-6", "-o", "addr", "show", "dev", "ix1", "scope", "global"]);
        assert!(a.contains(&format!("inet6 2001:db8:31:2::{}/64 ", k + 1)), "{r}: {a}");
        let a4 = ip(&["-n", &r, "-4", "-o", "addr", "show", "dev", "ix1"]);
        assert!(a4.contains(&format!("inet 172.31.0.{}/29 ", 9 + k)), "{r}: {a4}");
        // Full mesh in each family: three sessions per family on the LAN (router 3: and its link).
        let per_family = if k == 3 { 4 } else { 3 };
        if b {
            let protos = birdc(&lab, &r, "show protocols");
            let up = |v6: bool| {
                protos
                    .lines()
                    .filter(|l| l.contains(" BGP ") && l.contains("Established"))
                    .filter(|l| l.split_whitespace().next().unwrap_or("").ends_with("_6") == v6)
                    .count()
            };
            assert_eq!((up(false), up(true)), (per_family, per_family), "{r}: {protos}");
        } else {
            let v: Value = serde_json::from_str(&vtysh(&lab, &r, "show bgp summary json")).unwrap();
            for afi in ["ipv4Unicast", "ipv6Unicast"] {
                let n = v[afi]["peers"]
                    .as_object()
                    .map_or(0, |p| p.values().filter(|x| x["state"] == "Established").count());
                assert_eq!(n, per_family, "{r} {afi}: {v}");
            }
        }
        if k > 0 {
            // The IPv6 default straight across the LAN from router 0: FRR via its link-local,
            // BIRD via its global address.
            let d = ip(&["-n", &r, "-6", "route", "show", "default"]);
            let via = if b {
                "2001:db8:31:2::1".to_string()
            } else {
                origin_ll.clone()
            };
            assert!(d.starts_with(&format!("default via {via} dev ix1 ")), "{r}: {d}");
        }
    }
    let r4 = lab.router(4);
    let d = ip(&["-n", &r4, "-6", "route", "show", "default"]);
    assert!(d.contains(&format!(" dev {} proto bgp ", lab.router(3))), "{d}");
    let l = ip(&["-n", &r4, "-6", "route", "show", "2001:db8:31:2::/64"]);
    assert!(
        l.contains(&format!(" dev {} proto bgp ", lab.router(3))),
        "the LAN's /64 at router 4: {l}"
    );
    // Member to member is one hop on the segment, in IPv6 too.
    let p = sh(
        "ip",
        &[
            "netns",
            "exec",
            &lab.router(1),
            "ping",
            "-6",
            "-c",
            "1",
            "-W",
            "2",
            "2001:db8:31:2::3",
        ],
    );
    assert!(p.status.success(), "{}", text(&p));
    // trace -6 maps its hops across the LAN: router 3's end of link 1 (::2), then the world.
    let out = lab.on_lab(&["trace", "--from", &r4, "--to", "world", "-6", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        hops(&t),
        [
            ("2001:db8:31:1::2".into(), lab.router(3)),
            ("2001:db8:100::1".into(), lab.router(0))
        ],
        "{t}"
    );
    let out = lab.on_lab(&["check", "--json"]);
    assert_ok(&out, "check");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["failed"].as_u64(), v["passed"] == v["total"]),
        (Some(0), true),
        "{v}"
    );
    let st: Value = serde_json::from_slice(&lab.on_lab(&["status", "--json"]).stdout).unwrap();
    assert_eq!(st["converged"], true, "{st}");
    assert_ok(&lab.on_lab(&["down"]), "down");
    lab.assert_clean();
}

#[test]
fn frr_lan_with_held_links_comes_up_together() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("lnh", 5, &format!("{LAN}[daemons]\nhold_links = \"on\"\n"));
    lab.up_wait(120, &[]);
    lan_checks(&lab, [false; 5]);
    // A session on the LAN drops when a member leaves it, and comes back.
    let r2 = lab.router(2);
    ip(&["-n", &r2, "link", "set", "ix1", "down"]);
    let gone = wait_for(Duration::from_secs(40), || {
        (established(&lab, &lab.router(0)) == 2).then_some(())
    });
    assert!(
        gone.is_some(),
        "router 0 still has 3 sessions: {}",
        vtysh(&lab, &lab.router(0), "show bgp summary")
    );
    ip(&["-n", &r2, "link", "set", "ix1", "up"]);
    let back = wait_for(Duration::from_secs(40), || (established(&lab, &r2) == 3).then_some(()));
    assert!(back.is_some(), "{}", vtysh(&lab, &r2, "show bgp summary"));
}

#[test]
fn refused_lans_build_nothing() {
    if !root_or_skip() {
        return;
    }
    let base = "[topology]\nshape = \"file\"\n[[topology.link]]\na = 0\nb = 1\n";
    for (lan, key, says) in [
        (
            "name = \"ix1\"\nrouters = [1, 2, 9]\n",
            "topology.lan[1].routers[3]",
            "is not a router of this lab",
        ),
        (
            "name = \"ix1\"\nrouters = [2]\n",
            "topology.lan[1].routers",
            "a LAN joins at least 2",
        ),
        (
            "name = \"ix1\"\nrouters = [1, 2]\n[[topology.lan]]\nname = \"ix1\"\nrouters = [0, 2]\n",
            "topology.lan[2].name",
            "already the name of topology.lan[1]",
        ),
        (
            "name = \"PFX1\"\nrouters = [1, 2]\n",
            "topology.lan[1].name",
            "is the name of a router",
        ),
    ] {
        let lab = TestLab::new("lnr", 3, base);
        let text_in = std::fs::read_to_string(&lab.config).unwrap();
        let lan = lan.replace("PFX", &lab.prefix);
        std::fs::write(&lab.config, format!("{text_in}[[topology.lan]]\n{lan}")).unwrap();
        let out = nsbgp(&["up", "-c", lab.config.to_str().unwrap()]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{lan}: {t}");
        assert!(t.contains(&format!("`{key}`")) && t.contains(says), "{lan}: {t}");
        assert!(!t.contains("panicked"), "{t}");
        assert!(!lab.state_dir().exists(), "{lan}: a state directory was made");
        assert!(leftovers(&lab.name, &lab.prefix).is_empty(), "{lan}");
    }
}
