//! `nsbgp save`: every router's running configuration into a new directory
//! (`crate::lab::saved`), for `nsbgp up -c FILE --configs DIR`.

use crate::lab::{self, LabError};
use std::path::Path;

pub async fn save(lab_name: Option<&crate::config::LabName>, out: &Path) -> Result<(), LabError> {
    let run = lab::select(lab_name)?;
    if out.exists() {
        return Err(LabError::Input(format!(
            "{} already exists: nsbgp never overwrites saved configs; choose another -o",
            out.display()
        )));
    }
    let written = lab::saved::save(&run, out).await?;
    println!(
        "lab {}: saved {} files of {} routers into {} (start from them: nsbgp up -c FILE --configs {})",
        run.lab.name,
        written.len(),
        run.lab.routers.len(),
        out.display(),
        out.display()
    );
    Ok(())
}
