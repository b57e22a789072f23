//! The one way nsbgp runs a program inside a router: [`InRouter`] builds a
//! `std::process::Command` whose child, between fork and exec, joins the router's network
//! namespace, optionally takes a private mount namespace (the router's chroot, or the
//! `/etc/netns/{router}` files as `ip netns exec` shows them), optionally drops to a
//! uid/gid, and dies with nsbgp if asked. The daemon launcher, `exec`, `shell`, `vtysh`
//! and `trace` all use it; there is no other `pre_exec` in nsbgp.
//!
//! Everything the child needs is prepared before the fork (C strings, fds); the closure
//! that runs after it makes syscalls only and allocates nothing (its errors are plain errno
//! values), because another thread of this process may hold the allocator's lock at fork.

use crate::rootfs::{self, PreparedMounts};
use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

/// What the child's filesystem looks like.
#[derive(Clone, Default)]
pub enum Filesystem {
    /// The host's, unchanged.
    #[default]
    Host,
    /// A private mount namespace and the router's chroot ([`crate::rootfs`]).
    Chroot(Arc<PreparedMounts>),
    /// A private mount namespace (slave of the host's) where each `(source, target)` file is
    /// bind-mounted over the host's and `/sys` shows the router: what `ip netns exec` does
    /// with `/etc/netns/{router}`.
    EtcNetns(Arc<Vec<(CString, CString)>>),
}

/// A program to run inside a router.
pub struct InRouter {
    program: OsString,
    args: Vec<OsString>,
    netns: Option<Arc<OwnedFd>>,
    fs: Filesystem,
    user: Option<(u32, u32)>,
    /// Capabilities kept across the switch to `user` (and exec), as capability numbers.
    keep_caps: Vec<u32>,
    env_clear: bool,
    env: Vec<(OsString, OsString)>,
    parent_death: Option<i32>,
    new_session: bool,
    /// Same addresses in every process and an opt-in to KSM (`merge_memory`).
    merge_memory: bool,
    stdin: Option<Stdio>,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
}

impl InRouter {
    pub fn new(program: impl AsRef<OsStr>) -> InRouter {
        InRouter {
            program: program.as_ref().to_owned(),
            args: vec![],
            netns: None,
            fs: Filesystem::Host,
            user: None,
            keep_caps: vec![],
            env_clear: false,
            env: vec![],
            parent_death: None,
            new_session: false,
            merge_memory: false,
            stdin: None,
            stdout: None,
            stderr: None,
        }
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.args.push(a.as_ref().to_owned());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// The router's network namespace (an fd from `netns::open_named`, identity checked).
    pub fn netns(mut self, fd: OwnedFd) -> Self {
        self.netns = Some(Arc::new(fd));
        self
    }

    pub fn netns_shared(mut self, fd: Arc<OwnedFd>) -> Self {
        self.netns = Some(fd);
        self
    }

    pub fn filesystem(mut self, fs: Filesystem) -> Self {
        self.fs = fs;
        self
    }

    pub fn chroot(self, mounts: Arc<PreparedMounts>) -> Self {
        self.filesystem(Filesystem::Chroot(mounts))
    }

    /// Drops to this uid and gid (no supplementary groups, no capabilities left) just
    /// before exec. Daemons that drop privileges themselves (FRR's `-u frr`) do not need it.
    pub fn user(mut self, uid: u32, gid: u32) -> Self {
        self.user = Some((uid, gid));
        self
    }

    /// With [`InRouter::user`]: keep these capabilities (e.g. `CAP_NET_ADMIN`) through the
    /// switch and the exec (as ambient capabilities); every other one is dropped.
    pub fn keep_capabilities(mut self, caps: &[u32]) -> Self {
        self.keep_caps = caps.iter().copied().filter(|&c| c < 64).collect();
        self
    }

    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self
    }

    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> Self {
        self.env.push((k.as_ref().to_owned(), v.as_ref().to_owned()));
        self
    }

    /// Signal the child gets when nsbgp dies; it also refuses to start if nsbgp is gone.
    pub fn parent_death(mut self, signal: nix::sys::signal::Signal) -> Self {
        self.parent_death = Some(signal as i32);
        self
    }

    pub fn new_session(mut self) -> Self {
        self.new_session = true;
        self
    }

    pub fn merge_memory(mut self, on: bool) -> Self {
        self.merge_memory = on;
        self
    }

    pub fn stdin(mut self, s: Stdio) -> Self {
        self.stdin = Some(s);
        self
    }

    pub fn stdout(mut self, s: Stdio) -> Self {
        self.stdout = Some(s);
        self
    }

    pub fn stderr(mut self, s: Stdio) -> Self {
        self.stderr = Some(s);
        self
    }

    /// The command, ready to spawn (use `tokio::process::Command::from` for async).
    pub fn command(self) -> std::process::Command {
        let mut cmd = std::process::Command::new(&self.program);
        cmd.args(&self.args);
        if self.env_clear {
            cmd.env_clear();
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(s) = self.stdin {
            cmd.stdin(s);
        }
        if let Some(s) = self.stdout {
            cmd.stdout(s);
        }
        if let Some(s) = self.stderr {
            cmd.stderr(s);
        }
        let mut mask = [0u32; 2];
        for &c in &self.keep_caps {
            mask[(c / 32) as usize] |= 1 << (c % 32);
        }
        let child = Child {
            netns: self.netns,
            fs: self.fs,
            user: self.user,
            keep_caps: self.keep_caps,
            cap_mask: mask,
            parent_death: self.parent_death,
            parent: std::process::id() as libc::pid_t,
            new_session: self.new_session,
            merge_memory: self.merge_memory,
        };
        // SAFETY: `Child::setup` runs between fork and exec; it only makes syscalls on data
        // prepared before the fork and allocates nothing.
        unsafe {
            cmd.pre_exec(move || child.setup());
        }
        cmd
    }
}

/// What the child does after fork, all prepared beforehand.
struct Child {
    netns: Option<Arc<OwnedFd>>,
    fs: Filesystem,
    user: Option<(u32, u32)>,
    keep_caps: Vec<u32>,
    cap_mask: [u32; 2],
    parent_death: Option<i32>,
    parent: libc::pid_t,
    new_session: bool,
    merge_memory: bool,
}

impl Child {
    fn setup(&self) -> std::io::Result<()> {
        use nix::sched::{setns, unshare, CloneFlags};
        if let Some(sig) = self.parent_death {
            // SAFETY: plain prctl/getppid syscalls.
            unsafe {
                libc::prctl(libc::PR_SET_PDEATHSIG, sig, 0, 0, 0);
                if libc::getppid() != self.parent {
                    // nsbgp died before the prctl took effect.
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
            }
        }
        if self.new_session {
            nix::unistd::setsid()?;
        }
        if self.merge_memory {
            // Same addresses in every daemon make their start-up heaps identical page for
            // page, so KSM can merge them (host::ksm). Both survive exec and fork.
            // SAFETY: plain personality/prctl syscalls.
            unsafe {
                let persona = libc::personality(0xffff_ffff);
                if persona != -1 {
                    libc::personality((persona | libc::ADDR_NO_RANDOMIZE) as libc::c_ulong);
                }
                libc::prctl(libc::PR_SET_MEMORY_MERGE, 1, 0, 0, 0);
            }
        }
        if let Some(fd) = &self.netns {
            // SAFETY: the fd lives in the Arc this closure owns.
            setns(
                unsafe { BorrowedFd::borrow_raw(fd.as_raw_fd()) },
                CloneFlags::CLONE_NEWNET,
            )?;
        }
        match &self.fs {
            Filesystem::Host => {}
            Filesystem::Chroot(m) => {
                unshare(CloneFlags::CLONE_NEWNS)?;
                rootfs::apply(m, &mut rootfs::Syscalls)?;
            }
            Filesystem::EtcNetns(binds) => {
                use nix::mount::{mount, umount2, MntFlags, MsFlags};
                unshare(CloneFlags::CLONE_NEWNS)?;
                mount(
                    None::<&str>,
                    "/",
                    None::<&str>,
                    MsFlags::MS_REC | MsFlags::MS_SLAVE,
                    None::<&str>,
                )?;
                for (src, dst) in binds.iter() {
                    mount(
                        Some(src.as_c_str()),
                        dst.as_c_str(),
                        None::<&str>,
                        MsFlags::MS_BIND,
                        None::<&str>,
                    )?;
                }
                // sysfs shows the namespace of whoever mounts it.
                if umount2("/sys", MntFlags::MNT_DETACH).is_ok() {
                    let _ = mount(Some("sysfs"), "/sys", Some("sysfs"), MsFlags::empty(), None::<&str>);
                }
            }
        }
        if let Some((uid, gid)) = self.user {
            let keep = !self.keep_caps.is_empty();
            if keep {
                // SAFETY: plain prctl syscall.
                if unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0) } != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            nix::unistd::setgroups(&[])?;
            nix::unistd::setgid(nix::unistd::Gid::from_raw(gid))?;
            nix::unistd::setuid(nix::unistd::Uid::from_raw(uid))?;
            if keep {
                set_caps(self.cap_mask)?;
                for &c in &self.keep_caps {
                    // SAFETY: plain prctl syscall; ambient capabilities survive the exec.
                    let r = unsafe {
                        libc::prctl(
                            libc::PR_CAP_AMBIENT,
                            libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong,
                            c as libc::c_ulong,
                            0,
                            0,
                        )
                    };
                    if r != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
            }
        }
        Ok(())
    }
}

/// capset(2): effective, permitted and inheritable all `mask`, everything else dropped.
fn set_caps(mask: [u32; 2]) -> std::io::Result<()> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    let mut hdr = Header {
        version: VERSION_3,
        pid: 0,
    };
    let data = mask.map(|m| Data {
        effective: m,
        permitted: m,
        inheritable: m,
    });
    // SAFETY: header and two data structs on the stack, as capset(2) wants for version 3.
    if unsafe { libc::syscall(libc::SYS_capset, &mut hdr as *mut Header, data.as_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Capability numbers for [`InRouter::keep_capabilities`] (linux/capability.h).
pub mod caps {
    pub const NET_BIND_SERVICE: u32 = 10;
    pub const NET_BROADCAST: u32 = 11;
    pub const NET_ADMIN: u32 = 12;
    pub const NET_RAW: u32 = 13;
}

/// `/etc/netns/{router}/*` as (source, target) pairs for [`Filesystem::EtcNetns`].
pub fn etc_netns_binds(router: &str) -> Vec<(CString, CString)> {
    let etc = Path::new(crate::netns::ETC_NETNS).join(router);
    std::fs::read_dir(&etc)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| Some((cstring(&e.path())?, cstring(&Path::new("/etc").join(e.file_name()))?)))
                .collect()
        })
        .unwrap_or_default()
}

fn cstring(p: &Path) -> Option<CString> {
    CString::new(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_program_runs_with_its_arguments_and_environment() {
        let out = InRouter::new("/bin/sh")
            .args(["-c", "echo \"$A $0\""])
            .env_clear()
            .env("A", "x")
            .stdout(Stdio::piped())
            .command()
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "x /bin/sh\n");
    }

    #[test]
    fn a_user_switch_keeps_only_the_capabilities_asked_for() {
        if !nix::unistd::geteuid().is_root() {
            assert!(std::env::var_os("CI").is_none(), "needs root under CI");
            return;
        }
        let status = |keep: &[u32]| {
            let out = InRouter::new("/bin/cat")
                .arg("/proc/self/status")
                .user(65534, 65534)
                .keep_capabilities(keep)
                .stdout(Stdio::piped())
                .command()
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let field = |k: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(k))
                    .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
                    .unwrap()
            };
            let uid = text.lines().find(|l| l.starts_with("Uid:")).unwrap().to_string();
            (uid, field("CapEff:"))
        };
        let (uid, eff) = status(&[caps::NET_ADMIN, caps::NET_RAW]);
        assert_eq!(uid.split_whitespace().nth(1), Some("65534"), "{uid}");
        assert_eq!(eff, (1 << 12) | (1 << 13));
        let (_, eff) = status(&[]);
        assert_eq!(eff, 0);
    }

    #[test]
    fn a_setup_failure_is_the_spawn_error() {
        // setns on an fd that is not a namespace fails in the child, before exec.
        let f = std::fs::File::open("/dev/null").unwrap();
        let err = InRouter::new("/bin/true")
            .netns(f.into())
            .command()
            .status()
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    }
}
