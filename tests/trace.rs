//! The data plane proves what the control plane claims: traceroutes across real labs of 10
//! and 70 routers (the latter needs the raised `ip_default_ttl`: replies from more than 64
//! hops away would otherwise die on the way back).

mod common;
use common::*;
use serde_json::Value;

fn trace_json(lab: &TestLab, from: &str, to: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let mut args = vec!["trace", "--lab", &lab.name, "--from", from, "--to", to, "--json"];
    args.extend(extra);
    let out = nsbgp(&args);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), v, text(&out))
}

#[test]
fn ten_routers_trace_and_check() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("trc", 10, "");
    lab.up_wait(120, &[]);
    let far = lab.router(9);

    let (code, v, all) = trace_json(&lab, &far, "world", &["--expect-hops", "9"]);
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(v["from"], far.as_str());
    assert_eq!(v["to"], "world");
    assert_eq!(v["target_addr"], "198.51.100.1");
    assert_eq!(v["reached"], true);
    assert_eq!(v["hop_count"], 9);
    assert_eq!(v["expected_hops"], 9);
    let routers: Vec<&str> = v["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["router"].as_str().unwrap())
        .collect();
    let want: Vec<String> = (0..9).rev().map(|i| lab.router(i)).collect();
    assert_eq!(routers, want, "hops should be ROUTER_8 … ROUTER_0 in order");
    for (i, h) in v["hops"].as_array().unwrap().iter().enumerate() {
        assert_eq!(h["ttl"], i as u64 + 1);
        assert!(h["rtt_ms"].as_f64().is_some(), "{h}");
    }

    // A wrong expectation fails with exit 1.
    let (code, v, all) = trace_json(&lab, &far, "world", &["--expect-hops", "8"]);
    assert_eq!(code, Some(1), "{all}");
    assert_eq!(v["hop_count"], 9);

    // Router targets: |k - j| hops; by name, index and AS.
    let (code, v, all) = trace_json(&lab, "2", "AS107", &[]);
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(v["hop_count"], 5);
    assert_eq!(
        v["hops"].as_array().unwrap().last().unwrap()["router"],
        lab.router(7).as_str()
    );

    // Addresses outside the lab are never probed: exit 2.
    let (code, _, all) = trace_json(&lab, &far, "192.0.2.1", &[]);
    assert_eq!(code, Some(2), "{all}");
    assert!(all.contains("not an address of lab"), "{all}");

    // The suite passes, and its JSON agrees with its exit code.
    let out = nsbgp(&["check", "--lab", &lab.name, "--json"]);
    assert_ok(&out, "check");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["failed"], 0);
    assert_eq!(v["passed"], v["total"]);
    assert!(v["total"].as_u64().unwrap() >= 10 + 10, "{v}");
    let human = nsbgp(&["check", "--lab", &lab.name, "--sample", "3"]);
    assert_ok(&human, "check --sample 3");
    let human = stdout(&human);
    // Three sources, each with at least its trace to the world: every row passes.
    let rows = human.lines().filter(|l| l.ends_with("PASS")).count();
    assert!(rows >= 3, "{human}");
    assert_eq!(
        rows,
        human.lines().count() - 2,
        "header, rows, summary; all PASS:\n{human}"
    );
    assert!(
        human
            .lines()
            .last()
            .unwrap()
            .starts_with(&format!("check: {rows}/{rows} passed")),
        "{human}"
    );
}

#[test]
fn seventy_routers_far_end_reaches_world() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("t70", 70, "");
    lab.up_wait(120, &[]);
    let (code, v, all) = trace_json(&lab, &lab.router(69), "world", &["--expect-hops", "69"]);
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(v["reached"], true);
    assert_eq!(v["hop_count"], 69);
    // Replies from 65+ hops away made it back: every hop answered.
    assert!(
        v["hops"].as_array().unwrap().iter().all(|h| h["addr"].is_string()),
        "{v}"
    );
}
