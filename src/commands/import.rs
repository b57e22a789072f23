//! `nsbgp import`: a containerlab topology as an nsbgp lab file (`shape = "file"`).
//! Everything not carried over is printed as a warning (and kept as comments in the file).

use super::clab_err;
use crate::clab::import::{self, Options};
use crate::lab::LabError;
use std::path::Path;

pub fn import(file: &Path, out: &Path, opts: Options) -> Result<(), LabError> {
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
    let imported = import::import(&label, &text, &opts).map_err(clab_err)?;
    import::write(out, &imported.toml).map_err(clab_err)?;
    for w in &imported.warnings {
        eprintln!("nsbgp: warning: {w}");
    }
    let lans = match imported.lans.len() {
        0 => String::new(),
        n => format!(", {}", count(n, "LAN")),
    };
    println!(
        "wrote {} (lab {}, {}, {}{lans}, origin {}); bring it up: nsbgp up -c {} --wait",
        out.display(),
        imported.lab_name,
        count(imported.routers.len(), "router"),
        count(imported.links.len(), "link"),
        imported.routers[imported.origin].1,
        out.display()
    );
    Ok(())
}

/// "1 router", "0 links", "2 LANs".
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
