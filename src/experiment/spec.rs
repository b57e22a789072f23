//! Experiment files (TOML): what to do to a lab, step by step, and which prefix to time.
//! Parsing checks the file on its own; `resolve` checks it against the lab (routers exist,
//! links are adjacent, prefixes are safe and do not collide with the lab's address plan).

use crate::config::impair::{ImpairKeys, Impairment};
use crate::config::{Daemon, Family, Lab};
use ipnet::{IpNet, Ipv4Net};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {place}{key}: {problem}\n  fix: {fix}")]
pub struct SpecError {
    pub file: String,
    /// "step 3: " or "".
    pub place: String,
    pub key: String,
    pub problem: String,
    pub fix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    name: Option<String>,
    description: Option<String>,
    lab: Option<PathBuf>,
    /// Optional when a step is a hijack or a leak: then the victim's prefix is measured.
    measure: Option<String>,
    repeat: Option<i64>,
    timeout_s: Option<f64>,
    measure_step: Option<i64>,
    #[serde(default, rename = "step")]
    steps: Vec<StepFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    action: String,
    router: Option<String>,
    prefix: Option<String>,
    routers: Option<Vec<String>>,
    daemon: Option<String>,
    seconds: Option<f64>,
    until: Option<String>,
    delay_ms: Option<i64>,
    jitter_ms: Option<i64>,
    loss_pct: Option<f64>,
    rate_mbit: Option<f64>,
    victim: Option<String>,
    more_specific: Option<bool>,
}

/// What is timed at every router: a prefix, or the default route of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// `"default"` (None: the lab's first family, IPv4 where it has it; `resolve` fills it
    /// in), `"0.0.0.0/0"` or `"::/0"`.
    Default(Option<Family>),
    Prefix(IpNet),
    /// Not written in the file: the prefix of the first hijack's or leak's victim (the half
    /// a more-specific hijack announces). `resolve` turns it into `Prefix`.
    Victim,
}

impl Measure {
    pub fn family(&self) -> Family {
        match self {
            Measure::Default(f) => f.unwrap_or(Family::Ipv4),
            Measure::Prefix(p) => Family::of_net(*p),
            // Hijacks and leaks run in internet labs, which are IPv4.
            Measure::Victim => Family::Ipv4,
        }
    }

    pub fn net(&self) -> IpNet {
        match self {
            Measure::Default(_) => self.family().default_route(),
            Measure::Prefix(p) => *p,
            // Only before `resolve`, which never leaves it.
            Measure::Victim => "0.0.0.0/0".parse().expect("valid"),
        }
    }
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Measure::Default(Some(Family::Ipv6)) => f.write_str("the IPv6 default route"),
            Measure::Default(_) => f.write_str("the default route"),
            Measure::Prefix(p) => write!(f, "{p}"),
            Measure::Victim => f.write_str("the victim's prefix"),
        }
    }
}

/// A step with router names as written (resolved to indexes by `resolve`).
#[derive(Debug, Clone, PartialEq)]
pub enum Step<R> {
    Announce {
        router: R,
        prefix: IpNet,
    },
    Withdraw {
        router: R,
        prefix: IpNet,
    },
    LinkDown {
        a: R,
        b: R,
    },
    LinkUp {
        a: R,
        b: R,
    },
    /// Sets the keys given on link a — b; the others keep their current values.
    Impair {
        a: R,
        b: R,
        keys: ImpairKeys,
    },
    Kill {
        router: R,
        daemon: Daemon,
    },
    Restart {
        router: R,
        daemon: Daemon,
    },
    /// `router` originates `victim`'s own prefix (internet labs), or with `more_specific` its
    /// lower half.
    Hijack {
        router: R,
        victim: R,
        more_specific: bool,
    },
    /// `router` re-exports its route to `victim`'s prefix to every neighbour, its export
    /// policy and its RFC 9234 roles ignored for that route.
    Leak {
        router: R,
        victim: R,
    },
    WaitSeconds(f64),
    WaitConverged,
}

impl<R> Step<R> {
    pub fn is_action(&self) -> bool {
        !matches!(self, Step::WaitSeconds(_) | Step::WaitConverged)
    }
}

#[derive(Debug, Clone)]
pub struct Spec<R> {
    pub file: String,
    pub name: String,
    pub description: Option<String>,
    /// Lab file to bring up (relative paths are relative to the experiment file).
    pub lab: Option<PathBuf>,
    pub measure: Measure,
    pub repeat: usize,
    pub timeout: Duration,
    /// Index (0-based) of the step whose effect is summarised.
    pub measure_step: usize,
    pub steps: Vec<Step<R>>,
}

fn err(file: &str, step: Option<usize>, key: &str, problem: impl Into<String>, fix: impl Into<String>) -> SpecError {
    SpecError {
        file: file.into(),
        place: step.map_or(String::new(), |i| format!("step {}: ", i + 1)),
        key: key.into(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

pub fn load(path: &Path) -> Result<Spec<String>, SpecError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        err(
            &file,
            None,
            "file",
            format!("cannot read it: {e}"),
            "check the path (examples are in configs/experiments/)",
        )
    })?;
    let mut spec = parse(&file, &text)?;
    if spec.name.is_empty() {
        spec.name = path
            .file_stem()
            .map_or("experiment".into(), |s| s.to_string_lossy().into_owned());
    }
    if let Some(l) = &spec.lab {
        if l.is_relative() {
            spec.lab = Some(path.parent().unwrap_or(Path::new(".")).join(l));
        }
    }
    Ok(spec)
}

pub fn parse(file: &str, text: &str) -> Result<Spec<String>, SpecError> {
    let f: SpecFile = toml::from_str(text).map_err(|e| {
        err(
            file,
            None,
            "toml",
            e.to_string().trim_end().replace('\n', "\n  "),
            "see configs/experiments/README.md for the format",
        )
    })?;
    let measure = match f.measure.as_deref() {
        None => Measure::Victim,
        Some("default") => Measure::Default(None),
        Some(p) => match p.parse::<IpNet>() {
            Ok(n) if n.prefix_len() == 0 => Measure::Default(Some(Family::of_net(n))),
            Ok(n) => Measure::Prefix(n.trunc()),
            Err(_) => {
                return Err(err(
                    file,
                    None,
                    "measure",
                    format!("{p:?} is not a prefix"),
                    "use \"default\" or a prefix such as \"203.0.113.0/24\" or \"2001:db8:42::/48\"",
                ))
            }
        },
    };
    if let Some(n) = &f.name {
        if n.is_empty()
            || !n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(err(
                file,
                None,
                "name",
                format!("{n:?} is not a plain name"),
                "use letters, digits, '-', '_' and '.' (it names the results directory)",
            ));
        }
    }
    let repeat = match f.repeat {
        None => 1,
        Some(r) if (1..=1000).contains(&r) => r as usize,
        Some(r) => {
            return Err(err(
                file,
                None,
                "repeat",
                format!("{r} is outside 1..=1000"),
                "use e.g. 5",
            ))
        }
    };
    let timeout_s = f.timeout_s.unwrap_or(60.0);
    if !(timeout_s > 0.0 && timeout_s <= 3600.0) {
        return Err(err(
            file,
            None,
            "timeout_s",
            format!("{timeout_s} is outside (0, 3600]"),
            "use e.g. 60",
        ));
    }
    if f.steps.is_empty() {
        return Err(err(
            file,
            None,
            "step",
            "no steps",
            "add [[step]] tables, e.g. action = \"announce\", router = \"ROUTER_0\", prefix = \"203.0.113.0/24\"",
        ));
    }
    let mut steps = Vec::new();
    for (i, s) in f.steps.iter().enumerate() {
        steps.push(parse_step(file, i, s)?);
    }
    if measure == Measure::Victim
        && !steps
            .iter()
            .any(|s| matches!(s, Step::Hijack { .. } | Step::Leak { .. }))
    {
        return Err(err(
            file,
            None,
            "measure",
            "missing: only a file with a hijack or leak step may leave it out (its victim's prefix is measured)",
            "add measure = \"203.0.113.0/24\" (a prefix a step announces) or measure = \"default\"",
        ));
    }
    let measure_step = match f.measure_step {
        Some(m) if m >= 1 && (m as usize) <= steps.len() && steps[m as usize - 1].is_action() => m as usize - 1,
        Some(m) => {
            return Err(err(
                file,
                None,
                "measure_step",
                format!("{m} is not the number of an action step"),
                format!("use the number (1..={}) of a step that is not a wait", steps.len()),
            ))
        }
        None => steps.iter().position(Step::is_action).ok_or_else(|| {
            err(
                file,
                None,
                "step",
                "only wait steps: nothing to measure",
                "add an action step",
            )
        })?,
    };
    Ok(Spec {
        file: file.into(),
        name: f.name.unwrap_or_default(),
        description: f.description,
        lab: f.lab,
        measure,
        repeat,
        timeout: Duration::from_secs_f64(timeout_s),
        measure_step,
        steps,
    })
}

fn parse_step(file: &str, i: usize, s: &StepFile) -> Result<Step<String>, SpecError> {
    let need = |key: &str, v: &Option<String>, fix: &str| {
        v.clone()
            .ok_or_else(|| err(file, Some(i), key, format!("`{}` needs `{key}`", s.action), fix))
    };
    let prefix = |v: &Option<String>| -> Result<IpNet, SpecError> {
        let p = need("prefix", v, "add prefix = \"203.0.113.0/24\"")?;
        p.parse::<IpNet>().map(|n| n.trunc()).map_err(|_| {
            err(
                file,
                Some(i),
                "prefix",
                format!("{p:?} is not an IPv4 or IPv6 prefix"),
                "use e.g. \"203.0.113.0/24\" or \"2001:db8:42::/48\"",
            )
        })
    };
    let daemon = || -> Result<Daemon, SpecError> {
        let d = need(
            "daemon",
            &s.daemon,
            "add daemon = \"bgpd\" (or \"zebra\"; \"bird\" on BIRD routers)",
        )?;
        Daemon::parse(&d).ok_or_else(|| {
            err(
                file,
                Some(i),
                "daemon",
                format!("unknown daemon {d:?}"),
                "use \"bgpd\" or \"zebra\" (FRR routers), \"bird\" (BIRD routers)",
            )
        })
    };
    let pair = || -> Result<(String, String), SpecError> {
        match s.routers.as_deref() {
            Some([a, b]) => Ok((a.clone(), b.clone())),
            _ => Err(err(
                file,
                Some(i),
                "routers",
                format!("`{}` needs the two routers at the ends of a link", s.action),
                "add routers = [\"ROUTER_4\", \"ROUTER_5\"]",
            )),
        }
    };
    let router = || {
        need(
            "router",
            &s.router,
            "add router = \"ROUTER_0\" (a name, an index or ASnnn)",
        )
    };
    Ok(match s.action.as_str() {
        "announce" => Step::Announce {
            router: router()?,
            prefix: prefix(&s.prefix)?,
        },
        "withdraw" => Step::Withdraw {
            router: router()?,
            prefix: prefix(&s.prefix)?,
        },
        "link_down" => {
            let (a, b) = pair()?;
            Step::LinkDown { a, b }
        }
        "link_up" => {
            let (a, b) = pair()?;
            Step::LinkUp { a, b }
        }
        "impair" => {
            let (a, b) = pair()?;
            let keys = ImpairKeys {
                delay_ms: s.delay_ms,
                jitter_ms: s.jitter_ms,
                loss_pct: s.loss_pct,
                rate_mbit: s.rate_mbit,
            };
            if keys.is_empty() {
                return Err(err(
                    file,
                    Some(i),
                    "impair",
                    "`impair` sets none of delay_ms, jitter_ms, loss_pct, rate_mbit",
                    "add e.g. loss_pct = 5 (0 removes that impairment)",
                ));
            }
            Step::Impair { a, b, keys }
        }
        "kill" => Step::Kill {
            router: router()?,
            daemon: daemon()?,
        },
        "restart" => Step::Restart {
            router: router()?,
            daemon: daemon()?,
        },
        "hijack" => Step::Hijack {
            router: router()?,
            victim: need(
                "victim",
                &s.victim,
                "add victim = \"AS64500\" (whose own prefix the router announces)",
            )?,
            more_specific: s.more_specific.unwrap_or(false),
        },
        "leak" => Step::Leak {
            router: router()?,
            victim: need(
                "victim",
                &s.victim,
                "add victim = \"AS64500\" (whose prefix the router leaks)",
            )?,
        },
        "wait" => match (s.seconds, s.until.as_deref()) {
            (Some(x), None) if x > 0.0 && x <= 3600.0 => Step::WaitSeconds(x),
            (None, Some("converged")) => Step::WaitConverged,
            _ => {
                return Err(err(
                    file,
                    Some(i),
                    "wait",
                    "a wait needs either seconds (0 < s ≤ 3600) or until = \"converged\"",
                    "write seconds = 5 or until = \"converged\"",
                ))
            }
        },
        other => {
            return Err(err(
                file,
                Some(i),
                "action",
                format!("unknown action {other:?}"),
                "use announce, withdraw, link_down, link_up, impair, kill, restart, hijack, leak or wait",
            ))
        }
    })
}

/// Link `link`'s (1-based) impairment as the lab file set it.
pub fn configured(lab: &Lab, link: usize) -> Impairment {
    lab.impairments
        .iter()
        .find(|li| li.link == link)
        .map_or_else(Impairment::default, |li| li.set)
}

/// The prefix a hijack of `victim` announces: the victim's own prefix (internet labs), or
/// with `more_specific` its lower half (one bit longer, same network address).
pub fn hijack_prefix(lab: &Lab, victim: usize, more_specific: bool) -> IpNet {
    let own = lab.policy.prefixes[victim];
    IpNet::V4(if more_specific {
        Ipv4Net::new(own.network(), own.prefix_len() + 1).expect("own prefixes are at most /28")
    } else {
        own
    })
}

/// Documentation and benchmarking ranges: the only IPv4 prefixes an experiment may announce
/// (IPv6: documentation 2001:db8::/32 or ULA fc00::/7, `Family::is_lab_space`).
const SAFE: &[&str] = &[
    "192.0.2.0/24",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "198.18.0.0/15",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
];

/// Checks the spec against the lab and resolves router names to indexes.
pub fn resolve(spec: &Spec<String>, lab: &Lab) -> Result<Spec<usize>, SpecError> {
    let file = spec.file.as_str();
    let router = |i: usize, key: &str, r: &str| {
        lab.resolve_router(r).ok_or_else(|| {
            err(
                file,
                Some(i),
                key,
                format!("lab {} has no router {r:?}", lab.name),
                format!(
                    "use {}0 … {}{} (or an index, or AS{} …)",
                    lab.router_prefix,
                    lab.router_prefix,
                    lab.routers.len() - 1,
                    lab.first_asn
                ),
            )
        })
    };
    let safe =
        |i: usize, p: &IpNet| -> Result<(), SpecError> {
            let family = Family::of_net(*p);
            if !lab.family.has(family) {
                return Err(err(
                    file,
                    Some(i),
                    "prefix",
                    format!(
                        "{p} is an {} prefix and lab {} has family = \"{}\" (no {} on its links)",
                        if family == Family::Ipv6 { "IPv6" } else { "IPv4" },
                        lab.name,
                        lab.family.name(),
                        if family == Family::Ipv6 { "IPv6" } else { "IPv4" },
                    ),
                    format!(
                    "announce a prefix of the lab's family, or set [addressing] family = \"dual\" in the lab file{}",
                    lab.source.as_ref().map_or(String::new(), |s| format!(" ({})", s.display()))
                ),
                ));
            }
            let inside = match p {
                IpNet::V4(p4) => SAFE.iter().any(|s| s.parse::<Ipv4Net>().expect("valid").contains(p4)),
                IpNet::V6(_) => Family::is_lab_space(*p),
            };
            // The lab's own space in the prefix's family: link pool and stub.
            let pool = match family {
                Family::Ipv4 => IpNet::V4(lab.link_pool),
                Family::Ipv6 => IpNet::V6(lab.v6_link_pool),
            };
            let stub = lab.stub(family).map(|s| s.prefix);
            let clash = std::iter::once(pool)
                .chain(stub)
                .find(|n| n.contains(&p.network()) || p.contains(&n.network()));
            if !inside {
                return Err(err(
                    file,
                    Some(i),
                    "prefix",
                    format!("{p} is not a documentation or private range"),
                    match family {
                        Family::Ipv4 => "announce inside 203.0.113.0/24, 192.0.2.0/24, 198.18.0.0/15 or RFC 1918 space",
                        Family::Ipv6 => {
                            "announce inside 2001:db8::/32 (documentation) or fc00::/7 (ULA), e.g. 2001:db8:42::/48"
                        }
                    },
                ));
            }
            if let Some(n) = clash {
                return Err(err(
                    file,
                    Some(i),
                    "prefix",
                    format!("{p} overlaps the lab's own {n}"),
                    match family {
                        Family::Ipv4 => "pick a prefix outside the lab's link pool and stub, e.g. 203.0.113.0/24",
                        Family::Ipv6 => {
                            "pick a prefix outside the lab's v6_link_pool and v6_stub_prefix, e.g. 2001:db8:42::/48"
                        }
                    },
                ));
            }
            if p.prefix_len() == 0 {
                return Err(err(
                    file,
                    Some(i),
                    "prefix",
                    format!("cannot announce {p}"),
                    "the lab's origin already originates the default",
                ));
            }
            Ok(())
        };
    // A daemon step must name a daemon the router runs (bird on BIRD routers).
    let runs = |i: usize, r: usize, d: Daemon| -> Result<usize, SpecError> {
        let have = lab.daemons_of(r);
        if have.contains(&d) {
            return Ok(r);
        }
        Err(err(
            file,
            Some(i),
            "daemon",
            format!(
                "{} runs {} ({}), not {d}",
                lab.routers[r].name,
                lab.routers[r].suite,
                have.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ")
            ),
            format!("use daemon = \"{}\"", have.last().map_or("bgpd", |d| d.name())),
        ))
    };
    let mut steps = Vec::new();
    let mut impaired = std::collections::BTreeMap::new();
    for (i, s) in spec.steps.iter().enumerate() {
        steps.push(match s {
            Step::Announce { router: r, prefix } => {
                safe(i, prefix)?;
                Step::Announce {
                    router: router(i, "router", r)?,
                    prefix: *prefix,
                }
            }
            Step::Withdraw { router: r, prefix } => {
                safe(i, prefix)?;
                Step::Withdraw {
                    router: router(i, "router", r)?,
                    prefix: *prefix,
                }
            }
            Step::LinkDown { a, b } | Step::LinkUp { a, b } | Step::Impair { a, b, .. } => {
                let (x, y) = (router(i, "routers", a)?, router(i, "routers", b)?);
                if let Some(j) = lab.graph.link_between(x, y).and_then(|l| lab.graph.lan_at(l)) {
                    return Err(err(
                        file,
                        Some(i),
                        "routers",
                        format!(
                            "{a} and {b} meet on LAN {:?}, not on a link of their own; a link_down/link_up takes a link between two routers",
                            lab.lans[j].name
                        ),
                        "name two routers joined by a [[topology.link]]".to_string(),
                    ));
                }
                if lab.graph.link_between(x, y).is_none() {
                    let example = lab
                        .graph
                        .neighbours(x)
                        .first()
                        .map(|&(p, _)| format!("[\"{}\", \"{}\"]", lab.routers[x].name, lab.routers[p].name))
                        .unwrap_or_else(|| "two routers joined by a link".into());
                    return Err(err(
                        file,
                        Some(i),
                        "routers",
                        format!("{a} and {b} are not joined by a link"),
                        format!("name two neighbours, e.g. {example}"),
                    ));
                }
                match s {
                    Step::LinkDown { .. } => Step::LinkDown { a: x, b: y },
                    Step::Impair { keys, .. } => {
                        // Checked as it will be applied: on top of the link's current setting.
                        let link = lab.graph.link_between(x, y).expect("checked above") + 1;
                        let now = impaired.get(&link).copied().unwrap_or_else(|| configured(lab, link));
                        let next = now
                            .with("", keys)
                            .map_err(|e| err(file, Some(i), &e.key, e.problem, e.fix))?;
                        impaired.insert(link, next);
                        Step::Impair {
                            a: x,
                            b: y,
                            keys: *keys,
                        }
                    }
                    _ => Step::LinkUp { a: x, b: y },
                }
            }
            Step::Kill { router: r, daemon } => Step::Kill {
                router: runs(i, router(i, "router", r)?, *daemon)?,
                daemon: *daemon,
            },
            Step::Restart { router: r, daemon } => Step::Restart {
                router: runs(i, router(i, "router", r)?, *daemon)?,
                daemon: *daemon,
            },
            Step::Hijack { router: r, victim, .. } | Step::Leak { router: r, victim } => {
                let (h, v) = (router(i, "router", r)?, router(i, "victim", victim)?);
                if !lab.internet() {
                    return Err(err(
                        file,
                        Some(i),
                        "action",
                        format!(
                            "lab {} has no routing policy: a {} takes the victim's own prefix, which only internet labs have",
                            lab.name,
                            if matches!(s, Step::Leak { .. }) { "leak" } else { "hijack" }
                        ),
                        "use a lab with [policy] model = \"gao-rexford\" (relationships on its links), e.g. configs/internet-100.toml",
                    ));
                }
                if h == v {
                    return Err(err(
                        file,
                        Some(i),
                        "victim",
                        format!("{r} is the router and the victim"),
                        "name another AS as the victim",
                    ));
                }
                match s {
                    Step::Hijack { more_specific, .. } => Step::Hijack {
                        router: h,
                        victim: v,
                        more_specific: *more_specific,
                    },
                    _ => Step::Leak { router: h, victim: v },
                }
            }
            Step::WaitSeconds(s) => Step::WaitSeconds(*s),
            Step::WaitConverged => Step::WaitConverged,
        });
    }
    let measure = match spec.measure {
        // "default": the lab's first family (IPv4 where it has it).
        Measure::Default(None) => Measure::Default(Some(lab.family.families()[0])),
        // The first hijack's or leak's victim (parse made sure there is one).
        Measure::Victim => steps
            .iter()
            .find_map(|s| match *s {
                Step::Hijack {
                    victim, more_specific, ..
                } => Some(Measure::Prefix(hijack_prefix(lab, victim, more_specific))),
                Step::Leak { victim, .. } => Some(Measure::Prefix(IpNet::V4(lab.policy.prefixes[victim]))),
                _ => None,
            })
            .unwrap_or(Measure::Default(Some(lab.family.families()[0]))),
        m => m,
    };
    if !lab.family.has(measure.family()) {
        return Err(err(
            file,
            None,
            "measure",
            format!(
                "{} is {} and lab {} has family = \"{}\"",
                measure.net(),
                measure.family(),
                lab.name,
                lab.family.name()
            ),
            "measure \"default\" or a prefix of the lab's family, or set [addressing] family = \"dual\" in the lab file",
        ));
    }
    if let Measure::Prefix(p) = measure {
        let announced = steps.iter().any(|s| match *s {
            Step::Announce { prefix, .. } => prefix == p,
            Step::Hijack {
                victim, more_specific, ..
            } => hijack_prefix(lab, victim, more_specific) == p,
            _ => false,
        }) || lab.policy.prefixes.iter().any(|&o| IpNet::V4(o) == p);
        if !announced {
            return Err(err(
                file,
                None,
                "measure",
                format!("{p} is never announced by a step"),
                "measure a prefix an announce or hijack step announces, an AS's own prefix, or \"default\"",
            ));
        }
    }
    Ok(Spec {
        file: spec.file.clone(),
        name: spec.name.clone(),
        description: spec.description.clone(),
        lab: spec.lab.clone(),
        measure,
        repeat: spec.repeat,
        timeout: spec.timeout,
        measure_step: spec.measure_step,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Overrides};

    fn lab(n: usize) -> Lab {
        let f = config::parse("t.toml", &format!("name = \"t\"\nrouters = {n}\n")).unwrap();
        config::validate("t.toml", f, &Overrides::default()).unwrap()
    }

    const GOOD: &str = r#"
measure = "203.0.113.0/24"
repeat = 3
[[step]]
action = "announce"
router = "ROUTER_0"
prefix = "203.0.113.0/24"
[[step]]
action = "wait"
until = "converged"
[[step]]
action = "link_down"
routers = ["ROUTER_4", "5"]
[[step]]
action = "kill"
router = "AS103"
daemon = "bgpd"
"#;

    #[test]
    fn a_good_file_resolves() {
        let s = parse("e.toml", GOOD).unwrap();
        assert_eq!((s.repeat, s.measure_step, s.steps.len()), (3, 0, 4));
        let r = resolve(&s, &lab(10)).unwrap();
        assert_eq!(
            r.steps,
            vec![
                Step::Announce {
                    router: 0,
                    prefix: "203.0.113.0/24".parse().unwrap()
                },
                Step::WaitConverged,
                Step::LinkDown { a: 4, b: 5 },
                Step::Kill {
                    router: 3,
                    daemon: Daemon::Bgpd
                },
            ]
        );
    }

    /// Table: (change to the good file, where the error points, words in the problem).
    #[test]
    fn bad_files_name_the_step_and_key() {
        let cases: &[(&str, &str, &str, &str)] = &[
            ("repeat = 3", "repeat = 0", "repeat", "outside"),
            (
                "measure = \"203.0.113.0/24\"",
                "measure = \"x\"",
                "measure",
                "not a prefix",
            ),
            (
                "action = \"kill\"",
                "action = \"explode\"",
                "step 4: action",
                "unknown action",
            ),
            (
                "routers = [\"ROUTER_4\", \"5\"]",
                "routers = [\"ROUTER_4\"]",
                "step 3: routers",
                "two routers",
            ),
            ("until = \"converged\"", "until = \"later\"", "step 2: wait", "seconds"),
            (
                "daemon = \"bgpd\"",
                "daemon = \"ospfd\"",
                "step 4: daemon",
                "unknown daemon",
            ),
            (
                "prefix = \"203.0.113.0/24\"",
                "prefix = \"203.0.113.0/33\"",
                "step 1: prefix",
                "not an IPv4 or IPv6",
            ),
            ("repeat = 3", "repeat = 3\ncolour = 1", "toml", "unknown field"),
            ("repeat = 3", "repeat = \"3\"", "toml", "invalid type"),
        ];
        for (from, to, place, words) in cases {
            let text = GOOD.replace(from, to);
            let e = parse("e.toml", &text).expect_err(to);
            let msg = e.to_string();
            assert!(msg.starts_with("e.toml: "), "{msg}");
            assert!(
                msg.contains(place) && msg.contains(words) && msg.contains("fix: "),
                "{to}: {msg}"
            );
        }
    }

    fn lab_text(text: &str) -> Lab {
        config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap()
    }

    const V6: &str = r#"
measure = "2001:db8:42::/48"
[[step]]
action = "announce"
router = "ROUTER_0"
prefix = "2001:db8:42::1/48"
[[step]]
action = "withdraw"
router = "ROUTER_0"
prefix = "2001:db8:42::/48"
"#;

    #[test]
    fn ipv6_prefixes_resolve_in_labs_with_ipv6() {
        let s = parse("e.toml", V6).unwrap();
        let p: IpNet = "2001:db8:42::/48".parse().unwrap();
        assert_eq!(s.measure, Measure::Prefix(p));
        for family in ["dual", "ipv6"] {
            let l = lab_text(&format!(
                "name = \"t\"\nrouters = 4\n[addressing]\nfamily = \"{family}\"\n"
            ));
            let r = resolve(&s, &l).unwrap();
            // The host bits written in a step are dropped, as for IPv4.
            assert_eq!(r.steps[0], Step::Announce { router: 0, prefix: p });
            assert_eq!(r.measure.net(), p);
        }
        // "default" is the lab's first family's default; "::/0" the IPv6 one.
        let d = GOOD.replace("measure = \"203.0.113.0/24\"", "measure = \"default\"");
        let v6only = lab_text("name = \"t\"\nrouters = 10\n[addressing]\nfamily = \"ipv6\"\n");
        let dual = lab_text("name = \"t\"\nrouters = 10\n[addressing]\nfamily = \"dual\"\n");
        let six = d.replace("203.0.113.0/24", "2001:db8:42::/48");
        let net = |text: &str, l: &Lab| {
            resolve(&parse("e.toml", text).unwrap(), l)
                .unwrap()
                .measure
                .net()
                .to_string()
        };
        assert_eq!(net(&six, &v6only), "::/0");
        assert_eq!(net(&d, &dual), "0.0.0.0/0");
        assert_eq!(net(&d.replace("\"default\"", "\"::/0\""), &dual), "::/0");
    }

    #[test]
    fn ipv6_prefixes_are_checked_like_ipv4_ones() {
        let dual = lab_text("name = \"t\"\nrouters = 4\n[addressing]\nfamily = \"dual\"\n");
        let cases: &[(&str, &str)] = &[
            ("2001:4860::/32", "not a documentation or private range"),
            ("2000::/3", "not a documentation or private range"),
            // The lab's own v6 link pool and v6 stub (2001:db8:31::/48, 2001:db8:100::/48).
            ("2001:db8:31:5::/64", "overlaps the lab's own 2001:db8:31::/48"),
            ("2001:db8::/32", "overlaps the lab's own"),
            ("2001:db8:100::/56", "overlaps the lab's own 2001:db8:100::/48"),
        ];
        for (p, words) in cases {
            let text = V6
                .replace("2001:db8:42::1/48", p)
                .replace("measure = \"2001:db8:42::/48\"", "measure = \"default\"");
            let e = resolve(&parse("e.toml", &text).unwrap(), &dual)
                .expect_err(p)
                .to_string();
            assert!(e.contains("step 1: prefix") && e.contains(words), "{p}: {e}");
        }
        // ULA space is fine.
        let ula = V6
            .replace("2001:db8:42::1/48", "fd00:42::/48")
            .replace("measure = \"2001:db8:42::/48\"", "measure = \"default\"");
        resolve(&parse("e.toml", &ula).unwrap(), &dual).unwrap();
        // An IPv4-only lab refuses an IPv6 prefix, naming the lab's family.
        let e = resolve(&parse("e.toml", V6).unwrap(), &lab(4)).unwrap_err().to_string();
        assert!(
            e.contains("step 1: prefix") && e.contains("family = \"ipv4\"") && e.contains("fix: "),
            "{e}"
        );
        let d6 = GOOD.replace("measure = \"203.0.113.0/24\"", "measure = \"::/0\"");
        let e = resolve(&parse("e.toml", &d6).unwrap(), &lab(10))
            .unwrap_err()
            .to_string();
        assert!(e.contains("measure") && e.contains("family = \"ipv4\""), "{e}");
        // And an IPv6-only lab an IPv4 one.
        let v6only = lab_text("name = \"t\"\nrouters = 10\n[addressing]\nfamily = \"ipv6\"\n");
        let e = resolve(&parse("e.toml", GOOD).unwrap(), &v6only)
            .unwrap_err()
            .to_string();
        assert!(e.contains("step 1: prefix") && e.contains("family = \"ipv6\""), "{e}");
    }

    /// Every shipped example loads, and resolves against the lab file it names.
    #[test]
    fn the_shipped_examples_resolve_against_their_labs() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/experiments");
        let mut seen = 0;
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = e.path();
            if path.extension().and_then(|x| x.to_str()) != Some("toml") {
                continue;
            }
            let spec = load(&path).unwrap_or_else(|e| panic!("{e}"));
            let Some(lab_file) = &spec.lab else { continue };
            let lab =
                config::load(lab_file, &Overrides::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            resolve(&spec, &lab).unwrap_or_else(|e| panic!("{e}"));
            seen += 1;
        }
        assert!(seen >= 8, "{seen} examples with a lab in {}", dir.display());
    }

    #[test]
    fn a_link_down_takes_a_link_not_a_lan_pair() {
        // ROUTER_7 … ROUTER_9 also share a LAN; ROUTER_4 — ROUTER_5 stays a link.
        let f = config::parse(
            "t.toml",
            "name = \"t\"\nrouters = 10\n[[topology.lan]]\nname = \"ix\"\nrouters = [7, 9]\n",
        )
        .unwrap();
        let l = config::validate("t.toml", f, &Overrides::default()).unwrap();
        let text = GOOD.replace("measure = \"203.0.113.0/24\"", "measure = \"default\"");
        resolve(&parse("e.toml", &text).unwrap(), &l).unwrap();
        let e = resolve(
            &parse(
                "e.toml",
                &text.replace("[\"ROUTER_4\", \"5\"]", "[\"ROUTER_7\", \"9\"]"),
            )
            .unwrap(),
            &l,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("step 3") && e.contains("meet on LAN \"ix\""), "{e}");
    }

    #[test]
    fn lab_checks() {
        let l = lab(10);
        let cases: &[(&str, &str, &str)] = &[
            (
                "router = \"ROUTER_0\"",
                "router = \"ROUTER_10\"",
                "has no router \"ROUTER_10\"",
            ),
            ("[\"ROUTER_4\", \"5\"]", "[\"ROUTER_4\", \"6\"]", "not joined by a link"),
            (
                "prefix = \"203.0.113.0/24\"",
                "prefix = \"8.8.8.0/24\"",
                "not a documentation",
            ),
            ("prefix = \"203.0.113.0/24\"", "prefix = \"172.31.5.0/24\"", "overlaps"),
        ];
        for (from, to, words) in cases {
            let text = GOOD
                .replace(from, to)
                .replace("measure = \"203.0.113.0/24\"", "measure = \"default\"");
            let s = parse("e.toml", &text).unwrap();
            let e = resolve(&s, &l).expect_err(to).to_string();
            assert!(e.contains(words) && e.contains("e.toml: step "), "{to}: {e}");
        }
        // Daemon steps name a daemon the router runs: bird on BIRD routers, not bgpd.
        let f = config::parse(
            "t.toml",
            "name = \"t\"\nrouters = 10\n[[router]]\nindex = 3\nsuite = \"bird\"\n",
        )
        .unwrap();
        let mixed = config::validate("t.toml", f, &Overrides::default()).unwrap();
        let e = resolve(&parse("e.toml", GOOD).unwrap(), &mixed)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("step 4") && e.contains("ROUTER_3 runs bird") && e.contains("daemon = \"bird\""),
            "{e}"
        );
        let bird = resolve(&parse("e.toml", &GOOD.replace("\"bgpd\"", "\"bird\"")).unwrap(), &mixed).unwrap();
        assert!(matches!(
            bird.steps[3],
            Step::Kill {
                router: 3,
                daemon: Daemon::Bird
            }
        ));
        let e = resolve(&parse("e.toml", &GOOD.replace("\"bgpd\"", "\"bird\"")).unwrap(), &l)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ROUTER_3 runs frr"), "{e}");
        let never = GOOD.replace("measure = \"203.0.113.0/24\"", "measure = \"192.0.2.0/24\"");
        let e = resolve(&parse("e.toml", &never).unwrap(), &l).unwrap_err().to_string();
        assert!(e.contains("never announced"), "{e}");
    }

    #[test]
    fn hijacks_and_leaks_measure_the_victims_prefix() {
        let mut t = String::from("name = \"g\"\nrouters = 3\n[topology]\nshape = \"file\"\n");
        t.push_str("[[topology.link]]\na = 0\nb = 1\nrel = \"p2c\"\n[[topology.link]]\na = 0\nb = 2\nrel = \"p2c\"\n");
        let g = config::validate("t.toml", config::parse("t.toml", &t).unwrap(), &Overrides::default()).unwrap();
        let own = g.policy.prefixes[2];
        let hijack = "[[step]]\naction = \"hijack\"\nrouter = \"ROUTER_1\"\nvictim = \"ROUTER_2\"\n";
        let s = parse("e.toml", hijack).unwrap();
        assert_eq!(s.measure, Measure::Victim);
        let r = resolve(&s, &g).unwrap();
        assert_eq!(r.measure, Measure::Prefix(IpNet::V4(own)));
        assert_eq!(
            r.steps[0],
            Step::Hijack {
                router: 1,
                victim: 2,
                more_specific: false
            }
        );
        let half = resolve(
            &parse("e.toml", &format!("{hijack}more_specific = true\n")).unwrap(),
            &g,
        )
        .unwrap();
        assert_eq!(
            half.measure,
            Measure::Prefix(IpNet::V4(Ipv4Net::new(own.network(), own.prefix_len() + 1).unwrap()))
        );
        let leak = resolve(&parse("e.toml", &hijack.replace("hijack", "leak")).unwrap(), &g).unwrap();
        assert_eq!(
            (leak.measure, &leak.steps[0]),
            (Measure::Prefix(IpNet::V4(own)), &Step::Leak { router: 1, victim: 2 })
        );
        // An AS's own prefix may be measured by name for any step.
        let down = format!("measure = \"{own}\"\n[[step]]\naction = \"link_down\"\nrouters = [\"0\", \"2\"]\n");
        resolve(&parse("e.toml", &down).unwrap(), &g).unwrap();
        // Mistakes: no victim, itself as victim, a lab without policy, no measure otherwise.
        let e = parse("e.toml", &hijack.replace("victim = \"ROUTER_2\"\n", ""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("step 1: victim") && e.contains("needs `victim`"), "{e}");
        let e = resolve(&parse("e.toml", &hijack.replace("ROUTER_2", "ROUTER_1")).unwrap(), &g)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the router and the victim"), "{e}");
        let e = resolve(&s, &lab(3)).unwrap_err().to_string();
        assert!(e.contains("no routing policy") && e.contains("gao-rexford"), "{e}");
        let e = parse("e.toml", GOOD.replace("measure = \"203.0.113.0/24\"\n", "").as_str())
            .unwrap_err()
            .to_string();
        assert!(e.contains("measure: missing"), "{e}");
    }
}
