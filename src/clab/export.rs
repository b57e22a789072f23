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

use super::yaml::{ClabFile, Link, Node, Ordered, Topology, ASN_LABEL};
use super::{is_dns_label, ClabError};
use crate::config::{Daemon, Lab, Suite};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// Where the bound files go inside the container (FRR's image reads them there).
const FRR_CONF: &str = "/etc/frr/frr.conf";
const FRR_DAEMONS: &str = "/etc/frr/daemons";
/// Where the BIRD image's entrypoint (`bird -c /etc/bird.conf -d`) reads its config.
const BIRD_CONF: &str = "/etc/bird.conf";

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
        let renamed: Vec<(Ipv4Addr, String)> = ordered[r.index]
            .iter()
            .enumerate()
            .map(|(k, i)| (i.addr, format!("eth{}", k + 1)))
            .collect();
        for i in &mut r.interfaces {
            i.name = renamed
                .iter()
                .find(|(a, _)| *a == i.addr)
                .expect("own address")
                .1
                .clone();
            i.peer_name = names[i.peer_index].clone();
        }
    }
    // The origin's node first: an import takes the first node as the origin (and numbered
    // node names keep their numbers, so the order changes no router's index or AS).
    let origin = lab.origin();
    let nodes = std::iter::once(&lab.routers[origin])
        .chain(lab.routers.iter().filter(|r| r.index != origin))
        .map(|r| {
            let n = &names[r.index];
            let (image, binds, exec) = match r.suite {
                Suite::Frr => (
                    frr_image,
                    vec![format!("{n}/frr.conf:{FRR_CONF}"), format!("{n}/daemons:{FRR_DAEMONS}")],
                    // Containers get a default route through the management network, which
                    // would win over the lab's BGP default in the kernel; deleting it at start
                    // makes the lab's default the one used, so nothing leaves the lab that way.
                    // `dev eth0`: never the lab default zebra may already have installed.
                    vec!["ip route del default dev eth0".into()],
                ),
                Suite::Bird => (
                    bird_image,
                    vec![format!("{n}/bird.conf:{BIRD_CONF}")],
                    bird_exec(&clab, r.index, r.index == origin),
                ),
            };
            let node = Node {
                kind: "linux".into(),
                image: image.to_string(),
                binds,
                exec,
                labels: BTreeMap::from([(ASN_LABEL.to_string(), r.asn)]),
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

    for r in &clab.routers {
        let n = Path::new(&names[r.index]);
        match r.suite {
            Suite::Frr => {
                out.push((n.join("frr.conf"), frr_conf(&clab, r.index, r.index == origin)));
                out.push((n.join("daemons"), daemons_file(&clab, r.index)));
            }
            Suite::Bird => out.push((
                n.join("bird.conf"),
                crate::bird::conf::render_for_container(&clab, r.index),
            )),
        }
    }
    Ok(out)
}

/// A BIRD node's start-up commands (containerlab runs them once the container runs). BIRD
/// sets no addresses and no sysctls, so these do what nsbgp and FRR's zebra do otherwise:
/// the address of each lab interface (eth1 … in link order), the stub on `lo` for the
/// router holding the world, forwarding on, and the management default route (through
/// `eth0`) deleted so that the lab's default from BGP is the one used. `dev eth0` names
/// that route alone: BIRD may already have installed the lab's default when this runs.
fn bird_exec(lab: &Lab, index: usize, holds_world: bool) -> Vec<String> {
    let mut ifaces = lab.devices(index);
    ifaces.sort_by_key(|i| i.link);
    let mut exec: Vec<String> = ifaces
        .iter()
        .map(|i| format!("ip addr add {}/{} dev {}", i.addr, i.subnet.prefix_len(), i.name))
        .collect();
    if holds_world {
        exec.push(format!(
            "ip addr add {}/{} dev lo",
            lab.stub_addr,
            lab.stub_prefix.prefix_len()
        ));
    }
    exec.push("sysctl -w net.ipv4.ip_forward=1".into());
    exec.push("ip route del default dev eth0".into());
    exec
}

/// FRR's integrated config for one router: zebra's and bgpd's configs from the lab's
/// templates, without what belongs to the host (vty passwords, log files under nsbgp's state
/// directory), plus the interface addresses nsbgp otherwise sets itself.
fn frr_conf(lab: &Lab, index: usize, holds_world: bool) -> String {
    let r = lab.router(index);
    let mut out = format!(
        "! frr.conf for {} (AS {}) in nsbgp lab {}, exported for containerlab by `nsbgp export`.\n\
         ! Rendered from nsbgp's zebra.conf and bgpd.conf templates. The lab's links: {}.\n\
         ! eth0 is containerlab's management network: no BGP session runs over it and only\n\
         ! the lab's prefixes are announced (network statements), so it is no second path.\n\
         frr defaults traditional\n\
         hostname {}\n\
         ip forwarding\n\
         !\n",
        r.name,
        r.asn,
        lab.name,
        match lab.devices(index).len() {
            0 => "none".to_string(),
            1 => "eth1".to_string(),
            n => format!("eth1 … eth{n}"),
        },
        r.name
    );
    if holds_world {
        out.push_str(&format!(
            "interface lo\n description the lab's \"world\": the stub prefix behind the default route\n ip address {}/{}\nexit\n!\n",
            lab.stub_addr,
            lab.stub_prefix.prefix_len()
        ));
    }
    let zebra = crate::render::render(lab, index, Daemon::Zebra, "");
    let bgpd = crate::render::render(lab, index, Daemon::Bgpd, "");
    // zebra's `line vty` block ends its part: bgpd's is kept, once.
    let zebra = zebra.split("\nline vty\n").next().unwrap_or(&zebra);
    for line in zebra.lines().chain(bgpd.lines()) {
        let host_only = line.starts_with("! zebra.conf for ")
            || line.starts_with("! bgpd.conf for ")
            || line.starts_with("! Generated by nsbgp")
            || line.starts_with("hostname ")
            || line.starts_with("password ")
            || line.starts_with("enable password ")
            || line.starts_with("log file ");
        if host_only {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if let Some(ifname) = line.strip_prefix("interface ") {
            if let Some(i) = r.interfaces.iter().find(|i| i.name == ifname) {
                out.push_str(&format!(" ip address {}/{}\n", i.addr, i.subnet.prefix_len()));
            }
        }
    }
    out
}

/// FRR's `daemons` file: zebra (which FRR always starts) and bgpd, vtys on 127.0.0.1 only.
fn daemons_file(lab: &Lab, index: usize) -> String {
    let r = lab.router(index);
    let mut s = format!(
        "# FRR daemons file for {} in nsbgp lab {}, written by `nsbgp export`: zebra and bgpd only.\n\
         zebra=yes\nbgpd=yes\n",
        r.name, lab.name
    );
    for d in [
        "ospfd", "ospf6d", "ripd", "ripngd", "isisd", "pimd", "ldpd", "nhrpd", "eigrpd", "babeld", "sharpd", "pbrd",
        "bfdd", "fabricd", "vrrpd", "pathd",
    ] {
        s.push_str(&format!("{d}=no\n"));
    }
    s.push_str(
        "\nvtysh_enable=yes\n\
         zebra_options=\"  -A 127.0.0.1 -s 90000000\"\n\
         bgpd_options=\"   -A 127.0.0.1\"\n",
    );
    s
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
