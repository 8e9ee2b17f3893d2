//! Stored states read back as enums: an unknown spelling in the database is an internal error
//! naming the table and the value (never a panic, never printed as if it were a state), and the
//! `--status` filters accept exactly the stored spellings.

use crate::env::{TestEnv, fixture, stderr};

/// A workflow and its draft, through `run`.
fn env_with_a_workflow() -> TestEnv {
    let env = TestEnv::new();
    let out = env.run(&["run", fixture("forms-v3.json").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    env
}

/// Writes a spelling no salesagent writes, past the schema's CHECK (as a foreign tool could).
fn store_unknown(env: &TestEnv, table: &str, column: &str) {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA ignore_check_constraints = ON; UPDATE {table} SET {column} = 'bogus_state';"
    ))
    .unwrap();
}

fn fails_naming(env: &TestEnv, args: &[&str], column: &str) {
    let out = env.run(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(
        err.contains(column) && err.contains("bogus_state"),
        "{args:?} should name {column} and the value: {err}"
    );
    assert!(err.contains("hint:"), "{args:?}: {err}");
}

#[test]
fn an_unknown_stored_workflow_status_is_an_internal_error_naming_it() {
    let env = env_with_a_workflow();
    store_unknown(&env, "workflows", "status");
    fails_naming(&env, &["workflows", "list"], "workflows.status");
    fails_naming(&env, &["--json", "workflows", "list"], "workflows.status");
}

#[test]
fn an_unknown_stored_draft_status_is_an_internal_error_naming_it() {
    let env = env_with_a_workflow();
    store_unknown(&env, "drafts", "status");
    fails_naming(&env, &["drafts", "list"], "drafts.status");
}

#[test]
fn status_filters_take_the_stored_spellings_and_print_them() {
    let env = env_with_a_workflow();
    let listed = env.json(&["workflows", "list", "--status", "completed"]);
    assert_eq!(listed[0]["status"], "completed", "{listed}");
    let drafts = env.json(&["drafts", "list", "--status", "pending_review"]);
    assert_eq!(drafts[0]["status"], "pending_review", "{drafts}");
    let out = env.run(&["workflows", "list", "--status", "pending_review"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("completed"), "{}", stderr(&out));
}
