//! `bird.conf`, rendered from `templates/bird.conf` with the lab semantics of the FRR
//! configs: every link prefix announced, the stub and the default from ROUTER_0 only, eBGP
//! per interface with next-hop-self, the lab's timers, extended messages on. The same
//! template renders the config of a containerlab node (`render_for_container`).

use crate::config::{Lab, Router};
use crate::render::FamilyConf;
use askama::Template;

#[derive(Template)]
#[template(path = "bird.conf")]
struct BirdConf<'a> {
    lab: &'a Lab,
    r: &'a Router,
    families: Vec<FamilyConf>,
    originates_default: bool,
    log_classes: &'static str,
    policy: Option<crate::render::policy::PolicyView>,
    /// Set for a containerlab export: what differs from a router nsbgp runs itself.
    container: Option<Container>,
    /// A prefix this router leaks (`nsbgp experiment`, `action = "leak"`).
    leak: Option<String>,
}

/// A containerlab node's BIRD: it logs to stderr (the container's log) instead of into
/// nsbgp's chroot, and `protocol direct` reads only these interfaces, so that containerlab's
/// management interface (`eth0`) never enters BIRD's table.
struct Container {
    interfaces: Vec<String>,
}

/// BIRD's log classes for an FRR log level (`[daemons] log_level`): the same severities.
pub fn log_classes(level: &str) -> &'static str {
    match level {
        "debugging" => "all",
        "informational" | "notifications" => "{ info, remote, warning, error, auth, fatal, bug }",
        "warnings" => "{ warning, error, auth, fatal, bug }",
        _ => "{ error, fatal, bug }",
    }
}

/// The config of router `index` (a BIRD router, or any router for `render`).
pub fn render(lab: &Lab, index: usize) -> String {
    render_with(lab, index, None, None)
}

/// The config of router `index` leaking `prefix` (an internet lab's BIRD router): the same
/// config but for the policy's exception for that one prefix.
pub fn render_leaking(lab: &Lab, index: usize, prefix: ipnet::Ipv4Net) -> String {
    render_with(lab, index, None, Some(prefix.to_string()))
}

/// The config of router `index` as a containerlab node: `lab` is the lab as the containers
/// see it (interfaces named `eth1` …). Logs go to stderr; `protocol direct` reads `lo` and
/// the router's lab interfaces only.
pub fn render_for_container(lab: &Lab, index: usize) -> String {
    let mut lab_ifaces: Vec<_> = lab.devices(index);
    lab_ifaces.sort_by_key(|i| i.link);
    let interfaces = std::iter::once("lo".to_string())
        .chain(lab_ifaces.iter().map(|i| i.name.clone()))
        .collect();
    render_with(lab, index, Some(Container { interfaces }), None)
}

fn render_with(lab: &Lab, index: usize, container: Option<Container>, leak: Option<String>) -> String {
    let r = lab.router(index);
    BirdConf {
        lab,
        r,
        // The origin alone holds the stubs and originates the defaults (from `OWN`).
        families: crate::render::families(lab, index, true),
        originates_default: index == lab.origin() && !lab.internet(),
        policy: crate::render::policy::view(lab, index),
        log_classes: log_classes(&lab.log_level),
        container,
        leak,
    }
    .render()
    // Rendering only formats validated values; a failure here is a template bug.
    .expect("BIRD config template renders")
}
