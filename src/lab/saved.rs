//! Saved router configurations: `nsbgp save` writes each router's running configuration as
//! its daemons report it (each suite reads its own, `RoutingSuite::running_config`: FRR's
//! `show running-config` of every daemon over its vty; BIRD's config file as it loaded it, as
//! BIRD has no running-config dump) into `DIR/{router}/{file}`;
//! `nsbgp up --configs DIR` starts the routers from those files instead of rendering them.
//!
//! The vty password is per lab and secret: it is left out of saved files and the new lab's
//! own is put in when they are loaded.

use super::{LabError, Running};
use crate::config::Lab;
use std::collections::BTreeMap;
use std::path::Path;

/// Router index → its config files (name, text), ready to be written into the router.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Saved {
    pub files: BTreeMap<usize, Vec<(String, String)>>,
}

/// The files a router of `lab` runs from (`zebra.conf`, `bgpd.conf` or `bird.conf`).
pub fn file_names(lab: &Lab, index: usize) -> Vec<String> {
    lab.daemons_of(index)
        .iter()
        .map(|d| crate::render::file_name(*d))
        .collect()
}

/// Every router's running configuration into `out` (created; it must not exist).
pub async fn save(run: &Running, out: &Path) -> Result<Vec<String>, LabError> {
    let lab = &run.lab;
    let mut per_router: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let password = run.password()?;
    for r in &lab.routers {
        let mut files = Vec::new();
        let target = crate::suite::Target {
            lab,
            index: r.index,
            dirs: run.dirs(r.index),
            password: &password,
        };
        let suite = crate::suites::of(r.suite);
        for d in lab.daemons_of(r.index) {
            let name = crate::render::file_name(d);
            let text = suite
                .running_config(&target, d)
                .await
                .map_err(|e| LabError::Runtime(e.to_string()))?;
            files.push((name, text));
        }
        per_router.push((r.name.clone(), files));
    }
    // Everything read first: a dead daemon leaves no half-written directory behind.
    std::fs::create_dir(out).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => LabError::Input(format!(
            "{} already exists: nsbgp never overwrites saved configs; choose another -o",
            out.display()
        )),
        _ => LabError::Input(format!("cannot create {}: {e}", out.display())),
    })?;
    let mut written = Vec::new();
    for (router, files) in per_router {
        let dir = out.join(&router);
        std::fs::create_dir(&dir).map_err(|e| LabError::Runtime(format!("{}: {e}", dir.display())))?;
        for (name, text) in files {
            let p = dir.join(&name);
            write_new(&p, text.as_bytes()).map_err(|e| LabError::Runtime(format!("{}: {e}", p.display())))?;
            written.push(format!("{router}/{name}"));
        }
    }
    Ok(written)
}

fn write_new(p: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(p)?;
    f.write_all(bytes)
}

/// The largest config file accepted (a 1000-route FRR config is ~100 KB).
const MAX_FILE: u64 = 16 << 20;

/// Reads `dir` for `lab`: every router has exactly its suite's files, nothing else is there.
/// Any problem is exit 2, before anything is built.
pub fn load(lab: &Lab, dir: &Path) -> Result<Saved, LabError> {
    let bad = |problem: String| {
        LabError::Input(format!(
            "--configs {}: {problem}. Fix: give a directory written by `nsbgp save` for this lab \
             (one directory per router, named as the router, holding {})",
            dir.display(),
            suites_files(lab)
        ))
    };
    let entries = std::fs::read_dir(dir).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let mut found: BTreeMap<String, ()> = BTreeMap::new();
    for e in entries {
        let e = e.map_err(|e| bad(format!("cannot read it: {e}")))?;
        found.insert(e.file_name().to_string_lossy().into_owned(), ());
    }
    let foreign: Vec<&String> = found
        .keys()
        .filter(|n| !lab.routers.iter().any(|r| &r.name == *n))
        .collect();
    if !foreign.is_empty() {
        return Err(bad(format!(
            "{} {} not a router of lab {}",
            list(&foreign),
            if foreign.len() > 1 { "are" } else { "is" },
            lab.name
        )));
    }
    let missing: Vec<&String> = lab
        .routers
        .iter()
        .map(|r| &r.name)
        .filter(|n| !found.contains_key(*n))
        .collect();
    if !missing.is_empty() {
        return Err(bad(format!("no directory for {}", list(&missing))));
    }
    let mut saved = Saved::default();
    for r in &lab.routers {
        let rdir = dir.join(&r.name);
        let want = file_names(lab, r.index);
        let meta = std::fs::symlink_metadata(&rdir).map_err(|e| bad(format!("{}: {e}", rdir.display())))?;
        if !meta.is_dir() {
            return Err(bad(format!("{} is not a directory", rdir.display())));
        }
        let mut have = Vec::new();
        for e in std::fs::read_dir(&rdir).map_err(|e| bad(format!("{}: {e}", rdir.display())))? {
            let e = e.map_err(|e| bad(format!("{}: {e}", rdir.display())))?;
            have.push(e.file_name().to_string_lossy().into_owned());
        }
        have.sort();
        let extra: Vec<&String> = have.iter().filter(|f| !want.contains(f)).collect();
        if !extra.is_empty() {
            return Err(bad(format!(
                "{}/ holds {} that {} ({}) does not run from",
                r.name,
                list(&extra),
                r.name,
                r.suite
            )));
        }
        let mut files = Vec::new();
        for name in &want {
            let p = rdir.join(name);
            let meta = std::fs::symlink_metadata(&p).map_err(|_| bad(format!("{}/ has no {name}", r.name)))?;
            if !meta.is_file() {
                return Err(bad(format!("{} is not a regular file", p.display())));
            }
            if meta.len() > MAX_FILE {
                return Err(bad(format!("{} is larger than {} MB", p.display(), MAX_FILE >> 20)));
            }
            let text = std::fs::read_to_string(&p).map_err(|e| bad(format!("{}: {e}", p.display())))?;
            files.push((name.clone(), text));
        }
        saved.files.insert(r.index, files);
    }
    Ok(saved)
}

impl Saved {
    /// Router `index`'s files as written into its chroot: FRR's with the lab's password.
    pub fn files_for(&self, lab: &Lab, index: usize, password: &str) -> Vec<(String, String)> {
        let files = self.files.get(&index).cloned().unwrap_or_default();
        let suite = crate::suites::of(lab.routers[index].suite);
        files
            .into_iter()
            .map(|(n, t)| (n, suite.load_saved(t, password)))
            .collect()
    }
}

fn suites_files(lab: &Lab) -> String {
    crate::suites::used_by(lab)
        .map(|s| s.saved_files_note(lab))
        .collect::<Vec<_>>()
        .join(", ")
}

fn list(v: &[&String]) -> String {
    if v.len() <= 5 {
        v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    } else {
        format!(
            "{} and {} more",
            v[..5].iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            v.len() - 5
        )
    }
}

#[cfg(test)]
#[path = "saved_tests.rs"]
mod tests;
