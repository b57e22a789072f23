//! A router's chroot: the host's system directories bind-mounted read-only, and private
//! writable `/etc/frr`, `/var/run/frr`, `/var/log/frr` and `/tmp`, so that many zebra/bgpd
//! instances with FRR's default paths never clash.
//!
//! The mounts are made by each daemon's launcher inside a private mount namespace, so they
//! never appear in (or leak into) the host's mount table and vanish with the daemons.
//! [`RootfsPlan`] is pure data, unit-tested without root; [`apply`] performs it through the
//! thin [`MountOps`] seam so the order of syscalls is testable too.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Host directories visible read-only in every chroot (when they exist).
const READ_ONLY: &[&str] = &["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64"];

/// Writable per-router directories: (directory under the router's state dir, path in the chroot).
pub const PRIVATE: &[(&str, &str)] = &[
    ("etc", "/etc/frr"),
    ("run", "/var/run/frr"),
    ("log", "/var/log/frr"),
    ("tmp", "/tmp"),
    // FRR keeps crash logs in /var/tmp/frr and complains at every start without it.
    ("tmp", "/var/tmp"),
];

/// The distinct per-router directories behind [`PRIVATE`].
pub fn private_dirs() -> Vec<&'static str> {
    let mut v: Vec<&str> = PRIVATE.iter().map(|(d, _)| *d).collect();
    v.dedup();
    v
}

/// Files of one router under the lab's state directory.
#[derive(Debug, Clone)]
pub struct RouterDirs {
    pub base: PathBuf,
}

impl RouterDirs {
    pub fn new(lab_state: &Path, router: &str) -> Self {
        RouterDirs {
            base: lab_state.join("routers").join(router),
        }
    }
    pub fn root(&self) -> PathBuf {
        self.base.join("root")
    }
    pub fn etc(&self) -> PathBuf {
        self.base.join("etc")
    }
    pub fn run(&self) -> PathBuf {
        self.base.join("run")
    }
    pub fn log(&self) -> PathBuf {
        self.base.join("log")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Dir(PathBuf),
    /// (link path in the chroot, target) for merged-/usr systems where /bin → usr/bin.
    Symlink(PathBuf, PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMount {
    pub source: PathBuf,
    /// Absolute path on the host, inside the chroot directory.
    pub target: PathBuf,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootfsPlan {
    pub root: PathBuf,
    /// Created on the host before any daemon starts.
    pub entries: Vec<Entry>,
    /// Made in the daemon's private mount namespace, in order.
    pub mounts: Vec<BindMount>,
}

/// How the host looks: `Some(target)` for a symlink, `None` for a directory, absent = missing.
pub trait HostView {
    fn kind(&self, path: &str) -> Option<Option<PathBuf>>;
}

pub struct RealHost;

impl HostView for RealHost {
    fn kind(&self, path: &str) -> Option<Option<PathBuf>> {
        let md = std::fs::symlink_metadata(path).ok()?;
        if md.file_type().is_symlink() {
            Some(std::fs::read_link(path).ok())
        } else if md.is_dir() {
            Some(None)
        } else {
            None
        }
    }
}

fn inside(root: &Path, abs: &str) -> PathBuf {
    root.join(abs.trim_start_matches('/'))
}

pub fn plan(dirs: &RouterDirs, host: &dyn HostView) -> RootfsPlan {
    let root = dirs.root();
    let mut entries = vec![Entry::Dir(root.clone())];
    let mut mounts = Vec::new();
    for &p in READ_ONLY {
        match host.kind(p) {
            Some(Some(target)) => entries.push(Entry::Symlink(inside(&root, p), target)),
            Some(None) => {
                entries.push(Entry::Dir(inside(&root, p)));
                mounts.push(BindMount {
                    source: p.into(),
                    target: inside(&root, p),
                    read_only: true,
                });
            }
            None => {}
        }
    }
    // /dev for /dev/null and /dev/urandom; /proc for zebra's view of its namespace's sysctls.
    for p in ["/dev", "/proc"] {
        entries.push(Entry::Dir(inside(&root, p)));
        mounts.push(BindMount {
            source: p.into(),
            target: inside(&root, p),
            read_only: false,
        });
    }
    entries.push(Entry::Dir(inside(&root, "/var/run")));
    entries.push(Entry::Dir(inside(&root, "/var/log")));
    for (dir, at) in PRIVATE {
        let source = dirs.base.join(dir);
        if !entries.contains(&Entry::Dir(source.clone())) {
            entries.push(Entry::Dir(source.clone()));
        }
        // /etc/frr is mounted over the host's own /etc/frr (shipped by the frr package)
        // inside the read-only /etc bind: nothing is ever created in the host's /etc.
        if !at.starts_with("/etc/") {
            entries.push(Entry::Dir(inside(&root, at)));
        }
        mounts.push(BindMount {
            source,
            target: inside(&root, at),
            read_only: false,
        });
    }
    RootfsPlan { root, entries, mounts }
}

/// Creates the plan's directories and symlinks on the host (idempotent).
pub fn create_entries(plan: &RootfsPlan) -> std::io::Result<()> {
    for e in &plan.entries {
        match e {
            Entry::Dir(d) => std::fs::create_dir_all(d)?,
            Entry::Symlink(link, target) => match std::os::unix::fs::symlink(target, link) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            },
        }
    }
    Ok(())
}

/// The syscalls a launcher needs, as a seam: real ones in the child, a recorder in tests.
pub trait MountOps {
    fn make_private(&mut self) -> Result<(), nix::Error>;
    fn detach(&mut self, target: &CString) -> Result<(), nix::Error>;
    fn bind(&mut self, source: &CString, target: &CString) -> Result<(), nix::Error>;
    fn remount_read_only(&mut self, target: &CString) -> Result<(), nix::Error>;
    fn chroot(&mut self, root: &CString) -> Result<(), nix::Error>;
}

/// The plan with every path as a C string, built before fork: the child must not allocate.
pub struct PreparedMounts {
    root: CString,
    netns_dir: CString,
    mounts: Vec<(CString, CString, bool)>,
}

fn cstr(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("validated paths have no NUL")
}

impl PreparedMounts {
    pub fn new(plan: &RootfsPlan) -> Self {
        PreparedMounts {
            root: cstr(&plan.root),
            netns_dir: cstr(Path::new(crate::netns::NETNS_DIR)),
            mounts: plan
                .mounts
                .iter()
                .map(|m| (cstr(&m.source), cstr(&m.target), m.read_only))
                .collect(),
        }
    }
}

/// Performs the mounts and the chroot; runs in the forked child after `unshare(CLONE_NEWNS)`.
pub fn apply(p: &PreparedMounts, ops: &mut dyn MountOps) -> Result<(), nix::Error> {
    // First cut propagation both ways: nothing below may reach the host's mount table.
    ops.make_private()?;
    // The copy of /run/netns would pin every other router's namespace while we live.
    let _ = ops.detach(&p.netns_dir);
    for (source, target, ro) in &p.mounts {
        ops.bind(source, target)?;
        if *ro {
            ops.remount_read_only(target)?;
        }
    }
    ops.chroot(&p.root)
}

/// The real syscalls.
pub struct Syscalls;

impl MountOps for Syscalls {
    fn make_private(&mut self) -> Result<(), nix::Error> {
        use nix::mount::{mount, MsFlags};
        mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&str>,
        )
    }
    fn detach(&mut self, target: &CString) -> Result<(), nix::Error> {
        nix::mount::umount2(target.as_c_str(), nix::mount::MntFlags::MNT_DETACH)
    }
    fn bind(&mut self, source: &CString, target: &CString) -> Result<(), nix::Error> {
        use nix::mount::{mount, MsFlags};
        mount(
            Some(source.as_c_str()),
            target.as_c_str(),
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
    }
    fn remount_read_only(&mut self, target: &CString) -> Result<(), nix::Error> {
        use nix::mount::{mount, MsFlags};
        let f = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
        mount(None::<&str>, target.as_c_str(), None::<&str>, f, None::<&str>)
    }
    fn chroot(&mut self, root: &CString) -> Result<(), nix::Error> {
        nix::unistd::chroot(root.as_c_str())?;
        nix::unistd::chdir("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FakeHost;
    impl HostView for FakeHost {
        fn kind(&self, path: &str) -> Option<Option<PathBuf>> {
            match path {
                "/bin" => Some(Some("usr/bin".into())),
                "/lib" => Some(Some("usr/lib".into())),
                "/usr" | "/etc" => Some(None),
                _ => None,
            }
        }
    }

    #[derive(Default)]
    struct Recorder(Vec<String>);
    impl MountOps for Recorder {
        fn make_private(&mut self) -> Result<(), nix::Error> {
            self.0.push("private /".into());
            Ok(())
        }
        fn detach(&mut self, t: &CString) -> Result<(), nix::Error> {
            self.0.push(format!("detach {}", t.to_str().unwrap()));
            Ok(())
        }
        fn bind(&mut self, s: &CString, t: &CString) -> Result<(), nix::Error> {
            self.0
                .push(format!("bind {} {}", s.to_str().unwrap(), t.to_str().unwrap()));
            Ok(())
        }
        fn remount_read_only(&mut self, t: &CString) -> Result<(), nix::Error> {
            self.0.push(format!("ro {}", t.to_str().unwrap()));
            Ok(())
        }
        fn chroot(&mut self, r: &CString) -> Result<(), nix::Error> {
            self.0.push(format!("chroot {}", r.to_str().unwrap()));
            Ok(())
        }
    }

    #[test]
    fn merged_usr_symlinks_are_copied_and_real_dirs_bound_read_only() {
        let dirs = RouterDirs::new(Path::new("/run/nsbgp/lab"), "R_1");
        let p = plan(&dirs, &FakeHost);
        let root = PathBuf::from("/run/nsbgp/lab/routers/R_1/root");
        assert!(p.entries.contains(&Entry::Symlink(root.join("bin"), "usr/bin".into())));
        assert!(p.mounts.contains(&BindMount {
            source: "/usr".into(),
            target: root.join("usr"),
            read_only: true
        }));
        assert!(p.mounts.contains(&BindMount {
            source: "/etc".into(),
            target: root.join("etc"),
            read_only: true
        }));
        assert!(
            !p.mounts.iter().any(|m| m.source == Path::new("/sbin")),
            "absent host dirs are skipped"
        );
        // Private dirs are writable and come after /etc so /etc/frr shadows the host's.
        let etc = p.mounts.iter().position(|m| m.target == root.join("etc")).unwrap();
        let etc_frr = p.mounts.iter().position(|m| m.target == root.join("etc/frr")).unwrap();
        assert!(etc < etc_frr);
        assert!(!p.mounts[etc_frr].read_only);
        assert_eq!(p.mounts[etc_frr].source, dirs.etc());
        // Nothing is ever created inside the chroot's (= host's) /etc.
        assert!(!p.entries.contains(&Entry::Dir(root.join("etc/frr"))));
    }

    #[test]
    fn apply_cuts_propagation_first_and_chroots_last() {
        let dirs = RouterDirs::new(Path::new("/s"), "R_0");
        let p = plan(&dirs, &FakeHost);
        let mut rec = Recorder::default();
        apply(&PreparedMounts::new(&p), &mut rec).unwrap();
        assert_eq!(rec.0[0], "private /");
        assert_eq!(rec.0[1], "detach /run/netns");
        assert_eq!(rec.0.last().unwrap(), "chroot /s/routers/R_0/root");
        let ro_usr = rec.0.iter().position(|l| l == "ro /s/routers/R_0/root/usr").unwrap();
        let bind_usr = rec
            .0
            .iter()
            .position(|l| l == "bind /usr /s/routers/R_0/root/usr")
            .unwrap();
        assert_eq!(ro_usr, bind_usr + 1);
        assert!(!rec.0.iter().any(|l| l == "ro /s/routers/R_0/root/tmp"));
    }
}
