//! FRR: launching zebra/bgpd in a router's namespace and chroot, talking to their vty,
//! and reading their JSON output.
pub mod attach;
pub mod parse;
pub mod spawn;
pub mod telnet;
pub mod vty;
