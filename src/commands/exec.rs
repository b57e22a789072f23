//! `nsbgp exec` and `nsbgp shell`: a program inside a router's namespace.

use super::{router_arg, rt};
use crate::lab::{self, LabError};
use std::os::unix::process::CommandExt;
use std::path::Path;

/// Runs a program in a router's namespace with its `/etc/netns` files, like `ip netns exec`:
/// a private mount namespace where those files cover `/etc`'s and `/sys` shows the router.
pub fn exec(lab_name: Option<&crate::config::LabName>, router: &str, program: &[String]) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    let idx = router_arg(&run, router)?;
    let name = run.lab.routers[idx].name.clone();
    let fd = crate::netns::open_named(&name).map_err(rt)?;
    let etc = Path::new(lab::up::ETC_NETNS).join(&name);
    let binds: Vec<(std::ffi::CString, std::ffi::CString)> = std::fs::read_dir(&etc)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| (cstring(&e.path()), cstring(&Path::new("/etc").join(e.file_name()))))
                .collect()
        })
        .unwrap_or_default();
    let mut cmd = std::process::Command::new(&program[0]);
    cmd.args(&program[1..]).env("NSBGP_ROUTER", &name);
    let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
    // SAFETY: only syscalls on data prepared before fork.
    unsafe {
        cmd.pre_exec(move || {
            use nix::mount::{mount, umount2, MntFlags, MsFlags};
            nix::sched::setns(
                std::os::fd::BorrowedFd::borrow_raw(raw),
                nix::sched::CloneFlags::CLONE_NEWNET,
            )?;
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)?;
            mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_SLAVE,
                None::<&str>,
            )?;
            for (src, dst) in &binds {
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
            Ok(())
        });
    }
    let status = cmd
        .status()
        .map_err(|e| LabError::Input(format!("cannot run {:?} in {name}: {e}", program[0])))?;
    std::process::exit(
        status
            .code()
            .unwrap_or(128 + std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0)),
    );
}

fn cstring(p: &Path) -> std::ffi::CString {
    std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str())).expect("no NUL in paths")
}
