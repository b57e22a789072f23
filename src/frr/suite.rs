//! FRR as a [`RoutingSuite`]: zebra and bgpd per router, vtys for everything nsbgp asks.

use crate::config::{Daemon, Family, Lab, Suite};
use crate::suite::{
    self, check, Answer, AttachError, BestRoute, Check, ClabImages, ClabNode, DaemonRole, Observer, RoutingSuite,
    SuiteError, Target,
};
use futures::future::BoxFuture;
use ipnet::{IpNet, Ipv4Net};
use std::path::{Path, PathBuf};

/// The user FRR's daemons drop to.
pub const USER: &str = "frr";

pub struct Frr;

/// zebra's or bgpd's command line inside the chroot: config, pid file, zserv socket, vty on
/// 127.0.0.1 (and its socket directory), user, fd limit; bgpd listens on 179.
fn args(lab: &Lab, daemon: Daemon) -> Vec<String> {
    let d = daemon.name();
    let mut a: Vec<String> = vec![
        "-d".into(),
        "-f".into(),
        format!("/etc/frr/{d}.conf"),
        "-i".into(),
        format!("/var/run/frr/{d}.pid"),
        "-z".into(),
        "/var/run/frr/zserv.api".into(),
        "--vty_socket".into(),
        "/var/run/frr".into(),
        "-A".into(),
        "127.0.0.1".into(),
        "-P".into(),
        daemon.vty_port().to_string(),
        "-u".into(),
        "frr".into(),
        "-g".into(),
        "frr".into(),
        "--limit-fds".into(),
        lab.limit_fds.to_string(),
    ];
    if daemon == Daemon::Bgpd {
        a.extend(["-p".into(), "179".into()]);
    }
    a
}

impl RoutingSuite for Frr {
    fn suite(&self) -> Suite {
        Suite::Frr
    }

    fn program(&self, lab: &Lab, daemon: Daemon) -> PathBuf {
        lab.frr_dir.join(daemon.name())
    }

    fn args(&self, lab: &Lab, daemon: Daemon) -> Vec<String> {
        args(lab, daemon)
    }

    fn user(&self) -> &'static str {
        USER
    }

    fn config_files(&self, lab: &Lab, index: usize, password: &str) -> Vec<(String, String)> {
        lab.daemons_of(index)
            .into_iter()
            .map(|d| {
                (
                    crate::render::file_name(d),
                    crate::render::render(lab, index, d, password),
                )
            })
            .collect()
    }

    fn check_installed(&self, lab: &Lab) -> Result<(), SuiteError> {
        for &d in &lab.daemons {
            let p = self.program(lab, d);
            if !p.is_file() {
                return Err(SuiteError::NotInstalled(format!(
                    "FRR's {d} is missing: {} does not exist. Install FRR (`apt-get install -y frr`) or set frr_dir in the lab file",
                    p.display()
                )));
            }
        }
        if suite::ids(self).is_err() {
            return Err(SuiteError::NotInstalled(
                "there is no `frr` user for the daemons to run as; install the frr package (`apt-get install -y frr`)"
                    .into(),
            ));
        }
        Ok(())
    }

    fn doctor_checks(&self, lab: Option<&Lab>) -> Vec<Check> {
        let mut v = Vec::new();
        let frr_dir = lab
            .map(|l| l.frr_dir.clone())
            .unwrap_or_else(|| crate::config::model::DEFAULT_FRR_DIR.into());
        for d in ["zebra", "bgpd"] {
            let p = frr_dir.join(d);
            let version = super::version_line(&p);
            v.push(check(
                if d == "zebra" { "FRR zebra" } else { "FRR bgpd" },
                version.is_some(),
                version.unwrap_or_else(|| format!("{} not found", p.display())),
                "apt-get install -y frr",
            ));
        }
        let frr_user = nix::unistd::User::from_name(USER).ok().flatten().is_some();
        v.push(check(
            "frr user",
            frr_user,
            if frr_user { "present" } else { "missing" },
            "apt-get install -y frr (it creates the user)",
        ));
        v
    }

    fn checked_by_default(&self) -> bool {
        true
    }

    /// Measured on FRR 8.4 (BENCHMARKS.md): an idle router costs ~15 MB (zebra + bgpd +
    /// kernel objects), ~5 MB once KSM merged its daemons' identical pages; every route
    /// costs ~8 KB in each router, and each router holds ~one route per router of the lab.
    fn estimate_mb(&self, count: u64, lab_routers: u64, merge: bool) -> u64 {
        let base = if merge { 5 } else { 15 };
        count * base + count * lab_routers * 8 / 1024
    }

    fn version(&self, lab: &Lab) -> Option<String> {
        super::version_line(&lab.frr_dir.join("bgpd")).and_then(|l| l.split_whitespace().last().map(str::to_string))
    }

    fn observers<'a>(
        &'a self,
        lab: &'a Lab,
        _state_dir: &'a Path,
        routers: &'a [usize],
        password: &'a str,
    ) -> BoxFuture<'a, Vec<Box<dyn Observer>>> {
        Box::pin(super::observe::open(lab, routers, password))
    }

    fn command_daemon(&self) -> Option<Daemon> {
        None
    }

    fn default_daemon(&self, lab: &Lab) -> Daemon {
        if lab.daemons.contains(&Daemon::Bgpd) {
            Daemon::Bgpd
        } else {
            lab.daemons[0]
        }
    }

    fn run_commands<'a>(
        &'a self,
        target: &'a Target<'a>,
        fixed: Option<Daemon>,
        commands: &'a [String],
    ) -> BoxFuture<'a, Vec<Answer>> {
        Box::pin(super::commands::run_frr(
            target.name(),
            fixed,
            target.password,
            commands,
        ))
    }

    /// Without a named daemon, the session is bgpd's and a command bgpd does not know is run
    /// on zebra (as vtysh sends `show ip route` to zebra); if zebra is down, bgpd's alone.
    fn attach<'a>(
        &'a self,
        target: &'a Target<'a>,
        daemon: Daemon,
        named: bool,
    ) -> BoxFuture<'a, Result<suite::terminal::End, AttachError>> {
        Box::pin(async move {
            let name = target.name().to_string();
            let stream = tokio::task::spawn_blocking(move || super::vty::connect_raw(&name, daemon))
                .await
                .expect("connect task")
                .map_err(|e| AttachError::Connect(Box::new(e)))?;
            let other = match named {
                true => None,
                false => super::vty::Vty::connect(target.name(), Daemon::Zebra, target.password)
                    .await
                    .ok(),
            };
            let banner = super::attach::banner(
                target.name(),
                target.asn(),
                daemon,
                other.as_ref().map(|_| Daemon::Zebra),
            );
            super::attach::run(stream, target.password, &banner, other)
                .await
                .map_err(AttachError::Session)
        })
    }

    fn shell(&self, _router: &str) -> Result<PathBuf, SuiteError> {
        Ok(PathBuf::from("/usr/bin/vtysh"))
    }

    /// `network PREFIX` (or `no network PREFIX`) under `router bgp`, in the prefix's
    /// address family (`ipv4 unicast` / `ipv6 unicast`), through a fresh bgpd
    /// login (cheap, and right after a restart of bgpd).
    fn announce<'a>(
        &'a self,
        target: &'a Target<'a>,
        prefix: IpNet,
        on: bool,
    ) -> BoxFuture<'a, Result<(), SuiteError>> {
        Box::pin(async move {
            let name = target.name();
            let asn = target.asn();
            let no = if on { "" } else { "no " };
            let lines = [
                format!("router bgp {asn}"),
                format!("address-family {}", Family::of_net(prefix).frr_afi()),
                format!("{no}network {prefix}"),
            ];
            configure_bgpd(name, target.password, &lines, None).await
        })
    }

    /// A prefix-list entry in front of the export policy to peers and providers
    /// (`GR-TO-PEER-OR-PROVIDER`; customers get every route anyway), then a soft clear so the
    /// neighbours get it now rather than after bgpd's route-map delay. With roles on, FRR
    /// 8.4 drops a route that carries OTC towards providers and peers before any route-map
    /// runs (bgp_route.c, `bgp_otc_egress`) and has no command that clears OTC from one
    /// route, so the leaker's `local-role` goes from its provider and peer sessions, which
    /// resets those sessions (the route keeps its OTC, so the neighbours' roles still see
    /// it). Off: all of it put back.
    fn leak<'a>(&'a self, target: &'a Target<'a>, prefix: Ipv4Net, on: bool) -> BoxFuture<'a, Result<(), SuiteError>> {
        Box::pin(async move {
            let name = target.name();
            let Some(view) = crate::render::policy::view(target.lab, target.index) else {
                return Err(SuiteError::Unsupported(format!(
                    "{name} has no routing policy to leak around (not an internet lab)"
                )));
            };
            const LIST: &str = "NSBGP-LEAK";
            let mut lines: Vec<String> = if on {
                vec![
                    format!("ip prefix-list {LIST} seq 5 permit {prefix}"),
                    "route-map GR-TO-PEER-OR-PROVIDER permit 5".into(),
                    format!("match ip address prefix-list {LIST}"),
                    "exit".into(),
                ]
            } else {
                vec![
                    "no route-map GR-TO-PEER-OR-PROVIDER permit 5".into(),
                    format!("no ip prefix-list {LIST}"),
                ]
            };
            if view.roles {
                lines.push(format!("router bgp {}", target.asn()));
                for s in view.sessions.iter().filter(|s| s.role != "customer") {
                    let no = if on { "no " } else { "" };
                    lines.push(format!("{no}neighbor {} local-role {}", s.addr, s.local_role));
                }
                lines.push("exit".into());
            }
            configure_bgpd(name, target.password, &lines, Some("clear bgp ipv4 unicast * soft out")).await
        })
    }

    /// bgpd speaks BGP and zebra writes the FIB: bgpd's death takes its routes out of the
    /// FIB (zebra removes them), zebra's has effects the model does not predict.
    fn daemon_role(&self, daemon: Daemon) -> Option<DaemonRole> {
        match daemon {
            Daemon::Bgpd => Some(DaemonRole::Bgp),
            Daemon::Zebra => Some(DaemonRole::Unpredictable),
            _ => None,
        }
    }

    /// `show ip bgp json` on bgpd.
    fn best_routes<'a>(&'a self, target: &'a Target<'a>) -> BoxFuture<'a, Result<Vec<BestRoute>, SuiteError>> {
        Box::pin(async move {
            let failed = |e: String| SuiteError::Daemon {
                router: target.name().to_string(),
                source: e.into(),
            };
            let mut s = super::vty::Session::new(target.name(), Daemon::Bgpd, target.password);
            let text = s
                .run("show ip bgp json")
                .await
                .map_err(|e| failed(format!("bgpd: {e}")))?;
            super::parse::best_routes(&text).map_err(failed)
        })
    }

    /// `show running-config` over the daemon's vty (a privileged command: `enable` first).
    fn running_config<'a>(
        &'a self,
        target: &'a Target<'a>,
        daemon: Daemon,
    ) -> BoxFuture<'a, Result<String, SuiteError>> {
        Box::pin(async move {
            let name = target.name();
            let failed = |what: &str, e: super::vty::VtyError| SuiteError::Daemon {
                router: name.to_string(),
                source: format!("{daemon}{what}: {e}").into(),
            };
            let mut vty = super::vty::Vty::connect(name, daemon, target.password)
                .await
                .map_err(|e| failed("", e))?;
            vty.enable().await.map_err(|e| failed(": enable", e))?;
            let running = vty
                .run("show running-config")
                .await
                .map_err(|e| failed(": show running-config", e))?;
            Ok(super::saved::frr_file(name, daemon, &running))
        })
    }

    fn load_saved(&self, text: String, password: &str) -> String {
        super::saved::with_password(&text, password)
    }

    fn saved_files_note(&self, lab: &Lab) -> String {
        let files: Vec<String> = lab.daemons.iter().map(|d| crate::render::file_name(*d)).collect();
        format!("{} for FRR routers", files.join(" and "))
    }

    fn clab_node(&self, clab: &Lab, index: usize, node: &str, holds_world: bool, images: &ClabImages) -> ClabNode {
        use super::clab::{daemons_file, frr_conf, FRR_CONF, FRR_DAEMONS};
        let n = Path::new(node);
        ClabNode {
            image: images.frr.to_string(),
            binds: vec![
                format!("{node}/frr.conf:{FRR_CONF}"),
                format!("{node}/daemons:{FRR_DAEMONS}"),
            ],
            // Containers get a default route through the management network, which
            // would win over the lab's BGP default in the kernel; deleting it at start
            // makes the lab's default the one used, so nothing leaves the lab that way.
            // `dev eth0`: never the lab default zebra may already have installed.
            exec: vec!["ip route del default dev eth0".into()],
            files: vec![
                (n.join("frr.conf"), frr_conf(clab, index, holds_world)),
                (n.join("daemons"), daemons_file(clab, index)),
            ],
        }
    }
}

/// `lines` into bgpd's configuration over its vty, then the command `then` if given.
async fn configure_bgpd(name: &str, password: &str, lines: &[String], then: Option<&str>) -> Result<(), SuiteError> {
    let failed = |e: super::vty::VtyError| SuiteError::Daemon {
        router: name.to_string(),
        source: Box::new(e),
    };
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let mut vty = super::vty::Vty::connect(name, Daemon::Bgpd, password)
        .await
        .map_err(failed)?;
    vty.configure(&lines).await.map_err(failed)?;
    if let Some(cmd) = then {
        vty.run(cmd).await.map_err(failed)?;
    }
    Ok(())
}
