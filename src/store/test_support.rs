//! Fixtures for the store's unit tests: one queued submission, a progress write, a step record.

use super::{
    Acceptance, NewSubmission, PipelineWrite, Source, StepRecord, Store, WorkflowProgress,
    WorkflowStatus, new_id, states::StepStatus,
};
use crate::domain::submission::parse_payload;

pub const SEED: &str = r#"{"portalId":1,"formId":"f","formSubmissionId":"S","fieldValues":[{"name":"email","value":"a@example.com"}]}"#;

/// Accepts `body` as a webhook on the `normal` queue: (workflow id, job id).
pub fn enqueue(store: &Store, body: &str) -> (String, String) {
    let parsed = parse_payload(body.as_bytes()).unwrap();
    let item = NewSubmission {
        source: Source::Webhook,
        parsed: &parsed.submissions[0],
        raw_payload: body.as_bytes(),
        signature: None,
        import_job_id: None,
        synthetic: false,
        queue: Some("normal"),
        trace_id: None,
        received_at: 1000,
    };
    match store.accept_submissions(&[item]).unwrap().remove(0) {
        Acceptance::Accepted {
            workflow_id,
            job_id,
            ..
        } => (workflow_id, job_id.unwrap()),
        other => panic!("{other:?}"),
    }
}

/// The workflow's progress to `status` at `at`.
pub fn progress(workflow_id: &str, status: WorkflowStatus, at: i64) -> PipelineWrite {
    PipelineWrite::Progress(WorkflowProgress {
        workflow_id: workflow_id.to_string(),
        status,
        current_step: None,
        score: None,
        last_error: None,
        last_error_class: None,
        at,
        finished: status == WorkflowStatus::Completed,
        begins_attempt: true,
    })
}

/// Attempt 1 of the task step, in `status`.
pub fn task_step(workflow_id: &str, status: StepStatus) -> StepRecord {
    StepRecord {
        id: new_id(),
        workflow_id: workflow_id.to_string(),
        seq: 12,
        name: "task".into(),
        attempt: 1,
        status,
        input: None,
        output: None,
        remote_id: None,
        error: None,
        error_class: None,
        started_at: 1,
        finished_at: None,
        duration_ms: None,
    }
}
