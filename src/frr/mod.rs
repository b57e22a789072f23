//! FRR: launching daemons (`spawn`), the vty client (`vty`, `telnet`) and parsers of FRR's
//! JSON output (`parse`).

pub mod spawn;
