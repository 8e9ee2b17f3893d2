//! `salesagent drafts approve|reject|send|show`: guarded decisions, sends behind every gate, the
//! daily cap and the send window. Shared helpers for the operator tests live here too.

use std::process::Stdio;

use crate::env::{Backend, TestEnv, stderr, stdout};

crate::on_both_backends!(concurrent_approvals_send_exactly_one_email);

/// Every gate of SEND mode passes with this config.
pub const SEND_CONFIG: &str = "environment = \"production\"\n\n[send]\nallow = true\nsender_allowlist = [\"sales@example.com\"]\n";

/// Runs a seed-shape submission for `email` through the pipeline; returns the draft id.
pub fn submit(env: &TestEnv, email: &str) -> String {
    let n = env.mail_files("drafts").len()
        + env.mail_files("sent").len()
        + env.mail_files("rejected").len();
    let payload = serde_json::json!({
        "portalId": 4411223,
        "formId": "3f1c2a9e-5b7d-4c11-9a0e-7d2b6c8e1f40",
        "formSubmissionId": format!("sub-{email}-{n}"),
        "submittedAt": 1764412800000_i64,
        "pageUrl": "https://www.example.com/demo-request",
        "fieldValues": [
            {"name": "email", "value": email},
            {"name": "firstname", "value": "Dana"},
            {"name": "lastname", "value": "Whitfield"},
            {"name": "company", "value": "Northwind Robotics"},
            {"name": "jobtitle", "value": "VP Operations"},
            {"name": "message", "value": "We want to automate picking. Can we talk next week?"}
        ]
    });
    let file = env.write_file(&format!("payload-{n}.json"), payload.to_string());
    let report = env.json(&["run", file.to_str().unwrap()]);
    assert_eq!(report["status"], "completed", "{report}");
    report["draft"]["id"].as_str().unwrap().to_string()
}

/// An env whose config passes every gate, switched to SEND mode.
pub fn send_env(extra: &str) -> TestEnv {
    send_env_on(Backend::Sqlite, extra)
}

/// The same on `backend`.
pub fn send_env_on(backend: Backend, extra: &str) -> TestEnv {
    let env = TestEnv::on(backend);
    env.write_config(&format!("{SEND_CONFIG}{extra}"));
    let out = env.run(&["mode", "set", "send", "--reason", "launch", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    env
}

fn status_of(env: &TestEnv, id: &str) -> String {
    env.json(&["drafts", "show", id])["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn approving_in_draft_only_never_sends() {
    let env = TestEnv::new();
    env.write_config(SEND_CONFIG);
    let a = submit(&env, "a@northwind.com");
    let b = submit(&env, "b@northwind.com");
    let out = env.run(&["drafts", "approve", &a, "--note", "looks good"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("draft_only"), "{}", stderr(&out));
    let out = env.run(&["drafts", "approve", "--all-pending", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["drafts", "send", "--approved", "--yes"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let out = env.run(&["drafts", "send", &b, "--yes"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(env.mail_files("sent").is_empty());
    assert_eq!(status_of(&env, &a), "approved");
    assert_eq!(status_of(&env, &b), "approved");
    let show = env.json(&["drafts", "show", &a]);
    assert_eq!(show["reviewer"], "tester");
    assert_eq!(show["review_note"], "looks good");
    assert_eq!(show["steps"].as_array().unwrap().len(), 13);
}

#[test]
fn a_second_decision_is_refused_with_who_and_when() {
    let env = TestEnv::new();
    let id = submit(&env, "dana@northwind.com");
    let out = env.run(&["drafts", "approve", &id, "--by", "ann"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["drafts", "reject", &id, "--reason", "no", "--by", "bob"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("already approved by ann at"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["drafts", "approve", &id, "--by", "bob"]);
    assert_eq!(out.status.code(), Some(4));
    let audit = env.json(&["audit", "list", "--action", "draft.approve"]);
    assert_eq!(audit.as_array().unwrap().len(), 1);
    assert_eq!(audit[0]["actor"], "ann");
}

#[test]
fn rejected_drafts_leave_the_mailbox_and_are_never_sent() {
    let env = send_env("");
    let id = submit(&env, "dana@northwind.com");
    let out = env.run(&["drafts", "reject", &id, "--reason", "wrong tone"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(env.mail_files("drafts").is_empty());
    assert_eq!(env.mail_files("rejected").len(), 1);
    let out = env.run(&["drafts", "send", &id, "--yes"]);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    assert!(env.mail_files("sent").is_empty());
    let audit = env.json(&["audit", "list", "--action", "draft.reject"]);
    assert_eq!(audit[0]["reason"], "wrong tone");
    let out = env.run(&["drafts", "reject", &id]);
    assert_eq!(out.status.code(), Some(2), "--reason is required");
}

#[test]
fn approving_in_send_mode_sends_and_switching_to_draft_only_stops_later_sends() {
    let env = send_env("");
    let a = submit(&env, "a@northwind.com");
    let b = submit(&env, "b@northwind.com");
    let out = env.run(&["drafts", "approve", &a]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("sent"), "{}", stdout(&out));
    assert_eq!(env.mail_files("sent").len(), 1);
    assert_eq!(status_of(&env, &a), "sent");
    let out = env.run(&["mode", "set", "draft-only", "--reason", "incident"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["drafts", "approve", &b]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(status_of(&env, &b), "approved");
    assert_eq!(env.mail_files("sent").len(), 1);
    let sends = env.json(&["audit", "list", "--action", "draft.send"]);
    assert_eq!(sends.as_array().unwrap().len(), 1);
}

fn concurrent_approvals_send_exactly_one_email(backend: Backend) {
    let env = send_env_on(backend, "");
    let id = submit(&env, "dana@northwind.com");
    let spawn = |by: &str| {
        env.std_command()
            .args(["drafts", "approve", &id, "--by", by])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (one, two) = (spawn("ann"), spawn("bob"));
    let (one, two) = (
        one.wait_with_output().unwrap(),
        two.wait_with_output().unwrap(),
    );
    let mut codes = [one.status.code(), two.status.code()];
    codes.sort();
    assert_eq!(
        codes,
        [Some(0), Some(4)],
        "{}\n{}",
        stderr(&one),
        stderr(&two)
    );
    let loser = if one.status.success() { &two } else { &one };
    assert!(
        stderr(loser).contains("is already approved by"),
        "{}",
        stderr(loser)
    );
    assert_eq!(env.mail_files("sent").len(), 1);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM drafts WHERE status = 'sent'"),
        1
    );
}

#[test]
fn bulk_approval_asks_without_yes_and_acts_with_it() {
    let env = TestEnv::new();
    submit(&env, "a@northwind.com");
    submit(&env, "b@northwind.com");
    let out = env.run(&["drafts", "approve", "--all-pending"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pass --yes to confirm"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("2 pending drafts"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM drafts WHERE status = 'approved'"),
        0
    );
    let out = env.run(&[
        "drafts",
        "approve",
        "--all-pending",
        "--min-score",
        "0",
        "--yes",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM drafts WHERE status = 'approved'"),
        2
    );
}

#[test]
fn the_daily_cap_holds_further_sends() {
    let env = send_env("daily_cap = 1\n");
    let a = submit(&env, "a@northwind.com");
    let b = submit(&env, "b@northwind.com");
    let out = env.run(&["drafts", "approve", &a]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["drafts", "approve", &b]);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    assert!(stdout(&out).contains("daily cap"), "{}", stdout(&out));
    assert_eq!(status_of(&env, &b), "approved");
    assert_eq!(env.mail_files("sent").len(), 1);
}

#[test]
fn outside_the_send_window_a_send_waits_approved() {
    // A one-hour window starting two hours from now: now is outside it whatever the hour.
    let hour = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 3600
        + 2)
        % 24;
    let window = if hour == 23 {
        "23:00-23:59 UTC".to_string()
    } else {
        format!("{hour:02}:00-{:02}:00 UTC", hour + 1)
    };
    let env = send_env(&format!("window = \"{window}\"\n"));
    let id = submit(&env, "dana@northwind.com");
    let out = env.run(&["drafts", "approve", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("outside the send window"),
        "{}",
        stdout(&out)
    );
    assert_eq!(status_of(&env, &id), "approved");
    assert!(env.mail_files("sent").is_empty());
}

#[test]
fn suppressed_recipients_are_not_sent_even_when_approved() {
    let env = send_env("");
    let id = submit(&env, "dana@northwind.com");
    let out = env.run(&["suppress", "add", "@northwind.com", "--reason", "asked"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["drafts", "approve", &id]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stdout(&out).contains("suppressed"), "{}", stdout(&out));
    assert!(env.mail_files("sent").is_empty());
}

#[test]
fn review_needs_a_terminal() {
    let env = TestEnv::new();
    submit(&env, "dana@northwind.com");
    let out = env.run(&["drafts", "review"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("drafts approve"), "{}", stderr(&out));
}

#[test]
fn drafts_approved_in_draft_only_go_out_with_send_approved() {
    let env = TestEnv::new();
    env.write_config(SEND_CONFIG);
    let a = submit(&env, "a@northwind.com");
    let out = env.run(&["drafts", "approve", &a]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["mode", "set", "send", "--reason", "launch", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["drafts", "send", "--approved"]);
    assert_eq!(out.status.code(), Some(2), "asks first: {}", stderr(&out));
    assert!(env.mail_files("sent").is_empty());
    let sent = env.json(&["drafts", "send", "--approved", "--yes"]);
    assert_eq!(sent[0]["send"]["outcome"], "sent", "{sent}");
    assert_eq!(env.mail_files("sent").len(), 1);
    let again = env.json(&["drafts", "send", "--approved", "--yes"]);
    assert!(
        again.as_array().unwrap().is_empty(),
        "nothing left: {again}"
    );
}

#[test]
fn a_failed_send_becomes_send_failed_and_is_never_retried() {
    let env = send_env("");
    let id = submit(&env, "dana@northwind.com");
    // The mailbox loses the draft: the send fails after it was claimed.
    std::fs::remove_file(env.mail_dir().join("drafts").join(format!("{id}.eml"))).unwrap();
    let out = env.run(&["drafts", "approve", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("never retried automatically"),
        "{}",
        stdout(&out)
    );
    assert_eq!(status_of(&env, &id), "send_failed");
    let out = env.run(&["drafts", "send", &id, "--yes"]);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("send_failed, not approved"),
        "{}",
        stdout(&out)
    );
    let failed = env.json(&["audit", "list", "--action", "draft.send_failed"]);
    assert_eq!(failed.as_array().unwrap().len(), 1);
}

#[test]
fn auto_send_sends_only_listed_domains_in_send_mode() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "{SEND_CONFIG}auto_send_domains = [\"northwind.com\"]\n"
    ));
    let early = submit(&env, "early@northwind.com");
    assert_eq!(
        status_of(&env, &early),
        "pending_review",
        "draft-only: no auto-send"
    );
    let out = env.run(&["mode", "set", "send", "--reason", "launch", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = submit(&env, "dana@northwind.com");
    let other = submit(&env, "lee@contoso.com");
    assert_eq!(status_of(&env, &listed), "sent");
    assert_eq!(status_of(&env, &other), "pending_review");
    assert_eq!(env.mail_files("sent").len(), 1);
    let approvals = env.json(&["audit", "list", "--action", "draft.approve"]);
    assert_eq!(approvals[0]["actor"], "auto-send");
}

#[test]
fn rejecting_a_draft_completes_its_local_crm_task() {
    let env = TestEnv::new();
    let id = submit(&env, "dana@northwind.com");
    let tasks = env.json(&["crm", "tasks"]);
    assert_eq!(tasks[0]["status"], "NOT_STARTED", "{tasks}");
    let out = env.run(&[
        "drafts",
        "reject",
        &id,
        "--reason",
        "wrong tone",
        "--by",
        "rita",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("follow-up task") && stdout(&out).contains("completed"),
        "{}",
        stdout(&out)
    );
    let tasks = env.json(&["crm", "tasks"]);
    assert_eq!(tasks[0]["status"], "COMPLETED", "{tasks}");
    assert_eq!(
        env.sql_i64(
            "SELECT COUNT(*) FROM crm_tasks WHERE body LIKE '%rejected by rita: wrong tone%'"
        ),
        1
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM tasks WHERE status = 'completed'"),
        1
    );
}

/// A lead no routing rule and no scoring rule matched: the reason reads as a sentence, in the
/// draft and in the CRM task.
#[test]
fn the_route_reason_has_no_dangling_word() {
    let env = TestEnv::new();
    let payload = serde_json::json!({
        "portalId": 1, "formId": "f", "formSubmissionId": "plain-1",
        "fieldValues": [{"name": "email", "value": "someone@plainco.com"}]
    });
    let file = env.write_file("plain.json", payload.to_string());
    let report = env.json(&["run", file.to_str().unwrap()]);
    assert_eq!(report["status"], "completed", "{report}");
    let id = report["draft"]["id"].as_str().unwrap();
    let shown = env.json(&["drafts", "show", id]);
    let reason = shown["route_reason"]
        .as_str()
        .unwrap()
        .trim_end()
        .to_string();
    assert!(
        !reason.ends_with("score") && !reason.ends_with(';') && !reason.ends_with(':'),
        "{reason:?}"
    );
    let out = env.run(&["drafts", "show", id]);
    let routed = stdout(&out)
        .lines()
        .find(|l| l.starts_with("Routed:"))
        .unwrap_or_default()
        .trim_end()
        .to_string();
    assert!(!routed.ends_with("score"), "{routed:?}");
    let body: String = {
        let conn = rusqlite::Connection::open(env.db()).unwrap();
        conn.query_row("SELECT body FROM crm_tasks", [], |r| r.get(0))
            .unwrap()
    };
    assert!(!body.contains(": ."), "{body}");
    assert!(
        !body.contains("score ;") && !body.contains("; score."),
        "{body}"
    );
}

/// `drafts show` puts the lead's own words first, then who they are, then the draft, then what
/// approving does in the current mode; `--json` carries the same.
#[test]
fn show_gives_the_leads_words_who_they_are_the_draft_and_what_approve_does() {
    let env = TestEnv::new();
    let earlier = serde_json::json!({
        "portalId": 4411223, "formId": "newsletter", "formSubmissionId": "earlier-1",
        "fieldValues": [{"name": "email", "value": "dana@northwind.com"}]
    });
    let file = env.write_file("earlier.json", earlier.to_string());
    assert_eq!(
        env.json(&["run", file.to_str().unwrap()])["status"],
        "completed"
    );
    let id = submit(&env, "dana@northwind.com");
    let out = env.run(&["drafts", "show", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing from:\n{text}"))
    };
    let words = at("We want to automate picking");
    let who = at("VP Operations");
    assert!(text.contains("Northwind Robotics"), "{text}");
    assert!(
        text.contains("https://www.example.com/demo-request"),
        "{text}"
    );
    assert!(
        text.contains("3f1c2a9e-5b7d-4c11-9a0e-7d2b6c8e1f40"),
        "{text}"
    );
    assert!(text.contains("1 earlier submission"), "{text}");
    let draft = at("Subject:");
    let approve = at("approve: marks approved, nothing is sent");
    assert!(words < who && who < draft && draft < approve, "{text}");

    let shown = env.json(&["drafts", "show", &id]);
    assert_eq!(
        shown["lead"]["message"],
        "We want to automate picking. Can we talk next week?"
    );
    assert_eq!(shown["lead"]["job_title"], "VP Operations");
    assert_eq!(shown["lead"]["company"], "Northwind Robotics");
    assert_eq!(shown["form_id"], "3f1c2a9e-5b7d-4c11-9a0e-7d2b6c8e1f40");
    assert_eq!(shown["page_url"], "https://www.example.com/demo-request");
    assert_eq!(shown["earlier_submissions"], 1);
    assert!(shown["crm_contact"]["id"].is_string(), "{shown:#}");
    assert_eq!(shown["on_approve"]["sends"], false);
    assert_eq!(
        shown["on_approve"]["text"],
        "approve: marks approved, nothing is sent"
    );

    let env = send_env("");
    let id = submit(&env, "dana@northwind.com");
    let text = stdout(&env.run(&["drafts", "show", &id]));
    assert!(
        text.contains("approve: sends now from sales@example.com to dana@northwind.com"),
        "{text}"
    );
    assert_eq!(
        env.json(&["drafts", "show", &id])["on_approve"]["sends"],
        true
    );
}

/// The task step failed, the operator rejected the draft, then the workflow was retried: the task
/// it creates is closed at once instead of asking someone to follow up on a rejected email.
#[test]
fn a_task_created_after_its_draft_was_rejected_is_closed_at_once() {
    let env = TestEnv::new();
    let crm_down = env.crm_refuses_tasks();
    let file = crate::env::fixture("seed-shape.json");
    let report =
        crate::env::parse_json(&env.run(&["run", file.to_str().unwrap(), "--json"]).stdout);
    assert_eq!(report["current_step"], "task", "{report}");
    let draft = report["draft"]["id"].as_str().unwrap().to_string();
    let wf = report["workflow_id"].as_str().unwrap().to_string();
    let out = env.run(&[
        "drafts",
        "reject",
        &draft,
        "--reason",
        "not a fit",
        "--by",
        "rita",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("no follow-up task yet"),
        "{}",
        stdout(&out)
    );
    drop(crm_down);
    let out = env.run(&["workflows", "retry", &wf]);
    assert!(out.status.success(), "{}", stderr(&out));
    let tasks = env.json(&["crm", "tasks"]);
    assert_eq!(tasks.as_array().unwrap().len(), 1);
    assert_eq!(tasks[0]["status"], "COMPLETED", "{tasks}");
}
