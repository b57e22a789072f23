//! Human views of a lab's status: one line per router and a summary line; large labs get a
//! compact view (summary + routers that have not converged) unless every row is asked for.

use super::timeline::Timeline;
use super::{LabStatus, RouterStatus};
use std::fmt::Write;

/// Above this many routers the table shows only the routers that need attention.
pub const COMPACT_ABOVE: usize = 40;
/// At most this many problem rows in the compact view.
const COMPACT_ROWS: usize = 30;

fn daemons(r: &RouterStatus) -> String {
    r.daemons
        .iter()
        .map(|d| {
            if d.alive {
                d.name.clone()
            } else {
                format!("{}!", d.name.to_uppercase())
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn default_col(r: &RouterStatus) -> String {
    // IPv4's default where the lab has one, else (IPv6-only labs) IPv6's.
    let (has, len) = match r.has_default_v6 {
        Some(true) if !r.has_default => (true, r.default_v6_as_path_len),
        _ => (r.has_default, r.default_as_path_len),
    };
    match (r.origin, has, len) {
        (true, _, _) => "originated".into(),
        (_, true, Some(len)) => format!("yes, path {len}"),
        (_, true, None) => "yes".into(),
        (_, false, _) => "-".into(),
    }
}

/// An internet router's origins: reached of predicted, and the first one astray.
fn origins_col(o: &super::origins::Origins) -> String {
    let mut s = format!("{}/{}", o.reached, o.predicted);
    if let Some(m) = o.missing.first() {
        write!(s, " -{m}").unwrap();
    } else if let Some(u) = o.unexpected.first() {
        write!(s, " +{u}").unwrap();
    } else if o.error.is_some() {
        s = "unreadable".into();
    }
    s
}

fn converged_col(r: &RouterStatus) -> String {
    match (r.converged, r.converged_after_s) {
        (true, Some(t)) => format!("after {t:.1} s"),
        (true, None) => "yes".into(),
        (false, _) => format!("no: {}", r.problems.first().map_or("?", |s| s.as_str())),
    }
}

pub fn row(r: &RouterStatus) -> String {
    format!(
        "{:<14} {:>6}  {:<12} {:>5}  {:>8}  {:<13} {}",
        r.name,
        r.asn,
        daemons(r),
        format!("{}/{}", r.established, r.neighbors),
        r.prefixes_received,
        r.origins.as_ref().map_or_else(|| default_col(r), origins_col),
        converged_col(r)
    )
}

/// The header; an internet lab's routers show ORIGINS (reached/predicted) for DEFAULT.
pub fn header(internet: bool) -> String {
    format!(
        "{:<14} {:>6}  {:<12} {:>5}  {:>8}  {:<13} {}",
        "ROUTER",
        "AS",
        "DAEMONS",
        "SESS",
        "PREFIXES",
        if internet { "ORIGINS" } else { "DEFAULT" },
        "CONVERGED"
    )
}

pub fn summary(s: &LabStatus) -> String {
    let mut line = format!(
        "lab {}: converged {}/{} routers",
        s.lab, s.converged_routers, s.routers_total
    );
    match (s.converged, s.converged_after_s, &s.slowest_router) {
        (true, Some(t), Some(slow)) => write!(line, ", after {t:.1} s (slowest {slow})").unwrap(),
        (true, _, _) => line.push_str(" (converged)"),
        (false, _, _) => line.push_str(" (not converged)"),
    }
    let dead = s.routers.iter().filter(|r| !r.all_alive()).count();
    if dead > 0 {
        write!(line, "; {dead} router(s) with a daemon not running").unwrap();
    }
    // RSS, not use: pages KSM merged (merge_memory) count once in every daemon holding them.
    let rss: u64 = s.routers.iter().map(|r| r.rss_kb).sum();
    write!(
        line,
        "; daemons' RSS {:.0} MB; polled in {} ms",
        rss as f64 / 1024.0,
        s.poll_ms
    )
    .unwrap();
    line
}

/// The table: every row for small labs or with `all`; otherwise the rows that are not
/// converged (at most a screenful) and a hint.
pub fn table(s: &LabStatus, all: bool) -> String {
    let mut out = String::new();
    let compact = !all && s.routers.len() > COMPACT_ABOVE;
    let rows: Vec<&RouterStatus> = if compact {
        s.routers.iter().filter(|r| !r.converged).collect()
    } else {
        s.routers.iter().collect()
    };
    if !rows.is_empty() {
        writeln!(out, "{}", header(s.routers.iter().any(|r| r.origins.is_some()))).unwrap();
    }
    let shown = if compact { COMPACT_ROWS } else { usize::MAX };
    for r in rows.iter().take(shown) {
        writeln!(out, "{}", row(r)).unwrap();
    }
    if compact {
        if rows.len() > shown {
            writeln!(out, "… and {} more not converged", rows.len() - shown).unwrap();
        }
        writeln!(
            out,
            "({} routers: showing those not converged; `--all` shows every router)",
            s.routers.len()
        )
        .unwrap();
    }
    writeln!(out, "{}", summary(s)).unwrap();
    out
}

/// `status --timeline`: when each router's sessions came up, it had the default, converged.
pub fn timeline(t: &Timeline, all: bool) -> String {
    let f = |v: Option<f64>| v.map_or("-".to_string(), |s| format!("{s:.3}"));
    let mut out = format!(
        "{:<14} {:>12} {:>12} {:>12}\n",
        "ROUTER", "SESSIONS_S", "DEFAULT_S", "CONVERGED_S"
    );
    let n = t.routers.len();
    for (i, r) in t.routers.iter().enumerate() {
        // A long chain: the ends and every tenth router tell the story.
        if !all && n > COMPACT_ABOVE && i % 10 != 0 && i + 1 != n {
            continue;
        }
        writeln!(
            out,
            "{:<14} {:>12} {:>12} {:>12}",
            r.name,
            f(r.sessions_up_after_s),
            f(r.default_after_s),
            f(r.converged_after_s)
        )
        .unwrap();
    }
    if !all && n > COMPACT_ABOVE {
        out.push_str("(every 10th router shown; `--all` shows every router)\n");
    }
    match t.converged_after_s {
        Some(s) => writeln!(out, "lab converged {s:.3} s after `up` started").unwrap(),
        None => out.push_str("lab not (yet) seen converged\n"),
    }
    out
}

/// The message of `up --wait` when it gives up.
pub fn not_converged_report(s: &LabStatus, waited_s: f64) -> String {
    let mut out = format!(
        "lab {} did not converge within {waited_s:.0} s: {}/{} routers converged",
        s.lab, s.converged_routers, s.routers_total
    );
    let bad: Vec<&RouterStatus> = s.routers.iter().filter(|r| !r.converged).collect();
    for r in bad.iter().take(20) {
        write!(out, "\n  {}: {}", r.name, r.problems.join("; ")).unwrap();
    }
    if bad.len() > 20 {
        write!(out, "\n  … and {} more", bad.len() - 20).unwrap();
    }
    out.push_str("\nthe lab is still up: inspect it with `nsbgp status`, take it down with `nsbgp down`");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(i: usize, converged: bool) -> RouterStatus {
        RouterStatus {
            name: format!("ROUTER_{i}"),
            index: i,
            origin: i == 0,
            asn: 100 + i as u32,
            netns: format!("ROUTER_{i}"),
            suite: crate::config::Suite::Frr,
            daemons: vec![
                super::super::DaemonStatus {
                    name: "zebra".into(),
                    pid: Some(11),
                    alive: true,
                },
                super::super::DaemonStatus {
                    name: "bgpd".into(),
                    pid: Some(10),
                    alive: converged,
                },
            ],
            bgpd_pid: Some(10),
            zebra_pid: Some(11),
            bgpd_alive: Some(converged),
            zebra_alive: Some(true),
            neighbors: 2,
            established: if converged { 2 } else { 1 },
            prefixes_received: 7,
            bgp_routes: Some(5),
            bgp_routes_expected: 5,
            has_default: converged,
            default_as_path_len: converged.then_some(i as u32),
            default_nexthop: None,
            has_default_v6: None,
            default_v6_as_path_len: None,
            rss_kb: 1024,
            cpu_s: 0.1,
            converged,
            converged_after_s: converged.then_some(1.25),
            sessions_up_after_s: None,
            default_after_s: None,
            problems: if converged {
                vec![]
            } else {
                vec!["bgpd (pid 10) is dead".into()]
            },
            origins: None,
        }
    }

    fn status(n: usize, bad: &[usize]) -> LabStatus {
        let routers: Vec<RouterStatus> = (0..n).map(|i| router(i, !bad.contains(&i))).collect();
        LabStatus {
            lab: "t".into(),
            routers_total: n,
            converged: bad.is_empty(),
            converged_routers: n - bad.len(),
            converged_after_s: bad.is_empty().then_some(2.5),
            slowest_router: bad.is_empty().then(|| format!("ROUTER_{}", n - 1)),
            started_unix_ms: 0,
            polled_unix_ms: 0,
            poll_ms: 12,
            routers,
        }
    }

    #[test]
    fn small_lab_shows_every_row() {
        let t = table(&status(3, &[2]), false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 5, "{t}");
        assert!(
            lines[2].contains("yes, path 1") && lines[2].contains("after 1.2 s"),
            "{t}"
        );
        assert!(
            lines[3].contains("BGPD!") && lines[3].contains("no: bgpd (pid 10) is dead"),
            "{t}"
        );
        assert!(
            lines[4].starts_with("lab t: converged 2/3 routers (not converged); 1 router(s) with a daemon not running")
        );
    }

    #[test]
    fn large_lab_is_compact_unless_all() {
        let s = status(100, &[50, 99]);
        let t = table(&s, false);
        assert_eq!(t.lines().count(), 5, "{t}");
        assert!(t.contains("ROUTER_50 ") && t.contains("ROUTER_99 ") && !t.contains("ROUTER_1 "));
        assert_eq!(table(&s, true).lines().count(), 102);
        let ok = table(&status(100, &[]), false);
        assert!(
            ok.contains("converged 100/100 routers, after 2.5 s (slowest ROUTER_99)"),
            "{ok}"
        );
    }

    #[test]
    fn internet_labs_show_origins_for_the_default() {
        let mut s = status(3, &[]);
        let o = |reached, missing: &[&str], unexpected: &[&str]| super::super::origins::Origins {
            predicted: 2,
            reached,
            missing: missing.iter().map(|m| m.to_string()).collect(),
            unexpected: unexpected.iter().map(|m| m.to_string()).collect(),
            error: None,
        };
        s.routers[0].origins = Some(o(2, &[], &[]));
        s.routers[1].origins = Some(o(1, &["ROUTER_2"], &[]));
        s.routers[2].origins = Some(o(3, &[], &["ROUTER_0"]));
        let t = table(&s, false);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].contains("ORIGINS") && !lines[0].contains("DEFAULT"), "{t}");
        assert!(lines[1].contains(" 2/2 ") && !lines[1].contains("originated"), "{t}");
        assert!(lines[2].contains(" 1/2 -ROUTER_2 "), "{t}");
        assert!(lines[3].contains(" 3/2 +ROUTER_0 "), "{t}");
        let v = serde_json::to_value(&s.routers[1]).unwrap();
        assert_eq!(v["origins"]["missing"], serde_json::json!(["ROUTER_2"]));
        assert_eq!(v["origins"]["predicted"], 2);
        assert!(serde_json::to_value(&status(1, &[]).routers[0]).unwrap()["origins"].is_null());
    }

    #[test]
    fn timeout_report_names_routers_and_reasons() {
        let r = not_converged_report(&status(5, &[3]), 30.0);
        assert!(r.starts_with("lab t did not converge within 30 s: 4/5 routers converged"));
        assert!(r.contains("\n  ROUTER_3: bgpd (pid 10) is dead"));
    }
}
