//! `nsbgp import --format caida` end to end: a small AS-relationship file written here in
//! CAIDA's serial-2 format (bzip2-compressed with the crate), imported, brought up on real
//! daemons (FRR, BIRD, and both alternating); every router's best paths, read with FRR's vtysh and BIRD's birdc, are
//! valley-free on the file's relationships, equal the policy's prediction, and match paths
//! worked out by hand. Plus the command's refusals, which need no root.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// ASes by position k (the AS number is `base + k`): tier-1 peers 0 and 1; transits 2
/// (under 0) and 3 (under 1), peering; 4 under 2 and 3; stubs 5 (under 2), 6 (under 3),
/// 7 (under 1), 8 (under 4). Cones: 1 → 6, 0 → 5, 2 and 3 → 4, 4 → 2, stubs 1: the 8
/// largest leave out the stub 8 (the smallest cone, highest AS number).
const P2C: [(usize, usize); 8] = [(0, 2), (1, 3), (2, 4), (3, 4), (2, 5), (3, 6), (1, 7), (4, 8)];
const P2P: [(usize, usize); 2] = [(0, 1), (2, 3)];

static SEQ: AtomicU32 = AtomicU32::new(0);

/// AS numbers of private 4-byte space unique to this process and test, so the routers'
/// names (`AS{asn}`, also their namespaces) are no other lab's: 42 0 PPPPP S K.
fn base() -> (u32, String) {
    let p = std::process::id() % 100_000;
    let s = SEQ.fetch_add(1, Ordering::Relaxed) % 10;
    let base = 4_200_000_000 + p * 100 + s * 10;
    (base, format!("AS420{p:05}{s}"))
}

/// The file's text: serial-2 lines with CAIDA's header comments, a blank line, a repeat.
fn as_rel(base: u32) -> String {
    let mut s = String::from("# source:topology|BGP|test\n# <provider-as>|<customer-as>|-1|<source>\n\n");
    for (a, b) in P2C {
        s.push_str(&format!("{}|{}|-1|bgp\n", base + a as u32, base + b as u32));
    }
    for (a, b) in P2P {
        s.push_str(&format!("{}|{}|0|mlp\n", base + a as u32, base + b as u32));
    }
    s.push_str(&format!("{}|{}|-1|bgp\n", base, base + 2));
    s
}

/// Imports the bz2 file with `--routers 8` and gives router k (the k-th `[[router]]`
/// table) the suite `suite(k)`.
fn imported(tag: &str, suite: &dyn Fn(usize) -> &'static str) -> (TestLab, u32) {
    let (base, prefix) = base();
    let dir = tempdir(tag);
    let file = dir.0.join("20261201.as-rel2.txt.bz2");
    let mut e = bzip2::write::BzEncoder::new(std::fs::File::create(&file).unwrap(), bzip2::Compression::best());
    e.write_all(as_rel(base).as_bytes()).unwrap();
    e.finish().unwrap();
    let name = format!("t-{tag}-{}", &prefix[5..]);
    let lab = dir.0.join("lab.toml");
    let o = nsbgp(&[
        "import",
        file.to_str().unwrap(),
        "--format",
        "caida",
        "-o",
        lab.to_str().unwrap(),
        "--routers",
        "8",
        "--name",
        &name,
    ]);
    assert_ok(&o, "import --format caida");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("kept 8 of the file's 9 ASes and 9 of its 10 links"),
        "{err}"
    );
    assert!(err.contains("1 lines repeat a relationship"), "{err}");
    assert!(stdout(&o).contains("8 ASes, 9 links: 7 p2c, 2 p2p"), "{}", stdout(&o));
    let text = std::fs::read_to_string(&lab).unwrap();
    assert!(!text.contains(&format!("AS{}", base + 8)), "the stub 8 is left out");
    let mut k = 0;
    let mut with_suites = String::new();
    for line in text.lines() {
        with_suites.push_str(line);
        with_suites.push('\n');
        if line.starts_with("asn = ") {
            with_suites.push_str(&format!("suite = \"{}\"\n", suite(k)));
            k += 1;
        }
    }
    assert_eq!(k, 8, "{text}");
    std::fs::write(&lab, with_suites).unwrap();
    (TestLab::from_file(&name, &prefix, 8, lab, dir), base)
}

/// Paths worked out by hand, by position (holder, origin, AS path after the holder).
const HAND: [(usize, usize, &[usize]); 5] = [
    // 7 climbs to 1, crosses to 0, descends through 2.
    (7, 5, &[1, 0, 2, 5]),
    // 6's provider 3 learns 5 from its peer 2 (2's customer route).
    (6, 5, &[3, 2, 5]),
    // 2 may not use its peer 3's route to 7 (learned from 3's provider): up through 0.
    (5, 7, &[2, 0, 1, 7]),
    // 4 prefers the shorter of two provider routes.
    (4, 6, &[3, 6]),
    (0, 6, &[1, 3, 6]),
];

fn converge_and_compare(tag: &str, suite: &dyn Fn(usize) -> &'static str) {
    if !root_or_skip() {
        return;
    }
    let (lab, base) = imported(tag, suite);
    let out = nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", "120"]);
    assert_ok(&out, "up --wait");
    let config = nsbgp::config::load(&lab.config, &Default::default()).unwrap();
    let asn_of = |r: usize| config.routers[r].asn;
    let pos = |asn: u32| (asn - base) as usize;
    let predicted = nsbgp::policy::Prediction::of(&config);
    let names: Vec<String> = config.routers.iter().map(|r| r.name.clone()).collect();
    assert!(names.iter().all(|n| n.starts_with(&lab.prefix)), "{names:?}");
    let bird = |r: usize| config.routers[r].suite == nsbgp::config::Suite::Bird;
    assert!((0..8).all(|r| config.routers[r].suite.name() == suite(r)));
    // Routes settle after the sessions: read until all 8 × 7 are there (bounded).
    let all: Vec<BTreeMap<String, Vec<u32>>> = wait_for(Duration::from_secs(60), || {
        let v: Vec<_> = (0..8).map(|r| best_paths(&lab, &names[r], bird(r))).collect();
        (v.iter().map(|m| m.len()).sum::<usize>() == 56).then_some(v)
    })
    .unwrap_or_else(|| panic!("not every router learned the 7 other ASes' prefixes"));
    let p2c: Vec<(usize, usize)> = P2C.to_vec();
    let p2p: Vec<(usize, usize)> = P2P.to_vec();
    let prefix = |r: usize| config.policy.prefixes[r].to_string();
    let router_at = |k: usize| (0..8).find(|&r| pos(asn_of(r)) == k).unwrap();
    for (holder, origin, want) in HAND {
        let got: Vec<usize> = all[router_at(holder)][&prefix(router_at(origin))]
            .iter()
            .map(|&a| pos(a))
            .collect();
        assert_eq!(got, want, "AS at {holder} to the one at {origin}");
    }
    for (r, paths) in all.iter().enumerate() {
        assert!(paths.keys().all(|p| p.starts_with("198.18.")), "{:?}", paths.keys());
        for o in (0..8).filter(|&o| o != r) {
            let got = &paths[&prefix(o)];
            let hops: Vec<usize> = got.iter().map(|&a| pos(a)).collect();
            assert!(
                valley_free(pos(asn_of(r)), &hops, &p2c, &p2p),
                "{} to {}: {got:?} has a valley",
                names[r],
                names[o]
            );
            let want: Vec<u32> = nsbgp::policy::path(&predicted.by_origin[o], r)[1..]
                .iter()
                .map(|&i| asn_of(i))
                .collect();
            assert_eq!(got, &want, "{} to {}: daemon vs prediction", names[r], names[o]);
        }
    }
    let o = lab.on_lab(&["check", "--policy"]);
    assert_ok(&o, "check --policy");
    assert!(
        stdout(&o).contains("56 as predicted and valley-free, 0 not"),
        "{}",
        stdout(&o)
    );
    // The running lab as data: the routers with their real AS numbers and states, the
    // links with CAIDA's relationships.
    let jd = tempdir(tag);
    let json = jd.0.join("graph.json");
    let o = lab.on_lab(&["graph", "-o", json.to_str().unwrap(), "--format", "json"]);
    assert_ok(&o, "graph --format json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let routers = v["routers"].as_array().unwrap();
    assert_eq!(routers.len(), 8);
    for (k, r) in routers.iter().enumerate() {
        let asn = r["asn"].as_u64().unwrap() as u32;
        assert_eq!(r["name"], format!("AS{asn}"));
        assert_eq!(r["suite"], suite(k));
        assert_eq!(r["state"], "converged", "{r}");
    }
    let links = v["links"].as_array().unwrap();
    assert_eq!(links.len(), 9);
    let k = |s: &serde_json::Value| pos(s.as_str().unwrap()[2..].parse().unwrap());
    for l in links {
        let (a, b) = (k(&l["a"]), k(&l["b"]));
        match l["rel"].as_str().unwrap() {
            "p2c" => assert!(P2C.contains(&(a, b)), "{l}"),
            "p2p" => assert!(P2P.contains(&(a, b)) || P2P.contains(&(b, a)), "{l}"),
            other => panic!("rel {other}"),
        }
        assert!(l["prefix"].as_str().unwrap().starts_with("172.31."), "{l}");
    }
}

#[test]
fn frr_routes_of_an_imported_caida_graph_follow_gao_rexford() {
    converge_and_compare("caf", &|_| "frr");
}

#[test]
fn bird_routes_of_an_imported_caida_graph_follow_gao_rexford() {
    converge_and_compare("cab", &|_| "bird");
}

#[test]
fn mixed_routes_of_an_imported_caida_graph_follow_gao_rexford() {
    converge_and_compare("cam", &|k| if k % 2 == 0 { "bird" } else { "frr" });
}

/// Refusals: exit 2 with what is wrong, and nothing written. No root needed.
#[test]
fn bad_files_and_flags_exit_2_naming_the_problem() {
    let dir = tempdir("cax");
    let bad = dir.0.join("bad.txt");
    std::fs::write(&bad, "# comment\n1|2|-1|bgp\n2|3|x|bgp\n").unwrap();
    let out = dir.0.join("lab.toml");
    let (b, o) = (bad.to_str().unwrap(), out.to_str().unwrap());
    let cases: &[(&[&str], &str)] = &[
        (
            &["import", b, "--format", "caida", "-o", o, "--routers", "3"],
            "bad.txt:3: relationship \"x\"",
        ),
        (&["import", b, "--format", "caida", "-o", o], "--routers"),
        (&["import", b, "-o", o, "--routers", "3"], "add --format caida"),
        (
            &[
                "import",
                b,
                "--format",
                "caida",
                "-o",
                o,
                "--routers",
                "3",
                "--origin",
                "r1",
            ],
            "--origin is for containerlab",
        ),
    ];
    for (args, want) in cases {
        let r = nsbgp(args);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {}", text(&r));
        assert!(text(&r).contains(want), "{args:?}: {}", text(&r));
        assert!(!out.exists(), "{args:?} wrote {o}");
    }
    // --around an AS the file lacks, and an output that exists: refused, not overwritten.
    let good = dir.0.join("good.txt");
    std::fs::write(&good, "1|2|-1\n2|3|-1\n").unwrap();
    let g = good.to_str().unwrap();
    let r = nsbgp(&[
        "import",
        g,
        "--format",
        "caida",
        "-o",
        o,
        "--routers",
        "2",
        "--around",
        "9",
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    assert!(text(&r).contains("AS9: that AS is in no line"), "{}", text(&r));
    let r = nsbgp(&[
        "import",
        g,
        "--format",
        "caida",
        "-o",
        o,
        "--routers",
        "2",
        "--around",
        "3",
    ]);
    assert_ok(&r, "import --around 3");
    let lab = std::fs::read_to_string(&out).unwrap();
    assert!(
        lab.contains("name = \"AS3\"") && lab.contains("name = \"AS2\"") && !lab.contains("\"AS1\""),
        "{lab}"
    );
    let r = nsbgp(&["import", g, "--format", "caida", "-o", o, "--routers", "2"]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    assert!(text(&r).contains("never overwrites"), "{}", text(&r));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), lab);
}
