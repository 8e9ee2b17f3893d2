//! `salesagent serve`: signatures through the server, every payload shape over HTTP to a completed
//! workflow, quarantine, concurrent dedupe, graceful shutdown, and a SIGKILL during a load.

use std::collections::HashSet;

use crate::env::{Backend, TestEnv, fixture, stderr};
use crate::server_support::{Proc, post, seed_payload, sign, signed_env, signed_env_on, wait_for};

crate::on_both_backends!(
    every_payload_shape_completes_over_http,
    the_same_payload_posted_fifty_times_at_once_makes_one_workflow,
    serve_killed_during_a_load_loses_no_accepted_submission_and_duplicates_nothing,
);

/// A payload with the headers that sign it.
type SignedBody = (Vec<(String, String)>, Vec<u8>);

fn completed(env: &TestEnv) -> i64 {
    env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'")
}

#[test]
fn serve_refuses_to_start_without_a_secret() {
    let env = TestEnv::new();
    let out = env.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("SALESAGENT_WEBHOOK_SECRET"), "{err}");
    assert!(err.contains("--insecure-no-signature"), "{err}");
}

#[test]
fn serve_explains_an_address_it_cannot_listen_on() {
    let env = signed_env();
    let out = env.run(&["serve", "--listen", "not-an-address"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot listen on not-an-address"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--listen"), "{}", stderr(&out));
}

#[test]
fn insecure_mode_warns_loudly_and_accepts_unsigned_requests() {
    let env = TestEnv::new();
    let mut cmd_env = Proc::serve_insecure(&env);
    assert!(
        cmd_env.stderr().contains("INSECURE"),
        "{}",
        cmd_env.stderr()
    );
    let body = std::fs::read(fixture("seed-shape.json")).unwrap();
    let json = [("content-type".to_string(), "application/json".to_string())];
    let (status, _, _) = post(&cmd_env.url(), &json, body);
    assert_eq!(status, 202);
    cmd_env.signal("TERM");
    assert_eq!(cmd_env.wait_exit(), Some(0));
}

#[test]
fn signatures_are_checked_through_the_server() {
    let env = signed_env();
    env.write_config("[webhook]\nmax_body_bytes = 4096\n");
    let server = Proc::serve(&env, &["--workers", "0"]);
    let url = server.url();
    let file = fixture("seed-shape.json");
    let body = std::fs::read(&file).unwrap();
    let good = sign(&env, &file, &url, &[]);
    let before = env.table_counts();
    let unauthorized = |headers: &[(String, String)], body: Vec<u8>, why: &str| {
        let (status, json, _) = post(&url, headers, body);
        assert_eq!(status, 401, "{why}: {json}");
        assert_eq!(
            json,
            serde_json::json!({"error": "unauthorized"}),
            "{why}: no detail"
        );
    };
    let json_only = vec![("Content-Type".to_string(), "application/json".to_string())];
    unauthorized(&json_only, body.clone(), "missing headers");
    let wrong_secret = TestEnv::new().env("SALESAGENT_WEBHOOK_SECRET", "not-the-secret");
    unauthorized(
        &sign(&wrong_secret, &file, &url, &[]),
        body.clone(),
        "wrong secret",
    );
    let mut changed = body.clone();
    let at = changed.iter().position(|b| *b == b'D').unwrap();
    changed[at] = b'E';
    unauthorized(&good, changed, "body changed by one byte");
    let other_url = url.replace(crate::server_support::PATH, "/api/webhooks/hubspot/other");
    unauthorized(
        &sign(&env, &file, &other_url, &[]),
        body.clone(),
        "wrong URL",
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let stale = (now - 301_000).to_string();
    unauthorized(
        &sign(&env, &file, &url, &["--timestamp", &stale]),
        body.clone(),
        "stale",
    );
    let future = (now + 120_000).to_string();
    unauthorized(
        &sign(&env, &file, &url, &["--timestamp", &future]),
        body.clone(),
        "future",
    );
    let v1 = sign(&env, &file, &url, &["--signature-version", "v1"]);
    unauthorized(&v1, body.clone(), "v1 is not enabled by default");
    let without_ts: Vec<_> = good
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("x-hubspot-request-timestamp"))
        .cloned()
        .collect();
    unauthorized(&without_ts, body.clone(), "missing timestamp");
    assert_eq!(env.table_counts(), before, "refused requests write nothing");

    let text: Vec<_> = good
        .iter()
        .map(|(k, v)| {
            if k.eq_ignore_ascii_case("content-type") {
                (k.clone(), "text/plain".to_string())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    assert_eq!(post(&url, &text, body.clone()).0, 415);
    assert_eq!(post(&url, &good, vec![b' '; 5000]).0, 413);

    let (status, json, headers) = post(&url, &good, body.clone());
    assert_eq!(status, 202, "{json}");
    assert!(
        json["submission_id"].is_string() && json["workflow_id"].is_string(),
        "{json}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("x-request-id"));
    // The same signed request again (a replay, or HubSpot retrying): a duplicate, nothing new.
    let (status, again, _) = post(&url, &good, body);
    assert_eq!(status, 200);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["submission_id"], json["submission_id"]);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM workflows"), 1);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'available'"),
        1
    );
}

#[test]
fn v1_and_v2_signatures_pass_when_enabled() {
    let env = signed_env();
    env.write_config("[webhook]\nsignature_versions = [\"v1\", \"v2\", \"v3\"]\n");
    let server = Proc::serve(&env, &["--workers", "0"]);
    for (n, version) in ["v1", "v2"].iter().enumerate() {
        let file = env.write_file(&format!("p{n}.json"), seed_payload(n));
        let headers = sign(
            &env,
            &file,
            &server.url(),
            &["--signature-version", version],
        );
        let (status, json, _) = post(&server.url(), &headers, std::fs::read(&file).unwrap());
        assert_eq!(status, 202, "{version}: {json}");
    }
}

fn every_payload_shape_completes_over_http(backend: Backend) {
    let env = signed_env_on(backend);
    // The Webhooks API event names contact 3234588: the embedded CRM must know it.
    let out = env.run(&[
        "crm",
        "add-contact",
        "--id",
        "3234588",
        "--email",
        "ria.patel@lumen-analytics.io",
        "--first-name",
        "Ria",
        "--company",
        "Lumen Analytics",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let server = Proc::serve(&env, &[]);
    let mut workflows = Vec::new();
    for name in [
        "seed-shape.json",
        "forms-v3.json",
        "workflow-contact-v1.json",
        "webhooks-events.json",
    ] {
        let reply = env.json(&[
            "webhook",
            "send",
            fixture(name).to_str().unwrap(),
            "--url",
            &server.url(),
        ]);
        assert_eq!(reply["status"], 202, "{name}: {reply}");
        workflows.push(reply["body"]["workflow_id"].as_str().unwrap().to_string());
    }
    wait_for("four completed workflows", || completed(&env) == 4);
    for id in &workflows {
        let show = env.json(&["workflows", "show", id]);
        assert_eq!(show["status"], "completed", "{show}");
    }
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM drafts"), 4);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), 4);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'completed'"),
        4
    );
    assert_eq!(env.mail_files("drafts").len(), 4);
}

#[test]
fn authenticated_but_unparsable_payloads_are_quarantined() {
    let env = signed_env();
    let server = Proc::serve(&env, &["--workers", "0"]);
    for name in [
        "invalid/missing-email.json",
        "invalid/invalid-json.json",
        "invalid/unknown-shape.json",
    ] {
        let out = env.run(&[
            "webhook",
            "send",
            fixture(name).to_str().unwrap(),
            "--url",
            &server.url(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(
            crate::env::stdout(&out).starts_with("400 "),
            "{name}: {}",
            crate::env::stdout(&out)
        );
        assert!(stderr(&out).contains("quarantine"), "{}", stderr(&out));
    }
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM quarantined_payloads"), 3);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM submissions"), 0);
    // Events that start no workflow are acknowledged and counted, not processed.
    let only_changes = env.write_file(
        "changes.json",
        r#"[{"eventId":1,"portalId":1,"occurredAt":1764412981000,"subscriptionType":"contact.propertyChange","objectId":5}]"#,
    );
    let reply = env.json(&[
        "webhook",
        "send",
        only_changes.to_str().unwrap(),
        "--url",
        &server.url(),
    ]);
    assert_eq!(reply["status"], 200);
    assert_eq!(reply["body"]["ignored_events"], 1);
}

fn the_same_payload_posted_fifty_times_at_once_makes_one_workflow(backend: Backend) {
    let env = signed_env_on(backend);
    let server = Proc::serve(&env, &["--workers", "0"]);
    let file = fixture("forms-v3.json");
    let headers = sign(&env, &file, &server.url(), &[]);
    let body = std::fs::read(&file).unwrap();
    let barrier = std::sync::Barrier::new(50);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    post(&server.url(), &headers, body.clone()).0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        49,
        "{statuses:?}"
    );
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM submissions"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM workflows"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM jobs"), 1);
}

#[test]
fn sigterm_stops_intake_finishes_jobs_and_exits_zero() {
    let env = signed_env();
    let mut server = Proc::serve(&env, &[]);
    for n in 0..5 {
        let file = env.write_file(&format!("p{n}.json"), seed_payload(n));
        let headers = sign(&env, &file, &server.url(), &[]);
        assert_eq!(post(&server.url(), &headers, seed_payload(n)).0, 202);
    }
    server.signal("TERM");
    assert_eq!(server.wait_exit(), Some(0), "{}", server.stderr());
    assert!(server.stderr().contains("stopped:"), "{}", server.stderr());
    // Nothing is left holding a lease, and the worker's heartbeat row is gone.
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'running'"),
        0
    );
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM worker_heartbeats"), 0);
    // Whatever was not finished is still queued and finishes after a restart.
    let _again = Proc::serve(&env, &[]);
    wait_for("all five workflows to complete", || completed(&env) == 5);
}

/// The names of a process's threads (Linux).
fn thread_names(pid: u32) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|n| n.trim().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn serve_runs_one_checkpointer_for_its_intake_and_its_workers() {
    // Two checkpointers racing for one WAL's checkpoint lock let it grow by half and cost the
    // workers' end-to-end rate (BENCHMARKS.md, issue 16, tenth round): the intake writer
    // resets the WAL when the pool's checkpointer asks, as the worker threads do.
    let env = signed_env();
    for workers in ["2", "0"] {
        let mut server = Proc::serve(&env, &["--workers", workers]);
        let file = env.write_file("p.json", seed_payload(0));
        let headers = sign(&env, &file, &server.url(), &[]);
        assert!(post(&server.url(), &headers, seed_payload(0)).0 < 300);
        let names = thread_names(server.pid());
        let checkpointers = names.iter().filter(|n| *n == "checkpointer").count();
        assert_eq!(checkpointers, 1, "--workers {workers}: {names:?}");
        server.signal("TERM");
        assert_eq!(server.wait_exit(), Some(0), "{}", server.stderr());
        assert_eq!(
            server.stderr().matches("checkpointer stopped").count(),
            1,
            "{}",
            server.stderr()
        );
    }
}

fn serve_killed_during_a_load_loses_no_accepted_submission_and_duplicates_nothing(
    backend: Backend,
) {
    let env = signed_env_on(backend);
    env.write_config("[worker]\nlease_secs = 2\n");
    let mut server = Proc::serve(&env, &[]);
    let payloads = signed_load(&env, &[server.url()], 80);
    let accepted = std::sync::Mutex::new(Vec::<String>::new());
    std::thread::scope(|s| {
        post_load(s, &payloads, 4, &accepted);
        wait_for("some submissions to be accepted", || {
            accepted.lock().unwrap().len() >= 15
        });
        server.kill9();
    });
    let accepted = accepted.into_inner().unwrap();
    let _restarted = Proc::serve(&env, &[]);
    assert_each_completed_once(&env, &accepted);
}

/// `total` distinct seed-shape payloads, each signed for one of `urls` in turn (the same load
/// split between servers).
pub(crate) fn signed_load(
    env: &TestEnv,
    urls: &[String],
    total: usize,
) -> Vec<(String, SignedBody)> {
    (0..total)
        .map(|n| {
            let url = &urls[n % urls.len()];
            let file = env.write_file(&format!("load/p{n}.json"), seed_payload(n));
            (url.clone(), (sign(env, &file, url, &[]), seed_payload(n)))
        })
        .collect()
}

/// Posts `payloads` from `threads` client threads in `scope`, pushing the workflow id of every
/// 202 onto `accepted`; a request that fails (its server is gone) was never acknowledged.
pub(crate) fn post_load<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    payloads: &'scope [(String, SignedBody)],
    threads: usize,
    accepted: &'scope std::sync::Mutex<Vec<String>>,
) {
    for chunk in payloads.chunks(payloads.len().div_ceil(threads)) {
        scope.spawn(move || {
            let client = reqwest::blocking::Client::new();
            for (url, (headers, body)) in chunk {
                let mut req = client.post(url.as_str()).body(body.clone());
                for (k, v) in headers {
                    req = req.header(k.as_str(), v.as_str());
                }
                let Ok(resp) = req.send() else { continue };
                if resp.status().as_u16() == 202 {
                    let Ok(json) = resp.json::<serde_json::Value>() else {
                        continue;
                    };
                    accepted
                        .lock()
                        .unwrap()
                        .push(json["workflow_id"].as_str().unwrap().to_string());
                }
            }
        });
    }
}

/// Every acknowledged workflow completes, once: one draft and one task each; and across
/// everything committed (acknowledged or not), one draft, task and mail file per workflow.
pub(crate) fn assert_each_completed_once(env: &TestEnv, accepted: &[String]) {
    assert!(!accepted.is_empty());
    let ids: HashSet<&String> = accepted.iter().collect();
    assert_eq!(
        ids.len(),
        accepted.len(),
        "a workflow id was acknowledged twice"
    );
    wait_for("every acknowledged workflow to complete", || {
        accepted.iter().all(|id| {
            env.sql_i64(&format!(
                "SELECT COUNT(*) FROM workflows WHERE id = '{id}' AND status = 'completed'"
            )) == 1
        })
    });
    for id in accepted {
        let drafts = env.sql_i64(&format!(
            "SELECT COUNT(*) FROM drafts WHERE workflow_id = '{id}'"
        ));
        let tasks = env.sql_i64(&format!(
            "SELECT COUNT(*) FROM crm_tasks WHERE reference = 'salesagent-workflow:{id}'"
        ));
        assert_eq!((drafts, tasks), (1, 1), "workflow {id}");
    }
    let wait_all =
        || env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state NOT IN ('completed')") == 0;
    wait_for("every committed job to complete", wait_all);
    let workflows = env.sql_i64("SELECT COUNT(*) FROM workflows");
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM drafts"), workflows);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), workflows);
    assert_eq!(env.mail_files("drafts").len() as i64, workflows);
}

#[test]
fn health_endpoints_answer_json_with_security_headers() {
    let env = signed_env();
    let server = Proc::serve(&env, &[]);
    let get = |path: &str| {
        let resp = reqwest::blocking::get(format!("{}{path}", server.base)).unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, resp.json::<serde_json::Value>().unwrap(), headers)
    };
    let (status, live, _) = get("/health/live");
    assert_eq!((status, live["status"].as_str()), (200, Some("live")));
    let (status, ready, headers) = get("/health/ready");
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["checks"]["store_writable"], true);
    assert_eq!(ready["checks"]["migrations_current"], true);
    assert!(
        ready["checks"]["workers_alive"].as_i64().unwrap() >= 1,
        "{ready}"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.contains_key("x-request-id"));
    let (status, body, _) = get("/nope");
    assert_eq!((status, body["error"].as_str()), (404, Some("not found")));
}

#[test]
fn readiness_is_503_when_no_worker_heartbeats() {
    let env = signed_env();
    // Heartbeats every lease/3 = 100 s: none comes back during the test once removed.
    env.write_config("[worker]\nlease_secs = 300\n");
    let server = Proc::serve(&env, &["--workers", "1"]);
    // The pool's first heartbeat may land after serve listens: wait for it, so the DELETE
    // below removes it rather than racing it.
    crate::server_support::wait_for("the first heartbeat", || {
        env.sql_i64("SELECT COUNT(*) FROM worker_heartbeats") >= 1
    });
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute("DELETE FROM worker_heartbeats", []).unwrap();
    let resp = reqwest::blocking::get(format!("{}/health/ready", server.base)).unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    let body: serde_json::Value = resp.json().unwrap();
    assert_eq!(body["status"], "not_ready", "{body}");
    assert_eq!(body["checks"]["workers_alive"], 0, "{body}");
    assert_eq!(body["checks"]["store_writable"], true, "{body}");
}

#[test]
fn stop_line_counts_in_the_singular_when_there_is_one() {
    let env = signed_env();
    let mut server = Proc::serve(&env, &[]);
    let file = env.write_file("p0.json", seed_payload(0));
    let headers = sign(&env, &file, &server.url(), &[]);
    assert_eq!(post(&server.url(), &headers, seed_payload(0)).0, 202);
    assert_eq!(post(&server.url(), &headers, seed_payload(0)).0, 200);
    server.signal("TERM");
    assert_eq!(server.wait_exit(), Some(0), "{}", server.stderr());
    let stderr = server.stderr();
    assert!(
        stderr.contains("1 accepted, 1 duplicate, 0 quarantined"),
        "{stderr}"
    );
    assert!(!stderr.contains("1 duplicates"), "{stderr}");
}
