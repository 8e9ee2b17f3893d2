//! What `serve` logs at the default level (no `-v`, no `SALESAGENT_LOG`): warnings an operator
//! must act on (a refused signature with its reason, a dead letter) and one info line per
//! finished workflow; never the secret.

use crate::server_support::{Proc, SECRET, post, seed_payload, signed_env, wait_for};

fn lines_with(server: &Proc, needle: &str) -> Vec<serde_json::Value> {
    server
        .stderr()
        .lines()
        .filter(|l| l.starts_with('{') && l.contains(needle))
        .map(|l| serde_json::from_str(l).expect("a JSON log line"))
        .collect()
}

fn signed(server: &Proc, ts: i64, secret: &str) -> Vec<(String, String)> {
    let body = seed_payload(1);
    let signature =
        salesagent::webhook::signature::sign_v3(secret, "POST", &server.url(), &body, ts);
    vec![
        ("content-type".into(), "application/json".into()),
        ("x-hubspot-signature-v3".into(), signature),
        ("x-hubspot-request-timestamp".into(), ts.to_string()),
    ]
}

#[test]
fn refused_signatures_are_warnings_with_their_reason_and_never_the_secret() {
    let env = signed_env();
    let server = Proc::serve_default_log(&env, &["--workers", "0"]);
    let now = salesagent::domain::time::now_ms();
    let json = vec![("content-type".to_string(), "application/json".to_string())];
    let cases = [
        (
            "mismatch",
            signed(&server, now, "a-wrong-secret-of-some-length"),
        ),
        ("stale", signed(&server, now - 3_600_000, SECRET)),
        ("future", signed(&server, now + 3_600_000, SECRET)),
        ("missing_header", json),
    ];
    for (reason, headers) in &cases {
        let (status, _, _) = post(&server.url(), headers, seed_payload(1));
        assert_eq!(status, 401, "{reason}");
    }
    wait_for("four refusals in the log", || {
        lines_with(&server, "webhook refused").len() == 4
    });
    let refusals = lines_with(&server, "webhook refused");
    for ((reason, _), line) in cases.iter().zip(&refusals) {
        assert_eq!(line["level"], "WARN", "{line}");
        assert_eq!(line["reason"], *reason, "{line}");
    }
    let log = server.stderr();
    assert!(
        !log.contains(SECRET),
        "the secret leaked into the log:\n{log}"
    );
}

/// `webhook send` of seed payload `n` to `server`, which must accept it.
fn send(env: &crate::env::TestEnv, server: &Proc, n: usize) {
    let out = env
        .cmd()
        .args(["webhook", "send", "-", "--url", &server.url()])
        .write_stdin(seed_payload(n))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", crate::env::stderr(&out));
}

#[test]
fn one_info_line_per_finished_workflow_and_a_warning_per_dead_letter() {
    let env = signed_env();
    env.write_config("[worker]\nmax_attempts = 1\n");
    let server = Proc::serve_default_log(&env, &["--workers", "1"]);
    send(&env, &server, 1);
    wait_for("the workflow to finish", || {
        !lines_with(&server, "workflow finished").is_empty()
    });
    let finished = lines_with(&server, "workflow finished");
    assert_eq!(finished.len(), 1, "{}", server.stderr());
    assert_eq!(finished[0]["level"], "INFO");
    assert_eq!(finished[0]["status"], "completed");
    assert!(
        lines_with(&server, "job finished").is_empty(),
        "a second line for the same workflow"
    );

    // A mailbox that cannot be written: with one attempt the job goes to the dead-letter queue.
    let blocked = env.write_file("not-a-directory", "x");
    drop(server);
    let env = env.env("SALESAGENT_DATA_DIR", blocked.to_str().unwrap());
    let server = Proc::serve_default_log(&env, &["--workers", "1"]);
    send(&env, &server, 2);
    wait_for("the dead letter to be logged", || {
        !lines_with(&server, "dead-letter queue").is_empty()
    });
    let dead = &lines_with(&server, "dead-letter queue")[0];
    assert_eq!(dead["level"], "WARN", "{dead}");
    assert!(
        dead["class"].is_string() && dead["workflow_id"].is_string(),
        "{dead}"
    );
}
