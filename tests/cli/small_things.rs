//! Small things people hit at once (issue 12): a closed pipe, the audit actor without `$USER`,
//! `mode` spellings and the kill switch without a reason, `audit list` filters and JSON.

use crate::env::{TestEnv, parse_json, stderr, stdout};

/// Runs `salesagent ARGS | head -1` in a shell and returns salesagent's own exit code.
fn exit_code_into_head(env: &TestEnv, args: &str) -> (i32, String) {
    let bin = env!("CARGO_BIN_EXE_salesagent");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{bin}' {args} 2>stderr.txt | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}"
        ))
        .current_dir(env.path())
        .env("SALESAGENT_DB", env.db())
        .output()
        .unwrap();
    let code = stdout(&out).trim().parse().unwrap();
    let err = std::fs::read_to_string(env.path().join("stderr.txt")).unwrap_or_default();
    (code, err)
}

#[test]
fn every_command_ends_quietly_on_a_closed_pipe() {
    let env = TestEnv::new();
    assert!(
        env.run(&["mode", "set", "draft-only", "--reason", "x"])
            .status
            .success()
    );
    // Enough entries that the output is far larger than a pipe's buffer.
    rusqlite::Connection::open(env.db())
        .unwrap()
        .execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
             INSERT INTO audit_log (id, actor, action, subject, reason, created_at)
             SELECT 'a' || i, 'ann', 'suppression.add', 'x@y.com', 'a reason long enough', i FROM n;",
        )
        .unwrap();
    for args in [
        "completions zsh",
        "completions bash",
        "completions fish",
        "man",
        "audit list --all",
        "audit list --all --json",
    ] {
        let (code, err) = exit_code_into_head(&env, args);
        assert_eq!(code, 0, "{args}: {err}");
        assert!(!err.contains("panicked"), "{args}: {err}");
        assert!(!err.contains("Broken pipe"), "{args}: {err}");
    }
}

#[test]
fn the_audit_actor_is_the_os_user_without_user_in_the_environment() {
    let env = TestEnv::new();
    let out = env
        .cmd()
        .env_remove("USER")
        .env_remove("LOGNAME")
        .args(["suppress", "add", "a@b.com", "--reason", "asked"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let whoami = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let me = stdout(&whoami).trim().to_string();
    let entries = env.json(&["audit", "list"]);
    assert_eq!(entries[0]["actor"], me.as_str(), "{entries}");
    assert_ne!(entries[0]["actor"], "unknown");
}

#[test]
fn mode_show_prints_a_spelling_mode_set_accepts() {
    let env = TestEnv::new();
    env.init_db();
    let shown = env.json(&["mode", "show"]);
    let printed = shown["mode"].as_str().unwrap().to_string();
    for spelling in [printed.as_str(), "draft-only", "draft_only"] {
        let out = env.run(&["mode", "set", spelling, "--reason", "check"]);
        assert!(out.status.success(), "{spelling}: {}", stderr(&out));
    }
}

#[test]
fn the_kill_switch_needs_no_reason_but_send_does() {
    let env = TestEnv::new();
    let out = env.run(&["mode", "set", "draft-only", "--by", "ann"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = env.json(&["audit", "list", "--action", "mode.set"]);
    assert_eq!(audit[0]["reason"], "no reason given", "{audit}");
    let out = env.run(&["mode", "set", "send", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--reason"), "{}", stderr(&out));
}

#[test]
fn mode_show_includes_the_daily_cap_used_and_the_send_window() {
    let env = TestEnv::new();
    env.write_config("[send]\ndaily_cap = 7\nwindow = \"08:00-18:00 Europe/Berlin\"\n");
    let out = env.run(&[
        "run",
        crate::env::fixture("forms-v3.json").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // One send claimed today from this sender, as `claim_send` leaves it.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(
        "UPDATE drafts SET send_started_at = CAST(strftime('%s','now') AS INTEGER) * 1000,
             sender = 'Sales@Example.com'",
    )
    .unwrap();
    let shown = env.json(&["mode", "show"]);
    assert_eq!(shown["daily_cap"], 7, "{shown}");
    assert_eq!(
        shown["sent_today"][0]["sender"], "sales@example.com",
        "{shown}"
    );
    assert_eq!(shown["sent_today"][0]["sent"], 1, "{shown}");
    assert_eq!(shown["send_window"], "08:00-18:00 Europe/Berlin");
    assert!(shown["send_window_open"].is_boolean(), "{shown}");
    let out = env.run(&["mode", "show"]);
    let text = stdout(&out);
    assert!(
        text.contains("daily cap   7 per sender; used today: sales@example.com 1/7"),
        "{text}"
    );
    assert!(
        text.contains("send window 08:00-18:00 Europe/Berlin"),
        "{text}"
    );
}

#[test]
fn audit_list_refuses_an_unknown_action_and_lists_the_known_ones() {
    let env = TestEnv::new();
    let out = env.run(&["audit", "list", "--action", "bogus"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    for known in [
        "mode.set",
        "draft.approve",
        "dlq.retry",
        "quarantine.replay",
    ] {
        assert!(stderr(&out).contains(known), "{}", stderr(&out));
    }
}

#[test]
fn audit_json_has_objects_not_strings_and_filters_by_subject() {
    let env = TestEnv::new();
    let wf = crate::dlq::failed_workflow(&env);
    let dl = crate::dlq::dead_letter(&env, "dl-audit-0001", Some(&wf), "transient", "t");
    env.write_config("");
    assert!(env.run(&["dlq", "retry", &dl]).status.success());
    env.run(&["mode", "set", "draft-only", "--reason", "x"]);
    let all = env.json(&["audit", "list"]);
    assert_eq!(all.as_array().unwrap().len(), 2);
    let mine = env.json(&["audit", "list", "--subject", &dl]);
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["action"], "dlq.retry");
    assert!(mine[0]["after"].is_object(), "{mine}");
    assert_eq!(mine[0]["after"]["job_id"], format!("job-{dl}"));
    let out = env.run(&["audit", "list", "--subject", "nothing-like-it", "--json"]);
    assert!(parse_json(&out.stdout).as_array().unwrap().is_empty());
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn probe_and_webhook_send_to_a_closed_port_say_connection_refused() {
    let env = crate::server_support::signed_env();
    let url = format!(
        "http://127.0.0.1:{}/api/webhooks/hubspot/forms",
        closed_port()
    );
    let payload = crate::env::fixture("forms-v3.json");
    for args in [
        vec!["webhook", "send", payload.to_str().unwrap(), "--url", &url],
        vec!["probe", "--url", &url, "--timeout", "5s"],
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(all.contains("connection refused"), "{args:?}: {all}");
        assert!(
            all.contains("is `salesagent serve` running on 127.0.0.1:"),
            "{args:?}: {all}"
        );
    }
}

#[test]
fn a_probe_from_another_host_follows_its_workflow_over_http() {
    let server_env = crate::server_support::signed_env();
    let serve = crate::server_support::Proc::serve(&server_env, &["--workers", "1"]);
    // The probe runs "elsewhere": no database of its own, only the URL and the secret.
    let elsewhere = crate::server_support::signed_env();
    let out = elsewhere.run(&["probe", "--url", &serve.url(), "--timeout", "60s", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = parse_json(&out.stdout);
    assert_eq!(report["status"], "completed", "{report}");
    assert_eq!(report["cleaned_up"], true, "{report}");
    assert!(!elsewhere.db().exists(), "the probe opened no database");
    assert_eq!(
        server_env.sql_i64("SELECT COUNT(*) FROM submissions WHERE synthetic = 1"),
        0,
        "the server removed the synthetic workflow"
    );
    // The status endpoint answers for probe workflows only.
    let real = server_env.run(&[
        "run",
        crate::env::fixture("forms-v3.json").to_str().unwrap(),
        "--json",
    ]);
    let real_id = parse_json(&real.stdout)["workflow_id"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = reqwest::blocking::get(format!("{}/api/probe/{real_id}", serve.base)).unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    drop(serve);
}
