//! Property tests (proptest): no input makes the lab-file or experiment-file loaders panic;
//! every rejection is an error that names the file. Pure: no root, nothing on the host.

use nsbgp::config::{self, Overrides};
use proptest::prelude::*;

/// Values that sit near the edges of what the validator accepts.
fn edge_int() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0i64),
        Just(-1),
        Just(1),
        Just(1000),
        Just(1001),
        Just(i64::MAX),
        Just(i64::MIN),
        Just(4294967295),
        Just(4294967296),
        Just(23456),
        Just(65535),
        -5i64..2000,
    ]
}

fn edge_str() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("ROUTER_".to_string()),
        Just("172.31.0.0/16".to_string()),
        Just("198.51.100.0/24".to_string()),
        Just("10.0.0.0/31".to_string()),
        Just("0.0.0.0/0".to_string()),
        Just("a/b".to_string()),
        Just("x".repeat(40)),
        Just("../../etc".to_string()),
        Just("r;rm -rf /".to_string()),
        "[ -~]{0,20}",
    ]
}

fn lab_toml() -> impl Strategy<Value = String> {
    (
        edge_str(),
        edge_int(),
        proptest::option::of(edge_str()),
        proptest::option::of(edge_int()),
        proptest::option::of(edge_int()),
        proptest::option::of(edge_str()),
        proptest::option::of(edge_int()),
        proptest::option::of(edge_str()),
        proptest::option::of((edge_int(), edge_int(), edge_int(), edge_int(), edge_int())),
        proptest::option::of(edge_int()),
    )
        .prop_map(|(name, routers, prefix, first, last, pool, plen, stub, timers, fds)| {
            let q = |s: &str| toml::Value::String(s.to_string()).to_string();
            let mut t = format!("name = {}\nrouters = {routers}\n", q(&name));
            if let Some(p) = prefix {
                t += &format!("router_prefix = {}\n", q(&p));
            }
            if let Some(f) = first {
                t += &format!("first_asn = {f}\n");
            }
            if let Some(l) = last {
                t += &format!("last_asn = {l}\n");
            }
            if let Some(p) = pool {
                t += &format!("link_pool = {}\n", q(&p));
            }
            if let Some(l) = plen {
                t += &format!("link_prefix_len = {l}\n");
            }
            if let Some(s) = stub {
                t += &format!("stub_prefix = {}\n", q(&s));
            }
            if let Some((k, h, c, a, co)) = timers {
                t += &format!(
                    "[timers]\nkeepalive_s = {k}\nhold_s = {h}\nconnect_retry_s = {c}\nadvertisement_interval_s = {a}\ncoalesce_time_ms = {co}\n"
                );
            }
            if let Some(f) = fds {
                t += &format!("[daemons]\nlimit_fds = {f}\n");
            }
            t
        })
}

fn check(text: &str) {
    match config::parse("fuzz.toml", text) {
        Err(e) => assert!(e.to_string().contains("fuzz.toml"), "{e}"),
        Ok(file) => {
            let (first, last) = (file.first_asn, file.last_asn);
            match config::validate("fuzz.toml", file, &Overrides::default()) {
                Err(e) => assert!(e.to_string().contains("fuzz.toml"), "{e}"),
                Ok(lab) => {
                    // What validation accepts is safe to use: bounded size, plain names. The size
                    // bound is the AS range (one AS per router): 1000 routers with the default
                    // 100–1099, more only where the file widens it.
                    assert!(!lab.routers.is_empty());
                    assert!(lab.routers.len() as i64 <= last - first + 1, "{text:?}");
                    assert!(lab.routers.iter().all(|r| (first..=last).contains(&(r.asn as i64))));
                    for r in &lab.routers {
                        assert!(
                            r.name.len() <= 15
                                && r.name
                                    .chars()
                                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                        );
                    }
                    assert!(lab
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn structured_lab_files_never_panic(text in lab_toml()) {
        check(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn experiment_files_never_panic(text in "(measure = \"[a-z0-9./]{0,16}\"\n)?(repeat = -?[0-9]{1,4}\n)?(\\[\\[step\\]\\]\naction = \"(announce|withdraw|link_down|wait|kill|x)\"\n(router = \"[A-Z_0-9]{0,10}\"\n)?(prefix = \"[0-9./]{0,18}\"\n)?(routers = \\[\"[0-9]\", \"[0-9]\"\\]\n)?(seconds = -?[0-9.]{1,4}\n)?(daemon = \"[a-z]{0,5}\"\n)?){0,3}") {
        match nsbgp::experiment::spec::parse("e.toml", &text) {
            Err(e) => prop_assert!(e.to_string().starts_with("e.toml: "), "{}", e),
            Ok(spec) => {
                let lab_text = "name = \"t\"\nrouters = 10\n";
                let lab = config::validate("t.toml", config::parse("t.toml", lab_text).unwrap(), &Overrides::default()).unwrap();
                if let Err(e) = nsbgp::experiment::spec::resolve(&spec, &lab) {
                    prop_assert!(e.to_string().starts_with("e.toml: "), "{}", e);
                }
            }
        }
    }
}

/// Inputs the fuzzer found, kept as plain cases (proptest cannot persist them here).
#[test]
fn found_cases() {
    // A wider AS range admits more than 1000 routers; validation bounds the count by it.
    check("name = \"ROUTER_\"\nrouters = 1001\nlast_asn = 23456\n");
}

/// A `[topology]` table with shapes, parameters and links near the validator's edges.
fn topology_toml() -> impl Strategy<Value = String> {
    let refs = prop_oneof![
        edge_int().prop_map(|i| i.to_string()),
        edge_str().prop_map(|s| toml::Value::String(s).to_string()),
        (0i64..12).prop_map(|i| format!("\"ROUTER_{i}\"")),
        (0i64..12).prop_map(|i| i.to_string()),
    ];
    (
        -3i64..40,
        proptest::option::of(prop_oneof![
            Just("chain".to_string()),
            Just("ring".to_string()),
            Just("star".to_string()),
            Just("tree".to_string()),
            Just("grid".to_string()),
            Just("clique".to_string()),
            Just("file".to_string()),
            edge_str(),
        ]),
        proptest::option::of(edge_int()),
        proptest::option::of((edge_int(), edge_int())),
        proptest::option::of(refs.clone()),
        proptest::collection::vec((refs.clone(), refs), 0..14),
        proptest::option::of(edge_int()),
    )
        .prop_map(|(routers, shape, fanout, grid, origin, links, plen)| {
            let mut t = format!("name = \"t\"\nrouters = {routers}\n");
            if let Some(l) = plen {
                t += &format!("link_prefix_len = {l}\n");
            }
            t += "[topology]\n";
            if let Some(s) = shape {
                t += &format!("shape = {}\n", toml::Value::String(s));
            }
            if let Some(f) = fanout {
                t += &format!("fanout = {f}\n");
            }
            if let Some((r, c)) = grid {
                t += &format!("rows = {r}\ncols = {c}\n");
            }
            if let Some(o) = origin {
                t += &format!("origin = {o}\n");
            }
            for (a, b) in links {
                t += &format!("[[topology.link]]\na = {a}\nb = {b}\n");
            }
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever the topology, no panic; an accepted lab is a connected graph whose every link
    /// has both ends' interfaces, and whose addresses are unique.
    #[test]
    fn topology_tables_never_panic(text in topology_toml()) {
        check(&text);
        if let Ok(lab) = config::parse("fuzz.toml", &text).and_then(|f| config::validate("fuzz.toml", f, &Overrides::default())) {
            let g = &lab.graph;
            prop_assert!((0..g.len()).all(|r| g.distance(r) != u32::MAX), "{}", text);
            for l in &lab.links {
                prop_assert!(l.a != l.b);
                prop_assert!(lab.interface_on(l.a, l.index).is_some() && lab.interface_on(l.b, l.index).is_some());
            }
            let mut addrs: Vec<_> = lab.routers.iter().flat_map(|r| r.interfaces.iter().flat_map(|i| i.addrs.iter().map(|a| a.addr))).collect();
            let n = addrs.len();
            addrs.sort();
            addrs.dedup();
            prop_assert_eq!(addrs.len(), n);
        }
    }
}
