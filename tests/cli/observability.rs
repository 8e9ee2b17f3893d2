//! Observability through a running `serve`: `/metrics` in Prometheus text format, and a trace id
//! that starts at the webhook request, is echoed back, and follows the job into the worker's logs.

use crate::server_support::{Proc, SECRET, post, seed_payload, signed_env, wait_for};

fn sign_and_post(
    server: &Proc,
    body: Vec<u8>,
    extra: &[(&str, &str)],
) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let ts = salesagent::domain::time::now_ms();
    let signature =
        salesagent::webhook::signature::sign_v3(SECRET, "POST", &server.url(), &body, ts);
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("x-hubspot-signature-v3".to_string(), signature),
        ("x-hubspot-request-timestamp".to_string(), ts.to_string()),
    ];
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    post(&server.url(), &headers, body)
}

fn metrics(server: &Proc) -> String {
    let resp = reqwest::blocking::get(format!("{}/metrics", server.base)).unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    resp.text().unwrap()
}

#[test]
fn metrics_count_webhooks_and_sample_the_store() {
    let env = signed_env();
    let server = Proc::serve(&env, &[]);
    let (status, body, _) = sign_and_post(&server, seed_payload(1), &[]);
    assert_eq!(status, 202, "{body}");
    let (status, _, _) = sign_and_post(&server, seed_payload(1), &[]);
    assert_eq!(status, 200, "a duplicate");
    let unsigned = post(
        &server.url(),
        &[("content-type".into(), "application/json".into())],
        seed_payload(2),
    );
    assert_eq!(unsigned.0, 401);
    let workflow = body["workflow_id"].as_str().unwrap().to_string();
    wait_for("the workflow to complete", || {
        env.json(&["workflows", "show", &workflow])["status"] == "completed"
    });
    // Store gauges come from a snapshot at most a few seconds old.
    let mut text = String::new();
    wait_for("the snapshot to show the completed workflow", || {
        text = metrics(&server);
        text.contains("salesagent_workflows{status=\"completed\"} 1")
    });
    for line in [
        "salesagent_webhooks_received_total{result=\"accepted\"} 1",
        "salesagent_webhooks_received_total{result=\"duplicate\"} 1",
        "salesagent_webhooks_received_total{result=\"unauthorized\"} 1",
        "salesagent_workflows_finished_total{status=\"completed\"} 1",
        "salesagent_workflows{status=\"completed\"} 1",
        "salesagent_drafts{status=\"pending_review\"} 1",
        "salesagent_queue_jobs{queue=\"normal\",state=\"completed\"} 1",
        "salesagent_dead_letters 0",
        "salesagent_ready 1",
        "# TYPE salesagent_step_duration_seconds histogram",
        "salesagent_step_duration_seconds_count{step=\"draft\"} 1",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(text.contains("salesagent_worker_processes 1"), "{text}");
    assert!(text.contains("salesagent_workers_alive "), "{text}");
    // Low-cardinality labels only: no email address or id ever becomes a label value.
    assert!(
        !text.contains("@example"),
        "an email leaked into a label:\n{text}"
    );
    assert!(!text.contains(&workflow), "an id leaked into a label");
}

/// Before the first event every counter already exists at 0 for each known label value (else
/// `rate()` misses the first one), every queue × state and status has a series, processes and
/// threads are both exported, and a real `promtool check metrics` accepts the exposition.
#[test]
fn a_fresh_serve_exports_every_series_at_zero_and_promtool_accepts_it() {
    let env = signed_env();
    let server = Proc::serve(&env, &["--workers", "3"]);
    let text = metrics(&server);
    for line in [
        "salesagent_webhooks_received_total{result=\"accepted\"} 0",
        "salesagent_webhooks_received_total{result=\"unauthorized\"} 0",
        "salesagent_workflows_finished_total{status=\"failed\"} 0",
        "salesagent_workflows_finished_total{status=\"completed\"} 0",
        "salesagent_dead_letters_total{class=\"transient\"} 0",
        "salesagent_retries_total{queue=\"batch\"} 0",
        "salesagent_connector_calls_total{service=\"hubspot\",outcome=\"ok\"} 0",
        "salesagent_draft_decisions_total{decision=\"approved\"} 0",
        "salesagent_sends_total{outcome=\"sent\"} 0",
        "salesagent_import_rows_total{result=\"rejected\"} 0",
        "salesagent_step_duration_seconds_count{step=\"compose\"} 0",
        "salesagent_step_duration_seconds_bucket{step=\"compose\",le=\"60\"} 0",
        "salesagent_queue_jobs{queue=\"priority\",state=\"available\"} 0",
        "salesagent_queue_jobs{queue=\"cleanup\",state=\"dead\"} 0",
        "salesagent_queue_oldest_job_age_seconds{queue=\"normal\"} 0",
        "salesagent_workflows{status=\"failed\"} 0",
        "salesagent_drafts{status=\"pending_review\"} 0",
        "salesagent_reconcile_findings 0",
        "salesagent_worker_processes 1",
        "salesagent_workers_alive 3",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    let Some(out) = crate::deploy::installed_tool_with_input(
        "promtool",
        &["check", "metrics"],
        text.as_bytes(),
    ) else {
        return;
    };
    crate::deploy::assert_succeeded(&out, "promtool check metrics");
}

/// `/metrics` and `/health/ready` no longer share a connection: readiness answers while 64
/// scrapers keep `/metrics` busy. (The latency figure is a benchmark: bench/scrape.sh.)
#[test]
fn readiness_answers_while_scrapes_are_in_flight() {
    let env = signed_env();
    let server = Proc::serve(&env, &[]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let scrapers: Vec<_> = (0..64)
        .map(|_| {
            let (base, stop) = (server.base.clone(), stop.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                let mut ok = 0;
                for _ in 0..200 {
                    if stop.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    let resp = client.get(format!("{base}/metrics")).send().unwrap();
                    assert_eq!(resp.status().as_u16(), 200);
                    assert!(resp.text().unwrap().contains("salesagent_queue_jobs"));
                    ok += 1;
                }
                ok
            })
        })
        .collect();
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    for _ in 0..20 {
        let resp = client
            .get(format!("{}/health/ready", server.base))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let body: serde_json::Value = resp.json().unwrap();
        assert_eq!(body["status"], "ready", "{body}");
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let scraped: usize = scrapers.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(scraped > 0);
}

#[test]
fn the_trace_id_starts_at_the_request_and_follows_the_job() {
    let env = signed_env();
    let server = Proc::serve(&env, &[]);
    let (status, body, headers) = sign_and_post(
        &server,
        seed_payload(7),
        &[("x-request-id", "trace-7f3a9c")],
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(headers["x-request-id"], "trace-7f3a9c");
    let workflow = body["workflow_id"].as_str().unwrap().to_string();
    wait_for("the workflow to complete", || {
        env.json(&["workflows", "show", &workflow])["status"] == "completed"
    });
    assert_eq!(
        env.json(&["workflows", "show", &workflow])["trace_id"],
        "trace-7f3a9c"
    );
    // Without a terminal, serve logs JSON lines; the worker's lines carry the workflow and trace.
    wait_for("the worker to log the finished workflow", || {
        server
            .stderr()
            .lines()
            .any(|l| l.contains("workflow finished"))
    });
    let finished: serde_json::Value = server
        .stderr()
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON log line"))
        .find(|l| l["message"] == "workflow finished")
        .unwrap();
    assert_eq!(finished["span"]["trace_id"], "trace-7f3a9c", "{finished}");
    assert_eq!(finished["span"]["workflow_id"], workflow.as_str());
}

#[test]
fn probe_checks_end_to_end_and_leaves_nothing_behind() {
    let env = signed_env();
    let server = Proc::serve(&env, &[]);
    let report = env.json(&["probe", "--url", &server.url(), "--timeout", "60s"]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["http_status"], 202);
    assert_eq!(report["status"], "completed");
    assert_eq!(report["cleaned_up"], true);
    // A probe touches no CRM or mailbox, removes its own rows and is not usage.
    for table in [
        "submissions",
        "workflows",
        "workflow_steps",
        "jobs",
        "crm_contacts",
        "crm_tasks",
        "drafts",
        "usage",
    ] {
        assert_eq!(
            env.sql_i64(&format!("SELECT COUNT(*) FROM {table}")),
            0,
            "{table}"
        );
    }
    assert!(env.mail_files("drafts").is_empty());

    // A wrong secret fails the probe with exit 1 and a hint.
    let out = env
        .cmd()
        .env("SALESAGENT_WEBHOOK_SECRET", "not-the-secret")
        .args(["probe", "--url", &server.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(crate::env::stdout(&out).contains("FAILED: the server answered 401"));
    assert!(crate::env::stderr(&out).contains("hint: the signature was refused"));
}

#[test]
fn probe_fails_when_no_worker_finishes_the_workflow() {
    let env = signed_env();
    let server = Proc::serve(&env, &["--workers", "0"]);
    let out = env
        .cmd()
        .args(["probe", "--url", &server.url(), "--timeout", "1s", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = crate::env::parse_json(&out.stdout);
    assert_eq!(report["status"], "pending");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("are workers running?")
    );
}

/// The kill switch reaches a running `serve`: the send point re-reads the mode from the store.
#[test]
fn switching_to_draft_only_while_serve_runs_stops_sends() {
    let env = signed_env();
    env.write_config(
        "environment = \"production\"\n\n[send]\nallow = true\nsender_allowlist = [\"sales@example.com\"]\n\
         auto_send_domains = [\"example1.com\", \"example2.com\"]\n",
    );
    let set = env.run(&["mode", "set", "send", "--reason", "launch", "--yes"]);
    assert!(set.status.success(), "{}", crate::env::stderr(&set));
    // One worker thread: jobs run one after another, and each job's auto-send happens before
    // the next job is claimed.
    let server = Proc::serve(&env, &["--workers", "1"]);
    let finish = |n: usize| {
        let (status, body, _) = sign_and_post(&server, seed_payload(n), &[]);
        assert_eq!(status, 202, "{body}");
        let id = body["workflow_id"].as_str().unwrap().to_string();
        wait_for("the workflow to complete", || {
            env.json(&["workflows", "show", &id])["status"] == "completed"
        });
        id
    };
    let draft_of = |id: &str| env.json(&["workflows", "show", id])["draft"].clone();
    let first = finish(1);
    wait_for("the first draft to be auto-sent", || {
        draft_of(&first)["status"] == "sent"
    });
    assert_eq!(env.mail_files("sent").len(), 1);

    let off = env.run(&["mode", "set", "draft-only", "--reason", "stop everything"]);
    assert!(off.status.success(), "{}", crate::env::stderr(&off));
    let second = finish(2);
    // A later workflow on the same single worker: the second one's auto-send has had its turn.
    finish(3);
    assert_eq!(draft_of(&second)["status"], "pending_review");
    assert_eq!(env.mail_files("sent").len(), 1, "no send after the switch");
}

/// Rotating the webhook secret loses nothing: while `webhook.previous_secret` (or
/// `SALESAGENT_WEBHOOK_SECRET_PREVIOUS`) is set, requests signed with the old secret still pass.
#[test]
fn the_previous_webhook_secret_is_accepted_during_a_rotation() {
    let env = signed_env();
    env.write_config("[webhook]\nprevious_secret = \"the-old-secret\"\n");
    let server = Proc::serve(&env, &[]);
    let send = |secret: &str, n: usize| {
        let out = env
            .cmd()
            .env("SALESAGENT_WEBHOOK_SECRET", secret)
            .args(["webhook", "send", "-", "--url", &server.url()])
            .write_stdin(seed_payload(n))
            .output()
            .unwrap();
        out.status.code()
    };
    assert_eq!(send(SECRET, 1), Some(0), "the new secret");
    assert_eq!(
        send("the-old-secret", 2),
        Some(0),
        "the old secret, still accepted"
    );
    assert_eq!(
        send("some-other-secret", 3),
        Some(1),
        "anything else is refused"
    );
}
