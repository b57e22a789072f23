//! The routing-suite interface: everything that differs between FRR, BIRD and any suite
//! added later, behind one trait. Each suite implements [`RoutingSuite`] in its own folder
//! (`frr/suite.rs`, `bird/suite.rs`); `crate::suites` registers them. Code above (launch, up,
//! restart, monitor, commands, experiment, clab) asks `suites::of(router.suite)` instead of
//! matching on suites.
//!
//! This module depends on nothing above the config and the router directories, so the
//! suites can implement it without depending on the orchestration that uses them.

pub mod observe;
pub mod terminal;

use crate::config::{Daemon, Family, Lab, Suite};
use crate::rootfs::RouterDirs;
use futures::future::BoxFuture;
use ipnet::{IpNet, Ipv4Net};
use std::path::{Path, PathBuf};

pub use observe::{FamilyObs, Observation, PeerObs, Proc, RouteObs};

/// One router of a running lab, as a suite's commands address it.
pub struct Target<'a> {
    pub lab: &'a Lab,
    pub index: usize,
    /// The router's directories under the lab's state directory.
    pub dirs: RouterDirs,
    /// The lab's vty password.
    pub password: &'a str,
}

impl Target<'_> {
    pub fn name(&self) -> &str {
        &self.lab.routers[self.index].name
    }
    pub fn asn(&self) -> u32 {
        self.lab.routers[self.index].asn
    }
}

/// Why one command gave no output: the daemon refused it, or it could not be asked.
#[derive(Debug)]
pub enum CmdError {
    Rejected(String),
    Failed(String),
}

impl std::fmt::Display for CmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CmdError::Rejected(m) | CmdError::Failed(m) => f.write_str(m),
        }
    }
}

/// One command's result on one router, and the daemon that gave it.
pub struct Answer {
    pub command: String,
    pub daemon: Daemon,
    pub result: Result<String, CmdError>,
}

/// Why a suite could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// The host lacks what the suite needs; the message says how to install it.
    #[error("{0}")]
    NotInstalled(String),
    /// The suite has no such thing (e.g. no shell of its own); the message says what to use.
    #[error("{0}")]
    Unsupported(String),
    /// A router's daemon refused or could not be asked.
    #[error("{router}: {source}")]
    Daemon {
        router: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Why an interactive session could not run.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// The daemon could not be reached at all (before any session).
    #[error(transparent)]
    Connect(Box<dyn std::error::Error + Send + Sync>),
    /// The session failed once it was set up (the daemon may have died meanwhile).
    #[error(transparent)]
    Session(#[from] terminal::SessionError),
}

/// A preflight check (`doctor`) with its fix hint.
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
    pub fix: String,
}

pub fn check(name: &'static str, ok: bool, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        name,
        ok,
        detail: detail.into(),
        fix: fix.into(),
    }
}

/// A router as a containerlab node: its image, bind mounts, start-up commands, and the
/// files (relative to the topology file) the binds name.
pub struct ClabNode {
    pub image: String,
    pub binds: Vec<String>,
    pub exec: Vec<String>,
    pub files: Vec<(PathBuf, String)>,
}

/// Images `export` was told to use, per suite.
pub struct ClabImages<'a> {
    pub frr: &'a str,
    pub bird: &'a str,
}

/// A best BGP route (IPv4 unicast) as a router's daemon reports it, for `check --policy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BestRoute {
    pub prefix: ipnet::Ipv4Net,
    /// AS numbers from the next AS to the origin (empty: the router's own route).
    pub as_path: Vec<u32>,
}

/// What a daemon's death does to its router's routes, as the experiment's model predicts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonRole {
    /// The BGP speaker: when it dies the router carries nothing and its BGP routes leave its
    /// FIB (FRR's bgpd: zebra removes them).
    Bgp,
    /// The BGP speaker that also writes the FIB: when it dies the router carries nothing, but
    /// its routes stay in the kernel until it starts again and flushes them (BIRD).
    BgpKeepsFib,
    /// Neither (FRR's zebra): the model cannot say what its death changes.
    Unpredictable,
}

/// A suite's view of one router for `status`, kept across polls.
pub trait Observer: Send {
    /// One observation. `daemons`: the router's daemon processes (pid files, /proc);
    /// `stubs`: each family of the lab with its stub prefix (IPv4 first); `want_len`: the
    /// defaults' expected AS-path length.
    fn observe<'a>(
        &'a mut self,
        daemons: Vec<(Daemon, Proc)>,
        stubs: &'a [(Family, String)],
        want_len: Option<u32>,
    ) -> BoxFuture<'a, Observation>;
    /// Forgets connections left mid-command (a poll abandoned at its deadline).
    fn reset(&mut self);
}

/// Everything nsbgp does differently per routing suite.
pub trait RoutingSuite: Sync {
    /// The value lab files name it by (`suite = "frr"`).
    fn suite(&self) -> Suite;

    // --- launch ---
    /// The program a daemon of this suite runs.
    fn program(&self, lab: &Lab, daemon: Daemon) -> PathBuf;
    /// Its command line inside the chroot (it must daemonize once ready and write
    /// `/var/run/frr/DAEMON.pid`, see `crate::launch`).
    fn args(&self, lab: &Lab, daemon: Daemon) -> Vec<String>;
    /// The user the daemons drop to (and who owns the router's private directories).
    fn user(&self) -> &'static str;
    /// Config files of router `index` (file name in its `etc`, content).
    fn config_files(&self, lab: &Lab, index: usize, password: &str) -> Vec<(String, String)>;
    /// Whether the host can run this suite's routers of `lab`; the message says how to fix it.
    fn check_installed(&self, lab: &Lab) -> Result<(), SuiteError>;
    /// Preflight checks for `doctor` (`lab`: None when no lab file was given).
    fn doctor_checks(&self, lab: Option<&Lab>) -> Vec<Check>;
    /// Whether `doctor` without a lab file checks this suite (FRR, the default, is).
    fn checked_by_default(&self) -> bool;
    /// Memory (MB) of `count` routers of this suite in a lab of `lab_routers` routers.
    fn estimate_mb(&self, count: u64, lab_routers: u64, merge: bool) -> u64;
    /// The installed version ("8.4.4", "2.0.12"), for experiment results.
    fn version(&self, lab: &Lab) -> Option<String>;

    // --- observation for `status` ---
    /// One observer per router in `routers` (indices into `lab.routers`, all of this suite),
    /// in that order. `state_dir` is the lab's state directory.
    fn observers<'a>(
        &'a self,
        lab: &'a Lab,
        state_dir: &'a Path,
        routers: &'a [usize],
        password: &'a str,
    ) -> BoxFuture<'a, Vec<Box<dyn Observer>>>;

    // --- commands: vty, attach, vtysh ---
    /// The daemon every command goes to when none is named; None: each command goes to the
    /// daemon that knows it (FRR, as vtysh does).
    fn command_daemon(&self) -> Option<Daemon>;
    /// The daemon `attach` and a command address on a router when none is named.
    fn default_daemon(&self, lab: &Lab) -> Daemon;
    /// Runs commands on one router: all on `fixed` if given, else each where it belongs.
    fn run_commands<'a>(
        &'a self,
        target: &'a Target<'a>,
        fixed: Option<Daemon>,
        commands: &'a [String],
    ) -> BoxFuture<'a, Vec<Answer>>;
    /// An interactive session on `daemon` (`named`: the user chose it, so no other daemon
    /// answers for it).
    fn attach<'a>(
        &'a self,
        target: &'a Target<'a>,
        daemon: Daemon,
        named: bool,
    ) -> BoxFuture<'a, Result<terminal::End, AttachError>>;
    /// The suite's own shell (`nsbgp vtysh`), run in the router's namespace and chroot; Err:
    /// why there is none, with what to use instead (`router`: the router's name).
    fn shell(&self, router: &str) -> Result<PathBuf, SuiteError>;

    // --- experiment steps ---
    /// Makes `prefix`, whose first host `up`'s experiment put on the router's `lo`, announced
    /// (or no longer, `on = false`).
    fn announce<'a>(&'a self, target: &'a Target<'a>, prefix: IpNet, on: bool)
        -> BoxFuture<'a, Result<(), SuiteError>>;

    /// Makes router `target` leak `prefix` (or stop, `on = false`): it exports its best route
    /// to it to every neighbour, as a misconfigured router would, its export policy and its
    /// RFC 9234 roles ignored for that route (the OTC attribute it carries is kept, so that
    /// the neighbours' roles may still stop it). Internet labs only; the rest of the
    /// router's configuration stays as it is.
    fn leak<'a>(&'a self, target: &'a Target<'a>, prefix: Ipv4Net, on: bool) -> BoxFuture<'a, Result<(), SuiteError>>;

    /// The role of `daemon` in the experiment's model, if it is one of this suite's daemons
    /// (None: another suite's).
    fn daemon_role(&self, daemon: Daemon) -> Option<DaemonRole>;

    // --- check --policy ---
    /// The router's best IPv4 unicast BGP routes (and its own), with their AS paths.
    fn best_routes<'a>(&'a self, target: &'a Target<'a>) -> BoxFuture<'a, Result<Vec<BestRoute>, SuiteError>>;

    // --- save and up --configs ---
    /// The router's running configuration of `daemon`, as a file it can start from again
    /// (`save`), without the lab's vty password.
    fn running_config<'a>(
        &'a self,
        target: &'a Target<'a>,
        daemon: Daemon,
    ) -> BoxFuture<'a, Result<String, SuiteError>>;
    /// A saved file as it goes into a router of a new lab (`password`: that lab's).
    fn load_saved(&self, text: String, password: &str) -> String;
    /// What `save` writes for a router of this suite, for messages ("bird.conf for BIRD
    /// routers").
    fn saved_files_note(&self, lab: &Lab) -> String;

    // --- containerlab ---
    /// The router as a containerlab node; `clab` is the lab with containerlab's node and
    /// interface names, `node` this router's node name.
    fn clab_node(&self, clab: &Lab, index: usize, node: &str, holds_world: bool, images: &ClabImages) -> ClabNode;
}

/// uid and gid of a suite's user.
pub fn ids(suite: &dyn RoutingSuite) -> std::io::Result<(nix::unistd::Uid, nix::unistd::Gid)> {
    let name = suite.user();
    let u = nix::unistd::User::from_name(name)
        .ok()
        .flatten()
        .ok_or_else(|| std::io::Error::other(format!("no {name} user")))?;
    Ok((u.uid, u.gid))
}
