//! Process exit codes: the one place their numbers live (DESIGN.md, "Exit codes").

use std::process::ExitCode;

use crate::error::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Success = 0,
    Failure = 1,
    /// Usage error or bad input.
    Usage = 2,
    Configuration = 3,
    /// A safety gate or an invalid state change refused the action.
    Refused = 4,
    NotFound = 5,
    /// `reconcile` found problems that remain after the run.
    Findings = 10,
    /// `import` finished, but some rows were rejected.
    RowsRejected = 11,
}

impl ExitStatus {
    /// Every code and what it means, for the man pages' EXIT STATUS section.
    pub const DOCUMENTED: [(ExitStatus, &'static str); 8] = [
        (ExitStatus::Success, "Success."),
        (
            ExitStatus::Failure,
            "A failure (a workflow that failed, a service that answered an error).",
        ),
        (ExitStatus::Usage, "A usage error or bad input."),
        (
            ExitStatus::Configuration,
            "A configuration error (a missing secret, an invalid setting).",
        ),
        (
            ExitStatus::Refused,
            "Refused by a safety gate or an invalid state change.",
        ),
        (ExitStatus::NotFound, "What was named does not exist."),
        (
            ExitStatus::Findings,
            "reconcile found problems that remain after the run.",
        ),
        (
            ExitStatus::RowsRejected,
            "import finished, but some rows were rejected.",
        ),
    ];

    /// The exit status for an error that reached the command edge.
    pub fn for_error(err: &anyhow::Error) -> ExitStatus {
        for cause in err.chain() {
            if let Some(e) = cause.downcast_ref::<Error>() {
                return match e {
                    Error::InvalidInput(_) => ExitStatus::Usage,
                    Error::Configuration(_) => ExitStatus::Configuration,
                    Error::Refused(_) | Error::LockLost { .. } => ExitStatus::Refused,
                    Error::NotFound(_) => ExitStatus::NotFound,
                    _ => ExitStatus::Failure,
                };
            }
            if cause.downcast_ref::<clap::Error>().is_some() {
                return ExitStatus::Usage;
            }
        }
        ExitStatus::Failure
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status as u8)
    }
}
