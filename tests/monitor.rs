//! Convergence monitoring on a real 10-router lab: `up --wait`, `status --json` cross-checked
//! against FRR's own vtysh, a killed bgpd shown dead, `restart` and reconvergence, the timeline.

mod common;
use common::*;
use serde_json::Value;
use std::time::Duration;

fn status_json(lab: &TestLab) -> Value {
    let out = lab.on_lab(&["status", "--json"]);
    assert_ok(&out, "status --json");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("status --json is not JSON ({e}):\n{}", text(&out)))
}

#[test]
fn ten_routers_wait_status_kill_restart() {
    if !root_or_skip() {
        return;
    }
    let n = 10;
    let lab = TestLab::new("mon", n, "");
    let out = nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", "90"]);
    assert_ok(&out, "up --wait");
    assert!(
        stdout(&out).contains(&format!("converged {n}/{n} routers")),
        "{}",
        text(&out)
    );

    let st = status_json(&lab);
    assert_eq!(st["lab"], lab.name.as_str());
    assert_eq!(st["routers_total"], n);
    assert_eq!(st["converged"], true, "{st:#}");
    assert_eq!(st["converged_routers"], n);
    assert!(st["converged_after_s"].as_f64().is_some_and(|t| t > 0.0), "{st:#}");
    let routers = st["routers"].as_array().unwrap();
    assert_eq!(routers.len(), n);
    for (i, r) in routers.iter().enumerate() {
        let name = lab.router(i);
        assert_eq!(r["name"], name.as_str());
        assert_eq!(r["netns"], name.as_str());
        assert_eq!(r["asn"], 100 + i as u64);
        assert_eq!(r["bgpd_alive"], true);
        assert_eq!(r["zebra_alive"], true);
        assert!(r["bgpd_pid"].as_u64().is_some() && r["zebra_pid"].as_u64().is_some());
        assert!(r["rss_kb"].as_u64().unwrap() > 1000, "{r}");
        assert_eq!(r["converged"], true);
        let want_neighbors = if i == 0 || i == n - 1 { 1 } else { 2 };
        assert_eq!(r["neighbors"], want_neighbors);

        // Cross-check against FRR's own vtysh, which nsbgp's vty client does not share.
        let sum: Value = serde_json::from_str(&vtysh(&lab, &name, "show bgp summary json")).unwrap();
        let peers = sum["ipv4Unicast"]["peers"].as_object().unwrap();
        let est = peers.values().filter(|p| p["state"] == "Established").count();
        let pfx: u64 = peers.values().map(|p| p["pfxRcd"].as_u64().unwrap_or(0)).sum();
        assert_eq!(r["established"], est as u64, "{name}");
        assert_eq!(r["prefixes_received"], pfx, "{name}");
        let dflt: Value = serde_json::from_str(&vtysh(&lab, &name, "show ip bgp 0.0.0.0/0 json")).unwrap();
        // An IPv4 lab has no IPv6 default to report.
        assert!(
            r["has_default_v6"].is_null() && r["default_v6_as_path_len"].is_null(),
            "{r}"
        );
        if i == 0 {
            assert_eq!(r["has_default"], false);
            assert!(r["default_as_path_len"].is_null());
        } else {
            let best = dflt["paths"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["bestpath"]["overall"] == true)
                .unwrap_or_else(|| panic!("{name}: no best default in vtysh: {dflt}"));
            assert_eq!(best["aspath"]["length"], i as u64, "{name}: vtysh AS path");
            assert_eq!(r["default_as_path_len"], i as u64, "{name}");
            assert_eq!(r["has_default"], true);
        }
    }

    // The timeline was recorded by `up --wait`.
    let tl = lab.on_lab(&["status", "--timeline", "--json"]);
    assert_ok(&tl, "status --timeline --json");
    let tl: Value = serde_json::from_slice(&tl.stdout).unwrap();
    let far = &tl["routers"][n - 1];
    let (s, d, c) = (
        far["sessions_up_after_s"].as_f64().unwrap(),
        far["default_after_s"].as_f64().unwrap(),
        far["converged_after_s"].as_f64().unwrap(),
    );
    assert!(s <= c && d <= c + 1.0, "far router timeline: {far}");
    assert!(std::fs::metadata(lab.state_dir().join("timeline.json")).is_ok());

    // --watch keeps polling (one JSON object per line) until interrupted, then exits 0.
    // Bounded poll on the frame count, not a timed run: three frames, then SIGINT.
    let w = start(
        std::process::Command::new(NSBGP)
            .args(["status", "--lab", &lab.name, "--watch", "0.2", "--json"])
            .stdin(std::process::Stdio::null()),
    );
    let frames: Vec<Value> = wait_for(Duration::from_secs(30), || {
        let (out, _) = w.printed_parts();
        // Whole lines only: the last one may still be being written.
        let lines: Vec<&str> = out
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .map(str::trim_end)
            .collect();
        (lines.len() >= 3).then(|| {
            lines[..3]
                .iter()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
                .collect()
        })
    })
    .unwrap_or_else(|| panic!("status --watch: fewer than 3 frames within 30 s:\n{}", w.printed()));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(w.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = w.wait(Duration::from_secs(30)).status;
    assert_eq!(status.code(), Some(0), "status --watch after SIGINT");
    assert!(frames.iter().all(|f| f["converged"] == true && f["routers_total"] == n));

    // kill -9 one bgpd: the next status shows it dead and the lab not converged.
    let victim = lab.router(5);
    let pid = routers[5]["bgpd_pid"].as_u64().unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let dead = wait_for(Duration::from_secs(5), || {
        let st = status_json(&lab);
        (st["routers"][5]["bgpd_alive"] == false).then_some(st)
    })
    .expect("killed bgpd still shown alive after 5 s");
    assert_eq!(dead["converged"], false);
    assert_eq!(dead["routers"][5]["converged"], false);
    assert_eq!(dead["routers"][5]["name"], victim.as_str());
    let human = stdout(&lab.on_lab(&["status"]));
    assert!(human.contains("BGPD!") && human.contains("is dead"), "{human}");

    // `restart` brings it back in the same namespace and chroot; the lab reconverges.
    let out = nsbgp(&["restart", &victim, "bgpd", "--lab", &lab.name]);
    assert_ok(&out, "restart");
    let again = wait_for(Duration::from_secs(60), || {
        let st = status_json(&lab);
        (st["converged"] == true).then_some(st)
    })
    .expect("lab did not reconverge within 60 s after restart");
    // nsbgp's word checked: every FIB, FRR path and route count as the test works them out.
    assert_routing(&lab, &chain_links(n), 0);
    let new_pid = again["routers"][5]["bgpd_pid"].as_u64().unwrap();
    assert_ne!(new_pid, pid);
    let ident = sh_ok("ip", &["netns", "identify", &new_pid.to_string()]);
    assert_eq!(ident.trim(), victim);
}

#[test]
fn status_without_a_lab_is_a_clear_error() {
    if !root_or_skip() {
        return;
    }
    let out = nsbgp(&["status", "--lab", "no-such-lab-here"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no-such-lab-here"), "{}", text(&out));
}
