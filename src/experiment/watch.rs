//! Kernel route events in every router's namespace: a netlink socket per namespace, bound to
//! the IPv4 route multicast group, created on a thread inside the namespace and then read
//! from tokio. Each install/removal of the measured prefix in the main table is stamped on
//! receipt with the monotonic clock.

use futures::{StreamExt, TryStreamExt};
use ipnet::Ipv4Net;
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use rtnetlink::packet_route::RouteNetlinkMessage;
use std::net::Ipv4Addr;
use std::time::Instant;
use tokio::sync::mpsc;

const MAIN_TABLE: u8 = 254;

#[derive(Debug, Clone, Copy)]
pub struct RouteEvent {
    pub router: usize,
    pub present: bool,
    /// The route's next hop (RTA_GATEWAY), if it has one.
    pub gateway: Option<Ipv4Addr>,
    pub at: Instant,
}

/// Watches one prefix in every namespace. Dropping it stops the watchers.
pub struct Watcher {
    pub rx: mpsc::UnboundedReceiver<RouteEvent>,
    /// Presence of the prefix at each router when watching started.
    pub initial: Vec<bool>,
    /// Its next hop at each router then (None: absent or no gateway).
    pub initial_gateway: Vec<Option<Ipv4Addr>>,
    handles: Vec<rtnetlink::Handle>,
    prefix: Ipv4Net,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Watcher {
    /// Asks router `i`'s kernel whether the prefix is in its main table now.
    pub async fn present_now(&self, i: usize) -> Result<bool, String> {
        Ok(dump_has(&self.handles[i], self.prefix).await?.is_some())
    }

    /// The prefix's next hop at router `i` now (None: absent or no gateway).
    pub async fn gateway_now(&self, i: usize) -> Result<Option<Ipv4Addr>, String> {
        Ok(dump_has(&self.handles[i], self.prefix).await?.flatten())
    }
}

/// A FIB lookup: None if the prefix is absent, else its next hop (if it has one).
type Found = Option<Option<Ipv4Addr>>;

/// Dumps the IPv4 FIB (all of it: a dump stopped early leaves the kernel's replies nowhere
/// to go) and says whether the prefix is there (Some), with its next hop.
async fn dump_has(handle: &rtnetlink::Handle, prefix: Ipv4Net) -> Result<Found, String> {
    let req = rtnetlink::RouteMessageBuilder::<Ipv4Addr>::new().build();
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

fn gateway(msg: &RouteMessage) -> Option<Ipv4Addr> {
    msg.attributes.iter().find_map(|a| match a {
        RouteAttribute::Gateway(RouteAddress::Inet(g)) => Some(*g),
        _ => None,
    })
}

impl Drop for Watcher {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn matches(msg: &RouteMessage, prefix: Ipv4Net) -> bool {
    if msg.header.destination_prefix_length != prefix.prefix_len() {
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
    let dst = msg
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Destination(RouteAddress::Inet(d)) => Some(*d),
            _ => None,
        })
        .unwrap_or(Ipv4Addr::UNSPECIFIED);
    dst == prefix.network()
}

/// Subscribes in every namespace (bounded concurrency), then dumps each FIB for the
/// prefix's current presence. Events from the moment of subscription are kept.
pub async fn watch(namespaces: &[String], prefix: Ipv4Net) -> Result<Watcher, String> {
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
                        rtnetlink::new_multicast_connection(&[rtnetlink::MulticastGroup::Ipv4Route])
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
