//! What a fresh run of the whole operator flow (README from the top, then as a careless user)
//! still found: an import that could be paused or cancelled after all its work was done, import
//! summaries that disagreed with `import list`, a dangling "… and N more", `--json` runs that
//! printed nothing or text, a 400 hint without the command to follow, a `config check` that said
//! OK about a setup `serve` refuses, and a README audit list missing actions.

use crate::dlq::dead_letter;
use crate::env::{TestEnv, fixture, parse_json, stderr, stdout};
use crate::import::generated;
use crate::server_support::{Proc, signed_env};

fn import(env: &TestEnv, name: &str, text: &str, code: i32) -> (String, String) {
    let path = env.write_file(name, text);
    let out = env.run(&["import", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    let id = env.json(&["import", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (id, stdout(&out))
}

#[test]
fn an_import_whose_workflows_all_ran_cannot_be_paused_or_cancelled() {
    let env = TestEnv::new();
    let (id, _) = import(&env, "done.csv", &generated(5, None), 0);
    // As the workers leave it: every job and workflow finished.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(
        "UPDATE jobs SET state = 'completed';
         UPDATE workflows SET status = 'completed';",
    )
    .unwrap();
    for action in ["pause", "cancel"] {
        let out = env.run(&["import", action, &id]);
        assert_eq!(out.status.code(), Some(4), "{action}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("nothing to {action}")),
            "{action}: {}",
            stderr(&out)
        );
        let status = env.json(&["import", "status", &id]);
        assert_eq!(
            status["state"], "completed",
            "{action} changed it: {status}"
        );
        assert_eq!(status["status"], "completed", "{status}");
    }
}

#[test]
fn pausing_a_paused_import_says_so_plainly() {
    let env = TestEnv::new();
    let (id, _) = import(&env, "p.csv", &generated(5, None), 0);
    assert!(env.run(&["import", "pause", &id]).status.success());
    let out = env.run(&["import", "pause", &id]);
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(!err.contains("is paused and cannot be paused"), "{err}");
    assert!(err.contains("already"), "{err}");
}

#[test]
fn the_import_summary_says_processing_while_its_workflows_are_queued() {
    let env = TestEnv::new();
    let (id, text) = import(&env, "q.csv", &generated(3, None), 0);
    assert!(
        text.contains(&format!("(import {id}, processing)")),
        "{text}"
    );
    assert_eq!(env.json(&["import", "list"])[0]["status"], "processing");
}

#[test]
fn a_resumed_import_points_to_its_rejected_rows_instead_of_a_dangling_more() {
    let env = TestEnv::new();
    let (id, _) = import(&env, "bad.csv", &generated(6, Some(3)), 11);
    assert!(env.run(&["import", "pause", &id]).status.success());
    let out = env.run(&["import", "resume", &id]);
    let text = stdout(&out);
    assert!(!text.contains("… and"), "{text}");
    assert!(
        text.contains(&format!("2 rejected rows: `salesagent import errors {id}`")),
        "{text}"
    );
}

#[test]
fn dlq_retry_with_json_prints_json_when_nothing_matches_and_on_a_dry_run() {
    let env = TestEnv::new();
    env.init_db();
    let out = env.run(&["dlq", "retry", "--all", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(parse_json(&out.stdout), serde_json::json!([]));
    dead_letter(&env, "dl-1", None, "transient", "timed out");
    let out = env.run(&["dlq", "retry", "dl-1", "--dry-run", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let would = parse_json(&out.stdout);
    assert_eq!(would[0]["id"], "dl-1", "{would}");
    assert_eq!(would[0]["error_class"], "transient", "{would}");
}

#[test]
fn webhook_send_of_an_unparsable_body_names_the_quarantine_command() {
    let env = signed_env();
    let serve = Proc::serve(&env, &["--workers", "1"]);
    let file = fixture("invalid/unknown-shape.json");
    let out = env.run(&[
        "webhook",
        "send",
        file.to_str().unwrap(),
        "--url",
        &serve.url(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let body = parse_json(stdout(&out).trim_start_matches("400 ").as_bytes());
    let id = body["quarantine_id"].as_str().unwrap();
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains(&format!("`salesagent quarantine show {id}`")),
        "{err}"
    );
}

#[test]
fn config_check_notes_a_missing_webhook_secret_and_database() {
    let env = TestEnv::new();
    let out = env.run(&["config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("configuration OK"), "{err}");
    assert!(err.contains("note: webhook.secret is not set"), "{err}");
    assert!(err.contains("does not exist yet"), "{err}");
    let report = env.json(&["config", "check"]);
    assert_eq!(report["notes"].as_array().unwrap().len(), 2, "{report}");
    // A deployment that has both gets no notes.
    let env = signed_env();
    env.init_db();
    let report = env.json(&["config", "check"]);
    assert_eq!(report["notes"], serde_json::json!([]), "{report}");
}

#[test]
fn the_readme_lists_every_audit_action_the_command_accepts() {
    let env = TestEnv::new();
    env.init_db();
    let out = env.run(&["audit", "list", "--action", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let values = err
        .split("[possible values: ")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap_or_else(|| panic!("no list of actions: {err}"));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## Audit log")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap();
    for action in values.split(", ") {
        assert!(
            section.contains(&format!("`{action}`")),
            "README's audit section does not list {action}"
        );
    }
}

#[test]
fn an_unclosed_table_before_a_secret_is_reported_as_what_it_is() {
    let env = TestEnv::new();
    let config = env.write_file(
        "bad.toml",
        "environment = \"development\"\n[webhook\nsecret = \"TOMLSECRET-1234567890\"\n",
    );
    let out = env.run(&["--config", config.to_str().unwrap(), "queues"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("invalid table header"), "{err}");
    assert!(
        !err.contains("secret key"),
        "blames the next line's secret: {err}"
    );
    assert!(!err.contains("TOMLSECRET"), "{err}");
}

#[test]
fn an_error_names_its_cause_once() {
    let env = TestEnv::new();
    env.init_db();
    // A directory that cannot be created (a file is in the way).
    env.write_file("in-the-way", "");
    let target = env.path().join("in-the-way/sub/b.db");
    let out = env.run(&["db", "backup", target.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    let first = err.lines().next().unwrap();
    let cause = first.rsplit(": ").next().unwrap();
    assert_eq!(
        first.matches(cause).count(),
        1,
        "the cause is repeated: {first}"
    );
}

/// (`dlq list` is the exception: its `--all` means "resolved ones too", so `--limit 0` is how it
/// lifts the limit, as its help says.)
#[test]
fn a_list_limit_of_zero_is_a_usage_error_that_names_all() {
    let env = TestEnv::new();
    env.init_db();
    for list in [
        &["workflows", "list"][..],
        &["drafts", "list"],
        &["audit", "list"],
        &["import", "list"],
        &["crm", "contacts"],
        &["quarantine", "list"],
        &["reconcile", "reports"],
    ] {
        let out = env
            .cmd()
            .args(list)
            .args(["--limit", "0"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{list:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("--all"), "{list:?}: {}", stderr(&out));
    }
}

/// A copy of scripts/gen-docs.sh in a scratch tree with checked-in docs, and a fake `cargo` that
/// answers `build` with `message` (what cargo prints about the executable it built).
fn gen_docs_in_scratch(message: &str) -> (tempfile::TempDir, std::process::Output) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["scripts", "man", "completions", "fakebin"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gen-docs.sh"),
        root.join("scripts/gen-docs.sh"),
    )
    .unwrap();
    std::fs::write(root.join("man/salesagent.1"), "checked in\n").unwrap();
    let cargo = root.join("fakebin/cargo");
    std::fs::write(&cargo, format!("#!/bin/sh\necho '{message}'\n")).unwrap();
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        root.join("fakebin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .arg(root.join("scripts/gen-docs.sh"))
        .env("PATH", path)
        .output()
        .unwrap();
    (dir, out)
}

#[test]
fn gen_docs_uses_the_binary_cargo_built_and_keeps_the_docs_when_there_is_none() {
    // cargo built somewhere else (CARGO_TARGET_DIR) and ./target has no binary.
    let (dir, out) = gen_docs_in_scratch("{\"reason\":\"build-finished\",\"success\":true}");
    assert!(!out.status.success());
    assert!(
        dir.path().join("man/salesagent.1").exists(),
        "the checked-in man pages were deleted: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let built = env!("CARGO_BIN_EXE_salesagent");
    let (dir, out) = gen_docs_in_scratch(&format!(
        "{{\"reason\":\"compiler-artifact\",\"executable\":\"{built}\"}}"
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(dir.path().join("man/salesagent.1")).unwrap();
    assert!(page.contains(".TH"), "{page}");
    assert!(dir.path().join("completions/_salesagent").exists());
}
