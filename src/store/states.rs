//! The states that cross layers, as enums, and their one string mapping: how each is stored in
//! the database and shown in `--json`. Nothing else spells these strings.

use super::sql::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// A stored state spelling no enum knows: the database holds what our code never wrote.
#[derive(Debug, thiserror::Error)]
#[error("{column} holds unknown value {value:?}")]
pub(super) struct UnknownStoredState {
    /// `table.column` the value was read from.
    pub column: &'static str,
    pub value: String,
}

macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident in $column:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every stored spelling, in declaration order (gauges that must show 0, `--status`).
            pub const NAMES: [&'static str; [$($text),+].len()] = [$($text),+];

            /// The stored (and printed) spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Serialised as its stored spelling, so `--json` prints what the database holds.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                $name::parse(text).ok_or_else(|| {
                    FromSqlError::Other(Box::new(UnknownStoredState {
                        column: $column,
                        value: text.to_owned(),
                    }))
                })
            }
        }

        impl From<$name> for super::sql::Value {
            fn from(state: $name) -> Self {
                super::sql::Value::Text(state.as_str().to_owned())
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> super::sql::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
            fn null_kind() -> super::sql::Kind {
                super::sql::Kind::Text
            }
        }
    };
}

stored_enum!(
    /// Where a workflow is.
    WorkflowStatus in "workflows.status" {
        Pending => "pending",
        Running => "running",
        Completed => "completed",
        Duplicate => "duplicate",
        Suppressed => "suppressed",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

impl WorkflowStatus {
    /// A finished workflow never moves back: its progress writes are refused.
    pub fn is_finished(self) -> bool {
        !matches!(
            self,
            WorkflowStatus::Pending | WorkflowStatus::Running | WorkflowStatus::Failed
        )
    }

    /// Still on its way: nothing has stopped it yet (a failed workflow waits for a retry).
    pub fn is_under_way(self) -> bool {
        matches!(self, WorkflowStatus::Pending | WorkflowStatus::Running)
    }
}

stored_enum!(
    /// Where a job is in the queue.
    JobState in "jobs.state" {
        Available => "available",
        Running => "running",
        Retryable => "retryable",
        Completed => "completed",
        Dead => "dead",
        Cancelled => "cancelled",
        Held => "held",
    }
);

stored_enum!(
    /// One execution of one step.
    StepStatus in "workflow_steps.status" {
        Running => "running",
        Completed => "completed",
        Failed => "failed",
        Skipped => "skipped",
        Superseded => "superseded",
    }
);

stored_enum!(
    /// Where a draft is in review and sending.
    DraftStatus in "drafts.status" {
        PendingReview => "pending_review",
        Approved => "approved",
        Rejected => "rejected",
        Sending => "sending",
        Sent => "sent",
        SendFailed => "send_failed",
        Orphaned => "orphaned",
        Superseded => "superseded",
    }
);

stored_enum!(
    /// What `usage` counts, per tenant and UTC day (the CSV's columns, in this order).
    Metric in "usage.metric" {
        /// New submissions stored (each with its workflow), from every source.
        SubmissionsAccepted => "submissions_accepted",
        /// Re-deliveries refused at intake, plus workflows the dedupe step ended as duplicate.
        Duplicates => "duplicates",
        WorkflowsCompleted => "workflows_completed",
        /// Workflows whose failure nothing retries automatically (dead or cancelled job, or a
        /// failed run outside the queue).
        WorkflowsFailed => "workflows_failed",
        DraftsCreated => "drafts_created",
        DraftsApproved => "drafts_approved",
        EmailsSent => "emails_sent",
        LlmPromptTokens => "llm_prompt_tokens",
        LlmCompletionTokens => "llm_completion_tokens",
        /// Operations on the CRM (embedded or HubSpot) whose step committed.
        CrmCalls => "crm_calls",
        /// Operations on the mailbox (embedded or Gmail) whose step or send committed.
        MailboxCalls => "mailbox_calls",
        /// CSV rows an import committed (accepted, duplicate or rejected).
        ImportRows => "import_rows",
    }
);

/// SQL `IN (…)` list of the workflow statuses that may still change.
pub(super) const UNFINISHED_WORKFLOWS: &str = "('pending', 'running', 'failed')";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_spelling() {
        for s in WorkflowStatus::ALL {
            assert_eq!(WorkflowStatus::parse(s.as_str()), Some(*s));
        }
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(*s));
        }
        for s in StepStatus::ALL {
            assert_eq!(StepStatus::parse(s.as_str()), Some(*s));
        }
        for s in DraftStatus::ALL {
            assert_eq!(DraftStatus::parse(s.as_str()), Some(*s));
        }
        for s in Metric::ALL {
            assert_eq!(Metric::parse(s.as_str()), Some(*s));
        }
        let unfinished: Vec<&str> = WorkflowStatus::ALL
            .iter()
            .filter(|s| !s.is_finished())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            UNFINISHED_WORKFLOWS,
            format!("('{}')", unfinished.join("', '"))
        );
    }
}
