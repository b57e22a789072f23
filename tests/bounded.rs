//! Every program a test starts goes through the bounded runner (tests/common/run.rs: `run`,
//! `start`): no test file calls the std waits that have no deadline. A new `.output()` or
//! `.wait_with_output()` in a test fails here, naming the line, instead of one day stalling
//! CI on a command that blocks.

use std::path::Path;

/// Calls that start or wait for a program without a deadline.
const UNBOUNDED: [&str; 5] = [".output()", ".wait_with_output()", ".status()", ".spawn()", ".wait()"];

/// The places allowed to use them, each with why it is bounded all the same.
const ALLOWED: [(&str, &str); 4] = [
    // The runner itself.
    ("common/run.rs", ""),
    // A foreign `sleep 600` posing as a daemon: killed in Drop, then reaped.
    ("recycled_pid.rs", "std::process::Command::new(&exe)"),
    ("recycled_pid.rs", "self.child.kill()"),
    // `attach` on a pseudo-terminal: read with deadlines, ended by try_wait with a deadline.
    ("common/mod.rs", ".spawn()"),
];

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_unbounded_wait_in_the_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(
        all.len() > 20,
        "found only {} test files under {}",
        all.len(),
        root.display()
    );
    let mut found = Vec::new();
    for p in &all {
        let rel = p.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
        if rel == "bounded.rs" {
            continue;
        }
        let text = std::fs::read_to_string(p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap();
            for call in UNBOUNDED {
                if !code.contains(call) {
                    continue;
                }
                // The statement the call ends: this line and the few before it.
                let stmt = lines[i.saturating_sub(6)..=i].join("\n");
                let allowed = ALLOWED
                    .iter()
                    .any(|(f, needle)| rel == *f && (needle.is_empty() || stmt.contains(needle)));
                if !allowed {
                    found.push(format!("tests/{rel}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "calls without a deadline (use common::run / common::start, or say in ALLOWED why it is bounded):\n  {}",
        found.join("\n  ")
    );
}
