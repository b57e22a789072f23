//! Link impairments (`delay_ms`, `jitter_ms`, `loss_pct`, `rate_mbit`): the keys as written
//! in `[links]`, `[[link]]`, `[[topology.link]]` and the experiment's `impair` step, their
//! checks, and the resolved value per link. How they reach the kernel is `crate::impair`.

use serde::{Deserialize, Serialize};

/// The four keys, each optional: a layer (`[links]`, a `[[topology.link]]`, a `[[link]]`, an
/// `impair` step) sets only what it names and keeps the rest from the layer below.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImpairKeys {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_pct: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_mbit: Option<f64>,
}

impl ImpairKeys {
    pub fn is_empty(&self) -> bool {
        *self == ImpairKeys::default()
    }
}

/// What one link does to every packet, in each direction (0 = not impaired in that way).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize, Serialize)]
pub struct Impairment {
    pub delay_ms: u32,
    pub jitter_ms: u32,
    /// Per direction: a ping's round trip crosses the link twice.
    pub loss_pct: f64,
    pub rate_mbit: f64,
}

/// The largest values accepted: a minute of delay, 100 Gbit/s.
pub const MAX_DELAY_MS: i64 = 60_000;
pub const MAX_RATE_MBIT: f64 = 100_000.0;

impl Impairment {
    pub fn is_none(&self) -> bool {
        *self == Impairment::default()
    }

    /// Delay and jitter exist only as netem (no other qdisc holds packets back).
    pub fn needs_netem(&self) -> bool {
        self.delay_ms > 0 || self.jitter_ms > 0
    }

    /// This impairment with the keys `k` names replaced; `key` (e.g. "link[2]") says where
    /// they were written, for the error.
    pub fn with(self, key: &str, k: &ImpairKeys) -> Result<Impairment, KeyError> {
        let mut v = self;
        if let Some(d) = k.delay_ms {
            v.delay_ms = ms(key, "delay_ms", d)?;
        }
        if let Some(j) = k.jitter_ms {
            v.jitter_ms = ms(key, "jitter_ms", j)?;
        }
        if let Some(l) = k.loss_pct {
            if !(0.0..=100.0).contains(&l) {
                return Err(KeyError::new(
                    key,
                    "loss_pct",
                    format!("{l} is outside 0..=100"),
                    "give a percentage, e.g. loss_pct = 5",
                ));
            }
            v.loss_pct = l;
        }
        if let Some(r) = k.rate_mbit {
            if !(r >= 0.0 && r <= MAX_RATE_MBIT) || (r > 0.0 && r < 0.008) {
                return Err(KeyError::new(
                    key,
                    "rate_mbit",
                    format!("{r} is outside 0.008..={MAX_RATE_MBIT} (0 = unlimited)"),
                    "give megabits per second, e.g. rate_mbit = 10",
                ));
            }
            v.rate_mbit = r;
        }
        if v.jitter_ms > v.delay_ms {
            return Err(KeyError::new(
                key,
                "jitter_ms",
                format!("jitter {} ms is more than the delay {} ms", v.jitter_ms, v.delay_ms),
                "set delay_ms at least as large as jitter_ms",
            ));
        }
        Ok(v)
    }

    /// The rate in kbit/s as tc is given it (whole kbit: what `tc` stores, exactly).
    pub fn rate_kbit(&self) -> u64 {
        (self.rate_mbit * 1000.0).round() as u64
    }

    /// "delay 20 ms ± 5, loss 10 %, rate 5 Mbit/s" for messages and `status`.
    pub fn describe(&self) -> String {
        let mut v = Vec::new();
        if self.delay_ms > 0 {
            v.push(if self.jitter_ms > 0 {
                format!("delay {} ms ± {}", self.delay_ms, self.jitter_ms)
            } else {
                format!("delay {} ms", self.delay_ms)
            });
        }
        if self.loss_pct > 0.0 {
            v.push(format!("loss {} %", self.loss_pct));
        }
        if self.rate_mbit > 0.0 {
            v.push(format!("rate {} Mbit/s", self.rate_mbit));
        }
        if v.is_empty() {
            "none".into()
        } else {
            v.join(", ")
        }
    }
}

fn ms(key: &str, name: &str, v: i64) -> Result<u32, KeyError> {
    if !(0..=MAX_DELAY_MS).contains(&v) {
        return Err(KeyError::new(
            key,
            name,
            format!("{v} is outside 0..={MAX_DELAY_MS}"),
            format!("give milliseconds, e.g. {name} = 20"),
        ));
    }
    Ok(v as u32)
}

/// A bad impairment key: `key.name` is the full key ("links.loss_pct", "link[2].delay_ms").
#[derive(Debug, Clone, PartialEq)]
pub struct KeyError {
    pub key: String,
    pub problem: String,
    pub fix: String,
}

impl KeyError {
    fn new(key: &str, name: &str, problem: impl Into<String>, fix: impl Into<String>) -> KeyError {
        KeyError {
            key: if key.is_empty() {
                name.to_string()
            } else {
                format!("{key}.{name}")
            },
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

/// One impaired link of a resolved lab: link `link` (1-based, as `Interface::link`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
pub struct LinkImpairment {
    pub link: usize,
    #[serde(flatten)]
    pub set: Impairment,
}

#[cfg(test)]
#[path = "impair_tests.rs"]
mod tests;

/// Every link's impairment: `[links]`, then the link's own `[[topology.link]]` keys, then a
/// `[[link]]` naming its ends. Only impaired links are returned.
pub(super) fn resolve(
    file: &str,
    (defaults, settings, topology): (&ImpairKeys, &[super::model::LinkSetting], &super::model::Topology),
    graph: &super::Graph,
    names: &[String],
    asns: &[u32],
) -> Result<Vec<LinkImpairment>, super::ConfigError> {
    use super::model::RouterRef;
    let invalid = |e: KeyError| super::ConfigError::Invalid {
        file: file.to_string(),
        key: e.key,
        problem: e.problem,
        fix: e.fix,
    };
    let n = graph.len();
    let base = Impairment::default().with("links", defaults).map_err(invalid)?;
    let mut per_link = vec![base; graph.links().len()];
    // [[topology.link]] i is link i (shape = "file" keeps the file's order).
    if topology.shape.as_deref() == Some("file") {
        for (i, l) in topology.links.iter().enumerate() {
            if let Some(v) = per_link.get_mut(i) {
                *v = v
                    .with(&format!("topology.link[{}]", i + 1), &l.keys())
                    .map_err(invalid)?;
            }
        }
    }
    let mut seen: Vec<(usize, usize)> = Vec::new();
    for (i, s) in settings.iter().enumerate() {
        let key = format!("link[{}]", i + 1);
        let bad = |problem: String, fix: String| super::ConfigError::Invalid {
            file: file.to_string(),
            key: format!("{key}.routers"),
            problem,
            fix,
        };
        let [a, b] = s.routers.as_slice() else {
            return Err(bad(
                format!("names {} routers, a link has two ends", s.routers.len()),
                format!(
                    "write routers = [\"{}\", \"{}\"]",
                    names[0],
                    names[names.len().min(2) - 1]
                ),
            ));
        };
        let find = |r: &RouterRef| match r {
            RouterRef::Index(i) => usize::try_from(*i).ok().filter(|&i| i < n),
            RouterRef::Name(s) => super::validate_policy::resolve(names, asns, s),
        };
        let (Some(x), Some(y)) = (find(a), find(b)) else {
            let which = if find(a).is_none() { a } else { b };
            return Err(bad(
                format!("{which} is not a router of this lab ({n} routers)"),
                format!(
                    "name a router as \"{}\" … \"{}\", an index or \"AS{}\"",
                    names[0],
                    names[n - 1],
                    asns[0]
                ),
            ));
        };
        let Some(l) = graph.link_between(x, y) else {
            return Err(bad(
                format!("{} and {} are not joined by a link", names[x], names[y]),
                "name the two ends of one link (`nsbgp graph` draws them)".into(),
            ));
        };
        let pair = (x.min(y), x.max(y));
        if seen.contains(&pair) {
            return Err(bad(
                format!("{} — {} already has a [[link]] table", names[x], names[y]),
                "merge the two tables into one".into(),
            ));
        }
        seen.push(pair);
        per_link[l] = per_link[l].with(&key, &s.keys()).map_err(invalid)?;
    }
    Ok(per_link
        .into_iter()
        .enumerate()
        .filter(|(_, v)| !v.is_none())
        .map(|(i, set)| LinkImpairment { link: i + 1, set })
        .collect())
}
