//! The lease fences every write of a job's run: two real worker processes on one job, the first
//! held inside a step (a fake that answers only when told) and frozen with SIGSTOP until its lease
//! expires, the second finishing the workflow; the first, released, writes nothing more. Also:
//! real connectors under `serve` and `worker`, capped queues, unstarted jobs at shutdown.

use crate::env::{Backend, TestEnv};
use crate::fakes::gmail::FakeGmail;
use crate::fakes::hubspot::FakeHubSpot;
use crate::fakes::llm::FakeLlm;
use crate::fakes::{Fault, Gate};
use crate::server_support::{Proc, post, seed_payload, sign, signed_env_on, wait_for};
use crate::worker::enqueue;

crate::on_both_backends!(
    a_worker_that_lost_its_lease_writes_nothing_more_with_the_embedded_connectors,
    a_worker_that_lost_its_lease_writes_nothing_more_with_the_real_connectors,
);

const HUBSPOT_TOKEN: &str = "pat-na1-fencing-token";
const GMAIL_ID: &str = "fencing.apps.googleusercontent.com";
const GMAIL_SECRET: &str = "GOCSPX-fencing";
const GMAIL_REFRESH: &str = "1//fencing-refresh";
const LLM_KEY: &str = "sk-fencing";
const COMPLETIONS: &str = "POST /v1/chat/completions";

/// The fakes a test env's connectors point at.
struct Fakes {
    llm: FakeLlm,
    hubspot: Option<FakeHubSpot>,
    gmail: Option<FakeGmail>,
}

/// A signed env whose composer is the LLM connector (so a fake can hold a worker in the compose
/// step); with `real`, CRM and mailbox are the real HubSpot and Gmail connectors too, else the
/// embedded ones. On SQLite unless `backend` says otherwise.
fn env_with_fakes(real: bool) -> (TestEnv, Fakes) {
    env_with_fakes_on(Backend::Sqlite, real)
}

fn env_with_fakes_on(backend: Backend, real: bool) -> (TestEnv, Fakes) {
    let llm = FakeLlm::start(LLM_KEY);
    let mut env = signed_env_on(backend)
        .env("SALESAGENT_CONNECTORS_COMPOSER", "llm")
        .env("SALESAGENT_LLM_API_KEY", LLM_KEY)
        .env("SALESAGENT_LLM_BASE_URL", &llm.base_url)
        .env("SALESAGENT_LLM_MODEL", "fake-model");
    let (mut hubspot, mut gmail) = (None, None);
    if real {
        let h = FakeHubSpot::start(HUBSPOT_TOKEN);
        let g = FakeGmail::start(GMAIL_ID, GMAIL_SECRET, GMAIL_REFRESH);
        env = env
            .env("SALESAGENT_CONNECTORS_CRM", "hubspot")
            .env("SALESAGENT_CONNECTORS_MAILBOX", "gmail")
            .env("SALESAGENT_HUBSPOT_TOKEN", HUBSPOT_TOKEN)
            .env("SALESAGENT_HUBSPOT_BASE_URL", &h.base_url)
            .env("SALESAGENT_GMAIL_CLIENT_ID", GMAIL_ID)
            .env("SALESAGENT_GMAIL_CLIENT_SECRET", GMAIL_SECRET)
            .env("SALESAGENT_GMAIL_REFRESH_TOKEN", GMAIL_REFRESH)
            .env("SALESAGENT_GMAIL_API_BASE", &g.base_url)
            .env("SALESAGENT_GMAIL_TOKEN_URL", &g.token_url());
        hubspot = Some(h);
        gmail = Some(g);
    }
    (
        env,
        Fakes {
            llm,
            hubspot,
            gmail,
        },
    )
}

fn lease_expired(env: &TestEnv) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    env.sql_i64(&format!(
        "SELECT COUNT(*) FROM jobs WHERE state = 'running' AND lease_expires_at < {now}"
    )) == 1
}

fn lost_lease_leaves_one_of_each(backend: Backend, real: bool) {
    let (env, fakes) = env_with_fakes_on(backend, real);
    env.write_config(
        "[worker]\nlease_secs = 2\nbackoff_base_ms = 50\n[http]\ntimeout_ms = 120000\n",
    );
    enqueue(&env, 1);
    let gate = Gate::default();
    fakes.llm.inject(COMPLETIONS, 1, Fault::Hold(gate.clone()));
    let a = Proc::worker(&env, &["--workers", "1"]);
    wait_for("worker A to be inside the compose step", || {
        fakes.llm.recorder.count(COMPLETIONS) == 1
    });
    // Freeze A (heartbeat included) until its lease expires; B then takes the job over.
    a.signal("STOP");
    wait_for("A's lease to expire", || lease_expired(&env));
    let b = Proc::worker(&env, &["--workers", "1"]);
    wait_for("B to complete the workflow", || {
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'completed'") == 1
    });
    // A wakes up inside its step, with its answer: it must stop at its next commit.
    gate.open();
    a.signal("CONT");
    wait_for("A to notice the lost lease", || {
        a.stderr().contains("lost the lease")
    });
    // Give A every chance to do harm before looking (it has nothing more to wait for).
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM drafts"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM tasks"), 1);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'"),
        1,
        "the workflow stays completed"
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM workflow_steps WHERE status <> 'completed'"),
        0,
        "no completed step row was reset"
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'completed'"),
        1
    );
    match (&fakes.hubspot, &fakes.gmail) {
        (Some(h), Some(g)) => {
            assert_eq!(h.tasks().len(), 1, "{:?}", h.tasks());
            assert_eq!(g.drafts().len(), 1, "{:?}", g.drafts());
        }
        _ => {
            assert_eq!(env.mail_files("drafts").len(), 1);
            assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), 1);
        }
    }
    assert!(!a.stderr().contains("panicked"), "{}", a.stderr());
    // A's batch rolled back, so usage holds B's run alone: one compose's tokens, B's calls.
    crate::usage::assert_usage(
        &env,
        &[
            ("workflows_completed", 1),
            ("drafts_created", 1),
            ("llm_prompt_tokens", 120),
            ("crm_calls", 4),
            ("mailbox_calls", 1),
        ],
    );
    drop(b);
}

fn a_worker_that_lost_its_lease_writes_nothing_more_with_the_embedded_connectors(backend: Backend) {
    lost_lease_leaves_one_of_each(backend, false);
}

fn a_worker_that_lost_its_lease_writes_nothing_more_with_the_real_connectors(backend: Backend) {
    lost_lease_leaves_one_of_each(backend, true);
}

#[test]
fn serve_and_worker_run_workflows_through_the_real_connectors() {
    let (env, fakes) = env_with_fakes(true);
    let server = Proc::serve(&env, &["--workers", "1"]);
    let file = env.write_file("p0.json", seed_payload(0));
    let (status, json, _) = post(
        &server.url(),
        &sign(&env, &file, &server.url(), &[]),
        seed_payload(0),
    );
    assert_eq!(status, 202, "{json}");
    wait_for("serve to complete the workflow", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'") == 1
    });
    drop(server);
    let intake = Proc::serve(&env, &["--workers", "0"]);
    let file = env.write_file("p1.json", seed_payload(1));
    let (status, json, _) = post(
        &intake.url(),
        &sign(&env, &file, &intake.url(), &[]),
        seed_payload(1),
    );
    assert_eq!(status, 202, "{json}");
    drop(intake);
    let worker = Proc::worker(&env, &["--workers", "2"]);
    wait_for("the worker to complete the other workflow", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'") == 2
    });
    worker.signal("TERM");
    let (hubspot, gmail) = (fakes.hubspot.unwrap(), fakes.gmail.unwrap());
    assert_eq!(gmail.drafts().len(), 2);
    assert_eq!(hubspot.tasks().len(), 2);
    assert!(fakes.llm.recorder.count(COMPLETIONS) >= 2);
    assert!(!worker.stderr().contains("panicked"), "{}", worker.stderr());
}

#[test]
fn jobs_claimed_but_not_started_when_the_grace_period_runs_out_go_back_uncounted() {
    let (env, fakes) = env_with_fakes(false);
    env.write_config("[worker]\nshutdown_grace_secs = 0\nlease_secs = 60\n");
    enqueue(&env, 8);
    let gate = Gate::default();
    fakes.llm.inject(COMPLETIONS, 1, Fault::Hold(gate.clone()));
    let mut worker = Proc::worker(&env, &["--workers", "1"]);
    wait_for("the worker to be held in a step", || {
        fakes.llm.recorder.count(COMPLETIONS) == 1
    });
    // One claim takes several jobs: one runs (held), the others wait in the thread's hands.
    assert!(env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'running'") > 1);
    worker.signal("TERM");
    assert_eq!(worker.wait_exit(), Some(0), "{}", worker.stderr());
    gate.open();
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'running'"),
        0
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE attempt = 1"),
        1,
        "only the job that started counts an attempt"
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE attempt = 0"),
        7
    );
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM job_attempts"), 1);
}

/// The largest number of attempts of `queue` whose [claim, finish) intervals overlap: the peak of
/// jobs held at once, from the store's own record of every attempt.
fn peak_running(env: &TestEnv, queue: &str) -> i64 {
    env.sql_i64(&format!(
        "SELECT COALESCE(MAX(n), 0) FROM (
             SELECT (SELECT COUNT(*) FROM job_attempts b JOIN jobs jb ON jb.id = b.job_id
                     WHERE jb.queue = '{queue}' AND b.started_at <= a.started_at
                       AND COALESCE(b.finished_at, 9e18) > a.started_at) AS n
             FROM job_attempts a JOIN jobs ja ON ja.id = a.job_id WHERE ja.queue = '{queue}')"
    ))
}

#[test]
fn a_capped_queue_never_holds_more_jobs_than_its_cap() {
    let env = TestEnv::new();
    let mut csv = String::from("email,firstName,formId\n");
    for i in 0..40 {
        csv.push_str(&format!("cap{i}@company{i}.com,Cap{i},form-cap\n"));
    }
    let file = env.write_file("cap.csv", csv);
    let out = env.run(&["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", crate::env::stderr(&out));
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE queue = 'batch'"),
        40
    );
    let worker = Proc::worker(&env, &["--workers", "4", "--queues", "normal,batch=1"]);
    wait_for("every batch job to complete", || {
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'completed'") == 40
    });
    worker.signal("TERM");
    assert_eq!(peak_running(&env, "batch"), 1, "the cap is 1");
}

#[test]
fn one_grace_period_covers_requests_in_flight_and_running_jobs() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    let (env, fakes) = env_with_fakes(false);
    // A request body may take 30 s: the HTTP drain alone would use the whole grace period.
    env.write_config("[worker]\nshutdown_grace_secs = 4\nlease_secs = 60\n");
    enqueue(&env, 1);
    let gate = Gate::default();
    fakes.llm.inject(COMPLETIONS, 1, Fault::Hold(gate.clone()));
    let mut serve = Proc::serve(&env, &["--workers", "1"]);
    wait_for("the job to be held in its compose step", || {
        fakes.llm.recorder.count(COMPLETIONS) == 1
    });
    // A request in the middle of its body, that never finishes.
    let mut inflight =
        std::net::TcpStream::connect(serve.base.trim_start_matches("http://")).unwrap();
    inflight
        .write_all(
            format!(
                "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
                crate::server_support::PATH
            )
            .as_bytes(),
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    serve.signal("TERM");
    let code = serve.wait_exit();
    let took = signalled.elapsed();
    gate.open();
    assert_eq!(code, Some(0), "{}", serve.stderr());
    // Before, the job's grace began only after the request's had run out: twice the period.
    assert!(
        took < Duration::from_secs(4 + 3),
        "serve must stop within one grace period (+ slack), took {took:?}"
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'running'"),
        0,
        "the held job's lease was released"
    );
}
