//! Command-line interface (clap derive) and dispatch. Exit codes: 0 success, 1 runtime
//! failure, 2 bad input (nothing on the system changed).

use crate::config::{LabName, MAX_ROUTERS};
use crate::lab::LabError;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

fn routers_range() -> clap::builder::RangedI64ValueParser<i64> {
    clap::value_parser!(i64).range(1..=MAX_ROUTERS as i64)
}

/// Seconds as a finite number in `lo..=hi`: NaN, infinities, negatives and zero are input
/// errors before anything is built (a NaN timeout once panicked after `up` had built a lab).
fn secs(s: &str, lo: f64, hi: f64) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !v.is_finite() || v < lo || v > hi {
        return Err(format!("{s} is outside {lo} … {hi} seconds"));
    }
    Ok(v)
}

fn timeout_secs(s: &str) -> Result<f64, String> {
    secs(s, 0.001, 86_400.0)
}

fn watch_secs(s: &str) -> Result<f64, String> {
    secs(s, 0.1, 3600.0)
}

#[derive(Debug, Parser)]
#[command(
    name = "nsbgp",
    version,
    about = "A laboratory of real BGP routers (FRR or BIRD 2) on one Linux host, in any topology"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring up a lab: namespaces, veth links, chroots, and each router's daemons (FRR's zebra and bgpd, or BIRD).
    Up {
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
        /// Override the file's router count (1 … 2000).
        #[arg(long, value_parser = routers_range())]
        routers: Option<i64>,
        /// Override the file's lab name.
        #[arg(long)]
        lab: Option<LabName>,
        /// Wait until BGP has converged everywhere.
        #[arg(long)]
        wait: bool,
        /// With --wait: give up after this many seconds (exit 1); up to 86400.
        #[arg(long, requires = "wait", value_parser = timeout_secs)]
        timeout: Option<f64>,
        /// Start even when the lab's memory estimate exceeds MemAvailable.
        #[arg(long)]
        ignore_memory: bool,
        /// Start the routers from the config files `nsbgp save` wrote into DIR instead of rendering them.
        #[arg(long, value_name = "DIR")]
        configs: Option<PathBuf>,
    },
    /// Take a lab down and remove everything it created.
    Down {
        #[arg(short = 'c', long = "config", conflicts_with_all = ["lab", "all"])]
        config: Option<PathBuf>,
        #[arg(long, conflicts_with = "all")]
        lab: Option<LabName>,
        /// Every lab nsbgp knows of.
        #[arg(long)]
        all: bool,
        /// Show what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Running labs with router count and state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Write every router's configs (FRR's or BIRD's) into a directory (no root, no system changes).
    Render {
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        #[arg(long, value_parser = routers_range())]
        routers: Option<i64>,
        #[arg(long)]
        lab: Option<LabName>,
    },
    /// Preflight checks of this host, each with a fix hint.
    Doctor {
        /// Also check the host can hold this lab (memory, limits).
        #[arg(short = 'c', long = "config")]
        config: Option<PathBuf>,
    },
    /// Start a router's daemon(s) again in the same namespace and chroot.
    Restart {
        router: String,
        #[arg(default_value = "all", value_parser = ["bgpd", "zebra", "bird", "all"])]
        daemon: String,
        #[arg(long)]
        lab: Option<LabName>,
    },
    /// Run a program inside a router's network namespace (as `ip netns exec` does).
    Exec {
        router: String,
        #[arg(long)]
        lab: Option<LabName>,
        #[arg(last = true, required = true)]
        program: Vec<String>,
    },
    /// tcpdump in a router's namespace: pcap to -w FILE (never overwritten) or to stdout when piped (`| wireshark -k -i -`), text at a terminal.
    Capture {
        router: String,
        #[arg(long)]
        lab: Option<LabName>,
        /// Only the link to this neighbour.
        #[arg(long, value_name = "NEIGHBOR", conflicts_with = "interface")]
        to: Option<String>,
        /// An interface of the router (default: any).
        #[arg(short = 'i', long, value_name = "IFACE")]
        interface: Option<String>,
        /// Write pcap to FILE (it must not exist).
        #[arg(short = 'w', value_name = "FILE")]
        write: Option<PathBuf>,
        /// Stop after N packets.
        #[arg(short = 'c', value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        count: Option<u64>,
        /// A tcpdump filter, e.g. `-- tcp port 179`.
        #[arg(last = true)]
        filter: Vec<String>,
    },
    /// Save every router's running configuration (FRR: each daemon's `show running-config`; BIRD: the config it loaded) into a new DIR, for `up --configs DIR`.
    Save {
        #[arg(long)]
        lab: Option<LabName>,
        #[arg(short = 'o', value_name = "DIR")]
        out: PathBuf,
    },
    /// Open $SHELL inside a router's network namespace.
    Shell {
        router: String,
        #[arg(long)]
        lab: Option<LabName>,
    },
    /// Convergence report: per router daemons, sessions, prefixes, default route, timing.
    Status {
        #[arg(long)]
        lab: Option<LabName>,
        #[arg(long)]
        json: bool,
        /// Refresh every SECS seconds (default 1, 0.1 … 3600) until Ctrl-C.
        #[arg(long, num_args = 0..=1, default_missing_value = "1", value_name = "SECS", value_parser = watch_secs)]
        watch: Option<f64>,
        /// Every router, also in large labs (which otherwise show only those not converged).
        #[arg(long)]
        all: bool,
        /// When each router's sessions came up, it had the default route, it converged.
        #[arg(long)]
        timeline: bool,
    },
    /// Interactive session on a router's vty (FRR) or control socket (BIRD) (Ctrl-] leaves).
    Attach {
        router: String,
        /// Only this daemon. Default: on FRR routers the session is bgpd's and commands bgpd
        /// does not know (`show ip route`, `show interface`) go to zebra, as in vtysh; on BIRD
        /// routers, bird's control socket.
        #[arg(value_parser = ["bgpd", "zebra", "bird"])]
        daemon: Option<String>,
        #[arg(long)]
        lab: Option<LabName>,
    },
    /// Run vty commands on a router (or `all`) and print their output; BIRD routers run them
    /// on their control socket.
    Vty {
        router: String,
        #[arg(long)]
        lab: Option<LabName>,
        /// Send every command to this daemon; without it, on FRR routers each goes to the
        /// daemon that knows it (as vtysh does: `show ip route` to zebra, `show ip bgp …` to
        /// bgpd); BIRD routers always run them on bird's control socket.
        #[arg(short = 'd', long = "daemon", value_parser = ["bgpd", "zebra", "bird"])]
        daemon: Option<String>,
        #[arg(short = 'c', long = "command", required = true)]
        commands: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Traceroute inside a router's namespace; hops mapped to routers.
    Trace {
        #[arg(long)]
        from: String,
        /// `world`, a router (name, index, ASnnn) or an address of the lab.
        #[arg(long)]
        to: String,
        #[arg(long)]
        lab: Option<LabName>,
        /// Fail (exit 1) unless the trace has exactly N hops (0 … 255: IP's TTL is 8 bits).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=255))]
        expect_hops: Option<u16>,
        #[arg(long)]
        json: bool,
        /// Trace over IPv4 (the default where the lab has IPv4).
        #[arg(short = '4', conflicts_with = "ipv6")]
        ipv4: bool,
        /// Trace over IPv6 (the default in an IPv6-only lab).
        #[arg(short = '6')]
        ipv6: bool,
    },
    /// The hop-count test suite: traces across the lab against the graph's hop counts.
    Check {
        #[arg(long)]
        lab: Option<LabName>,
        #[arg(long)]
        json: bool,
        /// Trace from K routers spread evenly over the router numbers (first and last included) instead of all.
        #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=crate::config::MAX_ROUTERS as i64))]
        sample: Option<u32>,
        /// Internet labs: compare every router's best routes (read from its daemon) with the policy's prediction and check they are valley-free, instead of tracing.
        #[arg(long, conflicts_with = "sample")]
        policy: bool,
    },
    /// Route-propagation experiment: steps, kernel-timed arrivals per router, results dir.
    Experiment {
        file: PathBuf,
        #[arg(long)]
        lab: Option<LabName>,
        /// Runs (overrides the file's `repeat`), 1 … 1000.
        #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..=1000))]
        repeat: Option<u32>,
        /// Results directory (default results/{experiment}-{timestamp}); never overwritten.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Draw the topology: routers coloured by state, AS numbers on nodes, prefixes on links.
    Graph {
        /// A running lab (default: the only one running); its routers are coloured by state.
        #[arg(long, conflicts_with = "config")]
        lab: Option<LabName>,
        /// A lab file instead of a running lab.
        #[arg(short = 'c', long = "config")]
        config: Option<PathBuf>,
        /// Output file (never overwritten).
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        /// svg, dot, or json (routers and links as data: README, "nsbgp graph").
        #[arg(long, default_value = "svg", value_parser = ["svg", "dot", "json"])]
        format: String,
    },
    /// Run FRR's vtysh against an FRR router (inside its namespace and chroot).
    Vtysh {
        router: String,
        #[arg(long)]
        lab: Option<LabName>,
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Write the lab as a containerlab topology plus each router's config files (FRR: frr.conf and daemons; BIRD: bird.conf).
    Export {
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
        #[arg(long, value_parser = ["containerlab"])]
        format: String,
        /// New directory for the files (never overwritten).
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: PathBuf,
        /// Container image of every FRR router (default: quay.io/frrouting/frr matching the host's FRR).
        #[arg(long, value_name = "IMG")]
        image: Option<String>,
        /// Container image of every BIRD router (default: ghcr.io/srl-labs/bird:2.13).
        #[arg(long, value_name = "IMG")]
        bird_image: Option<String>,
    },
    /// Turn a containerlab topology (*.clab.yml), or with `--format caida` a CAIDA
    /// AS-relationship file (plain or .bz2), into an nsbgp lab file.
    Import {
        file: PathBuf,
        /// The lab file to write (never overwritten).
        #[arg(short = 'o', long = "out", value_name = "LAB.toml")]
        out: PathBuf,
        /// Lab name (default: the topology's name; caida-N for CAIDA files).
        #[arg(long)]
        name: Option<String>,
        /// What FILE is (default: containerlab).
        #[arg(long, value_parser = ["containerlab", "caida"])]
        format: Option<String>,
        /// CAIDA: how many ASes the lab has (1 … 2000): by default those with the largest
        /// customer cones, the tier-1 clique included, connected.
        #[arg(long = "routers", value_name = "N", value_parser = routers_range(), required_if_eq("format", "caida"))]
        as_count: Option<i64>,
        /// CAIDA: this AS and its nearest neighbourhood (breadth-first) instead.
        #[arg(long, value_name = "ASN")]
        around: Option<u32>,
        /// containerlab: the node that originates the default route (default: the first
        /// router node).
        #[arg(long, value_name = "NODE")]
        origin: Option<String>,
        /// containerlab: a node that is a router whatever its kind or image (e.g. a custom
        /// FRR or BIRD image); repeatable.
        #[arg(long = "router", value_name = "NODE")]
        routers: Vec<String>,
        /// containerlab: a node to leave out; repeatable.
        #[arg(long = "skip", value_name = "NODE")]
        skip: Vec<String>,
    },
    /// Print a shell completion script (bash, zsh or fish).
    Completions {
        #[arg(value_parser = ["bash", "zsh", "fish"])]
        shell: String,
    },
    /// Print the nsbgp(1) man page, or write it and one page per subcommand into DIR.
    Man {
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

pub async fn run(cli: Cli) -> Result<(), LabError> {
    use crate::commands as c;
    match cli.command {
        Command::Up {
            config,
            routers,
            lab,
            wait,
            timeout,
            ignore_memory,
            configs,
        } => {
            c::up::up(
                &config,
                c::overrides(routers, lab),
                wait,
                timeout,
                ignore_memory,
                configs.as_deref(),
            )
            .await
        }
        Command::Down {
            config,
            lab,
            all,
            dry_run,
        } => c::down::down(config, lab, all, dry_run).await,
        Command::List { json } => c::list::list(json).await,
        Command::Render {
            config,
            out,
            routers,
            lab,
        } => c::render::render(&config, &out, c::overrides(routers, lab)),
        Command::Graph {
            lab,
            config,
            out,
            format,
        } => c::graph::graph(lab.as_ref(), config.as_deref(), &out, &format).await,
        Command::Doctor { config } => c::doctor::doctor(config.as_deref()).await,
        Command::Restart { router, daemon, lab } => c::restart::restart(lab.as_ref(), &router, &daemon).await,
        Command::Exec { router, lab, program } => c::exec::exec(lab.as_ref(), &router, &program),
        Command::Capture {
            router,
            lab,
            to,
            interface,
            write,
            count,
            filter,
        } => c::capture::capture(
            lab.as_ref(),
            c::capture::Options {
                router: &router,
                to: to.as_deref(),
                iface: interface.as_deref(),
                write: write.as_deref(),
                count,
                filter: &filter,
            },
        ),
        Command::Save { lab, out } => c::save::save(lab.as_ref(), &out).await,
        Command::Shell { router, lab } => {
            let shell = std::env::var("SHELL").unwrap_or_else(|_| "/bin/bash".into());
            c::exec::exec(lab.as_ref(), &router, &[shell])
        }
        Command::Vtysh { router, lab, args } => c::vtysh::vtysh(lab.as_ref(), &router, &args),
        Command::Trace {
            from,
            to,
            lab,
            expect_hops,
            json,
            ipv4,
            ipv6,
        } => {
            let family = match (ipv4, ipv6) {
                (true, _) => Some(crate::config::Family::Ipv4),
                (_, true) => Some(crate::config::Family::Ipv6),
                _ => None,
            };
            c::trace::trace(lab.as_ref(), &from, &to, expect_hops.map(usize::from), json, family).await
        }
        Command::Experiment { file, lab, repeat, out } => {
            let repeat = repeat.map(|r| r as usize);
            let o = crate::experiment::run_file(&file, crate::experiment::Options { lab, repeat, out }).await?;
            print!("{}", crate::experiment::table(&o));
            match crate::experiment::missing_message(&o) {
                Some(msg) => Err(LabError::Runtime(msg)),
                None => Ok(()),
            }
        }
        Command::Check {
            lab,
            json,
            policy: true,
            ..
        } => c::check::check_policy(lab.as_ref(), json).await,
        Command::Check { lab, json, sample, .. } => {
            c::check::check(lab.as_ref(), json, sample.map(|s| s as usize)).await
        }
        Command::Status {
            lab,
            json,
            watch,
            all,
            timeline,
        } => c::status::status(lab.as_ref(), json, watch, all, timeline).await,
        Command::Attach { router, daemon, lab } => c::attach::attach(lab.as_ref(), &router, daemon.as_deref()).await,
        Command::Vty {
            router,
            lab,
            daemon,
            commands,
            json,
        } => c::vty::vty(lab.as_ref(), &router, daemon.as_deref(), &commands, json).await,
        Command::Export {
            config,
            format,
            out,
            image,
            bird_image,
        } => c::export::export(&config, &format, &out, image.as_deref(), bird_image.as_deref()),
        Command::Import {
            file,
            out,
            name,
            format,
            as_count,
            around,
            origin,
            routers,
            skip,
        } => {
            if format.as_deref() == Some("caida") {
                let clab_only = [
                    ("--origin", origin.is_some()),
                    ("--router", !routers.is_empty()),
                    ("--skip", !skip.is_empty()),
                ];
                if let Some((flag, _)) = clab_only.iter().find(|f| f.1) {
                    return Err(LabError::Input(format!(
                        "{flag} is for containerlab topologies, not --format caida; remove it"
                    )));
                }
                let n = as_count.expect("clap requires --routers with --format caida") as usize;
                return c::import::import_caida(&file, &out, name, n, around);
            }
            if let Some((flag, _)) = [("--routers", as_count.is_some()), ("--around", around.is_some())]
                .iter()
                .find(|f| f.1)
            {
                return Err(LabError::Input(format!(
                    "{flag} is for CAIDA files: add --format caida (containerlab topologies keep all their nodes)"
                )));
            }
            c::import::import(
                &file,
                &out,
                crate::clab::import::Options {
                    name,
                    origin,
                    routers,
                    skip,
                },
            )
        }
        Command::Completions { shell } => {
            let shell = match shell.as_str() {
                "bash" => clap_complete::Shell::Bash,
                "zsh" => clap_complete::Shell::Zsh,
                _ => clap_complete::Shell::Fish,
            };
            c::completions::completions(<Cli as clap::CommandFactory>::command(), shell)
        }
        Command::Man { out } => c::completions::man(<Cli as clap::CommandFactory>::command(), out.as_deref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Table-driven: each command line parses (or fails) as the contract says.
    #[test]
    fn command_lines() {
        let ok: &[&[&str]] = &[
            &["up", "-c", "configs/chain-3.toml"],
            &[
                "up",
                "-c",
                "f.toml",
                "--routers",
                "10",
                "--lab",
                "x",
                "--wait",
                "--timeout",
                "30",
            ],
            &["up", "-c", "f.toml", "--ignore-memory", "--routers", "2000"],
            &["status", "--watch", "0.5"],
            &["trace", "--from", "1", "--to", "1", "--expect-hops", "0"],
            &["down", "-c", "f.toml"],
            &["down", "--lab", "x"],
            &["down", "--all", "--dry-run"],
            &["list"],
            &["render", "-c", "f.toml", "-o", "out"],
            &["doctor"],
            &["restart", "ROUTER_1", "bgpd"],
            &["exec", "ROUTER_2", "--", "ip", "-br", "addr"],
            &["shell", "5"],
            &["vtysh", "AS101", "--", "-c", "show ip bgp summary"],
            &["status"],
            &["trace", "--from", "ROUTER_99", "--to", "world", "--expect-hops", "99"],
            &["trace", "--from", "5", "--to", "AS101", "--lab", "x", "--json"],
            &["check"],
            &["experiment", "configs/experiments/announce-chain-100.toml"],
            &["experiment", "e.toml", "--lab", "x", "--repeat", "5", "--out", "r"],
            &["check", "--lab", "x", "--json", "--sample", "10"],
            &["status", "--lab", "x", "--json"],
            &["status", "--watch"],
            &["status", "--watch", "2", "--all"],
            &["status", "--timeline", "--json"],
            &["attach", "ROUTER_5"],
            &["attach", "50", "zebra", "--lab", "x"],
            &["vty", "ROUTER_1", "-c", "show ip bgp summary"],
            &[
                "vty",
                "all",
                "-d",
                "zebra",
                "-c",
                "show ip route",
                "-c",
                "show interface",
                "--json",
            ],
            &["export", "-c", "f.toml", "--format", "containerlab", "-o", "d"],
            &[
                "export",
                "-c",
                "f.toml",
                "--format",
                "containerlab",
                "-o",
                "d",
                "--image",
                "x:1",
            ],
            &["import", "t.clab.yml", "-o", "lab.toml"],
            &["import", "t.clab.yml", "-o", "lab.toml", "--format", "containerlab"],
            &[
                "import",
                "as-rel.txt.bz2",
                "-o",
                "l.toml",
                "--format",
                "caida",
                "--routers",
                "20",
            ],
            &[
                "import",
                "as-rel.txt",
                "-o",
                "l.toml",
                "--format",
                "caida",
                "--routers",
                "50",
                "--around",
                "3356",
                "--name",
                "n",
            ],
            &["graph", "-c", "f.toml", "-o", "g.json", "--format", "json"],
            &[
                "import",
                "t.clab.yml",
                "-o",
                "lab.toml",
                "--name",
                "n",
                "--origin",
                "r1",
            ],
            &["completions", "bash"],
            &["completions", "zsh"],
            &["completions", "fish"],
            &["man"],
            &["man", "-o", "dir"],
        ];
        for args in ok {
            let v: Vec<&str> = std::iter::once("nsbgp").chain(args.iter().copied()).collect();
            Cli::try_parse_from(&v).unwrap_or_else(|e| panic!("{v:?}: {e}"));
        }
        let bad: &[&[&str]] = &[
            &["up"],
            &["up", "-c", "f", "--timeout", "3"],
            &["down", "--lab", "x", "--all"],
            &["down", "-c", "f", "--lab", "x"],
            &["restart", "R", "ospfd"],
            &["exec", "R"],
            &["frobnicate"],
            &["status", "--watch", "x"],
            &["trace", "--from", "1"],
            &["trace", "--from", "1", "--to", "world", "--expect-hops", "-1"],
            &["check", "--sample", "many"],
            &["experiment"],
            &["experiment", "e.toml", "--repeat", "-2"],
            &["attach", "R", "ospfd"],
            &["vty", "R"],
            &["vty", "R", "-d", "ripd", "-c", "x"],
            // Lab names are one harmless path component.
            &["down", "--lab", ".."],
            &["down", "--lab", "."],
            &["down", "--lab", ""],
            &["down", "--lab", "/abs"],
            &["down", "--lab", "a/b"],
            &["down", "--lab", "x/.."],
            &["down", "--lab", "lab name"],
            &["status", "--lab", "läb"],
            // Numbers: NaN, infinities, negatives, zero where meaningless, absurd sizes.
            &["up", "-c", "f", "--wait", "--timeout", "nan"],
            &["up", "-c", "f", "--wait", "--timeout", "inf"],
            &["up", "-c", "f", "--wait", "--timeout", "-1"],
            &["up", "-c", "f", "--wait", "--timeout", "0"],
            &["up", "-c", "f", "--wait", "--timeout", "1e300"],
            &["up", "-c", "f", "--routers", "0"],
            &["up", "-c", "f", "--routers", "-1"],
            &["up", "-c", "f", "--routers", "500000000"],
            &["render", "-c", "f", "-o", "o", "--routers", "2001"],
            &["status", "--watch", "nan"],
            &["status", "--watch", "1e300"],
            &["status", "--watch", "0"],
            &["status", "--watch", "-inf"],
            &["check", "--sample", "0"],
            &["check", "--sample", "-1"],
            &["check", "--sample", "99999999999"],
            &["experiment", "e.toml", "--repeat", "0"],
            &["experiment", "e.toml", "--repeat", "1e300"],
            &["trace", "--from", "1", "--to", "world", "--expect-hops", "256"],
            &["trace", "--from", "1", "--to", "world", "--expect-hops", "nan"],
            &["export", "-c", "f.toml", "-o", "d"],
            &["export", "-c", "f.toml", "--format", "netlab", "-o", "d"],
            &["export", "--format", "containerlab", "-o", "d"],
            &["import", "t.clab.yml"],
            &["import", "as-rel.txt", "-o", "l.toml", "--format", "caida"],
            &[
                "import",
                "as-rel.txt",
                "-o",
                "l.toml",
                "--format",
                "caida",
                "--routers",
                "0",
            ],
            &[
                "import",
                "as-rel.txt",
                "-o",
                "l.toml",
                "--format",
                "caida",
                "--routers",
                "2001",
            ],
            &[
                "import",
                "as-rel.txt",
                "-o",
                "l.toml",
                "--format",
                "rpsl",
                "--routers",
                "5",
            ],
            &[
                "import",
                "as-rel.txt",
                "-o",
                "l.toml",
                "--format",
                "caida",
                "--routers",
                "5",
                "--around",
                "-1",
            ],
            &["graph", "-c", "f.toml", "-o", "g.x", "--format", "png"],
            &["completions", "powershell"],
            &["completions"],
        ];
        for args in bad {
            let v: Vec<&str> = std::iter::once("nsbgp").chain(args.iter().copied()).collect();
            let e = Cli::try_parse_from(&v).expect_err(&format!("{v:?} should fail"));
            assert_eq!(e.exit_code(), 2, "{v:?}");
        }
    }
}
