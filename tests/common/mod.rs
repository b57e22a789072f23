//! Harness for integration tests with real labs: unique names, `down` on drop (also when
//! the test panics), and a host check that nothing of the lab is left behind.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub mod golden;
mod oracle;
mod run;
#[allow(unused_imports)]
pub use oracle::*;
#[allow(unused_imports)]
pub use run::*;

pub const NSBGP: &str = env!("CARGO_BIN_EXE_nsbgp");

/// Integration tests need root. Under CI they must run, so a missing root is a failure there.
pub fn root_or_skip() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "integration tests must run as root in CI"
    );
    eprintln!("skipping: needs root");
    false
}

static SEQ: AtomicU32 = AtomicU32::new(0);

pub struct TestLab {
    pub name: String,
    pub prefix: String,
    pub routers: usize,
    pub config: PathBuf,
    _dir: TempDir,
}

pub struct TempDir(pub PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn tempdir(tag: &str) -> TempDir {
    let p = std::env::temp_dir().join(format!(
        "nsbgp-test-{tag}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&p).unwrap();
    TempDir(p)
}

impl TestLab {
    /// A lab file for `routers` routers with a name and router prefix no other test uses.
    /// `tag` is at most 3 letters; `extra` is appended to the TOML.
    pub fn new(tag: &str, routers: usize, extra: &str) -> TestLab {
        assert!(tag.len() <= 3);
        let id = (std::process::id() % 1000) * 100 + SEQ.fetch_add(1, Ordering::Relaxed) % 100;
        let name = format!("t-{tag}-{id}");
        let prefix = format!("{tag}{id}_");
        let dir = tempdir(tag);
        let config = dir.0.join("lab.toml");
        std::fs::write(
            &config,
            format!("name = \"{name}\"\nrouters = {routers}\nrouter_prefix = \"{prefix}\"\n{extra}\n"),
        )
        .unwrap();
        TestLab {
            name,
            prefix,
            routers,
            config,
            _dir: dir,
        }
    }

    /// A lab file written elsewhere (e.g. by `nsbgp import`) into `dir`, whose routers'
    /// names all start with `prefix`: cleaned up and checked on drop like [`TestLab::new`]'s.
    pub fn from_file(name: &str, prefix: &str, routers: usize, config: PathBuf, dir: TempDir) -> TestLab {
        TestLab {
            name: name.to_string(),
            prefix: prefix.to_string(),
            routers,
            config,
            _dir: dir,
        }
    }

    pub fn router(&self, i: usize) -> String {
        format!("{}{}", self.prefix, i)
    }

    pub fn nsbgp(&self, args: &[&str]) -> Output {
        nsbgp(args)
    }

    /// `nsbgp ARGS --lab NAME`
    pub fn on_lab(&self, args: &[&str]) -> Output {
        let mut v: Vec<&str> = args.to_vec();
        v.extend(["--lab", &self.name]);
        nsbgp(&v)
    }

    pub fn up(&self) -> Output {
        let out = nsbgp(&["up", "-c", self.config.to_str().unwrap()]);
        assert_ok(&out, "nsbgp up");
        out
    }

    /// `nsbgp up -c CONFIG --wait --timeout S EXTRA…`, which must succeed. nsbgp's own
    /// `converged`: what it waited for is for the test to check independently.
    pub fn up_wait(&self, timeout_s: u32, extra: &[&str]) -> Output {
        let t = timeout_s.to_string();
        let mut args = vec!["up", "-c", self.config.to_str().unwrap(), "--wait", "--timeout", &t];
        args.extend(extra);
        let out = nsbgp(&args);
        assert_ok(&out, &format!("nsbgp up --wait {extra:?}"));
        out
    }

    /// Starts `up` with `NSBGP_TEST_PAUSE=stage` and waits for its first stderr line (the
    /// pause, or an early error); the rest of stderr is drained. The caller ends the child.
    pub fn up_paused(&self, stage: &str) -> (std::process::Child, String) {
        let mut up = start(
            Command::new(NSBGP)
                .args(["up", "-c", self.config.to_str().unwrap()])
                .env("NSBGP_TEST_PAUSE", stage)
                .stdin(std::process::Stdio::null()),
        );
        // Bounded: a pause that never comes fails here, not in CI's timeout. The drain keeps
        // reading after (with the pipe closed, `up`'s later messages would fail with EPIPE).
        let first = up.first_stderr_line(NSBGP_LIMIT);
        (up.child, first)
    }

    pub fn state_dir(&self) -> PathBuf {
        Path::new("/run/nsbgp").join(&self.name)
    }

    /// Asserts nothing of this lab remains on the host.
    pub fn assert_clean(&self) {
        let left = leftovers(&self.name, &self.prefix);
        assert!(
            left.is_empty(),
            "lab {} left things behind:\n  {}",
            self.name,
            left.join("\n  ")
        );
    }
}

impl Drop for TestLab {
    fn drop(&mut self) {
        let out = nsbgp(&["down", "--lab", &self.name]);
        let left = leftovers(&self.name, &self.prefix);
        if !std::thread::panicking() {
            assert_ok(&out, "nsbgp down (cleanup)");
            assert!(
                left.is_empty(),
                "lab {} left things behind:\n  {}",
                self.name,
                left.join("\n  ")
            );
        } else if !left.is_empty() {
            eprintln!(
                "lab {} left things behind after a failed test:\n  {}",
                self.name,
                left.join("\n  ")
            );
        }
    }
}

/// `nsbgp ARGS`, bounded by [`NSBGP_LIMIT`].
pub fn nsbgp(args: &[&str]) -> Output {
    run(Command::new(NSBGP).args(args), NSBGP_LIMIT)
}

/// `nsbgp ARGS` with the state root `NSBGP_STATE_DIR=state`, bounded.
pub fn nsbgp_in(state: &Path, args: &[&str]) -> Output {
    run(
        Command::new(NSBGP).args(args).env("NSBGP_STATE_DIR", state),
        NSBGP_LIMIT,
    )
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn assert_ok(o: &Output, what: &str) {
    assert!(o.status.success(), "{what} failed ({}):\n{}", o.status, text(o));
}

/// A host tool, bounded by [`TOOL_LIMIT`].
pub fn sh(cmd: &str, args: &[&str]) -> Output {
    run(Command::new(cmd).args(args), TOOL_LIMIT)
}

/// A host tool that must succeed: its stdout, or a failure naming it and what it printed.
pub fn sh_ok(cmd: &str, args: &[&str]) -> String {
    let o = sh(cmd, args);
    assert_ok(&o, &format!("{cmd} {}", args.join(" ")));
    stdout(&o)
}

/// Everything of a lab still on the host: namespaces, veths in the root namespace, mounts,
/// `/etc/netns` entries, the state directory and processes whose root is in it.
pub fn leftovers(lab: &str, prefix: &str) -> Vec<String> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("/run/netns").into_iter().flatten().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(prefix) {
            v.push(format!("namespace {n}"));
        }
    }
    for e in std::fs::read_dir("/etc/netns").into_iter().flatten().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(prefix) {
            v.push(format!("/etc/netns/{n}"));
        }
    }
    let links = String::from_utf8_lossy(&sh("ip", &["-o", "link"]).stdout).into_owned();
    for l in links.lines().filter(|l| l.contains(prefix)) {
        v.push(format!("root-namespace link: {l}"));
    }
    let state = format!("/run/nsbgp/{lab}");
    for l in std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
    {
        if l.contains(&state) || l.contains(&format!("/run/netns/{prefix}")) {
            v.push(format!("mount: {l}"));
        }
    }
    if Path::new(&state).exists() {
        v.push(format!("state directory {state}"));
    }
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(root) = std::fs::read_link(format!("/proc/{pid}/root")) {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z'));
            if root.starts_with(&state) && !zombie {
                v.push(format!("process {pid} rooted in {}", root.display()));
            }
        }
    }
    v
}

/// Polls `f` every 250 ms until it returns Some or `limit` passes (bounded: no test hangs).
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// FRR's own vtysh against a router, independent of nsbgp's vty client: it runs in the
/// router's namespace and talks to the daemons' sockets in the lab's state directory.
/// It must succeed (vtysh exits non-zero when a daemon refuses the command or cannot be
/// reached): its stdout.
pub fn vtysh(lab: &TestLab, router: &str, cmd: &str) -> String {
    let (o, what) = vtysh_run(lab, router, cmd);
    assert_ok(&o, &what);
    stdout(&o)
}

/// [`vtysh`] for polls that may run while a daemon restarts: None when vtysh failed.
pub fn vtysh_try(lab: &TestLab, router: &str, cmd: &str) -> Option<String> {
    let (o, _) = vtysh_run(lab, router, cmd);
    o.status.success().then(|| stdout(&o))
}

fn vtysh_run(lab: &TestLab, router: &str, cmd: &str) -> (Output, String) {
    let sock = format!("/run/nsbgp/{}/routers/{router}/run", lab.name);
    let o = sh(
        "ip",
        &["netns", "exec", router, "vtysh", "--vty_socket", &sock, "-c", cmd],
    );
    (o, format!("vtysh -c {cmd:?} on {router}"))
}

/// BIRD's own client on a router's control socket, which must answer: its stdout. (birdc
/// exits 1 on BIRD's refusals too, `Network not found` among them.)
pub fn birdc(lab: &TestLab, router: &str, cmd: &str) -> String {
    let sock = lab.state_dir().join(format!("routers/{router}/run/bird.ctl"));
    let mut args = vec!["-s", sock.to_str().unwrap()];
    args.extend(cmd.split_whitespace());
    sh_ok("birdc", &args)
}

/// Established sessions of a router, by FRR's own account.
/// 0 while bgpd cannot be asked: waits poll it.
pub fn established(lab: &TestLab, router: &str) -> usize {
    let out = vtysh_try(lab, router, "show bgp summary json").unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    v["ipv4Unicast"]["peers"]
        .as_object()
        .map(|p| p.values().filter(|x| x["state"] == "Established").count())
        .unwrap_or(0)
}

/// Reads a pty master until `want` appears or `limit` passes (bounded): for tests that drive
/// `attach` through a pseudo-terminal.
pub fn read_until(master: &mut std::fs::File, want: &str, limit: Duration) -> String {
    use std::io::Read;
    use std::os::fd::AsFd;
    let end = Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < end {
        let mut fds = [nix::poll::PollFd::new(master.as_fd(), nix::poll::PollFlags::POLLIN)];
        if nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(100u16)).unwrap_or(0) == 0 {
            continue;
        }
        match master.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
        if String::from_utf8_lossy(&got).contains(want) {
            break;
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

impl TestLab {
    /// Runs the experiment `spec` (TOML) on this lab into a fresh results directory, asserting
    /// it succeeded; returns the directory (kept alive by the TempDir) and `summary.json`.
    pub fn experiment(&self, tag: &str, spec: &str) -> (TempDir, PathBuf, serde_json::Value) {
        let dir = tempdir(tag);
        let file = dir.0.join("experiment.toml");
        std::fs::write(&file, spec).unwrap();
        let out = dir.0.join("results");
        let o = self.on_lab(&["experiment", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_ok(&o, &format!("experiment {tag}"));
        let summary = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        (dir, out, summary)
    }
}

/// `nsbgp attach` driven through a pseudo-terminal, as a user at a terminal would.
pub struct PtyAttach {
    child: std::process::Child,
    master: std::fs::File,
    slave: std::os::fd::OwnedFd,
    before: nix::sys::termios::Termios,
}

impl PtyAttach {
    /// Starts `nsbgp attach ROUTER --lab LAB` on a new pseudo-terminal and reads up to the
    /// router's prompt; returns the session and what it printed. Checks that the terminal is
    /// raw while attached.
    pub fn start(lab: &TestLab, router: &str, limit: Duration) -> (PtyAttach, String) {
        use std::os::fd::AsFd;
        let pty = nix::pty::openpty(None, None).unwrap();
        let before = nix::sys::termios::tcgetattr(pty.slave.as_fd()).unwrap();
        let slave = |fd: &std::os::fd::OwnedFd| std::process::Stdio::from(fd.try_clone().unwrap());
        let child = Command::new(NSBGP)
            .args(["attach", router, "--lab", &lab.name])
            .stdin(slave(&pty.slave))
            .stdout(slave(&pty.slave))
            .stderr(slave(&pty.slave))
            .spawn()
            .unwrap();
        let mut s = PtyAttach {
            child,
            master: std::fs::File::from(pty.master),
            slave: pty.slave,
            before,
        };
        let greet = s.read_until(&format!("{router}> "), limit);
        let during = nix::sys::termios::tcgetattr(s.slave.as_fd()).unwrap();
        assert!(
            !during.local_flags.contains(nix::sys::termios::LocalFlags::ICANON),
            "terminal not raw while attached:\n{greet}"
        );
        (s, greet)
    }

    /// Types `bytes` at the terminal.
    pub fn send(&mut self, bytes: &[u8]) {
        std::io::Write::write_all(&mut self.master, bytes).unwrap();
    }

    pub fn read_until(&mut self, want: &str, limit: Duration) -> String {
        read_until(&mut self.master, want, limit)
    }

    /// Ctrl-]: waits for `bye`, for `attach` to exit 0 within `limit`, and checks the
    /// terminal's flags are as they were before.
    pub fn leave(mut self, bye: &str, limit: Duration) {
        use std::os::fd::AsFd;
        self.send(&[0x1d]);
        let out = self.read_until(bye, limit);
        assert!(out.contains(bye), "{out}");
        let end = Instant::now() + limit;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < end, "attach did not exit after Ctrl-]");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "attach exit {status}");
        let after = nix::sys::termios::tcgetattr(self.slave.as_fd()).unwrap();
        assert_eq!(
            after.local_flags, self.before.local_flags,
            "terminal local flags not restored"
        );
        assert_eq!(
            after.input_flags, self.before.input_flags,
            "terminal input flags not restored"
        );
        assert_eq!(
            after.output_flags, self.before.output_flags,
            "terminal output flags not restored"
        );
    }
}
