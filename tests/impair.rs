//! Link impairments on real labs, checked with the kernel's own tools: `tc -j qdisc show`
//! (rate and burst exactly as configured), `iptables -S` (the loss rule), `ping` (the loss
//! measured against the configured rate within a bounded window), delay refused (or built,
//! on a kernel with netem), and the experiment's `impair` action changing a running link.

mod common;
use common::*;
use std::time::Duration;

fn in_ns(router: &str, cmd: &[&str]) -> String {
    let mut args = vec!["netns", "exec", router];
    args.extend(cmd);
    let o = sh("ip", &args);
    assert!(o.status.success(), "{cmd:?} in {router}: {}", text(&o));
    stdout(&o)
}

/// This kernel's netem, probed independently of nsbgp in a throwaway namespace.
fn kernel_has_netem() -> bool {
    sh(
        "unshare",
        &[
            "--net", "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms",
        ],
    )
    .status
    .success()
}

/// The root qdisc of `dev` in `router`, as tc reports it (JSON).
fn root_qdisc(router: &str, dev: &str) -> serde_json::Value {
    let out = in_ns(router, &["tc", "-j", "qdisc", "show", "dev", dev]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e}"));
    v.as_array()
        .unwrap()
        .iter()
        .find(|q| q["root"] == true)
        .cloned()
        .unwrap_or_else(|| panic!("no root qdisc on {dev} in {router}: {out}"))
}

/// (sent, received) of `count` pings from `router` to `addr`, 5 ms apart.
fn ping(router: &str, addr: &str, count: usize) -> (usize, usize) {
    let c = count.to_string();
    let o = sh(
        "ip",
        &[
            "netns", "exec", router, "ping", "-n", "-q", "-c", &c, "-i", "0.005", "-W", "1", addr,
        ],
    );
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.contains("packets transmitted"))
        .unwrap_or_else(|| panic!("ping said: {}", text(&o)));
    let nums: Vec<usize> = line.split([' ', ',']).filter_map(|w| w.parse().ok()).collect();
    (nums[0], nums[1])
}

#[test]
fn rate_and_loss_on_a_running_lab() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new(
        "imp",
        3,
        "[links]\nrate_mbit = 8\n[[link]]\nrouters = [0, 1]\nloss_pct = 20\n",
    );
    let (r0, r1, r2) = (lab.router(0), lab.router(1), lab.router(2));
    let o = nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", "90"]);
    assert_ok(&o, "up --wait with a lossy link");

    let netem = kernel_has_netem();
    // Every end of every link: 8 Mbit/s = 1 000 000 bytes/s, as tc stores it.
    for (router, dev) in [(&r0, &r1), (&r1, &r0), (&r1, &r2), (&r2, &r1)] {
        let q = root_qdisc(router, dev);
        if netem {
            assert_eq!(q["kind"], "netem", "{q}");
            assert_eq!(q["options"]["rate"]["rate"], 1_000_000, "{q}");
        } else {
            assert_eq!(q["kind"], "tbf", "{q}");
            assert_eq!(q["options"]["rate"], 1_000_000, "{q}");
            // 10 ms at the rate.
            assert_eq!(q["options"]["burst"], 10_000, "{q}");
        }
    }
    if !netem {
        // The loss rule is on link 1's two ends, nowhere else.
        for (router, dev, lossy) in [(&r0, &r1, true), (&r1, &r0, true), (&r1, &r2, false), (&r2, &r1, false)] {
            let rules = in_ns(router, &["iptables", "-t", "mangle", "-S"]);
            let hook = rules
                .lines()
                .find(|l| l.starts_with("-A POSTROUTING") && l.contains(&format!("-o {dev} ")))
                .unwrap_or_else(|| panic!("{router}: no hook for {dev}:\n{rules}"));
            let chain = hook.rsplit(' ').next().unwrap();
            let drops: Vec<&str> = rules
                .lines()
                .filter(|l| l.starts_with(&format!("-A {chain} ")))
                .collect();
            if lossy {
                assert_eq!(drops.len(), 1, "{rules}");
                assert!(
                    drops[0].contains("-m statistic --mode random --probability 0.2") && drops[0].ends_with("-j DROP"),
                    "{rules}"
                );
            } else {
                assert!(drops.is_empty(), "{router} {dev} is not lossy:\n{rules}");
            }
        }
    }

    // Round trip over link 1: two crossings at 20 % each, so a ping is lost with
    // q = 1 - 0.8² = 0.36. 400 pings: received ~ Binomial(400, 0.64), mean 256, sd 9.6;
    // the window is ±5 sd (a correct lab falls outside it about once in 1.7 million runs).
    let addr_r0 = lab_addr(&lab, 0, 1);
    let (sent, got) = ping(&r1, &addr_r0, 400);
    assert_eq!(sent, 400);
    assert!(
        (208..=304).contains(&got),
        "received {got} of 400 over a 20 %-per-direction link"
    );
    // Link 2 has no loss: every ping returns.
    let addr_r2 = lab_addr(&lab, 2, 1);
    assert_eq!(ping(&r1, &addr_r2, 100), (100, 100));
}

/// Router `r`'s address on its link towards `peer`, from `ip -j addr` in its namespace.
fn lab_addr(lab: &TestLab, r: usize, peer: usize) -> String {
    let out = in_ns(
        &lab.router(r),
        &["ip", "-j", "-4", "addr", "show", "dev", &lab.router(peer)],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0]["addr_info"][0]["local"].as_str().unwrap().to_string()
}

#[test]
fn delay_is_refused_without_netem_and_nothing_is_built() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("imd", 2, "[[link]]\nrouters = [0, 1]\ndelay_ms = 10\njitter_ms = 2\n");
    let o = nsbgp(&["up", "-c", lab.config.to_str().unwrap()]);
    if kernel_has_netem() {
        assert_ok(&o, "up with delay on a kernel with netem");
        let q = root_qdisc(&lab.router(0), &lab.router(1));
        assert_eq!(q["kind"], "netem", "{q}");
        assert_eq!(q["options"]["delay"]["delay"], 0.01, "{q}");
    } else {
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("netem"), "{}", text(&o));
        assert!(leftovers(&lab.name, &lab.prefix).is_empty());
        assert!(!lab.state_dir().exists());
        // doctor says so for this lab file, and lists the impairments it has.
        let d = nsbgp(&["doctor", "-c", lab.config.to_str().unwrap()]);
        assert_eq!(d.status.code(), Some(1), "{}", text(&d));
        let t = text(&d);
        assert!(t.contains("FAIL  impairment: delay, jitter"), "{t}");
        assert!(
            t.contains("OK    impairment: rate_mbit") && t.contains("OK    impairment: loss_pct"),
            "{t}"
        );
    }
}

#[test]
fn experiment_impair_changes_a_running_link_and_puts_it_back() {
    if !root_or_skip() {
        return;
    }
    if kernel_has_netem() {
        eprintln!("skipping the tbf/iptables checks: this kernel has netem");
        return;
    }
    let lab = TestLab::new("ime", 3, "");
    let o = nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", "60"]);
    assert_ok(&o, "up --wait");
    let (r0, r1) = (lab.router(0), lab.router(1));
    assert_eq!(root_qdisc(&r0, &r1)["kind"], "noqueue");
    let spec = format!(
        "measure = \"default\"\n[[step]]\naction = \"impair\"\nrouters = [\"{r0}\", \"{r1}\"]\nrate_mbit = 2\nloss_pct = 10\n\
         [[step]]\naction = \"wait\"\nseconds = 6\n"
    );
    let dir = tempdir("ime");
    let file = dir.0.join("impair.toml");
    std::fs::write(&file, spec).unwrap();
    let out = dir.0.join("results");
    let (file2, out2, name) = (file.clone(), out.clone(), lab.name.clone());
    let exp = std::thread::spawn(move || {
        nsbgp(&[
            "experiment",
            file2.to_str().unwrap(),
            "--lab",
            &name,
            "--out",
            out2.to_str().unwrap(),
        ])
    });
    // While the wait step runs: both ends of the link are impaired.
    let seen = wait_for(Duration::from_secs(20), || {
        let q = root_qdisc(&r1, &r0);
        (q["kind"] == "tbf").then_some(q)
    })
    .expect("the impair step never set a tbf on the link");
    assert_eq!(seen["options"]["rate"], 250_000, "{seen}");
    assert_eq!(root_qdisc(&r0, &r1)["kind"], "tbf");
    let rules = in_ns(&r0, &["iptables", "-t", "mangle", "-S"]);
    assert!(rules.contains("--probability 0.1"), "{rules}");
    let o = exp.join().unwrap();
    assert_ok(&o, "experiment with impair");
    // Put back as the lab file has it: no impairment.
    assert_eq!(root_qdisc(&r0, &r1)["kind"], "noqueue");
    assert_eq!(root_qdisc(&r1, &r0)["kind"], "noqueue");
    let rules = in_ns(&r0, &["iptables", "-t", "mangle", "-S"]);
    assert!(!rules.contains("statistic"), "{rules}");
}

#[test]
fn a_bad_impair_step_changes_nothing() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("imb", 3, "");
    lab.up();
    let dir = tempdir("imb");
    for (spec, want) in [
        (
            format!(
                "measure = \"default\"\n[[step]]\naction = \"impair\"\nrouters = [\"{}\", \"{}\"]\n",
                lab.router(0),
                lab.router(1)
            ),
            "sets none",
        ),
        (
            format!(
                "measure = \"default\"\n[[step]]\naction = \"impair\"\nrouters = [\"{}\", \"{}\"]\nloss_pct = 5\n",
                lab.router(0),
                lab.router(2)
            ),
            "not joined",
        ),
        (
            format!(
                "measure = \"default\"\n[[step]]\naction = \"impair\"\nrouters = [\"{}\", \"{}\"]\nloss_pct = 500\n",
                lab.router(0),
                lab.router(1)
            ),
            "loss_pct",
        ),
    ] {
        let file = dir.0.join("bad.toml");
        std::fs::write(&file, &spec).unwrap();
        let out = dir.0.join("results");
        let o = lab.on_lab(&["experiment", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{spec}: {}", text(&o));
        assert!(text(&o).contains(want), "{spec}: {}", text(&o));
        assert!(!out.exists());
        assert_eq!(root_qdisc(&lab.router(0), &lab.router(1))["kind"], "noqueue");
    }
}
