//! `nsbgp capture`: tcpdump inside a router's namespace. pcap goes to `-w FILE` (created
//! here, never overwritten) or to stdout when stdout is not a terminal (`| wireshark -k -i -`);
//! at a terminal tcpdump prints its text summary.

use super::{router_arg, rt};
use crate::lab::{self, LabError};
use crate::runner::InRouter;
use std::io::IsTerminal;
use std::path::Path;
use std::process::Stdio;

pub struct Options<'a> {
    pub router: &'a str,
    pub to: Option<&'a str>,
    pub iface: Option<&'a str>,
    pub write: Option<&'a Path>,
    pub count: Option<u64>,
    pub filter: &'a [String],
}

const TCPDUMP: &[&str] = &["/usr/bin/tcpdump", "/usr/sbin/tcpdump"];

pub fn capture(lab_name: Option<&crate::config::LabName>, o: Options) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    let lab = &run.lab;
    let idx = router_arg(&run, o.router)?;
    let name = lab.routers[idx].name.clone();
    let iface = match (o.to, o.iface) {
        (Some(peer), _) => {
            let p = router_arg(&run, peer)?;
            lab.interface_to(idx, p).map(|i| i.name.clone()).ok_or_else(|| {
                LabError::Input(format!(
                    "{name} and {} are not neighbours; its links go to {}",
                    lab.routers[p].name,
                    neighbours(lab, idx)
                ))
            })?
        }
        (None, Some(i)) => {
            let known = i == "lo" || i == "any" || lab.routers[idx].interfaces.iter().any(|x| x.name == i);
            if !known {
                return Err(LabError::Input(format!(
                    "{name} has no interface {i:?}; use one of {}, lo or any (or --to NEIGHBOUR)",
                    neighbours(lab, idx)
                )));
            }
            i.to_string()
        }
        (None, None) => "any".to_string(),
    };
    let tcpdump = TCPDUMP.iter().find(|p| Path::new(p).exists()).ok_or_else(|| {
        LabError::Input("tcpdump is not installed: run scripts/install-deps.sh (or `apt-get install tcpdump`)".into())
    })?;
    // The file is created here, exclusively: an existing one is never touched, and tcpdump
    // (which drops to its own user) writes to the descriptor it is given.
    let out_file = match o.write {
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => LabError::Input(format!(
                        "{} already exists: nsbgp never overwrites a capture; choose another -w",
                        p.display()
                    )),
                    _ => LabError::Input(format!("cannot create {}: {e}", p.display())),
                })?,
        ),
        None => None,
    };
    let pcap = out_file.is_some() || !std::io::stdout().is_terminal();
    let mut args: Vec<String> = vec!["-i".into(), iface, "-n".into()];
    if pcap {
        // -U: every packet is flushed at once, so a pipe reader sees it live.
        args.extend(["-U".into(), "-w".into(), "-".into()]);
    } else {
        args.push("-l".into());
    }
    if let Some(c) = o.count {
        args.extend(["-c".into(), c.to_string()]);
    }
    if !o.filter.is_empty() {
        args.push("--".into());
        args.extend(o.filter.iter().cloned());
    }
    let mut cmd = InRouter::new(tcpdump)
        .args(&args)
        .netns(crate::netns::open_named(&name)?)
        .stdin(Stdio::null());
    if let Some(f) = out_file {
        cmd = cmd.stdout(Stdio::from(f));
    }
    // Ctrl-C is for tcpdump (it flushes and prints its counts): nsbgp waits for it. A handler,
    // not SIG_IGN, so the child starts with the default action.
    extern "C" fn wait_for_child(_: libc::c_int) {}
    let handler = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::Handler(wait_for_child),
        nix::sys::signal::SaFlags::SA_RESTART,
        nix::sys::signal::SigSet::empty(),
    );
    // SAFETY: the handler does nothing, so it is async-signal-safe.
    unsafe {
        let _ = nix::sys::signal::sigaction(nix::sys::signal::Signal::SIGINT, &handler);
    }
    let status = cmd
        .command()
        .status()
        .map_err(|e| rt(format!("cannot run tcpdump in {name}: {e}")))?;
    std::process::exit(
        status
            .code()
            .unwrap_or(128 + std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0)),
    );
}

fn neighbours(lab: &crate::config::Lab, r: usize) -> String {
    let v: Vec<&str> = lab.routers[r].interfaces.iter().map(|i| i.name.as_str()).collect();
    if v.is_empty() {
        "no router".into()
    } else {
        v.join(", ")
    }
}
