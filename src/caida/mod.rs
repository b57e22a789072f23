//! CAIDA AS-relationship files (`nsbgp import FILE --format caida`): the parser here, the
//! choice of a connected sub-graph in `select`, the lab file it becomes in `lab`.
//!
//! The format (CAIDA's as-rel files): one relationship a line, `a|b|-1` (a is b's
//! provider) or `a|b|0` (peers); serial-2 files add a fourth column, the source of the
//! inference (`bgp`, `mlp`, …), which is read and not kept. `#` starts a comment line, blank
//! lines are skipped; the comment `# input clique: A B …` (CAIDA's tier-1 clique) is kept. A file that starts with bzip2's magic `BZh` is decompressed while it is
//! read, whatever its name. Pure but for reading the one file.

use crate::config::policy::Rel;
use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::Path;

pub mod lab;
pub mod select;

/// Decompressed text nsbgp reads at most: CAIDA's serial-2 file of all ASes is ~10 MB of
/// text (~500 000 lines); far more is not an AS-relationship file but a mistake (or a bzip2
/// bomb), and would cost gigabytes of memory before failing.
pub const MAX_TEXT: u64 = 256 << 20;

/// What is wrong with a CAIDA file: the file, the line (1-based; 0 for the whole file).
#[derive(Debug, thiserror::Error)]
pub enum CaidaError {
    #[error("{file}: cannot read it: {source}. Fix: check the path")]
    Read { file: String, source: std::io::Error },
    #[error("{file}:{line}: {problem}")]
    Line { file: String, line: usize, problem: String },
    /// A selection the file cannot give (`--around` an AS it lacks, an empty file).
    #[error("{file}: {problem}")]
    Select { file: String, problem: String },
}

/// The relationships of a whole file. ASes are numbered 0.. in ascending AS-number order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsGraph {
    pub asns: Vec<u32>,
    /// (a, b, rel) by AS position; p2c links have the provider as `a`. In file order.
    pub links: Vec<(usize, usize, Rel)>,
    /// Lines that repeated a relationship already read (same ends, same relationship).
    pub duplicates: usize,
    /// The tier-1 clique the file states in a `# input clique:` (or `# inferred clique:`)
    /// comment, as CAIDA's files do: AS numbers in the order given.
    pub stated_clique: Vec<u32>,
}

impl AsGraph {
    pub fn index_of(&self, asn: u32) -> Option<usize> {
        self.asns.binary_search(&asn).ok()
    }
}

/// Reads `path`, bzip2-compressed or plain (by its first bytes).
pub fn read(path: &Path) -> Result<AsGraph, CaidaError> {
    let label = path.display().to_string();
    let cant = |e: std::io::Error| CaidaError::Read {
        file: label.clone(),
        source: e,
    };
    let mut f = std::io::BufReader::new(std::fs::File::open(path).map_err(cant)?);
    let bz = f.fill_buf().map_err(cant)?.starts_with(b"BZh");
    let input: Box<dyn Read> = if bz {
        Box::new(bzip2::read::MultiBzDecoder::new(f))
    } else {
        Box::new(f)
    };
    parse(&label, std::io::BufReader::new(input.take(MAX_TEXT + 1)))
}

/// The relationship one line states, by AS number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stated {
    /// (provider, customer)
    P2c(u32, u32),
    P2p,
}

/// Parses the text of an as-rel file. `file` names it in errors.
pub fn parse(file: &str, input: impl BufRead) -> Result<AsGraph, CaidaError> {
    parse_at_most(file, input, MAX_TEXT)
}

/// [`parse`], refusing more than `max` bytes of text.
fn parse_at_most(file: &str, mut input: impl BufRead, max: u64) -> Result<AsGraph, CaidaError> {
    let at = |line: usize, problem: String| CaidaError::Line {
        file: file.to_string(),
        line,
        problem,
    };
    // (low AS, high AS) -> what was stated, and on which line.
    let mut seen: HashMap<(u32, u32), (Stated, usize)> = HashMap::new();
    let mut order: Vec<(u32, u32)> = Vec::new();
    let mut duplicates = 0;
    let mut stated_clique = Vec::new();
    let mut buf = Vec::new();
    let mut read: u64 = 0;
    for no in 1.. {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof => {
                at(no, format!("the file is damaged ({e}): not a complete bzip2 stream?"))
            }
            _ => CaidaError::Read {
                file: file.to_string(),
                source: e,
            },
        })?;
        if n == 0 {
            break;
        }
        read += n as u64;
        if read > max {
            return Err(at(
                no,
                format!("more than {} MiB of text: not a CAIDA AS-relationship file", max >> 20),
            ));
        }
        let text = std::str::from_utf8(&buf).map_err(|_| at(no, "not text (invalid UTF-8)".into()))?;
        let line = text.trim();
        if let Some(list) = ["# input clique:", "# inferred clique:"]
            .iter()
            .find_map(|tag| line.strip_prefix(tag))
        {
            stated_clique = list
                .split_whitespace()
                .map(|a| asn(a).map_err(|p| at(no, format!("clique comment: AS {p}"))))
                .collect::<Result<_, _>>()?;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        if fields.len() != 3 && fields.len() != 4 {
            return Err(at(
                no,
                format!(
                    "{line:?} has {} fields; CAIDA lines are a|b|rel (serial-1) or a|b|rel|source (serial-2)",
                    fields.len()
                ),
            ));
        }
        let a = asn(fields[0]).map_err(|p| at(no, format!("first AS {p}")))?;
        let b = asn(fields[1]).map_err(|p| at(no, format!("second AS {p}")))?;
        if a == b {
            return Err(at(no, format!("AS{a} is linked to itself")));
        }
        let stated = match fields[2].trim() {
            "-1" => Stated::P2c(a, b),
            "0" => Stated::P2p,
            other => {
                return Err(at(
                    no,
                    format!("relationship {other:?}: CAIDA's are -1 (a is b's provider) and 0 (peers)"),
                ))
            }
        };
        if fields.len() == 4 && fields[3].trim().is_empty() {
            return Err(at(no, "the serial-2 source column (4th) is empty".into()));
        }
        let key = (a.min(b), a.max(b));
        match seen.get(&key) {
            Some(&(before, _)) if before == stated => duplicates += 1,
            Some(&(before, line_before)) => {
                return Err(at(
                    no,
                    format!(
                        "{} here, but line {line_before} says {}",
                        describe(stated, a, b),
                        describe(before, key.0, key.1)
                    ),
                ))
            }
            None => {
                seen.insert(key, (stated, no));
                order.push(key);
            }
        }
    }
    let mut asns: Vec<u32> = order.iter().flat_map(|&(a, b)| [a, b]).collect();
    asns.sort_unstable();
    asns.dedup();
    let idx = |a: u32| asns.binary_search(&a).expect("every AS of a link is listed");
    let links = order
        .iter()
        .map(|key| match seen[key].0 {
            Stated::P2c(p, c) => (idx(p), idx(c), Rel::P2c),
            Stated::P2p => (idx(key.0), idx(key.1), Rel::P2p),
        })
        .collect();
    Ok(AsGraph {
        asns,
        links,
        duplicates,
        stated_clique,
    })
}

fn describe(s: Stated, a: u32, b: u32) -> String {
    match s {
        Stated::P2c(p, c) => format!("AS{p} is AS{c}'s provider"),
        Stated::P2p => format!("AS{a} and AS{b} are peers"),
    }
}

/// One AS number field: a usable AS (1 … 4294967294, none of the reserved ones).
fn asn(s: &str) -> Result<u32, String> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("{s:?} is not an AS number"));
    }
    let v: u64 = s
        .parse()
        .map_err(|_| format!("{s} is out of range (AS numbers are 1 … 4294967294)"))?;
    match v {
        0 => Err("0: AS 0 is reserved (RFC 7607) and never a real AS".into()),
        23456 => Err("23456 is AS_TRANS (RFC 6793), a stand-in, not a real AS".into()),
        v if v > u32::MAX as u64 => Err(format!("{v} is out of range (AS numbers are 1 … 4294967294)")),
        v if crate::config::reserved_asn(v) => Err(format!(
            "{v} is reserved (documentation 64496-64511 and 65536-65551, 65535, 4294967295) and cannot be a router's AS"
        )),
        v => Ok(v as u32),
    }
}

#[cfg(test)]
mod tests;
