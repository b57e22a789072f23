//! Lab model: the TOML file (`model`), its validation into a fully resolved [`Lab`]
//! (`validate`), the topology graph (`graph`) and the address plan (`plan`). Nothing here
//! touches the system.

pub mod family;
pub mod graph;
pub mod impair;
pub mod internet;
pub mod lan;
pub mod model;
pub mod name;
pub mod plan;
pub mod policy;
mod validate;
mod validate_policy;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

pub use family::{Addressing, Family};
pub use graph::{Graph, Shape, Topology};
pub use model::LabFile;
pub use name::{LabName, LabNameError, LAB_NAME_RULE};
pub(crate) use validate::reserved_asn;
pub use validate::{validate, Overrides};

/// A config problem: which file, which key, what is wrong, and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read it: {source}. Fix: check the path (relative paths are from the current directory).")]
    Read { file: String, source: std::io::Error },
    #[error("{file}: not a valid lab file: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: `{key}`: {problem}. Fix: {fix}")]
    Invalid {
        file: String,
        key: String,
        problem: String,
        fix: String,
    },
}

/// One BGP daemon nsbgp runs per router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Daemon {
    Zebra,
    Bgpd,
    /// BIRD 2: one daemon does what zebra and bgpd do together.
    Bird,
}

impl Daemon {
    pub fn name(self) -> &'static str {
        match self {
            Daemon::Zebra => "zebra",
            Daemon::Bgpd => "bgpd",
            Daemon::Bird => "bird",
        }
    }
    /// vty TCP port inside the router's namespace (the classic Quagga/FRR ports). BIRD has
    /// no TCP vty (its control socket is a file in the chroot): 0.
    pub fn vty_port(self) -> u16 {
        match self {
            Daemon::Zebra => 2601,
            Daemon::Bgpd => 2605,
            Daemon::Bird => 0,
        }
    }
    pub fn parse(s: &str) -> Option<Daemon> {
        match s {
            "zebra" => Some(Daemon::Zebra),
            "bgpd" => Some(Daemon::Bgpd),
            "bird" => Some(Daemon::Bird),
            _ => None,
        }
    }
    pub fn suite(self) -> Suite {
        match self {
            Daemon::Zebra | Daemon::Bgpd => Suite::Frr,
            Daemon::Bird => Suite::Bird,
        }
    }
}

/// The routing suite a router runs (`[daemons] suite`, `[[router]] suite`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Suite {
    #[default]
    Frr,
    Bird,
}

impl Suite {
    pub fn name(self) -> &'static str {
        match self {
            Suite::Frr => "frr",
            Suite::Bird => "bird",
        }
    }
    pub fn parse(s: &str) -> Option<Suite> {
        match s {
            "frr" => Some(Suite::Frr),
            "bird" => Some(Suite::Bird),
            _ => None,
        }
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A validated, fully resolved lab: every router with its AS, addresses and neighbours.
/// Saved as `lab.json` in the state directory so later commands need no config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lab {
    pub name: LabName,
    pub source: Option<PathBuf>,
    pub router_prefix: String,
    pub first_asn: u32,
    /// `[addressing] family`: the families every link and session runs.
    pub family: Addressing,
    pub link_pool: Ipv4Net,
    pub link_prefix_len: u8,
    pub v6_link_pool: Ipv6Net,
    /// The "world": one prefix per family on the origin's `lo` (`stub_prefix`,
    /// `v6_stub_prefix`), IPv4 first, each with its first host as the address traced.
    pub stubs: Vec<Stub>,
    pub frr_dir: PathBuf,
    pub timers: Timers,
    pub daemons: Vec<Daemon>,
    pub limit_fds: u32,
    pub log_level: String,
    /// Whether the daemons run without address-space randomisation and opted in to KSM, so
    /// the kernel can merge the pages every zebra (every bgpd) builds identically at start.
    pub merge_memory: bool,
    /// Whether `up` raises the links only once every daemon runs, so BGP starts everywhere
    /// at once instead of along a half-started chain (`daemons.hold_links`).
    #[serde(default)]
    pub hold_links: bool,
    /// Which generator made `graph` (`[topology]`).
    #[serde(default)]
    pub topology: Topology,
    /// Routers, links and distances from the origin: what every consumer reads.
    pub graph: Graph,
    pub routers: Vec<Router>,
    /// The address plan of `graph`'s links: `links[p]` is link position p (index p+1).
    pub links: Vec<plan::LinkPlan>,
    /// The shared segments (`[[topology.lan]]`): `lans[j]` is the graph's LAN j.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lans: Vec<lan::LanPlan>,
    /// `[policy]` with the links' relationships and, in internet labs, every AS's prefix.
    #[serde(default)]
    pub policy: policy::Policy,
    /// The lab file's text as it was read, so `lab.json` can be validated again exactly as
    /// the file was ([`revalidate`]).
    #[serde(default)]
    pub file_text: Option<String>,
    /// The impaired links, in link order (`[links]`, `[[link]]`, `[[topology.link]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impairments: Vec<impair::LinkImpairment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timers {
    pub keepalive_s: u32,
    pub hold_s: u32,
    pub connect_retry_s: u32,
    pub advertisement_interval_s: u32,
    pub coalesce_time_ms: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Router {
    pub index: usize,
    /// Also the namespace name.
    pub name: String,
    pub asn: u32,
    pub router_id: Ipv4Addr,
    /// The routing suite this router runs (labs saved before suites existed are FRR).
    #[serde(default)]
    pub suite: Suite,
    /// One per link the router is on, in link order (on the chain: towards ROUTER_0 first).
    pub interfaces: Vec<Interface>,
}

/// One veth end inside a router. It is named after the router at the other end, so
/// `ip -br link` in ROUTER_5 shows `ROUTER_4` and `ROUTER_6`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    pub name: String,
    /// Fixed ifindex (lo is 1, then 2, 3, … in interface order): set at creation so no
    /// lookup is ever needed.
    pub ifindex: u32,
    /// One address per family of the lab, IPv4 first.
    pub addrs: Vec<IfAddr>,
    pub link: usize,
    pub peer_index: usize,
    pub peer_name: String,
    pub peer_asn: u32,
    /// On a LAN (index into [`Lab::lans`]): the router has one such entry per other member,
    /// all on one device named after the LAN, with one address and one ifindex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lan: Option<usize>,
}

/// This end's address on a link in one family, the link's subnet and the peer's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IfAddr {
    pub addr: IpAddr,
    pub subnet: IpNet,
    pub peer_addr: IpAddr,
}

impl IfAddr {
    pub fn family(&self) -> Family {
        Family::of(self.addr)
    }
}

impl Interface {
    /// The address of this end in family `f`, if the lab runs it.
    pub fn addr(&self, f: Family) -> Option<&IfAddr> {
        self.addrs.iter().find(|a| a.family() == f)
    }

    /// The address of the first family (IPv4 where the lab has it): the one a hop shows.
    pub fn first_addr(&self) -> &IfAddr {
        &self.addrs[0]
    }

    /// Whether `addr` is this end's, in any family.
    pub fn holds(&self, addr: IpAddr) -> bool {
        self.addrs.iter().any(|a| a.addr == addr)
    }
}

/// The "world" of one family: a documentation prefix on the origin's `lo`, announced by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stub {
    pub prefix: IpNet,
    /// Its first host: the address traced as `world`.
    pub addr: IpAddr,
}

/// The most routers one lab may have: `up`, `render` and `doctor -c` refuse more before
/// building anything. 1000 is the largest lab measured (BENCHMARKS.md, ~14 MB a router);
/// twice that leaves room, beyond it nothing about this host is known.
pub const MAX_ROUTERS: usize = 2000;

/// `merge_memory = "auto"` turns merging on from this many routers. Below it the lab fits
/// easily and ksmd's CPU (5–25 % of a core while it scans) is better spent on BGP.
pub const MERGE_AUTO_MIN_ROUTERS: usize = 200;

/// `hold_links = "auto"` holds the links from this many routers. In a big lab the routers
/// already up otherwise run BGP while the rest start: measured at 300 and 1000 routers, that
/// overlap costs more CPU than it saves in propagation time. Below it, starting from both ends
/// inwards lets updates cross the first half of the chain during the launch (200 routers:
/// 23.7–24.0 s not held vs 25.3–25.6 s held; 300: 37.4–41.2 s vs 31.9–33.4 s).
/// Links count too: a clique's route load grows with its links, not its routers.
pub const HOLD_LINKS_AUTO_MIN_ROUTERS: usize = 250;

/// ifindex of a router's first interface; the next ones follow in interface order.
pub const IFINDEX_FIRST: u32 = 2;

impl Lab {
    pub fn router(&self, index: usize) -> &Router {
        &self.routers[index]
    }

    /// Resolves `ROUTER_50`, `50` or `AS150` (a router's name, index or AS) to a router index.
    pub fn resolve_router(&self, spec: &str) -> Option<usize> {
        if let Some(r) = self.routers.iter().find(|r| r.name == spec) {
            return Some(r.index);
        }
        if let Some(a) = spec.strip_prefix("AS").or_else(|| spec.strip_prefix("as")) {
            let a: u32 = a.parse().ok()?;
            return self.routers.iter().find(|r| r.asn == a).map(|r| r.index);
        }
        resolve_router(&self.router_prefix, self.first_asn, self.routers.len(), spec)
            .filter(|&i| self.routers[i].name == spec || !spec.starts_with(&self.router_prefix))
    }

    /// The router that originates the default route and holds the stub ("world").
    pub fn origin(&self) -> usize {
        self.graph.origin()
    }

    /// The size host limits and `auto` thresholds scale with: routers or links, whichever
    /// is more (the chain: its routers).
    pub fn size(&self) -> usize {
        self.routers.len().max(self.links.len() + self.lans.len())
    }

    /// Router `r`'s devices: its interfaces with one entry per LAN (the first of the LAN's
    /// per-peer entries), in interface order.
    pub fn devices(&self, r: usize) -> Vec<&Interface> {
        let mut seen = std::collections::HashSet::new();
        self.routers[r]
            .interfaces
            .iter()
            .filter(|i| seen.insert(i.ifindex))
            .collect()
    }

    /// Router `r`'s interface on link `index` (1-based, as in [`Interface::link`]).
    pub fn interface_on(&self, r: usize, index: usize) -> Option<&Interface> {
        self.routers[r].interfaces.iter().find(|i| i.link == index)
    }

    /// Router `r`'s interface towards its neighbour `peer`.
    pub fn interface_to(&self, r: usize, peer: usize) -> Option<&Interface> {
        self.routers[r].interfaces.iter().find(|i| i.peer_index == peer)
    }

    /// The daemons router `index` runs, in start order.
    pub fn daemons_of(&self, index: usize) -> Vec<Daemon> {
        match self.routers[index].suite {
            Suite::Frr => self.daemons.clone(),
            Suite::Bird => vec![Daemon::Bird],
        }
    }

    /// Whether any router runs `suite`.
    pub fn uses(&self, suite: Suite) -> bool {
        self.routers.iter().any(|r| r.suite == suite)
    }

    pub fn router_name(&self, index: usize) -> String {
        self.routers[index].name.clone()
    }

    /// Router that holds `addr`, if any (for mapping traceroute hops back to names).
    pub fn router_of_addr(&self, addr: IpAddr) -> Option<&Router> {
        if self.stubs.iter().any(|s| s.addr == addr) {
            return self.routers.get(self.origin());
        }
        // An internet lab's AS answers a trace to its own prefix from that prefix's address.
        if let IpAddr::V4(a) = addr {
            if let Some(i) = self.owner_of_addr(a) {
                return self.routers.get(i);
            }
        }
        self.routers.iter().find(|r| r.interfaces.iter().any(|i| i.holds(addr)))
    }

    /// The families the lab runs, IPv4 first.
    pub fn families(&self) -> &'static [Family] {
        self.family.families()
    }

    /// The stub ("world") of family `f`, if the lab runs it.
    pub fn stub(&self, f: Family) -> Option<&Stub> {
        self.stubs.iter().find(|s| Family::of(s.addr) == f)
    }

    /// Every prefix a converged router must have learned: all link subnets and the stubs.
    pub fn announced_prefixes(&self) -> Vec<IpNet> {
        let mut v: Vec<IpNet> = self
            .links
            .iter()
            .flat_map(|l| l.nets.iter().map(|n| n.subnet))
            .collect();
        v.extend(self.lans.iter().map(|l| IpNet::V4(l.subnet)));
        v.extend(self.lans.iter().filter_map(|l| l.v6_subnet.map(IpNet::V6)));
        v.extend(self.stubs.iter().map(|s| s.prefix));
        v
    }
}

/// Resolves `ROUTER_50`, `50` or `AS150` among `n` routers (only the canonical spelling:
/// `ROUTER_05` is not `ROUTER_5`).
pub fn resolve_router(prefix: &str, first_asn: u32, n: usize, spec: &str) -> Option<usize> {
    let idx = if let Some(rest) = spec.strip_prefix(prefix) {
        rest.parse::<usize>().ok().filter(|i| format!("{prefix}{i}") == spec)
    } else if let Some(asn) = spec.strip_prefix("AS").or_else(|| spec.strip_prefix("as")) {
        asn.parse::<u32>()
            .ok()
            .and_then(|a| a.checked_sub(first_asn))
            .map(|i| i as usize)
    } else if spec.chars().all(|c| c.is_ascii_digit()) && !spec.is_empty() {
        spec.parse::<usize>().ok()
    } else {
        None
    };
    idx.filter(|&i| i < n)
}

/// Reads and validates a lab file.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Lab, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        file: file.clone(),
        source,
    })?;
    let parsed: LabFile = parse(&file, &text)?;
    let mut lab = validate(&file, parsed, overrides)?;
    lab.source = std::fs::canonicalize(path).ok();
    lab.file_text = Some(text);
    Ok(lab)
}

/// Validates a resolved lab again, as read back from `lab.json`: the lab file's text it
/// carries goes through the lab-file validator once more (with its name and router count as
/// overrides) and must resolve to exactly this lab. A value changed by hand (a program
/// path, a router name, an address, the text itself) fails here.
pub fn revalidate(lab: &Lab) -> Result<(), ConfigError> {
    let file = "lab.json";
    let invalid = |problem: &str| ConfigError::Invalid {
        file: file.into(),
        key: "(resolved lab)".into(),
        problem: problem.into(),
        fix: "take the lab down (`nsbgp down`) and up again from its lab file".into(),
    };
    let text = lab
        .file_text
        .as_deref()
        .ok_or_else(|| invalid("it does not carry the lab file it was made from"))?;
    let ov = Overrides {
        routers: Some(lab.routers.len() as i64),
        name: Some(lab.name.clone()),
    };
    let mut again = validate(file, parse(file, text)?, &ov)?;
    again.source = lab.source.clone();
    again.file_text = lab.file_text.clone();
    if again != *lab {
        return Err(invalid(
            "its routers, addresses or settings differ from what its lab file resolves to",
        ));
    }
    Ok(())
}

/// Parses the TOML text of a lab file; unknown keys and wrong types are errors.
pub fn parse(file: &str, text: &str) -> Result<LabFile, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse {
        file: file.to_string(),
        message: e.to_string().trim_end().replace('\n', "\n  "),
    })
}

#[cfg(test)]
mod revalidate_tests {
    use super::*;

    fn lab(text: &str) -> Lab {
        let mut l = validate("t.toml", parse("t.toml", text).unwrap(), &Overrides::default()).unwrap();
        l.file_text = Some(text.to_string());
        l
    }

    #[test]
    fn the_router_limit_holds_before_anything_is_sized() {
        let parse_and_validate = |text: &str| validate("t.toml", parse("t.toml", text)?, &Overrides::default());
        let text = "name = \"huge\"\nrouters = 500000000\nlast_asn = 4000000000\nlink_pool = \"10.0.0.0/8\"\n";
        let e = parse_and_validate(text).unwrap_err().to_string();
        assert!(e.contains("limit of 2000"), "{e}");
        let at_limit =
            format!("name = \"l\"\nrouters = {MAX_ROUTERS}\nlast_asn = 100000\nlink_pool = \"10.0.0.0/8\"\n");
        assert!(parse_and_validate(&at_limit).is_ok());
    }

    #[test]
    fn a_lab_revalidates_and_a_doctored_one_does_not() {
        for text in [
            "name = \"c\"\nrouters = 100\n",
            "name = \"big\"\nrouters = 1000\n",
            "name = \"x\"\nrouters = 3\nlink_pool = \"10.9.0.0/16\"\nlink_prefix_len = 30\n[daemons]\nmerge_memory = \"on\"\n",
        ] {
            revalidate(&lab(text)).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
        let good = lab("name = \"c\"\nrouters = 3\n");
        let mut l = good.clone();
        l.frr_dir = "/tmp/evil".into();
        assert!(revalidate(&l).is_err(), "frr_dir differs from the file's");
        let mut l = good.clone();
        l.routers[1].name = "../../etc".into();
        assert!(revalidate(&l).is_err());
        let mut l = good.clone();
        l.routers[2].interfaces[0].addrs[0].addr = "8.8.8.8".parse().unwrap();
        assert!(revalidate(&l).is_err());
        let mut l = good.clone();
        l.file_text = Some("name = \"c\"\nrouters = 3\nfrr_dir = \"/tmp/evil\"\n".into());
        assert!(revalidate(&l).is_err(), "the text no longer resolves to this lab");
        let mut l = good.clone();
        l.file_text = None;
        assert!(revalidate(&l).is_err());
        // Overrides of name and count are part of the lab, not a change.
        let mut l = validate(
            "t.toml",
            parse("t.toml", "name = \"c\"\nrouters = 100\n").unwrap(),
            &Overrides {
                routers: Some(5),
                name: Some("other".parse().unwrap()),
            },
        )
        .unwrap();
        l.file_text = Some("name = \"c\"\nrouters = 100\n".into());
        revalidate(&l).unwrap();
    }
}
