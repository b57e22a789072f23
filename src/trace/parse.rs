//! Parser for Debian traceroute's output as nsbgp runs it (`-n -q 1`): one line per TTL,
//! ` 3  172.31.7.2  0.123 ms`, ` 4  *` for silence, `!H`/`!N`/… annotations after the time.

use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq)]
pub struct RawHop {
    pub ttl: u32,
    pub addr: Option<IpAddr>,
    pub rtt_ms: Option<f64>,
    /// `!H`, `!N`, `!X`… when the hop reported the target unreachable.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub hops: Vec<RawHop>,
    /// A line traceroute printed instead of probing (e.g. "connect: Network is unreachable").
    pub error: Option<String>,
}

pub fn parse(output: &str) -> Parsed {
    let mut hops = Vec::new();
    let mut error = None;
    for line in output.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("traceroute to ") {
            continue;
        }
        let mut words = t.split_whitespace();
        let Some(ttl) = words.next().and_then(|w| w.parse::<u32>().ok()) else {
            error.get_or_insert_with(|| t.to_string());
            continue;
        };
        let rest: Vec<&str> = words.collect();
        let addr = rest.first().and_then(|w| w.parse::<IpAddr>().ok());
        let rtt_ms = rest
            .windows(2)
            .find(|w| w[1] == "ms")
            .and_then(|w| w[0].parse::<f64>().ok());
        let note = rest.iter().find(|w| w.starts_with('!')).map(|w| w.to_string());
        hops.push(RawHop {
            ttl,
            addr,
            rtt_ms,
            note,
        });
    }
    Parsed { hops, error }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/traceroute")
            .join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn five_hops_to_world() {
        let p = parse(&fixture("router5-world.txt"));
        assert_eq!(p.error, None);
        let addrs: Vec<String> = p.hops.iter().map(|h| h.addr.unwrap().to_string()).collect();
        assert_eq!(
            addrs,
            ["172.31.5.2", "172.31.4.2", "172.31.3.2", "172.31.2.2", "198.51.100.1"]
        );
        assert_eq!(p.hops.iter().map(|h| h.ttl).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert!(p
            .hops
            .iter()
            .all(|h| h.rtt_ms.is_some_and(|r| r > 0.0) && h.note.is_none()));
    }

    #[test]
    fn silent_hops_and_errors() {
        let p = parse(&fixture("router5-no-host.txt"));
        assert_eq!(p.hops.len(), 3);
        assert_eq!((p.hops[1].addr, p.hops[1].rtt_ms), (None, None));
        let p = parse(&fixture("router5-link-down.txt"));
        assert!(p.hops.is_empty());
        assert_eq!(p.error.as_deref(), Some("connect: Network is unreachable"));
    }

    #[test]
    fn annotations() {
        let p = parse(" 1  172.31.1.2  0.050 ms\n 2  172.31.1.2  3002.1 ms !H\n");
        assert_eq!(p.hops[1].note.as_deref(), Some("!H"));
        assert_eq!(p.hops[1].rtt_ms, Some(3002.1));
    }
}
