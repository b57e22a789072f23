//! BIRD 2 as a [`RoutingSuite`]: one `bird` per router, its control socket for everything
//! nsbgp asks.

use crate::config::{Daemon, Lab, Suite};
use crate::suite::{
    self, check, Answer, AttachError, BestRoute, Check, ClabImages, ClabNode, DaemonRole, Observer, RoutingSuite,
    SuiteError, Target,
};
use futures::future::BoxFuture;
use ipnet::{IpNet, Ipv4Net};
use std::path::{Path, PathBuf};

pub struct Bird;

/// The leaking config (`leak`), next to bird.conf: on the host and inside the chroot.
const LEAK_CONF: &str = "bird-leak.conf";
const LEAK_IN_CHROOT: &str = "/etc/frr/bird-leak.conf";

/// Writes a file the bird user may read into the router's `etc` (a directory that user owns,
/// so nothing in it is trusted): a new temporary file that follows no link, owned and
/// moded on its descriptor, renamed over `path`.
fn write_private(path: &Path, data: &[u8], owner: (nix::unistd::Uid, nix::unistd::Gid)) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_file_name(format!(".{LEAK_CONF}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o640)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        std::io::Write::write_all(&mut f, data)?;
        nix::unistd::fchown(&f, Some(owner.0), Some(owner.1))?;
        f.sync_all()
    })();
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

impl RoutingSuite for Bird {
    fn suite(&self) -> Suite {
        Suite::Bird
    }

    fn program(&self, _lab: &Lab, _daemon: Daemon) -> PathBuf {
        PathBuf::from(super::BIRD)
    }

    fn args(&self, _lab: &Lab, _daemon: Daemon) -> Vec<String> {
        super::args()
    }

    fn user(&self) -> &'static str {
        super::USER
    }

    fn config_files(&self, lab: &Lab, index: usize, _password: &str) -> Vec<(String, String)> {
        vec![(format!("{}.conf", Daemon::Bird.name()), super::conf::render(lab, index))]
    }

    fn check_installed(&self, lab: &Lab) -> Result<(), SuiteError> {
        let routers = lab.routers.iter().filter(|r| r.suite == Suite::Bird).count();
        if !Path::new(super::BIRD).is_file() {
            return Err(SuiteError::NotInstalled(format!(
                "{routers} router(s) run BIRD but {} does not exist; install BIRD 2 (`apt-get install -y bird2`)",
                super::BIRD
            )));
        }
        if suite::ids(self).is_err() {
            return Err(SuiteError::NotInstalled(format!(
                "{routers} router(s) run BIRD but there is no `{}` user for it to run as; install the bird2 package (`apt-get install -y bird2`)",
                super::USER
            )));
        }
        Ok(())
    }

    fn doctor_checks(&self, _lab: Option<&Lab>) -> Vec<Check> {
        let mut v = Vec::new();
        let p = Path::new(super::BIRD);
        let version = super::version_line(p);
        let two = version
            .as_deref()
            .and_then(|l| l.split_whitespace().last())
            .is_some_and(|v| v.starts_with("2."));
        v.push(check(
            "BIRD",
            two,
            match &version {
                Some(l) if two => l.clone(),
                Some(l) => format!("{l}: nsbgp's bird.conf is for BIRD 2"),
                None => format!("{} not found", p.display()),
            },
            "apt-get install -y bird2",
        ));
        let user = nix::unistd::User::from_name(super::USER).ok().flatten().is_some();
        v.push(check(
            "bird user",
            user,
            if user { "present" } else { "missing" },
            "apt-get install -y bird2 (it creates the user)",
        ));
        v
    }

    /// An FRR-only host needs none of BIRD: checked only when the lab file asks for it.
    fn checked_by_default(&self) -> bool {
        false
    }

    /// BENCHMARKS.md, 2026-11-26: chain-1000-bird 4.27 MB per router with its ~1000 routes
    /// each, 2.6 MB of daemon RSS per router at 100: ~2 MB per idle router and ~2.5 KB per
    /// route.
    fn estimate_mb(&self, count: u64, lab_routers: u64, _merge: bool) -> u64 {
        count * 2 + count * lab_routers * 5 / 2048
    }

    fn version(&self, _lab: &Lab) -> Option<String> {
        super::version_line(Path::new(super::BIRD)).and_then(|l| l.split_whitespace().last().map(str::to_string))
    }

    fn observers<'a>(
        &'a self,
        lab: &'a Lab,
        state_dir: &'a Path,
        routers: &'a [usize],
        _password: &'a str,
    ) -> BoxFuture<'a, Vec<Box<dyn Observer>>> {
        Box::pin(async move { super::observe::open(lab, state_dir, routers) })
    }

    fn command_daemon(&self) -> Option<Daemon> {
        Some(Daemon::Bird)
    }

    fn default_daemon(&self, _lab: &Lab) -> Daemon {
        Daemon::Bird
    }

    fn run_commands<'a>(
        &'a self,
        target: &'a Target<'a>,
        _fixed: Option<Daemon>,
        commands: &'a [String],
    ) -> BoxFuture<'a, Vec<Answer>> {
        Box::pin(super::commands::run_bird(target, commands))
    }

    fn attach<'a>(
        &'a self,
        target: &'a Target<'a>,
        _daemon: Daemon,
        _named: bool,
    ) -> BoxFuture<'a, Result<suite::terminal::End, AttachError>> {
        Box::pin(async move {
            let path = super::ctl_path(&target.dirs);
            super::attach::run(
                &path,
                &format!("{}> ", target.name()),
                &super::attach::banner(target.name(), target.asn(), &path),
            )
            .await
            .map_err(AttachError::Session)
        })
    }

    fn shell(&self, router: &str) -> Result<PathBuf, SuiteError> {
        Err(SuiteError::Unsupported(format!(
            "vtysh is FRR-only and {router} runs BIRD; use `nsbgp attach {router}` (BIRD's control socket) or `nsbgp vty {router} -c 'show route'`"
        )))
    }

    /// BIRD announces what is on its `lo` (bird.conf): there the address is the announcement.
    fn announce<'a>(
        &'a self,
        _target: &'a Target<'a>,
        _prefix: IpNet,
        _on: bool,
    ) -> BoxFuture<'a, Result<(), SuiteError>> {
        Box::pin(async { Ok(()) })
    }

    /// The router's config with the policy's exception for `prefix` (`conf::render_leaking`),
    /// written next to bird.conf and loaded with `configure "FILE"`: no session restarts
    /// (BIRD asks its neighbours for a route refresh for the changed import filters). Off:
    /// bird.conf again.
    fn leak<'a>(&'a self, target: &'a Target<'a>, prefix: Ipv4Net, on: bool) -> BoxFuture<'a, Result<(), SuiteError>> {
        Box::pin(async move {
            let failed = |e: String| SuiteError::Daemon {
                router: target.name().to_string(),
                source: e.into(),
            };
            let file = if on {
                let text = super::conf::render_leaking(target.lab, target.index, prefix);
                let path = target.dirs.etc().join(LEAK_CONF);
                let owner = suite::ids(self).map_err(|e| failed(e.to_string()))?;
                write_private(&path, text.as_bytes(), owner).map_err(|e| failed(format!("{}: {e}", path.display())))?;
                LEAK_IN_CHROOT
            } else {
                super::CONF_IN_CHROOT
            };
            let cmd = format!("configure \"{file}\"");
            let mut s = super::ctl::Session::new(super::ctl_path(&target.dirs));
            let reply = s.run(&cmd).await.map_err(|e| failed(format!("{cmd}: {e}")))?;
            if reply.is_error() {
                return Err(failed(format!("{cmd}: {}", reply.text().trim())));
            }
            Ok(())
        })
    }

    /// bird speaks BGP and writes the FIB itself; killed, its routes stay in the kernel.
    fn daemon_role(&self, daemon: Daemon) -> Option<DaemonRole> {
        (daemon == Daemon::Bird).then_some(DaemonRole::BgpKeepsFib)
    }

    /// `show route all` on the control socket.
    fn best_routes<'a>(&'a self, target: &'a Target<'a>) -> BoxFuture<'a, Result<Vec<BestRoute>, SuiteError>> {
        Box::pin(async move {
            let mut s = super::ctl::Session::new(super::ctl_path(&target.dirs));
            let reply = s.run("show route all").await.map_err(|e| SuiteError::Daemon {
                router: target.name().to_string(),
                source: format!("bird: {e}").into(),
            })?;
            let lines: Vec<String> = reply.lines.iter().map(|(_, l)| l.clone()).collect();
            Ok(super::parse::best_routes(&lines))
        })
    }

    /// BIRD has no running-config dump: the config file it loaded, from the router's `etc`.
    fn running_config<'a>(
        &'a self,
        target: &'a Target<'a>,
        daemon: Daemon,
    ) -> BoxFuture<'a, Result<String, SuiteError>> {
        Box::pin(async move {
            let p = target.dirs.etc().join(crate::render::file_name(daemon));
            std::fs::read_to_string(&p).map_err(|e| SuiteError::Daemon {
                router: target.name().to_string(),
                source: format!("cannot read {}: {e}", p.display()).into(),
            })
        })
    }

    /// bird.conf holds no secret: as saved.
    fn load_saved(&self, text: String, _password: &str) -> String {
        text
    }

    fn saved_files_note(&self, _lab: &Lab) -> String {
        "bird.conf for BIRD routers".into()
    }

    fn clab_node(&self, clab: &Lab, index: usize, node: &str, holds_world: bool, images: &ClabImages) -> ClabNode {
        use super::clab::{bird_exec, BIRD_CONF};
        ClabNode {
            image: images.bird.to_string(),
            binds: vec![format!("{node}/bird.conf:{BIRD_CONF}")],
            exec: bird_exec(clab, index, holds_world),
            files: vec![(
                Path::new(node).join("bird.conf"),
                super::conf::render_for_container(clab, index),
            )],
        }
    }
}
