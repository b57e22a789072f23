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

/// Reads a ledger; a torn last line (crash mid-write) is skipped, not fatal.
pub fn read(path: &Path) -> std::io::Result<Vec<Entry>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
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
        assert_eq!(read(&p).unwrap(), vec![a, b]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
