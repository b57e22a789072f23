//! The chain's veth pairs and addresses, built over each namespace's netlink socket.
//! Each veth is created in one router's namespace with its peer placed directly into the
//! neighbour's (IFLA_NET_NS_FD on the peer), with fixed ifindexes so no lookups follow.

use super::Netns;
use crate::config::{Lab, IFINDEX_DOWN, IFINDEX_UP};
use futures::stream::{self, StreamExt};
use rtnetlink::packet_route::link::{InfoData, InfoKind, InfoVeth};
use rtnetlink::{LinkMessageBuilder, LinkUnspec};
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

/// Brings `lo` up everywhere (with the stub address on ROUTER_0's), creates every veth pair
/// and addresses both ends. The pairs are up, or with `lab.hold_links` one end stays down
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
    stream::iter(ns.iter().enumerate())
        .map(|(i, n)| async move {
            n.handle
                .link()
                .set(LinkUnspec::new_with_index(1).up().build())
                .execute()
                .await
                .map_err(err(&n.name, "set lo up".into()))?;
            if i == 0 {
                n.handle
                    .address()
                    .add(1, IpAddr::V4(lab.stub_addr), lab.stub_prefix.prefix_len())
                    .execute()
                    .await
                    .map_err(err(&n.name, format!("add stub {} to lo", lab.stub_addr)))?;
            }
            Ok::<_, LinkError>(())
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<(), _>>()?;

    stream::iter(lab.links.iter())
        .map(|l| async move {
            let (up, down) = (&ns[l.index - 1], &ns[l.index]);
            // In the upstream router the veth is named after the downstream router and vice versa.
            let peer = LinkMessageBuilder::<LinkUnspec>::new()
                .name(up.name.clone())
                .index(IFINDEX_UP)
                .setns_by_fd(down.fd.as_raw_fd())
                .build();
            let veth = LinkMessageBuilder::<LinkUnspec>::new_with_info_kind(InfoKind::Veth)
                .name(down.name.clone())
                .index(IFINDEX_DOWN)
                .up()
                .set_info_data(InfoData::Veth(InfoVeth::Peer(peer)))
                .build();
            up.handle
                .link()
                .add(veth)
                .execute()
                .await
                .map_err(err(&up.name, format!("create veth pair to {}", down.name)))?;
            created(l.index);
            // The peer cannot be created up: veth refuses to open before both ends exist.
            if !lab.hold_links {
                set_up(&down.handle, &down.name, &up.name).await?;
            }
            let len = l.subnet.prefix_len();
            up.handle
                .address()
                .add(IFINDEX_DOWN, IpAddr::V4(l.upstream_addr), len)
                .execute()
                .await
                .map_err(err(&up.name, format!("add {}/{len}", l.upstream_addr)))?;
            down.handle
                .address()
                .add(IFINDEX_UP, IpAddr::V4(l.downstream_addr), len)
                .execute()
                .await
                .map_err(err(&down.name, format!("add {}/{len}", l.downstream_addr)))?;
            Ok::<_, LinkError>(())
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<(), _>>()
}

/// Raises the downstream end of every link, left down by `build_links` with `hold_links`.
pub async fn raise_links(lab: &Lab, ns: &[(String, rtnetlink::Handle)]) -> Result<(), LinkError> {
    stream::iter(lab.links.iter())
        .map(|l| async move {
            let (down, handle) = &ns[l.index];
            set_up(handle, down, &ns[l.index - 1].0).await
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<(), _>>()
}

/// Sets the interface towards `upstream` up inside router `router`.
async fn set_up(handle: &rtnetlink::Handle, router: &str, upstream: &str) -> Result<(), LinkError> {
    handle
        .link()
        .set(LinkUnspec::new_with_index(IFINDEX_UP).up().build())
        .execute()
        .await
        .map_err(|source| LinkError {
            router: router.to_string(),
            step: format!("set {upstream} up"),
            source,
        })
}
