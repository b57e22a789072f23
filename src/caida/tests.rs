//! CAIDA parsing and selection on small files written in CAIDA's formats here.

use super::select::{self, How};
use super::*;
use crate::config::{self, Overrides};

/// Tier-1 clique 10, 20, 30; transits 100 (under 10 and 20) and 200 (under 30), peering;
/// stubs 1001 (under 100 and 200), 1002, 1003, 1004; an island 9 with five customers (a
/// larger cone than any tier-1, linked to none of them). Serial-1, with comments.
const SERIAL1: &str = "\
# source:topology|BGP
# an AS-relationship file in CAIDA's serial-1 format
10|20|0
10|30|0
20|30|0

10|100|-1
20|100|-1
30|200|-1
100|200|0
100|1001|-1
100|1002|-1
200|1003|-1
200|1001|-1
30|1004|-1
9|91|-1
9|92|-1
9|93|-1
9|94|-1
9|95|-1
";

/// The same relationships in serial-2 (a source column), Windows line ends, one repeat.
fn serial2() -> String {
    let mut s = String::from("# serial-2\r\n");
    for l in SERIAL1.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let src = if l.ends_with("|0") { "mlp" } else { "bgp" };
        s.push_str(&format!("{l}|{src}\r\n"));
    }
    s.push_str("30|1004|-1|bgp\r\n");
    s
}

fn parse_str(text: &str) -> Result<AsGraph, CaidaError> {
    parse("t.txt", text.as_bytes())
}

fn asn_links(g: &AsGraph) -> Vec<(u32, u32, Rel)> {
    g.links.iter().map(|&(a, b, r)| (g.asns[a], g.asns[b], r)).collect()
}

#[test]
fn both_serials_give_the_same_graph() {
    let g1 = parse_str(SERIAL1).unwrap();
    let g2 = parse_str(&serial2()).unwrap();
    assert_eq!(g1.asns.len(), 15);
    assert_eq!(g1.links.len(), 17);
    assert_eq!(g1.duplicates, 0);
    assert_eq!(g2.duplicates, 1);
    assert_eq!(asn_links(&g1), asn_links(&g2));
    assert_eq!(g1.asns, g2.asns);
    let l = asn_links(&g1);
    assert!(l.contains(&(10, 100, Rel::P2c)), "-1: the first is the provider");
    assert!(l.contains(&(100, 200, Rel::P2p)));
    assert_eq!(g1.index_of(1004), Some(14));
}

#[test]
fn bzip2_files_are_read_by_their_magic_not_their_name() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let bz = |path: &std::path::Path, text: &str| {
        let mut e = bzip2::write::BzEncoder::new(std::fs::File::create(path).unwrap(), bzip2::Compression::best());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap();
    };
    let named = dir.path().join("as-rel2.txt.bz2");
    bz(&named, &serial2());
    let unnamed = dir.path().join("as-rel.txt");
    bz(&unnamed, SERIAL1);
    assert!(std::fs::read(&unnamed).unwrap().starts_with(b"BZh"));
    let plain_named_bz2 = dir.path().join("plain.bz2");
    std::fs::write(&plain_named_bz2, SERIAL1).unwrap();
    let want = asn_links(&parse_str(SERIAL1).unwrap());
    for p in [&named, &unnamed, &plain_named_bz2] {
        let g = read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(asn_links(&g), want, "{}", p.display());
    }
    // A damaged stream is an error naming the file, not a panic or a silent short read.
    let mut cut = std::fs::read(&named).unwrap();
    cut.truncate(cut.len() / 2);
    let damaged = dir.path().join("cut.bz2");
    std::fs::write(&damaged, cut).unwrap();
    let e = read(&damaged).unwrap_err().to_string();
    assert!(e.contains("cut.bz2"), "{e}");
    let e = read(&dir.path().join("missing")).unwrap_err().to_string();
    assert!(e.contains("cannot read it"), "{e}");
}

#[test]
fn bad_lines_name_the_file_the_line_and_the_problem() {
    let cases: &[(&str, usize, &str)] = &[
        ("1|2", 1, "2 fields"),
        ("# c\n1|2|0|bgp|x", 2, "5 fields"),
        ("1|2|1", 1, "relationship \"1\""),
        ("1|2|-2", 1, "relationship"),
        ("0|5|-1", 1, "AS 0 is reserved"),
        ("5|23456|0", 1, "AS_TRANS"),
        ("4294967296|1|0", 1, "out of range"),
        ("99999999999999999999|1|0", 1, "out of range"),
        ("64500|1|0", 1, "reserved"),
        ("1|4294967295|0", 1, "reserved"),
        ("AS1|2|0", 1, "\"AS1\" is not an AS number"),
        ("1||0", 1, "second AS \"\""),
        ("7|7|0", 1, "AS7 is linked to itself"),
        (
            "1|2|-1\n\n2|1|-1",
            3,
            "AS2 is AS1's provider here, but line 1 says AS1 is AS2's provider",
        ),
        (
            "1|2|-1\n1|2|0",
            2,
            "AS1 and AS2 are peers here, but line 1 says AS1 is AS2's provider",
        ),
        ("1|2|0|", 1, "source column"),
    ];
    for (text, line, want) in cases {
        let e = parse_str(text).expect_err(text).to_string();
        assert!(e.starts_with(&format!("t.txt:{line}: ")), "{text:?}: {e}");
        assert!(e.contains(want), "{text:?}: {e}");
    }
    let bin = parse("b", &b"1|2|0\n\xff\xfe|3|0\n"[..]).unwrap_err().to_string();
    assert!(bin.starts_with("b:2: not text"), "{bin}");
    // An exit code of 2 (bad input), through the application's error type.
    let e = crate::error::Error::from(parse_str("1|2").unwrap_err());
    assert_eq!(crate::error::exit_code(&e), 2);
}

#[test]
fn cones_count_the_as_and_all_its_transitive_customers() {
    let g = parse_str(SERIAL1).unwrap();
    let c = select::cones(&g);
    let cone = |a: u32| c[g.index_of(a).unwrap()];
    assert_eq!(cone(10), 4); // 10, 100, 1001, 1002 (200 is 100's peer, not customer)
    assert_eq!(cone(30), 5); // 30, 200, 1001, 1003, 1004
    assert_eq!(cone(100), 3);
    assert_eq!(cone(9), 6);
    assert_eq!(cone(1001), 1);
}

fn chosen_asns(g: &AsGraph, s: &select::Selection) -> Vec<u32> {
    s.chosen.iter().map(|&v| g.asns[v]).collect()
}

/// Whether the selection's links join all its routers (the test's own BFS).
fn connected(s: &select::Selection) -> bool {
    let n = s.chosen.len();
    let mut seen = vec![false; n];
    let mut stack = vec![0];
    seen[0] = true;
    while let Some(u) = stack.pop() {
        for &(a, b, _) in &s.links {
            for (x, y) in [(a, b), (b, a)] {
                if x == u && !seen[y] {
                    seen[y] = true;
                    stack.push(y);
                }
            }
        }
    }
    seen.iter().all(|&x| x)
}

#[test]
fn largest_cones_with_the_clique_and_connected() {
    let g = parse_str(SERIAL1).unwrap();
    let s = select::select("t", &g, 6, How::Largest).unwrap();
    // The clique first (30 has the largest cone of the three), then by cone; the island AS9
    // (the largest cone of all) has no link to them and is skipped for AS1001.
    assert_eq!(chosen_asns(&g, &s), [30, 10, 20, 100, 200, 1001]);
    assert_eq!(s.tier1, 3);
    assert_eq!(s.cones, [5, 4, 4, 3, 3, 1]);
    assert!(connected(&s));
    assert_eq!(s.links.len(), 9, "every link among the six");
    assert!(s.links.contains(&(1, 3, Rel::P2c)), "AS10 provider of AS100");
    assert!(s.links.contains(&(3, 4, Rel::P2p)));
    let w = s.warnings.join("\n");
    assert!(w.contains("1 of the 6 largest cones (AS9)"), "{w}");
    assert!(w.contains("kept 6 of the file's 15 ASes and 9 of its 17 links"), "{w}");
    // Fewer than the clique: its best ones.
    let s = select::select("t", &g, 2, How::Largest).unwrap();
    assert_eq!(chosen_asns(&g, &s), [30, 10]);
    assert!(s.warnings[0].contains("tier-1 clique has 3 ASes"), "{:?}", s.warnings);
    // More than the clique's component holds: all of it, said so.
    let s = select::select("t", &g, 20, How::Largest).unwrap();
    assert_eq!(s.chosen.len(), 9);
    assert!(connected(&s));
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("only 9 ASes are connected to AS30")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn around_an_as_takes_its_nearest_neighbourhood() {
    let g = parse_str(SERIAL1).unwrap();
    let s = select::select("t", &g, 4, How::Around(1001)).unwrap();
    // Ring 1: its providers 100 and 200; ring 2 by cone: 30 (5) before 10, 20 (4).
    assert_eq!(chosen_asns(&g, &s), [1001, 100, 200, 30]);
    assert!(connected(&s));
    assert_eq!(s.links.len(), 4);
    let s = select::select("t", &g, 10, How::Around(9)).unwrap();
    assert_eq!(chosen_asns(&g, &s), [9, 91, 92, 93, 94, 95]);
    let e = select::select("t", &g, 4, How::Around(7)).unwrap_err().to_string();
    assert!(e.contains("AS7") && e.contains("in no line"), "{e}");
    let e = select::select("t", &parse_str("# empty\n").unwrap(), 4, How::Largest).unwrap_err();
    assert!(e.to_string().contains("no relationship lines"), "{e}");
}

#[test]
fn provider_cycles_are_broken_into_a_peering_and_warned() {
    let g = parse_str("1|2|-1\n2|3|-1\n3|1|-1\n3|4|-1\n").unwrap();
    let s = select::select("t", &g, 4, How::Largest).unwrap();
    assert_eq!(select::provider_cycle(4, &s.links), None);
    let asn = |r: usize| g.asns[s.chosen[r]];
    let peer: Vec<(u32, u32)> = s
        .links
        .iter()
        .filter(|l| l.2 == Rel::P2p)
        .map(|l| (asn(l.0), asn(l.1)))
        .collect();
    // AS3 has two customers of its own: its provider link (from AS2) is the one turned.
    assert_eq!(peer, [(2, 3)]);
    let w = s.warnings.join("\n");
    assert!(
        w.contains("provider cycle") && w.contains("AS2 — AS3 is made a peering"),
        "{w}"
    );
    let lab = lab_of(&g, &s, "cyc");
    assert!(lab.internet());
    assert!(w.contains("the file has 1 provider cycle among 3 ASes"), "{w}");
    // Counted in the whole file, also where the selection does not reach: two cycles.
    let g = parse_str("1|2|-1\n2|3|-1\n3|1|-1\n3|4|-1\n5|6|-1\n6|9|-1\n9|5|-1\n4|5|0\n7|8|-1\n").unwrap();
    assert_eq!(select::cycles_in_file(&g), (2, 6));
    assert_eq!(select::cycles_in_file(&parse_str(SERIAL1).unwrap()), (0, 0));
}

fn lab_of(g: &AsGraph, s: &select::Selection, name: &str) -> config::Lab {
    let text = lab::toml("t.txt", g, s, name, How::Largest);
    config::validate(
        "lab.toml",
        config::parse("lab.toml", &text).unwrap(),
        &Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn the_lab_file_validates_with_real_asns_names_and_relationships() {
    let g = parse_str(&serial2()).unwrap();
    let s = select::select("t", &g, 6, How::Largest).unwrap();
    let lab = lab_of(&g, &s, "caida-6");
    assert!(lab.internet() && lab.policy.roles);
    let names: Vec<&str> = lab.routers.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["AS30", "AS10", "AS20", "AS100", "AS200", "AS1001"]);
    let asns: Vec<u32> = lab.routers.iter().map(|r| r.asn).collect();
    assert_eq!(asns, [30, 10, 20, 100, 200, 1001]);
    assert_eq!(lab.links.len(), 9);
    // Relationships as CAIDA states them, seen from the routers.
    use crate::config::policy::Role;
    assert_eq!(lab.role_of(1, 3), Some(Role::Customer), "AS100 is AS10's customer");
    assert_eq!(lab.role_of(3, 1), Some(Role::Provider));
    assert_eq!(lab.role_of(3, 4), Some(Role::Peer));
    assert_eq!(lab.role_of(0, 1), Some(Role::Peer));
    // The 4-byte and longest names fit.
    let g = parse_str("4294967294|4200000000|-1|bgp\n").unwrap();
    let s = select::select("t", &g, 2, How::Around(4200000000)).unwrap();
    let lab = lab_of(&g, &s, "big");
    assert_eq!(lab.routers[1].name, "AS4294967294");
    assert_eq!(lab.role_of(0, 1), Some(Role::Provider));
    assert_eq!(lab::default_name(How::Around(3356), 50), "caida-as3356-50");
    // A file name cannot smuggle TOML into the lab file.
    let text = lab::toml("x\nrouters = 99\n", &g, &s, "big", How::Largest);
    assert!(
        text.starts_with("# Imported by `nsbgp import --format caida` from x?routers = 99?:\n"),
        "{text}"
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("routers")).count(), 1);
}

#[test]
fn the_shipped_example_is_what_import_makes_of_its_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let g = read(&root.join("configs/caida-example.txt")).unwrap();
    assert_eq!((g.asns.len(), g.links.len()), (57, 92));
    let s = select::select("configs/caida-example.txt", &g, 20, How::Largest).unwrap();
    let text = lab::toml("configs/caida-example.txt", &g, &s, "caida-20", How::Largest);
    let shipped = std::fs::read_to_string(root.join("configs/caida-example-20.toml")).unwrap();
    assert!(
        text == shipped,
        "configs/caida-example-20.toml is stale: nsbgp import configs/caida-example.txt --format caida -o configs/caida-example-20.toml --routers 20"
    );
    let lab = lab_of(&g, &s, "caida-20");
    assert_eq!(s.tier1, 5);
    assert_eq!(lab.routers.len(), 20);
}

/// Pseudo-random hierarchies with islands: every selection has exactly min(N, component)
/// ASes, is connected, holds the clique, and has no provider cycle.
#[test]
fn selections_are_exact_and_connected_on_random_hierarchies() {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    for round in 0..20 {
        let mut text = String::new();
        let n = 30 + rnd(60);
        // ASes 1..=4 the clique; each later AS buys from one or two earlier ones.
        for a in 1..=4 {
            for b in a + 1..=4 {
                text.push_str(&format!("{a}|{b}|0\n"));
            }
        }
        for c in 5..=n {
            let p = 1 + rnd(c - 1);
            text.push_str(&format!("{p}|{c}|-1\n"));
            let q = 1 + rnd(c - 1);
            if q != p && rnd(2) == 0 {
                text.push_str(&format!("{q}|{c}|-1\n"));
            }
            let r = 1 + rnd(c - 1);
            if r != p && r != q && rnd(4) == 0 {
                text.push_str(&format!("{r}|{c}|0\n"));
            }
        }
        // An island with a big cone: 9000 over 9001 … 9040.
        for c in 9001..=9040 {
            text.push_str(&format!("9000|{c}|-1\n"));
        }
        let g = parse_str(&text).unwrap_or_else(|e| panic!("round {round}: {e}"));
        for want in [1, 3, 4, 10, n as usize, 500] {
            let s = select::select("t", &g, want, How::Largest).unwrap();
            assert_eq!(s.chosen.len(), want.min(n as usize), "round {round}, N {want}");
            assert!(connected(&s), "round {round}, N {want}");
            let asns = chosen_asns(&g, &s);
            assert!(
                asns.iter().all(|&a| a <= n as u32),
                "the island is never chosen: {asns:?}"
            );
            assert!(asns.iter().take(want.min(4)).all(|&a| a <= 4), "clique first: {asns:?}");
            assert_eq!(select::provider_cycle(s.chosen.len(), &s.links), None);
            let around = select::select("t", &g, want, How::Around(n as u32)).unwrap();
            assert_eq!(around.chosen.len(), want.min(n as usize));
            assert!(connected(&around));
            assert_eq!(chosen_asns(&g, &around)[0], n as u32);
        }
    }
}

#[test]
fn the_clique_the_file_states_is_the_clique() {
    // CAIDA's files name their clique in a comment; here it leaves AS10 out.
    let text = format!("# input clique: 20 30 77\n{SERIAL1}");
    let g = parse_str(&text).unwrap();
    assert_eq!(g.stated_clique, [20, 30, 77]);
    let s = select::select("t", &g, 6, How::Largest).unwrap();
    assert!(s.clique_stated);
    assert_eq!(s.tier1, 2);
    // The stated two first (by cone), then by cone from there: AS10 joins as a neighbour.
    assert_eq!(chosen_asns(&g, &s), [30, 20, 10, 100, 200, 1001]);
    assert!(
        s.warnings[0].contains("names AS77 that no line has"),
        "{:?}",
        s.warnings
    );
    assert!(lab::toml("t", &g, &s, "x", How::Largest).contains("2 ASes, as the file states it"));
    let e = parse_str("# inferred clique: 1 0\n1|2|0").unwrap_err().to_string();
    assert!(e.starts_with("t.txt:1: clique comment: AS 0"), "{e}");
}

#[test]
fn text_past_the_limit_is_refused_where_it_passes_it() {
    let line = "1|2|0\n";
    let text = line.repeat((3 << 20) / line.len());
    let e = parse_at_most("big", text.as_bytes(), 2 << 20).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("big:{}: more than 2 MiB of text", (2 << 20) / line.len() + 1)),
        "{e}"
    );
    assert!(parse_at_most("ok", text.as_bytes(), 4 << 20).is_ok());
}
