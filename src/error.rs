//! The application's one error type: every failure a command can end with, its cause kept
//! (module errors as typed variants, a failed `up`'s build error under its rollback), and the
//! one table that maps them to exit codes, used where `main` ends (README: 0 success, 1 a
//! failure at run time, 2 bad input, nothing changed).

use crate::config::{ConfigError, LabNameError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input (a message that says what is wrong and how to fix it): nothing changed.
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Runtime(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Name(#[from] LabNameError),
    #[error(transparent)]
    State(#[from] crate::lab::state::StateError),
    #[error(transparent)]
    Ledger(#[from] crate::lab::ledger::LedgerError),
    #[error(transparent)]
    Netns(#[from] crate::netns::NetnsError),
    #[error(transparent)]
    Spawn(#[from] crate::launch::SpawnError),
    #[error(transparent)]
    Link(#[from] crate::netns::LinkError),
    #[error(transparent)]
    Vty(#[from] crate::frr::vty::VtyError),
    #[error(transparent)]
    Suite(#[from] crate::suite::SuiteError),
    #[error(transparent)]
    Ksm(#[from] crate::host::ksm::KsmError),
    /// A CAIDA AS-relationship file `import --format caida` cannot use.
    #[error(transparent)]
    Caida(#[from] crate::caida::CaidaError),
    /// `up` failed while building and rolled back; `cause` is why it failed, `teardown`
    /// what the rollback could not finish (empty when it finished).
    #[error("{cause}\nnsbgp rolled back what it had built{teardown}")]
    RolledBack {
        #[source]
        cause: Box<Error>,
        teardown: String,
    },
    /// A program run in a router (`exec`, `shell`, `vtysh`) ended with this exit status:
    /// nsbgp exits with it too, adding nothing.
    #[error("the program exited with status {0}")]
    Exited(i32),
}

/// The exit code `main` ends with for `e`: 2 for input errors (nothing changed), the program's
/// own status for `exec`/`vtysh`, 1 for everything else.
pub fn exit_code(e: &Error) -> i32 {
    match e {
        Error::Input(_) | Error::Config(_) | Error::Name(_) | Error::Caida(_) => 2,
        // Another lab's namespace holds the name: a clash of inputs, nothing of ours built.
        Error::Netns(crate::netns::NetnsError::Taken(_)) => 2,
        // The same clash found mid-build: rolled back, so nothing of ours is left either.
        Error::RolledBack { cause, .. } if matches!(**cause, Error::Netns(crate::netns::NetnsError::Taken(_))) => 2,
        // What the host lacks, or a suite has no such command: nothing was changed.
        Error::Suite(crate::suite::SuiteError::NotInstalled(_) | crate::suite::SuiteError::Unsupported(_)) => 2,
        Error::Exited(code) => *code,
        Error::Runtime(_)
        | Error::State(_)
        | Error::Ledger(_)
        | Error::Netns(_)
        | Error::Spawn(_)
        | Error::Link(_)
        | Error::Vty(_)
        | Error::Suite(crate::suite::SuiteError::Daemon { .. })
        | Error::Ksm(_)
        | Error::RolledBack { .. } => 1,
    }
}

#[cfg(test)]
mod tests;
