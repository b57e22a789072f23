//! The lab file as the user writes it (TOML), with defaults for every optional key.

use super::impair::ImpairKeys;
use serde::{Deserialize, Serialize};

/// Default router name prefix: namespaces and routers are `ROUTER_0`, `ROUTER_1`, …
pub const DEFAULT_PREFIX: &str = "ROUTER_";
pub const DEFAULT_FIRST_ASN: u32 = 100;
/// The classic lab numbers its routers AS 100 … 1099: at most 1000 routers.
pub const DEFAULT_LAST_ASN: u32 = 1099;
pub const DEFAULT_LINK_POOL: &str = "172.31.0.0/16";
/// TEST-NET-2 (RFC 5737): never routed on the Internet, so a lab can never reach a real host.
pub const DEFAULT_STUB_PREFIX: &str = "198.51.100.0/24";
pub const DEFAULT_FRR_DIR: &str = "/usr/lib/frr";
/// IPv6 counterparts inside the documentation space 2001:db8::/32 (RFC 3849): link k is
/// 2001:db8:31:k::/64 (cf. 172.31.k.0/24), the world 2001:db8:100::1.
pub const DEFAULT_V6_LINK_POOL: &str = "2001:db8:31::/48";
pub const DEFAULT_V6_STUB_PREFIX: &str = "2001:db8:100::/48";

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LabFile {
    /// Lab name: the state directory is `/run/nsbgp/{name}`.
    pub name: String,
    /// Number of routers in the chain. Signed so that a negative count gets a clear error.
    pub routers: i64,
    #[serde(default = "default_prefix")]
    pub router_prefix: String,
    #[serde(default = "default_first_asn")]
    pub first_asn: i64,
    /// Highest AS number the lab may use (with `first_asn`, bounds the router count).
    #[serde(default = "default_last_asn")]
    pub last_asn: i64,
    /// IPv4 pool the chain's link subnets are carved from.
    #[serde(default = "default_link_pool")]
    pub link_pool: String,
    /// Prefix length of one link subnet; absent = /24 (the classic plan) when it fits, else /30.
    #[serde(default)]
    pub link_prefix_len: Option<i64>,
    /// Documentation prefix held on ROUTER_0's `lo` and announced: the "world" for traceroutes.
    #[serde(default = "default_stub_prefix")]
    pub stub_prefix: String,
    #[serde(default = "default_frr_dir")]
    pub frr_dir: String,
    #[serde(default)]
    pub timers: Timers,
    #[serde(default)]
    pub daemons: Daemons,
    /// `[[router]]` tables: per-router overrides.
    #[serde(default, rename = "router")]
    pub router: Vec<RouterOverride>,
    /// The shape of the lab; absent = the chain.
    #[serde(default)]
    pub topology: Topology,
    /// `[policy]`: routing policy on the links' business relationships (config/policy.rs).
    #[serde(default)]
    pub policy: Policy,
    /// `[links]`: impairments of every link (`config::impair`).
    #[serde(default, skip_serializing_if = "ImpairKeys::is_empty")]
    pub links: ImpairKeys,
    /// `[[link]]` tables: one link's impairments, by the routers at its ends.
    #[serde(default, rename = "link", skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<LinkSetting>,
    /// `[addressing]`: which address families the lab runs, and the IPv6 plan.
    #[serde(default)]
    pub addressing: Addressing,
}

/// `[addressing]`: `family = "ipv4" | "dual" | "ipv6"` and the IPv6 pools.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Addressing {
    pub family: String,
    /// IPv6 pool carved into one /64 per link.
    pub v6_link_pool: String,
    /// IPv6 prefix held on the origin's `lo` and announced: the IPv6 "world".
    pub v6_stub_prefix: String,
}

impl Default for Addressing {
    fn default() -> Self {
        Addressing {
            family: "ipv4".into(),
            v6_link_pool: DEFAULT_V6_LINK_POOL.into(),
            v6_stub_prefix: DEFAULT_V6_STUB_PREFIX.into(),
        }
    }
}

/// `[policy]`: `model = "gao-rexford" | "none"`, `roles = true | false`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Absent: "gao-rexford" when any link carries `rel`, else "none".
    pub model: Option<String>,
    /// RFC 9234 roles and OTC on every session; absent: true under gao-rexford.
    pub roles: Option<bool>,
}

/// One `[[link]]`: `routers = [A, B]` and the impairment keys for that link.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSetting {
    pub routers: Vec<RouterRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_mbit: Option<f64>,
}

/// `keys()`: the impairment keys a table carries inline. Inline rather than a flattened
/// `ImpairKeys`, because serde's `flatten` does not work with `deny_unknown_fields`, and a
/// misspelt key must stay an error.
macro_rules! impair_keys_of {
    ($($table:ty),*) => {$(
        impl $table {
            pub fn keys(&self) -> ImpairKeys {
                ImpairKeys {
                    delay_ms: self.delay_ms,
                    jitter_ms: self.jitter_ms,
                    loss_pct: self.loss_pct,
                    rate_mbit: self.rate_mbit,
                }
            }
        }
    )*};
}

impair_keys_of!(LinkSetting, LinkEnds);

/// One `[[router]]` table: which router (`name` or `index`) and what to change for it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RouterOverride {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub index: Option<i64>,
    /// "frr" or "bird".
    #[serde(default)]
    pub suite: Option<String>,
    /// The router's own AS number (default `first_asn + index`). With `asn`, a table that
    /// has no `index` and a `name` that is not a default name names the router at its
    /// position among the `[[router]]` tables (the k-th table, router k).
    #[serde(default)]
    pub asn: Option<i64>,
}

/// `[topology]`: a generated shape, or `shape = "file"` with one `[[topology.link]]` per link.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Topology {
    /// "chain" (default), "ring", "star", "tree", "grid", "clique" or "file".
    pub shape: Option<String>,
    /// tree: children per router (ROUTER_0 is the root).
    pub fanout: Option<i64>,
    /// grid: rows × cols must equal `routers`.
    pub rows: Option<i64>,
    pub cols: Option<i64>,
    /// The router that originates the default route and holds the stub; default ROUTER_0.
    pub origin: Option<RouterRef>,
    /// internet: the generator's seed (same seed, same graph).
    pub seed: Option<i64>,
    /// internet: routers in the tier-1 peering clique.
    pub tier1: Option<i64>,
    /// shape = "file": the links.
    #[serde(rename = "link", skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkEnds>,
    /// Shared segments (any shape): `[[topology.lan]]`.
    #[serde(rename = "lan", skip_serializing_if = "Vec::is_empty")]
    pub lans: Vec<LanSpec>,
}

/// One `[[topology.lan]]`: a shared segment whose routers all peer with each other.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LanSpec {
    pub name: String,
    pub routers: Vec<RouterRef>,
}

/// One `[[topology.link]]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkEnds {
    pub a: RouterRef,
    pub b: RouterRef,
    /// Business relationship: "p2c" (a is b's provider) or "p2p" (peers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    /// Impairment keys of this link (as in `[[link]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_mbit: Option<f64>,
}

/// A router by name (`"ROUTER_7"`, `"7"`, `"AS107"`) or by index (`7`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum RouterRef {
    Index(i64),
    Name(String),
}

impl std::fmt::Display for RouterRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouterRef::Index(i) => write!(f, "{i}"),
            RouterRef::Name(s) => write!(f, "{s:?}"),
        }
    }
}

/// BGP timers. The defaults keep a 1000-router chain from stalling: FRR's 120 s connect retry
/// would leave a session that missed its peer at start-up idle for two minutes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timers {
    pub keepalive_s: i64,
    pub hold_s: i64,
    pub connect_retry_s: i64,
    /// eBGP minimum route advertisement interval; 30 reproduces Quagga-era routers.
    pub advertisement_interval_s: i64,
    /// How long bgpd batches a new session's first updates (`coalesce-time`); FRR's
    /// default (1000 ms) adds a second per hop to a cold chain's start-up.
    pub coalesce_time_ms: i64,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            keepalive_s: 10,
            hold_s: 30,
            connect_retry_s: 2,
            advertisement_interval_s: 0,
            coalesce_time_ms: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Daemons {
    /// Daemons started in every router, in start order.
    pub run: Vec<String>,
    /// `--limit-fds` for every daemon: the host's large fd limit costs each daemon memory.
    pub limit_fds: i64,
    /// FRR log level for `log file`.
    pub log_level: String,
    /// Share the daemons' identical memory pages between routers: "auto", "on" or "off".
    /// See `config::MERGE_AUTO_MIN_ROUTERS` and configs/README.md.
    pub merge_memory: String,
    /// Keep the chain's links down until every router's daemons have started, then raise
    /// them together: "auto", "on" or "off". See `config::HOLD_LINKS_AUTO_MIN_ROUTERS`.
    pub hold_links: String,
    /// Routing suite of every router without a `[[router]]` override: "frr" or "bird".
    pub suite: String,
}

impl Default for Daemons {
    fn default() -> Self {
        Daemons {
            run: vec!["zebra".into(), "bgpd".into()],
            limit_fds: 128,
            log_level: "informational".into(),
            merge_memory: "auto".into(),
            hold_links: "auto".into(),
            suite: "frr".into(),
        }
    }
}

fn default_prefix() -> String {
    DEFAULT_PREFIX.into()
}
fn default_first_asn() -> i64 {
    DEFAULT_FIRST_ASN as i64
}
fn default_last_asn() -> i64 {
    DEFAULT_LAST_ASN as i64
}
fn default_link_pool() -> String {
    DEFAULT_LINK_POOL.into()
}
fn default_stub_prefix() -> String {
    DEFAULT_STUB_PREFIX.into()
}
fn default_frr_dir() -> String {
    DEFAULT_FRR_DIR.into()
}
