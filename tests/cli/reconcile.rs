//! `salesagent reconcile`: each kind of drift built on purpose, found, reported, stored, fixed with
//! `--fix` where that is safe, and the exit codes cron relies on (0 clean, 10 findings, 4 locked).

use crate::env::{Backend, TestEnv, fixture, parse_json, stderr, stdout};

crate::on_both_backends!(
    a_second_run_is_refused_while_the_lock_is_held,
    a_lock_left_by_a_killed_run_on_this_host_is_taken_over,
);

/// A seed-shape payload for `email` with its own submission id.
fn payload(env: &TestEnv, name: &str, email: &str) -> String {
    let text = std::fs::read_to_string(fixture("seed-shape.json"))
        .unwrap()
        .replace("dana.whitfield@northwind-robotics.com", email)
        .replace("b7e2c6f0-1d34-4a8b-9c55-2e7f0a9d3b61", name);
    env.write_file(&format!("{name}.json"), text)
        .to_str()
        .unwrap()
        .to_string()
}

/// Runs one payload through the pipeline and returns its workflow id.
fn completed(env: &TestEnv, name: &str, email: &str) -> String {
    let report = env.json(&["run", &payload(env, name, email)]);
    assert_eq!(report["status"], "completed", "{report}");
    report["workflow_id"].as_str().unwrap().to_string()
}

fn reconcile(env: &TestEnv, args: &[&str], code: i32) -> serde_json::Value {
    let out = env
        .cmd()
        .arg("reconcile")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    parse_json(&out.stdout)
}

fn kinds(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_clean_store_exits_zero_and_quiet_prints_nothing() {
    let env = TestEnv::new();
    completed(&env, "s1", "dana@northwind.com");
    let out = env.run(&["reconcile", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "");
    let out = env.run(&["reconcile"]);
    assert!(stdout(&out).contains("clean (7 checks"), "{}", stdout(&out));
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM reconciliation_reports"),
        2
    );
}

#[test]
fn a_draft_file_deleted_from_the_mailbox_is_found_and_orphaned() {
    let env = TestEnv::new();
    let wf = completed(&env, "s1", "dana@northwind.com");
    for f in env.mail_files("drafts") {
        std::fs::remove_file(f).unwrap();
    }
    let report = reconcile(&env, &[], 10);
    assert_eq!(kinds(&report), ["draft_gone_from_mailbox"]);
    assert_eq!(report["findings"][0]["workflow_id"], wf.as_str());
    assert_eq!(report["remaining"], 1);
    // Quiet still reports findings: cron mails them.
    let out = env.run(&["reconcile", "--quiet"]);
    assert_eq!(out.status.code(), Some(10));
    assert!(stdout(&out).contains("missing-drafts"), "{}", stdout(&out));
    let fixed = reconcile(&env, &["--fix"], 0);
    assert_eq!(fixed["fixed"], 1);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM drafts WHERE status = 'orphaned'"),
        1
    );
    reconcile(&env, &[], 0);
}

#[test]
fn drafts_of_failed_or_missing_workflows_are_orphaned_never_deleted() {
    let env = TestEnv::new();
    let failed = completed(&env, "s1", "dana@northwind.com");
    let gone = completed(&env, "s2", "lee@brightline.io");
    env.sql_batch(&format!(
        "UPDATE workflows SET status = 'failed' WHERE id = '{failed}';
             PRAGMA foreign_keys = OFF;
             UPDATE drafts SET workflow_id = 'no-such-workflow' WHERE workflow_id = '{gone}';"
    ));
    let report = reconcile(&env, &["--check", "orphan-drafts"], 10);
    assert_eq!(kinds(&report), ["orphan_draft", "orphan_draft"]);
    assert_eq!(report["checks"], serde_json::json!(["orphan-drafts"]));
    let fixed = reconcile(&env, &["--fix", "--check", "orphan-drafts"], 0);
    assert_eq!(fixed["fixed"], 2);
    assert_eq!(
        env.mail_files("drafts").len(),
        2,
        "mailbox drafts are never deleted"
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM drafts WHERE status = 'orphaned'"),
        2
    );
}

#[test]
fn a_task_deleted_from_the_crm_is_recreated_with_the_same_reference() {
    let env = TestEnv::new();
    let wf = completed(&env, "s1", "dana@northwind.com");
    env.sql_batch("DELETE FROM crm_tasks;");
    let report = reconcile(&env, &[], 10);
    assert_eq!(kinds(&report), ["task_missing_in_crm"]);
    let fixed = reconcile(&env, &["--fix"], 0);
    assert_eq!(fixed["fixed"], 1);
    assert_eq!(
        env.sql_i64(&format!(
            "SELECT COUNT(*) FROM crm_tasks WHERE reference = 'salesagent-workflow:{wf}'"
        )),
        1
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM tasks t JOIN crm_tasks c ON c.id = CAST(t.remote_task_id AS INTEGER)"),
        1
    );
    // Idempotent: a second fix finds nothing to do and creates nothing.
    reconcile(&env, &["--fix"], 0);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), 1);
}

#[test]
fn a_completed_workflow_without_a_task_gets_its_task_found_by_reference() {
    let env = TestEnv::new();
    completed(&env, "s1", "dana@northwind.com");
    env.sql_batch("DELETE FROM tasks;");
    let report = reconcile(&env, &["--check", "missing-tasks"], 10);
    assert_eq!(kinds(&report), ["completed_without_task"]);
    let fixed = reconcile(&env, &["--fix", "--check", "missing-tasks"], 0);
    assert!(
        fixed["fixes"][0]
            .as_str()
            .unwrap()
            .starts_with("found task"),
        "{fixed}"
    );
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM tasks"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), 1);
}

#[test]
fn duplicate_submissions_with_two_drafts_are_reported_not_fixed() {
    let env = TestEnv::new();
    let first = completed(&env, "s1", "dana@northwind.com");
    let second = completed(&env, "s2", "other@northwind.com");
    // Make the second the same person on the same form, a minute later (its workflow too: the
    // intake writes a workflow with its submission's email and, as created_at, its received_at).
    env.sql_batch(&format!(
        "UPDATE submissions SET email = 'dana@northwind.com',
                 received_at = (SELECT received_at + 60000 FROM submissions s
                                JOIN workflows w ON w.submission_id = s.id WHERE w.id = '{first}')
             WHERE id = (SELECT submission_id FROM workflows WHERE id = '{second}');
             UPDATE workflows SET email = 'dana@northwind.com',
                 created_at = (SELECT received_at FROM submissions WHERE id = workflows.submission_id)
             WHERE id = '{second}';"
    ));
    let report = reconcile(&env, &["--fix"], 10);
    assert_eq!(kinds(&report), ["duplicate_draft"]);
    assert_eq!(report["findings"][0]["workflow_id"], second.as_str());
    assert!(
        report["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("60 s apart")
    );
    assert_eq!(report["fixed"], 0);
    assert_eq!(env.mail_files("drafts").len(), 2);
}

#[test]
fn a_stalled_workflow_is_requeued_on_the_normal_queue() {
    let env = TestEnv::new();
    let wf = completed(&env, "s1", "dana@northwind.com");
    env.sql_batch(&format!(
        "UPDATE workflows SET status = 'running', updated_at = 1000 WHERE id = '{wf}';"
    ));
    let report = reconcile(&env, &["--check", "stuck-workflows"], 10);
    assert_eq!(kinds(&report), ["stuck_workflow"]);
    assert!(
        report["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("no progress since")
    );
    let fixed = reconcile(&env, &["--check", "stuck-workflows", "--fix"], 0);
    assert_eq!(fixed["fixed"], 1);
    assert_eq!(
        env.sql_i64(&format!(
            "SELECT COUNT(*) FROM jobs WHERE workflow_id = '{wf}' AND queue = 'normal'
             AND state = 'available' AND kind = 'workflow'"
        )),
        1
    );
    // Not stuck again right away, and a second fix does not enqueue a second job.
    reconcile(&env, &["--check", "stuck-workflows", "--fix"], 0);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM jobs"), 1);
    // An expired lease makes a running job available again.
    env.sql_batch(&format!(
        "UPDATE jobs SET state = 'running', lease_owner = 'w1', lease_expires_at = 1000;
             UPDATE workflows SET updated_at = strftime('%s','now') * 1000 WHERE id = '{wf}';"
    ));
    let fixed = reconcile(&env, &["--check", "stuck-workflows", "--fix"], 0);
    assert!(
        fixed["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("lease expired")
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'available' AND lease_owner IS NULL"),
        1
    );
}

#[test]
fn dead_letter_growth_is_reported_once_per_report() {
    let env = TestEnv::new();
    let wf = completed(&env, "s1", "dana@northwind.com");
    env.sql_batch(&format!(
            "INSERT INTO jobs (id, queue, kind, workflow_id, state, run_at, created_at, updated_at)
                 VALUES ('j1', 'normal', 'workflow', '{wf}', 'dead', 0, 0, 0);
             INSERT INTO dead_letters (id, job_id, workflow_id, error_class, error, attempts, payload, created_at)
                 VALUES ('d1', 'j1', '{wf}', 'configuration', 'bad token', 5, '{{}}',
                         strftime('%s','now') * 1000);"
        ),
    );
    // A run of other checks does not move the baseline.
    reconcile(&env, &["--check", "missing-tasks"], 0);
    let report = reconcile(&env, &["--check", "dead-letters"], 10);
    assert_eq!(kinds(&report), ["dead_letter_growth"]);
    assert_eq!(report["dead_letters"], 1);
    reconcile(&env, &["--check", "dead-letters"], 0);
}

#[test]
fn reports_are_stored_listed_and_shown() {
    let env = TestEnv::new();
    completed(&env, "s1", "dana@northwind.com");
    env.sql_batch("DELETE FROM crm_tasks;");
    let report = reconcile(&env, &[], 10);
    let id = report["id"].as_str().unwrap();
    let list = env.json(&["reconcile", "reports"]);
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["found"], 1);
    let shown = env.json(&["reconcile", "report", &id[..13]]);
    assert_eq!(shown["findings"][0]["kind"], "task_missing_in_crm");
    assert!(shown["duration_ms"].as_i64().unwrap() >= 0);
    let out = env.run(&["reconcile", "report", id]);
    assert!(stdout(&out).contains("task_missing_in_crm") || stdout(&out).contains("missing-tasks"));
    let out = env.run(&["reconcile", "report", "ffffffff"]);
    assert_eq!(out.status.code(), Some(5));
}

fn a_second_run_is_refused_while_the_lock_is_held(backend: Backend) {
    let env = TestEnv::on(backend);
    completed(&env, "s1", "dana@northwind.com");
    env.sql_batch(
        "INSERT INTO locks (name, owner, acquired_at, expires_at)
         VALUES ('reconcile', 'elsewhere:1', 0, 99999999999999);",
    );
    let out = env.run(&["reconcile"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("another reconcile is running (elsewhere:1"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM reconciliation_reports"),
        0
    );
    // An expired lock (a run killed long ago) is taken over.
    env.sql_batch("UPDATE locks SET expires_at = 1;");
    let out = env.run(&["reconcile"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM locks"), 0);
}

#[test]
fn since_and_check_narrow_the_run_and_bad_values_are_usage_errors() {
    let env = TestEnv::new();
    completed(&env, "s1", "dana@northwind.com");
    env.sql_batch("DELETE FROM crm_tasks; UPDATE workflows SET created_at = 1000;");
    reconcile(&env, &["--since", "1h"], 0);
    reconcile(
        &env,
        &["--check", "orphan-drafts", "--check", "stuck-workflows"],
        0,
    );
    reconcile(&env, &["--check", "missing-tasks"], 10);
    let out = env.run(&["reconcile", "--check", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the checks are: orphan-drafts"));
    let out = env.run(&["reconcile", "--since", "yesterday-ish"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_pending_workflow_without_a_job_is_requeued_but_queued_imports_are_not_stuck() {
    let env = TestEnv::new();
    let wf = completed(&env, "s1", "dana@northwind.com");
    let leads = fixture("leads.csv");
    env.run(&["import", leads.to_str().unwrap()]);
    env.sql_batch(&format!(
        "UPDATE workflows SET updated_at = 1000, created_at = 1000;
             UPDATE workflows SET status = 'pending' WHERE id = '{wf}';"
    ));
    let report = reconcile(&env, &["--check", "stuck-workflows"], 10);
    assert_eq!(kinds(&report), ["stuck_workflow"], "{report}");
    assert_eq!(report["findings"][0]["workflow_id"], wf.as_str());
    assert!(
        report["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("no job to run it")
    );
    reconcile(&env, &["--check", "stuck-workflows", "--fix"], 0);
    assert_eq!(
        env.sql_i64(&format!(
            "SELECT COUNT(*) FROM jobs WHERE workflow_id = '{wf}' AND queue = 'normal'"
        )),
        1
    );
}

fn a_lock_left_by_a_killed_run_on_this_host_is_taken_over(backend: Backend) {
    let env = TestEnv::on(backend);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    env.init_db();
    env.run(&["reconcile", "--quiet"]);
    env.sql_batch(&format!(
        "INSERT INTO locks (name, owner, acquired_at, expires_at)
             VALUES ('reconcile', '{host}:{pid}', 0, 99999999999999);"
    ));
    let out = env.run(&["reconcile"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn an_interrupted_send_is_found_and_marked_send_failed_never_resent() {
    let env = TestEnv::new();
    let workflow = completed(&env, "send-1", "sent@acme.com");
    // A process claimed the send (approved → sending) an hour ago and died before the mailbox
    // answered: the email may or may not have left.
    env.sql_batch(&format!(
        "UPDATE drafts SET status = 'sending', reviewer = 'ops', reviewed_at = 1,
                 send_started_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 3600000
             WHERE workflow_id = '{workflow}'"
    ));
    let report = reconcile(&env, &["--check", "stuck-sends"], 10);
    assert_eq!(kinds(&report), ["interrupted_send"]);
    assert_eq!(report["findings"][0]["workflow_id"], workflow.as_str());
    let fixed = reconcile(&env, &["--check", "stuck-sends", "--fix"], 0);
    assert_eq!(fixed["findings"][0]["fixed"], true);
    let draft = env.json(&["drafts", "list", "--status", "send_failed"]);
    assert_eq!(draft.as_array().unwrap().len(), 1);
    assert!(
        env.mail_files("sent").is_empty(),
        "nothing is sent by reconcile"
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'draft.send_failed' AND actor = 'reconcile'"),
        1
    );
    reconcile(&env, &["--check", "stuck-sends"], 0);
}
