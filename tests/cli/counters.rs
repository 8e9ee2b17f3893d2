//! Counters and states tell the truth (issue 12): dead letters clear once their retry completes,
//! `queues` shows worker processes and threads and warns when nothing works the queue, `import
//! status`/`list` say what an import is really doing, cut lists say so, `stats` reads like a
//! person would say it.

use crate::dlq::{dead_letter, failed_workflow};
use crate::env::{TestEnv, stderr, stdout};
use crate::import::generated;
use crate::server_support::{Proc, signed_env, wait_for};

#[test]
fn a_dead_letter_whose_retry_completed_is_counted_nowhere() {
    let env = signed_env();
    let wf = failed_workflow(&env);
    let dl = dead_letter(&env, "dl-clear-0001", Some(&wf), "transient", "timeout");
    env.write_config("");
    assert_eq!(env.json(&["queues"])["dead_letters"], 1);
    let out = env.run(&["dlq", "retry", &dl]);
    assert!(out.status.success(), "{}", stderr(&out));
    let serve = Proc::serve(&env, &["--workers", "1"]);
    wait_for("the retried job to complete", || {
        env.sql_i64(&format!(
            "SELECT COUNT(*) FROM jobs WHERE id = 'job-{dl}' AND state = 'completed'"
        )) == 1
    });
    assert_eq!(
        env.sql_i64(&format!(
            "SELECT COUNT(*) FROM dead_letters WHERE id = '{dl}' AND resolved_at IS NOT NULL"
        )),
        1,
        "the completed retry resolves its dead letter"
    );
    // The gauge an alert watches clears (scrapes may be sampled, so poll).
    wait_for("salesagent_dead_letters to read 0", || {
        reqwest::blocking::get(format!("{}/metrics", serve.base))
            .and_then(|r| r.text())
            .is_ok_and(|t| t.lines().any(|l| l == "salesagent_dead_letters 0"))
    });
    drop(serve);
    assert_eq!(env.json(&["queues"])["dead_letters"], 0);
    let out = env.run(&["queues"]);
    assert!(stdout(&out).contains("dead letters: 0"), "{}", stdout(&out));
    let out = env.run(&["reconcile", "--check", "dead-letters", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = crate::env::parse_json(&out.stdout);
    assert_eq!(report["dead_letters"], 0, "{report}");
}

#[test]
fn queues_shows_worker_processes_and_threads() {
    let env = signed_env();
    let serve = Proc::serve(&env, &["--workers", "2"]);
    // The pool's first heartbeat may land after serve listens: wait for its row first.
    crate::server_support::wait_for("the first heartbeat", || {
        env.sql_i64("SELECT COUNT(*) FROM worker_heartbeats") >= 1
    });
    let shown = env.json(&["queues"]);
    assert_eq!(shown["worker_processes"], 1, "{shown}");
    assert_eq!(shown["worker_threads"], 2, "{shown}");
    let out = env.run(&["queues"]);
    assert!(
        stdout(&out).contains("workers: 1 process, 2 threads"),
        "{}",
        stdout(&out)
    );
    drop(serve);
}

#[test]
fn queues_warns_when_jobs_wait_and_no_worker_runs() {
    let env = TestEnv::new();
    let file = env.write_file("leads.csv", generated(3, None));
    let out = env.run(&["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["queues"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("3 jobs wait and no worker is running"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("workers: 0 processes, 0 threads"));
}

#[test]
fn queues_never_calls_more_jobs_running_than_there_are_threads() {
    let env = TestEnv::new();
    let file = env.write_file("leads.csv", generated(8, None));
    assert!(
        env.run(&["import", file.to_str().unwrap()])
            .status
            .success()
    );
    // One live worker thread that claimed four jobs ahead (its prefetch), as a worker leaves them.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(&format!(
        "INSERT INTO worker_heartbeats (worker_id, hostname, pid, queues, threads, started_at, seen_at)
         VALUES ('w1', 'h', 1, 'batch', 1, {now}, {now});
         UPDATE jobs SET state = 'running', lease_owner = 'w1', lease_expires_at = {now} + 600000,
             attempt = 1
         WHERE rowid IN (SELECT rowid FROM jobs LIMIT 4);"
    ))
    .unwrap();
    let out = env.run(&["queues"]);
    let text = stdout(&out);
    assert!(
        !text.lines().any(|l| l.contains("running")),
        "four jobs are not running on one thread:\n{text}"
    );
    assert!(text.contains("claimed"), "{text}");
    assert!(text.contains("workers: 1 process, 1 thread"), "{text}");
}

#[test]
fn import_status_says_processing_while_workflows_are_pending() {
    let env = TestEnv::new();
    let file = env.write_file("leads.csv", generated(3, None));
    let out = env.run(&["import", file.to_str().unwrap(), "--json"]);
    let id = crate::env::parse_json(&out.stdout)["import_id"]
        .as_str()
        .unwrap()
        .to_string();
    let status = env.json(&["import", "status", &id]);
    assert_eq!(status["status"], "processing", "{status}");
    let out = env.run(&["import", "status", &id]);
    let text = stdout(&out);
    assert!(
        text.contains("processing: file read, 3 of 3 workflows not finished yet"),
        "{text}"
    );
    assert!(!text.contains("completed ("), "{text}");
    // Once every workflow ran, it is completed, and the count reads once.
    let worker = Proc::worker(&env, &["--workers", "1"]);
    wait_for("the import's workflows to finish", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'") == 3
    });
    drop(worker);
    let out = env.run(&["import", "status", &id]);
    let text = stdout(&out);
    assert!(text.contains("status    completed"), "{text}");
    assert!(text.contains("workflows 3: 3 completed"), "{text}");
    assert_eq!(env.json(&["import", "list"])[0]["status"], "completed");
}

#[test]
fn a_killed_import_shows_interrupted_with_the_way_to_resume() {
    let env = TestEnv::new();
    let file = env.write_file("leads.csv", generated(5, None));
    let out = env.run(&["import", file.to_str().unwrap(), "--json"]);
    let id = crate::env::parse_json(&out.stdout)["import_id"]
        .as_str()
        .unwrap()
        .to_string();
    // As a SIGKILL leaves it: still `running`, its lock held by a process that no longer exists.
    rusqlite::Connection::open(env.db())
        .unwrap()
        .execute_batch(&format!(
            "UPDATE import_jobs SET state = 'running', finished_at = NULL;
             INSERT INTO locks (name, owner, acquired_at, expires_at)
             VALUES ('import:{id}', '{}:999999999', 0, 99999999999999);",
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .unwrap()
                .trim()
        ))
        .unwrap();
    let out = env.run(&["import", "list"]);
    assert!(stdout(&out).contains("interrupted"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("running"), "{}", stdout(&out));
    assert!(stderr(&out).contains("import resume"), "{}", stderr(&out));
    assert_eq!(env.json(&["import", "list"])[0]["status"], "interrupted");
    let out = env.run(&["import", "status", &id]);
    assert!(stdout(&out).contains("interrupted"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(&format!("salesagent import resume {id}")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn importing_a_finished_file_again_exits_zero_and_says_so() {
    let env = TestEnv::new();
    let mut text = generated(2, None);
    text.push_str("not-an-email,Bad,Row,Co,form-1\n");
    let file = env.write_file("leads.csv", text);
    let first = env.run(&["import", file.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(11), "{}", stderr(&first));
    let again = env.run(&["import", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("was already imported"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_list_cut_at_its_limit_says_how_many_there_are() {
    let env = TestEnv::new();
    let file = env.write_file("leads.csv", generated(7, None));
    assert!(
        env.run(&["import", file.to_str().unwrap()])
            .status
            .success()
    );
    let out = env.run(&["workflows", "list", "--limit", "5"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("showing 5 of 7; --limit N or --all"),
        "{}",
        stderr(&out)
    );
    let all = env.run(&["workflows", "list", "--all"]);
    assert_eq!(stdout(&all).lines().count(), 8, "{}", stdout(&all));
    assert!(!stderr(&all).contains("showing"), "{}", stderr(&all));
    // JSON stays a plain array; the note is on stderr.
    let out = env
        .cmd()
        .args(["workflows", "list", "--limit", "5", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        crate::env::parse_json(&out.stdout)
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert!(stderr(&out).contains("showing 5 of 7"));
    // Every list command says it.
    for _ in 0..3 {
        env.run(&["suppress", "add", "x@y.com", "--reason", "r"]);
        env.run(&["suppress", "remove", "x@y.com"]);
    }
    // A second import, so that a limit of 1 cuts the import list (0 is a usage error).
    let second = env.write_file(
        "more.csv",
        "email,firstName,formId\nother@example.org,Other,form-9\n",
    );
    assert!(
        env.run(&["import", second.to_str().unwrap()])
            .status
            .success()
    );
    for args in [
        &["audit", "list", "--limit", "2"][..],
        &["import", "list", "--limit", "1"][..],
    ] {
        let out = env.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("showing "),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = env.run(&["audit", "list", "--all"]);
    assert!(!stderr(&out).contains("showing"), "{}", stderr(&out));
}

#[test]
fn a_cut_dead_letter_list_says_so() {
    let env = TestEnv::new();
    let wf = failed_workflow(&env);
    for i in 0..3 {
        dead_letter(&env, &format!("dl-cut-000{i}"), Some(&wf), "transient", "t");
    }
    let out = env.run(&["dlq", "list", "--limit", "2"]);
    assert!(stderr(&out).contains("showing 2 of 3"), "{}", stderr(&out));
    let out = env.run(&["dlq", "list", "--limit", "0"]);
    assert!(!stderr(&out).contains("showing"), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 4, "{}", stdout(&out));
}

#[test]
fn stats_prints_durations_for_people_and_numbers_in_json() {
    let env = TestEnv::new();
    let out = env.run(&[
        "run",
        crate::env::fixture("forms-v3.json").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The draft was made 66,689 ms after the submission arrived.
    rusqlite::Connection::open(env.db())
        .unwrap()
        .execute_batch(
            "UPDATE drafts SET created_at = (SELECT s.received_at + 66689 FROM submissions s
                 JOIN workflows w ON w.submission_id = s.id WHERE w.id = drafts.workflow_id);",
        )
        .unwrap();
    let out = env.run(&["stats"]);
    let text = stdout(&out);
    assert!(text.contains("1m 6.7s"), "{text}");
    assert!(!text.contains("66689 ms"), "{text}");
    let json = env.json(&["stats"]);
    assert_eq!(json["received_to_draft"]["p50_ms"], 66689, "{json}");
}
