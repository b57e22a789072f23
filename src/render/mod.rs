//! Routing daemons' configuration files (FRR's here, BIRD's in `bird::conf`) rendered from the askama templates in `templates/`.
//! askama.toml maps `.conf` to a plain-text escaper: HTML escaping would corrupt configs.

use crate::config::{Daemon, Lab, Router};
use askama::Template;
use ipnet::Ipv4Net;
use std::path::Path;

pub mod policy;

#[derive(Template)]
#[template(path = "zebra.conf")]
struct ZebraConf<'a> {
    lab: &'a Lab,
    r: &'a Router,
    password: &'a str,
    /// The router's LANs: (device, LAN name, link number, its other members).
    lans: Vec<(String, String, usize, String)>,
}

#[derive(Template)]
#[template(path = "bgpd.conf")]
struct BgpdConf<'a> {
    lab: &'a Lab,
    r: &'a Router,
    password: &'a str,
    networks: Vec<Ipv4Net>,
    originates_default: bool,
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
                    Some((i.name.clone(), l.name.clone(), l.index, peers.join(", ")))
                })
                .collect(),
        }
        .render(),
        Daemon::Bgpd => {
            let mut networks = attached_subnets(r);
            // The origin (ROUTER_0 unless `[topology] origin` says otherwise) is the way to
            // the "outside world": it alone originates the default route and announces the
            // stub prefix that traceroutes aim at.
            let mut origin = index == lab.origin();
            if origin {
                networks.push(lab.stub_prefix);
            }
            // An internet lab's AS announces its own prefix only: no links, no stub, no default.
            if lab.internet() {
                networks = vec![lab.policy.prefixes[index]];
                origin = false;
            }
            BgpdConf {
                lab,
                r,
                password,
                networks,
                originates_default: origin,
                policy: policy::view(lab, index),
            }
            .render()
        }
        Daemon::Bird => return crate::bird::conf::render(lab, index),
    };
    // Rendering only formats validated values; a failure here is a template bug.
    out.expect("FRR config template renders")
}

/// The subnets a router is attached to, once each (a LAN is one subnet for all its
/// sessions), in interface order.
pub fn attached_subnets(r: &Router) -> Vec<Ipv4Net> {
    let mut v: Vec<Ipv4Net> = Vec::with_capacity(r.interfaces.len());
    for i in &r.interfaces {
        if !v.contains(&i.subnet) {
            v.push(i.subnet);
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
