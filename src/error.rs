//! The error taxonomy: every library error carries one of six classes that decide what happens next
//! (retry, fix up, stop for configuration, stop for the operator, dead-letter an inconsistency).
//! Nothing here knows about exit codes.

use std::time::Duration;

use serde::Serialize;

/// What a failure means for the work that hit it. Classified once, here, and nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Timeout, connection reset, 5xx, 429: retry with backoff.
    Transient,
    /// Expired token, 409 for an existing object: fix up and continue.
    Recoverable,
    /// 401/403, missing credential, bad setting: stop, no retry.
    Configuration,
    /// Bad payload, content refused by a guard: stop, visible to the operator.
    InvalidInput,
    /// Circuit open, provider down for the day: retry with a longer backoff.
    ExternalService,
    /// An inconsistency of our own (a state rule refused, a record is missing, stored state does
    /// not parse): no retry fixes it, so the job is dead-lettered for a person to look at.
    Internal,
}

impl ErrorClass {
    pub const ALL: [ErrorClass; 6] = [
        ErrorClass::Transient,
        ErrorClass::Recoverable,
        ErrorClass::Configuration,
        ErrorClass::InvalidInput,
        ErrorClass::ExternalService,
        ErrorClass::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Transient => "transient",
            ErrorClass::Recoverable => "recoverable",
            ErrorClass::Configuration => "configuration",
            ErrorClass::InvalidInput => "invalid_input",
            ErrorClass::ExternalService => "external_service",
            ErrorClass::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorClass> {
        ErrorClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether a job that failed with this class may be attempted again automatically.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorClass::Transient | ErrorClass::Recoverable | ErrorClass::ExternalService
        )
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure talking to an external service (or its embedded stand-in).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{service}: {message}")]
pub struct ConnectorError {
    pub service: &'static str,
    pub class: ErrorClass,
    pub message: String,
    /// HTTP status, when there was a response.
    pub status: Option<u16>,
    /// How long the service asked us to wait before trying again.
    pub retry_after: Option<Duration>,
}

impl ConnectorError {
    pub fn new(service: &'static str, class: ErrorClass, message: impl Into<String>) -> Self {
        ConnectorError {
            service,
            class,
            message: message.into(),
            status: None,
            retry_after: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input (a payload, a flag, a CSV row) is wrong; the message says what and where.
    #[error("{0}")]
    InvalidInput(String),
    /// A setting is missing or wrong; the message names the key and the fix.
    #[error("{0}")]
    Configuration(String),
    /// A safety gate or a state rule refused the action.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    NotFound(String),
    /// An inconsistency of our own: stored state that cannot be what it is.
    #[error("{0}")]
    Internal(String),
    /// The job's lease is no longer this worker's (it expired and another worker took the job,
    /// or it was released): nothing of the write was committed, and the run must stop.
    #[error(
        "job {job_id} attempt {attempt} is no longer leased to {owner}: another worker owns it"
    )]
    LeaseLost {
        job_id: String,
        owner: String,
        attempt: i64,
    },
    /// A named store lock (`import:…`, `reconcile`) is no longer held by this owner.
    #[error("lock {name} is no longer held by {owner}: {why}")]
    LockLost {
        name: String,
        owner: String,
        why: String,
    },
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    /// A database failure, classified by `store` (the only module that knows SQLite).
    #[error("database: {message}")]
    Store { message: String, class: ErrorClass },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

/// How a local file-system failure should be handled. Trying again helps only when the
/// disk or the system was busy; a path that is in the way (a file where a directory belongs,
/// "File exists"), a missing permission or a read-only file system needs an operator.
pub fn io_class(e: &std::io::Error) -> ErrorClass {
    use std::io::ErrorKind::*;
    match e.kind() {
        PermissionDenied | AlreadyExists | NotADirectory | IsADirectory | ReadOnlyFilesystem
        | InvalidFilename | DirectoryNotEmpty => ErrorClass::Configuration,
        _ => ErrorClass::Transient,
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// An I/O failure whose fix the caller knows: the text ends with a `hint:` line after the
    /// cause (the cause keeps its kind, so the class is unchanged).
    pub fn io_with_hint(context: impl Into<String>, source: std::io::Error, hint: &str) -> Self {
        let source = std::io::Error::new(source.kind(), format!("{source}\nhint: {hint}"));
        Error::io(context, source)
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            Error::InvalidInput(_) => ErrorClass::InvalidInput,
            // Inside a job, a refusal or a missing record is not the lead's bad input: it must
            // not cancel the job silently, so it is dead-lettered.
            Error::NotFound(_) | Error::Refused(_) | Error::Internal(_) => ErrorClass::Internal,
            // Another worker owns the job (or the lock) now; whoever meets this stops at once.
            Error::LeaseLost { .. } | Error::LockLost { .. } => ErrorClass::Transient,
            Error::Configuration(_) => ErrorClass::Configuration,
            Error::Connector(e) => e.class,
            Error::Store { class, .. } => *class,
            Error::Io { source, .. } => io_class(source),
        }
    }

    /// How long to wait before the next attempt, when the failing service said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Connector(e) => e.retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_trip_through_their_names() {
        for class in ErrorClass::ALL {
            assert_eq!(ErrorClass::parse(class.as_str()), Some(class));
        }
        assert_eq!(ErrorClass::parse("nope"), None);
    }

    #[test]
    fn only_some_classes_retry() {
        assert!(ErrorClass::Transient.is_retryable());
        assert!(ErrorClass::ExternalService.is_retryable());
        assert!(!ErrorClass::Configuration.is_retryable());
        assert!(!ErrorClass::InvalidInput.is_retryable());
        assert!(!ErrorClass::Internal.is_retryable());
    }

    #[test]
    fn refusals_and_missing_records_are_internal_not_bad_input() {
        assert_eq!(Error::Refused("x".into()).class(), ErrorClass::Internal);
        assert_eq!(Error::NotFound("x".into()).class(), ErrorClass::Internal);
        assert_eq!(
            Error::InvalidInput("x".into()).class(),
            ErrorClass::InvalidInput
        );
    }
}
