//! Validation of what internet labs add to a lab file: per-router names and AS numbers
//! (`[[router]] name`, `asn`), link relationships (`rel`) and `[policy]`.

use super::model::{self, RouterOverride};
use super::policy::{self, Model, Policy, Rel};
use super::ConfigError;
use ipnet::Ipv4Net;

fn err(file: &str, key: &str, problem: impl Into<String>, fix: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        file: file.to_string(),
        key: key.to_string(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// Router names and AS numbers: `prefix + index` and `first_asn + index`, then the
/// `[[router]]` tables' `asn` (and, with `asn`, a `name` that is not a default name
/// renames the router at the table's position).
pub fn names_and_asns(
    file: &str,
    prefix: &str,
    first_asn: u32,
    n: usize,
    overrides: &[RouterOverride],
    reserved: impl Fn(u64) -> bool,
) -> Result<(Vec<String>, Vec<u32>), ConfigError> {
    let mut names: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    let mut asns: Vec<u32> = (0..n).map(|i| first_asn + i as u32).collect();
    let defaults = names.clone();
    for (k, o) in overrides.iter().enumerate() {
        let Some(asn) = o.asn else { continue };
        let key = |field: &str| format!("router[{k}]{field}");
        if !(1..=4294967295).contains(&asn) || reserved(asn as u64) {
            return Err(err(
                file,
                &key(".asn"),
                format!("{asn} is not a usable AS number (1-4294967295, not 23456, 64496-64511, 65535-65551)"),
                "use a public or private AS number, e.g. asn = 3356 or asn = 4200000001",
            ));
        }
        let idx = match (o.index, &o.name) {
            (Some(i), _) if i >= 0 && (i as usize) < n => i as usize,
            // assign_suites reports a bad index with its own message.
            (Some(_), _) => continue,
            (None, Some(name)) => match defaults.iter().position(|d| d == name) {
                Some(i) => i,
                None if k < n => {
                    let ok = (1..=15).contains(&name.len())
                        && name.starts_with(|c: char| c.is_ascii_alphabetic())
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if !ok {
                        return Err(err(
                            file,
                            &key(".name"),
                            format!("{name:?} is not a router name: 1-15 characters of [A-Za-z0-9_-], starting with a letter (routers name namespaces and interfaces)"),
                            "use e.g. name = \"AS3356\"",
                        ));
                    }
                    names[k] = name.clone();
                    k
                }
                None => {
                    return Err(err(
                        file,
                        &key(".name"),
                        format!("table {k} would name router {k}, but the lab has {n} routers"),
                        "give as many [[router]] tables as routers, or raise routers",
                    ))
                }
            },
            (None, None) => continue,
        };
        asns[idx] = asn as u32;
    }
    let mut seen = std::collections::HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if let Some(j) = seen.insert(name.as_str(), i) {
            return Err(err(
                file,
                "router",
                format!("routers {j} and {i} are both named {name:?}"),
                "give every router its own name",
            ));
        }
    }
    let mut seen = std::collections::HashMap::new();
    for (i, a) in asns.iter().enumerate() {
        if let Some(j) = seen.insert(*a, i) {
            return Err(err(
                file,
                "router",
                format!("{} and {} both have AS {a}", names[j], names[i]),
                "give every router its own AS number (each router is one AS)",
            ));
        }
    }
    Ok((names, asns))
}

/// A router of the lab by exact name, `AS{asn}` of one of its AS numbers, or index.
pub fn resolve(names: &[String], asns: &[u32], spec: &str) -> Option<usize> {
    if let Some(i) = names.iter().position(|n| n == spec) {
        return Some(i);
    }
    if let Some(a) = spec.strip_prefix("AS").or_else(|| spec.strip_prefix("as")) {
        let a: u32 = a.parse().ok()?;
        return asns.iter().position(|&x| x == a);
    }
    if !spec.is_empty() && spec.chars().all(|c| c.is_ascii_digit()) {
        return spec.parse::<usize>().ok().filter(|&i| i < names.len());
    }
    None
}

/// `rel` of one `[[topology.link]]`.
pub fn rel(file: &str, key: &str, s: &Option<String>) -> Result<Option<Rel>, ConfigError> {
    match s {
        None => Ok(None),
        Some(s) => Rel::parse(s).map(Some).ok_or_else(|| {
            err(
                file,
                key,
                format!("{s:?} is not a relationship"),
                "use rel = \"p2c\" (a is b's provider) or rel = \"p2p\" (peers)",
            )
        }),
    }
}

/// `[policy]` over the links' relationships. `names` for messages; `pools` are the lab's
/// other address ranges, which the AS prefixes must not overlap.
pub fn policy(
    file: &str,
    p: &model::Policy,
    links: &[(usize, usize)],
    rels: Vec<Option<Rel>>,
    names: &[String],
    pools: &[(&str, Ipv4Net)],
) -> Result<Policy, ConfigError> {
    let any = rels.iter().any(|r| r.is_some());
    let model = match p.model.as_deref() {
        None if any => Model::GaoRexford,
        None => Model::None,
        Some(s) => Model::parse(s).ok_or_else(|| {
            err(
                file,
                "policy.model",
                format!("{s:?} is not a policy model"),
                "use model = \"gao-rexford\" or model = \"none\"",
            )
        })?,
    };
    if model == Model::None {
        if p.roles == Some(true) {
            return Err(err(
                file,
                "policy.roles",
                "roles need relationships, and this lab's policy model is \"none\"",
                "set model = \"gao-rexford\" with rel on every link, or remove roles",
            ));
        }
        return Ok(Policy {
            model,
            roles: false,
            rels: if any { rels } else { Vec::new() },
            prefixes: Vec::new(),
        });
    }
    if let Some(k) = rels.iter().position(|r| r.is_none()) {
        let (a, b) = links[k];
        return Err(err(
            file,
            &format!("topology.link[{}]", k + 1),
            format!(
                "{} — {} has no rel, but gao-rexford needs the relationship of every link",
                names[a], names[b]
            ),
            "add rel = \"p2c\" (a is b's provider) or rel = \"p2p\"",
        ));
    }
    if let Some(cycle) = provider_cycle(names.len(), links, &rels) {
        let shown: Vec<&str> = cycle.iter().map(|&r| names[r].as_str()).collect();
        return Err(err(
            file,
            "topology.link",
            format!(
                "the providers form a cycle: {} (each a provider of the next)",
                shown.join(" -> ")
            ),
            "make one of these links p2p or turn it around: an AS cannot be its own provider's provider",
        ));
    }
    let prefixes = policy::origin_prefixes(names.len()).ok_or_else(|| {
        err(
            file,
            "routers",
            format!(
                "{} ASes do not fit {} with a prefix each",
                names.len(),
                policy::ORIGIN_POOL
            ),
            "use fewer routers",
        )
    })?;
    let origin_pool: Ipv4Net = policy::ORIGIN_POOL.parse().expect("valid pool");
    for (key, net) in pools {
        if origin_pool.contains(&net.network()) || net.contains(&origin_pool.network()) {
            return Err(err(
                file,
                key,
                format!(
                    "{net} overlaps {}, where an internet lab's ASes take their prefixes",
                    policy::ORIGIN_POOL
                ),
                "use a range outside 198.18.0.0/15, e.g. 172.31.0.0/16",
            ));
        }
    }
    Ok(Policy {
        model,
        roles: p.roles.unwrap_or(true),
        rels,
        prefixes,
    })
}

/// A cycle of p2c links (provider -> customer), if any, as the routers along it.
pub fn provider_cycle(n: usize, links: &[(usize, usize)], rels: &[Option<Rel>]) -> Option<Vec<usize>> {
    let mut out = vec![Vec::new(); n];
    for (k, &(a, b)) in links.iter().enumerate() {
        if rels.get(k).copied().flatten() == Some(Rel::P2c) {
            out[a].push(b);
        }
    }
    // Iterative depth-first search with colours: 0 new, 1 on the stack, 2 done.
    let mut colour = vec![0u8; n];
    let mut parent = vec![usize::MAX; n];
    for s in 0..n {
        if colour[s] != 0 {
            continue;
        }
        let mut stack = vec![(s, 0usize)];
        colour[s] = 1;
        while let Some(&mut (u, ref mut i)) = stack.last_mut() {
            if *i < out[u].len() {
                let v = out[u][*i];
                *i += 1;
                match colour[v] {
                    0 => {
                        colour[v] = 1;
                        parent[v] = u;
                        stack.push((v, 0));
                    }
                    1 => {
                        let mut cycle = vec![u];
                        let mut x = u;
                        while x != v {
                            x = parent[x];
                            cycle.push(x);
                        }
                        cycle.reverse();
                        cycle.push(v);
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                colour[u] = 2;
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_cycles_are_found() {
        let links = [(0, 1), (1, 2), (2, 0), (2, 3)];
        let p2c = vec![Some(Rel::P2c); 4];
        assert_eq!(provider_cycle(4, &links, &p2c), Some(vec![0, 1, 2, 0]));
        let mut rels = p2c.clone();
        rels[2] = Some(Rel::P2p);
        assert_eq!(provider_cycle(4, &links, &rels), None);
    }

    #[test]
    fn names_resolve_by_name_as_and_index() {
        let names = vec!["AS3356".to_string(), "AS174".to_string()];
        let asns = vec![3356, 174];
        assert_eq!(resolve(&names, &asns, "AS174"), Some(1));
        assert_eq!(resolve(&names, &asns, "1"), Some(1));
        assert_eq!(resolve(&names, &asns, "AS1"), None);
        assert_eq!(resolve(&names, &asns, "2"), None);
    }
}
