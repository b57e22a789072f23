//! FRR: its [`crate::suite::RoutingSuite`] (`suite`), talking to zebra's and bgpd's vtys
//! (`vty`, `telnet`, `commands`, `attach`), reading their JSON output (`parse`, `observe`),
//! and its containerlab node (`clab`).
pub mod attach;
pub mod clab;
pub mod commands;
pub mod observe;
pub mod parse;
pub mod saved;
pub mod suite;
pub mod telnet;
pub mod vty;

/// First line of `PROGRAM --version` ("bgpd version 8.4.4"), if the program runs.
pub fn version_line(program: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new(program).arg("--version").output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
}
