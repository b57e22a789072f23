//! Results of an experiment: `events.csv`, `summary.json` and `propagation.svg`.

use super::stats;
use serde::Serialize;
use std::fmt::Write;

/// One FIB change at one router.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub run: usize,
    pub router: String,
    pub index: usize,
    pub hop: usize,
    /// `arrival` or `departure`.
    pub event: &'static str,
    /// Milliseconds since the action of the step it followed.
    pub t_ms: f64,
    /// Step (0-based) whose action it followed.
    pub step: usize,
}

pub fn events_csv(events: &[Event]) -> String {
    let mut s = String::from("run,router,hop,event,t_ms\n");
    for e in events {
        writeln!(s, "{},{},{},{},{:.3}", e.run, e.router, e.hop, e.event, e.t_ms).unwrap();
    }
    s
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RouterSummary {
    pub router: String,
    pub hop: usize,
    pub median_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub missing_runs: usize,
    /// After a hijack or a leak: the route the router took once the step settled, read from
    /// its daemon (`victim`, `hijacker`, `leak`, `none`), and the one the policy predicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub took: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted: Option<&'static str>,
}

/// `summary.json`. Field names are a contract (see README).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub experiment: String,
    pub lab: String,
    pub runs: usize,
    pub frr_version: String,
    /// BIRD's version when the lab has BIRD routers, else null.
    pub bird_version: Option<String>,
    pub kernel: String,
    pub measure: String,
    pub event: String,
    pub measured_step: usize,
    pub per_router: Vec<RouterSummary>,
    pub total_median_ms: Option<f64>,
    pub per_hop_median_ms: Option<f64>,
    /// After a hijack or a leak: the routers whose `took` is `hijacker` or `leak`, over all
    /// routers but the hijacker (or leaker) and the victim; the same by the prediction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polluted_fraction: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_polluted_fraction: Option<f64>,
    /// Median over the polluted routers with a FIB change of their median switch time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_pollute_ms: Option<f64>,
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A router the measured step should change, and how: `arrival`, `departure`, or `reroute`
/// (keeps the prefix but must re-learn it along another path).
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    pub index: usize,
    pub name: String,
    pub hop: usize,
    pub kind: &'static str,
}

/// When router `x` showed its change in run `run` of step `step`: its first arrival (when it
/// could first reach the prefix), its last departure (when it lost it for good: after a
/// withdrawal in a mesh, routers lose it, find a longer path, lose that … — path
/// exploration), or for a reroute its last arrival or next-hop change (when it settled on its
/// new path). On a chain each router changes once per step and all three are that change.
pub fn time_of(events: &[Event], run: usize, step: usize, x: &Expect) -> Option<f64> {
    let mine = events
        .iter()
        .filter(|e| e.run == run && e.index == x.index && e.step == step);
    match x.kind {
        "reroute" => mine
            .filter(|e| e.event == "arrival" || e.event == "reroute")
            .map(|e| e.t_ms)
            .reduce(f64::max),
        "departure" => mine.filter(|e| e.event == "departure").map(|e| e.t_ms).reduce(f64::max),
        kind => mine.filter(|e| e.event == kind).map(|e| e.t_ms).reduce(f64::min),
    }
}

/// Per-router statistics over runs for the routers expected to change in the measured step.
pub fn per_router(events: &[Event], expected: &[Expect], runs: usize, step: usize) -> Vec<RouterSummary> {
    expected
        .iter()
        .map(|x| {
            let times: Vec<f64> = (0..runs).filter_map(|run| time_of(events, run, step, x)).collect();
            RouterSummary {
                router: x.name.clone(),
                hop: x.hop,
                median_ms: stats::median(&times).map(r3),
                p95_ms: stats::percentile(&times, 95.0).map(r3),
                min_ms: times.iter().copied().reduce(f64::min).map(r3),
                max_ms: times.iter().copied().reduce(f64::max).map(r3),
                missing_runs: runs - times.len(),
                took: None,
                predicted: None,
            }
        })
        .collect()
}

/// The expected routers that recorded no event in some runs, with those runs (0-based).
pub fn missing(events: &[Event], expected: &[Expect], runs: usize, step: usize) -> Vec<(String, Vec<usize>)> {
    expected
        .iter()
        .filter_map(|x| {
            let gone: Vec<usize> = (0..runs)
                .filter(|&run| time_of(events, run, step, x).is_none())
                .collect();
            (!gone.is_empty()).then(|| (x.name.clone(), gone))
        })
        .collect()
}

/// Median time of the farthest router with data, and the slope of medians against hop.
pub fn totals(per: &[RouterSummary]) -> (Option<f64>, Option<f64>) {
    let total = per
        .iter()
        .filter(|r| r.median_ms.is_some())
        .max_by_key(|r| r.hop)
        .and_then(|r| r.median_ms);
    let pts: Vec<(f64, f64)> = per.iter().filter_map(|r| Some((r.hop as f64, r.median_ms?))).collect();
    (total, stats::fit(&pts).map(|(a, _)| r3(a)))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Arrival (or departure) time against hop: one grey dot per router and run, one grey line
/// per run and the median in red. Several routers share a hop on most graphs: the lines go
/// through the last router of each hop (when that hop was done). `runs[i]` holds (hop, t_ms)
/// points of run i, `median` (hop, median ms) per router.
pub fn svg(title: &str, kind: &str, runs: &[Vec<(usize, f64)>], median: &[(usize, f64)]) -> String {
    let (w, h, ml, mr, mt, mb) = (800.0, 480.0, 70.0, 20.0, 40.0, 60.0);
    let max_hop = runs
        .iter()
        .flatten()
        .chain(median)
        .map(|p| p.0)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let max_t = runs
        .iter()
        .flatten()
        .chain(median)
        .map(|p| p.1)
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.05;
    // A few hops (a clique: everyone at hop 1) get room on both sides.
    let (lo, hi) = if max_hop < 5.0 {
        (-0.5, max_hop + 0.5)
    } else {
        (0.0, max_hop)
    };
    let x = |hop: f64| ml + (hop - lo) / (hi - lo) * (w - ml - mr);
    let y = |t: f64| h - mb - t / max_t * (h - mt - mb);
    let mut s = String::new();
    writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    )
    .unwrap();
    writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#).unwrap();
    writeln!(
        s,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
        w / 2.0,
        esc(title)
    )
    .unwrap();
    // Axes with five ticks each.
    writeln!(
        s,
        r#"<g stroke="black"><line x1="{ml}" y1="{}" x2="{}" y2="{}"/><line x1="{ml}" y1="{mt}" x2="{ml}" y2="{}"/></g>"#,
        h - mb,
        w - mr,
        h - mb,
        h - mb
    )
    .unwrap();
    // Hops are whole numbers: about five ticks.
    let step = (max_hop / 5.0).ceil().max(1.0) as usize;
    for hv in (0..=max_hop as usize).step_by(step) {
        writeln!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{hv}</text>"#,
            x(hv as f64),
            h - mb + 18.0
        )
        .unwrap();
    }
    for i in 0..=5 {
        let tv = max_t * i as f64 / 5.0;
        writeln!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{:.0}</text>"#,
            ml - 6.0,
            y(tv) + 4.0,
            tv
        )
        .unwrap();
    }
    writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">hop (routers away from the change)</text>"#,
        (ml + w - mr) / 2.0,
        h - 15.0
    )
    .unwrap();
    writeln!(
        s,
        r#"<text transform="translate(18 {}) rotate(-90)" text-anchor="middle">{} time since the action (ms)</text>"#,
        (mt + h - mb) / 2.0,
        esc(kind)
    )
    .unwrap();
    let line = |pts: &[(usize, f64)]| {
        let mut last: std::collections::BTreeMap<usize, f64> = std::collections::BTreeMap::new();
        for &(hp, t) in pts {
            let slot = last.entry(hp).or_insert(t);
            *slot = slot.max(t);
        }
        last.iter()
            .map(|(hp, t)| format!("{:.1},{:.1}", x(*hp as f64), y(*t)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let shared = runs.iter().any(|r| {
        let mut hops: Vec<usize> = r.iter().map(|p| p.0).collect();
        let n = hops.len();
        hops.sort();
        hops.dedup();
        hops.len() < n
    });
    if shared {
        s.push_str(r##"<g class="routers" fill="#8c8c8c" fill-opacity="0.6">"##);
        // Each run a little apart, so runs at one hop stay distinguishable.
        let spread = |i: usize| (i as f64 - (runs.len() as f64 - 1.0) / 2.0) * 4.0;
        for (i, r) in runs.iter().enumerate() {
            for &(hp, t) in r {
                write!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5"/>"#,
                    x(hp as f64) + spread(i),
                    y(t)
                )
                .unwrap();
            }
        }
        s.push_str("</g>\n");
        s.push_str(r##"<g class="medians" fill="#d62728">"##);
        for &(hp, t) in median {
            write!(s, r#"<circle cx="{:.1}" cy="{:.1}" r="3.5"/>"#, x(hp as f64), y(t)).unwrap();
        }
        s.push_str("</g>\n");
    }
    for (i, r) in runs.iter().enumerate() {
        writeln!(
            s,
            r##"<polyline class="run" data-run="{i}" fill="none" stroke="#8c8c8c" stroke-opacity="0.7" stroke-width="1" points="{}"/>"##,
            line(r)
        )
        .unwrap();
    }
    writeln!(
        s,
        r##"<polyline class="median" fill="none" stroke="#d62728" stroke-width="3" points="{}"/>"##,
        line(median)
    )
    .unwrap();
    writeln!(
        s,
        r##"<g font-size="12"><line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#8c8c8c"/><text x="{3}" y="{4}">each run ({5})</text><line x1="{0}" y1="{6}" x2="{2}" y2="{6}" stroke="#d62728" stroke-width="3"/><text x="{3}" y="{7}">median</text></g>"##,
        ml + 15.0,
        mt + 10.0,
        ml + 45.0,
        ml + 50.0,
        mt + 14.0,
        runs.len(),
        mt + 28.0,
        mt + 32.0
    )
    .unwrap();
    s.push_str("</svg>\n");
    s
}

/// `YYYYmmdd-HHMMSS` (UTC) for results directory names.
pub fn timestamp(unix_s: u64) -> String {
    let days = (unix_s / 86400) as i64;
    let secs = unix_s % 86400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(run: usize, index: usize, t: f64) -> Event {
        Event {
            run,
            router: format!("R{index}"),
            index,
            hop: index,
            event: "arrival",
            t_ms: t,
            step: 0,
        }
    }

    #[test]
    fn csv_has_the_contract_header() {
        let s = events_csv(&[ev(0, 1, 55.25), ev(1, 2, 110.0)]);
        assert_eq!(
            s,
            "run,router,hop,event,t_ms\n0,R1,1,arrival,55.250\n1,R2,2,arrival,110.000\n"
        );
    }

    #[test]
    fn per_router_stats_and_missing_runs() {
        let events = vec![
            ev(0, 1, 50.0),
            ev(1, 1, 70.0),
            ev(2, 1, 60.0),
            ev(0, 2, 120.0),
            ev(2, 2, 100.0),
        ];
        let x = |i: usize, kind: &'static str| Expect {
            index: i,
            name: format!("R{i}"),
            hop: i,
            kind,
        };
        let exp = vec![x(1, "arrival"), x(2, "arrival")];
        let per = per_router(&events, &exp, 3, 0);
        assert_eq!(per[0].median_ms, Some(60.0));
        assert_eq!(
            (per[0].min_ms, per[0].max_ms, per[0].p95_ms),
            (Some(50.0), Some(70.0), Some(70.0))
        );
        assert_eq!(per[0].missing_runs, 0);
        assert_eq!((per[1].median_ms, per[1].missing_runs), (Some(110.0), 1));
        let (total, slope) = totals(&per);
        assert_eq!(total, Some(110.0));
        assert_eq!(slope, Some(50.0));
        // Another kind or step is not counted.
        assert_eq!(per_router(&events, &exp, 3, 1)[0].missing_runs, 3);
        assert_eq!(per_router(&events, &[x(1, "departure")], 3, 0)[0].missing_runs, 3);
        // A reroute is timed by the last arrival or next-hop change: when it settled.
        let mut re = vec![ev(0, 1, 10.0), ev(0, 1, 40.0)];
        re[1].event = "reroute";
        re.push(Event {
            event: "departure",
            t_ms: 5.0,
            ..ev(0, 1, 0.0)
        });
        assert_eq!(time_of(&re, 0, 0, &x(1, "reroute")), Some(40.0));
        assert_eq!(time_of(&re, 0, 0, &x(1, "departure")), Some(5.0));
        // Path exploration: lost, found again, lost for good; the last departure counts.
        let mut px = vec![ev(0, 1, 100.0), ev(0, 1, 5000.0), ev(0, 1, 900.0)];
        px[0].event = "departure";
        px[1].event = "departure";
        assert_eq!(time_of(&px, 0, 0, &x(1, "departure")), Some(5000.0));
        assert_eq!(time_of(&px, 0, 0, &x(1, "arrival")), Some(900.0));
    }

    #[test]
    fn svg_is_well_formed_with_one_line_per_run_and_a_median() {
        let runs = vec![
            vec![(0, 0.1), (1, 50.0), (2, 100.0)],
            vec![(0, 0.2), (1, 60.0), (2, 115.0)],
        ];
        let median = vec![(0, 0.15), (1, 55.0), (2, 107.5)];
        let s = svg("t <&> x", "arrival", &runs, &median);
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches("class=\"run\"").count(), 2);
        assert_eq!(s.matches("class=\"median\"").count(), 1);
        assert!(s.contains("t &lt;&amp;&gt; x") && s.contains("(ms)") && s.contains("hop"));
        // Every element opened is closed: a cheap well-formedness check.
        let opens = s.matches('<').count();
        let closes = s.matches("/>").count() + s.matches("</").count();
        assert_eq!(opens, closes + s.matches("</").count(), "{s}");
    }

    #[test]
    fn svg_puts_several_routers_on_one_hop() {
        // Two routers at hop 1 (a ring's two neighbours of the origin): a dot each, and the
        // run's line goes through the later one.
        let runs = vec![vec![(1, 50.0), (1, 70.0), (2, 110.0)]];
        let s = svg("ring", "arrival", &runs, &[(1, 50.0), (1, 70.0), (2, 110.0)]);
        assert_eq!(
            s.matches("<circle").count(),
            3 + 3,
            "a dot per router and run, and per median"
        );
        let run = s.lines().find(|l| l.contains("class=\"run\"")).unwrap();
        assert_eq!(run.matches(',').count(), 2, "{run}");
        // One router per hop (the chain): no dots, as before.
        assert_eq!(
            svg("c", "arrival", &[vec![(1, 1.0), (2, 2.0)]], &[])
                .matches("<circle")
                .count(),
            0
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0), "19700101-000000");
        assert_eq!(timestamp(1_795_488_459), "20261124-024739");
        assert_eq!(timestamp(951_782_400), "20000229-000000");
    }
}
