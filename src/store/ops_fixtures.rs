//! Fixtures for the unit tests of the store's operations half (retention, erasure, reconcile,
//! dead letters, stats): a finished workflow with every row that hangs off it, written with SQL
//! valid on both backends, so the same tests run on SQLite and on PostgreSQL.

use super::sql::params;
use super::{Store, new_id, test_support};

/// The rows of one workflow made by [`workflow`].
#[derive(Clone, Debug)]
pub struct Made {
    pub workflow: String,
    pub job: String,
    pub submission: String,
    pub draft: String,
}

/// A webhook body from `email` (a form submission id of its own, so each is a new submission).
pub fn body(email: &str) -> String {
    format!(
        r#"{{"portalId":1,"formId":"f","formSubmissionId":"{}","fieldValues":[{{"name":"email","value":"{email}"}}]}}"#,
        new_id()
    )
}

/// A workflow of `email` in `status` whose job is `job_state`, with one attempt, a `contact` step
/// (HubSpot contact `contact`), a draft in `draft_status` in `mailbox` and a task.
pub fn workflow(
    store: &Store,
    email: &str,
    status: &str,
    job_state: &str,
    draft_status: &str,
    mailbox: &str,
) -> Made {
    let (workflow, job) = test_support::enqueue(store, &body(email));
    let submission: String = store
        .conn
        .query_row(
            "SELECT submission_id FROM workflows WHERE id = ?1 AND tenant_id = ?2",
            (&workflow, &store.tenant),
            |r| r.get(0),
        )
        .unwrap();
    let sql = |sql: &str, values: &[&dyn super::sql::ToSql]| {
        store.conn.execute(sql, values).unwrap();
    };
    sql(
        "UPDATE workflows SET status = ?2, updated_at = 2000 WHERE id = ?1 AND tenant_id = ?3",
        params![workflow, status, store.tenant],
    );
    sql(
        "UPDATE jobs SET state = ?2, attempt = 1, updated_at = 2000 WHERE id = ?1 AND tenant_id = ?3",
        params![job, job_state, store.tenant],
    );
    sql(
        "INSERT INTO job_attempts (job_id, attempt, worker, error, started_at, finished_at)
         SELECT ?1, 1, 'w1', ?2, 1500, 1600
         WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?1 AND tenant_id = ?3)",
        params![job, format!("timeout talking about {email}"), store.tenant],
    );
    sql(
        "INSERT INTO workflow_steps (id, workflow_id, seq, name, attempt, status, input, output,
             remote_id, started_at)
         SELECT ?1, ?2, 3, 'contact', 1, 'completed', ?3, '{\"crm\":\"hubspot\"}', '901', 1500
         WHERE EXISTS (SELECT 1 FROM workflows WHERE id = ?2 AND tenant_id = ?4)",
        params![
            new_id(),
            workflow,
            format!("{{\"email\":\"{email}\"}}"),
            store.tenant
        ],
    );
    let draft = new_id();
    let remote = (mailbox == "gmail").then(|| format!("g-{draft}"));
    sql(
        "INSERT INTO drafts (id, tenant_id, workflow_id, recipient, sender, subject, body,
             message_id, mailbox, remote_draft_id, status, reviewed_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'rep@ours.example', 'Hello', ?5, ?6, ?7, ?8, ?9, 1800, 1700, 1800)",
        params![
            draft,
            store.tenant,
            workflow,
            email,
            format!("Dear {email}, thanks"),
            format!("<{draft}@ours.example>"),
            mailbox,
            remote,
            draft_status
        ],
    );
    sql(
        "INSERT INTO tasks (id, tenant_id, workflow_id, crm, remote_task_id, contact_id, subject,
             priority, due_at, created_at)
         VALUES (?1, ?2, ?3, 'hubspot', 't-1', '901', ?4, 'HIGH', 5000, 1900)",
        params![new_id(), store.tenant, workflow, format!("Call {email}")],
    );
    Made {
        workflow,
        job,
        submission,
        draft,
    }
}

/// A dead letter for `made`'s job (made dead), with the job's attempt as its history.
pub fn dead_letter(store: &Store, made: &Made) -> String {
    let id = new_id();
    store
        .conn
        .execute(
            "UPDATE jobs SET state = 'dead', last_error = 'boom' WHERE id = ?1 AND tenant_id = ?2",
            (&made.job, &store.tenant),
        )
        .unwrap();
    store
        .conn
        .execute(
            "INSERT INTO dead_letters (id, tenant_id, job_id, workflow_id, error_class, error,
                 attempts, payload, created_at)
             VALUES (?1, ?2, ?3, ?4, 'transient', 'boom', 1, '{}', 2100)",
            params![id, store.tenant, made.job, made.workflow],
        )
        .unwrap();
    id
}

/// How many rows of `table` match `condition` (SQL over the table's own columns).
pub fn count(store: &Store, table: &str, condition: &str) -> i64 {
    store
        .conn
        .query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE {condition}"),
            (),
            |r| r.get(0),
        )
        .unwrap()
}
