//! Issue 23, safety: `down` kills a pid from the ledger only when it is proven to be the
//! lab's daemon. A ledger entry whose pid now belongs to a foreign process that merely has
//! the daemon's name (a copy of `sleep` called `bgpd`, started outside the lab) is left
//! alive and reported; the lab itself still goes entirely.

mod common;
use common::*;
use std::time::Duration;

/// A foreign process named `bgpd`: a copy of /bin/sleep under that name, in the root
/// namespace, rooted at `/`. Killed and reaped on drop.
struct Foreign {
    child: std::process::Child,
    _dir: TempDir,
}

impl Foreign {
    fn start() -> Foreign {
        let dir = tempdir("rpid");
        let exe = dir.0.join("bgpd");
        std::fs::copy("/bin/sleep", &exe).unwrap();
        let child = std::process::Command::new(&exe).arg("600").spawn().unwrap();
        Foreign { child, _dir: dir }
    }
    fn pid(&self) -> u32 {
        self.child.id()
    }
    /// Alive by /proc: present and neither a zombie nor dead.
    fn alive(&self) -> bool {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        stat.rsplit_once(") ")
            .and_then(|(_, r)| r.chars().next())
            .is_some_and(|c| c != 'Z' && c != 'X')
    }
}

impl Drop for Foreign {
    fn drop(&mut self) {
        let _ = self.child.kill();
        // Bounded: SIGKILL was sent.
        let _ = self.child.wait();
    }
}

#[test]
fn a_recycled_pid_with_the_daemons_name_survives_down() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("rpd", 2, "");
    lab.up();
    let foreign = Foreign::start();
    let pid = foreign.pid();
    // It looks like the lab's bgpd by name, and is not in any lab namespace.
    let comm = wait_for(Duration::from_secs(5), || {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .ok()
            .filter(|c| c.trim() == "bgpd")
    });
    assert!(comm.is_some(), "the foreign process is not named bgpd");
    let own_ns = std::fs::read_link("/proc/self/ns/net").unwrap();
    assert_eq!(std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap(), own_ns);

    // The ledger's bgpd of router 0 now names the foreign pid, as if bgpd had died and the
    // kernel had handed its pid on.
    let ledger = lab.state_dir().join("ledger.jsonl");
    let entries = std::fs::read_to_string(&ledger).unwrap();
    let router0 = lab.router(0);
    let mut changed = 0;
    let rewritten: Vec<String> = entries
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if v["kind"] == "daemon" && v["router"] == router0.as_str() && v["daemon"] == "bgpd" {
                v["pid"] = pid.into();
                changed += 1;
            }
            v.to_string()
        })
        .collect();
    assert_eq!(changed, 1, "no bgpd entry for {router0} in\n{entries}");
    std::fs::write(&ledger, rewritten.join("\n") + "\n").unwrap();

    // The lab's own daemons, found by namespace: they must all go.
    let lab_pids: Vec<u32> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| std::fs::read_link(format!("/proc/{p}/root")).is_ok_and(|r| r.starts_with(lab.state_dir())))
        .collect();
    assert!(lab_pids.len() >= 4, "zebra and bgpd of 2 routers: {lab_pids:?}");

    let o = lab.on_lab(&["down"]);
    assert_ok(&o, "down");
    let out = text(&o);
    // Checked by /proc: the foreign process lives on, and every daemon of the lab is gone.
    std::thread::sleep(Duration::from_millis(200));
    assert!(foreign.alive(), "down killed the foreign process {pid}:\n{out}");
    assert!(
        out.contains(&format!("left alone: process {pid} (bgpd)")) && out.contains("reused"),
        "down does not report the foreign pid:\n{out}"
    );
    for p in &lab_pids {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        assert!(
            stat.is_empty() || stat.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z')),
            "lab daemon {p} survived down: {stat}"
        );
    }
    lab.assert_clean();
}
