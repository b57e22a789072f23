//! The state directory, guarded. `/run/nsbgp` (or `NSBGP_STATE_DIR`) and every lab directory
//! in it are created root-owned, mode 0700; before any command reads or deletes a lab's
//! state it checks, without following links, that the lab directory is a real directory on
//! the state root's filesystem, owned by root and writable by nobody else. A lab directory
//! path is only ever built from a [`LabName`], and removal goes through directory file
//! descriptors (`openat2` with `RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV`, `unlinkat`), so it
//! can neither follow a link nor cross a mount, whatever appears in the tree meanwhile.

use crate::config::LabName;
use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{fstat, fstatat, FileStat, Mode, SFlag};
use nix::unistd::{unlinkat, UnlinkatFlags};
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {problem}; nsbgp touches nothing there. Fix: {fix}")]
    Unsafe {
        path: PathBuf,
        problem: String,
        fix: String,
    },
    #[error("{path}: {step}: {source}")]
    Io {
        path: PathBuf,
        step: &'static str,
        source: std::io::Error,
    },
    #[error("{path}: {step}: {source}")]
    Sys {
        path: PathBuf,
        step: &'static str,
        source: nix::Error,
    },
    #[error("{path}: still has mounts ({mounts}); unmount them (`umount -l PATH`) and run `nsbgp down` again")]
    Mounted { path: PathBuf, mounts: String },
}

pub fn state_root() -> PathBuf {
    std::env::var_os("NSBGP_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/nsbgp"))
}

/// The only way to a lab's state path: a validated name below the root.
pub fn lab_dir(lab: &LabName) -> PathBuf {
    state_root().join(lab.as_str())
}

/// Checks one directory's own inode (not following a link to it).
fn check_dir(path: &Path, what: &str, same_dev_as: Option<u64>) -> Result<std::fs::Metadata, StateError> {
    let md = std::fs::symlink_metadata(path).map_err(|source| StateError::Io {
        path: path.into(),
        step: "inspect",
        source,
    })?;
    let unsafe_ = |problem: String, fix: String| StateError::Unsafe {
        path: path.into(),
        problem,
        fix,
    };
    let remove_hint = format!(
        "look at it (`ls -ld {0}`), then remove it yourself if it is not needed (`rm -r {0}`)",
        path.display()
    );
    if md.file_type().is_symlink() {
        return Err(unsafe_(
            format!("the {what} is a symbolic link, not a directory nsbgp made"),
            format!(
                "look where it points (`ls -l {0}`), then remove the link (`rm {0}`; its target stays)",
                path.display()
            ),
        ));
    }
    if !md.is_dir() {
        return Err(unsafe_(format!("the {what} is not a directory"), remove_hint));
    }
    if md.uid() != 0 {
        return Err(unsafe_(
            format!("the {what} is owned by uid {}, not by root", md.uid()),
            format!(
                "if it is really nsbgp's, `chown root: {}`; otherwise remove it",
                path.display()
            ),
        ));
    }
    if md.mode() & 0o022 != 0 {
        return Err(unsafe_(
            format!(
                "the {what} is writable by others (mode {:o}): anyone could have put things in it",
                md.mode() & 0o7777
            ),
            format!("check its contents, then `chmod 700 {}` (or remove it)", path.display()),
        ));
    }
    if let Some(dev) = same_dev_as {
        if md.dev() != dev {
            return Err(unsafe_(
                format!("the {what} is on another filesystem than the state root (a mount?)"),
                format!("unmount it (`umount {}`) and remove it", path.display()),
            ));
        }
    }
    Ok(md)
}

/// The state root, checked; `Ok(None)` when it does not exist yet.
pub fn check_root() -> Result<Option<std::fs::Metadata>, StateError> {
    let root = state_root();
    match std::fs::symlink_metadata(&root) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        _ => check_dir(&root, "state root", None).map(Some),
    }
}

/// Creates the state root (root-owned, 0700) when missing and checks it.
pub fn ensure_root() -> Result<std::fs::Metadata, StateError> {
    let root = state_root();
    if let Some(md) = check_root()? {
        // An older nsbgp made it 0755: root's and checked above, so only narrow it.
        if md.mode() & 0o077 != 0 {
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).map_err(|source| {
                StateError::Io {
                    path: root.clone(),
                    step: "chmod",
                    source,
                }
            })?;
            return check_dir(&root, "state root", None);
        }
        return Ok(md);
    }
    if let Some(parent) = root.parent() {
        std::fs::create_dir_all(parent).map_err(|source| StateError::Io {
            path: parent.into(),
            step: "create",
            source,
        })?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(&root) {
        Ok(()) => {
            // The umask may have taken bits away, never added: set exactly 0700.
            let _ = std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700));
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(source) => {
            return Err(StateError::Io {
                path: root,
                step: "create",
                source,
            })
        }
    }
    check_dir(&root, "state root", None)
}

/// Checks a lab's directory; `Ok(false)` when it does not exist (nothing to do).
pub fn check_lab(lab: &LabName) -> Result<bool, StateError> {
    let Some(root) = check_root()? else {
        return Ok(false);
    };
    let dir = lab_dir(lab);
    match std::fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        _ => check_dir(&dir, "lab's state directory", Some(root.dev())).map(|_| true),
    }
}

/// Creates a lab's directory, root-owned 0700. `Ok(false)` when it already exists: the
/// directory is the claim, so of two concurrent `up`s exactly one gets `true`.
pub fn create_lab(lab: &LabName) -> Result<bool, StateError> {
    let root = ensure_root()?;
    let dir = lab_dir(lab);
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(|source| {
                StateError::Io {
                    path: dir.clone(),
                    step: "chmod",
                    source,
                }
            })?;
            check_dir(&dir, "lab's state directory", Some(root.dev()))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(source) => Err(StateError::Io {
            path: dir,
            step: "create",
            source,
        }),
    }
}

pub use crate::host::lock_file;

/// A host-wide lock (`NAME` in the state root), polled so that `stop` (a signal) can end
/// the wait. `Ok(None)` when `stop` was set first.
pub fn host_lock(name: &str, stop: &std::sync::atomic::AtomicBool) -> std::io::Result<Option<std::fs::File>> {
    let f = lock_file(&state_root().join(name))?;
    loop {
        // SAFETY: flock on an fd we own.
        if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&f), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(Some(f));
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::WouldBlock {
            return Err(e);
        }
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Opening below a directory fd: no symbolic link anywhere, no mount crossed.
fn open_beneath(dir: BorrowedFd<'_>, name: &CStr) -> nix::Result<OwnedFd> {
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_NO_SYMLINKS | ResolveFlag::RESOLVE_NO_XDEV | ResolveFlag::RESOLVE_BENEATH);
    openat2(dir, name, how)
}

/// Removes a lab's state directory: checked first (see [`check_lab`]), then emptied through
/// directory fds. Refuses, before removing anything, while something is mounted below it.
pub fn remove_lab(lab: &LabName) -> Result<(), StateError> {
    if !check_lab(lab)? {
        return Ok(());
    }
    let root = state_root();
    let dir = lab_dir(lab);
    remove_tree_in(&root, lab.as_str()).map_err(|e| match e {
        RemoveError::Mounted(m) => StateError::Mounted {
            path: dir.clone(),
            mounts: m,
        },
        RemoveError::Sys(step, source) => StateError::Sys {
            path: dir.clone(),
            step,
            source,
        },
    })
}

#[derive(Debug)]
enum RemoveError {
    Mounted(String),
    Sys(&'static str, nix::Error),
}

/// Removes `parent/name` and everything below it without following links or crossing
/// mounts. `parent` itself may be reached by path (it is the checked state root).
fn remove_tree_in(parent: &Path, name: &str) -> Result<(), RemoveError> {
    let mounts = crate::host::mounts_under(&parent.join(name));
    if !mounts.is_empty() {
        return Err(RemoveError::Mounted(
            mounts
                .iter()
                .map(|m| m.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    let pfd = nix::fcntl::open(
        parent,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| RemoveError::Sys("open parent", e))?;
    let cname = CString::new(name).map_err(|_| RemoveError::Sys("name", nix::Error::EINVAL))?;
    let st = match fstatat(pfd.as_fd(), cname.as_c_str(), nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(nix::Error::ENOENT) => return Ok(()),
        Err(e) => return Err(RemoveError::Sys("inspect", e)),
    };
    if !is_dir(&st) {
        return Err(RemoveError::Sys("not a directory", nix::Error::ENOTDIR));
    }
    let dev = st.st_dev;
    let top = open_beneath(pfd.as_fd(), &cname).map_err(|e| RemoveError::Sys("open", e))?;
    empty(top.as_fd(), dev)?;
    drop(top);
    gone_ok(unlinkat(pfd.as_fd(), cname.as_c_str(), UnlinkatFlags::RemoveDir))
        .map_err(|e| RemoveError::Sys("remove", e))
}

fn is_dir(st: &FileStat) -> bool {
    SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR
}

fn gone_ok(r: nix::Result<()>) -> nix::Result<()> {
    match r {
        Err(nix::Error::ENOENT) => Ok(()),
        r => r,
    }
}

/// Directories with more entries than this (the `routers` directory) are emptied by
/// several threads. Removing a file can wait on the disk (ext4 mounted with `discard` waits
/// for every freed block), so the waits overlap: 300 routers' trees took 1.3 s one by one.
const PARALLEL_MIN: usize = 16;
const REMOVE_THREADS: usize = 16;

fn names_in(dir: BorrowedFd<'_>) -> Result<Vec<CString>, RemoveError> {
    let fd = dir
        .try_clone_to_owned()
        .map_err(|_| RemoveError::Sys("dup", nix::Error::EBADF))?;
    let mut d = nix::dir::Dir::from_fd(fd).map_err(|e| RemoveError::Sys("read directory", e))?;
    let mut v = Vec::new();
    for e in d.iter() {
        let e = e.map_err(|e| RemoveError::Sys("read directory", e))?;
        let n = e.file_name();
        if n.to_bytes() != b"." && n.to_bytes() != b".." {
            v.push(n.to_owned());
        }
    }
    Ok(v)
}

fn empty(dir: BorrowedFd<'_>, dev: u64) -> Result<(), RemoveError> {
    let st = fstat(dir).map_err(|e| RemoveError::Sys("inspect", e))?;
    if st.st_dev != dev {
        return Err(RemoveError::Mounted("a directory on another filesystem".into()));
    }
    let names = names_in(dir)?;
    if names.len() < PARALLEL_MIN {
        return names.iter().try_for_each(|n| remove_entry(dir, n, dev));
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..REMOVE_THREADS.min(names.len()))
            .map(|_| {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    match names.get(i) {
                        Some(n) => remove_entry(dir, n, dev)?,
                        None => return Ok(()),
                    }
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or(Err(RemoveError::Sys("removal thread", nix::Error::EIO)))
        })
    })
}

/// Removes one entry of `dir`. Something already gone is fine: a rolling-back `up` may be
/// removing the same tree.
fn remove_entry(dir: BorrowedFd<'_>, name: &CStr, dev: u64) -> Result<(), RemoveError> {
    let st = match fstatat(dir, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(nix::Error::ENOENT) => return Ok(()),
        Err(e) => return Err(RemoveError::Sys("inspect", e)),
    };
    if !is_dir(&st) {
        // Symbolic links included: unlinkat removes the link, never its target.
        return gone_ok(unlinkat(dir, name, UnlinkatFlags::NoRemoveDir)).map_err(|e| RemoveError::Sys("remove", e));
    }
    let sub = match open_beneath(dir, name) {
        Ok(fd) => fd,
        Err(nix::Error::ENOENT) => return Ok(()),
        // EXDEV: a mount point (RESOLVE_NO_XDEV), also of the same filesystem (a bind mount).
        Err(nix::Error::EXDEV) => return Err(RemoveError::Mounted(format!("a mount at {}", name.to_string_lossy()))),
        Err(e) => return Err(RemoveError::Sys("open", e)),
    };
    empty(sub.as_fd(), dev)?;
    drop(sub);
    gone_ok(unlinkat(dir, name, UnlinkatFlags::RemoveDir)).map_err(|e| RemoveError::Sys("remove", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_empties_a_wide_tree_and_never_follows_links() {
        let root = tempfile::tempdir().unwrap();
        let outside = root.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("keep"), "the user's").unwrap();
        let state = root.path().join("lab");
        // Wider than PARALLEL_MIN at the `routers` level, as in a real lab.
        for r in 0..40 {
            let d = state.join("routers").join(format!("ROUTER_{r}"));
            std::fs::create_dir_all(d.join("root/var/run/frr")).unwrap();
            std::fs::create_dir_all(d.join("log")).unwrap();
            std::fs::write(d.join("log/bgpd.log"), "x").unwrap();
            std::os::unix::fs::symlink(&outside, d.join("root/link-out")).unwrap();
            std::os::unix::fs::symlink(outside.join("keep"), d.join("file-link")).unwrap();
        }
        std::fs::write(state.join("ledger.jsonl"), "{}").unwrap();
        remove_tree_in(root.path(), "lab").unwrap();
        assert!(!state.exists());
        assert_eq!(std::fs::read_to_string(outside.join("keep")).unwrap(), "the user's");
    }

    #[test]
    fn a_symlinked_top_directory_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let outside = root.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("keep"), "x").unwrap();
        std::os::unix::fs::symlink(&outside, root.path().join("lab")).unwrap();
        assert!(remove_tree_in(root.path(), "lab").is_err());
        assert!(outside.join("keep").exists());
    }

    #[test]
    fn a_bind_mount_inside_stops_the_removal_and_its_contents_stay() {
        if !nix::unistd::geteuid().is_root() {
            assert!(std::env::var_os("CI").is_none(), "needs root under CI");
            return;
        }
        let root = tempfile::tempdir().unwrap();
        let outside = root.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("keep"), "x").unwrap();
        let target = root.path().join("lab/routers/R_0/root/usr");
        std::fs::create_dir_all(&target).unwrap();
        // In a private mount namespace of a helper thread, so the host never sees the mount.
        let (o, t, r) = (outside.clone(), target.clone(), root.path().to_path_buf());
        let res = std::thread::spawn(move || {
            use nix::mount::{mount, MsFlags};
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS | nix::sched::CloneFlags::CLONE_FS).unwrap();
            mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&str>,
            )
            .unwrap();
            mount(Some(&o), &t, None::<&str>, MsFlags::MS_BIND, None::<&str>).unwrap();
            // The fd walk alone (the mountinfo pre-check reads /proc/self, the main thread's).
            let pfd = nix::fcntl::open(&r, OFlag::O_RDONLY | OFlag::O_DIRECTORY, Mode::empty()).unwrap();
            let top = open_beneath(pfd.as_fd(), c"lab").unwrap();
            let dev = fstat(top.as_fd()).unwrap().st_dev;
            empty(top.as_fd(), dev).map_err(|e| format!("{e:?}"))
        })
        .join()
        .unwrap();
        assert!(
            res.as_ref().is_err_and(|e| e.contains("Mounted")),
            "removal crossed a bind mount: {res:?}"
        );
        assert_eq!(std::fs::read_to_string(outside.join("keep")).unwrap(), "x");
    }

    #[test]
    fn a_missing_directory_is_nothing_to_do() {
        let root = tempfile::tempdir().unwrap();
        remove_tree_in(root.path(), "missing").unwrap();
    }
}
