//! `salesagent run`: every payload shape to a completed workflow, duplicates, suppression, bad
//! input that leaves the store untouched, and resuming a failed workflow without repeating effects.

use crate::env::{TestEnv, fixture, stderr, stdout};
use salesagent::domain::email::{header, parse_headers};
use serde_json::Value;

fn run_fixture(env: &TestEnv, name: &str) -> Value {
    env.json(&["run", fixture(name).to_str().unwrap()])
}

/// The report says completed with 13 completed steps, and the draft file is a message to `to`.
fn assert_completed_with_draft(env: &TestEnv, report: &Value, to: &str) {
    assert_eq!(report["status"], "completed", "{report:#}");
    let steps = report["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "validate",
            "suppression",
            "dedupe",
            "contact",
            "company",
            "history",
            "score",
            "route",
            "compose",
            "guard",
            "draft",
            "task",
            "finalize"
        ]
    );
    assert!(
        steps.iter().all(|s| s["status"] == "completed"),
        "{steps:#?}"
    );
    let draft = &report["draft"];
    assert_eq!(draft["status"], "pending_review");
    assert_eq!(draft["to"], to);
    let path = env
        .mail_dir()
        .join("drafts")
        .join(format!("{}.eml", draft["id"].as_str().unwrap()));
    let text = std::fs::read_to_string(&path).expect("draft file");
    let headers = parse_headers(&text);
    assert_eq!(header(&headers, "To"), Some(to));
    assert_eq!(header(&headers, "From"), draft["from"].as_str());
    assert_eq!(header(&headers, "Subject"), draft["subject"].as_str());
    let message_id = header(&headers, "Message-ID").unwrap();
    assert!(
        message_id.contains(report["workflow_id"].as_str().unwrap()),
        "{message_id}"
    );
    assert!(
        text.contains("\r\n\r\n"),
        "header and body are separated by a blank line"
    );
    assert!(report["task"]["id"].is_string());
    assert!(report["task"]["due_at"].is_string());
}

#[test]
fn seed_shape_completes_with_a_draft_file() {
    let env = TestEnv::new();
    let report = run_fixture(&env, "seed-shape.json");
    assert_completed_with_draft(&env, &report, "dana.whitfield@northwind-robotics.com");
}

#[test]
fn forms_v3_shape_completes() {
    let env = TestEnv::new();
    let report = run_fixture(&env, "forms-v3.json");
    assert_completed_with_draft(&env, &report, "lee.okafor@brightline.io");
}

#[test]
fn workflow_contact_shape_completes() {
    let env = TestEnv::new();
    let report = run_fixture(&env, "workflow-contact-v1.json");
    assert_completed_with_draft(&env, &report, "sam.reyes@harborfreight-logistics.com");
}

#[test]
fn webhook_events_fetch_the_contact_from_the_crm() {
    let env = TestEnv::new();
    let added = env.run(&[
        "crm",
        "add-contact",
        "--email",
        "Eve@Events-Acme.com",
        "--first-name",
        "Eve",
        "--id",
        "3234588",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let out = env
        .cmd()
        .args([
            "run",
            fixture("webhooks-events.json").to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // One contact.creation event starts work; the property change is acknowledged only.
    assert!(stderr(&out).contains("1 other event acknowledged"));
    let report = crate::env::parse_json(&out.stdout);
    assert_completed_with_draft(&env, &report, "eve@events-acme.com");
    assert_eq!(report["steps"][3]["remote_id"], "3234588");
}

#[test]
fn stdin_is_read_with_a_dash() {
    let env = TestEnv::new();
    let body = std::fs::read(fixture("seed-shape.json")).unwrap();
    let out = env
        .cmd()
        .args(["run", "-", "--json"])
        .write_stdin(body)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(crate::env::parse_json(&out.stdout)["status"], "completed");
}

#[test]
fn the_same_payload_twice_is_a_duplicate_with_no_second_draft_or_task() {
    let env = TestEnv::new();
    let first = run_fixture(&env, "seed-shape.json");
    let second = run_fixture(&env, "seed-shape.json");
    assert_eq!(second["status"], "duplicate");
    assert_eq!(second["duplicate_of"], first["workflow_id"]);
    assert!(second["draft"].is_null());
    assert_eq!(env.mail_files("drafts").len(), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM drafts"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM workflows"), 1);
}

#[test]
fn the_same_email_on_the_same_form_within_the_window_is_a_duplicate() {
    let env = TestEnv::new();
    let first = run_fixture(&env, "seed-shape.json");
    // Another submission id, same person, same form: a double click or a resubmission.
    let text = std::fs::read_to_string(fixture("seed-shape.json"))
        .unwrap()
        .replace(
            "b7e2c6f0-1d34-4a8b-9c55-2e7f0a9d3b61",
            "another-submission-id",
        );
    let again = env.write_file("again.json", text);
    let second = env.json(&["run", again.to_str().unwrap()]);
    assert_eq!(second["status"], "duplicate");
    let steps = second["steps"].as_array().unwrap();
    assert_eq!(steps[2]["name"], "dedupe");
    assert_eq!(steps[2]["status"], "completed");
    assert!(steps[3..].iter().all(|s| s["status"] == "skipped"));
    assert!(second["draft"].is_null());
    assert_ne!(second["workflow_id"], first["workflow_id"]);
    assert_eq!(env.mail_files("drafts").len(), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), 1);
    // A different form is a different conversation.
    let other_form = std::fs::read_to_string(fixture("seed-shape.json"))
        .unwrap()
        .replace("b7e2c6f0-1d34-4a8b-9c55-2e7f0a9d3b61", "third-id")
        .replace("3f1c2a9e-5b7d-4c11-9a0e-7d2b6c8e1f40", "other-form");
    let other = env.write_file("other.json", other_form);
    assert_eq!(
        env.json(&["run", other.to_str().unwrap()])["status"],
        "completed"
    );
}

#[test]
fn suppressed_addresses_and_domains_get_no_draft() {
    let env = TestEnv::new();
    let out = env.run(&[
        "suppress",
        "add",
        "Dana.Whitfield@northwind-robotics.com",
        "--reason",
        "unsubscribed",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = run_fixture(&env, "seed-shape.json");
    assert_eq!(report["status"], "suppressed");
    assert!(report["draft"].is_null());
    assert!(env.mail_files("drafts").is_empty());
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_contacts"), 0);

    let out = env.run(&[
        "suppress",
        "add",
        "@brightline.io",
        "--reason",
        "competitor",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(run_fixture(&env, "forms-v3.json")["status"], "suppressed");
    let list = env.json(&["suppress", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["created_by"], "tester");
}

#[test]
fn bad_input_exits_2_with_a_one_line_reason_and_writes_nothing() {
    let cases = [
        (
            "invalid/invalid-json.json",
            "not valid JSON: trailing comma at line 3",
        ),
        (
            "invalid/unknown-shape.json",
            "unknown payload shape (top-level keys: hello, items)",
        ),
        ("invalid/missing-email.json", "field `email` is missing"),
        (
            "invalid/invalid-email.json",
            "field `email` (\"not-an-email\") has no @",
        ),
        ("invalid/empty.json", "the payload is empty"),
        (
            "invalid/not-utf8.json",
            "not UTF-8 text (invalid byte at offset 48)",
        ),
        ("does-not-exist.json", "no such file"),
        ("invalid", "is a directory"),
    ];
    let env = TestEnv::new();
    // A store with some history, to prove bad input leaves it exactly as it was.
    run_fixture(&env, "seed-shape.json");
    let before = env.table_counts();
    for (name, expected) in cases {
        let path = fixture(name);
        let out = env.run(&["run", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(expected), "{name}: {err}");
        assert!(
            err.contains(name.rsplit('/').next().unwrap()),
            "names the file: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(stdout(&out).is_empty());
        assert_eq!(env.table_counts(), before, "{name} changed the store");
    }
    // On a fresh directory, bad input does not even create the database.
    let fresh = TestEnv::new();
    let out = fresh.run(&[
        "run",
        fixture("invalid/missing-email.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!fresh.db().exists());
}

#[test]
fn a_failed_workflow_resumes_at_the_failed_step_without_repeating_side_effects() {
    let env = TestEnv::new();
    // A file where the drafts folder should be: the mailbox cannot write the draft.
    env.write_file("mail/drafts", "in the way");
    let out = env
        .cmd()
        .args([
            "run",
            fixture("seed-shape.json").to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let failed = crate::env::parse_json(&out.stdout);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["current_step"], "draft");
    // A file in the way needs an operator: not transient.
    assert_eq!(failed["error"]["class"], "configuration");
    assert!(stderr(&out).contains("workflows retry"), "{}", stderr(&out));
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_contacts"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), 0);

    std::fs::remove_file(env.mail_dir().join("drafts")).unwrap();
    let id = failed["workflow_id"].as_str().unwrap();
    let retried = env.json(&["workflows", "retry", id]);
    assert_eq!(retried["status"], "completed", "{retried:#}");
    assert_eq!(failed["attempts"], 1);
    assert_eq!(retried["attempts"], 2, "each run counts one attempt");
    let attempts = |name: &str| {
        retried["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["attempts"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(attempts("contact"), 1, "the contact step did not run again");
    assert_eq!(attempts("company"), 1);
    assert_eq!(attempts("draft"), 2);
    assert_eq!(attempts("task"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_contacts"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_companies"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), 1);
    assert_eq!(env.mail_files("drafts").len(), 1);
    // A completed workflow has nothing to retry.
    let again = env.run(&["workflows", "retry", id]);
    assert_eq!(again.status.code(), Some(4), "{}", stderr(&again));
}

#[test]
fn the_guard_refuses_a_draft_without_the_unsubscribe_line() {
    let env = TestEnv::new();
    env.write_config("[guard]\nunsubscribe_line = \"Reply STOP to opt out.\"\n");
    let out = env
        .cmd()
        .args([
            "run",
            fixture("seed-shape.json").to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = crate::env::parse_json(&out.stdout);
    assert_eq!(report["current_step"], "guard");
    assert_eq!(report["error"]["class"], "invalid_input");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lacks the unsubscribe line")
    );
    assert!(env.mail_files("drafts").is_empty());
}

#[test]
fn templates_from_the_config_file_fill_the_draft() {
    let env = TestEnv::new();
    env.write_config(
        "[routing]\ndefault_sender = \"anna.berg@example.com\"\nrules = []\n\n\
         [templates.default]\nsubject = \"Hello {{first_name}} from {{company}}\"\n\
         body = \"Hi {{first_name}},\\nthanks.\\n{{sender_name}}\\nReply STOP to opt out.\\n\"\n\n\
         [guard]\nunsubscribe_line = \"Reply STOP to opt out.\"\n",
    );
    let report = run_fixture(&env, "seed-shape.json");
    assert_eq!(report["status"], "completed", "{report:#}");
    assert_eq!(
        report["draft"]["subject"],
        "Hello Dana from Northwind Robotics"
    );
    assert_eq!(report["draft"]["from"], "anna.berg@example.com");
    let body = env.json(&["drafts", "show", report["draft"]["id"].as_str().unwrap()])["body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(body.contains("Anna Berg"), "{body}");
}

#[test]
fn workflows_show_prints_times_as_the_lists_do() {
    let env = TestEnv::new();
    let report = run_fixture(&env, "seed-shape.json");
    let wf = report["workflow_id"].as_str().unwrap();
    let out = env.run(&["workflows", "show", wf]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let created = text
        .lines()
        .find(|l| l.starts_with("created "))
        .unwrap_or_else(|| panic!("no created line: {text}"));
    let when = created.trim_start_matches("created").trim();
    assert_eq!(when.len(), "2026-12-01 09:57:18".len(), "{created}");
    assert!(!when.contains('T') && !when.ends_with('Z'), "{created}");
    let list = stdout(&env.run(&["workflows", "list"]));
    assert!(list.contains(when), "{when} not in the list:\n{list}");
    let json = env.json(&["workflows", "show", wf]);
    assert!(
        json["created_at"].as_str().unwrap().ends_with('Z'),
        "{json}"
    );
}
