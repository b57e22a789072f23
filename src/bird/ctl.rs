//! BIRD's control socket: a line protocol. Every reply line starts with a 4-digit code;
//! `DDDD-text` continues the reply, ` text` continues the previous code's block, and
//! `DDDD text` ends it. Codes 0xxx end a successful reply (`0000` with nothing to say),
//! 8xxx are run-time errors and 9xxx parse errors; 1xxx/2xxx carry the data. The socket
//! greets with `0001 BIRD 2.0.12 ready.`.

use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error("cannot connect to BIRD's control socket {path}: {source}")]
    Connect { path: PathBuf, source: std::io::Error },
    #[error("BIRD's control socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("BIRD closed its control socket")]
    Closed,
    #[error("BIRD did not answer within {0:?}")]
    Timeout(Duration),
    #[error("BIRD's control socket sent an unreadable line: {0:?}")]
    Protocol(String),
    #[error("{message} (BIRD reply {code})")]
    Rejected { code: u16, message: String },
}

impl CtlError {
    /// The connection cannot be used again (anything but a rejected command).
    pub fn is_connection_lost(&self) -> bool {
        !matches!(self, CtlError::Rejected { .. })
    }
}

/// One complete reply: every line's code (continuations carry their block's code) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<(u16, String)>,
}

impl Reply {
    /// The text as `birdc` shows it: codes stripped, the final line only when it says something.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (_, l) in &self.lines {
            s.push_str(l);
            s.push('\n');
        }
        s
    }

    pub fn is_error(&self) -> bool {
        self.code >= 8000
    }
}

/// Incremental reply parser: feed lines, get the reply once its last line arrived.
#[derive(Debug, Default)]
pub struct ReplyParser {
    lines: Vec<(u16, String)>,
    code: u16,
}

impl ReplyParser {
    pub fn feed(&mut self, line: &str) -> Result<Option<Reply>, CtlError> {
        let line = line.trim_end_matches(['\n', '\r']);
        if let Some(rest) = line.strip_prefix(' ') {
            self.lines.push((self.code, rest.to_string()));
            return Ok(None);
        }
        let b = line.as_bytes();
        if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || !(b[4] == b'-' || b[4] == b' ') {
            return Err(CtlError::Protocol(line.to_string()));
        }
        let code: u16 = line[..4].parse().expect("four digits");
        let text = &line[5..];
        self.code = code;
        if b[4] == b'-' {
            self.lines.push((code, text.to_string()));
            return Ok(None);
        }
        // The last line: 0000 has nothing to say; other final codes do (errors, summaries).
        if code != 0 || !text.is_empty() {
            self.lines.push((code, text.to_string()));
        }
        Ok(Some(Reply {
            code,
            lines: std::mem::take(&mut self.lines),
        }))
    }
}

/// Parses a whole recorded reply (for tests and one-shot use).
pub fn parse_reply(text: &str) -> Result<Reply, CtlError> {
    let mut p = ReplyParser::default();
    for l in text.lines() {
        if let Some(r) = p.feed(l)? {
            return Ok(r);
        }
    }
    Err(CtlError::Closed)
}

/// A connection to one BIRD's control socket.
pub struct Ctl {
    stream: BufReader<UnixStream>,
    pub greeting: String,
}

/// How long one command may take before the connection is given up.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

impl Ctl {
    pub async fn connect(path: &Path) -> Result<Ctl, CtlError> {
        let s = UnixStream::connect(path).await.map_err(|source| CtlError::Connect {
            path: path.to_path_buf(),
            source,
        })?;
        let mut c = Ctl {
            stream: BufReader::new(s),
            greeting: String::new(),
        };
        let r = c.read_reply(COMMAND_TIMEOUT).await?;
        c.greeting = r.text().trim().to_string();
        Ok(c)
    }

    /// The buffered stream, for a session that reads replies itself (`attach`).
    pub fn into_inner(self) -> BufReader<UnixStream> {
        self.stream
    }

    async fn read_reply(&mut self, timeout: Duration) -> Result<Reply, CtlError> {
        let mut p = ReplyParser::default();
        let mut line = String::new();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            line.clear();
            let n = tokio::time::timeout_at(deadline, self.stream.read_line(&mut line))
                .await
                .map_err(|_| CtlError::Timeout(timeout))??;
            if n == 0 {
                return Err(CtlError::Closed);
            }
            if let Some(r) = p.feed(&line)? {
                return Ok(r);
            }
        }
    }

    /// Runs one command; a reply with an error code is `Rejected`.
    pub async fn run(&mut self, cmd: &str) -> Result<Reply, CtlError> {
        self.run_timeout(cmd, COMMAND_TIMEOUT).await
    }

    pub async fn run_timeout(&mut self, cmd: &str, timeout: Duration) -> Result<Reply, CtlError> {
        let cmd = cmd.trim();
        if cmd.contains('\n') {
            return Err(CtlError::Rejected {
                code: 9000,
                message: "one command per line".into(),
            });
        }
        self.stream.get_mut().write_all(format!("{cmd}\n").as_bytes()).await?;
        let r = self.read_reply(timeout).await?;
        if r.is_error() {
            return Err(CtlError::Rejected {
                code: r.code,
                message: r.text().trim().to_string(),
            });
        }
        Ok(r)
    }
}

/// A control-socket session kept across polls: connects on first use and again after the
/// connection was lost (BIRD restarted).
pub struct Session {
    path: PathBuf,
    conn: Option<Ctl>,
}

impl Session {
    pub fn new(path: PathBuf) -> Session {
        Session { path, conn: None }
    }

    pub fn reset(&mut self) {
        self.conn = None;
    }

    pub async fn run(&mut self, cmd: &str) -> Result<Reply, CtlError> {
        if self.conn.is_none() {
            self.conn = Some(Ctl::connect(&self.path).await?);
        }
        let c = self.conn.as_mut().expect("connected");
        let r = c.run(cmd).await;
        if matches!(&r, Err(e) if e.is_connection_lost()) {
            self.conn = None;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_reply_with_continuations() {
        let rec = "2002-Name       Proto      Table      State  Since         Info\n\
                   1002-device1    Device     ---        up     1795681711.327  \n \
                   direct1    Direct     ---        up     1795681711.327  \n0000 \n";
        let r = parse_reply(rec).unwrap();
        assert_eq!(r.code, 0);
        assert_eq!(r.lines.len(), 3);
        assert_eq!(r.lines[1].0, 1002);
        assert_eq!(
            r.lines[2],
            (1002, "direct1    Direct     ---        up     1795681711.327  ".into())
        );
        assert!(r.text().starts_with("Name       Proto"));
        assert!(!r.is_error());
    }

    #[test]
    fn final_lines_with_text_are_kept_and_errors_flagged() {
        let r = parse_reply("0001 BIRD 2.0.12 ready.\n").unwrap();
        assert_eq!((r.code, r.text().as_str()), (1, "BIRD 2.0.12 ready.\n"));
        let r = parse_reply("8001 Network not found\n").unwrap();
        assert!(r.is_error() && r.code == 8001);
        let r = parse_reply("9001 syntax error, unexpected CF_SYM_UNDEFINED\n").unwrap();
        assert!(r.is_error());
        let r = parse_reply("1007-2 of 2 routes for 2 networks in table master4\n 0 of 0 routes for 0 networks in table master6\n0014 Total: 2 of 2 routes for 2 networks in 2 tables\n").unwrap();
        assert_eq!(r.code, 14);
        assert_eq!(r.lines.len(), 3);
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        assert!(matches!(parse_reply("hello\n"), Err(CtlError::Protocol(_))));
        assert!(matches!(parse_reply("1002-x\n"), Err(CtlError::Closed)));
    }

    #[test]
    fn parser_is_incremental() {
        let mut p = ReplyParser::default();
        assert_eq!(p.feed("1000-BIRD 2.0.12\n").unwrap(), None);
        assert_eq!(p.feed(" Router ID is 172.31.1.1\n").unwrap(), None);
        let r = p.feed("0013 Daemon is up and running\n").unwrap().unwrap();
        assert_eq!(r.lines[1], (1000, "Router ID is 172.31.1.1".into()));
        // The next reply starts clean.
        let r = p.feed("0000 \n").unwrap().unwrap();
        assert!(r.lines.is_empty());
    }
}
