//! The lab's veth pairs and addresses (one pair per link of the graph), built over each
//! namespace's netlink socket.
//! Each veth is created in one router's namespace with its peer placed directly into the
//! neighbour's (IFLA_NET_NS_FD on the peer), with fixed ifindexes so no lookups follow.

use super::Netns;
use crate::config::{Interface, Lab};
use futures::stream::{self, StreamExt};
use rtnetlink::packet_route::link::{InfoData, InfoKind, InfoVeth};
use rtnetlink::{LinkMessageBuilder, LinkUnspec};
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

/// Brings `lo` up everywhere (with the stub address on the origin's), creates every veth pair
/// and addresses both ends. The pairs are up, or with `lab.hold_links` the `b` end stays down
/// (no carrier, so no BGP session can start) until `raise_links`. `created(k)` is called
/// once link k exists.
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
            if i == origin {
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
        .collect::<Result<(), _>>()
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
        .collect::<Result<(), _>>()
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
