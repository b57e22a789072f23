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

/// `nsbgp import FILE --format caida -o LAB.toml --routers N [--name NAME] [--around ASN]`:
/// a connected sub-graph of a CAIDA AS-relationship file as an internet lab (src/caida/).
/// The lab is validated as `up` would before the file is written.
pub fn import_caida(
    file: &Path,
    out: &Path,
    name: Option<String>,
    n: usize,
    around: Option<u32>,
) -> Result<(), LabError> {
    use crate::caida::{self, select};
    let how = around.map_or(select::How::Largest, select::How::Around);
    let name = match name {
        Some(s) => s,
        None => caida::lab::default_name(how, n),
    };
    let name: crate::config::LabName = name.parse()?;
    let label = file.display().to_string();
    let graph = caida::read(file)?;
    let sel = select::select(&label, &graph, n, how)?;
    let text = caida::lab::toml(&label, &graph, &sel, name.as_str(), how);
    let out_label = out.display().to_string();
    crate::config::validate(
        &out_label,
        crate::config::parse(&out_label, &text)?,
        &crate::config::Overrides::default(),
    )?;
    import::write(out, &text).map_err(clab_err)?;
    for w in &sel.warnings {
        eprintln!("nsbgp: warning: {w}");
    }
    let p2p = sel
        .links
        .iter()
        .filter(|l| l.2 == crate::config::policy::Rel::P2p)
        .count();
    println!(
        "wrote {} (lab {name}, {}, {}: {} p2c, {p2p} p2p); bring it up: nsbgp up -c {} --wait",
        out.display(),
        match sel.chosen.len() {
            1 => "1 AS".to_string(),
            n => format!("{n} ASes"),
        },
        count(sel.links.len(), "link"),
        sel.links.len() - p2p,
        out.display()
    );
    Ok(())
}
