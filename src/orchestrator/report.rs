//! The report of one workflow: what `run --json` and `workflows show --json` print (stable,
//! snake_case), built from the store.

use serde::Serialize;

use super::STEPS;
use crate::domain::time::rfc3339;
use crate::error::Result;
use crate::store::{DraftRow, Store, WorkflowStatus};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WorkflowReport {
    pub workflow_id: Option<String>,
    pub submission_id: String,
    #[schema(value_type = String)]
    pub status: WorkflowStatus,
    /// For duplicates caught at intake: the workflow that already handles this submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    pub email: Option<String>,
    pub mode: Option<String>,
    pub score: Option<i64>,
    pub current_step: Option<String>,
    pub attempts: i64,
    pub trace_id: Option<String>,
    pub error: Option<ErrorView>,
    pub created_at: Option<String>,
    pub completed_at: Option<String>,
    pub steps: Vec<StepView>,
    pub draft: Option<DraftView>,
    pub task: Option<TaskView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorView {
    pub class: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub name: String,
    pub status: String,
    pub attempts: i64,
    pub duration_ms: Option<i64>,
    pub remote_id: Option<String>,
    pub error: Option<String>,
    pub error_class: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DraftView {
    pub id: String,
    pub to: String,
    pub from: String,
    pub subject: String,
    pub status: String,
    pub composer: ComposerFacts,
}

/// How a draft's text was obtained: what `drafts show` and `workflows show` print about it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ComposerFacts {
    pub model: Option<String>,
    pub prompt_version: Option<String>,
    pub tokens: Option<i64>,
    pub latency_ms: Option<i64>,
    pub structured_mode: Option<String>,
    pub repaired: bool,
    pub fallback_used: bool,
    pub fallback_reason: Option<String>,
}

impl ComposerFacts {
    pub fn of(d: &DraftRow) -> ComposerFacts {
        ComposerFacts {
            model: d.model.clone(),
            prompt_version: d.prompt_version.clone(),
            tokens: d.tokens_used,
            latency_ms: d.latency_ms,
            structured_mode: d.structured_mode.clone(),
            repaired: d.repaired,
            fallback_used: d.fallback_used,
            fallback_reason: d.fallback_reason.clone(),
        }
    }

    /// One line for a person: `gpt-4o-mini, prompt sha256:…, 200 tokens, 850 ms, json_schema`.
    pub fn summary(&self) -> String {
        let mut parts = vec![self.model.clone().unwrap_or_else(|| "-".into())];
        if let Some(v) = &self.prompt_version {
            parts.push(format!("prompt {v}"));
        }
        if let Some(t) = self.tokens {
            parts.push(format!("{t} tokens"));
        }
        if let Some(ms) = self.latency_ms {
            parts.push(format!("{ms} ms"));
        }
        if let Some(m) = &self.structured_mode {
            parts.push(format!("structured {m}"));
        }
        if self.repaired {
            parts.push("repaired".into());
        }
        if self.fallback_used {
            parts.push(match &self.fallback_reason {
                Some(r) => format!("template fallback: {r}"),
                None => "template fallback".into(),
            });
        }
        parts.join(", ")
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: String,
    pub due_at: String,
}

impl WorkflowReport {
    pub fn load(store: &Store, workflow_id: &str) -> Result<WorkflowReport> {
        let wf = store.get_workflow(workflow_id)?;
        let records = store.workflow_steps(workflow_id)?;
        let steps = STEPS
            .iter()
            .map(|step| {
                let attempts: Vec<_> = records.iter().filter(|r| r.seq == step.seq()).collect();
                match attempts.last() {
                    Some(r) => StepView {
                        name: r.name.clone(),
                        status: r.status.as_str().to_owned(),
                        attempts: r.attempt,
                        duration_ms: r.duration_ms,
                        remote_id: r.remote_id.clone(),
                        error: r.error.clone(),
                        error_class: r.error_class.clone(),
                    },
                    None => StepView {
                        name: step.name().to_string(),
                        status: "pending".into(),
                        attempts: 0,
                        duration_ms: None,
                        remote_id: None,
                        error: None,
                        error_class: None,
                    },
                }
            })
            .collect();
        let draft = store.draft_for_workflow(workflow_id)?.map(|d| DraftView {
            composer: ComposerFacts::of(&d),
            id: d.id,
            to: d.recipient,
            from: d.sender,
            subject: d.subject,
            status: d.status.as_str().to_owned(),
        });
        let task = store.task_for_workflow(workflow_id)?.map(|t| TaskView {
            id: t.remote_task_id,
            due_at: rfc3339(t.due_at),
        });
        let error = (wf.status == WorkflowStatus::Failed)
            .then(|| wf.last_error.clone())
            .flatten()
            .map(|message| ErrorView {
                class: wf.last_error_class.clone(),
                message,
            });
        Ok(WorkflowReport {
            workflow_id: Some(wf.id),
            submission_id: wf.submission_id,
            status: wf.status,
            duplicate_of: None,
            email: wf.email,
            mode: Some(wf.mode),
            score: wf.score,
            current_step: wf.current_step,
            attempts: wf.attempts,
            trace_id: Some(wf.trace_id),
            error,
            created_at: Some(rfc3339(wf.created_at)),
            completed_at: wf.completed_at.map(rfc3339),
            steps,
            draft,
            task,
        })
    }

    /// The report for a submission seen before: nothing new was created.
    pub fn duplicate(submission_id: String, workflow_id: Option<String>) -> WorkflowReport {
        WorkflowReport {
            workflow_id: None,
            submission_id,
            status: WorkflowStatus::Duplicate,
            duplicate_of: workflow_id,
            email: None,
            mode: None,
            score: None,
            current_step: None,
            attempts: 0,
            trace_id: None,
            error: None,
            created_at: None,
            completed_at: None,
            steps: vec![],
            draft: None,
            task: None,
        }
    }
}
