//! Routing daemons' configuration files (FRR's here, BIRD's in `bird::conf`) rendered from the askama templates in `templates/`.
//! askama.toml maps `.conf` to a plain-text escaper: HTML escaping would corrupt configs.

use crate::config::{Daemon, Family, Lab, Router};
use askama::Template;
use ipnet::IpNet;
use std::net::IpAddr;
use std::path::Path;

pub mod policy;

/// What a router runs in one address family: the prefixes it announces and its sessions
/// (one per link, over the link's addresses of this family). Both suites' templates loop
/// over these, so neither names a family itself.
pub struct FamilyConf {
    pub family: Family,
    /// FRR's `address-family` name (`ipv4 unicast`).
    pub afi: &'static str,
    /// BIRD's channel (`ipv4`).
    pub channel: &'static str,
    /// Its own links, and at the origin the stub (BIRD: and the default route).
    pub networks: Vec<IpNet>,
    /// `0.0.0.0/0` or `::/0`.
    pub default_route: IpNet,
    /// The loopback range no router announces, as a BIRD prefix pattern.
    pub loopback: String,
    /// Suffix of the BIRD names of this family (`OWN`, `chain`, `bgp5` for IPv4 — the names
    /// of IPv4-only labs —, `OWN6`, `chain6`, `bgp5_6` for IPv6).
    pub suffix: &'static str,
    pub sessions: Vec<Session>,
}

/// One BGP session: over one link, in one family.
pub struct Session {
    pub local: IpAddr,
    pub peer: IpAddr,
    pub peer_asn: u32,
    pub peer_name: String,
    pub peer_index: usize,
}

/// Router `index`'s families, IPv4 first. `default_in_networks` adds the default route to
/// the origin's networks (BIRD announces it from `OWN`; FRR uses `default-originate`).
pub fn families(lab: &Lab, index: usize, default_in_networks: bool) -> Vec<FamilyConf> {
    let r = lab.router(index);
    // The origin (ROUTER_0 unless `[topology] origin` says otherwise) is the way to the
    // "outside world": it alone originates the default routes and announces the stubs.
    let origin = index == lab.origin() && !lab.internet();
    lab.families()
        .iter()
        .map(|&family| {
            let mut networks: Vec<IpNet> = attached_subnets(r, family);
            if origin {
                networks.extend(lab.stub(family).map(|s| s.prefix));
                if default_in_networks {
                    networks.push(family.default_route());
                }
            }
            // An internet lab's AS announces its own prefix only: no links, no stub, no
            // default (such labs are IPv4-only).
            if lab.internet() {
                networks = vec![IpNet::V4(lab.policy.prefixes[index])];
            }
            let sessions = r
                .interfaces
                .iter()
                .filter_map(|i| {
                    i.addr(family).map(|a| Session {
                        local: a.addr,
                        peer: a.peer_addr,
                        peer_asn: i.peer_asn,
                        peer_name: i.peer_name.clone(),
                        peer_index: i.peer_index,
                    })
                })
                .collect();
            FamilyConf {
                family,
                afi: family.frr_afi(),
                channel: family.bird_channel(),
                networks,
                default_route: family.default_route(),
                loopback: match family {
                    Family::Ipv4 => format!("{}+", family.loopback()),
                    Family::Ipv6 => family.loopback().to_string(),
                },
                suffix: match family {
                    Family::Ipv4 => "",
                    Family::Ipv6 => "6",
                },
                sessions,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "zebra.conf")]
struct ZebraConf<'a> {
    lab: &'a Lab,
    r: &'a Router,
    password: &'a str,
    /// The router's LANs: (name, link number, its other members).
    lans: Vec<(String, usize, String)>,
}

#[derive(Template)]
#[template(path = "bgpd.conf")]
struct BgpdConf<'a> {
    lab: &'a Lab,
    r: &'a Router,
    password: &'a str,
    families: Vec<FamilyConf>,
    originates_default: bool,
    /// With IPv6 each session is activated in its own family only (FRR would otherwise
    /// activate IPv4 unicast on IPv6 sessions too); IPv4-only labs keep FRR's default.
    explicit_activate: bool,
    policy: Option<policy::PolicyView>,
}

/// The config file of `daemon` for router `index`.
pub fn render(lab: &Lab, index: usize, daemon: Daemon, password: &str) -> String {
    let r = lab.router(index);
    let out = match daemon {
        Daemon::Zebra => ZebraConf {
            lab,
            r,
            password,
            lans: lab
                .devices(index)
                .into_iter()
                .filter_map(|i| {
                    let l = &lab.lans[i.lan?];
                    let peers: Vec<&str> = r
                        .interfaces
                        .iter()
                        .filter(|p| p.lan == i.lan)
                        .map(|p| p.peer_name.as_str())
                        .collect();
                    Some((l.name.clone(), l.index, peers.join(", ")))
                })
                .collect(),
        }
        .render(),
        Daemon::Bgpd => BgpdConf {
            lab,
            r,
            password,
            families: families(lab, index, false),
            originates_default: index == lab.origin() && !lab.internet(),
            explicit_activate: lab.family.has(Family::Ipv6),
            policy: policy::view(lab, index),
        }
        .render(),
        Daemon::Bird => return crate::bird::conf::render(lab, index),
    };
    // Rendering only formats validated values; a failure here is a template bug.
    out.expect("FRR config template renders")
}

/// The subnets of family `f` a router is attached to, once each (a LAN is one subnet for
/// all its sessions), in interface order.
pub fn attached_subnets(r: &Router, f: Family) -> Vec<IpNet> {
    let mut v: Vec<IpNet> = Vec::with_capacity(r.interfaces.len());
    for a in r.interfaces.iter().filter_map(|i| i.addr(f)) {
        if !v.contains(&a.subnet) {
            v.push(a.subnet);
        }
    }
    v
}

/// File name of a daemon's config inside the router's `/etc/frr`.
pub fn file_name(daemon: Daemon) -> String {
    format!("{}.conf", daemon.name())
}

/// Writes every router's configs into `dir/{router}/` (the `render` command).
/// Refuses to overwrite existing files: nothing the user wrote is ever replaced.
pub fn render_to_dir(lab: &Lab, dir: &Path, password: &str) -> std::io::Result<usize> {
    let mut written = 0;
    for r in &lab.routers {
        let rdir = dir.join(&r.name);
        std::fs::create_dir_all(&rdir)?;
        for d in lab.daemons_of(r.index) {
            let path = rdir.join(file_name(d));
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            std::io::Write::write_all(&mut f, render(lab, r.index, d, password).as_bytes())?;
            written += 1;
        }
    }
    Ok(written)
}
