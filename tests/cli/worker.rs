//! `salesagent worker` and the queue: a configuration failure ends in a dead letter; a worker killed
//! with SIGKILL mid-job loses its lease and another worker finishes with no duplicate side effect.

use crate::env::{Backend, TestEnv, stderr};
use crate::server_support::{Proc, post, seed_payload, sign, signed_env, signed_env_on, wait_for};

crate::on_both_backends!(
    a_worker_killed_mid_job_loses_its_lease_and_another_finishes_without_duplicates
);

/// Enough jobs that a worker is still busy when the test looks (each takes a few milliseconds).
const BACKLOG: usize = 150;

/// Queues `n` distinct submissions through an intake-only server (unsigned, to be quick).
pub fn enqueue(env: &TestEnv, n: usize) {
    let mut server = Proc::serve_insecure(env);
    let json = [("content-type".to_string(), "application/json".to_string())];
    for i in 0..n {
        let (status, body, _) = post(&server.url(), &json, seed_payload(i));
        assert_eq!(status, 202, "{body}");
    }
    server.signal("TERM");
    assert_eq!(server.wait_exit(), Some(0));
}

/// Waits until a worker holds a lease on a job it is running.
fn wait_until_mid_job(env: &TestEnv) {
    wait_for("a worker to be mid-job", || {
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'running'") >= 1
    });
}

#[test]
fn a_configuration_failure_ends_in_a_dead_letter_at_once_with_class_and_last_error() {
    let env = signed_env();
    env.write_config("[worker]\nmax_attempts = 3\nbackoff_base_ms = 50\nlease_secs = 5\n");
    // A regular file where the drafts folder should be ("File exists"): an operator must move
    // it, so retrying cannot help and the job is dead after its first attempt.
    env.write_file("mail/drafts", "not a directory");
    let server = Proc::serve(&env, &["--workers", "1"]);
    let file = env.write_file("p.json", seed_payload(1));
    let (status, json, _) = post(
        &server.url(),
        &sign(&env, &file, &server.url(), &[]),
        seed_payload(1),
    );
    assert_eq!(status, 202, "{json}");
    let workflow = json["workflow_id"].as_str().unwrap().to_string();
    wait_for("the job to die", || {
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'dead'") == 1
    });
    assert_eq!(env.sql_i64("SELECT attempt FROM jobs"), 1);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM job_attempts WHERE error IS NOT NULL"),
        1
    );
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let (class, error, attempts): (String, String, i64) = conn
        .query_row(
            "SELECT error_class, error, attempts FROM dead_letters WHERE workflow_id = ?1",
            [&workflow],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(class, "configuration");
    assert_eq!(attempts, 1);
    assert!(
        error.contains("mail/drafts") && error.contains("File exists"),
        "{error}"
    );
    let show = env.json(&["workflows", "show", &workflow]);
    assert_eq!(show["status"], "failed", "{show}");
    let queues = env.json(&["queues"]);
    assert_eq!(queues["dead_letters"], 1, "{queues}");
    assert_eq!(queues["queues"]["normal"]["states"]["dead"], 1, "{queues}");
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM drafts"), 0);
}

fn a_worker_killed_mid_job_loses_its_lease_and_another_finishes_without_duplicates(
    backend: Backend,
) {
    let env = signed_env_on(backend);
    env.write_config("[worker]\nlease_secs = 2\n");
    let total = BACKLOG;
    enqueue(&env, total);
    let mut first = Proc::worker(&env, &["--workers", "1", "--queues", "normal"]);
    wait_until_mid_job(&env);
    first.kill9();
    let stranded = env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'running'");
    assert!(
        stranded >= 1,
        "the kill must strand at least one leased job"
    );
    let _second = Proc::worker(&env, &["--workers", "2"]);
    wait_for("every workflow to complete", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'") == total as i64
    });
    assert!(env.sql_i64("SELECT COUNT(*) FROM jobs WHERE attempt >= 2") >= 1);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'completed'"),
        total as i64
    );
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM drafts"), total as i64);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), total as i64);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM tasks"), total as i64);
    assert_eq!(env.mail_files("drafts").len(), total);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM dead_letters"), 0);
}

#[test]
fn worker_rejects_unknown_queues() {
    let env = TestEnv::new();
    let out = env.run(&["worker", "--queues", "normal,bulk"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown queue \"bulk\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn queues_on_an_empty_database() {
    let env = TestEnv::new();
    env.init_db();
    let json = env.json(&["queues"]);
    assert_eq!(json["dead_letters"], 0);
    assert_eq!(json["workers_alive"], 0);
}

#[test]
fn sigterm_lets_the_running_job_finish_and_gives_unstarted_ones_back() {
    let env = signed_env();
    let total = BACKLOG;
    enqueue(&env, total);
    let mut worker = Proc::worker(&env, &["--workers", "1"]);
    wait_until_mid_job(&env);
    worker.signal("TERM");
    assert_eq!(worker.wait_exit(), Some(0), "{}", worker.stderr());
    assert!(worker.stderr().contains("stopped:"), "{}", worker.stderr());
    // Nothing is left leased, every attempt ended, and no job was counted twice.
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'running'"),
        0
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE attempt > 1"),
        0
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'running'"),
        0
    );
    let done = env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'completed'");
    assert!(done < total as i64, "the test needs work left over");
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'available' AND attempt = 0"),
        total as i64 - done
    );
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM worker_heartbeats"), 0);
}

#[test]
fn a_second_signal_stops_at_once_even_while_a_worker_is_stuck() {
    let env = signed_env();
    env.write_config("[worker]\nshutdown_grace_secs = 600\n");
    let mut worker = Proc::worker(&env, &["--workers", "1"]);
    // Hold the write lock: the worker's next claim blocks inside SQLite's busy wait.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    worker.signal("TERM");
    wait_for("the worker to start stopping", || {
        worker.stderr().contains("stopping")
    });
    worker.signal("INT");
    let code = worker.wait_exit();
    conn.execute_batch("ROLLBACK").unwrap();
    assert_eq!(code, Some(1), "{}", worker.stderr());
    assert!(
        worker.stderr().contains("second signal"),
        "{}",
        worker.stderr()
    );
}

#[test]
fn invalid_input_fails_the_workflow_for_the_operator_without_retry_or_dead_letter() {
    let env = signed_env();
    let server = Proc::serve(&env, &["--workers", "1"]);
    // The event names a contact the embedded CRM does not have: bad input, not worth retrying.
    let file = crate::env::fixture("webhooks-events.json");
    let reply = env.json(&[
        "webhook",
        "send",
        file.to_str().unwrap(),
        "--url",
        &server.url(),
    ]);
    assert_eq!(reply["status"], 202, "{reply}");
    let workflow = reply["body"]["workflow_id"].as_str().unwrap().to_string();
    wait_for("the job to stop", || {
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'cancelled'") == 1
    });
    let show = env.json(&["workflows", "show", &workflow]);
    assert_eq!(show["status"], "failed", "{show}");
    let failed = env.json(&["workflows", "list", "--status", "failed"]);
    assert!(failed.to_string().contains(&workflow), "{failed}");
    assert_eq!(env.sql_i64("SELECT attempt FROM jobs"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM dead_letters"), 0);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE last_error_class = 'invalid_input'"),
        1
    );
}

#[test]
fn when_the_grace_period_runs_out_leases_are_released_and_nothing_is_duplicated() {
    let env = signed_env();
    env.write_config("[worker]\nshutdown_grace_secs = 0\nlease_secs = 60\n");
    let total = BACKLOG;
    enqueue(&env, total);
    let mut worker = Proc::worker(&env, &["--workers", "1"]);
    wait_until_mid_job(&env);
    // Freeze the worker mid-job: its next write waits for this lock.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    worker.signal("TERM");
    wait_for("the worker to start stopping", || {
        worker.stderr().contains("stopping")
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    conn.execute_batch("COMMIT").unwrap();
    assert_eq!(worker.wait_exit(), Some(0), "{}", worker.stderr());
    // No lease outlives the process (60 s leases would otherwise strand the jobs).
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'running'"),
        0
    );
    let _next = Proc::worker(&env, &["--workers", "2"]);
    wait_for("every workflow to complete", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'") == total as i64
    });
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM drafts"), total as i64);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), total as i64);
    assert_eq!(env.mail_files("drafts").len(), total);
}

#[test]
fn a_job_the_worker_cannot_handle_is_dead_lettered_not_silently_cancelled() {
    let env = TestEnv::new();
    env.init_db();
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute(
        "INSERT INTO jobs (id, tenant_id, queue, kind, state, run_at, created_at, updated_at)
         VALUES ('job-mystery', 'default', 'normal', 'mystery', 'available', 0, 0, 0)",
        [],
    )
    .unwrap();
    let worker = Proc::worker(&env, &["--workers", "1"]);
    wait_for("the job to end", || {
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state IN ('dead', 'cancelled')") == 1
    });
    worker.signal("TERM");
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'dead'"),
        1
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM dead_letters WHERE error_class = 'internal'"),
        1,
        "an inconsistency of ours is a dead letter for a person, not bad input"
    );
}

/// A job made claimable by something other than intake (here `dlq retry`) is announced in the
/// transaction that requeues it, so an idle PostgreSQL worker of another process picks it up at
/// once rather than at its next poll, an hour away here.
#[test]
fn an_idle_postgres_worker_picks_up_a_retried_dead_letter_without_waiting_for_its_poll() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let env = TestEnv::on(backend);
    let wf = crate::dlq::failed_workflow(&env);
    env.sql_batch(&format!(
        "INSERT INTO jobs (id, queue, kind, workflow_id, payload, state, attempt, max_attempts,
             run_at, last_error, last_error_class, created_at, updated_at)
         VALUES ('job-dl-wake', 'normal', 'workflow', '{wf}', '{{}}', 'dead', 2, 2, 1,
             'guard refused', 'invalid_input', 1, 1);
         INSERT INTO dead_letters (id, job_id, workflow_id, error_class, error, attempts, payload,
             created_at)
         VALUES ('dl-wake', 'job-dl-wake', '{wf}', 'invalid_input', 'guard refused', 2, '{{}}', 1);"
    ));
    // The guard that failed it is gone; idle threads poll once an hour.
    env.write_config("[worker]\npoll_ms = 3600000\n");
    let worker = Proc::worker(&env, &["--workers", "1"]);
    wait_for("the worker to LISTEN for jobs", || {
        env.sql_i64(
            "SELECT COUNT(*) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        ) >= 1
    });
    // Its one thread has looked for work and found none (the dead job is not claimable).
    std::thread::sleep(std::time::Duration::from_secs(1));
    let out = env.run(&["dlq", "retry", "dl-wake", "--by", "ann"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while env.sql_string(&format!("SELECT status FROM workflows WHERE id = '{wf}'")) != "completed"
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the retried job waited for the worker's next poll: {}",
            worker.stderr()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    drop(worker);
}
