//! `nsbgp export`: a lab as files another tool runs (containerlab first). No root needed,
//! nothing on the host touched but the new directory.

use super::{clab_err, load};
use crate::clab::{self, export};
use crate::config::{Overrides, Suite};
use crate::lab::LabError;
use std::path::Path;

pub fn export(
    config: &Path,
    format: &str,
    out: &Path,
    image: Option<&str>,
    bird_image: Option<&str>,
) -> Result<(), LabError> {
    if format != "containerlab" {
        return Err(LabError::Input(format!(
            "unknown export format {format:?}: use containerlab"
        )));
    }
    let lab = load(config, &Overrides::default())?;
    let image = match image {
        Some(i) => i.to_string(),
        None => {
            let version = clab::host_frr_version(&lab.frr_dir);
            match version.as_deref().and_then(clab::frr_image_for) {
                Some(i) => i,
                None => {
                    eprintln!(
                        "nsbgp: FRR version {} has no known image: using {} (--image chooses another)",
                        version.as_deref().unwrap_or("unknown (FRR not found)"),
                        clab::DEFAULT_FRR_IMAGE
                    );
                    clab::DEFAULT_FRR_IMAGE.to_string()
                }
            }
        }
    };
    let bird_image = bird_image.unwrap_or(clab::DEFAULT_BIRD_IMAGE);
    let files = export::build(&lab, &image, bird_image).map_err(clab_err)?;
    export::write(out, &files).map_err(clab_err)?;
    let bird = lab.routers.iter().filter(|r| r.suite == Suite::Bird).count();
    let images = match (lab.routers.len() - bird, bird) {
        (_, 0) => format!("image {image}"),
        (0, _) => format!("image {bird_image}"),
        (f, b) => format!("{f} FRR with image {image}, {b} BIRD with image {bird_image}"),
    };
    println!(
        "wrote {} ({} routers, {images}) and {} config files into {}\ndeploy it: containerlab deploy -t {}",
        export::topology_file_name(&lab),
        lab.routers.len(),
        files.len() - 1,
        out.display(),
        out.join(export::topology_file_name(&lab)).display()
    );
    Ok(())
}
