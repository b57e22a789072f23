//! Pictures of a lab's topology (`nsbgp graph`): an SVG drawn here with a simple
//! deterministic layout per shape (no graphviz needed), or Graphviz DOT for other tools.
//! Routers are coloured by state when the lab runs, carry their AS number, and links their
//! prefix.

use crate::config::policy::Rel;
use crate::config::{Lab, Shape};
use std::fmt::Write;

/// What a router looked like at the last poll of a running lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// From a lab file: nothing runs.
    Unknown,
    Converged,
    NotConverged,
    /// zebra or bgpd is not running.
    Dead,
}

impl State {
    fn colour(self) -> &'static str {
        match self {
            State::Unknown => "#c6dbef",
            State::Converged => "#74c476",
            State::NotConverged => "#fdae6b",
            State::Dead => "#de2d26",
        }
    }
    fn label(self) -> &'static str {
        match self {
            State::Unknown => "not running",
            State::Converged => "converged",
            State::NotConverged => "not converged",
            State::Dead => "daemon dead",
        }
    }
}

/// Node radius and the distance the layouts keep between neighbouring nodes.
const R: f64 = 15.0;
const GAP: f64 = 90.0;
/// Above this many links the prefixes go into tooltips only: a 32-router clique's 496
/// labels would cover the picture.
const LABEL_MAX_LINKS: usize = 200;

/// Whether the lab's links carry business relationships (`rel`): drawn by tier.
fn has_rels(lab: &Lab) -> bool {
    lab.policy.rels.iter().any(Option::is_some)
}

/// The tier of every router of a lab with relationships: 0 for a router without a
/// provider, else one more than its deepest provider (the longest provider chain from the
/// top). None in labs without relationships.
pub fn tiers(lab: &Lab) -> Option<Vec<usize>> {
    if !has_rels(lab) {
        return None;
    }
    let n = lab.routers.len();
    let p2c: Vec<(usize, usize)> = lab
        .graph
        .links()
        .iter()
        .zip(&lab.policy.rels)
        .filter(|(_, r)| **r == Some(Rel::P2c))
        .map(|(&l, _)| l)
        .collect();
    let mut tier = vec![0usize; n];
    // Longest paths by relaxation: at most n rounds (validation refuses provider cycles
    // under gao-rexford; under model "none" a cycle just stops growing at n).
    for _ in 0..n {
        let mut changed = false;
        for &(a, b) in &p2c {
            if tier[b] < tier[a] + 1 && tier[a] < n {
                tier[b] = tier[a] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Some(tier)
}

/// Rows by tier, providers above customers: tier t at y = t gaps (wide tiers wrap onto
/// sub-rows half a gap apart, still above the next tier). Within a row, routers go by the
/// mean position of their providers (fewer crossings), then by index.
fn tier_layout(lab: &Lab, tier: &[usize]) -> Vec<(f64, f64)> {
    let n = tier.len();
    let depth = tier.iter().max().map_or(0, |&t| t + 1);
    let wrap = ((n as f64).sqrt() * 2.0).ceil().max(20.0) as usize;
    let step = GAP * 0.6;
    let mut order_x = vec![0.0f64; n];
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (i, &t) in tier.iter().enumerate() {
        rows[t].push(i);
    }
    let mut y = 0.0;
    let mut tier_y = vec![0.0; depth];
    let mut pos = vec![(0.0, 0.0); n];
    let widest = rows.iter().map(|r| r.len().min(wrap)).max().unwrap_or(1);
    for (t, row) in rows.iter_mut().enumerate() {
        let key = |i: usize| {
            let ups: Vec<f64> = lab
                .graph
                .links()
                .iter()
                .zip(&lab.policy.rels)
                .filter(|(&(_, b), r)| b == i && **r == Some(Rel::P2c))
                .map(|(&(a, _), _)| order_x[a])
                .collect();
            if ups.is_empty() {
                i as f64
            } else {
                ups.iter().sum::<f64>() / ups.len() as f64
            }
        };
        let mut keyed: Vec<(f64, usize)> = row.iter().map(|&i| (key(i), i)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        *row = keyed.into_iter().map(|(_, i)| i).collect();
        tier_y[t] = y;
        for (k, chunk) in row.chunks(wrap).enumerate() {
            let left = (widest - chunk.len()) as f64 * step / 2.0;
            for (j, &i) in chunk.iter().enumerate() {
                pos[i] = (left + j as f64 * step, y + k as f64 * GAP * 0.5);
                order_x[i] = pos[i].0;
            }
        }
        let subrows = row.len().div_ceil(wrap).max(1);
        y += (subrows - 1) as f64 * GAP * 0.5 + GAP;
    }
    pos
}

/// Position of every router (x, y), before the margin is added.
pub fn layout(lab: &Lab) -> Vec<(f64, f64)> {
    if let Some(tier) = tiers(lab) {
        return tier_layout(lab, &tier);
    }
    let g = &lab.graph;
    let n = g.len();
    let circle = |ids: &[usize], radius: f64, cx: f64, cy: f64, out: &mut Vec<(f64, f64)>| {
        let m = ids.len().max(1) as f64;
        for (k, &i) in ids.iter().enumerate() {
            // From the top, clockwise.
            let a = std::f64::consts::TAU * k as f64 / m - std::f64::consts::FRAC_PI_2;
            out[i] = (cx + radius * a.cos(), cy + radius * a.sin());
        }
    };
    let mut pos = vec![(0.0, 0.0); n];
    match lab.topology.shape {
        Shape::Ring | Shape::Clique => {
            let ids: Vec<usize> = (0..n).collect();
            let radius = (n as f64 * GAP * 0.55 / std::f64::consts::TAU).max(2.0 * GAP);
            circle(&ids, radius, radius, radius, &mut pos);
        }
        Shape::Star => {
            let leaves: Vec<usize> = (0..n).filter(|&i| i != 0).collect();
            let radius = (leaves.len() as f64 * GAP * 0.55 / std::f64::consts::TAU).max(2.0 * GAP);
            circle(&leaves, radius, radius, radius, &mut pos);
            pos[0] = (radius, radius);
        }
        Shape::Grid => {
            let cols = lab.topology.cols.unwrap_or(n).max(1);
            for (i, p) in pos.iter_mut().enumerate() {
                *p = ((i % cols) as f64 * GAP, (i / cols) as f64 * GAP);
            }
        }
        Shape::Chain => {
            // A snake: rows of √N routers, every other row right to left, so neighbours stay
            // neighbours on the page.
            let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
            for (i, p) in pos.iter_mut().enumerate() {
                let (r, c) = (i / cols, i % cols);
                let c = if r % 2 == 1 { cols - 1 - c } else { c };
                *p = (c as f64 * GAP, r as f64 * GAP);
            }
        }
        Shape::Tree | Shape::File | Shape::Internet => {
            // A tidy tree over the breadth-first tree from the origin (each router under its
            // lowest-numbered neighbour one hop nearer): leaves side by side in depth-first
            // order, every parent centred over its children, one row per hop. Links outside
            // that tree are drawn too, across the rows.
            let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
            for i in 0..n {
                if let Some(p) = g.next_hops(i).into_iter().min() {
                    children[p].push(i);
                }
            }
            let mut next_leaf = 0.0;
            // Iterative post-order (no recursion depth limit on long paths).
            let mut stack = vec![(g.origin(), false)];
            while let Some((u, done)) = stack.pop() {
                if !done {
                    stack.push((u, true));
                    for &c in children[u].iter().rev() {
                        stack.push((c, false));
                    }
                    continue;
                }
                let x = match (children[u].first(), children[u].last()) {
                    (Some(&f), Some(&l)) => (pos[f].0 + pos[l].0) / 2.0,
                    _ => {
                        next_leaf += GAP * 0.6;
                        next_leaf - GAP * 0.6
                    }
                };
                pos[u] = (x, g.distance(u) as f64 * GAP);
            }
        }
    }
    pos
}

/// Where each LAN is drawn: a box at its members' centroid, moved off any router it would
/// cover (a LAN of two routers in a row would sit on the one between).
pub fn lan_layout(lab: &Lab, pos: &[(f64, f64)]) -> Vec<(f64, f64)> {
    lab.lans
        .iter()
        .map(|l| {
            let m = l.members.len().max(1) as f64;
            let (mut x, mut y) = l
                .members
                .iter()
                .fold((0.0, 0.0), |(x, y), &r| (x + pos[r].0 / m, y + pos[r].1 / m));
            // Bounded: each step moves half a gap down, past at most every router.
            for _ in 0..=pos.len() {
                if pos.iter().all(|p| (p.0 - x).hypot(p.1 - y) >= 2.0 * R) {
                    break;
                }
                y += GAP / 2.0;
                x += GAP / 4.0;
            }
            (x, y)
        })
        .collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG picture. `states[i]` colours router i.
pub fn svg(lab: &Lab, states: &[State]) -> String {
    let pos = layout(lab);
    let lan_pos = lan_layout(lab, &pos);
    // Room for the labels a big ring puts outside its circle.
    let margin = if lab.topology.shape == Shape::Ring && lab.routers.len() > 12 {
        100.0
    } else {
        60.0
    };
    let top = 50.0;
    let maxx = pos.iter().chain(&lan_pos).map(|p| p.0).fold(0.0, f64::max);
    let maxy = pos.iter().chain(&lan_pos).map(|p| p.1).fold(0.0, f64::max);
    let lans = match lab.lans.len() {
        0 => String::new(),
        1 => ", 1 LAN".to_string(),
        n => format!(", {n} LANs"),
    };
    let title = format!(
        "{}: {} routers, {} links{lans} ({}); default route from {}",
        lab.name,
        lab.routers.len(),
        lab.links.len(),
        lab.topology.shape,
        lab.routers[lab.origin()].name
    );
    let footer = format!(
        "nodes: AS number (hover for the router); blue ring: the origin of the default route{}",
        if has_rels(lab) {
            "; rows by tier, providers above their customers; dashed: peers"
        } else {
            ""
        }
    );
    let w = (maxx + 2.0 * margin)
        .max(520.0)
        .max(title.len() as f64 * 9.0 + 40.0)
        .max(footer.len() as f64 * 5.6 + 40.0);
    let h = maxy + 2.0 * margin + top + 30.0;
    // Centred when the title makes the picture wider than the layout.
    let left = (w - maxx) / 2.0;
    let at = |i: usize| (pos[i].0 + left, pos[i].1 + margin + top);
    let labels = lab.links.len() <= LABEL_MAX_LINKS;
    let mut s = String::new();
    writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="sans-serif">"#
    )
    .unwrap();
    writeln!(s, r#"<rect width="{w:.0}" height="{h:.0}" fill="white"/>"#).unwrap();
    let origin = lab.origin();
    writeln!(
        s,
        r#"<text x="{:.0}" y="24" text-anchor="middle" font-size="16">{}</text>"#,
        w / 2.0,
        esc(&title)
    )
    .unwrap();
    // Legend.
    let mut seen: Vec<State> = Vec::new();
    for st in states {
        if !seen.contains(st) {
            seen.push(*st);
        }
    }
    seen.sort_by_key(|s| *s as u8);
    for (k, st) in seen.iter().enumerate() {
        let x = 20.0 + k as f64 * 130.0;
        writeln!(
            s,
            r##"<circle cx="{:.0}" cy="40" r="6" fill="{}" stroke="#333"/><text x="{:.0}" y="44" font-size="11">{}</text>"##,
            x,
            st.colour(),
            x + 10.0,
            st.label()
        )
        .unwrap();
    }
    if !labels {
        writeln!(
            s,
            r#"<text x="{:.0}" y="44" font-size="11" text-anchor="end">link prefixes: hover over a link</text>"#,
            w - 20.0
        )
        .unwrap();
    }
    let tiered = has_rels(lab);
    // Links first, so routers sit on top.
    s.push_str(r##"<g class="links" stroke="#888" stroke-width="1.2">"##);
    s.push('\n');
    for (p, l) in lab.links.iter().enumerate() {
        let ((x1, y1), (x2, y2)) = (at(l.a), at(l.b));
        // Peers dashed; p2c solid, the provider above.
        let (dash, rel) = match rel_of(lab, p) {
            Some(Rel::P2p) => (r#" stroke-dasharray="5 4""#, " (peers)"),
            Some(Rel::P2c) => ("", " (provider — customer)"),
            None => ("", ""),
        };
        let title = format!(
            "<title>link {}: {} — {}{rel} {}</title>",
            l.index,
            lab.routers[l.a].name,
            lab.routers[l.b].name,
            subnets(l)
        );
        match arc_lift(tiered, (x1, y1), (x2, y2)) {
            Some(lift) => writeln!(
                s,
                r#"<path d="M {x1:.1} {y1:.1} Q {:.1} {:.1} {x2:.1} {y2:.1}" fill="none"{dash}>{title}</path>"#,
                (x1 + x2) / 2.0,
                y1 - lift
            ),
            None => writeln!(
                s,
                r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}"{dash}>{title}</line>"#
            ),
        }
        .unwrap();
    }
    // A LAN: a line from every member to its box.
    for (j, l) in lab.lans.iter().enumerate() {
        let (x2, y2) = (lan_pos[j].0 + left, lan_pos[j].1 + margin + top);
        for &m in &l.members {
            let (x1, y1) = at(m);
            writeln!(
                s,
                r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}"><title>LAN {}: {} {}</title></line>"#,
                esc(&l.name),
                lab.routers[m].name,
                l.subnets_label()
            )
            .unwrap();
        }
    }
    s.push_str("</g>\n");
    if !lab.lans.is_empty() {
        s.push_str(r##"<g class="lans" font-size="9" text-anchor="middle">"##);
        s.push('\n');
        for (j, l) in lab.lans.iter().enumerate() {
            let (x, y) = (lan_pos[j].0 + left, lan_pos[j].1 + margin + top);
            writeln!(
                s,
                r##"<g class="lan" data-lan="{}"><title>LAN {} ({} routers): {}</title><rect x="{:.1}" y="{:.1}" width="{:.0}" height="{:.0}" rx="3" fill="#fff7bc" stroke="#993404"/><text x="{x:.1}" y="{:.1}">{}</text><text x="{x:.1}" y="{:.1}" font-size="7" fill="#555">{}</text></g>"##,
                esc(&l.name),
                esc(&l.name),
                l.members.len(),
                l.subnets_label(),
                x - 1.6 * R,
                y - 0.9 * R,
                3.2 * R,
                1.8 * R,
                y - 1.0,
                esc(&l.name),
                y + 8.0,
                l.subnet
            )
            .unwrap();
        }
        s.push_str("</g>\n");
    }
    if labels {
        s.push_str(r##"<g class="prefixes" font-size="7" fill="#555" text-anchor="middle">"##);
        s.push('\n');
        // Along the link, upright; a clique's diameters all cross the centre, so its labels
        // sit a third of the way from the lower-numbered end.
        let t = if lab.topology.shape == Shape::Clique { 0.3 } else { 0.5 };
        // A big ring's links are shorter than their labels: those stand outside the circle,
        // pointing away from its centre.
        let n = lab.routers.len() as f64;
        let (cx, cy) = (0..lab.routers.len())
            .map(at)
            .fold((0.0, 0.0), |(x, y), (a, b)| (x + a / n, y + b / n));
        let radial = lab.topology.shape == Shape::Ring && lab.routers.len() > 12;
        for l in &lab.links {
            let ((x1, y1), (x2, y2)) = (at(l.a), at(l.b));
            if radial {
                let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
                let a = (my - cy).atan2(mx - cx);
                let r = (mx - cx).hypot(my - cy) + R + 4.0;
                let (px, py) = (cx + r * a.cos(), cy + r * a.sin());
                let deg = a.to_degrees();
                let (rot, anchor) = if deg.abs() <= 90.0 {
                    (deg, "start")
                } else {
                    (deg - 180.0, "end")
                };
                writeln!(
                    s,
                    r#"<text transform="translate({px:.1} {py:.1}) rotate({rot:.1})" y="3" text-anchor="{anchor}">{}</text>"#,
                    l.subnet()
                )
                .unwrap();
                continue;
            }
            if let Some(lift) = arc_lift(tiered, (x1, y1), (x2, y2)) {
                // A quadratic curve's midpoint is half way to its control point.
                writeln!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                    (x1 + x2) / 2.0,
                    y1 - lift / 2.0 - 3.0,
                    l.subnet()
                )
                .unwrap();
                continue;
            }
            let (mx, my) = (x1 + t * (x2 - x1), y1 + t * (y2 - y1));
            let mut angle = (y2 - y1).atan2(x2 - x1).to_degrees();
            if angle > 90.0 {
                angle -= 180.0;
            } else if angle <= -90.0 {
                angle += 180.0;
            }
            writeln!(
                s,
                r#"<text transform="translate({mx:.1} {my:.1}) rotate({angle:.1})" y="-3">{}</text>"#,
                l.subnet()
            )
            .unwrap();
        }
        s.push_str("</g>\n");
    }
    s.push_str(r##"<g class="routers" font-size="9" text-anchor="middle">"##);
    s.push('\n');
    for r in &lab.routers {
        let (x, y) = at(r.index);
        let st = states.get(r.index).copied().unwrap_or(State::Unknown);
        let stroke = if r.index == origin {
            "stroke=\"#08519c\" stroke-width=\"3\""
        } else {
            "stroke=\"#333\" stroke-width=\"1\""
        };
        writeln!(
            s,
            r#"<g class="router" data-router="{}" data-state="{}"><title>{} (AS {}): {}</title><circle cx="{x:.1}" cy="{y:.1}" r="{R}" fill="{}" {stroke}/><text x="{x:.1}" y="{:.1}">{}</text></g>"#,
            esc(&r.name),
            st.label(),
            esc(&r.name),
            r.asn,
            st.label(),
            st.colour(),
            y + 3.0,
            r.asn
        )
        .unwrap();
    }
    s.push_str("</g>\n");
    let (ox, oy) = at(origin);
    writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#08519c" text-anchor="middle">world {}</text>"##,
        ox,
        // Inside a big ring: its prefixes stand outside.
        if lab.topology.shape == Shape::Ring && lab.routers.len() > 12 {
            oy + R + 14.0
        } else {
            oy - R - 5.0
        },
        lab.stubs
            .iter()
            .map(|s| s.prefix.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    )
    .unwrap();
    writeln!(
        s,
        r##"<text x="20" y="{:.0}" font-size="10" fill="#555">{}</text>"##,
        h - 12.0,
        footer
    )
    .unwrap();
    s.push_str("</svg>\n");
    s
}

/// The same picture as Graphviz DOT (`neato`/`dot` lay it out).
pub fn dot(lab: &Lab, states: &[State]) -> String {
    let mut s = format!("graph \"{}\" {{\n", lab.name.replace('"', ""));
    writeln!(
        s,
        "  node [shape=circle style=filled fontname=\"sans-serif\" fontsize=10];"
    )
    .unwrap();
    writeln!(s, "  edge [fontsize=8 color=\"#888888\"];").unwrap();
    for r in &lab.routers {
        let st = states.get(r.index).copied().unwrap_or(State::Unknown);
        let extra = if r.index == lab.origin() {
            " penwidth=3 color=\"#08519c\""
        } else {
            ""
        };
        writeln!(
            s,
            "  \"{}\" [label=\"{}\\nAS{}\" fillcolor=\"{}\" tooltip=\"{}\"{extra}];",
            r.name,
            r.name,
            r.asn,
            st.colour(),
            st.label()
        )
        .unwrap();
    }
    for (p, l) in lab.links.iter().enumerate() {
        writeln!(
            s,
            "  \"{}\" -- \"{}\" [label=\"{}\"{}];",
            lab.routers[l.a].name,
            lab.routers[l.b].name,
            subnets(l),
            if rel_of(lab, p) == Some(Rel::P2p) {
                " style=dashed"
            } else {
                ""
            }
        )
        .unwrap();
    }
    // A LAN is a node of its own (a box), joined to each member. "lan:" keeps its name
    // apart from the routers'.
    for l in &lab.lans {
        writeln!(
            s,
            "  \"lan:{}\" [shape=box label=\"{}\\n{}\" fillcolor=\"#fff7bc\" tooltip=\"LAN\"];",
            l.name,
            l.name,
            l.subnets_label().replace(' ', "\\n")
        )
        .unwrap();
        for &m in &l.members {
            writeln!(s, "  \"{}\" -- \"lan:{}\";", lab.routers[m].name, l.name).unwrap();
        }
    }
    s.push_str("}\n");
    s
}

/// In a picture by tier, a link between two routers of one row that are not side by side
/// would run through the routers between them: it is drawn as an arc above the row instead,
/// its control point this far up (its apex half as far, within the margin).
fn arc_lift(tiered: bool, (x1, y1): (f64, f64), (x2, y2): (f64, f64)) -> Option<f64> {
    let dx = (x2 - x1).abs();
    (tiered && (y1 - y2).abs() < 1e-6 && dx > GAP * 0.6 * 1.5).then(|| (dx * 0.3).min(100.0))
}

/// The relationship of link position `p`, if the lab has relationships.
fn rel_of(lab: &Lab, p: usize) -> Option<Rel> {
    lab.policy.rels.get(p).copied().flatten()
}

/// The lab as data (`graph --format json`): `routers` (name, asn, suite; in internet labs
/// also the AS's own `prefix`; with relationships the `tier` the SVG draws it on; in a
/// running lab its `state`), `links` (a, b, rel — null without relationships —, `prefix`:
/// the link's IPv4 subnet, its IPv6 one in an IPv6-only lab, plus `prefix_v6` in dual-stack
/// labs) and `lans` (name, prefix, routers), in the lab's order.
pub fn json(lab: &Lab, states: &[State]) -> String {
    use serde::Serialize;
    // Structs rather than `json!`, so that the keys keep this order in the file.
    #[derive(Serialize)]
    struct Router<'a> {
        name: &'a str,
        asn: u32,
        suite: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        tier: Option<usize>,
        #[serde(skip_serializing_if = "Option::is_none")]
        state: Option<&'static str>,
    }
    #[derive(Serialize)]
    struct Link<'a> {
        a: &'a str,
        b: &'a str,
        rel: Option<&'static str>,
        prefix: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        prefix_v6: Option<String>,
    }
    #[derive(Serialize)]
    struct Lan<'a> {
        name: &'a str,
        prefix: String,
        routers: Vec<&'a str>,
    }
    #[derive(Serialize)]
    struct Graph<'a> {
        name: &'a str,
        routers: Vec<Router<'a>>,
        links: Vec<Link<'a>>,
        lans: Vec<Lan<'a>>,
    }
    let tier = tiers(lab);
    let name = |r: usize| lab.routers[r].name.as_str();
    let g = Graph {
        name: lab.name.as_str(),
        routers: lab
            .routers
            .iter()
            .map(|r| Router {
                name: &r.name,
                asn: r.asn,
                suite: r.suite.name(),
                prefix: lab.policy.prefixes.get(r.index).map(|p| p.to_string()),
                tier: tier.as_ref().map(|t| t[r.index]),
                state: states.get(r.index).filter(|&&s| s != State::Unknown).map(|s| s.label()),
            })
            .collect(),
        links: lab
            .links
            .iter()
            .enumerate()
            .map(|(p, l)| Link {
                a: name(l.a),
                b: name(l.b),
                rel: rel_of(lab, p).map(Rel::name),
                prefix: l.nets[0].subnet.to_string(),
                prefix_v6: l.nets[1..]
                    .iter()
                    .find(|n| n.subnet.addr().is_ipv6())
                    .map(|n| n.subnet.to_string()),
            })
            .collect(),
        lans: lab
            .lans
            .iter()
            .map(|l| Lan {
                name: &l.name,
                prefix: l.subnet.to_string(),
                routers: l.members.iter().map(|&m| name(m)).collect(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&g).expect("JSON of strings and numbers");
    text.push('\n');
    text
}

/// A link's subnets in every family of the lab ("172.31.1.0/24 2001:db8:31:1::/64"); an
/// IPv6-only lab's links carry their IPv6 /64 only.
fn subnets(l: &crate::config::plan::LinkPlan) -> String {
    l.nets
        .iter()
        .map(|n| n.subnet.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Overrides};

    fn lab(n: usize, topo: &str) -> Lab {
        let t = format!("name = \"d\"\nrouters = {n}\n[topology]\n{topo}\n");
        config::validate("t.toml", config::parse("t.toml", &t).unwrap(), &Overrides::default()).unwrap()
    }

    fn distinct(pos: &[(f64, f64)]) -> bool {
        pos.iter()
            .enumerate()
            .all(|(i, a)| pos[i + 1..].iter().all(|b| (a.0 - b.0).hypot(a.1 - b.1) >= 2.0 * R))
    }

    #[test]
    fn every_shape_places_routers_apart() {
        for (n, t) in [
            (100, "shape = \"chain\""),
            (100, "shape = \"ring\""),
            (20, "shape = \"star\""),
            (63, "shape = \"tree\""),
            (100, "shape = \"grid\"\nrows = 10\ncols = 10"),
            (32, "shape = \"clique\""),
        ] {
            let l = lab(n, t);
            let p = layout(&l);
            assert_eq!(p.len(), n);
            assert!(distinct(&p), "{t}: routers overlap");
        }
        // The chain snakes: consecutive routers stay one gap apart.
        let p = layout(&lab(100, "shape = \"chain\""));
        for w in p.windows(2) {
            assert!(((w[0].0 - w[1].0).hypot(w[0].1 - w[1].1) - GAP).abs() < 1e-6);
        }
    }

    #[test]
    fn svg_and_dot_carry_states_asns_and_prefixes() {
        let l = lab(6, "shape = \"ring\"");
        let mut st = vec![State::Converged; 6];
        st[2] = State::Dead;
        st[3] = State::NotConverged;
        let s = svg(&l, &st);
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(s.matches("class=\"router\"").count(), 6);
        assert_eq!(s.matches("<line ").count(), 6);
        assert!(s.contains(">105</text>"), "AS on the node");
        assert!(s.contains(">172.31.0.4/30</text>"), "prefix on the link");
        assert!(s.contains("rotate("), "along the link");
        assert!(s.contains("data-state=\"daemon dead\"") && s.contains("#de2d26"));
        assert!(s.contains("data-state=\"not converged\""));
        // Well-formed enough: every element closed.
        let opens = s.matches('<').count();
        let closes = s.matches("/>").count() + s.matches("</").count();
        assert_eq!(opens, closes + s.matches("</").count());
        let d = dot(&l, &st);
        assert!(d.starts_with("graph \"d\" {"));
        assert_eq!(d.matches(" -- ").count(), 6);
        assert!(
            d.contains("\"ROUTER_5\" -- \"ROUTER_0\" [label=\"172.31.0.24/30\"]"),
            "{d}"
        );
        assert!(d.contains("AS105"));
        // A big clique keeps its prefixes in tooltips.
        let k = lab(32, "shape = \"clique\"");
        let s = svg(&k, &[State::Unknown; 32]);
        assert!(!s.contains("class=\"prefixes\"") && s.contains("hover over a link"));
        assert_eq!(s.matches("<line ").count(), 496);
    }

    #[test]
    fn a_lan_is_drawn_as_a_node_joined_to_its_members() {
        let l = lab(
            5,
            "shape = \"file\"\n[[topology.link]]\na = 3\nb = 4\n[[topology.lan]]\nname = \"ix1\"\nrouters = [0, 1, 2, 3]",
        );
        let s = svg(&l, &[]);
        assert_eq!(s.matches("class=\"lan\"").count(), 1);
        assert!(
            s.contains("data-lan=\"ix1\"") && s.contains(">172.31.0.8/29</text>"),
            "{s}"
        );
        // One line for the link, one per member to the LAN's box.
        assert_eq!(s.matches("<line ").count(), 5);
        assert!(s.contains("5 routers, 1 links, 1 LAN (file)"));
        let d = dot(&l, &[]);
        assert!(
            d.contains("\"lan:ix1\" [shape=box label=\"ix1\\n172.31.0.8/29\""),
            "{d}"
        );
        assert_eq!(d.matches(" -- \"lan:ix1\"").count(), 4);
        // The box is off every router.
        let pos = layout(&l);
        let lp = lan_layout(&l, &pos);
        assert!(pos.iter().all(|p| (p.0 - lp[0].0).hypot(p.1 - lp[0].1) >= 2.0 * R));
        // Two routers in a row with the LAN's centroid on the one between them.
        let c = lab(3, "shape = \"chain\"\n[[topology.lan]]\nname = \"s\"\nrouters = [0, 2]");
        let pos = layout(&c);
        let lp = lan_layout(&c, &pos);
        assert!(
            pos.iter().all(|p| (p.0 - lp[0].0).hypot(p.1 - lp[0].1) >= 2.0 * R),
            "{lp:?} {pos:?}"
        );
    }

    /// Tier-1 peers 0 and 1; 2 under 0, 3 under 1 and 2 (so tier 2), 2 and 1 peering too.
    const RELS: &str = "shape = \"file\"\n[[topology.link]]\na = 0\nb = 1\nrel = \"p2p\"\n[[topology.link]]\na = 0\nb = 2\nrel = \"p2c\"\n[[topology.link]]\na = 1\nb = 3\nrel = \"p2c\"\n[[topology.link]]\na = 2\nb = 3\nrel = \"p2c\"\n[[topology.link]]\na = 2\nb = 1\nrel = \"p2p\"";

    /// The centre of every router's circle in the SVG, by router name.
    fn centres(svg: &str) -> std::collections::HashMap<String, (f64, f64)> {
        let num = |g: &str, attr: &str| -> f64 {
            let i = g.find(&format!(" {attr}=\"")).unwrap() + attr.len() + 3;
            g[i..].split('"').next().unwrap().parse().unwrap()
        };
        svg.lines()
            .filter(|l| l.starts_with("<g class=\"router\""))
            .map(|g| {
                let name = g.split("data-router=\"").nth(1).unwrap().split('"').next().unwrap();
                (name.to_string(), (num(g, "cx"), num(g, "cy")))
            })
            .collect()
    }

    #[test]
    fn relationship_labs_are_drawn_by_tier_with_dashed_peerings() {
        let l = lab(4, RELS);
        assert_eq!(tiers(&l), Some(vec![0, 0, 1, 2]));
        let s = svg(&l, &[]);
        let c = centres(&s);
        for (p, cu) in [(0, 2), (1, 3), (2, 3)] {
            let (p, cu) = (format!("ROUTER_{p}"), format!("ROUTER_{cu}"));
            assert!(c[&p].1 < c[&cu].1, "provider {p} above customer {cu}: {c:?}");
        }
        assert_eq!(c["ROUTER_0"].1, c["ROUTER_1"].1, "tier-1 on one row");
        let lines: Vec<&str> = s
            .lines()
            .filter(|l| l.starts_with("<line ") || l.starts_with("<path "))
            .collect();
        assert_eq!(lines.len(), 5);
        let dashed: Vec<&&str> = lines.iter().filter(|l| l.contains("stroke-dasharray")).collect();
        assert_eq!(dashed.len(), 2, "{dashed:?}");
        assert!(dashed.iter().all(|l| l.contains("(peers)")), "{dashed:?}");
        assert!(s.contains("dashed: peers"));
        assert!(distinct(&layout(&l)));
        assert_eq!(dot(&l, &[]).matches("style=dashed").count(), 2);
        // Labs without relationships keep their shapes' layouts, no dashes.
        let plain = svg(&lab(6, "shape = \"ring\""), &[]);
        assert!(!plain.contains("stroke-dasharray") && !plain.contains("by tier"));
        assert_eq!(tiers(&lab(6, "shape = \"ring\"")), None);
        // A generated internet: every p2c link drawn downwards, peers dashed.
        let l = lab(60, "shape = \"internet\"\nseed = 7");
        let s = svg(&l, &[]);
        let c = centres(&s);
        let links = l.graph.links();
        for (k, &(a, b)) in links.iter().enumerate() {
            let (na, nb) = (&l.routers[a].name, &l.routers[b].name);
            if l.policy.rels[k] == Some(Rel::P2c) {
                assert!(c[na].1 < c[nb].1, "{na} above {nb}");
            }
        }
        let p2p = l.policy.rels.iter().filter(|r| **r == Some(Rel::P2p)).count();
        assert_eq!(s.matches("stroke-dasharray").count(), p2p);
        assert!(distinct(&layout(&l)));
    }

    #[test]
    fn json_has_routers_and_links_with_rel_and_prefix() {
        let l = lab(4, RELS);
        let v: serde_json::Value = serde_json::from_str(&json(&l, &[State::Converged; 4])).unwrap();
        let routers = v["routers"].as_array().unwrap();
        let links = v["links"].as_array().unwrap();
        assert_eq!((routers.len(), links.len()), (4, 5));
        assert_eq!(routers[3]["name"], "ROUTER_3");
        assert_eq!(routers[3]["asn"], 103);
        assert_eq!(routers[3]["suite"], "frr");
        assert_eq!(routers[3]["tier"], 2);
        assert_eq!(routers[3]["prefix"], "198.18.3.0/24");
        assert_eq!(routers[0]["state"], "converged");
        assert_eq!(links[1]["a"], "ROUTER_0");
        assert_eq!(links[1]["b"], "ROUTER_2");
        assert_eq!(links[1]["rel"], "p2c");
        assert_eq!(links[0]["rel"], "p2p");
        assert_eq!(links[1]["prefix"], l.links[1].nets[0].subnet.to_string());
        assert!(links[0].get("prefix_v6").is_none());
        assert_eq!(v["lans"].as_array().unwrap().len(), 0);
        // Without relationships: rel null, no tier, no own prefix; dual-stack adds prefix_v6;
        // a LAN is listed with its members.
        let d = lab(
            5,
            "shape = \"file\"\n[[topology.link]]\na = 3\nb = 4\n[[topology.lan]]\nname = \"ix\"\nrouters = [0, 1, 2, 3]",
        );
        let v: serde_json::Value = serde_json::from_str(&json(&d, &[])).unwrap();
        assert!(v["links"][0]["rel"].is_null());
        assert!(v["routers"][0].get("tier").is_none() && v["routers"][0].get("state").is_none());
        assert_eq!(v["lans"][0]["routers"].as_array().unwrap().len(), 4);
        assert_eq!(v["lans"][0]["prefix"], "172.31.0.8/29");
        assert_eq!(v["lans"][0]["name"], "ix");
        let t = "name = \"d\"\nrouters = 2\n[addressing]\nfamily = \"dual\"\n";
        let dual = config::validate("t.toml", config::parse("t.toml", t).unwrap(), &Overrides::default()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json(&dual, &[])).unwrap();
        assert_eq!(v["links"][0]["prefix"], dual.links[0].nets[0].subnet.to_string());
        assert!(v["links"][0]["prefix_v6"].as_str().unwrap().starts_with("2001:db8:31:"));
    }

    #[test]
    fn drawing_is_deterministic() {
        let l = lab(12, "shape = \"file\"\n[[topology.link]]\na = 0\nb = 1\n[[topology.link]]\na = 1\nb = 2\n[[topology.link]]\na = 0\nb = 3\n[[topology.link]]\na = 3\nb = 4\n[[topology.link]]\na = 4\nb = 5\n[[topology.link]]\na = 2\nb = 6\n[[topology.link]]\na = 6\nb = 7\n[[topology.link]]\na = 7\nb = 8\n[[topology.link]]\na = 8\nb = 9\n[[topology.link]]\na = 9\nb = 10\n[[topology.link]]\na = 10\nb = 11\n[[topology.link]]\na = 11\nb = 5");
        assert_eq!(svg(&l, &[]), svg(&l, &[]));
        assert!(distinct(&layout(&l)));
    }
}
