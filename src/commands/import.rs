//! `nsbgp import`: a containerlab topology as an nsbgp lab file (`shape = "file"`).
//! Everything not carried over is printed as a warning (and kept as comments in the file).

use super::clab_err;
use crate::clab::import::{self, Options};
use crate::lab::LabError;
use std::path::Path;

pub fn import(file: &Path, out: &Path, name: Option<String>, origin: Option<String>) -> Result<(), LabError> {
    // A topology file is a few kilobytes; a huge one is a mistake, not a lab.
    const MAX_BYTES: u64 = 16 << 20;
    let cant = |e: std::io::Error| LabError::Input(format!("{}: cannot read it: {e}", file.display()));
    if std::fs::metadata(file).map_err(cant)?.len() > MAX_BYTES {
        return Err(LabError::Input(format!(
            "{}: larger than {} MiB: not a containerlab topology",
            file.display(),
            MAX_BYTES >> 20
        )));
    }
    let text = std::fs::read_to_string(file).map_err(cant)?;
    let label = file.display().to_string();
    let imported = import::import(&label, &text, &Options { name, origin }).map_err(clab_err)?;
    import::write(out, &imported.toml).map_err(clab_err)?;
    for w in &imported.warnings {
        eprintln!("nsbgp: warning: {w}");
    }
    println!(
        "wrote {} (lab {}, {} routers, {} links, origin {}); bring it up: nsbgp up -c {} --wait",
        out.display(),
        imported.lab_name,
        imported.routers.len(),
        imported.links.len(),
        imported.routers[imported.origin].1,
        out.display()
    );
    Ok(())
}
