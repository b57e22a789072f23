//! `nsbgp attach`: the user's terminal wired to a daemon's vty inside a router's namespace,
//! logged in already. Raw mode while attached, restored on every exit path (the guard's
//! Drop runs on return, error and panic; signals end the session through the same path).

use super::telnet::{self, Telnet};
use crate::config::Daemon;
use std::io::Write;
use std::os::fd::AsFd;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use crate::suite::terminal::{stdin_reader, window_size, End, RawMode, ESCAPE};

/// The command in a line where the daemon says it does not know it
/// (`% [BGP] Unknown command: show ip route`).
pub fn unknown_command(line: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(line);
    let s = s.trim_end_matches(['\r', '\n']);
    if !s.trim_start().starts_with('%') {
        return None;
    }
    let (_, cmd) = s.split_once("Unknown command: ")?;
    let cmd = cmd.trim();
    (!cmd.is_empty()).then(|| cmd.to_string())
}

/// Bytes for the terminal (raw mode): every LF preceded by CR.
fn crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
}

/// Logs in on `stream` and relays the terminal until Ctrl-], the daemon closing, or a
/// signal. `banner` is printed once logged in, before raw mode. With `other`, a logged-in
/// session to a second daemon, a command the attached daemon calls unknown is run there and
/// its output shown in place of the complaint, as vtysh does.
pub async fn run(
    stream: std::net::TcpStream,
    password: &str,
    banner: &str,
    mut other: Option<super::vty::Vty>,
) -> Result<End, String> {
    let mut sock = tokio::net::TcpStream::from_std(stream).map_err(|e| e.to_string())?;
    let mut tn = Telnet::new(Some(window_size().unwrap_or((80, 24))));
    let mut buf = vec![0u8; 16 * 1024];
    let mut shown = Vec::new();
    // Log in before touching the terminal, so a refused login leaves it as it was.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let n = tokio::time::timeout_at(deadline, sock.read(&mut buf))
            .await
            .map_err(|_| "the vty did not ask for a password within 5 s".to_string())?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the daemon closed the connection before login".into());
        }
        tn.feed(&buf[..n], &mut shown);
        if !tn.replies.is_empty() {
            let r = std::mem::take(&mut tn.replies);
            sock.write_all(&r).await.map_err(|e| e.to_string())?;
        }
        if shown.ends_with(b"Password: ") {
            break;
        }
    }
    sock.write_all(format!("{password}\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;

    println!("{banner}");
    let stdin_fd = std::io::stdin();
    let _raw = RawMode::enter(stdin_fd.as_fd()).map_err(|e| format!("cannot set the terminal to raw mode: {e}"))?;

    let mut rx = stdin_reader();
    let mut winch =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).map_err(|e| e.to_string())?;
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout();
    // Output held back while it may be a complaint line to replace (it starts with '%').
    let mut held: Vec<u8> = Vec::new();
    loop {
        tokio::select! {
            r = sock.read(&mut buf) => {
                let n = match r { Ok(0) | Err(_) => return Ok(End::Closed), Ok(n) => n };
                let mut data = Vec::new();
                tn.feed(&buf[..n], &mut data);
                if !tn.replies.is_empty() {
                    let r = std::mem::take(&mut tn.replies);
                    if sock.write_all(&r).await.is_err() { return Ok(End::Closed); }
                }
                let Some(vty) = other.as_mut() else {
                    let _ = out.write_all(&data);
                    let _ = out.flush();
                    continue;
                };
                held.extend_from_slice(&data);
                let mut shown = Vec::new();
                while let Some(i) = held.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = held.drain(..=i).collect();
                    match unknown_command(&line) {
                        Some(cmd) => match vty.run(&cmd).await {
                            Ok(text) => shown.extend(crlf(&text)),
                            // The other daemon does not know it either: the first complaint.
                            Err(_) => shown.extend(&line),
                        },
                        None => shown.extend(&line),
                    }
                }
                if !held.starts_with(b"%") && !held.starts_with(b"\r%") {
                    shown.append(&mut held);
                }
                let _ = out.write_all(&shown);
                let _ = out.flush();
            }
            input = rx.recv() => {
                let Some(input) = input else { return Ok(End::Closed) };
                let (data, escaped) = match input.iter().position(|&b| b == ESCAPE) {
                    Some(i) => (&input[..i], true),
                    None => (&input[..], false),
                };
                if !data.is_empty() && sock.write_all(&telnet::escape(data)).await.is_err() {
                    return Ok(End::Closed);
                }
                if escaped { return Ok(End::Escape); }
            }
            _ = winch.recv() => {
                if let Some((c, r)) = window_size() {
                    if let Some(b) = tn.resize(c, r) {
                        let _ = sock.write_all(&b).await;
                    }
                }
            }
            _ = term.recv() => return Ok(End::Signal),
            _ = hup.recv() => return Ok(End::Signal),
        }
    }
}

/// The one-line banner shown before the session starts.
pub fn banner(router: &str, asn: u32, daemon: Daemon, other: Option<Daemon>) -> String {
    let also = match other {
        Some(o) => format!(" Commands {daemon} does not know go to {o}, as in vtysh."),
        None => String::new(),
    };
    format!(
        "Connected to {daemon} on {router} (AS {asn}), 127.0.0.1:{} in its namespace.{also} Ctrl-] leaves.",
        daemon.vty_port()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complaints_name_the_unknown_command() {
        assert_eq!(
            unknown_command(b"% [BGP] Unknown command: show ip route\r\n").as_deref(),
            Some("show ip route")
        );
        assert_eq!(
            unknown_command(b"% Unknown command: sh int\n").as_deref(),
            Some("sh int")
        );
        assert_eq!(unknown_command(b"B>* 0.0.0.0/0 via Unknown command: x\r\n"), None);
        assert_eq!(unknown_command(b"% Command incomplete: show\r\n"), None);
        assert_eq!(crlf("a\nb\r\n"), b"a\r\nb\r\n");
    }
}
