//! Every dead end has a way out (issue 12): a cancelled import can be redone, quarantined webhooks
//! can be seen, replayed and discarded, `dlq` shows the lead, a mailbox path in the way is not
//! retried as if it were a hiccup, and the Webhooks API fixture says what it needs.

use crate::dlq::{dead_letter, failed_workflow};
use crate::env::{TestEnv, fixture, parse_json, stderr, stdout};
use crate::import::generated;
use crate::server_support::{Proc, SECRET, signed_env, wait_for};

fn import_id(env: &TestEnv, file: &std::path::Path) -> String {
    let out = env
        .cmd()
        .args(["import", file.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    parse_json(&out.stdout)["import_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_cancelled_import_can_be_imported_again_without_duplicates() {
    let env = TestEnv::new();
    let first = env.write_file("leads.csv", generated(4, None));
    let id = import_id(&env, &first);
    assert!(env.run(&["import", "cancel", &id]).status.success());
    // The same rows in a fixed-up file (another hash): none was processed, none is a duplicate.
    let second = env.write_file("leads-fixed.csv", generated(5, None));
    // A dry run agrees with the import that follows it.
    let dry = env.run(&["import", second.to_str().unwrap(), "--dry-run"]);
    assert_eq!(
        dry.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&dry),
        stderr(&dry)
    );
    let out = env.run(&["import", second.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("imported 5 of 5 rows"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'available'"),
        5
    );
}

#[test]
fn a_cancelled_import_can_be_resumed() {
    let env = TestEnv::new();
    let file = env.write_file("leads.csv", generated(3, None));
    let id = import_id(&env, &file);
    assert!(env.run(&["import", "cancel", &id]).status.success());
    let out = env.run(&["import", "resume", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'available'"),
        3
    );
    assert_eq!(env.json(&["import", "status", &id])["status"], "processing");
}

/// An authenticated body this version cannot parse, posted to a running server.
fn quarantine_one(serve: &Proc, env: &TestEnv) -> String {
    let body = env.write_file("odd.json", br#"{"someday": "a shape we learn later"}"#);
    let out = env
        .cmd()
        .env("SALESAGENT_WEBHOOK_SECRET", SECRET)
        .args([
            "webhook",
            "send",
            body.to_str().unwrap(),
            "--url",
            &serve.url(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", stdout(&out));
    let list = env.json(&["quarantine", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    list[0]["id"].as_str().unwrap().to_string()
}

#[test]
fn quarantined_webhooks_can_be_listed_shown_and_discarded() {
    let env = signed_env();
    let serve = Proc::serve(&env, &[]);
    let id = quarantine_one(&serve, &env);
    let shown = env.json(&["quarantine", "show", &id]);
    assert!(
        shown["body"].as_str().unwrap().contains("someday"),
        "{shown}"
    );
    assert_eq!(shown["status"], "waiting");
    let out = env.run(&["quarantine", "show", &id[..8]]);
    assert!(
        stdout(&out).contains("a shape we learn later"),
        "{}",
        stdout(&out)
    );
    // This version still cannot read it: replay says so and changes nothing.
    let out = env.run(&["quarantine", "replay", &id]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("still cannot be parsed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.json(&["quarantine", "list"]).as_array().unwrap().len(),
        1
    );
    let out = env.run(&[
        "quarantine",
        "discard",
        &id,
        "--reason",
        "test noise",
        "--by",
        "ann",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        env.json(&["quarantine", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let done = env.json(&["quarantine", "list", "--done"]);
    assert_eq!(done[0]["status"], "discarded");
    let audit = env.json(&["audit", "list", "--action", "quarantine.discard"]);
    assert_eq!(audit[0]["actor"], "ann");
    assert_eq!(audit[0]["subject"], id.as_str());
    assert_eq!(audit[0]["reason"], "test noise");
    let again = env.run(&["quarantine", "discard", &id, "--reason", "twice"]);
    assert_eq!(again.status.code(), Some(4), "{}", stderr(&again));
    drop(serve);
}

#[test]
fn replaying_a_quarantined_payload_makes_its_workflows() {
    let env = signed_env();
    let serve = Proc::serve(&env, &["--workers", "1"]);
    // As an older version left it: a body it could not read, which this version reads.
    let body = std::fs::read(fixture("forms-v3.json")).unwrap();
    rusqlite::Connection::open(env.db())
        .unwrap()
        .execute(
            "INSERT INTO quarantined_payloads (id, reason, content_type, raw_payload, received_at)
             VALUES ('q-0001-older', 'unknown shape', 'application/json', ?1, 1)",
            [body],
        )
        .unwrap();
    let dry = env.run(&["quarantine", "replay", "q-0001-older", "--dry-run"]);
    assert!(stdout(&dry).contains("would replay q-0001-older: 1 submission"));
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM workflows"), 0);
    let out = env
        .cmd()
        .args([
            "quarantine",
            "replay",
            "--all",
            "--yes",
            "--json",
            "--by",
            "bob",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let replayed = parse_json(&out.stdout);
    let wf = replayed[0]["workflow_ids"][0].as_str().unwrap().to_string();
    wait_for("the replayed workflow to complete", || {
        env.sql_i64(&format!(
            "SELECT COUNT(*) FROM workflows WHERE id = '{wf}' AND status = 'completed'"
        )) == 1
    });
    let done = env.json(&["quarantine", "list", "--done"]);
    assert_eq!(done[0]["status"], "replayed");
    assert_eq!(done[0]["workflow_ids"][0], wf.as_str());
    let audit = env.json(&["audit", "list", "--subject", "q-0001-older"]);
    assert_eq!(audit[0]["action"], "quarantine.replay");
    assert_eq!(audit[0]["actor"], "bob");
    // A second replay is refused: the workflows exist already.
    let again = env.run(&["quarantine", "replay", "q-0001-older"]);
    assert_eq!(again.status.code(), Some(4), "{}", stderr(&again));
    drop(serve);
}

#[test]
fn dlq_show_prints_the_submission_and_lists_have_email_and_status() {
    let env = TestEnv::new();
    let wf = failed_workflow(&env);
    let dl = dead_letter(&env, "dl-show-0001", Some(&wf), "transient", "timeout");
    let out = env.run(&["dlq", "show", &dl]);
    let text = stdout(&out);
    assert!(
        text.contains("dana.whitfield@northwind-robotics.com"),
        "{text}"
    );
    assert!(
        text.contains("fieldValues"),
        "the submission as received:\n{text}"
    );
    assert!(!text.contains("\"payload\":{}"), "{text}");
    let shown = env.json(&["dlq", "show", &dl]);
    assert!(shown["submission"]["raw_payload"].is_object(), "{shown}");
    assert!(shown["submission"]["lead"]["email"].is_string(), "{shown}");
    // History times are RFC 3339 like every other time we print.
    assert!(
        shown["history"][0]["started_at"]
            .as_str()
            .is_some_and(|t| t.contains('T')),
        "{shown}"
    );
    let email = shown["email"].as_str().unwrap().to_string();
    let out = env.run(&["dlq", "list"]);
    assert!(stdout(&out).contains("EMAIL"), "{}", stdout(&out));
    assert!(stdout(&out).contains(&email), "{}", stdout(&out));
    let export = env.run(&["dlq", "export"]);
    let header = stdout(&export).lines().next().unwrap().to_string();
    assert!(header.contains("email"), "{header}");
    assert!(stdout(&export).contains(&email));
    // With --all, a status column tells waiting from retried and resolved.
    env.write_config("");
    assert!(env.run(&["dlq", "retry", &dl]).status.success());
    let out = env.run(&["dlq", "list", "--all"]);
    assert!(stdout(&out).contains("STATUS"), "{}", stdout(&out));
    assert!(stdout(&out).contains("retried"), "{}", stdout(&out));
    assert_eq!(env.json(&["dlq", "list", "--all"])[0]["status"], "retried");
}

#[test]
fn a_mailbox_path_in_the_way_is_a_configuration_problem_not_a_hiccup() {
    let env = TestEnv::new();
    // A file where the drafts directory belongs: "File exists" on every attempt.
    env.write_file("mail/drafts", "not a directory");
    let out = env
        .cmd()
        .args(["run", fixture("forms-v3.json").to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let report = parse_json(&out.stdout);
    assert_eq!(report["status"], "failed", "{report}");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("File exists"),
        "{report}"
    );
    assert_eq!(report["error"]["class"], "configuration", "{report}");
}

#[test]
fn the_webhooks_api_fixture_says_how_to_make_it_work() {
    let env = TestEnv::new();
    let out = env.run(&["run", fixture("webhooks-events.json").to_str().unwrap()]);
    assert!(!out.status.success());
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        all.contains("salesagent crm add-contact --id 3234588"),
        "{all}"
    );
    // Doing what it says makes the fixture work, as the README shows.
    let add = env.run(&[
        "crm",
        "add-contact",
        "--id",
        "3234588",
        "--email",
        "lena@example.com",
        "--first-name",
        "Lena",
    ]);
    assert!(add.status.success(), "{}", stderr(&add));
    let out = env.run(&["run", fixture("webhooks-events.json").to_str().unwrap()]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    assert!(readme.contains("crm add-contact --id 3234588"));
}
