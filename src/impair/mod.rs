//! Link impairments in a running lab's namespaces. netem does everything where the kernel
//! has it. Without netem (this project's CI kernel), rate is a tbf qdisc and loss an
//! iptables `statistic` rule in the router's namespace; delay and jitter have no substitute
//! and are refused before anything is built. Both ends of a link get the same settings, so
//! each direction is impaired once (a ping's round trip crosses the link twice).
//!
//! What the kernel can do is probed, not guessed: the commands are tried in a scratch
//! namespace of this process's own (gone when the probe ends).

use crate::config::impair::Impairment;
use crate::config::{Interface, Lab};
use crate::runner::InRouter;
use std::os::fd::OwnedFd;
use std::sync::{Arc, OnceLock};

/// What this kernel (and the installed tools) can impair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Support {
    /// `tc qdisc … netem`: delay, jitter, loss and rate.
    pub netem: bool,
    /// `tc qdisc … tbf`: rate.
    pub tbf: bool,
    /// `iptables -m statistic --mode random`: loss.
    pub statistic: bool,
}

impl Support {
    pub fn delay(&self) -> bool {
        self.netem
    }
    pub fn loss(&self) -> bool {
        self.netem || self.statistic
    }
    pub fn rate(&self) -> bool {
        self.netem || self.tbf
    }

    /// Why `imp` cannot be built here (a message for exit 2), or None.
    pub fn refusal(&self, imp: &Impairment) -> Option<String> {
        if imp.needs_netem() && !self.delay() {
            return Some(
                "delay_ms and jitter_ms need the kernel's netem qdisc (sch_netem), which this kernel does not have \
                 (`tc qdisc add … netem` fails); remove delay_ms/jitter_ms, or run on a kernel with \
                 CONFIG_NET_SCH_NETEM (`nsbgp doctor` lists what this one supports)"
                    .into(),
            );
        }
        if imp.loss_pct > 0.0 && !self.loss() {
            return Some(
                "loss_pct needs netem or iptables' statistic match, and neither works here; install iptables \
                 (`apt-get install iptables`, or scripts/install-deps.sh) or remove loss_pct"
                    .into(),
            );
        }
        if imp.rate_mbit > 0.0 && !self.rate() {
            return Some(
                "rate_mbit needs the kernel's tbf or netem qdisc, and neither works here; remove rate_mbit".into(),
            );
        }
        None
    }
}

/// The kernel's support, probed once per process.
pub fn support() -> Support {
    static S: OnceLock<Support> = OnceLock::new();
    *S.get_or_init(probe)
}

fn probe() -> Support {
    let Ok(fd) = scratch_netns() else {
        return Support {
            netem: false,
            tbf: false,
            statistic: false,
        };
    };
    let fd = Arc::new(fd);
    let ok = |prog: &str, args: &[&str]| run(&fd, prog, args).is_ok();
    Support {
        netem: ok("tc", &["qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]),
        tbf: ok(
            "tc",
            &[
                "qdisc", "replace", "dev", "lo", "root", "tbf", "rate", "1mbit", "burst", "4000", "latency", "100ms",
            ],
        ),
        statistic: ok(
            "iptables",
            &[
                "-t",
                "mangle",
                "-A",
                "POSTROUTING",
                "-m",
                "statistic",
                "--mode",
                "random",
                "--probability",
                "0.5",
                "-j",
                "DROP",
            ],
        ),
    }
}

/// A new, empty network namespace held only by the returned fd (made on a thread of its
/// own: `unshare` changes the calling thread).
fn scratch_netns() -> std::io::Result<OwnedFd> {
    std::thread::spawn(|| -> std::io::Result<OwnedFd> {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)?;
        Ok(std::fs::File::open("/proc/thread-self/ns/net")?.into())
    })
    .join()
    .map_err(|_| std::io::Error::other("probe thread panicked"))?
}

/// Runs `prog args` in the namespace `fd`; Err carries what it printed.
fn run(fd: &Arc<OwnedFd>, prog: &str, args: &[&str]) -> Result<(), String> {
    let out = InRouter::new(prog)
        .args(args)
        .netns_shared(fd.clone())
        .stdin(std::process::Stdio::null())
        .command()
        .output()
        .map_err(|e| format!("cannot run {prog}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "`{prog} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    ))
}

/// The iptables chain that holds an interface's loss rule (ifindexes are fixed per router).
pub fn loss_chain(iface: &Interface) -> String {
    format!("nsbgp-loss-{}", iface.ifindex)
}

/// One command of [`commands`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    pub prog: &'static str,
    pub args: Vec<String>,
    pub on_fail: OnFail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFail {
    /// The setting failed.
    Error,
    /// Expected when there is nothing to remove or it exists already.
    Ignore,
    /// A `-C` check: when it fails, run the same rule with `-A`.
    Append,
}

/// The commands that set `imp` on the router end `iface`, in order; `imp` replaces whatever
/// was set before.
pub fn commands(iface: &Interface, imp: &Impairment, s: &Support) -> Vec<Cmd> {
    let dev = iface.name.clone();
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    let mut cmds = Vec::new();
    let qdisc = |kind: Vec<String>| {
        let mut a = v(&["qdisc", "replace", "dev", &dev, "root"]);
        a.extend(kind);
        a
    };
    if s.netem {
        if imp.is_none() {
            cmds.push(cmd("tc", v(&["qdisc", "del", "dev", &dev, "root"]), OnFail::Ignore));
        } else {
            let mut k = v(&["netem"]);
            if imp.delay_ms > 0 {
                k.extend(v(&["delay", &format!("{}ms", imp.delay_ms)]));
                if imp.jitter_ms > 0 {
                    k.push(format!("{}ms", imp.jitter_ms));
                }
            }
            if imp.loss_pct > 0.0 {
                k.extend(v(&["loss", &format!("{}%", imp.loss_pct)]));
            }
            if imp.rate_mbit > 0.0 {
                k.extend(v(&["rate", &format!("{}kbit", imp.rate_kbit())]));
            }
            cmds.push(cmd("tc", qdisc(k), OnFail::Error));
        }
        return cmds;
    }
    if imp.rate_mbit > 0.0 {
        cmds.push(cmd(
            "tc",
            qdisc(v(&[
                "tbf",
                "rate",
                &format!("{}kbit", imp.rate_kbit()),
                "burst",
                &tbf_burst(imp).to_string(),
                "latency",
                "100ms",
            ])),
            OnFail::Error,
        ));
    } else {
        cmds.push(cmd("tc", v(&["qdisc", "del", "dev", &dev, "root"]), OnFail::Ignore));
    }
    let chain = loss_chain(iface);
    let ipt = |a: &[&str]| {
        let mut x = v(&["-w", "5", "-t", "mangle"]);
        x.extend(v(a));
        x
    };
    // The chain and its hook may exist from an earlier setting: creating them again fails,
    // harmlessly; flushing then leaves exactly the rule for this setting.
    cmds.push(cmd("iptables", ipt(&["-N", &chain]), OnFail::Ignore));
    cmds.push(cmd(
        "iptables",
        ipt(&["-C", "POSTROUTING", "-o", &dev, "-j", &chain]),
        OnFail::Append,
    ));
    cmds.push(cmd("iptables", ipt(&["-F", &chain]), OnFail::Error));
    if imp.loss_pct > 0.0 {
        cmds.push(cmd(
            "iptables",
            ipt(&[
                "-A",
                &chain,
                "-m",
                "statistic",
                "--mode",
                "random",
                "--probability",
                &format!("{}", imp.loss_pct / 100.0),
                "-j",
                "DROP",
            ]),
            OnFail::Error,
        ));
    }
    cmds
}

fn cmd(prog: &'static str, args: Vec<String>, on_fail: OnFail) -> Cmd {
    Cmd { prog, args, on_fail }
}

/// tbf's bucket: 10 ms at the rate, and at least two full-size frames (a smaller bucket
/// than one frame would pass nothing).
pub fn tbf_burst(imp: &Impairment) -> u64 {
    (imp.rate_kbit() * 1000 / 8 / 100).max(3028)
}

/// Sets `imp` on router end `iface` inside the namespace `fd`.
pub fn apply_end(fd: &Arc<OwnedFd>, router: &str, iface: &Interface, imp: &Impairment) -> Result<(), String> {
    let s = support();
    if let Some(why) = s.refusal(imp) {
        return Err(why);
    }
    for Cmd { prog, args, on_fail } in commands(iface, imp, &s) {
        let args: Vec<&str> = args.iter().map(|a| a.as_str()).collect();
        // The hook exists (-C succeeded) or is added now.
        let res = match (run(fd, prog, &args), on_fail) {
            (Err(_), OnFail::Append) => {
                let add: Vec<&str> = args.iter().map(|&a| if a == "-C" { "-A" } else { a }).collect();
                run(fd, prog, &add)
            }
            (Err(e), OnFail::Error) => Err(e),
            _ => Ok(()),
        };
        res.map_err(|e| format!("{router} {}: {e}", iface.name))?;
    }
    Ok(())
}

/// Sets `imp` on both ends of link `link` (1-based); `fd_of(router)` opens a router's namespace.
pub fn apply_link(
    lab: &Lab,
    link: usize,
    imp: &Impairment,
    fd_of: &dyn Fn(usize) -> Result<Arc<OwnedFd>, String>,
) -> Result<(), String> {
    let l = lab
        .links
        .get(link.wrapping_sub(1))
        .ok_or_else(|| format!("lab {} has no link {link}", lab.name))?;
    for r in [l.a, l.b] {
        let iface = lab
            .interface_on(r, link)
            .ok_or_else(|| format!("{} has no interface on link {link}", lab.routers[r].name))?;
        apply_end(&fd_of(r)?, &lab.routers[r].name, iface, imp)?;
    }
    Ok(())
}

/// The first impairment of `lab` this kernel cannot build, as a message for exit 2.
pub fn refusal(lab: &Lab) -> Option<String> {
    let imps: Vec<_> = lab.impairments.iter().collect();
    if imps.is_empty() {
        return None;
    }
    let s = support();
    imps.iter().find_map(|li| {
        let l = &lab.links[li.link - 1];
        s.refusal(&li.set).map(|why| {
            format!(
                "link {} ({} — {}): {why}",
                li.link, lab.routers[l.a].name, lab.routers[l.b].name
            )
        })
    })
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
