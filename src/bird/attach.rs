//! `nsbgp attach` on a BIRD router: the `birdc` experience on its control socket, with the
//! terminal handling of FRR's attach (raw mode restored on every exit path, Ctrl-] leaves,
//! SIGTERM/SIGHUP end the session). BIRD's socket speaks whole lines, so the line is edited
//! here (backspace, Ctrl-U, Ctrl-C) and sent on Enter; replies are shown without their codes.

use super::ctl::{Ctl, ReplyParser};
use crate::suite::terminal::{stdin_reader, End, RawMode, ESCAPE};
use std::io::Write;
use std::os::fd::AsFd;
use std::path::Path;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// What one terminal byte does to the line being edited.
#[derive(Debug, PartialEq, Eq)]
pub enum Key {
    Insert(u8),
    Erase,
    Kill,
    Submit,
    Cancel,
    Leave,
    Ignore,
}

/// Decodes terminal bytes; `esc` carries an escape sequence (arrow keys) across reads.
#[derive(Debug, Default)]
pub struct Keys {
    esc: u8,
}

impl Keys {
    pub fn key(&mut self, b: u8, line_empty: bool) -> Key {
        // ESC [ X (and ESC O X): cursor keys, which have no meaning on this line.
        match (self.esc, b) {
            (1, b'[') | (1, b'O') => {
                self.esc = 2;
                return Key::Ignore;
            }
            (2, b) if (0x40..=0x7e).contains(&b) => {
                self.esc = 0;
                return Key::Ignore;
            }
            (2, _) => return Key::Ignore,
            _ => self.esc = 0,
        }
        match b {
            ESCAPE => Key::Leave,
            0x04 if line_empty => Key::Leave,
            0x1b => {
                self.esc = 1;
                Key::Ignore
            }
            b'\r' | b'\n' => Key::Submit,
            0x7f | 0x08 => Key::Erase,
            0x15 => Key::Kill,
            0x03 => Key::Cancel,
            b if b >= 0x20 => Key::Insert(b),
            _ => Key::Ignore,
        }
    }
}

/// Relays the terminal to BIRD's control socket at `path` until Ctrl-], `quit`, BIRD closing,
/// or a signal. `banner` is printed once connected, before raw mode.
pub async fn run(path: &Path, prompt: &str, banner: &str) -> Result<End, String> {
    // Connect (and read the greeting) before touching the terminal.
    let ctl = Ctl::connect(path).await.map_err(|e| e.to_string())?;
    println!("{banner}\n{}", ctl.greeting);
    let mut stream = ctl.into_inner();
    let _raw =
        RawMode::enter(std::io::stdin().as_fd()).map_err(|e| format!("cannot set the terminal to raw mode: {e}"))?;
    let mut rx = stdin_reader();
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout();
    let mut line: Vec<u8> = Vec::new();
    let mut keys = Keys::default();
    let mut parser = ReplyParser::default();
    let mut reply_line = String::new();
    let show = |out: &mut std::io::Stdout, s: &[u8]| {
        let _ = out.write_all(s);
        let _ = out.flush();
    };
    show(&mut out, prompt.as_bytes());
    loop {
        tokio::select! {
            r = stream.read_line(&mut reply_line) => {
                match r { Ok(0) | Err(_) => return Ok(End::Closed), Ok(_) => {} }
                let l = std::mem::take(&mut reply_line);
                match parser.feed(&l) {
                    Ok(Some(reply)) => {
                        let mut text = reply.text().replace('\n', "\r\n");
                        text.push_str(prompt);
                        text.push_str(&String::from_utf8_lossy(&line));
                        show(&mut out, text.as_bytes());
                    }
                    Ok(None) => {}
                    Err(e) => return Err(e.to_string()),
                }
            }
            input = rx.recv() => {
                let Some(input) = input else { return Ok(End::Closed) };
                for b in input {
                    match keys.key(b, line.is_empty()) {
                        Key::Leave => return Ok(End::Escape),
                        Key::Insert(c) => { line.push(c); show(&mut out, &[c]); }
                        Key::Erase => if line.pop().is_some() { show(&mut out, b"\x08 \x08"); },
                        Key::Kill => {
                            show(&mut out, "\x08 \x08".repeat(line.len()).as_bytes());
                            line.clear();
                        }
                        Key::Cancel => {
                            line.clear();
                            show(&mut out, format!("^C\r\n{prompt}").as_bytes());
                        }
                        Key::Submit => {
                            show(&mut out, b"\r\n");
                            let cmd = String::from_utf8_lossy(&std::mem::take(&mut line)).trim().to_string();
                            if cmd == "quit" || cmd == "exit" {
                                return Ok(End::Escape);
                            }
                            if cmd.is_empty() {
                                show(&mut out, prompt.as_bytes());
                            } else if stream.get_mut().write_all(format!("{cmd}\n").as_bytes()).await.is_err() {
                                return Ok(End::Closed);
                            }
                        }
                        Key::Ignore => {}
                    }
                }
            }
            _ = term.recv() => return Ok(End::Signal),
            _ = hup.recv() => return Ok(End::Signal),
        }
    }
}

/// The one-line banner shown before the session starts.
pub fn banner(router: &str, asn: u32, path: &Path) -> String {
    format!(
        "Connected to bird on {router} (AS {asn}), control socket {}. Ctrl-] or `quit` leaves.",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_edit_the_line_and_skip_cursor_sequences() {
        let mut k = Keys::default();
        let got: Vec<Key> = b"sh\x7f\x1b[Ax\r".iter().map(|&b| k.key(b, false)).collect();
        assert_eq!(
            got,
            vec![
                Key::Insert(b's'),
                Key::Insert(b'h'),
                Key::Erase,
                Key::Ignore,
                Key::Ignore,
                Key::Ignore,
                Key::Insert(b'x'),
                Key::Submit
            ]
        );
        assert_eq!(k.key(ESCAPE, false), Key::Leave);
        assert_eq!(k.key(0x04, true), Key::Leave);
        assert_eq!(k.key(0x04, false), Key::Ignore);
        assert_eq!(k.key(0x03, false), Key::Cancel);
        assert_eq!(k.key(0x15, false), Key::Kill);
    }
}
