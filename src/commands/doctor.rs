//! `nsbgp doctor`: preflight checks with fix hints.

use super::load;
use crate::config::Overrides;
use crate::lab::LabError;
use std::path::Path;

pub async fn doctor(config: Option<&Path>) -> Result<(), LabError> {
    let lab = match config {
        Some(c) => Some(load(c, &Overrides::default())?),
        None => None,
    };
    let checks = crate::doctor::run(lab.as_ref());
    let mut failed = 0;
    for c in &checks {
        println!("{:<5} {:<28} {}", if c.ok { "OK" } else { "FAIL" }, c.name, c.detail);
        if !c.ok {
            failed += 1;
            println!("      fix: {}", c.fix);
        }
    }
    if failed > 0 {
        Err(LabError::Runtime(format!("{failed} check(s) failed")))
    } else {
        Ok(())
    }
}
