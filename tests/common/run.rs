//! The one bounded runner for every program a test starts: each call has a deadline; on
//! expiry the program's whole process group is killed and the test fails naming the command
//! and what it printed so far. A test that blocks fails with a message instead of stalling CI.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Deadline of one `nsbgp` call. The longest in the suite is `up --wait --timeout 120` of a
/// few routers, or an experiment of a few runs: minutes at most; CI's budget is 30.
pub const NSBGP_LIMIT: Duration = Duration::from_secs(300);
/// Deadline of one host tool (`ip`, `vtysh`, `birdc`, `findmnt`, …): they answer in
/// milliseconds; a hung one must not stall the suite.
pub const TOOL_LIMIT: Duration = Duration::from_secs(60);

/// A pipe drained by a thread into a buffer the test can read at any time, so that a
/// program's output is never lost and a full pipe never blocks it.
struct Drain {
    buf: Arc<Mutex<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
}

impl Drain {
    fn new(pipe: Option<impl Read + Send + 'static>) -> Drain {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let thread = pipe.map(|mut p| {
            let b = Arc::clone(&buf);
            std::thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                while let Ok(n) = p.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    b.lock().unwrap().extend_from_slice(&chunk[..n]);
                }
            })
        });
        Drain { buf, thread }
    }

    fn done(&self) -> bool {
        self.thread.as_ref().map_or(true, |t| t.is_finished())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf.lock().unwrap()).into_owned()
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.buf.lock().unwrap())
    }
}

/// The end of a long output: enough to see what a command was doing when it hung.
fn tail(s: &str) -> &str {
    let mut i = s.len().saturating_sub(4000);
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

/// A started program in its own process group, its stdout and stderr drained.
pub struct Running {
    pub child: Child,
    label: String,
    out: Drain,
    err: Drain,
}

/// How a command reads in a failure message: program and arguments.
fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Starts `cmd` in a new process group with stdout and stderr piped and drained (stdin as
/// the caller set it). Use [`Running::wait`] to end it.
pub fn start(cmd: &mut Command) -> Running {
    let label = describe(cmd);
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{label}`: {e}"));
    let out = Drain::new(child.stdout.take());
    let err = Drain::new(child.stderr.take());
    Running { child, label, out, err }
}

/// Runs `cmd` (stdin from /dev/null) to completion within `limit`; see [`Running::wait`].
pub fn run(cmd: &mut Command, limit: Duration) -> Output {
    start(cmd.stdin(Stdio::null())).wait(limit)
}

impl Running {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// What it printed so far (stdout then stderr), each cut to its last 4000 bytes.
    pub fn printed(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr\n{}",
            tail(&self.out.text()),
            tail(&self.err.text())
        )
    }

    /// The first line it writes to stderr, waiting at most `limit` (empty if it exits or the
    /// time passes first). The drain goes on reading after it.
    pub fn first_stderr_line(&mut self, limit: Duration) -> String {
        let end = Instant::now() + limit;
        loop {
            let t = self.err.text();
            if let Some((line, _)) = t.split_once('\n') {
                return line.to_string();
            }
            if self.err.done() || Instant::now() >= end {
                return t;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// What it printed so far: (stdout, stderr).
    pub fn printed_parts(&self) -> (String, String) {
        (self.out.text(), self.err.text())
    }

    /// Its exit status once it has exited, None before (never blocks).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("waitpid")
    }

    /// Kills the process group and reaps the child (SIGKILL cannot be ignored: bounded).
    pub fn kill(&mut self) {
        let pgid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.kill();
        // Bounded: the child has been sent SIGKILL.
        let _ = self.child.wait();
    }

    /// Waits until the program exits or `limit` passes. On expiry kills its process group
    /// and panics naming the command and what it printed so far. After the exit, output
    /// still in the pipes is read for a few seconds more: a daemon that inherited a pipe
    /// must not hold the test.
    pub fn wait(mut self, limit: Duration) -> Output {
        let end = Instant::now() + limit;
        let mut nap = Duration::from_millis(1);
        let status = loop {
            if let Some(s) = self.exited() {
                break s;
            }
            if Instant::now() >= end {
                self.kill();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "`{}` did not finish within {limit:?}; killed its process group. It printed:\n{}",
                    self.label,
                    self.printed()
                );
            }
            std::thread::sleep(nap);
            nap = (nap * 2).min(Duration::from_millis(20));
        };
        let grace = Instant::now() + Duration::from_secs(5);
        while !(self.out.done() && self.err.done()) && Instant::now() < grace {
            std::thread::sleep(Duration::from_millis(5));
        }
        Output {
            status,
            stdout: self.out.take(),
            stderr: self.err.take(),
        }
    }
}

/// Reaps a child the test has already killed or signalled, within `limit`; kills it (and
/// fails) if it is still there then.
pub fn reap(child: &mut Child, limit: Duration) -> ExitStatus {
    let end = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().expect("waitpid") {
            return s;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            // Bounded: the child has been sent SIGKILL.
            let _ = child.wait();
            panic!("process {} did not exit within {limit:?}; killed it", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `nsbgp ARGS` (state root `state`) that reads `MemAvailable: avail_kb kB` in /proc/meminfo:
/// it runs in a private mount namespace of its own (`unshare --mount --propagation
/// private`) with a copy of the host's meminfo, that one line changed, bind-mounted over
/// /proc/meminfo. Nothing of it is seen outside. For memory refusals on any host: nsbgp's
/// estimate depends only on the router count and merge_memory, so no lab file outgrows a
/// host with enough memory.
pub fn nsbgp_seeing_memavailable(avail_kb: u64, state: &std::path::Path, args: &[&str]) -> Output {
    let real = std::fs::read_to_string("/proc/meminfo").expect("/proc/meminfo");
    let fake: String = real
        .lines()
        .map(|l| {
            if l.starts_with("MemAvailable:") {
                format!("MemAvailable:   {avail_kb} kB\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert!(
        fake.contains(&format!("MemAvailable:   {avail_kb} kB")),
        "no MemAvailable line:\n{real}"
    );
    // Beside the state root, not in it: nsbgp would take a stray file there for a lab's.
    let file = state
        .parent()
        .expect("a state root in a scratch directory")
        .join(format!("meminfo-{avail_kb}"));
    std::fs::write(&file, fake).unwrap();
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg("mount --bind \"$0\" /proc/meminfo && exec \"$@\"")
        .arg(&file)
        .arg(super::NSBGP)
        .args(args)
        .env("NSBGP_STATE_DIR", state);
    run(&mut cmd, NSBGP_LIMIT)
}
