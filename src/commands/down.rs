//! `nsbgp down`: take labs down, reporting every error together.

use super::load;
use crate::config::{LabName, Overrides};
use crate::lab::{self, down, LabError};
use std::path::PathBuf;

pub async fn down(config: Option<PathBuf>, lab: Option<LabName>, all: bool, dry_run: bool) -> Result<(), LabError> {
    let names: Vec<LabName> = if all {
        lab::lab_names()?
    } else if let Some(c) = config {
        vec![load(&c, &Overrides::default())?.name]
    } else if let Some(l) = lab {
        vec![l]
    } else {
        return Err(LabError::Input(
            "say which lab: `nsbgp down -c FILE`, `--lab NAME` or `--all`".into(),
        ));
    };
    if names.is_empty() {
        println!("no labs to take down");
        return Ok(());
    }
    let mut failures = 0;
    for name in names {
        let rep = match down::teardown(&name, down::Options { dry_run }).await {
            Ok(r) => r,
            Err(e) => {
                // Refused: nothing of this lab was touched.
                eprintln!("lab {name}: error: {e}");
                failures += 1;
                continue;
            }
        };
        if !rep.found {
            println!("lab {name}: not running; nothing to do");
            continue;
        }
        let verb = if dry_run { "would remove" } else { "removed" };
        let ns = rep.removed.iter().filter(|r| r.starts_with("namespace ")).count();
        if dry_run {
            for r in &rep.removed {
                println!("lab {name}: {verb} {r}");
            }
        }
        println!(
            "lab {name}: {verb} {ns} namespace(s) and {} other object(s)",
            rep.removed.len() - ns
        );
        for f in &rep.foreign {
            println!("lab {name}: left alone: {f}");
        }
        for n in &rep.notes {
            println!("lab {name}: {n}");
        }
        for e in &rep.errors {
            eprintln!("lab {name}: error: {e}");
        }
        if !rep.errors.is_empty() {
            failures += 1;
            eprintln!(
                "lab {name}: {} problem(s); run `nsbgp down --lab {name}` again once they are fixed",
                rep.errors.len()
            );
        }
    }
    if failures > 0 {
        Err(LabError::Runtime(format!("{failures} lab(s) not fully removed")))
    } else {
        Ok(())
    }
}
