//! Unit tests of saved FRR files: the preamble and password out, the new password in.

use super::*;

const RUNNING: &str = "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\nfrr defaults traditional\nhostname ROUTER_1\npassword s3cret\nenable password s3cret\nlog file /var/log/frr/bgpd.log informational\n!\nrouter bgp 101\n neighbor 172.31.1.2 description hand-made\nexit\n!\nend\n";

#[test]
fn a_saved_file_has_no_preamble_and_no_password_and_gets_the_new_one() {
    let f = frr_file("ROUTER_1", Daemon::Bgpd, RUNNING);
    assert!(f.starts_with("! bgpd's running configuration of ROUTER_1"), "{f}");
    assert!(
        !f.contains("Building") && !f.contains("Current configuration") && !f.contains("s3cret"),
        "{f}"
    );
    assert!(
        f.contains("\nhostname ROUTER_1\nlog file") && f.contains(" neighbor 172.31.1.2 description hand-made\n"),
        "{f}"
    );
    let loaded = with_password(&f, "n3w");
    assert!(
        loaded.contains("hostname ROUTER_1\npassword n3w\nenable password n3w\nlog file"),
        "{loaded}"
    );
    // No hostname: the password goes first; an old one never survives.
    assert_eq!(
        with_password("password old\n!\n", "n3w"),
        "password n3w\nenable password n3w\n!\n"
    );
}
