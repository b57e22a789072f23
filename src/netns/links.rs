//! The lab's veth pairs and addresses (one pair per link of the graph), built over each
//! namespace's netlink socket.
//! Each veth is created in one router's namespace with its peer placed directly into the
//! neighbour's (IFLA_NET_NS_FD on the peer), with fixed ifindexes so no lookups follow.

use super::Netns;
use crate::config::{Interface, Lab};
use futures::stream::{self, StreamExt};
use rtnetlink::packet_route::link::{InfoData, InfoKind, InfoVeth};
use rtnetlink::{LinkBridge, LinkMessageBuilder, LinkUnspec};
use std::net::IpAddr;
use std::os::fd::AsRawFd;

#[derive(Debug, thiserror::Error)]
#[error("{router}: {step}: {source}")]
pub struct LinkError {
    pub router: String,
    pub step: String,
    pub source: rtnetlink::Error,
}

/// How many netlink requests are in flight at once across all namespaces.
const IN_FLIGHT: usize = 64;

/// Both ends of link position `p`: (router a, its interface), (router b, its interface).
fn ends(lab: &Lab, p: usize) -> ((usize, &Interface), (usize, &Interface)) {
    let l = &lab.links[p];
    let on = |r: usize| {
        lab.interface_on(r, l.index)
            .expect("both ends have an interface on their link")
    };
    ((l.a, on(l.a)), (l.b, on(l.b)))
}

/// The bridge's ifindex in a LAN's namespace; the members' ports follow it in member order.
const BRIDGE_IFINDEX: u32 = 2;

/// Brings `lo` up everywhere (with the stub address on the origin's), creates every veth pair
/// and addresses both ends, then every LAN (see [`build_lan`]). The pairs are up, or with
/// `lab.hold_links` the `b` end (a LAN member's end) stays down (no carrier, so no BGP
/// session can start) until `raise_links`. `ns` holds the routers' namespaces in router
/// order, then the LANs' in LAN order. `created(k)` is called once link k exists (for a LAN:
/// once all its members' veths exist).
pub async fn build_links(lab: &Lab, ns: &[Netns], created: &(dyn Fn(usize) + Sync)) -> Result<(), LinkError> {
    fn err(router: &str, step: String) -> impl FnOnce(rtnetlink::Error) -> LinkError + '_ {
        move |source| LinkError {
            router: router.to_string(),
            step,
            source,
        }
    }

    // lo first: some kernels refuse addresses on a down loopback.
    let origin = lab.origin();
    stream::iter(ns.iter().enumerate())
        .map(|(i, n)| async move {
            n.handle
                .link()
                .set(LinkUnspec::new_with_index(1).up().build())
                .execute()
                .await
                .map_err(err(&n.name, "set lo up".into()))?;
            if i == origin && !lab.internet() {
                // One stub per family the lab runs.
                for s in &lab.stubs {
                    n.handle
                        .address()
                        .add(1, s.addr, s.prefix.prefix_len())
                        .execute()
                        .await
                        .map_err(err(&n.name, format!("add stub {} to lo", s.addr)))?;
                }
            }
            // An internet lab's AS holds the first address of its own prefix on `lo`.
            if let Some(&p) = lab.policy.prefixes.get(i) {
                let addr = crate::config::policy::origin_addr(p);
                n.handle
                    .address()
                    .add(1, IpAddr::V4(addr), p.prefix_len())
                    .execute()
                    .await
                    .map_err(err(&n.name, format!("add own prefix {addr} to lo")))?;
            }
            Ok::<_, LinkError>(())
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<(), _>>()?;

    stream::iter(0..lab.links.len())
        .map(|p| async move {
            let l = &lab.links[p];
            let ((a, ia), (b, ib)) = ends(lab, p);
            let (na, nb) = (&ns[a], &ns[b]);
            // Each end is named after the router at the other end.
            let peer = LinkMessageBuilder::<LinkUnspec>::new()
                .name(ib.name.clone())
                .index(ib.ifindex)
                .setns_by_fd(nb.fd.as_raw_fd())
                .build();
            let veth = LinkMessageBuilder::<LinkUnspec>::new_with_info_kind(InfoKind::Veth)
                .name(ia.name.clone())
                .index(ia.ifindex)
                .up()
                .set_info_data(InfoData::Veth(InfoVeth::Peer(peer)))
                .build();
            na.handle
                .link()
                .add(veth)
                .execute()
                .await
                .map_err(err(&na.name, format!("create veth pair to {}", nb.name)))?;
            created(l.index);
            // The peer cannot be created up: veth refuses to open before both ends exist.
            if !lab.hold_links {
                set_up(&nb.handle, &nb.name, ib).await?;
            }
            // Every family of the lab: the IPv4 and/or IPv6 address of each end.
            for (n, i) in [(na, ia), (nb, ib)] {
                for a in &i.addrs {
                    let len = a.subnet.prefix_len();
                    n.handle
                        .address()
                        .add(i.ifindex, a.addr, len)
                        .execute()
                        .await
                        .map_err(err(&n.name, format!("add {}/{len}", a.addr)))?;
                }
            }
            let _ = l;
            Ok::<_, LinkError>(())
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<(), _>>()?;

    let n = lab.routers.len();
    for (j, l) in lab.lans.iter().enumerate() {
        build_lan(lab, j, &ns[n + j], &ns[..n]).await?;
        created(l.index);
    }
    Ok(())
}

/// LAN `j`: a bridge named after the LAN in the LAN's own namespace (`lan_ns`), and per
/// member a veth whose bridge port is named after the router and whose router end is named
/// after the LAN, addressed, up (or held down with `hold_links`).
async fn build_lan(lab: &Lab, j: usize, lan_ns: &Netns, routers: &[Netns]) -> Result<(), LinkError> {
    let l = &lab.lans[j];
    let err = |router: &str, step: String| {
        let router = router.to_string();
        move |source| LinkError { router, step, source }
    };
    let bridge = LinkBridge::new(&l.name).index(BRIDGE_IFINDEX).build();
    lan_ns
        .handle
        .link()
        .add(bridge)
        .execute()
        .await
        .map_err(err(&lan_ns.name, format!("create bridge {}", l.name)))?;
    for (k, &r) in l.members.iter().enumerate() {
        let rn = &routers[r];
        let dev = lab
            .devices(r)
            .into_iter()
            .find(|i| i.lan == Some(j))
            .expect("a LAN member has a device on it");
        let port_index = BRIDGE_IFINDEX + 1 + k as u32;
        let peer = LinkMessageBuilder::<LinkUnspec>::new()
            .name(dev.name.clone())
            .index(dev.ifindex)
            .setns_by_fd(rn.fd.as_raw_fd())
            .build();
        let veth = LinkMessageBuilder::<LinkUnspec>::new_with_info_kind(InfoKind::Veth)
            .name(lab.routers[r].name.clone())
            .index(port_index)
            .set_info_data(InfoData::Veth(InfoVeth::Peer(peer)))
            .build();
        lan_ns
            .handle
            .link()
            .add(veth)
            .execute()
            .await
            .map_err(err(&lan_ns.name, format!("create veth pair to {}", rn.name)))?;
        lan_ns
            .handle
            .link()
            .set(
                LinkUnspec::new_with_index(port_index)
                    .controller(BRIDGE_IFINDEX)
                    .up()
                    .build(),
            )
            .execute()
            .await
            .map_err(err(&lan_ns.name, format!("attach {} to bridge {}", rn.name, l.name)))?;
        if !lab.hold_links {
            set_up(&rn.handle, &rn.name, dev).await?;
        }
        // Every family of the lab: the member's IPv4 (and IPv6) address on the LAN.
        for a in &dev.addrs {
            let len = a.subnet.prefix_len();
            rn.handle
                .address()
                .add(dev.ifindex, a.addr, len)
                .execute()
                .await
                .map_err(err(&rn.name, format!("add {}/{len}", a.addr)))?;
        }
    }
    Ok(())
}

/// Raises the `b` end of every link, left down by `build_links` with `hold_links`,
/// breadth-first from the origin (on the chain: ROUTER_1's, ROUTER_2's, …).
pub async fn raise_links(lab: &Lab, ns: &[(String, rtnetlink::Handle)]) -> Result<(), LinkError> {
    stream::iter(lab.graph.links_outwards())
        .map(|p| async move {
            let (_, (b, ib)) = ends(lab, p);
            let (name, handle) = &ns[b];
            set_up(handle, name, ib).await
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<(), _>>()?;
    // Then every LAN member's end.
    for (j, l) in lab.lans.iter().enumerate() {
        for &r in &l.members {
            let dev = lab.devices(r).into_iter().find(|i| i.lan == Some(j));
            let (name, handle) = &ns[r];
            set_up(handle, name, dev.expect("a LAN member has a device on it")).await?;
        }
    }
    Ok(())
}

/// Sets interface `i` up inside router `router`.
async fn set_up(handle: &rtnetlink::Handle, router: &str, i: &Interface) -> Result<(), LinkError> {
    handle
        .link()
        .set(LinkUnspec::new_with_index(i.ifindex).up().build())
        .execute()
        .await
        .map_err(|source| LinkError {
            router: router.to_string(),
            step: format!("set {} up", i.name),
            source,
        })
}
