//! `nsbgp render`: every router's configs into a directory, no system changes.

use super::{load, rt};
use crate::config::Overrides;
use crate::lab::LabError;
use std::path::Path;

pub fn render(config: &Path, out: &Path, ov: Overrides) -> Result<(), LabError> {
    let lab = load(config, &ov)?;
    // A placeholder, not a secret: `up` puts a random per-lab password in its place.
    let n = crate::render::render_to_dir(&lab, out, "RENDERED-PASSWORD").map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            LabError::Input(format!(
                "{e}: render never overwrites files; choose an empty -o directory"
            ))
        } else {
            rt(e)
        }
    })?;
    println!(
        "wrote {n} files for {} routers into {}",
        lab.routers.len(),
        out.display()
    );
    Ok(())
}
