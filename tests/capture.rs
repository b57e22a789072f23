//! `nsbgp capture` on a real lab: BGP packets of one link written to a file and read back
//! with `tcpdump -r` (the right addresses, port 179, BGP messages), pcap on a pipe, never
//! overwriting, and refused arguments.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn bgp_packets_of_one_link_to_a_file() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("cap", 3, "");
    let o = nsbgp(&["up", "-c", lab.config.to_str().unwrap(), "--wait", "--timeout", "60"]);
    assert_ok(&o, "up --wait");
    let (r0, r1) = (lab.router(0), lab.router(1));
    let dir = tempdir("cap");
    let file = dir.0.join("bgp.pcap");
    // Bounded by the harness: started in its own process group, output drained.
    let child = start(
        Command::new(NSBGP)
            .args([
                "capture",
                &r1,
                "--lab",
                &lab.name,
                "--to",
                &r0,
                "-w",
                file.to_str().unwrap(),
                "-c",
                "8",
            ])
            // Only segments that carry BGP messages: the count then cannot be used up by the
            // reset's FINs and the reconnect's handshake before an OPEN crosses.
            .args(["--", "tcp", "port", "179", "and", "tcp[tcpflags] & tcp-push != 0"])
            .stdin(Stdio::null()),
    );
    // tcpdump says "listening" once it captures; then the session is reset, so a
    // NOTIFICATION, then OPENs, KEEPALIVEs and UPDATEs cross the link.
    let listening = wait_for(Duration::from_secs(10), || file.exists().then_some(()));
    assert!(listening.is_some(), "capture never created {}", file.display());
    std::thread::sleep(Duration::from_millis(500));
    let v = vtysh(&lab, &r1, &format!("clear ip bgp {}", lab_peer_addr(&lab, 0, 1)));
    assert!(!v.contains('%'), "{v}");
    let done = child.wait(Duration::from_secs(60));
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));

    let read = sh("tcpdump", &["-r", file.to_str().unwrap(), "-n", "-v"]);
    assert!(read.status.success(), "{}", text(&read));
    let out = stdout(&read);
    let (a1, a0) = (lab_peer_addr(&lab, 0, 1), lab_peer_addr(&lab, 1, 0));
    // Each packet's IP line: exactly 8, all between r1 and r0 with one side on port 179.
    // (An UPDATE's decoded prefixes also start with "172.": the TCP flags mark a packet line.)
    let ip_lines: Vec<&str> = out.lines().filter(|l| l.contains(": Flags [")).collect();
    assert_eq!(ip_lines.len(), 8, "{out}");
    for l in &ip_lines {
        let ends_ok = (l.contains(&format!("{a1}.")) && l.contains(&format!("> {a0}.")))
            || (l.contains(&format!("{a0}.")) && l.contains(&format!("> {a1}.")));
        assert!(ends_ok && l.contains(".179"), "not BGP between {a1} and {a0}: {l}");
    }
    assert!(out.contains(": BGP"), "no BGP message decoded:\n{out}");
    // At most two NOTIFICATIONs (one per side) precede the re-established session's OPENs.
    assert!(
        out.contains("Open Message"),
        "no OPEN among the first 8 BGP segments:\n{out}"
    );

    // Never overwrites: the file is left as it is, exit 2.
    let before = std::fs::read(&file).unwrap();
    let o = lab.on_lab(&["capture", &r1, "-w", file.to_str().unwrap(), "-c", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already exists"), "{}", text(&o));
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

/// Router `r`'s address on its link to `peer` (from its namespace, not from nsbgp).
fn lab_peer_addr(lab: &TestLab, r: usize, peer: usize) -> String {
    let o = sh(
        "ip",
        &[
            "netns",
            "exec",
            &lab.router(r),
            "ip",
            "-j",
            "-4",
            "addr",
            "show",
            "dev",
            &lab.router(peer),
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v[0]["addr_info"][0]["local"].as_str().unwrap().to_string()
}

#[test]
fn pcap_on_a_pipe_and_bad_arguments() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("cpp", 2, "");
    lab.up();
    let r0 = lab.router(0);
    // Piped stdout: a pcap stream (libpcap's magic, little-endian on x86), then packets.
    let child = start(
        Command::new(NSBGP)
            .args(["capture", &r0, "--lab", &lab.name, "-i", "lo", "-c", "2", "--", "icmp"])
            .stdin(Stdio::null()),
    );
    std::thread::sleep(Duration::from_millis(800));
    let p = sh("ip", &["netns", "exec", &r0, "ping", "-c", "1", "-W", "1", "127.0.0.1"]);
    assert!(p.status.success(), "{}", text(&p));
    let done = child.wait(Duration::from_secs(30));
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let bytes = done.stdout;
    assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "not pcap");
    // Header (24) plus two records of echo request and reply (16 + 98 bytes each).
    assert_eq!(bytes.len(), 24 + 2 * (16 + 98));

    for (args, want) in [
        (vec!["capture", r0.as_str(), "--to", r0.as_str()], "not neighbours"),
        (vec!["capture", r0.as_str(), "-i", "eth0"], "no interface"),
        (vec!["capture", "nosuch"], "no router"),
    ] {
        let o = lab.on_lab(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(want), "{args:?}: {}", text(&o));
    }
    let o = lab.on_lab(&["capture", &r0, "--to", "1", "-i", "lo"]);
    assert_eq!(o.status.code(), Some(2), "--to with -i: {}", text(&o));
}
