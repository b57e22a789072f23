//! The lab file a CAIDA selection becomes: `shape = "file"`, one `[[router]]` per AS named
//! `AS{asn}` with its real AS number, every kept link with its `rel`, and gao-rexford.

use super::select::{How, Selection};
use super::AsGraph;
use crate::config::policy::Rel;
use std::fmt::Write;

/// Links the default link pool (172.31.0.0/16) holds as /30s; past it the lab takes the
/// wider 172.16.0.0/12 (still private, still apart from the ASes' 198.18.0.0/15).
const DEFAULT_POOL_LINKS: usize = 1 << 14;
const WIDE_POOL: &str = "172.16.0.0/12";

/// The default lab name: `caida-N`, or `caida-asX-N` around AS X.
pub fn default_name(how: How, n: usize) -> String {
    match how {
        How::Largest => format!("caida-{n}"),
        How::Around(a) => format!("caida-as{a}-{n}"),
    }
}

/// The lab file's text.
pub fn toml(source: &str, g: &AsGraph, sel: &Selection, name: &str, how: How) -> String {
    let n = sel.chosen.len();
    let name_of = |r: usize| format!("AS{}", g.asns[sel.chosen[r]]);
    let mut s = String::new();
    let p2c = sel.links.iter().filter(|l| l.2 == Rel::P2c).count();
    // A file name may hold a newline: it would end the comment and start TOML of its own.
    let source: String = source.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
    writeln!(s, "# Imported by `nsbgp import --format caida` from {source}:").unwrap();
    match how {
        How::Largest => writeln!(
            s,
            "# the {n} ASes with the largest customer cones, grown connected from the tier-1 clique ({} ASes, {}),",
            sel.tier1,
            if sel.clique_stated {
                "as the file states it"
            } else {
                "inferred"
            }
        ),
        How::Around(a) => writeln!(
            s,
            "# AS{a} and its {} nearest ASes (breadth-first, larger cones first),",
            n - 1
        ),
    }
    .unwrap();
    writeln!(
        s,
        "# with every CAIDA link among them: {} links, {p2c} p2c and {} p2p.",
        sel.links.len(),
        sel.links.len() - p2c
    )
    .unwrap();
    writeln!(
        s,
        "# Every AS originates its own prefix from 198.18.0.0/15 (README, \"Internet-like labs\")."
    )
    .unwrap();
    for w in &sel.warnings {
        writeln!(s, "# note: {w}").unwrap();
    }
    writeln!(s, "name = \"{name}\"\nrouters = {n}").unwrap();
    // Routers keep their own `asn`; the default range only has to hold n routers.
    if n > 1000 {
        writeln!(s, "last_asn = {}", 99 + n).unwrap();
    }
    if sel.links.len() > DEFAULT_POOL_LINKS {
        writeln!(s, "link_pool = \"{WIDE_POOL}\"").unwrap();
    }
    s.push_str("\n[policy]\nmodel = \"gao-rexford\"\n");
    for r in 0..n {
        writeln!(
            s,
            "\n[[router]] # customer cone {}\nname = \"{}\"\nasn = {}",
            sel.cones[r],
            name_of(r),
            g.asns[sel.chosen[r]]
        )
        .unwrap();
    }
    s.push_str("\n[topology]\nshape = \"file\"\n");
    for &(a, b, rel) in &sel.links {
        writeln!(
            s,
            "\n[[topology.link]]\na = \"{}\"\nb = \"{}\"\nrel = \"{}\"",
            name_of(a),
            name_of(b),
            rel.name()
        )
        .unwrap();
    }
    s
}
