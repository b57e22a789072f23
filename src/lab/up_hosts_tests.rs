//! Unit tests of the hosts file every router sees (`hosts_text`), checked against the
//! classic address plan written out here by hand.

use super::*;
use crate::config::{self, Overrides};

#[test]
fn hosts_name_every_interface_address_and_the_world() {
    let text = "name = \"hl\"\nrouters = 3\n";
    let lab = config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap();
    // Link k is 172.31.k.0/24: ROUTER_{k-1} holds .2, ROUTER_k .1; the stub's first host
    // (198.51.100.1, on ROUTER_0's lo) is `world`.
    assert_eq!(
        hosts_text(&lab),
        "# nsbgp lab hl: written by `nsbgp up`, removed by `nsbgp down`\n\
         127.0.0.1\tlocalhost\n\
         198.51.100.1\tworld\n\
         172.31.1.2\tROUTER_0\n\
         172.31.1.1\tROUTER_1\n\
         172.31.2.2\tROUTER_1\n\
         172.31.2.1\tROUTER_2\n"
    );
    // Its first line is the marker `down` looks for.
    assert_eq!(hosts_text(&lab).lines().next().unwrap(), hosts_marker("hl"));
}
