//! A client for FRR's vty: the password-protected telnet CLI on 127.0.0.1:2601 (zebra) and
//! :2605 (bgpd) inside each router's namespace. The socket is created in the namespace on a
//! short-lived thread and then driven from tokio; no `ip netns exec` or vtysh per query.

use super::telnet::{self, Telnet};
use crate::config::Daemon;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// What FRR prints when it pages output; `terminal length 0` turns paging off, but a
/// session that has not sent it yet (or a user's config) may still page.
const MORE: &[u8] = b" --More-- ";

#[derive(Debug, thiserror::Error)]
pub enum VtyError {
    #[error("cannot open namespace {netns}: {message}")]
    Netns { netns: String, message: String },
    #[error("cannot connect to {daemon} vty (127.0.0.1:{port} in {netns}): {source}; is {daemon} running? try `nsbgp status` or `nsbgp restart {netns} {daemon}`")]
    Connect {
        netns: String,
        daemon: Daemon,
        port: u16,
        source: std::io::Error,
    },
    #[error("the vty closed the connection (daemon stopped or restarted?)")]
    Closed,
    #[error("no answer from the vty within {0:?}")]
    Timeout(Duration),
    #[error("vty login refused: {0}")]
    Login(String),
    #[error("the daemon rejected `{cmd}`: {message}")]
    Rejected { cmd: String, message: String },
    #[error("vty i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl VtyError {
    /// Errors after which the connection is useless (reconnect before the next command).
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, VtyError::Closed | VtyError::Io(_) | VtyError::Timeout(_))
    }
}

/// One logged-in vty session.
pub struct Vty {
    stream: TcpStream,
    telnet: Telnet,
    /// Data received and not yet consumed (telnet options already removed).
    buf: Vec<u8>,
    /// The router's hostname, learnt from the first prompt.
    host: String,
    password: String,
    enabled: bool,
    pub timeout: Duration,
}

impl std::fmt::Debug for Vty {
    // Never prints the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vty").field("host", &self.host).finish_non_exhaustive()
    }
}

/// Connects to `daemon`'s vty inside the named namespace (plain TCP, not logged in).
pub fn connect_raw(netns: &str, daemon: Daemon) -> Result<std::net::TcpStream, VtyError> {
    connect_many(&[(netns.to_string(), daemon)]).pop().expect("one result")
}

/// Opens TCP connections to many vtys from one thread that enters each namespace in turn:
/// loopback connects complete at once, so a thousand routers take milliseconds.
pub fn connect_many(targets: &[(String, Daemon)]) -> Vec<Result<std::net::TcpStream, VtyError>> {
    let targets = targets.to_vec();
    std::thread::spawn(move || {
        targets
            .iter()
            .map(|(netns, daemon)| {
                let fd = crate::netns::open_named(netns).map_err(|e| VtyError::Netns {
                    netns: netns.clone(),
                    message: e.to_string(),
                })?;
                // This thread is ours alone and ends after the loop, so moving it between
                // namespaces cannot leak a namespace into other work.
                nix::sched::setns(&fd, nix::sched::CloneFlags::CLONE_NEWNET).map_err(|e| VtyError::Netns {
                    netns: netns.clone(),
                    message: e.to_string(),
                })?;
                let port = daemon.vty_port();
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                let s = std::net::TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(|source| {
                    VtyError::Connect {
                        netns: netns.clone(),
                        daemon: *daemon,
                        port,
                        source,
                    }
                })?;
                s.set_nonblocking(true)?;
                let _ = s.set_nodelay(true);
                Ok(s)
            })
            .collect()
    })
    .join()
    .expect("connect thread panicked")
}

impl Vty {
    /// Connects to a router's daemon and logs in.
    pub async fn connect(netns: &str, daemon: Daemon, password: &str) -> Result<Vty, VtyError> {
        let std_stream = tokio::task::spawn_blocking({
            let netns = netns.to_string();
            move || connect_raw(&netns, daemon)
        })
        .await
        .expect("connect task")?;
        Vty::login(TcpStream::from_std(std_stream)?, password).await
    }

    /// Logs in on an open connection: password, then `terminal length 0`.
    pub async fn login(stream: TcpStream, password: &str) -> Result<Vty, VtyError> {
        let mut vty = Vty {
            stream,
            telnet: Telnet::new(None),
            buf: Vec::new(),
            host: String::new(),
            password: password.to_string(),
            enabled: false,
            timeout: DEFAULT_TIMEOUT,
        };
        let greeting = vty
            .read_until(|b| ends_with(b, b"Password: ") || closed_reason(b).is_some())
            .await;
        match greeting {
            Ok(g) if ends_with(&g, b"Password: ") => {}
            Ok(g) => {
                return Err(VtyError::Login(
                    closed_reason(&g).unwrap_or("unexpected greeting").into(),
                ))
            }
            Err(VtyError::Closed) => {
                return Err(VtyError::Login(
                    closed_reason(&vty.buf)
                        .unwrap_or("connection closed before the password prompt")
                        .into(),
                ))
            }
            Err(e) => return Err(e),
        }
        vty.send(format!("{password}\n").as_bytes()).await?;
        let after = vty
            .read_until(|b| ends_with(b, b"Password: ") || prompt_host(b).is_some())
            .await?;
        if ends_with(&after, b"Password: ") {
            return Err(VtyError::Login("wrong password".into()));
        }
        vty.host = prompt_host(&after).expect("matched").to_string();
        vty.run("terminal length 0").await?;
        Ok(vty)
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Runs one command and returns its output (without the echo and the prompt).
    /// Output that reports a CLI error (`% Unknown command` …) becomes `Rejected`.
    pub async fn run(&mut self, cmd: &str) -> Result<String, VtyError> {
        let text = self.run_raw(cmd).await?;
        match rejection(&text) {
            Some(message) => Err(VtyError::Rejected {
                cmd: cmd.to_string(),
                message: message.to_string(),
            }),
            None => Ok(text),
        }
    }

    /// Runs one command and returns its output whatever it says.
    pub async fn run_raw(&mut self, cmd: &str) -> Result<String, VtyError> {
        let cmd = cmd.trim();
        if cmd.contains(['\n', '\r']) {
            return Err(VtyError::Rejected {
                cmd: cmd.into(),
                message: "one command per line".into(),
            });
        }
        self.send(format!("{cmd}\n").as_bytes()).await?;
        let host = self.host.clone();
        let raw = self.read_until(|b| prompt_host(b) == Some(host.as_str())).await?;
        Ok(clean_output(&raw))
    }

    /// Enters privileged mode (needed for `configure terminal` and `clear`).
    pub async fn enable(&mut self) -> Result<(), VtyError> {
        if self.enabled {
            return Ok(());
        }
        self.send(b"enable\n").await?;
        let host = self.host.clone();
        let out = self
            .read_until(|b| ends_with(b, b"Password: ") || prompt_host(b) == Some(host.as_str()))
            .await?;
        if ends_with(&out, b"Password: ") {
            let pw = format!("{}\n", self.password);
            self.send(pw.as_bytes()).await?;
            let out = self
                .read_until(|b| ends_with(b, b"Password: ") || prompt_host(b) == Some(host.as_str()))
                .await?;
            if !ends_with(&out, b"# ") {
                // Leave the password prompt so the session stays usable.
                let _ = self.send(b"\n").await;
                return Err(VtyError::Login("enable password refused".into()));
            }
        }
        self.enabled = true;
        Ok(())
    }

    /// Applies configuration lines (`configure terminal` … `end`); stops at the first line
    /// the daemon rejects and leaves configuration mode either way.
    pub async fn configure(&mut self, lines: &[&str]) -> Result<(), VtyError> {
        self.enable().await?;
        self.run("configure terminal").await?;
        let mut result = Ok(());
        for line in lines {
            if let Err(e) = self.run(line).await {
                result = Err(e);
                break;
            }
        }
        self.run_raw("end").await?;
        result
    }

    async fn send(&mut self, data: &[u8]) -> Result<(), VtyError> {
        let wire = telnet::escape(data);
        tokio::time::timeout(self.timeout, self.stream.write_all(&wire))
            .await
            .map_err(|_| VtyError::Timeout(self.timeout))??;
        Ok(())
    }

    /// Reads until `done(data so far)`; returns that data and keeps nothing buffered.
    /// Answers telnet negotiation and pages through `--More--` on the way.
    async fn read_until(&mut self, done: impl Fn(&[u8]) -> bool) -> Result<Vec<u8>, VtyError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            if done(&self.buf) {
                return Ok(std::mem::take(&mut self.buf));
            }
            if ends_with(&self.buf, MORE) {
                let n = self.buf.len() - MORE.len();
                self.buf.truncate(n);
                self.send(b" ").await?;
            }
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .map_err(|_| VtyError::Timeout(self.timeout))??;
            if n == 0 {
                return Err(VtyError::Closed);
            }
            self.telnet.feed(&chunk[..n], &mut self.buf);
            if !self.telnet.replies.is_empty() {
                let r = std::mem::take(&mut self.telnet.replies);
                self.stream.write_all(&r).await?;
            }
        }
    }
}

fn ends_with(b: &[u8], tail: &[u8]) -> bool {
    b.ends_with(tail)
}

/// Why FRR closed a session, from its last words.
fn closed_reason(b: &[u8]) -> Option<&'static str> {
    let s = String::from_utf8_lossy(b);
    if s.contains("Vty password is not set") {
        Some("the daemon has no vty password set")
    } else if s.contains("Bad passwords") {
        Some("wrong password")
    } else {
        None
    }
}

/// The hostname in a vty prompt at the end of `b`: `HOST> `, `HOST# ` or `HOST(config…)# `.
pub fn prompt_host(b: &[u8]) -> Option<&str> {
    let last = match b.iter().rposition(|&c| c == b'\n') {
        Some(i) => &b[i + 1..],
        None => b,
    };
    let s = std::str::from_utf8(last).ok()?;
    let s = s.strip_suffix("> ").or_else(|| s.strip_suffix("# "))?;
    let host = match s.find('(') {
        Some(i) if s.ends_with(')') => &s[..i],
        Some(_) => return None,
        None => s,
    };
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    valid.then_some(host)
}

/// Commands only zebra knows, word by word (vtysh sends these to zebra). Every other
/// command goes to bgpd first, which also answers those both daemons know.
const ZEBRA_COMMANDS: &[&[&str]] = &[
    &["show", "ip", "route"],
    &["show", "ipv6", "route"],
    &["show", "interface"],
    &["show", "zebra"],
    &["show", "ip", "nht"],
    &["show", "ipv6", "nht"],
    &["show", "ip", "protocol"],
    &["show", "ipv6", "protocol"],
    &["show", "nexthop-group"],
    &["show", "ip", "fib"],
];

/// The daemon a command goes to when the user names none, as vtysh decides: zebra for the
/// routing table and interfaces, bgpd for everything else. Abbreviations count as vtysh
/// counts them (`sh ip ro` is `show ip route`).
pub fn daemon_for(cmd: &str) -> Daemon {
    let words: Vec<String> = cmd.split_whitespace().map(str::to_ascii_lowercase).collect();
    let zebra = ZEBRA_COMMANDS.iter().any(|pat| {
        words.len() >= pat.len()
            && pat
                .iter()
                .zip(&words)
                .all(|(p, w)| !w.is_empty() && p.starts_with(w.as_str()))
    });
    if zebra {
        Daemon::Zebra
    } else {
        Daemon::Bgpd
    }
}

/// True when the daemon said it does not know the command (so the other one may).
pub fn is_unknown_command(e: &VtyError) -> bool {
    matches!(e, VtyError::Rejected { message, .. } if message.contains("Unknown command"))
}

/// Output text of one command: CRLF → LF, without the echoed command line and the prompt.
pub fn clean_output(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw).replace("\r\n", "\n").replace('\r', "");
    let body = s.split_once('\n').map(|(_, rest)| rest).unwrap_or("");
    match body.rfind('\n') {
        Some(i) => body[..=i].to_string(),
        None => String::new(),
    }
}

/// The daemon's complaint if the output is a CLI error rather than a result.
pub fn rejection(output: &str) -> Option<&str> {
    const MARKERS: &[&str] = &[
        "Unknown command",
        "Command incomplete",
        "Ambiguous command",
        "Invalid input",
        "Malformed",
    ];
    output
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with('%') && MARKERS.iter().any(|m| l.contains(m)))
}

/// A vty session that reconnects (once per command) when the daemon went away and came back.
/// Keeps its connection across polls.
#[derive(Debug)]
pub struct Session {
    pub netns: String,
    pub daemon: Daemon,
    password: String,
    conn: Option<Vty>,
}

impl Session {
    pub fn new(netns: &str, daemon: Daemon, password: &str) -> Self {
        Session {
            netns: netns.into(),
            daemon,
            password: password.into(),
            conn: None,
        }
    }

    /// Adopts a connection opened elsewhere (e.g. by `connect_many`), not yet logged in.
    pub async fn adopt(&mut self, stream: std::net::TcpStream) -> Result<(), VtyError> {
        self.conn = Some(Vty::login(TcpStream::from_std(stream)?, &self.password).await?);
        Ok(())
    }

    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Drops the connection (e.g. after a command was abandoned half-way, whose late answer
    /// would otherwise be read as the next command's); the next command reconnects.
    pub fn reset(&mut self) {
        self.conn = None;
    }

    pub async fn run(&mut self, cmd: &str) -> Result<String, VtyError> {
        for attempt in 0..2 {
            if self.conn.is_none() {
                self.conn = Some(Vty::connect(&self.netns, self.daemon, &self.password).await?);
            }
            let conn = self.conn.as_mut().expect("connected");
            match conn.run(cmd).await {
                Err(e) if e.is_connection_lost() => {
                    self.conn = None;
                    if attempt == 1 {
                        return Err(e);
                    }
                }
                other => return other,
            }
        }
        unreachable!("loop returns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn commands_go_to_the_daemon_that_knows_them() {
        for (cmd, d) in [
            ("show ip route", Daemon::Zebra),
            ("sh ip ro", Daemon::Zebra),
            ("show ip route 0.0.0.0/0 json", Daemon::Zebra),
            ("SHOW INTERFACE brief", Daemon::Zebra),
            ("show ipv6 route", Daemon::Zebra),
            ("sh ipv6 ro ::/0 json", Daemon::Zebra),
            ("show ipv6 nht", Daemon::Zebra),
            ("show bgp ipv6 unicast ::/0 json", Daemon::Bgpd),
            ("show bgp ipv6 summary", Daemon::Bgpd),
            ("show ipv6 bgp", Daemon::Bgpd),
            ("show ip bgp", Daemon::Bgpd),
            ("show ip bgp summary json", Daemon::Bgpd),
            ("show bgp summary", Daemon::Bgpd),
            ("show running-config", Daemon::Bgpd),
            ("show version", Daemon::Bgpd),
            ("show ip", Daemon::Bgpd),
            ("", Daemon::Bgpd),
        ] {
            assert_eq!(daemon_for(cmd), d, "{cmd:?}");
        }
    }

    #[test]
    fn prompts() {
        assert_eq!(prompt_host(b"x\r\nROUTER_1> "), Some("ROUTER_1"));
        assert_eq!(prompt_host(b"ROUTER_1# "), Some("ROUTER_1"));
        assert_eq!(prompt_host(b"end\r\nr-2(config-router)# "), Some("r-2"));
        assert_eq!(prompt_host(b"Password: "), None);
        assert_eq!(prompt_host(b"a > b> "), None);
        assert_eq!(prompt_host(b"ROUTER_1> \r\nmore"), None);
    }

    #[test]
    fn output_cleaning_and_rejections() {
        let raw = b"show foo\r\n% [BGP] Unknown command: show foo\r\nROUTER_1> ";
        let out = clean_output(raw);
        assert_eq!(out, "% [BGP] Unknown command: show foo\n");
        assert_eq!(rejection(&out), Some("% [BGP] Unknown command: show foo"));
        assert_eq!(clean_output(b"terminal length 0\r\nROUTER_1> "), "");
        assert_eq!(rejection("% No BGP neighbors found\n"), None);
        assert_eq!(
            rejection("% Command incomplete: router bgp\n"),
            Some("% Command incomplete: router bgp")
        );
    }

    /// A fake FRR vty: banner with option negotiation, password, paging, prompts.
    async fn fake_vty(password: &'static str, page_first: bool) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let h = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut seen = Vec::new();
            s.write_all(b"\r\nHello, this is FRRouting (version 8.4.4).\r\n\r\nUser Access Verification\r\n\r\n\xff\xfb\x01\xff\xfb\x03\xff\xfe\x22\xff\xfd\x1fPass")
                .await
                .unwrap();
            // Split the prompt across writes, as TCP may.
            tokio::time::sleep(Duration::from_millis(20)).await;
            s.write_all(b"word: ").await.unwrap();
            let mut line = Vec::new();
            let mut b = [0u8; 1];
            let mut node = "> ";
            let mut paged = !page_first;
            loop {
                if s.read(&mut b).await.unwrap_or(0) == 0 {
                    return seen;
                }
                match b[0] {
                    255 => {
                        // Swallow the client's 3-byte option answers.
                        let mut o = [0u8; 2];
                        s.read_exact(&mut o).await.unwrap();
                        continue;
                    }
                    b'\n' => {}
                    c => {
                        line.push(c);
                        continue;
                    }
                }
                let cmd = String::from_utf8(std::mem::take(&mut line)).unwrap();
                seen.push(cmd.clone());
                if seen.len() == 1 {
                    if cmd != password {
                        s.write_all(b"\r\nPassword: ").await.unwrap();
                        seen.clear();
                        continue;
                    }
                    s.write_all(b"\r\nr1> ").await.unwrap();
                    continue;
                }
                let echo = format!("{cmd}\r\n");
                let reply: String = match cmd.as_str() {
                    "show long" if !paged => {
                        paged = true;
                        s.write_all(format!("{echo}line1\r\n --More-- ").as_bytes())
                            .await
                            .unwrap();
                        let mut sp = [0u8; 1];
                        s.read_exact(&mut sp).await.unwrap();
                        assert_eq!(sp[0], b' ');
                        "line2\r\n".into()
                    }
                    "show long" => format!("{echo}line1\r\nline2\r\n"),
                    "enable" => {
                        node = "# ";
                        echo
                    }
                    "configure terminal" => {
                        node = "(config)# ";
                        echo
                    }
                    "end" => {
                        node = "# ";
                        echo
                    }
                    "bad" => format!("{echo}% Unknown command: bad\r\n"),
                    _ => echo,
                };
                s.write_all(format!("{reply}r1{node}").as_bytes()).await.unwrap();
            }
        });
        (port, h)
    }

    #[tokio::test]
    async fn login_paging_errors_and_configure_against_fake_vty() {
        let (port, server) = fake_vty("s3cret", true).await;
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut vty = Vty::login(stream, "s3cret").await.unwrap();
        assert_eq!(vty.host(), "r1");
        assert_eq!(vty.run("show long").await.unwrap(), "line1\nline2\n");
        match vty.run("bad").await {
            Err(VtyError::Rejected { cmd, message }) => {
                assert_eq!(cmd, "bad");
                assert_eq!(message, "% Unknown command: bad");
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        vty.configure(&["router bgp 1"]).await.unwrap();
        drop(vty);
        let seen = server.await.unwrap();
        assert_eq!(
            seen,
            [
                "s3cret",
                "terminal length 0",
                "show long",
                "bad",
                "enable",
                "configure terminal",
                "router bgp 1",
                "end"
            ]
        );
    }

    #[tokio::test]
    async fn wrong_password_is_a_login_error() {
        let (port, _server) = fake_vty("right", false).await;
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        match Vty::login(stream, "wrong").await {
            Err(VtyError::Login(m)) => assert_eq!(m, "wrong password"),
            other => panic!("expected a login error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let _keep = tokio::spawn(async move {
            let (s, _) = l.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(s);
        });
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut vty = Vty {
            stream,
            telnet: Telnet::new(None),
            buf: Vec::new(),
            host: "r1".into(),
            password: String::new(),
            enabled: false,
            timeout: Duration::from_millis(100),
        };
        assert!(matches!(vty.run("x").await, Err(VtyError::Timeout(_))));
    }
}
