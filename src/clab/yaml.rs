//! The parts of containerlab's topology file (`*.clab.yml`) nsbgp writes and reads.
//! Written: `name`, `topology.nodes` (kind, image, binds, exec) and `topology.links`
//! (`endpoints: ["node:eth1", "node:eth2"]`), the form containerlab's own FRR example uses.
//! Read: the same plus whatever else a hand-written file holds, kept so that the import
//! can name everything it does not carry over.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_yaml_ng::Value;
use std::collections::BTreeMap;

/// A YAML mapping whose order is kept (node order decides router order on import).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping of names")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some((k, val)) = a.next_entry::<String, T>()? {
                    if v.iter().any(|(x, _): &(String, T)| *x == k) {
                        return Err(serde::de::Error::custom(format!("{k:?} appears twice")));
                    }
                    v.push((k, val));
                }
                Ok(Ordered(v))
            }
            // `nodes:` with nothing after it.
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(Ordered(Vec::new()))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

// ---- what `export` writes ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClabFile {
    pub name: String,
    pub topology: Topology,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    pub nodes: Ordered<Node>,
    /// Left out when empty: the schema wants at least one link when `links` is there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub kind: String,
    /// Empty for a bridge (containerlab runs no container for it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binds: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exec: Vec<String>,
    /// `nsbgp-asn`: the router's AS, so that an import gives back the same AS numbers;
    /// `nsbgp-family`: the lab's `[addressing] family` (written when it is not "ipv4").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, Value>,
}

/// The node label that carries a router's AS number through export and import.
pub const ASN_LABEL: &str = "nsbgp-asn";
/// The node label that carries the lab's address families (`dual`, `ipv6`) through export
/// and import.
pub const FAMILY_LABEL: &str = "nsbgp-family";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub endpoints: Vec<String>,
}

// ---- what `import` reads: lenient, everything else kept for the warnings ----

#[derive(Debug, Deserialize)]
pub struct InFile {
    pub name: Option<String>,
    pub topology: Option<InTopology>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct InTopology {
    #[serde(default)]
    pub nodes: Ordered<Option<InNode>>,
    #[serde(default)]
    pub links: Option<Vec<InLink>>,
    #[serde(default)]
    pub defaults: Option<InNode>,
    #[serde(default)]
    pub kinds: Option<BTreeMap<String, Option<InNode>>>,
    #[serde(default)]
    pub groups: Option<BTreeMap<String, Option<InNode>>>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InNode {
    pub kind: Option<String>,
    pub image: Option<String>,
    pub group: Option<String>,
    #[serde(rename = "startup-config")]
    pub startup_config: Option<String>,
    /// `container:NAME`: the node lives in another container's namespace (a sidecar).
    #[serde(rename = "network-mode")]
    pub network_mode: Option<String>,
    /// The node's type (`l2` for a switch image of a router kind).
    #[serde(rename = "type")]
    pub node_type: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
pub struct InLink {
    pub endpoints: Option<Vec<InEndpoint>>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `"node:eth1"` (the short form) or `{node: n, interface: eth1}` (the extended form).
#[derive(Debug)]
pub enum InEndpoint {
    Short(String),
    Long {
        node: String,
        interface: Option<String>,
        other: BTreeMap<String, Value>,
    },
}

impl<'de> Deserialize<'de> for InEndpoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        // Read as a plain value so that a wrong shape gets a message in containerlab's terms,
        // not serde's (no "untagged enum").
        let wrong =
            || D::Error::custom("an endpoint is \"node:interface\" or a mapping {node: NAME, interface: IFACE}");
        match Value::deserialize(d)? {
            Value::String(s) => Ok(InEndpoint::Short(s)),
            Value::Mapping(m) => {
                let mut node = None;
                let mut interface = None;
                let mut other = BTreeMap::new();
                for (k, v) in m {
                    let k = k.as_str().ok_or_else(wrong)?.to_string();
                    match k.as_str() {
                        "node" => node = Some(v.as_str().ok_or_else(wrong)?.to_string()),
                        "interface" => interface = Some(v.as_str().ok_or_else(wrong)?.to_string()),
                        _ => {
                            other.insert(k, v);
                        }
                    }
                }
                Ok(InEndpoint::Long {
                    node: node.ok_or_else(wrong)?,
                    interface,
                    other,
                })
            }
            _ => Err(wrong()),
        }
    }
}

impl std::fmt::Display for InEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InEndpoint::Short(s) => write!(f, "{s:?}"),
            InEndpoint::Long { node, interface, .. } => {
                write!(f, "{{node: {node}, interface: {}}}", interface.as_deref().unwrap_or(""))
            }
        }
    }
}

impl InEndpoint {
    /// (node, interface) of the endpoint, or None for a string without a `:`.
    pub fn parts(&self) -> Option<(&str, &str)> {
        match self {
            InEndpoint::Short(s) => s.split_once(':'),
            InEndpoint::Long { node, interface, .. } => Some((node.as_str(), interface.as_deref().unwrap_or(""))),
        }
    }

    /// Keys of an extended endpoint beyond node and interface (`mac`, `ipv4`, `ipv6`,
    /// `vars`, …): nsbgp carries none of them.
    pub fn extra_keys(&self) -> Vec<String> {
        match self {
            InEndpoint::Short(_) => Vec::new(),
            InEndpoint::Long { other, .. } => other.keys().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_order_is_kept_and_duplicates_refused() {
        let t: InTopology = serde_yaml_ng::from_str("nodes:\n  z:\n  a: {kind: linux}\n  m:\n").unwrap();
        let names: Vec<&str> = t.nodes.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["z", "a", "m"]);
        assert!(serde_yaml_ng::from_str::<InTopology>("nodes:\n  a:\n  a:\n").is_err());
    }

    #[test]
    fn both_endpoint_forms() {
        let t: InTopology = serde_yaml_ng::from_str(
            "links:\n  - endpoints: [\"a:eth1\", \"b:eth1\"]\n  - endpoints:\n      - {node: a, interface: eth2}\n      - {node: c, interface: eth1}\n    mtu: 9000\n",
        )
        .unwrap();
        let l = t.links.unwrap();
        assert_eq!(l[0].endpoints.as_ref().unwrap()[1].parts(), Some(("b", "eth1")));
        assert_eq!(l[1].endpoints.as_ref().unwrap()[1].parts(), Some(("c", "eth1")));
        assert!(l[1].other.contains_key("mtu"));
    }
}
