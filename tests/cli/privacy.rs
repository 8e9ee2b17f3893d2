//! `privacy erase` through the binary: two tenants with the same address (erasing in one leaves
//! the other untouched), the raw-byte search of the database, its WAL, the mail directory and a
//! backup taken afterwards, dry runs that change nothing, the keyed suppression of a later
//! submission, and the real connectors (Gmail drafts, HubSpot GDPR delete) against the fakes,
//! including a failing remote call that stays retryable.

use std::path::Path;

use serde_json::Value;

use crate::env::{TestEnv, fixture, parse_json, stderr, stdout};
use crate::fakes::gmail::FakeGmail;
use crate::fakes::hubspot::FakeHubSpot;
use crate::fakes::{Fault, Request};

/// The address of `fixtures/forms-v3.json`.
const LEE: &str = "lee.okafor@brightline.io";
const TWO_TENANTS: &str = "[tenants.acme]\nname = \"Acme\"\n[tenants.globex]\nname = \"Globex\"\n";

fn ok(out: &std::process::Output) -> &std::process::Output {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
    out
}

fn run_as(env: &TestEnv, tenant: &str, file: &Path) {
    ok(&env.run(&["run", "--tenant", tenant, file.to_str().unwrap()]));
}

/// How often `needle` occurs in `bytes`, in any ASCII case.
fn occurrences(bytes: &[u8], needle: &str) -> usize {
    let needle = needle.as_bytes();
    bytes
        .windows(needle.len())
        .filter(|w| w.eq_ignore_ascii_case(needle))
        .count()
}

/// Every file under `dir` (recursively) that holds `needle` in any case.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if occurrences(&std::fs::read(&p).unwrap_or_default(), needle) > 0 {
                found.push(p.display().to_string());
            }
        }
    }
    found
}

fn count_in(env: &TestEnv, sql: &str) -> i64 {
    env.sql_i64(sql)
}

/// A seed-shape payload from `email`, with `message` and its own submission id.
fn seed_payload(
    env: &TestEnv,
    name: &str,
    email: &str,
    message: &str,
    id: &str,
) -> std::path::PathBuf {
    let body = serde_json::json!({
        "portalId": 4411223,
        "formId": "form-1",
        "formSubmissionId": id,
        "submittedAt": 1764412800000u64,
        "fieldValues": [
            {"name": "email", "value": email},
            {"name": "firstname", "value": "Sam"},
            {"name": "message", "value": message},
        ],
    });
    env.write_file(name, body.to_string())
}

fn erase_json(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["privacy", "erase"];
    all.extend_from_slice(args);
    all.push("--json");
    parse_json(&ok(&env.run(&all)).stdout)
}

#[test]
fn erasing_in_one_tenant_leaves_the_same_address_in_the_other_untouched() {
    let env = TestEnv::new();
    env.write_config(TWO_TENANTS);
    run_as(&env, "acme", &fixture("forms-v3.json"));
    run_as(&env, "globex", &fixture("forms-v3.json"));
    let globex_before = count_in(
        &env,
        "SELECT COUNT(*) FROM workflow_steps s JOIN workflows w ON w.id = s.workflow_id WHERE w.tenant_id = 'globex'",
    );

    // Changing something with two tenants and no --tenant is refused.
    let out = env.run(&["privacy", "erase", LEE, "--reason", "ticket 7", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    let report = erase_json(
        &env,
        &[
            "--tenant",
            "acme",
            "Lee.Okafor@Brightline.IO",
            "--reason",
            "ticket 7",
            "--yes",
        ],
    );
    assert_eq!(report["tenant"], "acme");
    let subject = &report["subjects"][0];
    let reference = subject["subject_ref"].as_str().unwrap().to_string();
    assert!(reference.starts_with("hmac-sha256:"), "{reference}");
    let deleted = |table: &str| {
        subject["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == table)
            .map_or(0, |t| t["deleted"].as_u64().unwrap())
    };
    assert_eq!(deleted("submissions"), 1);
    assert_eq!(deleted("workflows"), 1);
    assert_eq!(deleted("drafts"), 1);
    assert_eq!(deleted("crm_contacts"), 1);
    assert_eq!(subject["files"].as_array().unwrap().len(), 1);

    for table in [
        "submissions",
        "workflows",
        "drafts",
        "crm_contacts",
        "tasks",
    ] {
        assert_eq!(
            count_in(
                &env,
                &format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = 'acme'")
            ),
            0,
            "{table}"
        );
        assert_eq!(
            count_in(
                &env,
                &format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = 'globex'")
            ),
            1,
            "{table}"
        );
    }
    assert_eq!(
        count_in(
            &env,
            "SELECT COUNT(*) FROM workflow_steps s JOIN workflows w ON w.id = s.workflow_id WHERE w.tenant_id = 'globex'"
        ),
        globex_before
    );
    // Globex's draft file is still there and still holds its address.
    let left = files_holding(&env.mail_dir(), LEE);
    assert_eq!(left.len(), 1, "{left:?}");

    // The audit entry names the person only by reference, in acme only.
    let audit = parse_json(&ok(&env.run(&["audit", "list", "--tenant", "acme", "--json"])).stdout);
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "privacy.erase")
        .expect("a privacy.erase entry");
    assert_eq!(entry["subject"], reference.as_str());
    assert_eq!(entry["reason"], "ticket 7");
    assert_eq!(occurrences(entry.to_string().as_bytes(), LEE), 0);
    let globex_audit =
        parse_json(&ok(&env.run(&["audit", "list", "--tenant", "globex", "--json"])).stdout);
    assert!(
        globex_audit
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] != "privacy.erase")
    );

    // The same address in globex has another reference (per-tenant keys).
    let globex = erase_json(
        &env,
        &[
            "--tenant",
            "globex",
            LEE,
            "--reason",
            "ticket 8",
            "--dry-run",
        ],
    );
    assert_ne!(globex["subjects"][0]["subject_ref"], reference.as_str());
}

#[test]
fn after_erasure_the_address_is_in_no_byte_of_the_database_wal_mail_or_a_backup() {
    let env = TestEnv::new();
    // Every place the address can be: a run (submission, steps, draft file, CRM contact and
    // task), a draft rejected (its file moves to mail/rejected), a plain suppression (and its
    // audit entry), an import with an accepted and a rejected row, and another lead whose
    // message mentions the address (kept, blanked).
    run_as(&env, "default", &fixture("forms-v3.json"));
    let draft: String = {
        let list = env.json(&["drafts", "list"]);
        list[0]["id"].as_str().unwrap().to_string()
    };
    ok(&env.run(&["drafts", "reject", &draft, "--reason", "not now"]));
    assert_eq!(env.mail_files("rejected").len(), 1);
    ok(&env.run(&[
        "suppress",
        "add",
        "LEE.OKAFOR@brightline.io",
        "--reason",
        "asked by phone",
    ]));
    let csv = env.write_file(
        "leads.csv",
        format!("email,firstName,lastName,company,formId\n{LEE},Lee,Okafor,Brightline,f-1\nnot-an-email,Lee,{LEE},Brightline,f-1\n"),
    );
    let out = env.run(&["import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(11), "{}", stderr(&out));
    let other = seed_payload(
        &env,
        "other.json",
        "sam@elsewhere.org",
        &format!("please also write to {}", LEE.to_uppercase()),
        "s-other",
    );
    run_as(&env, "default", &other);
    assert!(
        occurrences(&std::fs::read(env.db()).unwrap(), LEE)
            + occurrences(
                &std::fs::read(env.db().with_extension("db-wal")).unwrap_or_default(),
                LEE
            )
            > 0
    );

    let report = erase_json(&env, &[LEE, "--reason", "GDPR request 2026-118", "--yes"]);
    assert_eq!(report["wal_truncated"], true, "{report}");
    let backup = env.path().join("after.db");
    ok(&env.run(&["db", "backup", backup.to_str().unwrap()]));

    let db = std::fs::read(env.db()).unwrap();
    assert_eq!(
        occurrences(&db, LEE),
        0,
        "the database file still holds the address"
    );
    let wal = std::fs::read(env.path().join("salesagent.db-wal")).unwrap_or_default();
    assert_eq!(occurrences(&wal, LEE), 0, "the WAL still holds the address");
    assert_eq!(
        occurrences(&std::fs::read(&backup).unwrap(), LEE),
        0,
        "the backup holds the address"
    );
    assert_eq!(files_holding(&env.mail_dir(), LEE), Vec::<String>::new());

    // The other lead stays, with the address blanked out of its message and its draft file.
    assert_eq!(
        count_in(
            &env,
            "SELECT COUNT(*) FROM submissions WHERE email = 'sam@elsewhere.org'"
        ),
        1
    );
    assert_eq!(
        count_in(
            &env,
            "SELECT COUNT(*) FROM submissions WHERE message LIKE '%[erased]%'"
        ),
        1
    );
    // Still suppressed, now only as the keyed reference.
    assert_eq!(
        count_in(
            &env,
            "SELECT COUNT(*) FROM suppressions WHERE value LIKE 'hmac-sha256:%'"
        ),
        1
    );
    assert_eq!(count_in(&env, "SELECT COUNT(*) FROM suppressions"), 1);
    // Nothing was deleted from the audit log: the suppression's entry and the erasure's remain.
    assert_eq!(
        count_in(
            &env,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('suppression.add', 'privacy.erase', 'draft.reject')"
        ),
        3
    );
}

#[test]
fn a_dry_run_lists_what_would_go_and_changes_nothing() {
    let env = TestEnv::new();
    run_as(&env, "default", &fixture("forms-v3.json"));
    let counts = env.table_counts();
    let files = files_holding(&env.mail_dir(), LEE);
    let report = erase_json(&env, &[LEE, "--reason", "ticket 9", "--dry-run"]);
    assert_eq!(report["dry_run"], true);
    let tables = report["subjects"][0]["tables"].as_array().unwrap();
    assert!(
        tables
            .iter()
            .any(|t| t["table"] == "submissions" && t["deleted"] == 1),
        "{report}"
    );
    assert_eq!(report["subjects"][0]["files"].as_array().unwrap().len(), 1);
    assert_eq!(env.table_counts(), counts);
    assert_eq!(files_holding(&env.mail_dir(), LEE), files);
    assert_eq!(
        count_in(
            &env,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'privacy.erase'"
        ),
        0
    );

    // The table output names each table and file.
    let out = ok(&env.run(&["privacy", "erase", LEE, "--reason", "ticket 9", "--dry-run"])).clone();
    assert!(stdout(&out).contains("submissions"), "{}", stdout(&out));
    assert!(stdout(&out).contains(".eml"), "{}", stdout(&out));
    assert!(stderr(&out).contains("dry run"), "{}", stderr(&out));
}

#[test]
fn without_a_terminal_erasure_needs_yes_and_bad_input_is_refused() {
    let env = TestEnv::new();
    run_as(&env, "default", &fixture("forms-v3.json"));
    let counts = env.table_counts();
    let out = env.run(&["privacy", "erase", LEE, "--reason", "ticket"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    let out = env.run(&[
        "privacy",
        "erase",
        "not-an-address",
        "--reason",
        "x",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["privacy", "erase", LEE, "--reason", " ", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(env.table_counts(), counts);
}

#[test]
fn a_later_submission_of_an_erased_address_is_suppressed_and_keeps_no_personal_data() {
    let env = TestEnv::new();
    run_as(&env, "default", &fixture("forms-v3.json"));
    erase_json(&env, &[LEE, "--reason", "ticket", "--yes"]);
    let again = seed_payload(
        &env,
        "again.json",
        &LEE.to_uppercase(),
        "it's me again, Lee",
        "s-again",
    );
    let out = ok(&env.run(&["run", again.to_str().unwrap(), "--json"])).clone();
    let report = parse_json(&out.stdout);
    assert_eq!(report["status"], "suppressed", "{report}");
    assert_eq!(count_in(&env, "SELECT COUNT(*) FROM drafts"), 0);
    assert_eq!(
        count_in(
            &env,
            "SELECT COUNT(*) FROM submissions WHERE email IS NULL AND length(raw_payload) = 0 AND message IS NULL"
        ),
        1
    );
    ok(&env.run(&["db", "backup", env.path().join("b.db").to_str().unwrap()]));
    assert_eq!(
        occurrences(&std::fs::read(env.path().join("b.db")).unwrap(), LEE),
        0
    );
    assert_eq!(
        occurrences(&std::fs::read(env.path().join("b.db")).unwrap(), "me again"),
        0
    );
}

struct Remote {
    env: TestEnv,
    hubspot: FakeHubSpot,
    gmail: FakeGmail,
}

const HUBSPOT_TOKEN: &str = "pat-na1-privacy-token";
const GDPR_DELETE: &str = "POST /crm/v3/objects/contacts/gdpr-delete";

fn remote() -> Remote {
    let hubspot = FakeHubSpot::start(HUBSPOT_TOKEN);
    let gmail = FakeGmail::start(
        "cid.apps.googleusercontent.com",
        "gmail-secret",
        "1//refresh",
    );
    let env = TestEnv::new()
        .env("SALESAGENT_CONNECTORS_CRM", "hubspot")
        .env("SALESAGENT_CONNECTORS_MAILBOX", "gmail")
        .env("SALESAGENT_HUBSPOT_TOKEN", HUBSPOT_TOKEN)
        .env("SALESAGENT_HUBSPOT_BASE_URL", &hubspot.base_url)
        .env(
            "SALESAGENT_GMAIL_CLIENT_ID",
            "cid.apps.googleusercontent.com",
        )
        .env("SALESAGENT_GMAIL_CLIENT_SECRET", "gmail-secret")
        .env("SALESAGENT_GMAIL_REFRESH_TOKEN", "1//refresh")
        .env("SALESAGENT_GMAIL_API_BASE", &gmail.base_url)
        .env("SALESAGENT_GMAIL_TOKEN_URL", &gmail.token_url());
    env.write_config(
        "[privacy]\nerase_in_crm = true\n[http]\nretry_attempts = 1\nretry_base_ms = 10\nretry_max_ms = 50\ntimeout_ms = 2000\nconnect_timeout_ms = 2000\n",
    );
    Remote {
        env,
        hubspot,
        gmail,
    }
}

#[test]
fn with_real_connectors_erasure_deletes_our_gmail_draft_and_gdpr_deletes_the_contact() {
    let w = remote();
    run_as(&w.env, "default", &fixture("forms-v3.json"));
    assert_eq!(w.gmail.drafts().len(), 1);
    assert_eq!(w.hubspot.contacts().len(), 1);
    let report = erase_json(&w.env, &[LEE, "--reason", "ticket 11", "--yes"]);
    let outcomes = report["subjects"][0]["remote_outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 2, "{report}");
    assert!(outcomes.iter().all(|o| o["outcome"] == "done"), "{report}");
    assert!(
        w.gmail.drafts().is_empty(),
        "the Gmail draft is still there"
    );
    assert!(
        w.hubspot.contacts().is_empty(),
        "the HubSpot contact is still there"
    );
    let gdpr: Vec<Request> = w
        .hubspot
        .recorder
        .requests()
        .into_iter()
        .filter(|r| r.route() == GDPR_DELETE)
        .collect();
    assert_eq!(gdpr.len(), 1);
    assert_eq!(
        occurrences(&gdpr[0].body, LEE),
        0,
        "the delete names the contact by id only"
    );
    assert_eq!(
        count_in(
            &w.env,
            "SELECT COUNT(*) FROM pending_erasures WHERE done_at IS NULL"
        ),
        0
    );
    assert_eq!(
        count_in(
            &w.env,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'privacy.erase_remote'"
        ),
        2
    );
}

#[test]
fn a_failing_remote_erasure_leaves_the_local_one_done_and_a_record_that_retry_finishes() {
    let w = remote();
    run_as(&w.env, "default", &fixture("forms-v3.json"));
    // Every attempt of this run fails (the first and the one retry of `retry_attempts = 1`).
    w.hubspot.inject(GDPR_DELETE, 2, Fault::status(503));
    let out = w.env.run(&[
        "privacy",
        "erase",
        LEE,
        "--reason",
        "ticket 12",
        "--yes",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("privacy erase --retry"),
        "{}",
        stderr(&out)
    );
    let report = parse_json(&out.stdout);
    let outcomes = report["subjects"][0]["remote_outcomes"].as_array().unwrap();
    let hubspot = outcomes.iter().find(|o| o["service"] == "hubspot").unwrap();
    assert_eq!(hubspot["outcome"], "failed", "{report}");
    assert!(w.gmail.drafts().is_empty());
    // Local erasure done regardless.
    assert_eq!(count_in(&w.env, "SELECT COUNT(*) FROM submissions"), 0);
    assert_eq!(
        count_in(
            &w.env,
            "SELECT COUNT(*) FROM pending_erasures WHERE done_at IS NULL AND service = 'hubspot' AND last_error IS NOT NULL"
        ),
        1
    );
    assert_eq!(w.hubspot.contacts().len(), 1);

    assert_eq!(w.hubspot.recorder.count(GDPR_DELETE), 2);
    let retried = parse_json(&ok(&w.env.run(&["privacy", "erase", "--retry", "--json"])).stdout);
    assert_eq!(retried.as_array().unwrap().len(), 1, "{retried}");
    assert_eq!(retried[0]["outcome"], "done");
    assert!(w.hubspot.contacts().is_empty());
    assert_eq!(
        count_in(
            &w.env,
            "SELECT COUNT(*) FROM pending_erasures WHERE done_at IS NULL"
        ),
        0
    );
    let again = parse_json(&ok(&w.env.run(&["privacy", "erase", "--retry", "--json"])).stdout);
    assert_eq!(again.as_array().unwrap().len(), 0);
}

#[test]
fn a_hubspot_privacy_deletion_event_erases_the_contact_automatically() {
    use crate::server_support::{Proc, post, sign, signed_env, wait_for};
    let env = signed_env();
    run_as(&env, "default", &fixture("forms-v3.json"));
    let contact: String = {
        let conn = rusqlite::Connection::open(env.db()).unwrap();
        conn.query_row(
            "SELECT remote_id FROM workflow_steps WHERE name = 'contact'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let server = Proc::serve(&env, &["--workers", "1"]);
    let event = serde_json::json!([{
        "eventId": 4411, "subscriptionId": 1, "portalId": 4411223, "appId": 1,
        "occurredAt": 1764412990000u64, "subscriptionType": "contact.privacyDeletion",
        "attemptNumber": 0, "objectId": contact.parse::<u64>().unwrap(),
    }]);
    let file = env.write_file("deletion.json", event.to_string());
    let headers = sign(&env, &file, &server.url(), &[]);
    let (status, body, _) = post(&server.url(), &headers, std::fs::read(&file).unwrap());
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["erasures_queued"], 1, "{body}");
    wait_for("the erasure job to erase the person", || {
        env.sql_i64(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'privacy.erase' AND actor = 'hubspot'",
        ) == 1
    });
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM submissions"), 0);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_contacts"), 0);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM suppressions WHERE value LIKE 'hmac-sha256:%'"),
        1
    );
    assert_eq!(files_holding(&env.mail_dir(), LEE), Vec::<String>::new());
    wait_for("the job to complete", || {
        env.sql_i64(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'privacy_erase' AND state = 'completed'",
        ) == 1
    });
    // The job and the audit entry name the contact by id, never the address.
    assert_eq!(
        env.sql_i64(&format!(
            "SELECT COUNT(*) FROM jobs WHERE instr(lower(payload), '{LEE}') > 0"
        )),
        0
    );
}
