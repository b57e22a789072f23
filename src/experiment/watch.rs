//! Kernel route events in every router's namespace: a netlink socket per namespace, bound to
//! the route multicast group of the measured prefix's family (RTNLGRP_IPV4_ROUTE or
//! RTNLGRP_IPV6_ROUTE), created on a thread inside the namespace and then read from tokio.
//! Each install/removal of the measured prefix in the main table is stamped on receipt with
//! the monotonic clock.

use crate::config::Family;
use futures::{StreamExt, TryStreamExt};
use ipnet::IpNet;
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;
use tokio::sync::mpsc;

const MAIN_TABLE: u8 = 254;

/// Where a route leads: its gateway (RTA_GATEWAY) and output interface (RTA_OIF). IPv6
/// routes may go via the neighbour's link-local address (FRR's choice), which the lab's plan
/// does not know, so the interface says which neighbour that is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NextHop {
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
}

impl NextHop {
    /// Whether this is the neighbour at `addr` (its address on the link in the route's
    /// family), reached over interface `ifindex`.
    pub fn is(&self, addr: IpAddr, ifindex: u32) -> bool {
        match self.gateway {
            Some(g) if g == addr => true,
            // fe80::/10 (`Ipv6Addr::is_unicast_link_local` is newer than the MSRV).
            Some(IpAddr::V6(g)) => (g.segments()[0] & 0xffc0) == 0xfe80 && self.oif == Some(ifindex),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RouteEvent {
    pub router: usize,
    pub present: bool,
    /// The route's next hop (None: a device route without gateway, or a removal).
    pub gateway: Option<NextHop>,
    pub at: Instant,
}

/// Watches one prefix in every namespace. Dropping it stops the watchers.
pub struct Watcher {
    pub rx: mpsc::UnboundedReceiver<RouteEvent>,
    /// Presence of the prefix at each router when watching started.
    pub initial: Vec<bool>,
    /// Its next hop at each router then (None: absent or no gateway).
    pub initial_gateway: Vec<Option<NextHop>>,
    handles: Vec<rtnetlink::Handle>,
    prefix: IpNet,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Watcher {
    /// Asks router `i`'s kernel whether the prefix is in its main table now.
    pub async fn present_now(&self, i: usize) -> Result<bool, String> {
        Ok(dump_has(&self.handles[i], self.prefix).await?.is_some())
    }

    /// The prefix's next hop at router `i` now (None: absent or no gateway).
    pub async fn gateway_now(&self, i: usize) -> Result<Option<NextHop>, String> {
        Ok(dump_has(&self.handles[i], self.prefix).await?.flatten())
    }
}

/// A FIB lookup: None if the prefix is absent, else its next hop (if it has one).
type Found = Option<Option<NextHop>>;

/// Dumps the FIB of the prefix's family (all of it: a dump stopped early leaves the kernel's
/// replies nowhere to go) and says whether the prefix is there (Some), with its next hop.
async fn dump_has(handle: &rtnetlink::Handle, prefix: IpNet) -> Result<Found, String> {
    let req = match prefix {
        IpNet::V4(_) => rtnetlink::RouteMessageBuilder::<Ipv4Addr>::new().build(),
        IpNet::V6(_) => rtnetlink::RouteMessageBuilder::<Ipv6Addr>::new().build(),
    };
    handle
        .route()
        .get(req)
        .execute()
        .try_fold(None, |found, m| {
            let this = matches(&m, prefix).then(|| gateway(&m));
            futures::future::ready(Ok(found.or(this)))
        })
        .await
        .map_err(|e| format!("route dump: {e}"))
}

/// The route's next hop; None for a route without gateway (blackhole, on-link).
fn gateway(msg: &RouteMessage) -> Option<NextHop> {
    let gateway = msg.attributes.iter().find_map(|a| match a {
        RouteAttribute::Gateway(RouteAddress::Inet(g)) => Some(IpAddr::V4(*g)),
        RouteAttribute::Gateway(RouteAddress::Inet6(g)) => Some(IpAddr::V6(*g)),
        _ => None,
    })?;
    let oif = msg.attributes.iter().find_map(|a| match a {
        RouteAttribute::Oif(i) => Some(*i),
        _ => None,
    });
    Some(NextHop {
        gateway: Some(gateway),
        oif,
    })
}

impl Drop for Watcher {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn matches(msg: &RouteMessage, prefix: IpNet) -> bool {
    let family = match prefix {
        IpNet::V4(_) => AddressFamily::Inet,
        IpNet::V6(_) => AddressFamily::Inet6,
    };
    if msg.header.address_family != family || msg.header.destination_prefix_length != prefix.prefix_len() {
        return false;
    }
    let table = msg
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(u32::from(msg.header.table));
    if table != u32::from(MAIN_TABLE) {
        return false;
    }
    // The default route has no destination attribute.
    let dst = msg.attributes.iter().find_map(|a| match a {
        RouteAttribute::Destination(RouteAddress::Inet(d)) => Some(IpAddr::V4(*d)),
        RouteAttribute::Destination(RouteAddress::Inet6(d)) => Some(IpAddr::V6(*d)),
        _ => None,
    });
    dst.unwrap_or(match prefix {
        IpNet::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpNet::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }) == prefix.network()
}

/// Subscribes in every namespace (bounded concurrency), then dumps each FIB for the
/// prefix's current presence. Events from the moment of subscription are kept.
pub async fn watch(namespaces: &[String], prefix: IpNet) -> Result<Watcher, String> {
    let group = match Family::of_net(prefix) {
        Family::Ipv4 => rtnetlink::MulticastGroup::Ipv4Route,
        Family::Ipv6 => rtnetlink::MulticastGroup::Ipv6Route,
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let rt = tokio::runtime::Handle::current();
    let mut tasks = Vec::new();
    let mut initial = vec![false; namespaces.len()];
    let opened: Vec<(usize, Result<_, String>)> = futures::stream::iter(namespaces.iter().cloned().enumerate())
        .map(|(i, name)| {
            let rt = rt.clone();
            async move {
                let r = tokio::task::spawn_blocking(move || -> Result<_, String> {
                    let fd = crate::netns::open_named(&name).map_err(|e| e.to_string())?;
                    crate::netns::run_in(&fd, move || {
                        let _g = rt.enter();
                        rtnetlink::new_multicast_connection(&[group])
                    })
                    .map_err(|e| format!("{name}: {e}"))?
                    .map_err(|e| format!("{name}: netlink: {e}"))
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r);
                (i, r)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut handles = Vec::new();
    for (i, r) in opened {
        let (conn, handle, mut messages) = r?;
        tasks.push(tokio::spawn(conn));
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            while let Some((msg, _)) = messages.next().await {
                let at = Instant::now();
                let (present, gateway) = match msg.payload {
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewRoute(ref m)) if matches(m, prefix) => {
                        (true, gateway(m))
                    }
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelRoute(ref m)) if matches(m, prefix) => {
                        (false, None)
                    }
                    _ => continue,
                };
                if tx
                    .send(RouteEvent {
                        router: i,
                        present,
                        gateway,
                        at,
                    })
                    .is_err()
                {
                    return;
                }
            }
        }));
        handles.push((i, handle));
    }
    handles.sort_by_key(|(i, _)| *i);
    let handles: Vec<rtnetlink::Handle> = handles.into_iter().map(|(_, h)| h).collect();
    let mut initial_gateway = vec![None; namespaces.len()];
    let dumps: Vec<(usize, Result<Found, String>)> = futures::stream::iter(handles.iter().enumerate())
        .map(|(i, handle)| async move { (i, dump_has(handle, prefix).await) })
        .buffer_unordered(32)
        .collect()
        .await;
    for (i, r) in dumps {
        let r = r?;
        initial[i] = r.is_some();
        initial_gateway[i] = r.flatten();
    }
    Ok(Watcher {
        rx,
        initial,
        initial_gateway,
        handles,
        prefix,
        tasks,
    })
}

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
