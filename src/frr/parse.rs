//! serde models of the FRR JSON outputs nsbgp reads (FRR 8.4; unknown fields ignored).
//! Tests run them on outputs recorded from real daemons in `tests/fixtures/frr/`.

use crate::suite::BestRoute;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// `show bgp summary json`: one object per address family with peers. An instance without
/// peers prints `{}`.
#[derive(Debug, Default, Deserialize)]
pub struct BgpSummary {
    #[serde(rename = "ipv4Unicast", default)]
    pub ipv4: Option<AfiSummary>,
    #[serde(rename = "ipv6Unicast", default)]
    pub ipv6: Option<AfiSummary>,
}

impl BgpSummary {
    /// Every family's summary, IPv4 first.
    pub fn families(&self) -> impl Iterator<Item = &AfiSummary> {
        self.ipv4.iter().chain(self.ipv6.iter())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AfiSummary {
    #[serde(default)]
    pub router_id: Option<Ipv4Addr>,
    #[serde(rename = "as", default)]
    pub asn: Option<u32>,
    #[serde(default)]
    pub peers: BTreeMap<String, Peer>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    pub remote_as: Option<u32>,
    pub state: String,
    #[serde(default)]
    pub pfx_rcd: Option<u32>,
    #[serde(default)]
    pub peer_uptime_msec: Option<u64>,
    #[serde(default)]
    pub peer_uptime_established_epoch: Option<u64>,
    #[serde(default)]
    pub desc: Option<String>,
}

impl Peer {
    pub fn established(&self) -> bool {
        self.state == "Established"
    }
}

/// `show ip bgp A.B.C.D/M json` (`show bgp ipv6 unicast X:X::X:X/M json`): `{}` when the
/// prefix is unknown.
#[derive(Debug, Default, Deserialize)]
pub struct BgpPrefix {
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub paths: Vec<BgpPath>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BgpPath {
    #[serde(default)]
    pub aspath: Option<AsPath>,
    #[serde(default)]
    pub bestpath: Option<BestPath>,
    #[serde(default)]
    pub valid: Option<bool>,
    #[serde(default)]
    pub last_update: Option<LastUpdate>,
    #[serde(default)]
    pub nexthops: Vec<BgpNexthop>,
}

#[derive(Debug, Deserialize)]
pub struct AsPath {
    pub string: String,
    pub length: u32,
}

#[derive(Debug, Deserialize)]
pub struct BestPath {
    #[serde(default)]
    pub overall: bool,
}

#[derive(Debug, Deserialize)]
pub struct LastUpdate {
    pub epoch: u64,
}

#[derive(Debug, Deserialize)]
pub struct BgpNexthop {
    pub ip: Option<IpAddr>,
}

impl BgpPrefix {
    pub fn best(&self) -> Option<&BgpPath> {
        self.paths
            .iter()
            .find(|p| p.bestpath.as_ref().is_some_and(|b| b.overall))
    }
}

/// `show ip route summary json`: route counts by type.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteSummary {
    #[serde(default)]
    pub routes: Vec<RouteCount>,
    #[serde(default)]
    pub routes_total_fib: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub struct RouteCount {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub fib: u32,
    #[serde(default)]
    pub rib: u32,
}

impl RouteSummary {
    /// Routes BGP installed in the kernel (FRR counts eBGP and iBGP apart).
    pub fn bgp_fib(&self) -> u32 {
        self.routes
            .iter()
            .filter(|r| r.kind == "ebgp" || r.kind == "ibgp" || r.kind == "bgp")
            .map(|r| r.fib)
            .sum()
    }
}

/// `show ip route A.B.C.D/M json` (`show ipv6 route …`): prefix → entries (an empty list
/// when absent).
pub type RouteLookup = BTreeMap<String, Vec<RouteEntry>>;

#[derive(Debug, Clone, Deserialize)]
pub struct RouteEntry {
    pub prefix: String,
    pub protocol: String,
    #[serde(default)]
    pub selected: bool,
    #[serde(default)]
    pub installed: bool,
    #[serde(default)]
    pub nexthops: Vec<RouteNexthop>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteNexthop {
    #[serde(default)]
    pub ip: Option<IpAddr>,
    #[serde(default)]
    pub interface_name: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub fib: bool,
}

/// The route zebra selected and installed for `prefix`, if any.
pub fn installed_route<'a>(lookup: &'a RouteLookup, prefix: &str) -> Option<&'a RouteEntry> {
    lookup.get(prefix)?.iter().find(|e| e.selected && e.installed)
}

/// Parses FRR JSON, tolerating the empty output some commands give when there is nothing.
pub fn from_frr<T: serde::de::DeserializeOwned + Default>(text: &str) -> Result<T, serde_json::Error> {
    if text.trim().is_empty() {
        return Ok(T::default());
    }
    serde_json::from_str(text)
}

/// Best routes in FRR's `show ip bgp json` (for `check --policy`).
pub fn best_routes(text: &str) -> Result<Vec<BestRoute>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("bgpd's JSON: {e}"))?;
    let mut out = Vec::new();
    let Some(routes) = v["routes"].as_object() else {
        return Ok(out);
    };
    for (prefix, paths) in routes {
        let Ok(prefix) = prefix.parse::<ipnet::Ipv4Net>() else {
            continue;
        };
        for p in paths.as_array().into_iter().flatten() {
            if p["bestpath"].as_bool() == Some(true) {
                let as_path = p["path"]
                    .as_str()
                    .unwrap_or("")
                    .split_whitespace()
                    .filter_map(|a| a.parse().ok())
                    .collect();
                out.push(BestRoute { prefix, as_path });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/frr")
            .join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn bgp_summary_established() {
        let s: BgpSummary = from_frr(&fixture("bgp-summary-router1-established.json")).unwrap();
        let v4 = s.ipv4.unwrap();
        assert_eq!(v4.asn, Some(101));
        assert_eq!(v4.peers.len(), 2);
        let up = &v4.peers["172.31.1.2"];
        assert!(up.established());
        assert_eq!((up.remote_as, up.pfx_rcd), (Some(100), Some(3)));
        assert_eq!(up.desc.as_deref(), Some("ROUTER_0"));
        assert!(up.peer_uptime_msec.is_some());
    }

    #[test]
    fn bgp_summary_peer_down() {
        let s: BgpSummary = from_frr(&fixture("bgp-summary-router1-peer-down.json")).unwrap();
        let peers = s.ipv4.unwrap().peers;
        let states: Vec<&str> = peers.values().map(|p| p.state.as_str()).collect();
        assert_eq!(states, ["Established", "Active"]);
    }

    #[test]
    fn bgp_default_path() {
        let p: BgpPrefix = from_frr(&fixture("bgp-default-router2.json")).unwrap();
        let best = p.best().unwrap();
        let asp = best.aspath.as_ref().unwrap();
        assert_eq!((asp.length, asp.string.as_str()), (2, "101 100"));
        assert_eq!(best.nexthops[0].ip, Some("172.31.2.2".parse().unwrap()));
        assert!(best.last_update.is_some());
        let none: BgpPrefix = from_frr(&fixture("bgp-default-router0-none.json")).unwrap();
        assert!(none.best().is_none());
    }

    #[test]
    fn route_summary_counts_bgp() {
        let s: RouteSummary = from_frr(&fixture("route-summary-router2.json")).unwrap();
        assert_eq!(s.bgp_fib(), 3);
        let s0: RouteSummary = from_frr(&fixture("route-summary-router0.json")).unwrap();
        assert_eq!(s0.bgp_fib(), 1);
    }

    #[test]
    fn route_lookups() {
        let d: RouteLookup = from_frr(&fixture("route-default-router2.json")).unwrap();
        let r = installed_route(&d, "0.0.0.0/0").unwrap();
        assert_eq!(r.protocol, "bgp");
        assert_eq!(r.nexthops[0].ip, Some("172.31.2.2".parse().unwrap()));
        assert_eq!(r.nexthops[0].interface_name.as_deref(), Some("ROUTER_1"));
        let none: RouteLookup = from_frr(&fixture("route-default-router0-none.json")).unwrap();
        assert!(installed_route(&none, "0.0.0.0/0").is_none());
        let stub: RouteLookup = from_frr(&fixture("route-stub-router2.json")).unwrap();
        assert_eq!(installed_route(&stub, "198.51.100.0/24").unwrap().protocol, "bgp");
    }

    #[test]
    fn empty_output_is_empty_value() {
        let s: BgpSummary = from_frr("").unwrap();
        assert!(s.ipv4.is_none());
    }

    #[test]
    fn frr_best_routes_with_paths() {
        let text = r#"{"routes": { "198.18.0.0/24": [{"valid":true,"bestpath":false,"path":"103 100"},{"valid":true,"bestpath":true,"path":"101 100"}],
          "198.18.7.0/24": [{"valid":true,"bestpath":true,"path":""}] } }"#;
        let got = best_routes(text).unwrap();
        assert_eq!(got[0].as_path, [101, 100]);
        assert!(got[1].as_path.is_empty());
        assert!(best_routes("").unwrap().is_empty());
    }
}
