//! Command paths no other test ran end to end (issue 24), each on a real lab and judged by
//! tools other than nsbgp (`ip`, `findmnt`, `/proc`, vtysh, birdc, counts worked out here):
//! `down --dry-run` then `down`, `down --all` and `list --json` in a state root of their own,
//! `check` failing on a broken link and skipping paths over the TTL cap, `restart zebra` and
//! `restart all`, a successful `vtysh`, `status --all`, `graph -c` as SVG and DOT, and
//! `up --ignore-memory`.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Live (not zombie) processes whose root is under `dir`, by /proc.
fn rooted_in(dir: &Path) -> BTreeSet<u32> {
    let mut v = BTreeSet::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if std::fs::read_link(format!("/proc/{pid}/root")).is_ok_and(|r| r.starts_with(dir)) && alive(pid) {
            v.insert(pid);
        }
    }
    v
}

fn alive(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    !stat.is_empty() && !stat.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z'))
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Namespaces whose name starts with `prefix`, by `ip netns list`.
fn namespaces(prefix: &str) -> BTreeSet<String> {
    sh_ok("ip", &["netns", "list"])
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

/// Mount points under `dir` or of the namespaces named `prefix…`, by `findmnt`.
fn mounts_of(dir: &Path, prefix: &str) -> BTreeSet<String> {
    let d = dir.to_string_lossy().into_owned();
    let ns = format!("/run/netns/{prefix}");
    sh_ok("findmnt", &["-rn", "-o", "TARGET"])
        .lines()
        .filter(|t| t.starts_with(&d) || t.starts_with(&ns))
        .map(str::to_string)
        .collect()
}

/// What of a lab is on the host, each part by its own tool.
#[derive(Debug, PartialEq)]
struct Footprint {
    namespaces: BTreeSet<String>,
    processes: BTreeSet<u32>,
    mounts: BTreeSet<String>,
    hosts_files: BTreeSet<String>,
    state_dir: bool,
}

fn footprint(lab: &TestLab) -> Footprint {
    Footprint {
        namespaces: namespaces(&lab.prefix),
        processes: rooted_in(&lab.state_dir()),
        mounts: mounts_of(&lab.state_dir(), &lab.prefix),
        hosts_files: (0..lab.routers)
            .map(|i| format!("/etc/netns/{}/hosts", lab.router(i)))
            .filter(|p| Path::new(p).exists())
            .collect(),
        state_dir: lab.state_dir().exists(),
    }
}

/// `down --dry-run` on a running lab lists exactly its daemons, namespaces, hosts files and
/// state directory, each once, and touches nothing (namespaces, mounts, daemons, files and
/// sessions as before); then `down` removes every listed object, and a second lab running
/// beside it is untouched by both.
#[test]
fn down_dry_run_lists_and_keeps_everything_then_down_removes_that_list() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("pdr", 3, "");
    let other = TestLab::new("pdk", 2, "");
    lab.up_wait(120, &[]);
    other.up_wait(120, &[]);
    let before = footprint(&lab);
    let other_before = footprint(&other);
    assert_eq!(before.namespaces.len(), 3, "{before:?}");
    assert_eq!(before.processes.len(), 6, "zebra and bgpd per router: {before:?}");
    assert!(
        (0..3).all(|i| before.mounts.contains(&format!("/run/netns/{}", lab.router(i)))),
        "the namespaces' mounts: {before:?}"
    );
    assert_eq!(before.hosts_files.len(), 3, "{before:?}");

    let dry = lab.on_lab(&["down", "--dry-run"]);
    assert_ok(&dry, "down --dry-run");
    let head = format!("lab {}: would remove ", lab.name);
    let listed: Vec<String> = stdout(&dry)
        .lines()
        .filter_map(|l| l.strip_prefix(&head))
        .filter(|l| !l.contains(" namespace(s) and "))
        .map(str::to_string)
        .collect();
    let mut want: BTreeSet<String> = before
        .processes
        .iter()
        .map(|&p| format!("process {p} ({})", comm(p)))
        .collect();
    want.extend(before.namespaces.iter().map(|n| format!("namespace {n}")));
    want.extend(before.hosts_files.iter().cloned());
    want.insert(format!("state directory {}", lab.state_dir().display()));
    let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed_set, want, "{}", text(&dry));
    assert_eq!(
        listed.len(),
        listed_set.len(),
        "an object listed twice:\n{}",
        text(&dry)
    );
    assert!(
        stdout(&dry).contains(&format!("{head}3 namespace(s) and {} other object(s)", want.len() - 3)),
        "{}",
        text(&dry)
    );

    // Nothing was touched: the same namespaces, processes, mounts and files, sessions up.
    assert_eq!(footprint(&lab), before, "down --dry-run changed the lab");
    assert_eq!(established(&lab, &lab.router(1)), 2);
    assert_eq!(
        stdout(&lab.on_lab(&["down", "--dry-run"])),
        stdout(&dry),
        "a second dry run lists the same"
    );

    // The real down removes every listed object, and only this lab's.
    assert_ok(&lab.on_lab(&["down"]), "down");
    let after = footprint(&lab);
    let gone = Footprint {
        namespaces: BTreeSet::new(),
        processes: BTreeSet::new(),
        mounts: BTreeSet::new(),
        hosts_files: BTreeSet::new(),
        state_dir: false,
    };
    assert_eq!(after, gone, "left after down");
    for p in &before.processes {
        assert!(!alive(*p), "process {p} survived down");
    }
    lab.assert_clean();
    assert_eq!(footprint(&other), other_before, "the other lab was touched");
    assert_eq!(established(&other, &other.router(0)), 1);
}

/// A lab up in a state root of its own (`NSBGP_STATE_DIR`), taken down when dropped.
struct ScratchLab {
    root: PathBuf,
    name: String,
    prefix: String,
    config: PathBuf,
    _dir: TempDir,
}

impl ScratchLab {
    fn new(tag: &str, routers: usize) -> ScratchLab {
        // A TestLab's unique name and prefix; it never runs under /run/nsbgp (its drop's
        // `down` finds nothing there).
        let l = TestLab::new(tag, routers, "");
        let dir = tempdir(tag);
        let config = dir.0.join("lab.toml");
        std::fs::copy(&l.config, &config).unwrap();
        let root = dir.0.join("state");
        std::fs::create_dir_all(&root).unwrap();
        ScratchLab {
            name: l.name.clone(),
            prefix: l.prefix.clone(),
            root,
            config,
            _dir: dir,
        }
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        nsbgp_in(&self.root, args)
    }

    fn dir(&self) -> PathBuf {
        self.root.join(&self.name)
    }
}

impl Drop for ScratchLab {
    fn drop(&mut self) {
        let _ = self.run(&["down", "--lab", &self.name]);
    }
}

/// `down --all` with `NSBGP_STATE_DIR` takes down the labs under that root and nothing
/// else: a lab under /run/nsbgp keeps every namespace, daemon and session. `list --json`
/// there lists exactly the one lab.
#[test]
fn down_all_and_list_json_in_their_own_state_root() {
    if !root_or_skip() {
        return;
    }
    let scratch = ScratchLab::new("pda", 2);
    let keep = TestLab::new("pdb", 2, "");
    keep.up_wait(120, &[]);
    assert_ok(
        &scratch.run(&[
            "up",
            "-c",
            scratch.config.to_str().unwrap(),
            "--wait",
            "--timeout",
            "120",
        ]),
        "up under NSBGP_STATE_DIR",
    );
    let pids = rooted_in(&scratch.dir());
    assert_eq!(
        pids.len(),
        4,
        "zebra and bgpd of 2 routers under {}",
        scratch.dir().display()
    );
    assert_eq!(namespaces(&scratch.prefix).len(), 2);
    let kept = footprint(&keep);

    let list = scratch.run(&["list", "--json"]);
    assert_ok(&list, "list --json");
    let v: Value = serde_json::from_slice(&list.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&list)));
    let labs = v.as_array().unwrap_or_else(|| panic!("{v}"));
    assert_eq!(labs.len(), 1, "{v}");
    assert_eq!(labs[0]["lab"], scratch.name.as_str());
    assert_eq!(labs[0]["routers"], 2);
    assert_eq!(labs[0]["state"], "running");
    assert_eq!(
        (labs[0]["daemons_alive"].as_u64(), labs[0]["daemons_total"].as_u64()),
        (Some(4), Some(4))
    );
    let up_pid = labs[0]["up_pid"].as_u64().unwrap();
    assert!(up_pid > 0, "{v}");
    // The plain listing says the same.
    let human = stdout(&scratch.run(&["list"]));
    assert!(
        human
            .lines()
            .any(|l| l.starts_with(&scratch.name) && l.contains(" 4/4 ") && l.contains("running")),
        "{human}"
    );

    let out = scratch.run(&["down", "--all"]);
    assert_ok(&out, "down --all");
    assert!(
        stdout(&out).contains(&format!("lab {}: removed 2 namespace(s)", scratch.name)),
        "{}",
        text(&out)
    );
    assert!(!stdout(&out).contains(&keep.name), "{}", text(&out));
    assert!(namespaces(&scratch.prefix).is_empty(), "namespaces left");
    assert!(pids.iter().all(|&p| !alive(p)), "daemons left: {pids:?}");
    assert!(!scratch.dir().exists());
    assert!(mounts_of(&scratch.dir(), &scratch.prefix).is_empty());
    // The lab under /run/nsbgp: all there, sessions up.
    assert_eq!(
        footprint(&keep),
        kept,
        "down --all with NSBGP_STATE_DIR touched another root's lab"
    );
    assert_eq!(established(&keep, &keep.router(1)), 1);
    // Nothing left to take down there; an empty listing.
    let again = scratch.run(&["down", "--all"]);
    assert_ok(&again, "down --all again");
    assert!(stdout(&again).contains("no labs to take down"), "{}", text(&again));
    let empty: Value = serde_json::from_slice(&scratch.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(empty, Value::Array(vec![]));
}

/// `check` on a chain whose link 2-3 is set down inside ROUTER_2's namespace: exactly the
/// cases whose path crosses that link fail, the command exits 1 and says how many; once the
/// link is back and the lab has reconverged, every case passes again.
#[test]
fn check_fails_exactly_the_cases_across_a_broken_link() {
    if !root_or_skip() {
        return;
    }
    let n = 5;
    let lab = TestLab::new("pck", n, "");
    lab.up_wait(120, &[]);
    // ROUTER_2's interface to ROUTER_3 is named after it.
    let dev = lab.router(3);
    assert_ok(
        &sh("ip", &["-n", &lab.router(2), "link", "set", &dev, "down"]),
        "ip link set down",
    );
    // A path crosses link 2-3 when its ends lie on both sides; "world" is ROUTER_0's side.
    let side = |name: &str| -> bool {
        if name == "world" {
            return false;
        }
        name.strip_prefix(&lab.prefix)
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap()
            >= 3
    };
    let out = lab.on_lab(&["check", "--json"]);
    assert_ok(
        &sh("ip", &["-n", &lab.router(2), "link", "set", &dev, "up"]),
        "ip link set up",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    let cases = v["cases"].as_array().unwrap();
    let crossing: Vec<&Value> = cases
        .iter()
        .filter(|c| side(c["from"].as_str().unwrap()) != side(c["to"].as_str().unwrap()))
        .collect();
    assert!(!crossing.is_empty() && crossing.len() < cases.len(), "{v:#}");
    for c in cases {
        let crosses = side(c["from"].as_str().unwrap()) != side(c["to"].as_str().unwrap());
        assert_eq!(c["pass"], !crosses, "{c}");
    }
    assert_eq!(v["failed"].as_u64(), Some(crossing.len() as u64), "{v:#}");
    assert_eq!(v["total"].as_u64(), Some(cases.len() as u64));
    assert_eq!(v["skipped"], 0);
    assert!(
        text(&out).contains(&format!(
            "{} of {} hop-count case(s) failed",
            crossing.len(),
            cases.len()
        )),
        "{}",
        text(&out)
    );

    // Back up: nsbgp says converged (bounded), the tables agree, and check passes (exit 0).
    let back = wait_for(Duration::from_secs(60), || {
        let st: Value = serde_json::from_slice(&lab.on_lab(&["status", "--json"]).stdout).ok()?;
        (st["converged"] == true).then_some(())
    });
    assert!(back.is_some(), "no reconvergence after the link came back");
    assert_routing(&lab, &chain_links(n), 0);
    let human = lab.on_lab(&["check"]);
    assert_ok(&human, "check after repair");
    let t = stdout(&human);
    assert_eq!(t.lines().filter(|l| l.ends_with("PASS")).count(), cases.len(), "{t}");
    assert!(
        t.lines()
            .last()
            .unwrap()
            .starts_with(&format!("check: {0}/{0} passed", cases.len())),
        "{t}"
    );
}

/// Routers' daemons by name, from /proc: (zebra pid, bgpd pid) of one router.
fn frr_pids(lab: &TestLab, i: usize) -> (u32, u32) {
    let root = lab.state_dir().join("routers").join(lab.router(i));
    let pids = rooted_in(&root);
    let find = |name: &str| {
        let v: Vec<u32> = pids.iter().copied().filter(|&p| comm(p) == name).collect();
        assert_eq!(v.len(), 1, "{name} of {}: {v:?}", lab.router(i));
        v[0]
    };
    (find("zebra"), find("bgpd"))
}

/// `restart R zebra` replaces zebra alone (bgpd keeps its pid and sessions; the router's BGP
/// routes are then missing from its kernel, as status reports), `restart R all` both, each
/// in the router's namespace and chroot with the pids it prints; the lab reconverges.
/// `vtysh` on an FRR router runs FRR's vtysh there: its JSON agrees with the FIB.
#[test]
fn restart_zebra_restart_all_and_vtysh() {
    if !root_or_skip() {
        return;
    }
    let n = 4;
    let lab = TestLab::new("prs", n, "");
    lab.up_wait(120, &[]);
    let victim = lab.router(2);
    let (zebra, bgpd) = frr_pids(&lab, 2);

    let out = lab.on_lab(&["restart", &victim, "zebra"]);
    assert_ok(&out, "restart zebra");
    let (zebra2, bgpd2) = frr_pids(&lab, 2);
    assert_ne!(zebra2, zebra);
    assert_eq!(bgpd2, bgpd, "restart zebra restarted bgpd");
    assert_eq!(stdout(&out), format!("{victim}: zebra started (pid {zebra2})\n"));
    assert!(!alive(zebra));
    assert_eq!(sh_ok("ip", &["netns", "identify", &zebra2.to_string()]).trim(), victim);
    // The new zebra starts with an empty table and FRR's bgpd does not replay its routes
    // to it: the router's kernel has no BGP route left, and nsbgp's status says so
    // (not converged, 0 of its BGP routes installed). `restart all` is the repair.
    let want_routes = (n - 1) - 2 + 2;
    let told = wait_for(Duration::from_secs(30), || {
        let st: Value = serde_json::from_slice(&lab.on_lab(&["status", "--json"]).stdout).ok()?;
        (st["routers"][2]["converged"] == false).then_some(st)
    })
    .expect("status still calls the router converged after restart zebra");
    assert_eq!(told["converged"], false);
    assert_eq!(told["routers"][2]["bgp_routes_expected"], want_routes);
    assert_eq!(
        told["routers"][2]["bgp_routes"].as_u64(),
        Some(fib_bgp_routes(&lab, &victim) as u64)
    );
    assert_eq!(
        fib_bgp_routes(&lab, &victim),
        0,
        "{}",
        sh_ok("ip", &["-n", &victim, "route"])
    );
    assert_eq!(established(&lab, &victim), 2, "bgpd kept its sessions");

    let out = lab.on_lab(&["restart", &victim, "all"]);
    assert_ok(&out, "restart all");
    let (zebra3, bgpd3) = frr_pids(&lab, 2);
    assert!(zebra3 != zebra2 && bgpd3 != bgpd2, "restart all kept a daemon");
    assert_eq!(
        stdout(&out),
        format!("{victim}: zebra started (pid {zebra3})\n{victim}: bgpd started (pid {bgpd3})\n")
    );
    for p in [zebra3, bgpd3] {
        assert_eq!(sh_ok("ip", &["netns", "identify", &p.to_string()]).trim(), victim);
        assert_eq!(
            std::fs::read_link(format!("/proc/{p}/root")).unwrap(),
            lab.state_dir().join("routers").join(&victim).join("root")
        );
    }
    let back = wait_for(Duration::from_secs(60), || {
        let st: Value = serde_json::from_slice(&lab.on_lab(&["status", "--json"]).stdout).ok()?;
        (st["converged"] == true).then_some(())
    });
    assert!(back.is_some(), "no reconvergence after restart all");
    assert_routing(&lab, &chain_links(n), 0);

    // `nsbgp vtysh` succeeds on an FRR router and answers as FRR's own vtysh does.
    let o = nsbgp(&["vtysh", "2", "--lab", &lab.name, "--", "-c", "show bgp summary json"]);
    assert_ok(&o, "vtysh");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    let peers = v["ipv4Unicast"]["peers"].as_object().unwrap();
    assert_eq!(peers.len(), 2, "{v}");
    assert!(peers.values().all(|p| p["state"] == "Established"), "{v}");
    assert_eq!(v["ipv4Unicast"]["as"], 102);
    let o = nsbgp(&[
        "vtysh",
        &victim,
        "--lab",
        &lab.name,
        "--",
        "-c",
        "show ip route 0.0.0.0/0 json",
    ]);
    assert_ok(&o, "vtysh show ip route");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let via = v["0.0.0.0/0"][0]["nexthops"][0]["ip"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(vec![via.to_string()], fib_default_gateways(&victim));
}

/// `graph -c FILE` without a running lab: the SVG has one node per router and one line per
/// link, the DOT one node statement per router (with its AS) and one edge per link (with its
/// prefix), as the test derives them from the classic plan; neither file is overwritten.
#[test]
fn graph_from_a_lab_file_as_svg_and_dot() {
    let n = 5;
    let lab = TestLab::new("pgr", n, "");
    let dir = tempdir("pgr");
    let svg = dir.0.join("lab.svg");
    let dot = dir.0.join("lab.dot");
    let c = lab.config.to_str().unwrap();
    let o = nsbgp(&["graph", "-c", c, "-o", svg.to_str().unwrap()]);
    assert_ok(&o, "graph -c");
    assert!(
        stdout(&o).contains(&format!("({n} routers, {} links, chain)", n - 1)),
        "{}",
        text(&o)
    );
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"), "{s}");
    for i in 0..n {
        assert_eq!(
            s.matches(&format!("data-router=\"{}\"", lab.router(i))).count(),
            1,
            "{s}"
        );
    }
    assert_eq!(s.matches("<line").count(), n - 1, "{s}");
    assert_eq!(s.matches("data-state=\"not running\"").count(), n, "{s}");

    let o = nsbgp(&["graph", "-c", c, "-o", dot.to_str().unwrap(), "--format", "dot"]);
    assert_ok(&o, "graph --format dot");
    let d = std::fs::read_to_string(&dot).unwrap();
    assert!(
        d.starts_with(&format!("graph \"{}\" {{", lab.name)) && d.trim_end().ends_with('}'),
        "{d}"
    );
    for i in 0..n {
        let node = format!("\"{}\" [label=\"{}\\nAS{}\"", lab.router(i), lab.router(i), 100 + i);
        assert_eq!(d.matches(&node).count(), 1, "{node} in\n{d}");
    }
    let edges: Vec<&str> = d.lines().filter(|l| l.contains(" -- ")).collect();
    let want: Vec<String> = (1..n)
        .map(|k| {
            format!(
                "  \"{}\" -- \"{}\" [label=\"172.31.{k}.0/24\"];",
                lab.router(k - 1),
                lab.router(k)
            )
        })
        .collect();
    assert_eq!(edges, want, "{d}");

    // Never overwritten: exit 2, the file as it was.
    let o = nsbgp(&["graph", "-c", c, "-o", dot.to_str().unwrap(), "--format", "dot"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&dot).unwrap(), d);
}

/// `up --ignore-memory` brings a lab up as `up` does (exit 0, every router converged by
/// FRR's and the kernel's account).
#[test]
fn up_ignore_memory_brings_the_lab_up() {
    if !root_or_skip() {
        return;
    }
    let n = 3;
    let lab = TestLab::new("pim", n, "");
    let o = nsbgp(&[
        "up",
        "-c",
        lab.config.to_str().unwrap(),
        "--ignore-memory",
        "--wait",
        "--timeout",
        "120",
    ]);
    assert_ok(&o, "up --ignore-memory");
    assert!(
        stdout(&o).contains(&format!("lab {}: {n} routers up", lab.name))
            && stdout(&o).contains(&format!("converged {n}/{n} routers")),
        "{}",
        text(&o)
    );
    assert_eq!(namespaces(&lab.prefix).len(), n);
    assert_routing(&lab, &chain_links(n), 0);
}

/// A 257-router BIRD chain (BIRD: ~2 MB a router; merge_memory off, so the host's KSM is
/// not touched): `check` skips exactly the cases longer than IP's 255-hop TTL and passes the
/// rest, exit 0; `status` shows the compact view and `status --all` one row per router.
#[test]
fn check_skips_paths_over_the_ttl_cap_and_status_all_lists_every_router() {
    if !root_or_skip() {
        return;
    }
    let n = 257;
    let lab = TestLab::new("pbg", n, "[daemons]\nsuite = \"bird\"\nmerge_memory = \"off\"\n");
    assert_ok(
        &nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", "240"]),
        "up --wait",
    );
    assert_routing(&lab, &chain_links(n), 0);

    let out = lab.on_lab(&["check", "--sample", "1", "--json"]);
    assert_ok(&out, "check --sample 1");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let index = |s: &str| -> usize {
        if s == "world" {
            return 0; // the stub is on ROUTER_0
        }
        s.strip_prefix(&lab.prefix)
            .and_then(|x| x.parse().ok())
            .unwrap_or_else(|| panic!("{s}"))
    };
    let cases = v["cases"].as_array().unwrap();
    let mut skipped = 0;
    for c in cases {
        // `--sample 1` traces from the far end only.
        assert_eq!(c["from"], lab.router(n - 1).as_str(), "{c}");
        let d = (n - 1).abs_diff(index(c["to"].as_str().unwrap()));
        assert_eq!(c["expected"].as_u64(), Some(d as u64), "{c}");
        if d > 255 {
            skipped += 1;
            assert_eq!(c["pass"], false, "{c}");
            assert_eq!(c["got"], Value::Null, "{c}");
            assert!(
                c["note"].as_str().unwrap().starts_with("skipped: 256 hops exceed"),
                "{c}"
            );
        } else {
            assert_eq!(
                (c["pass"].as_bool(), c["got"].as_u64()),
                (Some(true), Some(d as u64)),
                "{c}"
            );
        }
    }
    // ROUTER_256 to the world and to ROUTER_0 are 256 hops.
    assert!(skipped >= 2, "{v:#}");
    assert_eq!(v["skipped"].as_u64(), Some(skipped));
    assert_eq!(v["total"].as_u64(), Some((cases.len() - skipped as usize) as u64));
    assert_eq!(v["failed"], 0);
    let human = lab.on_lab(&["check", "--sample", "1"]);
    assert_ok(&human, "check --sample 1 (table)");
    let t = stdout(&human);
    assert_eq!(t.lines().filter(|l| l.ends_with("SKIP")).count() as u64, skipped, "{t}");
    assert!(
        t.contains(&format!(
            "; {skipped} case(s) skipped: paths over 255 hops cannot be traced"
        )),
        "{t}"
    );

    // status: above 40 routers only those not converged (none) and a hint; --all: all 257.
    let compact = lab.on_lab(&["status"]);
    assert_ok(&compact, "status");
    let c = stdout(&compact);
    assert!(
        c.contains(&format!(
            "({n} routers: showing those not converged; `--all` shows every router)"
        )),
        "{c}"
    );
    assert!(!c.contains(&lab.router(5)), "{c}");
    let all = lab.on_lab(&["status", "--all"]);
    assert_ok(&all, "status --all");
    let a = stdout(&all);
    for i in 0..n {
        let rows = a
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(lab.router(i).as_str()))
            .count();
        assert_eq!(rows, 1, "{} in\n{a}", lab.router(i));
    }
    assert_eq!(a.lines().count(), n + 2, "header, {n} rows, summary:\n{a}");
    assert!(
        a.lines()
            .last()
            .unwrap()
            .contains(&format!("converged {n}/{n} routers")),
        "{a}"
    );
}

/// `--ignore-memory` skips the memory check and nothing else: shown a MemAvailable of 1 MB
/// (a private meminfo), `up` refuses a 2-router lab for memory (exit 2); with the flag it
/// passes that check and stops at the next one (a namespace of the lab's name exists
/// already: exit 2), creating nothing, touching nothing.
#[test]
fn up_ignore_memory_skips_only_the_memory_check() {
    if !root_or_skip() {
        return;
    }
    let lab = ScratchLab::new("pix", 2);
    let taken = format!("{}1", lab.prefix);
    // Removed however the test ends.
    struct DelNs(String);
    impl Drop for DelNs {
        fn drop(&mut self) {
            let _ = sh("ip", &["netns", "del", &self.0]);
        }
    }
    assert_ok(&sh("ip", &["netns", "add", &taken]), "ip netns add");
    let _del = DelNs(taken.clone());
    let ino = std::fs::metadata(format!("/run/netns/{taken}")).unwrap();
    let c = lab.config.to_str().unwrap();

    let refused = nsbgp_seeing_memavailable(1024, &lab.root, &["up", "-c", c]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains(&format!(
            "lab {} needs about 30 MB (2 routers) but this host has 1 MB available (MemAvailable)",
            lab.name
        )),
        "{}",
        text(&refused)
    );

    let past = nsbgp_seeing_memavailable(1024, &lab.root, &["up", "-c", c, "--ignore-memory"]);
    assert_eq!(past.status.code(), Some(2), "{}", text(&past));
    let t = text(&past);
    assert!(!t.contains("MemAvailable"), "{t}");
    assert!(t.contains(&format!("network namespace {taken} already exists")), "{t}");

    // Nothing built: no lab directory, no namespace but the one made here, which is intact.
    assert!(!lab.dir().exists());
    assert_eq!(namespaces(&lab.prefix), BTreeSet::from([taken.clone()]));
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(format!("/run/netns/{taken}")).unwrap().ino(),
        ino.ino()
    );
}
