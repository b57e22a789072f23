//! FRR's part of `nsbgp save` and `up --configs`: a daemon's `show running-config` as a
//! config file without the lab's vty password, and a saved file with the new lab's put back.

use crate::config::Daemon;

/// Lines that carry the vty password (`password …`, `enable password …`).
fn is_password_line(l: &str) -> bool {
    let t = l.trim_start();
    t.starts_with("password ") || t.starts_with("enable password ")
}

/// A daemon's `show running-config` as a config file: FRR's preamble ("Building
/// configuration…", "Current configuration:") dropped, and the password lines.
pub fn frr_file(router: &str, daemon: Daemon, running: &str) -> String {
    let body = match running.find("Current configuration:") {
        Some(i) => running[i..].split_once('\n').map_or("", |(_, rest)| rest),
        None => running,
    };
    let mut out =
        format!("! {daemon}'s running configuration of {router}, saved by nsbgp save (the vty password is left out)\n");
    for l in body.lines().filter(|l| !is_password_line(l)) {
        out.push_str(l.trim_end());
        out.push('\n');
    }
    out
}

/// A saved FRR file with the new lab's password in (after `hostname`, where nsbgp's own
/// configs have it).
pub fn with_password(text: &str, password: &str) -> String {
    let lines = format!("password {password}\nenable password {password}\n");
    let mut out = String::with_capacity(text.len() + lines.len());
    let mut done = false;
    for l in text.lines().filter(|l| !is_password_line(l)) {
        out.push_str(l);
        out.push('\n');
        if !done && l.trim_start().starts_with("hostname ") {
            out.push_str(&lines);
            done = true;
        }
    }
    if !done {
        out = lines + &out;
    }
    out
}

#[cfg(test)]
#[path = "saved_tests.rs"]
mod tests;
