//! The ledger: an append-only record of every kernel object and file a lab creates, written
//! before (or as) each is created. `down` works from it alone, so it finishes the job after
//! a crash or `kill -9` of `up`, and it never touches what the lab did not create.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// About to claim `/run/netns/{name}`.
    Netns {
        name: String,
    },
    /// The namespace exists and has this inode (its identity).
    NetnsIno {
        name: String,
        ino: u64,
    },
    /// veth pair of chain link `index` between routers `a` and `b`.
    Link {
        index: usize,
        a: String,
        b: String,
    },
    /// A directory outside the state dir that did not exist before (e.g. `/etc/netns/R_1`).
    Dir {
        path: PathBuf,
    },
    /// A file outside the state dir (e.g. `/etc/netns/R_1/hosts`).
    File {
        path: PathBuf,
    },
    Daemon {
        router: String,
        daemon: String,
        pid: u32,
    },
}

/// A router (= namespace) name as the lab-file validator makes them: 1–15 characters of
/// `[A-Za-z0-9_-]` starting with a letter. Ledger names must have this shape, so no entry can
/// turn `/run/netns/{name}` or `/etc/netns/{name}` into another path.
pub fn valid_router_name(s: &str) -> bool {
    (1..=15).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Entry {
    /// Whether every name and path in the entry is one nsbgp could have written: files and
    /// directories only as `/etc/netns`, `/etc/netns/{router}` or `/etc/netns/{router}/hosts`.
    pub fn is_well_formed(&self) -> bool {
        let etc = Path::new(crate::netns::ETC_NETNS);
        let under_etc = |p: &Path, file: bool| {
            let Ok(rest) = p.strip_prefix(etc) else { return false };
            let parts: Vec<_> = rest.components().collect();
            let router_ok = |c: &std::path::Component| matches!(c, std::path::Component::Normal(n) if n.to_str().is_some_and(valid_router_name));
            match (file, parts.as_slice()) {
                (false, []) => true,
                (false, [r]) => router_ok(r),
                (true, [r, f]) => router_ok(r) && f.as_os_str() == "hosts",
                _ => false,
            }
        };
        match self {
            Entry::Netns { name } | Entry::NetnsIno { name, .. } => valid_router_name(name),
            Entry::Link { a, b, .. } => valid_router_name(a) && valid_router_name(b),
            Entry::Dir { path } => under_etc(path, false),
            Entry::File { path } => under_etc(path, true),
            Entry::Daemon { router, .. } => valid_router_name(router),
        }
    }
}

pub struct Ledger {
    file: Mutex<std::fs::File>,
}

impl Ledger {
    pub fn create(path: &Path) -> std::io::Result<Ledger> {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)?;
        Ok(Ledger { file: Mutex::new(file) })
    }

    /// Appends entries with one write, so a crash never leaves half a line behind.
    pub fn record_all(&self, entries: &[Entry]) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(entries.len() * 64);
        for e in entries {
            serde_json::to_writer(&mut buf, e).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        self.file.lock().expect("ledger lock").write_all(&buf)
    }

    pub fn record(&self, e: Entry) -> std::io::Result<()> {
        self.record_all(std::slice::from_ref(&e))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{path}: cannot read the lab's ledger: {source}. nsbgp keeps the lab's state and deletes nothing on a guess. Fix: make the file readable and run `nsbgp down` again; or remove the lab's namespaces (`ip netns list`), processes and state directory by hand")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: line {line} of the lab's ledger is corrupt ({message}); only a torn last line is expected after a crash. nsbgp keeps the lab's state and deletes nothing on a guess. Fix: repair or delete that line (each line is one JSON object) and run `nsbgp down` again")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Reads a ledger. A missing file is an empty ledger (it is created before anything outside
/// the state directory is built). A torn last line (crash mid-write: no newline after it)
/// is skipped; any other unparsable line is an error, so nothing is deleted on a guess.
pub fn read(path: &Path) -> Result<Vec<Entry>, LedgerError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(source) => {
            return Err(LedgerError::Read {
                path: path.into(),
                source,
            })
        }
    };
    let text = String::from_utf8(bytes).map_err(|e| LedgerError::Read {
        path: path.into(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut v = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        match serde_json::from_str::<Entry>(l) {
            Ok(e) if !e.is_well_formed() => {
                return Err(LedgerError::Corrupt {
                    path: path.into(),
                    line: i + 1,
                    message: "a name or path nsbgp never writes".into(),
                })
            }
            Ok(e) => v.push(e),
            Err(_) if i + 1 == lines.len() && !complete => {}
            Err(e) => {
                return Err(LedgerError::Corrupt {
                    path: path.into(),
                    line: i + 1,
                    message: e.to_string(),
                })
            }
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_skips_a_torn_line() {
        let dir = std::env::temp_dir().join(format!("nsbgp-ledger-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("ledger.jsonl");
        let _ = std::fs::remove_file(&p);
        let l = Ledger::create(&p).unwrap();
        let a = Entry::Netns { name: "R_0".into() };
        let b = Entry::NetnsIno {
            name: "R_0".into(),
            ino: 4026532000,
        };
        l.record_all(&[a.clone(), b.clone()]).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{\"kind\":\"dae")
            .unwrap();
        assert_eq!(read(&p).unwrap(), vec![a.clone(), b.clone()]);
        // Completed with a newline, the same bytes are a corrupt line, not a torn one.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"\n")
            .unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("corrupt"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_names_and_paths_nsbgp_writes_are_accepted() {
        let ok = [
            Entry::Netns {
                name: "ROUTER_5".into(),
            },
            Entry::Dir {
                path: "/etc/netns".into(),
            },
            Entry::Dir {
                path: "/etc/netns/R_1".into(),
            },
            Entry::File {
                path: "/etc/netns/R_1/hosts".into(),
            },
        ];
        for e in ok {
            assert!(e.is_well_formed(), "{e:?}");
        }
        let bad = [
            Entry::Netns {
                name: "../../etc".into(),
            },
            Entry::NetnsIno {
                name: "a/b".into(),
                ino: 1,
            },
            Entry::Dir { path: "/etc".into() },
            Entry::Dir {
                path: "/etc/netns/../passwd".into(),
            },
            Entry::File {
                path: "/etc/passwd".into(),
            },
            Entry::File {
                path: "/etc/netns/R_1/resolv.conf".into(),
            },
            Entry::Daemon {
                router: "x y".into(),
                daemon: "bgpd".into(),
                pid: 1,
            },
        ];
        for e in bad {
            assert!(!e.is_well_formed(), "{e:?}");
        }
    }

    #[test]
    fn a_corrupt_middle_line_is_an_error_and_a_missing_ledger_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ledger.jsonl");
        assert!(read(&p).unwrap().is_empty());
        std::fs::write(
            &p,
            "{\"kind\":\"netns\",\"name\":\"R_0\"}\ngarbage\n{\"kind\":\"netns\",\"name\":\"R_1\"}\n",
        )
        .unwrap();
        assert!(matches!(read(&p), Err(LedgerError::Corrupt { line: 2, .. })));
    }
}
