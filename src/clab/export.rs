//! A lab as a containerlab topology: one `kind: linux` node per router and one link per lab
//! link. An FRR router runs the FRR image with its integrated `frr.conf` (rendered from the
//! lab's own templates) and FRR's `daemons` file bound into `/etc/frr`; a BIRD router runs
//! the BIRD image with its `bird.conf` (the lab's template) bound to `/etc/bird.conf`.
//!
//! Inside a container the interfaces are `eth1 … ethN` (numbered per node in link order) and
//! nobody else gives them addresses: `frr.conf` does for FRR, the node's `exec` commands do
//! for BIRD (which configures no addresses). `eth0` is containerlab's management network: no
//! BGP session runs over it and only the lab's prefixes are announced (FRR: `network`
//! statements, never `redistribute connected`; BIRD: `protocol direct` reads only `lo` and
//! the lab's interfaces), and the management default route is deleted at start so the lab's
//! own default route (from BGP) is the one used: the lab's hop counts hold in containerlab too.

use super::yaml::{ClabFile, Link, Node, Ordered, Topology, ASN_LABEL, FAMILY_LABEL};
use super::{is_dns_label, ClabError};
use crate::config::Lab;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The topology file's name in the export directory.
pub fn topology_file_name(lab: &Lab) -> String {
    format!("{}.clab.yml", lab.name)
}

/// A router's containerlab node name: its name in lower case with `_` as `-` (`ROUTER_0` →
/// `router-0`), which must be a DNS-1123 label because clabernetes makes Kubernetes objects
/// of it.
pub fn node_name(router: &str) -> Result<String, ClabError> {
    let n = router.to_ascii_lowercase().replace('_', "-");
    if is_dns_label(&n) {
        Ok(n)
    } else {
        Err(ClabError::Input(format!(
            "router {router} would be containerlab node {n:?}, which is not a DNS-1123 label \
             (lower-case letters, digits and '-', at most 63, starting and ending alphanumeric) as \
             clabernetes requires. Fix: choose a router_prefix that starts with a letter or digit"
        )))
    }
}

/// Every file of the export, relative to the export directory, in writing order: the
/// topology file first, then per node `{node}/frr.conf` and `{node}/daemons` (FRR routers)
/// or `{node}/bird.conf` (BIRD routers). `frr_image` and `bird_image` are the nodes' images.
pub fn build(lab: &Lab, frr_image: &str, bird_image: &str) -> Result<Vec<(PathBuf, String)>, ClabError> {
    let names = lab
        .routers
        .iter()
        .map(|r| node_name(&r.name))
        .collect::<Result<Vec<_>, _>>()?;
    // Per router: its interfaces in link order, named eth1, eth2, … — entry i is eth{i+1}.
    let ordered: Vec<Vec<&crate::config::Interface>> = lab
        .routers
        .iter()
        .map(|r| {
            // One per device: a LAN's sessions share one interface.
            let mut v = lab.devices(r.index);
            v.sort_by_key(|i| i.link);
            v
        })
        .collect();
    let eth = |router: usize, link: usize| -> String {
        let pos = ordered[router]
            .iter()
            .position(|i| i.link == link)
            .expect("interface of the router");
        format!("eth{}", pos + 1)
    };

    // Each link once, in link order, lower router index first.
    let mut links: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for r in &lab.routers {
        for i in r.interfaces.iter().filter(|i| i.lan.is_none()) {
            links.insert(i.link, (r.index.min(i.peer_index), r.index.max(i.peer_index)));
        }
    }
    let mut clab_links: Vec<Link> = links
        .iter()
        .map(|(&link, &(a, b))| Link {
            endpoints: vec![
                format!("{}:{}", names[a], eth(a, link)),
                format!("{}:{}", names[b], eth(b, link)),
            ],
        })
        .collect();
    // A LAN is a containerlab `bridge` node (a Linux bridge on the host, which containerlab
    // does not create) with one link per member; the bridge's ends are host interfaces, so
    // they carry the bridge's name: `{bridge}-{k}`, at most 15 characters.
    let bridges = lab
        .lans
        .iter()
        .map(|l| {
            let n = node_name(&l.name)?;
            if names.contains(&n) {
                return Err(ClabError::Input(format!(
                    "LAN {} would be containerlab node {n:?}, which a router already is. Fix: rename the LAN",
                    l.name
                )));
            }
            Ok(n)
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (j, l) in lab.lans.iter().enumerate() {
        for (k, &m) in l.members.iter().enumerate() {
            let suffix = format!("-{}", k + 1);
            let keep = bridges[j].len().min(15 - suffix.len());
            clab_links.push(Link {
                endpoints: vec![
                    format!("{}:{}", names[m], eth(m, l.index)),
                    format!("{}:{}{suffix}", bridges[j], &bridges[j][..keep]),
                ],
            });
        }
    }

    // The lab as the containers see it: routers and their peers by node name, interfaces ethN.
    let mut clab = lab.clone();
    for r in &mut clab.routers {
        r.name = names[r.index].clone();
        let renamed: Vec<(usize, String)> = ordered[r.index]
            .iter()
            .enumerate()
            .map(|(k, i)| (i.link, format!("eth{}", k + 1)))
            .collect();
        for i in &mut r.interfaces {
            i.name = renamed
                .iter()
                .find(|(l, _)| *l == i.link)
                .expect("own address")
                .1
                .clone();
            i.peer_name = names[i.peer_index].clone();
        }
    }
    // The origin's node first: an import takes the first node as the origin (and numbered
    // node names keep their numbers, so the order changes no router's index or AS).
    let origin = lab.origin();
    let images = crate::suite::ClabImages {
        frr: frr_image,
        bird: bird_image,
    };
    // Each router's files, written after the topology file in the lab's router order.
    let mut files: Vec<(usize, Vec<(PathBuf, String)>)> = Vec::new();
    let nodes: Vec<(String, Node)> = std::iter::once(&lab.routers[origin])
        .chain(lab.routers.iter().filter(|r| r.index != origin))
        .map(|r| {
            let n = &names[r.index];
            let node = crate::suites::of(r.suite).clab_node(&clab, r.index, n, r.index == origin, &images);
            files.push((r.index, node.files));
            let node = Node {
                kind: "linux".into(),
                image: node.image,
                binds: node.binds,
                exec: node.exec,
                labels: labels(lab, r.asn),
            };
            (n.clone(), node)
        })
        .chain(bridges.iter().map(|b| {
            let node = Node {
                kind: "bridge".into(),
                image: String::new(),
                binds: Vec::new(),
                exec: Vec::new(),
                labels: BTreeMap::new(),
            };
            (b.clone(), node)
        }))
        .collect();
    let file = ClabFile {
        name: lab.name.to_string(),
        topology: Topology {
            nodes: Ordered(nodes),
            links: clab_links,
        },
    };
    let yaml = serde_yaml_ng::to_string(&file).expect("the topology serialises");
    // containerlab attaches to bridges, it does not make them.
    let make_bridges: String = bridges
        .iter()
        .map(|b| format!("# First: ip link add {b} type bridge && ip link set {b} up\n"))
        .collect();
    let mut out = vec![(
        PathBuf::from(topology_file_name(lab)),
        format!(
            "# containerlab topology of nsbgp lab {} ({} routers), written by `nsbgp export`.\n\
             {make_bridges}# Deploy: containerlab deploy -t {}\n{yaml}",
            lab.name,
            lab.routers.len(),
            topology_file_name(lab)
        ),
    )];

    files.sort_by_key(|(i, _)| *i);
    out.extend(files.into_iter().flat_map(|(_, f)| f));
    Ok(out)
}

/// A router node's labels: its AS, and the lab's family unless it is IPv4 only (so IPv4
/// exports stay as they were).
fn labels(lab: &Lab, asn: u32) -> BTreeMap<String, serde_yaml_ng::Value> {
    let mut m = BTreeMap::from([(ASN_LABEL.to_string(), serde_yaml_ng::Value::from(asn))]);
    if lab.family != crate::config::Addressing::Ipv4 {
        m.insert(FAMILY_LABEL.to_string(), lab.family.name().into());
    }
    m
}

/// Writes the export into `dir`, which must not exist yet (nothing is ever overwritten).
pub fn write(dir: &Path, files: &[(PathBuf, String)]) -> Result<(), ClabError> {
    if std::fs::symlink_metadata(dir).is_ok() {
        return Err(ClabError::Input(format!(
            "{} already exists; export never overwrites. Fix: choose a new -o directory",
            dir.display()
        )));
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| ClabError::write(parent, e))?;
    }
    // create_dir, not _all: if someone made it meanwhile, stop rather than write into it.
    std::fs::create_dir(dir).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            ClabError::Input(format!("{} already exists; export never overwrites", dir.display()))
        } else {
            ClabError::write(dir, e)
        }
    })?;
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| ClabError::write(p, e))?;
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| ClabError::write(&path, e))?;
        std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| ClabError::write(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Overrides};

    fn lab(text: &str) -> Lab {
        config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap()
    }

    #[test]
    fn node_names_are_dns_labels() {
        assert_eq!(node_name("ROUTER_0").unwrap(), "router-0");
        assert_eq!(node_name("ab12_7").unwrap(), "ab12-7");
        assert!(node_name("_x5").is_err());
    }

    #[test]
    fn chain_interfaces_and_links_follow_link_order() {
        let files = build(&lab("name = \"c\"\nrouters = 3\n"), "img", "bird-img").unwrap();
        let topo: ClabFile = serde_yaml_ng::from_str(&files[0].1).unwrap();
        let ends: Vec<Vec<String>> = topo.topology.links.iter().map(|l| l.endpoints.clone()).collect();
        assert_eq!(
            ends,
            [["router-0:eth1", "router-1:eth1"], ["router-1:eth2", "router-2:eth1"]]
        );
        let r1 = &files
            .iter()
            .find(|(p, _)| p == Path::new("router-1/frr.conf"))
            .unwrap()
            .1;
        // ROUTER_1 holds 172.31.1.1 towards ROUTER_0 and 172.31.2.2 towards ROUTER_2.
        assert!(r1.contains("interface eth1\n ip address 172.31.1.1/24\n"), "{r1}");
        assert!(r1.contains("interface eth2\n ip address 172.31.2.2/24\n"), "{r1}");
        assert!(r1.contains("neighbor 172.31.1.2 remote-as 100"), "{r1}");
        assert!(!r1.contains("password") && !r1.contains("log file") && !r1.contains("redistribute"));
        assert!(!r1.contains("interface lo"), "only the router holding the world has it");
        let r0 = &files
            .iter()
            .find(|(p, _)| p == Path::new("router-0/frr.conf"))
            .unwrap()
            .1;
        assert!(
            r0.contains("interface lo\n") && r0.contains(" ip address 198.51.100.1/24\n"),
            "{r0}"
        );
        assert_eq!(r0.matches("line vty").count(), 1);
    }

    #[test]
    fn bird_routers_bind_bird_conf_and_set_addresses_in_exec() {
        // A BIRD origin and a BIRD middle router around one FRR router.
        let files = build(
            &lab("name = \"b\"\nrouters = 3\n[daemons]\nsuite = \"bird\"\n[[router]]\nindex = 2\nsuite = \"frr\"\n"),
            "frr-img",
            "bird-img",
        )
        .unwrap();
        let topo: ClabFile = serde_yaml_ng::from_str(&files[0].1).unwrap();
        let node = |n: &str| &topo.topology.nodes.0.iter().find(|(k, _)| k == n).unwrap().1;
        let r0 = node("router-0");
        assert_eq!(r0.image, "bird-img");
        assert_eq!(r0.binds, ["router-0/bird.conf:/etc/bird.conf"]);
        assert_eq!(
            r0.exec,
            [
                "ip addr add 172.31.1.2/24 dev eth1",
                "ip addr add 198.51.100.1/24 dev lo",
                "sysctl -w net.ipv4.ip_forward=1",
                "ip route del default dev eth0"
            ]
        );
        assert_eq!(
            node("router-1").exec,
            [
                "ip addr add 172.31.1.1/24 dev eth1",
                "ip addr add 172.31.2.2/24 dev eth2",
                "sysctl -w net.ipv4.ip_forward=1",
                "ip route del default dev eth0"
            ]
        );
        assert_eq!(node("router-2").image, "frr-img");
        let paths: Vec<&Path> = files[1..].iter().map(|(p, _)| p.as_path()).collect();
        assert_eq!(
            paths,
            [
                Path::new("router-0/bird.conf"),
                Path::new("router-1/bird.conf"),
                Path::new("router-2/frr.conf"),
                Path::new("router-2/daemons")
            ]
        );
        let conf = |p: &str| &files.iter().find(|(f, _)| f == Path::new(p)).unwrap().1;
        let b1 = conf("router-1/bird.conf");
        assert!(b1.contains("\nlog stderr "), "{b1}");
        assert!(!b1.contains("/var/log") && !b1.contains("eth0\""), "{b1}");
        assert!(b1.contains("  interface \"lo\", \"eth1\", \"eth2\";\n"), "{b1}");
        assert!(
            b1.contains("description \"router-2\";\n  local 172.31.2.2 as 101;\n  neighbor 172.31.2.1 as 102;"),
            "{b1}"
        );
        let b0 = conf("router-0/bird.conf");
        assert!(
            b0.contains("define OWN = [ 172.31.1.0/24, 198.51.100.0/24, 0.0.0.0/0 ];"),
            "{b0}"
        );
        assert!(b0.contains("route 0.0.0.0/0 unreachable;"), "{b0}");
        assert!(b0.contains("  interface \"lo\", \"eth1\";\n"), "{b0}");
    }

    #[test]
    fn existing_directory_is_refused() {
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(write(d.path(), &[]), Err(ClabError::Input(_))));
    }
}
