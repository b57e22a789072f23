use super::*;
use crate::config::{parse, validate, Lab, Overrides};

fn lab(text: &str) -> Result<Lab, ConfigError> {
    validate("t.toml", parse("t.toml", text)?, &Overrides::default())
}

const IX: &str = "name = \"x\"\nrouters = 5\n[topology]\nshape = \"file\"\n[[topology.link]]\na = 3\nb = 4\n\
                  [[topology.lan]]\nname = \"ix1\"\nrouters = [0, 1, 2, 3]\n";

/// In a dual lab a LAN also takes the /64 of its number (after the links' /64s) and every
/// member `::k+1` on it; each session entry carries both families.
#[test]
fn a_dual_lan_takes_the_v6_subnet_of_its_number() {
    let l = lab(&format!("{IX}[addressing]\nfamily = \"dual\"\n")).unwrap();
    let ix = &l.lans[0];
    assert_eq!(ix.v6_subnet.map(|n| n.to_string()), Some("2001:db8:31:2::/64".into()));
    assert_eq!(
        ix.v6_addrs[3],
        "2001:db8:31:2::4".parse::<std::net::Ipv6Addr>().unwrap()
    );
    // Link 1 keeps its own /64.
    assert_eq!(l.links[0].nets[1].subnet.to_string(), "2001:db8:31:1::/64");
    let r2 = &l.routers[2];
    let to0 = r2.interfaces.iter().find(|i| i.peer_index == 0).unwrap();
    let got: Vec<(String, String)> = to0
        .addrs
        .iter()
        .map(|a| (a.addr.to_string(), a.peer_addr.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("172.31.0.11".to_string(), "172.31.0.9".to_string()),
            ("2001:db8:31:2::3".to_string(), "2001:db8:31:2::1".to_string())
        ]
    );
    assert!(l
        .announced_prefixes()
        .iter()
        .any(|p| p.to_string() == "2001:db8:31:2::/64"));
    assert_eq!(ix.subnets_label(), "172.31.0.8/29 2001:db8:31:2::/64");
    assert_eq!(lab(IX).unwrap().lans[0].subnets_label(), "172.31.0.8/29");
    // An IPv4 lab's LAN has no IPv6 side (and lab.json stays as before).
    let v4 = lab(IX).unwrap();
    assert!(v4.lans[0].v6_subnet.is_none() && v4.lans[0].v6_addrs.is_empty());
    assert!(!serde_json::to_string(&v4.lans[0]).unwrap().contains("v6"));
}

#[test]
fn a_lan_is_a_full_mesh_one_hop_wide() {
    let l = lab(IX).unwrap();
    let g = &l.graph;
    assert_eq!(g.lans(), [vec![0, 1, 2, 3]]);
    assert_eq!((0..5).map(|r| g.distance(r)).collect::<Vec<_>>(), [0, 1, 1, 1, 2]);
    assert_eq!(g.next_hops(4), [3]);
    assert_eq!(g.next_hops(2), [0]);
    assert_eq!(g.hops(4, 1), 2);
    assert_eq!(g.link_between(1, 2), Some(1));
    assert_eq!(g.lan_at(1), Some(0));
    assert_eq!(g.lan_at(0), None);
    // /30 links (not a chain): the LAN is a /29 after link 1's 172.31.0.4/30.
    let ix = &l.lans[0];
    assert_eq!(
        (ix.index, ix.subnet.to_string(), ix.namespace.as_str()),
        (2, "172.31.0.8/29".into(), "ROUTER_ix1")
    );
    assert_eq!(ix.addrs[3], "172.31.0.12".parse::<Ipv4Addr>().unwrap());
    // ROUTER_3: its link, then three sessions on one device.
    let r3 = &l.routers[3];
    let got: Vec<(&str, u32, String, usize)> = r3
        .interfaces
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                i.ifindex,
                i.first_addr().peer_addr.to_string(),
                i.peer_index,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("ROUTER_4", 2, "172.31.0.5".into(), 4),
            ("ix1", 3, "172.31.0.9".into(), 0),
            ("ix1", 3, "172.31.0.10".into(), 1),
            ("ix1", 3, "172.31.0.11".into(), 2),
        ]
    );
    assert_eq!(l.devices(3).len(), 2);
    // Routers on the LAN only take their LAN address as router-id.
    assert_eq!(l.routers[1].router_id.to_string(), "172.31.0.10");
    assert!(l.announced_prefixes().contains(&ipnet::IpNet::V4(ix.subnet)));
    assert_eq!(
        l.router_of_addr("172.31.0.11".parse().unwrap()).map(|r| r.index),
        Some(2)
    );
}

#[test]
fn a_chain_with_a_lan_keeps_its_slash_24s() {
    let l = lab("name = \"c\"\nrouters = 4\n[[topology.lan]]\nname = \"lan\"\nrouters = [\"ROUTER_0\", \"AS102\"]\n")
        .unwrap();
    assert_eq!(l.lans[0].subnet.to_string(), "172.31.4.0/24");
    assert_eq!(l.lans[0].members, [0, 2]);
    assert_eq!((l.graph.distance(2), l.graph.distance(3)), (1, 2));
    // Serialized and read back, the graph knows its LAN again.
    let back: Lab = serde_json::from_str(&serde_json::to_string(&l).unwrap()).unwrap();
    assert_eq!(back, l);
}

#[test]
fn lan_len_fits_its_members() {
    assert_eq!(lan_len(24, 4), 24);
    assert_eq!(lan_len(30, 2), 30);
    assert_eq!(lan_len(30, 4), 29);
    assert_eq!(lan_len(31, 6), 29);
    assert_eq!(lan_len(30, 7), 28);
}

#[test]
fn routers_joined_only_through_a_lan_are_connected() {
    let l = lab("name = \"s\"\nrouters = 3\n[topology]\nshape = \"file\"\n[[topology.lan]]\nname = \"s\"\nrouters = [0, 1, 2]\n")
        .unwrap();
    assert!(l.links.is_empty());
    assert_eq!(l.graph.distance(2), 1);
}

#[test]
fn bad_lans_are_refused_with_their_key() {
    let bad = |lan: &str, key: &str, says: &str| {
        let text =
            format!("name = \"b\"\nrouters = 4\n[topology]\nshape = \"file\"\n[[topology.link]]\na = 0\nb = 1\n{lan}");
        let e = lab(&text).unwrap_err().to_string();
        assert!(
            (key.is_empty() || e.contains(&format!("`{key}`"))) && e.contains(says),
            "{lan}: {e}"
        );
    };
    bad(
        "[[topology.lan]]\nname = \"ix\"\nrouters = [0, 7, 2]\n",
        "topology.lan[1].routers[2]",
        "not a router of this lab",
    );
    bad(
        "[[topology.lan]]\nname = \"ix\"\nrouters = [2]\n",
        "topology.lan[1].routers",
        "has 1 router;",
    );
    bad(
        "[[topology.lan]]\nname = \"ix\"\nrouters = []\n",
        "topology.lan[1].routers",
        "has 0 routers",
    );
    bad(
        "[[topology.lan]]\nname = \"ix\"\nrouters = [1, 2]\n[[topology.lan]]\nname = \"ix\"\nrouters = [1, 3]\n",
        "topology.lan[2].name",
        "already the name of topology.lan[1]",
    );
    bad(
        "[[topology.lan]]\nname = \"ROUTER_2\"\nrouters = [1, 2, 3]\n",
        "topology.lan[1].name",
        "name of a router",
    );
    bad(
        "[[topology.lan]]\nname = \"AS101\"\nrouters = [1, 2, 3]\n",
        "topology.lan[1].name",
        "name of a router",
    );
    bad(
        "[[topology.lan]]\nname = \"ix\"\nrouters = [1, 2, 1]\n",
        "topology.lan[1].routers[3]",
        "already on LAN",
    );
    bad(
        "[[topology.lan]]\nname = \"../x\"\nrouters = [1, 2, 3]\n",
        "topology.lan[1].name",
        "must be 1–15",
    );
    bad(
        "[[topology.lan]]\nname = \"averyveryverylong\"\nrouters = [1, 2]\n",
        "topology.lan[1].name",
        "must be 1–15",
    );
    bad(
        "[[topology.lan]]\nname = \"ixp-frankfurt\"\nrouters = [1, 2]\n",
        "topology.lan[1].name",
        "router_prefix + name",
    );
    bad(
        "[[topology.lan]]\nname = \"ix\"\nrouters = [1, 2]\nmtu = 9000\n",
        "",
        "unknown field",
    );
    bad(
        "[[topology.lan]]\nname = \"ix\"\nrouters = [3, 1, 0]\n",
        "topology.lan[1].routers",
        "ROUTER_1 and ROUTER_0 already meet on topology.link[1]",
    );
    bad(
        "[[topology.lan]]\nname = \"i1\"\nrouters = [1, 2, 3]\n[[topology.lan]]\nname = \"i2\"\nrouters = [0, 3, 2]\n",
        "topology.lan[2].routers",
        "ROUTER_3 and ROUTER_2 already meet on topology.lan[1] (\"i1\")",
    );
    // Router 3 reaches nobody: a LAN of others does not connect it.
    bad(
        "[[topology.lan]]\nname = \"ix\"\nrouters = [0, 2]\n",
        "topology.link",
        "ROUTER_3 cannot reach",
    );
}
