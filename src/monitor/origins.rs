//! `status` on an internet lab: which ASes' prefixes each router reaches, against the policy's
//! prediction. "Reaches" is read from the router's kernel (its main table over netlink, in its
//! namespace), the routes packets take, independently of what its daemon says.

use crate::config::Lab;
use futures::{StreamExt, TryStreamExt};
use ipnet::Ipv4Net;
use rtnetlink::packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use serde::Serialize;
use std::collections::HashSet;
use std::net::Ipv4Addr;

/// Namespaces asked at once.
const CONCURRENCY: usize = 32;
const MAIN_TABLE: u32 = 254;

/// One router's origins (other ASes only; its own prefix is on its `lo`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Origins {
    /// How many other ASes' prefixes the policy says it reaches.
    pub predicted: usize,
    /// How many other ASes' prefixes its kernel has a route to (predicted or not).
    pub reached: usize,
    /// Predicted, but not in its kernel.
    pub missing: Vec<String>,
    /// In its kernel, but the policy predicts no route.
    pub unexpected: Vec<String>,
    /// Why its kernel could not be read (then `reached` is 0).
    pub error: Option<String>,
}

/// Router `r`'s origins from the prefixes its kernel holds (or why it could not be read).
pub fn judge(lab: &Lab, predicted: &[bool], r: usize, kernel: Result<&HashSet<Ipv4Net>, &str>) -> Origins {
    let mut o = Origins {
        predicted: predicted.iter().enumerate().filter(|&(j, &p)| p && j != r).count(),
        ..Default::default()
    };
    let have = match kernel {
        Ok(h) => h,
        Err(why) => {
            o.error = Some(why.to_string());
            return o;
        }
    };
    for (j, p) in lab.policy.prefixes.iter().enumerate() {
        if j == r {
            continue;
        }
        let name = || lab.routers[j].name.clone();
        match (predicted[j], have.contains(p)) {
            (true, false) => o.missing.push(name()),
            (false, true) => o.unexpected.push(name()),
            _ => {}
        }
        if have.contains(p) {
            o.reached += 1;
        }
    }
    o
}

/// Per router of an internet lab: its origins against the prediction.
pub async fn read(lab: &Lab) -> Vec<Origins> {
    let p = crate::policy::Prediction::of(lab);
    let names: Vec<String> = lab.routers.iter().map(|r| r.name.clone()).collect();
    let mut got: Vec<(usize, Result<HashSet<Ipv4Net>, String>)> = futures::stream::iter(names.into_iter().enumerate())
        .map(|(i, name)| async move { (i, kernel_prefixes(name).await) })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    got.sort_by_key(|(i, _)| *i);
    got.iter()
        .map(|(r, k)| {
            let predicted: Vec<bool> = (0..lab.routers.len()).map(|o| p.by_origin[o][*r].is_some()).collect();
            judge(lab, &predicted, *r, k.as_ref().map_err(|e| e.as_str()))
        })
        .collect()
}

/// The IPv4 prefixes in the main table of namespace `name`.
async fn kernel_prefixes(name: String) -> Result<HashSet<Ipv4Net>, String> {
    let rt = tokio::runtime::Handle::current();
    let (conn, handle, _) = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let fd = crate::netns::open_named(&name).map_err(|e| e.to_string())?;
        // The socket belongs to the namespace it is made in: make it there, use it from here.
        crate::netns::run_in(&fd, move || {
            let _g = rt.enter();
            rtnetlink::new_connection()
        })
        .map_err(|e| format!("{name}: {e}"))?
        .map_err(|e| format!("{name}: netlink: {e}"))
    })
    .await
    .map_err(|e| e.to_string())??;
    let task = tokio::spawn(conn);
    let req = rtnetlink::RouteMessageBuilder::<Ipv4Addr>::new().build();
    let out = handle
        .route()
        .get(req)
        .execute()
        .try_filter_map(|m| futures::future::ready(Ok(main_prefix(&m))))
        .try_collect::<HashSet<Ipv4Net>>()
        .await
        .map_err(|e| format!("route dump: {e}"));
    task.abort();
    out
}

fn main_prefix(m: &RouteMessage) -> Option<Ipv4Net> {
    let table = m
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(u32::from(m.header.table));
    if table != MAIN_TABLE {
        return None;
    }
    let dst = m
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Destination(RouteAddress::Inet(d)) => Some(*d),
            _ => None,
        })
        .unwrap_or(Ipv4Addr::UNSPECIFIED);
    Ipv4Net::new(dst, m.header.destination_prefix_length).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Overrides};

    #[test]
    fn missing_and_unexpected_origins_are_named() {
        let text = "name = \"t\"\nrouters = 4\n[topology]\nshape = \"internet\"\ntier1 = 2\nseed = 1\n";
        let lab = config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap();
        let pre = |k: usize| lab.policy.prefixes[k];
        let predicted = [true, true, false, true];
        let have: HashSet<Ipv4Net> = [pre(0), pre(2), pre(3)].into_iter().collect();
        let o = judge(&lab, &predicted, 3, Ok(&have));
        assert_eq!(
            o,
            Origins {
                predicted: 2,
                reached: 2,
                missing: vec![lab.routers[1].name.clone()],
                unexpected: vec![lab.routers[2].name.clone()],
                error: None,
            }
        );
        let e = judge(&lab, &predicted, 3, Err("gone"));
        assert_eq!((e.predicted, e.reached, e.error.as_deref()), (2, 0, Some("gone")));
    }
}
