//! `salesagent dlq list|show|retry|export`. Dead letters are arranged with rusqlite, as the worker
//! would leave them: a dead job, its attempts, and a dead_letters row.

use crate::env::{TestEnv, fixture, parse_json, stderr, stdout};

const GUARD: &str = "[guard]\nunsubscribe_line = \"Reply STOP to hear no more.\"\n";

/// A workflow that failed at the guard step (the template lacks the unsubscribe line).
pub(crate) fn failed_workflow(env: &TestEnv) -> String {
    env.write_config(GUARD);
    let out = env.run(&[
        "run",
        fixture("seed-shape.json").to_str().unwrap(),
        "--json",
    ]);
    let report = parse_json(&out.stdout);
    assert_eq!(report["status"], "failed", "{report}");
    report["workflow_id"].as_str().unwrap().to_string()
}

/// Inserts a dead job for the workflow, two failed attempts and its dead letter; returns its id.
pub(crate) fn dead_letter(
    env: &TestEnv,
    id: &str,
    workflow: Option<&str>,
    class: &str,
    error: &str,
) -> String {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let job = format!("job-{id}");
    conn.execute(
        "INSERT INTO jobs (id, queue, kind, workflow_id, payload, state, attempt, max_attempts,
             run_at, last_error, last_error_class, created_at, updated_at)
         VALUES (?1, 'normal', 'workflow', ?2, '{}', 'dead', 2, 2, 1, ?3, ?4, 1, 1)",
        rusqlite::params![job, workflow, error, class],
    )
    .unwrap();
    for attempt in 1..=2 {
        conn.execute(
            "INSERT INTO job_attempts (job_id, attempt, worker, error, error_class, started_at, finished_at)
             VALUES (?1, ?2, 'w1', ?3, ?4, ?2, ?2)",
            rusqlite::params![job, attempt, format!("{error} (attempt {attempt})"), class],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO dead_letters (id, job_id, workflow_id, error_class, error, attempts, payload, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 2, ?6, ?7)",
        rusqlite::params![
            id,
            job,
            workflow,
            class,
            error,
            serde_json::json!({ "workflow_id": workflow, "note": "=cmd|' /C calc'!A0" }).to_string(),
            1_764_412_800_000_i64 + id.len() as i64
        ],
    )
    .unwrap();
    id.to_string()
}

#[test]
fn retry_now_completes_the_workflow() {
    let env = TestEnv::new();
    let wf = failed_workflow(&env);
    let dl = dead_letter(
        &env,
        "dl-guard-0001",
        Some(&wf),
        "invalid_input",
        "guard refused",
    );
    env.write_config("");
    let out = env.run(&["dlq", "retry", &dl, "--now", "--by", "ann"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("workflow completed"),
        "{}",
        stdout(&out)
    );
    let shown = env.json(&["workflows", "show", &wf]);
    assert_eq!(shown["status"], "completed");
    assert_eq!(shown["draft"]["status"], "pending_review");
    assert_eq!(env.mail_files("drafts").len(), 1);
    assert_eq!(
        env.sql_i64(&format!(
            "SELECT COUNT(*) FROM jobs WHERE id = 'job-{dl}' AND state = 'completed'"
        )),
        1
    );
    let dead = env.json(&["dlq", "show", &dl]);
    assert!(dead["resolved_at"].is_string(), "{dead}");
    assert_eq!(dead["history"].as_array().unwrap().len(), 2);
    assert!(env.json(&["dlq", "list"]).as_array().unwrap().is_empty());
    let audit = env.json(&["audit", "list", "--action", "dlq.retry"]);
    assert_eq!(audit[0]["actor"], "ann");
    assert_eq!(audit[0]["subject"], dl.as_str());
}

#[test]
fn retry_requeues_with_fresh_attempts_for_a_worker() {
    let env = TestEnv::new();
    let wf = failed_workflow(&env);
    let dl = dead_letter(&env, "dl-queue-0001", Some(&wf), "transient", "timeout");
    let before = env.table_counts();
    let dry = env.run(&["dlq", "retry", "--all", "--dry-run"]);
    assert_eq!(env.table_counts(), before);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(stdout(&dry).contains("would retry dl-queue-0001"));
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'dead'"),
        1
    );
    let out = env.run(&["dlq", "retry", "--class", "transient", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        env.sql_i64(&format!(
            "SELECT COUNT(*) FROM jobs WHERE id = 'job-{dl}' AND state = 'available' AND attempt = 0"
        )),
        1
    );
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM job_attempts"), 0);
    assert_eq!(
        env.sql_i64(&format!(
            "SELECT COUNT(*) FROM workflows WHERE id = '{wf}' AND status = 'pending'"
        )),
        1
    );
    let dead = env.json(&["dlq", "show", &dl]);
    assert!(dead["retried_at"].is_string());
    assert_eq!(dead["history"][1]["error"], "timeout (attempt 2)");
    let again = env.run(&["dlq", "retry", &dl]);
    assert_eq!(again.status.code(), Some(4), "{}", stderr(&again));
}

#[test]
fn list_filters_and_show_has_every_attempt() {
    let env = TestEnv::new();
    let wf = failed_workflow(&env);
    dead_letter(
        &env,
        "dl-aaaa-0001",
        Some(&wf),
        "configuration",
        "401 from hubspot",
    );
    dead_letter(
        &env,
        "dl-bbbb-0002",
        None,
        "external_service",
        "circuit open",
    );
    assert_eq!(env.json(&["dlq", "list"]).as_array().unwrap().len(), 2);
    let cfg = env.json(&["dlq", "list", "--class", "configuration"]);
    assert_eq!(cfg.as_array().unwrap().len(), 1);
    assert_eq!(cfg[0]["id"], "dl-aaaa-0001");
    let shown = env.json(&["dlq", "show", "dl-aaaa"]);
    assert_eq!(shown["history"].as_array().unwrap().len(), 2);
    assert_eq!(shown["payload"]["workflow_id"], wf.as_str());
    let text = env.run(&["dlq", "show", "dl-aaaa-0001"]);
    assert!(
        stdout(&text).contains("401 from hubspot (attempt 1)"),
        "{}",
        stdout(&text)
    );
    let missing = env.run(&["dlq", "show", "dl-zzzz"]);
    assert_eq!(missing.status.code(), Some(5));
    let bulk = env.run(&["dlq", "retry", "--all"]);
    assert_eq!(bulk.status.code(), Some(2), "{}", stderr(&bulk));
}

#[test]
fn csv_export_parses_and_defuses_formulas() {
    let env = TestEnv::new();
    let wf = failed_workflow(&env);
    dead_letter(
        &env,
        "dl-csv-0001",
        Some(&wf),
        "invalid_input",
        "=HYPERLINK(\"http://x\",\"y\")",
    );
    dead_letter(
        &env,
        "dl-csv-0002",
        None,
        "transient",
        "line one,\n\"quoted\" @two",
    );
    let path = env.path().join("dlq.csv");
    let out = env.run(&[
        "dlq",
        "export",
        "--format",
        "csv",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let script = r#"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
bad = [c for r in rows for c in r.values() if c[:1] in ('=', '+', '-', '@', '\t', '\r')]
print(json.dumps({"n": len(rows), "bad": bad, "errors": [r["error"] for r in rows]}))
"#;
    let py = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let result = parse_json(&py.stdout);
    assert_eq!(result["n"], 2);
    assert!(result["bad"].as_array().unwrap().is_empty(), "{result}");
    assert_eq!(result["errors"][0], "'=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(result["errors"][1], "line one,\n\"quoted\" @two");
    let jsonl = env.run(&["dlq", "export", "--format", "jsonl"]);
    let lines: Vec<_> = stdout(&jsonl)
        .lines()
        .map(|l| parse_json(l.as_bytes()))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["error_class"], "invalid_input");
}

#[test]
fn the_losing_retry_says_who_won_and_where_the_job_is() {
    let env = TestEnv::new();
    let wf = failed_workflow(&env);
    let dl = dead_letter(&env, "dl-race-0001", Some(&wf), "transient", "timeout");
    // Hold the write lock so both retries read the dead letter, then queue for the lock.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let children: Vec<_> = ["ann", "bob"]
        .iter()
        .map(|by| {
            env.std_command()
                .args(["dlq", "retry", &dl, "--by", by])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    conn.execute_batch("COMMIT").unwrap();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let winners = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(winners, 1, "exactly one retry wins");
    let loser = outs.iter().find(|o| !o.status.success()).unwrap();
    assert_eq!(loser.status.code(), Some(4));
    let err = stderr(loser);
    let winner = env.json(&["audit", "list", "--action", "dlq.retry"])[0]["actor"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        err.contains(&format!("already retried by {winner}")),
        "the loser names who retried: {err}"
    );
    assert!(
        err.contains("is available"),
        "and the job's state now: {err}"
    );
    assert!(!err.contains("not dead"), "{err}");
}

#[test]
fn csv_and_jsonl_exports_have_the_same_columns() {
    let env = TestEnv::new();
    let wf = failed_workflow(&env);
    dead_letter(&env, "dl-cols-0001", Some(&wf), "transient", "timed out");
    let csv = env.run(&["dlq", "export", "--format", "csv"]);
    assert!(csv.status.success(), "{}", stderr(&csv));
    let header: Vec<String> = stdout(&csv)
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let jsonl = env.run(&["dlq", "export", "--format", "jsonl"]);
    let first = parse_json(stdout(&jsonl).lines().next().unwrap().as_bytes());
    let mut keys: Vec<String> = first.as_object().unwrap().keys().cloned().collect();
    let mut columns = header.clone();
    keys.sort();
    columns.sort();
    assert_eq!(columns, keys, "csv header {header:?}");
}

#[test]
fn stats_tells_dead_letters_created_from_those_still_open() {
    let env = TestEnv::new();
    let wf = failed_workflow(&env);
    let dl = dead_letter(
        &env,
        "dl-stats-0001",
        Some(&wf),
        "invalid_input",
        "guard refused",
    );
    // Inside stats' default window (the helper dates dead letters long ago).
    rusqlite::Connection::open(env.db())
        .unwrap()
        .execute(
            "UPDATE dead_letters SET created_at = CAST(unixepoch('subsec') * 1000 AS INTEGER)",
            [],
        )
        .unwrap();
    env.write_config("");
    let out = env.run(&["dlq", "retry", &dl, "--now", "--by", "ann"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&env.run(&["stats"]));
    assert!(
        text.contains("1 created in the window, 0 still open"),
        "{text}"
    );
    let json = env.json(&["stats"]);
    assert_eq!(json["dead_letters"], 1, "{json}");
    assert_eq!(json["dead_letters_open"], 0, "{json}");
}
