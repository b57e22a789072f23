//! Named network namespaces (iproute2's convention: a bind mount under `/run/netns/`) and
//! the links inside them.
//!
//! Namespaces are made by `unshare(CLONE_NEWNET)` on dedicated OS threads, never on a tokio
//! worker: `setns`/`unshare` change the calling thread, and a worker would carry the wrong
//! namespace into every task it later runs. Each namespace gets one rtnetlink socket, opened
//! in the namespace at creation and then driven from the async runtime.

mod links;

pub use links::{build_links, raise_links, LinkError};

use crate::config::{Addressing, Family};
use nix::fcntl::{open, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::stat::{fstat, Mode};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

pub const NETNS_DIR: &str = "/run/netns";
/// Where `ip netns exec` looks for per-namespace files.
pub const ETC_NETNS: &str = "/etc/netns";

/// First line of every hosts file nsbgp writes under [`ETC_NETNS`]: `down` deletes only
/// files that carry it.
pub fn hosts_marker(lab: &str) -> String {
    format!("# nsbgp lab {lab}: written by `nsbgp up`, removed by `nsbgp down`")
}

#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    #[error("network namespace {0} already exists and is not part of this lab; remove it (`ip netns del {0}`) or choose another router_prefix")]
    Taken(String),
    #[error("network namespace {name} is not the one this lab created (its inode is {found:?}, the lab's ledger recorded {recorded:?}); nsbgp will not enter or delete it")]
    NotOurs {
        name: String,
        found: Option<u64>,
        recorded: Option<u64>,
    },
    #[error("namespace {name}: {step}: {source}")]
    Sys {
        name: String,
        step: &'static str,
        source: nix::Error,
    },
    #[error("namespace {name}: {step}: {source}")]
    Io {
        name: String,
        step: &'static str,
        source: std::io::Error,
    },
}

/// A namespace this run created: its pinned fd, inode (identity) and netlink handle.
pub struct Netns {
    pub name: String,
    pub fd: OwnedFd,
    pub ino: u64,
    pub handle: rtnetlink::Handle,
}

pub fn path_of(name: &str) -> PathBuf {
    Path::new(NETNS_DIR).join(name)
}

/// Inode of a named namespace, if it exists (its identity: names can be reused).
pub fn inode_of(name: &str) -> Option<u64> {
    let f = open(
        &path_of(name),
        OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW,
        Mode::empty(),
    )
    .ok()?;
    let st = fstat(f.as_fd()).ok()?;
    // A plain file left behind by a crash is not a namespace: nsfs has its own device.
    is_nsfs(f.as_fd()).then_some(st.st_ino)
}

fn is_nsfs(fd: impl AsFd) -> bool {
    nix::sys::statfs::fstatfs(fd).is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::NSFS_MAGIC)
}

/// Makes `/run/netns` a shared mount point, as `ip netns add` does, so namespaces we create
/// show up in, and disappear from, every mount namespace `ip netns exec` makes.
pub fn prepare_netns_dir() -> Result<(), NetnsError> {
    let sys = |step, source| NetnsError::Sys {
        name: NETNS_DIR.into(),
        step,
        source,
    };
    std::fs::create_dir_all(NETNS_DIR).map_err(|source| NetnsError::Io {
        name: NETNS_DIR.into(),
        step: "create directory",
        source,
    })?;
    let shared = || {
        mount(
            None::<&str>,
            NETNS_DIR,
            None::<&str>,
            MsFlags::MS_SHARED | MsFlags::MS_REC,
            None::<&str>,
        )
    };
    match shared() {
        Ok(()) => Ok(()),
        Err(nix::Error::EINVAL) => {
            mount(
                Some(NETNS_DIR),
                NETNS_DIR,
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )
            .map_err(|e| sys("bind mount onto itself", e))?;
            shared().map_err(|e| sys("make shared", e))
        }
        Err(e) => Err(sys("make shared", e)),
    }
}

/// sysctls every router needs: forwarding, no reverse-path filtering on a chain, a TTL of
/// 255 so ICMP errors from routers over 64 hops away get back, no ICMP rate limit (a
/// traceroute suite asks the same router many times a second), and no IPv6 chatter.
const ROUTER_SYSCTLS: &[(&str, &str)] = &[
    ("net/ipv4/ip_forward", "1"),
    ("net/ipv4/conf/all/rp_filter", "0"),
    ("net/ipv4/conf/default/rp_filter", "0"),
    ("net/ipv4/ip_default_ttl", "255"),
    ("net/ipv4/icmp_ratelimit", "0"),
    ("net/ipv6/conf/all/disable_ipv6", "1"),
    ("net/ipv6/conf/default/disable_ipv6", "1"),
];

/// The same for a lab with IPv6 (`[addressing] family` "dual" or "ipv6"): IPv6 on, forwarding
/// (which also stops router advertisements being accepted), no duplicate address detection
/// (else every address stays "tentative" for a second or more and sessions start late), a
/// hop limit of 255 and no ICMPv6 error rate limit, so a `traceroute -6` over 69+ hops gets
/// every hop; addresses kept on a link set down (the kernel flushes IPv6 ones by default, so
/// an experiment's `link_down`/`link_up` would leave the link without its IPv6 session).
/// `default` values come first: veths created later inherit them.
const ROUTER_SYSCTLS_V6: &[(&str, &str)] = &[
    ("net/ipv4/ip_forward", "1"),
    ("net/ipv4/conf/all/rp_filter", "0"),
    ("net/ipv4/conf/default/rp_filter", "0"),
    ("net/ipv4/ip_default_ttl", "255"),
    ("net/ipv4/icmp_ratelimit", "0"),
    ("net/ipv6/conf/default/accept_dad", "0"),
    ("net/ipv6/conf/all/accept_dad", "0"),
    ("net/ipv6/conf/default/disable_ipv6", "0"),
    ("net/ipv6/conf/all/disable_ipv6", "0"),
    ("net/ipv6/conf/default/forwarding", "1"),
    ("net/ipv6/conf/all/forwarding", "1"),
    ("net/ipv6/conf/default/hop_limit", "255"),
    ("net/ipv6/conf/all/hop_limit", "255"),
    ("net/ipv6/conf/default/keep_addr_on_down", "1"),
    ("net/ipv6/conf/all/keep_addr_on_down", "1"),
    ("net/ipv6/icmp/ratelimit", "0"),
];

/// The sysctls of every router of a lab with these families.
pub fn router_sysctls(addressing: Addressing) -> &'static [(&'static str, &'static str)] {
    if addressing.has(Family::Ipv6) {
        ROUTER_SYSCTLS_V6
    } else {
        ROUTER_SYSCTLS
    }
}

/// Creates the namespaces on `threads` dedicated threads. `claimed` is called with each
/// name just before it is claimed, and `created` with its name and inode the moment the
/// namespace exists, so the caller's ledger knows its identity before anything else happens.
/// Creation stops at the first error, or once `stop` is set (a signal).
/// Returns the namespaces created, and the first error.
pub fn create_all(
    names: &[String],
    threads: usize,
    rt: &tokio::runtime::Handle,
    claimed: &(dyn Fn(&str) + Sync),
    created: &(dyn Fn(&str, u64) + Sync),
    stop: &std::sync::atomic::AtomicBool,
    sysctls: &[(&str, &str)],
) -> (Vec<Netns>, Option<NetnsError>) {
    let threads = threads.clamp(1, names.len().max(1));
    let chunk = names.len().div_ceil(threads).max(1);
    let mut made = Vec::with_capacity(names.len());
    let mut first_err = None;
    std::thread::scope(|s| {
        let workers: Vec<_> = names
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let _rt = rt.enter();
                    let mut out = Vec::with_capacity(part.len());
                    let host = match open(
                        "/proc/thread-self/ns/net",
                        OFlag::O_RDONLY | OFlag::O_CLOEXEC,
                        Mode::empty(),
                    ) {
                        Ok(fd) => fd,
                        Err(source) => {
                            return (
                                out,
                                Some(NetnsError::Sys {
                                    name: "host".into(),
                                    step: "open own namespace",
                                    source,
                                }),
                            )
                        }
                    };
                    for name in part {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        claimed(name);
                        let r = create_one(name, created, sysctls);
                        // Back to the host namespace whatever happened.
                        if let Err(source) = setns(host.as_fd(), CloneFlags::CLONE_NEWNET) {
                            stop.store(true, std::sync::atomic::Ordering::Relaxed);
                            return (
                                out,
                                Some(NetnsError::Sys {
                                    name: name.clone(),
                                    step: "return to host namespace",
                                    source,
                                }),
                            );
                        }
                        match r {
                            Ok(ns) => out.push(ns),
                            Err(e) => {
                                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                                return (out, Some(e));
                            }
                        }
                    }
                    (out, None)
                })
            })
            .collect();
        for w in workers {
            let (ns, err) = w.join().expect("namespace thread panicked");
            made.extend(ns);
            if first_err.is_none() {
                first_err = err;
            }
        }
    });
    (made, first_err)
}

/// Runs on a dedicated thread, which it leaves inside the new namespace.
fn create_one(name: &str, created: &(dyn Fn(&str, u64) + Sync), sysctls: &[(&str, &str)]) -> Result<Netns, NetnsError> {
    let path = path_of(name);
    let sys = |step, source| NetnsError::Sys {
        name: name.to_string(),
        step,
        source,
    };
    // create_new claims the name atomically: an existing namespace is never reused.
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(NetnsError::Taken(name.into())),
        Err(source) => {
            return Err(NetnsError::Io {
                name: name.into(),
                step: "create mount point",
                source,
            })
        }
    }
    let undo = |e| {
        let _ = umount2(&path, MntFlags::MNT_DETACH);
        let _ = std::fs::remove_file(&path);
        e
    };
    unshare(CloneFlags::CLONE_NEWNET).map_err(|e| undo(sys("unshare", e)))?;
    mount(
        Some("/proc/thread-self/ns/net"),
        &path,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| undo(sys("bind mount", e)))?;
    let fd = open(&path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(|e| undo(sys("open", e)))?;
    let ino = fstat(fd.as_fd()).map_err(|e| undo(sys("stat", e)))?.st_ino;
    // From here on the namespace is the lab's: its identity goes to the ledger at once.
    created(name, ino);
    for (key, value) in sysctls {
        let p = format!("/proc/sys/{key}");
        std::fs::write(&p, value).map_err(|source| {
            undo(NetnsError::Io {
                name: name.into(),
                step: "write sysctl",
                source,
            })
        })?;
    }
    // The socket belongs to the namespace current when it is created: this one.
    let (conn, handle, _) = rtnetlink::new_connection().map_err(|source| {
        undo(NetnsError::Io {
            name: name.into(),
            step: "netlink socket",
            source,
        })
    })?;
    tokio::spawn(conn);
    Ok(Netns {
        name: name.into(),
        fd,
        ino,
        handle,
    })
}

/// Identities (inodes) of the namespaces a running lab's ledger recorded, registered by
/// `lab::open`: [`open_named`] enters only these.
static EXPECTED: std::sync::Mutex<Option<std::collections::HashMap<String, u64>>> = std::sync::Mutex::new(None);

/// Registers namespace identities from a lab's ledger, for [`open_named`].
pub fn expect_identities(ids: impl IntoIterator<Item = (String, u64)>) {
    let mut g = EXPECTED.lock().unwrap_or_else(|e| e.into_inner());
    g.get_or_insert_with(Default::default).extend(ids);
}

/// Opens an existing named namespace (for commands that act on a running lab), only when
/// it is the namespace the lab's ledger recorded: same name, nsfs, same inode.
pub fn open_named(name: &str) -> Result<OwnedFd, NetnsError> {
    let recorded = EXPECTED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(name).copied());
    open_checked(name, recorded)
}

/// Opens `/run/netns/NAME` and checks it is the namespace with inode `recorded`.
pub fn open_checked(name: &str, recorded: Option<u64>) -> Result<OwnedFd, NetnsError> {
    if recorded.is_none() {
        return Err(NetnsError::NotOurs {
            name: name.into(),
            found: inode_of(name),
            recorded,
        });
    }
    let fd = open(
        &path_of(name),
        OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW,
        Mode::empty(),
    )
    .map_err(|source| NetnsError::Sys {
        name: name.into(),
        step: "open",
        source,
    })?;
    let found = fstat(fd.as_fd())
        .ok()
        .filter(|_| is_nsfs(fd.as_fd()))
        .map(|st| st.st_ino);
    match (found, recorded) {
        (Some(f), Some(r)) if f == r => Ok(fd),
        _ => Err(NetnsError::NotOurs {
            name: name.into(),
            found,
            recorded,
        }),
    }
}

/// Runs `f` on a fresh OS thread inside the namespace `fd`; the thread ends afterwards, so
/// no thread is ever left in the wrong namespace. Sockets `f` creates stay in the namespace.
pub fn run_in<T: Send + 'static>(fd: &OwnedFd, f: impl FnOnce() -> T + Send + 'static) -> Result<T, nix::Error> {
    let fd = fd
        .try_clone()
        .map_err(|e| nix::Error::from_raw(e.raw_os_error().unwrap_or(libc::EBADF)))?;
    std::thread::spawn(move || {
        setns(fd.as_fd(), CloneFlags::CLONE_NEWNET)?;
        Ok(f())
    })
    .join()
    .expect("namespace thread panicked")
}

/// Deletes a named namespace, but only if it is the one we created (same inode).
/// Returns Ok(false) when there was nothing of ours to delete.
pub fn delete(name: &str, expected_ino: u64) -> Result<bool, NetnsError> {
    let path = path_of(name);
    match inode_of(name) {
        Some(ino) if ino == expected_ino => {}
        None if std::fs::symlink_metadata(&path).is_err() => return Ok(false),
        found => {
            return Err(NetnsError::NotOurs {
                name: name.into(),
                found,
                recorded: Some(expected_ino),
            })
        }
    }
    match umount2(&path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::Error::EINVAL) | Err(nix::Error::ENOENT) => {}
        Err(source) => {
            return Err(NetnsError::Sys {
                name: name.into(),
                step: "unmount",
                source,
            })
        }
    }
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(NetnsError::Io {
            name: name.into(),
            step: "remove",
            source,
        }),
    }
}

/// Network-namespace inode of a process, from `/proc/PID/ns/net` ("net:[INODE]").
pub fn inode_of_pid(pid: u32) -> Option<u64> {
    let link = std::fs::read_link(format!("/proc/{pid}/ns/net")).ok()?;
    let s = link.to_str()?;
    s.strip_prefix("net:[")?.strip_suffix(']')?.parse().ok()
}

/// Every process whose network namespace is one of `inodes`.
pub fn pids_in(inodes: &std::collections::HashSet<u64>) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| inode_of_pid(pid).is_some_and(|ino| inodes.contains(&ino)))
        .collect()
}

#[cfg(test)]
mod tests;
