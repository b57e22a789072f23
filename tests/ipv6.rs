//! IPv6 and dual-stack labs on real namespaces and daemons (`[addressing] family`), checked
//! with independent tools: `ip -6 route`/`ip -4 route` for the FIBs, `ping -6`, Debian's
//! `traceroute -6` run here (not through nsbgp), `/proc/sys` for the namespace settings,
//! FRR's own vtysh and BIRD's birdc for the sessions. Plus hostile values of the new keys:
//! exit 2, nothing created.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn up_wait(lab: &TestLab, timeout_s: u32) {
    let t = timeout_s.to_string();
    let out = nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", &t]);
    assert_ok(&out, "up --wait");
}

fn in_ns(router: &str, cmd: &[&str]) -> String {
    let mut args = vec!["netns", "exec", router];
    args.extend_from_slice(cmd);
    let o = sh("ip", &args);
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The default route of a family as the kernel has it: (protocol, device), via `ip route`.
fn kernel_default(router: &str, flag: &str) -> Option<(String, String)> {
    let out = in_ns(router, &["ip", flag, "-j", "route", "show", "default"]);
    let v: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    let r = v.as_array()?.first()?;
    Some((r["protocol"].as_str()?.to_string(), r["dev"].as_str()?.to_string()))
}

/// Every global address of a router per `ip -j addr`, with whether it is still tentative.
fn addrs(router: &str, flag: &str) -> Vec<(String, bool)> {
    let out = in_ns(router, &["ip", flag, "-j", "addr", "show"]);
    let v: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    let mut got = vec![];
    for l in v.as_array().into_iter().flatten() {
        for a in l["addr_info"].as_array().into_iter().flatten() {
            if a["scope"] == "global" {
                got.push((
                    format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]),
                    a["tentative"].as_bool().unwrap_or(false),
                ));
            }
        }
    }
    got.sort();
    got
}

fn status(lab: &TestLab) -> Value {
    let out = lab.on_lab(&["status", "--json"]);
    assert_ok(&out, "status --json");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// traceroute run here, inside `from`'s namespace: the hop addresses it printed (`*` for
/// silence). Bounded by `-m` and `-w 1`.
fn raw_traceroute(from: &str, flag: &str, target: &str, max: usize) -> Vec<String> {
    let m = max.to_string();
    let out = in_ns(
        from,
        &[
            "/usr/sbin/traceroute",
            flag,
            "-n",
            "-q",
            "1",
            "-w",
            "1",
            "-m",
            &m,
            target,
        ],
    );
    out.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect()
}

/// The dual FRR chain of 70: sessions in both families on every link, both defaults in every
/// FIB (via the neighbour towards ROUTER_0), the origin's world reachable in both, and a
/// 69-hop `trace -6` (past the kernel's default hop limit of 64).
#[test]
fn dual_frr_chain_of_70() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("v6c", 70, "[addressing]\nfamily = \"dual\"\n");
    up_wait(&lab, 300);
    let n = 70;
    let last = lab.router(n - 1);

    // The namespace settings `up` made for IPv6 (read back from /proc/sys of the namespace).
    for (key, want) in [
        ("net/ipv6/conf/all/forwarding", "1"),
        ("net/ipv6/conf/default/accept_dad", "0"),
        ("net/ipv6/icmp/ratelimit", "0"),
        ("net/ipv6/conf/default/hop_limit", "255"),
        ("net/ipv6/conf/all/disable_ipv6", "0"),
        ("net/ipv6/conf/all/keep_addr_on_down", "1"),
    ] {
        let got = in_ns(&last, &["cat", &format!("/proc/sys/{key}")]);
        assert_eq!(got.trim(), want, "{key} in {last}");
    }

    // Addresses: router k (0 < k < 69) holds .1/::1 on link k and .2/::2 on link k+1, none
    // tentative (DAD is off), nothing else global.
    let k = 35;
    assert_eq!(
        addrs(&lab.router(k), "-6"),
        vec![
            ("2001:db8:31:23::1/64".to_string(), false),
            ("2001:db8:31:24::2/64".to_string(), false)
        ]
    );
    assert_eq!(
        addrs(&lab.router(k), "-4"),
        vec![
            ("172.31.35.1/24".to_string(), false),
            ("172.31.36.2/24".to_string(), false)
        ]
    );
    let origin6 = addrs(&lab.router(0), "-6");
    assert!(
        origin6.contains(&("2001:db8:100::1/48".to_string(), false)),
        "{origin6:?}"
    );

    // Both defaults in every FIB, via BGP, through the neighbour towards ROUTER_0 (the
    // interface is named after it); the origin originates them and installs none.
    for i in 0..n {
        let r = lab.router(i);
        for flag in ["-4", "-6"] {
            let d = kernel_default(&r, flag);
            if i == 0 {
                assert_eq!(d, None, "{r} {flag}");
            } else {
                assert_eq!(d, Some(("bgp".to_string(), lab.router(i - 1))), "{r} {flag}");
            }
        }
    }

    // status: both families, path lengths = distance, converged.
    let v = status(&lab);
    assert_eq!(v["converged"], true, "{v}");
    for (i, r) in v["routers"].as_array().unwrap().iter().enumerate() {
        assert_eq!(r["neighbors"], if i == 0 || i == n - 1 { 2 } else { 4 }, "{r}");
        assert_eq!(r["established"], r["neighbors"], "{r}");
        // 68 links or 67 far links + stub + default, in each family.
        let far = 69 - if i == 0 || i == n - 1 { 1 } else { 2 };
        let expected = 2 * (far + if i == 0 { 0 } else { 2 });
        assert_eq!(r["bgp_routes"], expected, "{r}");
        if i == 0 {
            assert_eq!(
                (r["has_default_v6"].clone(), r["default_v6_as_path_len"].clone()),
                (false.into(), Value::Null)
            );
        } else {
            assert_eq!(r["has_default"], true, "{r}");
            assert_eq!(r["has_default_v6"], true, "{r}");
            assert_eq!(r["default_as_path_len"], i, "{r}");
            assert_eq!(r["default_v6_as_path_len"], i, "{r}");
        }
    }
    // FRR's own account of the IPv6 sessions and the far end's IPv6 default path.
    let sum: Value = serde_json::from_str(&vtysh(&lab, &lab.router(1), "show bgp ipv6 unicast summary json")).unwrap();
    let peers: BTreeSet<String> = sum["peers"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        peers,
        BTreeSet::from(["2001:db8:31:1::2".to_string(), "2001:db8:31:2::1".to_string()])
    );
    assert!(
        sum["peers"]
            .as_object()
            .unwrap()
            .values()
            .all(|p| p["state"] == "Established"),
        "{sum}"
    );
    let d: Value = serde_json::from_str(&vtysh(&lab, &last, "show bgp ipv6 unicast ::/0 json")).unwrap();
    let best = d["paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["bestpath"]["overall"] == true)
        .unwrap();
    assert_eq!(best["aspath"]["length"], 69, "{best}");

    // ping -6 and ping to the world from the far end.
    for (flag, world) in [("-6", "2001:db8:100::1"), ("-4", "198.51.100.1")] {
        let o = sh(
            "ip",
            &["netns", "exec", &last, "ping", flag, "-c", "1", "-W", "3", world],
        );
        assert!(o.status.success(), "ping {flag} {world} from {last}: {}", text(&o));
    }

    // traceroute -6 here: 69 hops, router k-1 … 0 in order, the world last.
    let hops = raw_traceroute(&last, "-6", "2001:db8:100::1", 72);
    assert_eq!(hops.len(), 69, "{hops:?}");
    for (t, h) in hops.iter().enumerate().take(68) {
        // Hop t+1 is router 68-t, answering from its address on link 69-t (its ::2 end).
        assert_eq!(h, &format!("2001:db8:31:{:x}::2", 69 - t), "hop {}", t + 1);
    }
    assert_eq!(hops[68], "2001:db8:100::1");

    // nsbgp trace -6: the same 69 hops mapped to routers; -4 gives 69 as well.
    for flag in ["-6", "-4"] {
        let out = lab.on_lab(&["trace", "--from", &last, "--to", "world", flag, "--json"]);
        assert_ok(&out, "trace");
        let t: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (t["hop_count"].clone(), t["reached"].clone()),
            (69.into(), true.into()),
            "{t}"
        );
        let routers: Vec<String> = t["hops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["router"].as_str().unwrap_or("?").to_string())
            .collect();
        let want: Vec<String> = (0..69).rev().map(|k| lab.router(k)).collect();
        assert_eq!(routers, want, "{flag}");
    }
    let o = lab.on_lab(&["trace", "--from", &last, "--to", "2001:db8:31:1::1", "-4"]);
    assert_eq!(o.status.code(), Some(2), "an IPv6 address with -4: {}", text(&o));

    // check runs every case in both families.
    let out = lab.on_lab(&["check", "--sample", "3", "--json"]);
    assert_ok(&out, "check");
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fams: BTreeSet<&str> = c["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["family"].as_str().unwrap())
        .collect();
    assert_eq!(fams, BTreeSet::from(["ipv4", "ipv6"]));
    assert_eq!(c["failed"], 0, "{c}");

    let out = lab.on_lab(&["down"]);
    assert_ok(&out, "down");
    lab.assert_clean();
}

/// An IPv6-only ring of 8 BIRD routers: no IPv4 on any link, every router's IPv6 default via
/// a neighbour on a shortest path, ROUTER_4 (opposite) 4 hops from the world either way.
#[test]
fn bird_v6_only_ring() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new(
        "v6r",
        8,
        "[topology]\nshape = \"ring\"\n[daemons]\nsuite = \"bird\"\n[addressing]\nfamily = \"ipv6\"\n",
    );
    up_wait(&lab, 120);
    for i in 0..8 {
        let r = lab.router(i);
        assert_eq!(addrs(&r, "-4"), vec![], "{r} has IPv4 addresses");
        assert_eq!(addrs(&r, "-6").len(), if i == 0 { 3 } else { 2 }, "{r}");
        // Distance to the origin around the ring, and the neighbours on shortest paths.
        let dist = i.min(8 - i);
        let ok: Vec<String> = [(i + 7) % 8, (i + 1) % 8]
            .into_iter()
            .filter(|&j| j.min(8 - j) + 1 == dist)
            .map(|j| lab.router(j))
            .collect();
        let d = kernel_default(&r, "-6");
        if i == 0 {
            assert_eq!(d, None);
        } else {
            let (proto, dev) = d.unwrap_or_else(|| panic!("{r}: no IPv6 default"));
            assert_eq!(proto, "bird", "{r}");
            assert!(ok.contains(&dev), "{r}: default via {dev}, expected one of {ok:?}");
        }
        assert_eq!(
            kernel_default(&r, "-4"),
            None,
            "{r}: an IPv4 default in an IPv6-only lab"
        );
    }
    // BIRD's own account: two established IPv6 sessions, router id = AS as a 32-bit value.
    let sock = format!("/run/nsbgp/{}/routers/{}/run/bird.ctl", lab.name, lab.router(4));
    let o = sh("birdc", &["-s", &sock, "show", "protocols"]);
    let t = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        t.lines()
            .filter(|l| l.starts_with("bgp") && l.contains("Established"))
            .count(),
        2,
        "{t}"
    );
    let o = sh("birdc", &["-s", &sock, "show", "status"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Router ID is 0.0.0.104"),
        "{}",
        text(&o)
    );

    let v = status(&lab);
    assert_eq!(v["converged"], true, "{v}");
    let r4 = &v["routers"][4];
    assert_eq!(
        (r4["has_default"].clone(), r4["default_as_path_len"].clone()),
        (false.into(), Value::Null)
    );
    assert_eq!(
        (r4["has_default_v6"].clone(), r4["default_v6_as_path_len"].clone()),
        (true.into(), 4.into())
    );

    let o = sh(
        "ip",
        &[
            "netns",
            "exec",
            &lab.router(4),
            "ping",
            "-6",
            "-c",
            "1",
            "-W",
            "3",
            "2001:db8:100::1",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let hops = raw_traceroute(&lab.router(4), "-6", "2001:db8:100::1", 8);
    assert_eq!(hops.len(), 4, "{hops:?}");
    assert_eq!(hops[3], "2001:db8:100::1");
    // The trace defaults to IPv6 here; -4 is refused (exit 2).
    let out = lab.on_lab(&["trace", "--from", &lab.router(4), "--to", "world", "--json"]);
    assert_ok(&out, "trace");
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (t["hop_count"].clone(), t["target_addr"].clone()),
        (4.into(), "2001:db8:100::1".into())
    );
    let out = lab.on_lab(&["trace", "--from", &lab.router(4), "--to", "world", "-4"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = lab.on_lab(&["check"]);
    assert_ok(&out, "check");
    let out = lab.on_lab(&["down"]);
    assert_ok(&out, "down");
    lab.assert_clean();
}

/// A dual chain of 6 with FRR and BIRD alternating: every session joins the two suites, in
/// both families.
#[test]
fn mixed_dual_chain() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new(
        "v6m",
        6,
        "[addressing]\nfamily = \"dual\"\n[[router]]\nindex = 1\nsuite = \"bird\"\n[[router]]\nindex = 3\nsuite = \"bird\"\n[[router]]\nindex = 5\nsuite = \"bird\"\n",
    );
    up_wait(&lab, 120);
    for i in 1..6 {
        let r = lab.router(i);
        for flag in ["-4", "-6"] {
            let d = kernel_default(&r, flag).unwrap_or_else(|| panic!("{r}: no {flag} default"));
            let proto = if i % 2 == 1 { "bird" } else { "bgp" };
            assert_eq!(d, (proto.to_string(), lab.router(i - 1)), "{r} {flag}");
        }
    }
    // FRR's ROUTER_2: an IPv6 session with each BIRD neighbour, by vtysh.
    let sum: Value = serde_json::from_str(&vtysh(&lab, &lab.router(2), "show bgp ipv6 unicast summary json")).unwrap();
    let up = sum["peers"]
        .as_object()
        .unwrap()
        .values()
        .filter(|p| p["state"] == "Established")
        .count();
    assert_eq!(up, 2, "{sum}");
    // `nsbgp vty` routes the IPv6 commands as vtysh does: routes to zebra, BGP to bgpd.
    let out = lab.on_lab(&[
        "vty",
        &lab.router(2),
        "-c",
        "show ipv6 route ::/0 json",
        "-c",
        "show bgp ipv6 unicast ::/0 json",
        "--json",
    ]);
    assert_ok(&out, "vty");
    let answers: Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = &answers[0]["results"];
    assert_eq!(
        (a[0]["daemon"].as_str(), a[1]["daemon"].as_str()),
        (Some("zebra"), Some("bgpd")),
        "{answers}"
    );
    assert_eq!(a[0]["json"]["::/0"][0]["protocol"], "bgp", "{answers}");
    assert_eq!(a[1]["json"]["paths"][0]["aspath"]["length"], 2, "{answers}");
    let v = status(&lab);
    assert_eq!(v["converged"], true, "{v}");
    for (i, r) in v["routers"].as_array().unwrap().iter().enumerate().skip(1) {
        assert_eq!(r["default_v6_as_path_len"], i, "{r}");
        assert_eq!(r["default_as_path_len"], i, "{r}");
    }
    let far = lab.router(5);
    let hops = raw_traceroute(&far, "-6", "2001:db8:100::1", 8);
    assert_eq!(hops.len(), 5, "{hops:?}");
    let out = lab.on_lab(&["check", "--json"]);
    assert_ok(&out, "check");
    let out = lab.on_lab(&["down"]);
    assert_ok(&out, "down");
    lab.assert_clean();
}

/// `nsbgp vty` on a real dual FRR chain routes the IPv6 show commands as FRR's vtysh does:
/// `show ipv6 route|nht|protocol` to zebra, `show bgp ipv6 unicast` to bgpd; each answer is
/// what FRR's own vtysh prints for the same command (timers aside), and the routes agree with
/// the kernel's FIB.
#[test]
fn vty_routes_ipv6_commands_on_a_dual_frr_chain() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("v6v", 3, "[addressing]\nfamily = \"dual\"\n");
    up_wait(&lab, 60);
    let r1 = lab.router(1);
    let cmds = [
        ("show ipv6 route", "zebra"),
        ("show ipv6 nht", "zebra"),
        ("show ipv6 protocol", "zebra"),
        ("show bgp ipv6 unicast", "bgpd"),
        ("show bgp ipv6 unicast summary json", "bgpd"),
    ];
    let mut args = vec!["vty", r1.as_str(), "--json"];
    for (c, _) in &cmds {
        args.extend(["-c", c]);
    }
    let out = lab.on_lab(&args);
    assert_ok(&out, "vty");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = v[0]["results"].as_array().unwrap();
    assert_eq!(results.len(), cmds.len(), "{v}");
    // Uptimes (00:00:02) tick between the two runs: compare without them.
    let untimed = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| {
                l.split(", ")
                    .filter(|p| !(p.len() == 8 && p.as_bytes()[2] == b':' && p.as_bytes()[5] == b':'))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|l| !l.trim().is_empty())
            .collect()
    };
    for (res, (cmd, daemon)) in results.iter().zip(cmds) {
        assert_eq!(
            (res["command"].as_str(), res["daemon"].as_str()),
            (Some(cmd), Some(daemon)),
            "{res}"
        );
        assert_eq!(res["ok"], true, "{res}");
        if cmd.ends_with("json") {
            continue;
        }
        let ours = res["output"].as_str().unwrap();
        assert_eq!(untimed(ours), untimed(&vtysh(&lab, &r1, cmd)), "{cmd}");
    }
    // Meaningful answers: both IPv6 neighbours up, the default and the stub from BGP (as the
    // kernel has them), the neighbours' addresses tracked.
    let sum = &results[4]["json"];
    let peers = sum["peers"].as_object().unwrap_or_else(|| panic!("{sum}"));
    let mut up: Vec<&String> = peers.keys().filter(|k| peers[*k]["state"] == "Established").collect();
    up.sort();
    assert_eq!(up, ["2001:db8:31:1::2", "2001:db8:31:2::1"], "{sum}");
    let routes = results[0]["output"].as_str().unwrap();
    for p in ["::/0", "2001:db8:100::/48"] {
        assert!(
            routes.lines().any(|l| l.starts_with("B>* ") && l.contains(p)),
            "{p}: {routes}"
        );
        let k = in_ns(&r1, &["ip", "-6", "route", "show", p]);
        assert!(k.contains("proto bgp"), "{p} in the kernel: {k}");
    }
    assert!(
        results[1]["output"]
            .as_str()
            .unwrap()
            .contains("2001:db8:31:1::2(Connected)"),
        "{v}"
    );
    assert!(results[2]["output"].as_str().unwrap().contains("ripng"), "{v}");
    assert!(
        results[3]["output"].as_str().unwrap().contains("2001:db8:100::/48"),
        "{v}"
    );
    assert_ok(&lab.on_lab(&["down"]), "down");
    lab.assert_clean();
}

/// A link down on a dual FRR ring measured on `::/0`: ROUTER_1 and ROUTER_2 must re-learn
/// the IPv6 default the other way round. zebra installs it via the neighbour's link-local
/// address, so the experiment knows the new next hop by its interface: both routers are
/// timed in every run (`reroute`, none missing), at their distances along the new path
/// (ROUTER_1 5 hops from ROUTER_0 the other way round, ROUTER_2 4); afterwards
/// the kernels (`ip -6 route`) have it back via their shortest-path neighbours.
#[test]
fn an_ipv6_reroute_on_a_dual_frr_ring() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new(
        "v6r",
        6,
        "[topology]\nshape = \"ring\"\n[addressing]\nfamily = \"dual\"\n",
    );
    up_wait(&lab, 60);
    let r = |i: usize| lab.router(i);
    let (_d, _out, summary) = lab.experiment(
        "v6r",
        &format!(
            "measure = \"::/0\"\nrepeat = 2\n[[step]]\naction = \"link_down\"\nrouters = [\"{}\", \"{}\"]\n",
            r(1),
            r(0)
        ),
    );
    assert_eq!(summary["event"], "reroute", "{summary}");
    let per: Vec<(String, u64, u64)> = summary["per_router"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["router"].as_str().unwrap().to_string(),
                p["hop"].as_u64().unwrap(),
                p["missing_runs"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(per, [(r(1), 5, 0), (r(2), 4, 0)], "{summary:#}");
    // Put back: every router's IPv6 default leaves through the interface named after its
    // neighbour towards ROUTER_0 (ring of 6: 1, 2 via k-1; 4, 5 via k+1; 3 either way).
    for k in 1..6 {
        let want: Vec<String> = match k {
            1 | 2 => vec![r(k - 1)],
            3 => vec![r(2), r(4)],
            _ => vec![r((k + 1) % 6)],
        };
        let got = wait_for(std::time::Duration::from_secs(60), || {
            kernel_default(&r(k), "-6").filter(|(p, dev)| p == "bgp" && want.contains(dev))
        });
        assert!(
            got.is_some(),
            "{}: {:?}, want via {want:?}",
            r(k),
            kernel_default(&r(k), "-6")
        );
    }
    assert_ok(&lab.on_lab(&["down"]), "down");
    lab.assert_clean();
}

/// events.csv rows of one kind: (run, router, hop).
fn rows(out: &std::path::Path, kind: &str) -> Vec<(usize, String, usize)> {
    let text = std::fs::read_to_string(out.join("events.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[3] == kind)
        .map(|f| (f[0].parse().unwrap(), f[1].to_string(), f[2].parse().unwrap()))
        .collect()
}

/// Experiments on IPv6 on a dual chain whose suites alternate (FRR on even routers, BIRD on
/// odd ones): an IPv6 prefix announced by FRR and withdrawn by BIRD, a link down measured on
/// `::/0`. Each router's events sit at the hop the test's own BFS gives; the kernels (`ip -6
/// route`) show the lab put back; an IPv4-only lab refuses an IPv6 prefix naming `family`.
#[test]
fn experiments_on_ipv6_prefixes_in_a_mixed_dual_chain() {
    if !root_or_skip() {
        return;
    }
    let n = 6;
    let lab = TestLab::new(
        "v6e",
        n,
        "[addressing]\nfamily = \"dual\"\n[[router]]\nindex = 1\nsuite = \"bird\"\n[[router]]\nindex = 3\nsuite = \"bird\"\n[[router]]\nindex = 5\nsuite = \"bird\"\n",
    );
    up_wait(&lab, 120);
    let r = |i: usize| lab.router(i);
    let links = chain_links(n);
    let p = "2001:db8:42::/48";

    // Announced by FRR's ROUTER_0: one arrival per run at every other router, at its hop.
    let (_d, out, summary) = lab.experiment(
        "v6a",
        &format!(
            "measure = \"{p}\"\nrepeat = 2\n[[step]]\naction = \"announce\"\nrouter = \"{}\"\nprefix = \"{p}\"\n",
            r(0)
        ),
    );
    assert_eq!(
        (summary["event"].as_str(), summary["measure"].as_str()),
        (Some("arrival"), Some(p)),
        "{summary}"
    );
    assert!(
        summary["bird_version"].as_str().is_some_and(|v| v.starts_with('2')),
        "{summary}"
    );
    let hop = bfs_hops(n, &links, 0);
    let mut got = rows(&out, "arrival");
    got.sort();
    let want: Vec<(usize, String, usize)> = (0..2)
        .flat_map(|run| (1..n).map(move |i| (run, i)))
        .map(|(run, i)| (run, r(i), hop[i]))
        .collect();
    assert_eq!(got, want);
    assert!(
        summary["per_router"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["missing_runs"] == 0),
        "{summary:#}"
    );
    // Put back: no router has the prefix in its FIB, the origin's `lo` no longer holds it.
    for i in 0..n {
        let routes = sh_ok("ip", &["-n", &r(i), "-6", "route", "show", p]);
        assert!(routes.trim().is_empty(), "{} still has {routes}", r(i));
    }
    assert!(
        !addrs(&r(0), "-6").iter().any(|(a, _)| a.starts_with("2001:db8:42:")),
        "{:?}",
        addrs(&r(0), "-6")
    );

    // Announced then withdrawn by BIRD's ROUTER_5 (the far end): departures at hops 5 - i.
    let (_d, out, summary) = lab.experiment(
        "v6w",
        &format!(
            "measure = \"{p}\"\nmeasure_step = 3\n[[step]]\naction = \"announce\"\nrouter = \"{0}\"\nprefix = \"{p}\"\n[[step]]\naction = \"wait\"\nuntil = \"converged\"\n[[step]]\naction = \"withdraw\"\nrouter = \"{0}\"\nprefix = \"{p}\"\n",
            r(5)
        ),
    );
    assert_eq!(summary["event"], "departure", "{summary}");
    let hop = bfs_hops(n, &links, 5);
    let mut got = rows(&out, "departure");
    got.sort();
    let want: Vec<(usize, String, usize)> = (0..5).map(|i| (0, r(i), hop[i])).collect();
    assert_eq!(got, want);

    // ::/0 with the link ROUTER_2 — ROUTER_3 down: ROUTER_3 … ROUTER_5 lose it, in that order
    // of hops from the link.
    let (_d, out, summary) = lab.experiment(
        "v6l",
        &format!(
            "measure = \"::/0\"\n[[step]]\naction = \"link_down\"\nrouters = [\"{}\", \"{}\"]\n",
            r(3),
            r(2)
        ),
    );
    assert_eq!(summary["event"], "departure", "{summary}");
    let mut got = rows(&out, "departure");
    got.sort();
    assert_eq!(got, (3..n).map(|i| (0, r(i), i - 3)).collect::<Vec<_>>());
    // The link came back with its IPv6 addresses (kept over the link down), and with them
    // the IPv6 session and the far side's IPv6 default (bounded wait, then the kernel).
    assert!(
        addrs(&r(3), "-6").contains(&("2001:db8:31:3::1/64".to_string(), false)),
        "{:?}",
        addrs(&r(3), "-6")
    );
    let back = wait_for(std::time::Duration::from_secs(60), || kernel_default(&r(5), "-6"));
    assert_eq!(back, Some(("bird".to_string(), r(4))));

    // An IPv4-only lab file refuses an IPv6 prefix before anything is built: exit 2, naming
    // the lab's family.
    let v4 = TestLab::new("v6f", 3, "");
    let dir = tempdir("v6f");
    let file = dir.0.join("e.toml");
    std::fs::write(
        &file,
        format!(
            "lab = \"{}\"\nmeasure = \"{p}\"\n[[step]]\naction = \"announce\"\nrouter = \"{}\"\nprefix = \"{p}\"\n",
            v4.config.display(),
            v4.router(0)
        ),
    )
    .unwrap();
    let o = nsbgp(&[
        "experiment",
        file.to_str().unwrap(),
        "--out",
        dir.0.join("res").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("family = \"ipv4\""), "{}", text(&o));
    assert!(!v4.state_dir().exists() && !dir.0.join("res").exists());
    v4.assert_clean();

    assert_ok(&lab.on_lab(&["down"]), "down");
    lab.assert_clean();
}

/// Hostile values of the new keys: exit 2, a message naming the key, nothing created.
#[test]
fn hostile_addressing_is_refused_before_anything_is_built() {
    if !root_or_skip() {
        return;
    }
    let cases: &[(&str, &str)] = &[
        ("family = \"ipx\"", "addressing.family"),
        ("family = 6", "family"),
        (
            "family = \"dual\"\nv6_link_pool = \"2001:db8:31::/64\"",
            "addressing.v6_link_pool",
        ),
        (
            "family = \"ipv6\"\nv6_link_pool = \"2001:db8:31::/63\"",
            "addressing.v6_link_pool",
        ),
        (
            "family = \"dual\"\nv6_link_pool = \"2001:4860::/48\"",
            "addressing.v6_link_pool",
        ),
        ("family = \"dual\"\nv6_link_pool = \"::/0\"", "addressing.v6_link_pool"),
        (
            "family = \"dual\"\nv6_link_pool = \"fe80::/10\"",
            "addressing.v6_link_pool",
        ),
        (
            "family = \"dual\"\nv6_link_pool = \"198.51.100.0/24\"",
            "addressing.v6_link_pool",
        ),
        (
            "family = \"dual\"\nv6_stub_prefix = \"2001:db8:31:2::/64\"",
            "addressing.v6_stub_prefix",
        ),
        (
            "family = \"dual\"\nv6_stub_prefix = \"2620:0:2d0::/48\"",
            "addressing.v6_stub_prefix",
        ),
        (
            "family = \"dual\"\nv6_link_pool = \"2001:db8::/32\"",
            "addressing.v6_stub_prefix",
        ),
        ("family = \"dual\"\nlink_pool6 = \"2001:db8:31::/48\"", "link_pool6"),
    ];
    for (body, key) in cases {
        let lab = TestLab::new("v6h", 4, &format!("[addressing]\n{body}\n"));
        let out = lab.nsbgp(&["up", "-c", lab.config.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{body}: {}", text(&out));
        let msg = text(&out);
        assert!(msg.contains(key), "{body}: the message does not name {key}: {msg}");
        assert!(!lab.state_dir().exists(), "{body}: a state dir was created");
        lab.assert_clean();
        // render refuses the same file the same way.
        let out = lab.nsbgp(&["render", "-c", lab.config.to_str().unwrap(), "-o", "/nonexistent/x"]);
        assert_eq!(out.status.code(), Some(2), "render {body}: {}", text(&out));
    }
}
