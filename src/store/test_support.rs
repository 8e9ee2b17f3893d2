//! Fixtures for the store's unit tests: one database several stores open (SQLite file or
//! PostgreSQL schema), one queued submission, a progress write, a step record, a draft.

use super::{
    Acceptance, DraftStatus, NewDraft, NewSubmission, PipelineWrite, Source, StepRecord, Store,
    WorkflowProgress, WorkflowStatus, new_id, states::StepStatus,
};
use crate::domain::submission::parse_payload;
use crate::domain::tenant::TenantId;

/// One database that several stores (connections) open, as processes share one in production: a
/// SQLite file in a temporary directory, or with `SALESAGENT_TEST_PG` a fresh PostgreSQL schema,
/// so tests of two stores at once (tenants, concurrency) run on both backends.
pub enum SharedDb {
    Sqlite(tempfile::TempDir),
    Postgres { url: String, schema: String },
}

impl SharedDb {
    pub fn new() -> SharedDb {
        match super::test_postgres() {
            Some((url, schema)) => SharedDb::Postgres { url, schema },
            None => SharedDb::Sqlite(tempfile::tempdir().unwrap()),
        }
    }

    /// A new connection to the database, as `tenant`'s store (the first one migrates it).
    pub fn open(&self, tenant: &str) -> Store {
        self.try_open(tenant).unwrap()
    }

    pub fn try_open(&self, tenant: &str) -> crate::error::Result<Store> {
        let tenant = TenantId::parse(tenant).unwrap();
        match self {
            SharedDb::Sqlite(dir) => Store::open(&dir.path().join("t.db"), &tenant),
            SharedDb::Postgres { url, schema } => Store::open_postgres(url, &tenant, Some(schema)),
        }
    }
}

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

/// SQLite's `EXPLAIN QUERY PLAN` of `sql` with `params`, one line per step (tests that a query
/// searches the index it relies on).
pub fn sqlite_plan(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> String {
    let plan: Vec<String> = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap()
        .query_map(params, |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    plan.join("\n")
}

/// A draft `id` of `workflow_id` waiting for review, its other fields empty or fixed.
pub fn new_draft(id: &str, workflow_id: &str, created_at: i64) -> NewDraft {
    NewDraft {
        id: id.into(),
        workflow_id: workflow_id.into(),
        recipient: "a@example.com".into(),
        sender: "me@example.com".into(),
        subject: "Hello".into(),
        body: "Hi".into(),
        message_id: format!("<{id}@example.com>"),
        score: None,
        route_reason: None,
        model: None,
        prompt_version: None,
        tokens_used: None,
        fallback_used: false,
        structured_mode: None,
        repaired: false,
        latency_ms: None,
        fallback_reason: None,
        mailbox: "embedded".into(),
        remote_draft_id: None,
        remote_message_id: None,
        thread_id: None,
        status: DraftStatus::PendingReview,
        created_at,
    }
}
