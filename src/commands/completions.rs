//! `nsbgp completions SHELL` and `nsbgp man`: generated from the clap definitions, so they
//! never drift from the real command line. `cli` passes its clap definition in: commands
//! never import `cli`.

use crate::lab::LabError;

pub fn completions(mut cmd: clap::Command, shell: clap_complete::Shell) -> Result<(), LabError> {
    clap_complete::generate(shell, &mut cmd, "nsbgp", &mut std::io::stdout());
    Ok(())
}

/// `nsbgp man`: the nsbgp(1) page on stdout; with `-o DIR`, nsbgp.1 and one page per
/// subcommand (nsbgp-up.1, …) written into DIR, as `man` expects in a man1 directory.
pub fn man(cmd: clap::Command, out: Option<&std::path::Path>) -> Result<(), LabError> {
    match out {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf).expect("writing to memory");
            std::io::Write::write_all(&mut std::io::stdout(), &buf)
                .map_err(|e| LabError::Runtime(format!("stdout: {e}")))
        }
        Some(dir) => {
            if !dir.is_dir() {
                return Err(LabError::Input(format!("{}: not a directory", dir.display())));
            }
            clap_mangen::generate_to(cmd, dir).map_err(|e| LabError::Runtime(format!("{}: {e}", dir.display())))?;
            println!("wrote nsbgp.1 and a page per subcommand into {}", dir.display());
            Ok(())
        }
    }
}
