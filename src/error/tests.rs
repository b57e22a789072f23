//! The exit-code table.

use super::*;

#[test]
fn exit_codes_follow_the_readme() {
    let io = || std::io::Error::other("boom");
    let taken = || crate::netns::NetnsError::Taken("R_0".into());
    let cases: Vec<(Error, i32)> = vec![
        (Error::Input("bad".into()), 2),
        (Error::Runtime("failed".into()), 1),
        (Error::Netns(taken()), 2),
        (
            Error::Ledger(crate::lab::ledger::LedgerError::Read {
                path: "/x".into(),
                source: io(),
            }),
            1,
        ),
        (
            Error::Suite(crate::suite::SuiteError::NotInstalled("no bird".into())),
            2,
        ),
        (
            Error::Suite(crate::suite::SuiteError::Unsupported("no vtysh".into())),
            2,
        ),
        (
            Error::Suite(crate::suite::SuiteError::Daemon {
                router: "R_0".into(),
                source: Box::new(io()),
            }),
            1,
        ),
        (Error::Exited(0), 0),
        (Error::Exited(3), 3),
        (Error::Exited(130), 130),
        (
            Error::RolledBack {
                cause: Box::new(Error::Netns(taken())),
                teardown: String::new(),
            },
            2,
        ),
        (
            Error::RolledBack {
                cause: Box::new(Error::Input("a veth name clash".into())),
                teardown: String::new(),
            },
            1,
        ),
        (
            Error::RolledBack {
                cause: Box::new(Error::Runtime("bgpd did not start".into())),
                teardown: ", with 1 problem(s):\n  x".into(),
            },
            1,
        ),
    ];
    for (e, code) in cases {
        assert_eq!(exit_code(&e), code, "{e:?}");
    }
}

#[test]
fn a_rollback_keeps_its_cause_and_says_it_rolled_back() {
    use std::error::Error as _;
    let e = Error::RolledBack {
        cause: Box::new(Error::Runtime("R_1 bgpd: exited with 1".into())),
        teardown: ", but could not finish: ledger unreadable".into(),
    };
    assert_eq!(
        e.to_string(),
        "R_1 bgpd: exited with 1\nnsbgp rolled back what it had built, but could not finish: ledger unreadable"
    );
    let cause = e.source().expect("the build error is the source");
    assert_eq!(cause.to_string(), "R_1 bgpd: exited with 1");
}
