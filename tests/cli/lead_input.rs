//! What careless or hostile senders type: line breaks, tabs, control and bidi characters in
//! single-line fields, template syntax anywhere, and missing fields. Every such lead still gets a
//! proper draft, through `run` and through `import` + `worker`.

use serde_json::{Value, json};

use crate::env::{TestEnv, stderr};
use crate::server_support::{Proc, wait_for};

/// Runs one seed-shape payload with these fields; returns the `run --json` report.
fn run_fields(env: &TestEnv, fields: &[(&str, &str)]) -> Value {
    let n = env.mail_files("drafts").len();
    let values: Vec<Value> = fields
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    let payload = json!({
        "portalId": 4411223,
        "formId": "3f1c2a9e-5b7d-4c11-9a0e-7d2b6c8e1f40",
        "formSubmissionId": format!("sub-input-{n}"),
        "submittedAt": 1764412800000_i64,
        "pageUrl": "https://www.example.com/demo-request",
        "fieldValues": values,
    });
    let file = env.write_file(&format!("input-{n}.json"), payload.to_string());
    let out = env.run(&["run", file.to_str().unwrap(), "--json"]);
    crate::env::parse_json(&out.stdout)
}

fn draft_of(env: &TestEnv, report: &Value) -> Value {
    assert_eq!(report["status"], "completed", "{report:#}");
    env.json(&["drafts", "show", report["draft"]["id"].as_str().unwrap()])
}

fn eml_of(env: &TestEnv, draft_id: &str) -> String {
    std::fs::read_to_string(
        env.mail_dir()
            .join("drafts")
            .join(format!("{draft_id}.eml")),
    )
    .expect("eml")
}

#[test]
fn line_breaks_and_control_characters_in_names_still_get_a_proper_draft() {
    let env = TestEnv::new();
    let report = run_fields(
        &env,
        &[
            ("email", "dana@northwind.com"),
            ("firstname", "Dana\r\nBcc: victim@evil.example"),
            ("lastname", "Whit\tfield\u{0007}"),
            ("company", "Northwind\nRobotics \u{202E}Ltd"),
            ("jobtitle", "VP\r\n  Operations"),
            ("message", "Line one.\nLine two."),
        ],
    );
    let draft = draft_of(&env, &report);
    let subject = draft["subject"].as_str().unwrap();
    assert!(!subject.contains(['\r', '\n']), "{subject:?}");
    assert!(subject.contains("Northwind Robotics Ltd"), "{subject:?}");
    let body = draft["body"].as_str().unwrap();
    assert!(
        body.starts_with("Hi Dana Bcc: victim@evil.example,"),
        "{body}"
    );
    assert!(body.contains("Northwind Robotics Ltd"), "{body}");
    assert!(
        !body.contains('\u{202E}') && !body.contains('\u{7}'),
        "{body:?}"
    );
    let lead = &draft["lead"];
    assert_eq!(lead["last_name"], "Whit field");
    assert_eq!(lead["job_title"], "VP Operations");
    assert_eq!(
        lead["message"], "Line one.\nLine two.",
        "a message keeps its lines"
    );
    let eml = eml_of(&env, draft["id"].as_str().unwrap());
    let head = eml.split("\r\n\r\n").next().unwrap();
    assert!(
        !head.lines().any(|l| l.starts_with("Bcc:")),
        "no header was injected:\n{head}"
    );
    // The raw payload stays exactly as received.
    let raw_has_crlf = env.sql_i64(
        "SELECT COUNT(*) FROM submissions WHERE instr(CAST(raw_payload AS TEXT), 'Dana\\r\\nBcc') > 0",
    );
    assert_eq!(raw_has_crlf, 1);
}

#[test]
fn template_syntax_in_lead_data_is_text_not_a_placeholder() {
    let env = TestEnv::new();
    let report = run_fields(
        &env,
        &[
            ("email", "dana@northwind.com"),
            ("firstname", "{{unsubscribe_url}}"),
            ("company", "{{ secret }} Inc"),
            ("jobtitle", "VP Operations"),
            (
                "message",
                "Please {{first_name}} and [[name]] and {job_title} me",
            ),
        ],
    );
    let draft = draft_of(&env, &report);
    assert!(
        draft["body"]
            .as_str()
            .unwrap()
            .starts_with("Hi {{unsubscribe_url}},"),
        "{draft:#}"
    );
    assert!(
        draft["subject"]
            .as_str()
            .unwrap()
            .contains("{{ secret }} Inc"),
        "{draft:#}"
    );
    assert!(
        draft["body"].as_str().unwrap().contains("{{ secret }} Inc"),
        "{draft:#}"
    );
}

#[test]
fn default_templates_read_well_when_fields_are_missing() {
    let env = TestEnv::new();
    // No first name, no message, a company ending in a period.
    let report = run_fields(
        &env,
        &[("email", "ops@contoso.com"), ("company", "Contoso, Ltd.")],
    );
    let draft = draft_of(&env, &report);
    let text = format!(
        "{}\n{}",
        draft["subject"].as_str().unwrap(),
        draft["body"].as_str().unwrap()
    );
    for bad in [
        ", there",
        "Hi there",
        "..",
        "Given what you described",
        "{{",
        " ,",
    ] {
        assert!(!text.contains(bad), "{bad:?} in:\n{text}");
    }
    assert!(text.contains("Contoso, Ltd."), "{text}");
}

#[test]
fn an_imported_row_with_a_line_break_in_the_company_gets_a_proper_draft() {
    let env = TestEnv::new();
    let csv = env.write_file(
        "leads.csv",
        "email,firstName,company,formId\nann@fabrikam.com,\"Ann\nMarie\",\"Fabrikam\r\nInc\",demo\n",
    );
    let out = env.run(&["import", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let _worker = Proc::worker(&env, &["--workers", "1"]);
    wait_for("the imported workflow to finish", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status IN ('completed', 'failed')") == 1
    });
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'"),
        1,
        "{:#}",
        env.json(&["workflows", "list"])
    );
    let drafts = env.json(&["drafts", "list"]);
    let subject = drafts[0]["subject"].as_str().unwrap();
    assert!(subject.contains("Ann Marie"), "{subject:?}");
}

#[test]
fn a_template_block_that_is_never_closed_is_a_configuration_error() {
    let env = TestEnv::new();
    env.write_config(
        "[templates.default]\nsubject = \"Hi\"\nbody = \"{{#if first_name}}Hi {{first_name}},\\n\\nBody\\n\"\n",
    );
    let out = env.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = format!("{}{}", crate::env::stdout(&out), stderr(&out));
    assert!(text.contains("templates.default.body"), "{text}");
    assert!(text.contains("never closed"), "{text}");
}
