//! Tests of the hot tables' CHECK constraints as V16 spells them: they accept every value our
//! enums store and refuse any other, on both backends, and on SQLite the statements that check
//! them run without building a temporary B-tree per execution (issue 16).

use super::jobs::QUEUES;
use super::sql::params;
use super::states::{JobState, StepStatus, WorkflowStatus};
use super::submissions::Source;
use super::test_support::{enqueue, sqlite_plan};
use super::{Store, new_id};

const SEED: &str = r#"{"portalId":1,"formId":"f","formSubmissionId":"c1","fieldValues":[{"name":"email","value":"a@example.com"}]}"#;

/// One workflow with its submission and job, and its step row `(1, 'parse', 1)`: (workflow,
/// submission, job).
fn rows(store: &Store) -> (String, String, String) {
    let (workflow, job) = enqueue(store, SEED);
    let submission = store.get_workflow(&workflow).unwrap().submission_id;
    store
        .conn
        .execute(
            "INSERT INTO workflow_steps (id, workflow_id, seq, name, attempt, status, started_at)
             SELECT ?1, ?2, 1, 'parse', 1, 'running', 1000
             WHERE EXISTS (SELECT 1 FROM workflows WHERE id = ?2 AND tenant_id = ?3)",
            params![new_id(), workflow, store.tenant],
        )
        .unwrap();
    (workflow, submission, job)
}

#[test]
fn the_checks_accept_every_stored_value_and_refuse_others() {
    let store = Store::open_in_memory().unwrap();
    let (workflow, submission, job) = rows(&store);
    let set = |sql: &str, id: &str, value: &str| {
        store.conn.execute(sql, params![id, value, store.tenant])
    };
    let cases: [(&str, &str, Vec<&str>); 5] = [
        (
            "UPDATE workflows SET status = ?2 WHERE id = ?1 AND tenant_id = ?3",
            &workflow,
            WorkflowStatus::ALL.iter().map(|s| s.as_str()).collect(),
        ),
        (
            "UPDATE jobs SET state = ?2 WHERE id = ?1 AND tenant_id = ?3",
            &job,
            JobState::ALL.iter().map(|s| s.as_str()).collect(),
        ),
        (
            "UPDATE jobs SET queue = ?2 WHERE id = ?1 AND tenant_id = ?3",
            &job,
            QUEUES.to_vec(),
        ),
        (
            "UPDATE submissions SET source = ?2 WHERE id = ?1 AND tenant_id = ?3",
            &submission,
            [Source::Webhook, Source::Run, Source::Import]
                .iter()
                .map(|s| s.as_str())
                .collect(),
        ),
        (
            // A step row by its key (V19), as the pipeline's upsert finds it.
            "UPDATE workflow_steps SET status = ?2 WHERE workflow_id = ?1 AND seq = 1 AND attempt = 1
             AND EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id AND w.tenant_id = ?3)",
            &workflow,
            // `superseded` is never stored as a step's status: no CHECK ever allowed it.
            StepStatus::ALL
                .iter()
                .filter(|s| **s != StepStatus::Superseded)
                .map(|s| s.as_str())
                .collect(),
        ),
    ];
    for (sql, id, values) in cases {
        for value in values {
            assert_eq!(set(sql, id, value).unwrap(), 1, "{sql} with {value}");
        }
        for bogus in ["bogus", "", "Pending", "pending "] {
            assert!(set(sql, id, bogus).is_err(), "{sql} accepted {bogus:?}");
        }
    }
}

/// The opcodes SQLite runs for `sql`.
fn opcodes(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
    let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
    stmt.query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(1))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn the_hot_writes_build_no_temporary_btree() {
    let store = Store::open_in_memory().unwrap();
    let Some(conn) = store.conn.as_sqlite() else {
        return; // The temporary B-trees are SQLite's.
    };
    for sql in [
        "INSERT INTO submissions (id, tenant_id, source, shape, dedupe_key, raw_payload, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        "INSERT INTO workflows (id, tenant_id, submission_id, email, status, mode, trace_id,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?7)",
        "INSERT INTO jobs (id, tenant_id, queue, kind, workflow_id, state, run_at, unique_key,
             import_job_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'workflow', ?4, 'available', ?5, ?6, ?7, ?5, ?5)",
        "UPDATE jobs SET state = ?2, updated_at = ?3 WHERE id = ?1 AND tenant_id = ?4",
        "UPDATE workflows SET status = ?2, updated_at = ?3 WHERE id = ?1 AND tenant_id = ?4",
        "INSERT INTO workflow_steps (id, workflow_id, seq, name, attempt, status, started_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
         WHERE EXISTS (SELECT 1 FROM workflows WHERE id = ?2 AND tenant_id = ?8)",
        "UPDATE workflow_steps SET status = ?2 WHERE workflow_id = ?1 AND seq = ?4 AND attempt = ?5
         AND EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id AND w.tenant_id = ?3)",
    ] {
        let ops = opcodes(conn, sql);
        assert!(
            !ops.iter().any(|op| op == "OpenEphemeral"),
            "{sql}\n{}",
            ops.join(" ")
        );
    }
}

/// The intake batch's own multi-row statements, as the intake writer runs them (one row to the
/// largest chunk): the workflows' and jobs' INSERTs build no temporary B-tree at all, and the
/// submissions' builds only its `RETURNING`'s (one for a row, two for more), the same for any
/// number of rows.
#[test]
fn the_intake_batch_statements_build_no_temporary_btree_per_row() {
    let store = Store::open_in_memory().unwrap();
    let Some(conn) = store.conn.as_sqlite() else {
        return; // The temporary B-trees are SQLite's.
    };
    let ephemeral = |sql: &str| {
        let ops = opcodes(conn, sql);
        ops.iter().filter(|op| *op == "OpenEphemeral").count()
    };
    let returning = ephemeral(super::submissions::INSERT_SUBMISSIONS.sql(2));
    for rows in [1, 2, 4, 64, 256] {
        for insert in [
            &super::submissions::INSERT_WORKFLOWS,
            &super::submissions::INSERT_JOBS,
        ] {
            let sql = insert.sql(rows);
            assert_eq!(ephemeral(sql), 0, "{rows} rows: {sql}");
        }
        let sql = super::submissions::INSERT_SUBMISSIONS.sql(rows);
        assert!(ephemeral(sql) <= returning, "{rows} rows: {sql}");
        if rows > 1 {
            assert_eq!(ephemeral(sql), returning, "{rows} rows: {sql}");
        }
    }
    assert!(
        returning <= 2,
        "RETURNING builds {returning} temporary B-trees"
    );
}

/// V16 spells `jobs_unique`'s condition anew; the privacy erasure's redelivery check, its one
/// reader, still finds live jobs through it.
#[test]
fn the_erasure_redelivery_check_uses_the_unique_index() {
    let store = Store::open_in_memory().unwrap();
    let Some(conn) = store.conn.as_sqlite() else {
        return; // The plan is SQLite's; PostgreSQL plans for itself.
    };
    let plan = sqlite_plan(
        conn,
        super::privacy::QUEUE_ERASURE,
        rusqlite::params!["j", "default", "{}", 1, "privacy:1:1"],
    );
    assert!(
        plan.contains("SEARCH jobs USING INDEX jobs_unique"),
        "{plan}"
    );
    assert!(!plan.contains("SCAN jobs"), "{plan}");
}
