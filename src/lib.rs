//! nsbgp: a laboratory of real BGP routers (FRR or BIRD 2) on one Linux host.
//! One network namespace and chroot per router, veth links, zebra + bgpd or bird per router.

pub mod bird;
pub mod caida;
pub mod clab;
pub mod cli;
pub mod commands;
pub mod config;
pub mod doctor;
pub mod draw;
pub mod error;
pub mod experiment;
pub mod frr;
pub mod host;
pub mod impair;
pub mod lab;
pub mod launch;
pub mod monitor;
pub mod netns;
pub mod policy;
pub mod render;
pub mod rootfs;
pub mod runner;
pub mod suite;
pub mod suites;
pub mod trace;
