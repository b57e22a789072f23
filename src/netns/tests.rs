//! Unit tests of how a namespace is named and recognised: its path under /run/netns, and
//! nsfs (a namespace) told apart from a plain file left where one was.

use super::*;

#[test]
fn a_namespace_lives_under_run_netns() {
    assert_eq!(path_of("ROUTER_7"), PathBuf::from("/run/netns/ROUTER_7"));
}

#[test]
fn nsfs_is_told_from_a_plain_file() {
    let ns = std::fs::File::open("/proc/self/ns/net").expect("/proc/self/ns/net");
    assert!(is_nsfs(&ns));
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::File::create(dir.path().join("ROUTER_0")).unwrap();
    assert!(!is_nsfs(&plain));
}

#[test]
fn a_missing_namespace_has_no_inode() {
    assert_eq!(inode_of("nsbgp-unit-test-no-such-namespace"), None);
}
