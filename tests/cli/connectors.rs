//! Real connectors (HubSpot, Gmail, LLM) against the in-process fakes, through the real binary:
//! what the fakes received, faults retried or stopped, exactly-once after a dropped connection,
//! and secrets kept out of every output and the database.

use std::time::Duration;

use serde_json::{Value, json};

use crate::env::{TestEnv, fixture, parse_json, stderr, stdout};
use crate::fakes::gmail::{FakeGmail, header};
use crate::fakes::hubspot::FakeHubSpot;
use crate::fakes::llm::FakeLlm;
use crate::fakes::{Fault, Request};

const HUBSPOT_TOKEN: &str = "pat-na1-0f1e2d3c-hubspot-secret";
const GMAIL_CLIENT_ID: &str = "1234-fake.apps.googleusercontent.com";
const GMAIL_CLIENT_SECRET: &str = "GOCSPX-gmail-client-secret";
const GMAIL_REFRESH: &str = "1//gmail-refresh-secret";
const LLM_KEY: &str = "sk-llm-secret-key-0042";
const SECRETS: [&str; 4] = [HUBSPOT_TOKEN, GMAIL_CLIENT_SECRET, GMAIL_REFRESH, LLM_KEY];

const CONTACT_BY_EMAIL: &str =
    "GET /crm/v3/objects/contacts/dana.whitfield%40northwind-robotics.com";
const CREATE_CONTACT: &str = "POST /crm/v3/objects/contacts";
const CREATE_COMPANY: &str = "POST /crm/v3/objects/companies";
const CREATE_TASK: &str = "POST /crm/v3/objects/tasks";
const CREATE_DRAFT: &str = "POST /gmail/v1/users/me/drafts";
const SEND_DRAFT: &str = "POST /gmail/v1/users/me/drafts/send";
const COMPLETIONS: &str = "POST /v1/chat/completions";

struct World {
    env: TestEnv,
    hubspot: FakeHubSpot,
    gmail: FakeGmail,
    llm: FakeLlm,
}

/// A test env whose three connectors are the real ones, pointed at fresh fakes, with fast retries.
fn world() -> World {
    world_with(HUBSPOT_TOKEN)
}

fn world_with(hubspot_token: &str) -> World {
    let hubspot = FakeHubSpot::start(HUBSPOT_TOKEN);
    let gmail = FakeGmail::start(GMAIL_CLIENT_ID, GMAIL_CLIENT_SECRET, GMAIL_REFRESH);
    let llm = FakeLlm::start(LLM_KEY);
    let env = TestEnv::new()
        .env("SALESAGENT_CONNECTORS_CRM", "hubspot")
        .env("SALESAGENT_CONNECTORS_MAILBOX", "gmail")
        .env("SALESAGENT_CONNECTORS_COMPOSER", "llm")
        .env("SALESAGENT_HUBSPOT_TOKEN", hubspot_token)
        .env("SALESAGENT_HUBSPOT_BASE_URL", &hubspot.base_url)
        .env("SALESAGENT_GMAIL_CLIENT_ID", GMAIL_CLIENT_ID)
        .env("SALESAGENT_GMAIL_CLIENT_SECRET", GMAIL_CLIENT_SECRET)
        .env("SALESAGENT_GMAIL_REFRESH_TOKEN", GMAIL_REFRESH)
        .env("SALESAGENT_GMAIL_API_BASE", &gmail.base_url)
        .env("SALESAGENT_GMAIL_TOKEN_URL", &gmail.token_url())
        .env("SALESAGENT_LLM_API_KEY", LLM_KEY)
        .env("SALESAGENT_LLM_BASE_URL", &llm.base_url)
        .env("SALESAGENT_LLM_MODEL", "fake-model")
        // Request counts below are the composes' own; the probe has tests in `composer`.
        .env("SALESAGENT_LLM_STRUCTURED", "off")
        .env("SALESAGENT_LOG", "salesagent=debug");
    env.write_config(
        "[http]\nretry_base_ms = 10\nretry_max_ms = 2000\ntimeout_ms = 1000\nconnect_timeout_ms = 1000\n",
    );
    World {
        env,
        hubspot,
        gmail,
        llm,
    }
}

fn seed() -> String {
    fixture("seed-shape.json").to_str().unwrap().to_string()
}

impl World {
    /// `run` with --json: (exit code, report, stderr).
    fn run(&self) -> (i32, Value, String) {
        let out = self.env.run(&["run", &seed(), "--json"]);
        let err = stderr(&out);
        self.assert_no_secrets(&stdout(&out));
        self.assert_no_secrets(&err);
        (
            out.status.code().unwrap_or(-1),
            parse_json(&out.stdout),
            err,
        )
    }

    fn retry(&self, id: &str) -> (i32, Value, String) {
        let out = self.env.run(&["workflows", "retry", id, "--json"]);
        let err = stderr(&out);
        self.assert_no_secrets(&stdout(&out));
        self.assert_no_secrets(&err);
        (
            out.status.code().unwrap_or(-1),
            parse_json(&out.stdout),
            err,
        )
    }

    fn assert_no_secrets(&self, text: &str) {
        for s in SECRETS {
            assert!(!text.contains(s), "secret {s:?} leaked into:\n{text}");
        }
    }

    /// Every byte of the database (and its WAL) is free of secrets.
    fn assert_db_has_no_secrets(&self) {
        let mut bytes = std::fs::read(self.env.db()).expect("db");
        let wal = self.env.db().with_extension("db-wal");
        if let Ok(more) = std::fs::read(wal) {
            bytes.extend(more);
        }
        let text = String::from_utf8_lossy(&bytes);
        for s in SECRETS {
            assert!(!text.contains(s), "secret {s:?} stored in the database");
        }
    }

    /// One contact, one company, one task (type 204 to the contact), one draft, nothing sent.
    fn assert_exactly_one_of_each(&self, workflow_id: &str) {
        let contacts = self.hubspot.contacts();
        assert_eq!(contacts.len(), 1, "{contacts:?}");
        let contact = &contacts[0];
        assert_eq!(
            contact.properties["email"],
            "dana.whitfield@northwind-robotics.com"
        );
        assert_eq!(self.hubspot.companies().len(), 1);
        let tasks = self.hubspot.tasks();
        assert_eq!(tasks.len(), 1, "{tasks:?}");
        assert_eq!(
            tasks[0].associations,
            vec![("contacts".to_string(), contact.id.clone(), 204)]
        );
        let body = tasks[0].properties["hs_task_body"].as_str().unwrap();
        assert!(body.contains(&format!("salesagent-workflow:{workflow_id}")));
        let drafts = self.gmail.drafts();
        assert_eq!(drafts.len(), 1, "{drafts:?}");
        assert_eq!(
            drafts[0].message_id,
            format!("<wf-{workflow_id}@example.com>")
        );
        assert!(self.gmail.sent().is_empty());
        assert_eq!(self.gmail.recorder.count(SEND_DRAFT), 0);
        assert_eq!(self.env.sql_i64("SELECT COUNT(*) FROM drafts"), 1);
        assert_eq!(self.env.sql_i64("SELECT COUNT(*) FROM tasks"), 1);
    }
}

fn headers_of(raw: &str) -> Vec<(String, String)> {
    let head = raw.split("\r\n\r\n").next().unwrap();
    head.split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        .collect()
}

#[test]
fn real_connectors_run_a_workflow_end_to_end() {
    let w = world();
    let (code, report, err) = w.run();
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(report["status"], "completed");
    let wf = report["workflow_id"].as_str().unwrap();
    w.assert_exactly_one_of_each(wf);

    let contact = &w.hubspot.contacts()[0];
    assert_eq!(contact.properties["firstname"], "Dana");
    assert_eq!(contact.properties["jobtitle"], "VP Operations");
    let company = &w.hubspot.companies()[0];
    assert_eq!(company.properties["domain"], "northwind-robotics.com");
    assert_eq!(company.associations[0].1, contact.id);

    let task = &w.hubspot.tasks()[0].properties;
    assert!(
        task["hs_timestamp"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .is_ok()
    );
    assert_eq!(task["hs_task_status"], "NOT_STARTED");
    assert_eq!(task["hs_task_type"], "EMAIL");
    assert_eq!(task["hs_task_priority"], "HIGH");
    assert!(task["hs_task_subject"].as_str().unwrap().contains("Dana"));

    let draft = &w.gmail.drafts()[0];
    let headers = headers_of(&draft.raw);
    assert_eq!(header(&headers, "From"), Some("sales@example.com"));
    assert_eq!(
        header(&headers, "To"),
        Some("dana.whitfield@northwind-robotics.com")
    );
    assert_eq!(
        header(&headers, "Subject"),
        Some("Picking automation for Northwind")
    );
    assert_eq!(
        header(&headers, "Content-Type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(header(&headers, "X-Salesagent-Workflow"), Some(wf));
    assert!(header(&headers, "Date").is_some());
    assert!(
        draft
            .raw
            .contains("automating picking across your 40 warehouses")
    );

    // The LLM got the lead's fields and the key; the draft records model, prompt and usage.
    let asked: Vec<Request> = w
        .llm
        .recorder
        .requests()
        .into_iter()
        .filter(|r| r.route() == COMPLETIONS)
        .collect();
    assert_eq!(asked.len(), 1);
    let prompt = asked[0].json()["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        prompt.contains("Dana") && prompt.contains("40 warehouses"),
        "{prompt}"
    );
    assert_eq!(
        w.env
            .sql_i64("SELECT COUNT(*) FROM drafts WHERE model = 'fake-model' AND tokens_used > 120 AND prompt_version LIKE 'sha256:%' AND fallback_used = 0 AND mailbox = 'gmail' AND remote_draft_id IS NOT NULL"),
        1
    );
    // One token refresh for the whole run.
    assert_eq!(w.gmail.recorder.count("POST /token"), 1);
    w.assert_db_has_no_secrets();
}

#[test]
fn transient_faults_are_retried_until_the_workflow_completes() {
    let w = world();
    w.hubspot.inject(
        CONTACT_BY_EMAIL,
        1,
        Fault::Status {
            status: 429,
            body: json!({"status": "error", "message": "You have reached your ten_secondly_rolling limit.", "errorType": "RATE_LIMIT", "correlationId": "c-429", "policyName": "TEN_SECONDLY_ROLLING"}),
            retry_after: Some("0".into()),
        },
    );
    w.hubspot.inject(CONTACT_BY_EMAIL, 1, Fault::status(502));
    w.hubspot
        .inject(CONTACT_BY_EMAIL, 1, Fault::Hang(Duration::from_secs(3)));
    w.hubspot.inject(
        "POST /crm/v3/objects/companies/search",
        2,
        Fault::status(503),
    );
    w.llm.inject(COMPLETIONS, 1, Fault::status(500));
    // A 429 on a create is safe to repeat: the request was refused, not performed.
    w.gmail.inject(
        CREATE_DRAFT,
        1,
        Fault::Status {
            status: 429,
            body: json!({"error": {"code": 429, "message": "Too many requests", "status": "RESOURCE_EXHAUSTED"}}),
            retry_after: Some("0".into()),
        },
    );
    let (code, report, err) = w.run();
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(report["status"], "completed");
    assert_eq!(w.hubspot.recorder.count(CONTACT_BY_EMAIL), 4);
    assert_eq!(
        w.hubspot
            .recorder
            .count("POST /crm/v3/objects/companies/search"),
        3
    );
    assert_eq!(w.llm.recorder.count(COMPLETIONS), 2);
    assert_eq!(w.gmail.recorder.count(CREATE_DRAFT), 2);
    w.assert_exactly_one_of_each(report["workflow_id"].as_str().unwrap());
    assert!(err.contains("retrying"), "{err}");
}

#[test]
fn a_dropped_connection_after_each_write_is_resumed_without_duplicates() {
    let w = world();
    for route in [CREATE_CONTACT, CREATE_COMPANY, CREATE_DRAFT, CREATE_TASK] {
        w.hubspot.inject(route, 1, Fault::DropAfterWrite);
        w.gmail.inject(route, 1, Fault::DropAfterWrite);
    }
    // The contact create is repeated at once (HubSpot answers 409 with the id); the company,
    // draft and task stop the workflow, and each retry finds what the lost response created.
    let (code, report, err) = w.run();
    assert_eq!(code, 1, "{report:#}\n{err}");
    assert_eq!(report["status"], "failed");
    assert_eq!(report["current_step"], "company");
    assert_eq!(report["error"]["class"], "transient");
    let wf = report["workflow_id"].as_str().unwrap().to_string();
    assert_eq!(w.hubspot.contacts().len(), 1);
    assert_eq!(w.hubspot.recorder.count(CREATE_CONTACT), 2);

    let (_, report, _) = w.retry(&wf);
    assert_eq!(report["current_step"], "draft", "{report:#}");
    let (_, report, _) = w.retry(&wf);
    assert_eq!(report["current_step"], "task", "{report:#}");
    let (code, report, err) = w.retry(&wf);
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(report["status"], "completed");

    w.assert_exactly_one_of_each(&wf);
    assert_eq!(w.hubspot.recorder.count(CREATE_COMPANY), 1);
    assert_eq!(w.gmail.recorder.count(CREATE_DRAFT), 1);
    assert_eq!(w.hubspot.recorder.count(CREATE_TASK), 1);
    // The stored draft points at the draft the lost response had created.
    let remote = &w.gmail.drafts()[0].id;
    assert_eq!(
        w.env.sql_i64(&format!(
            "SELECT COUNT(*) FROM drafts WHERE remote_draft_id = '{remote}'"
        )),
        1
    );
    w.assert_db_has_no_secrets();
}

#[test]
fn an_expired_access_token_is_refreshed_once() {
    let w = world();
    w.gmail.inject(
        CREATE_DRAFT,
        1,
        Fault::Status {
            status: 401,
            body: json!({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}),
            retry_after: None,
        },
    );
    let (code, report, err) = w.run();
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(w.gmail.recorder.count("POST /token"), 2);
    assert_eq!(w.gmail.drafts().len(), 1);
}

#[test]
fn a_revoked_refresh_token_asks_the_operator_to_reauthorise() {
    let w = world();
    w.gmail.revoke_refresh_token();
    let (code, report, err) = w.run();
    assert_eq!(code, 1, "{report:#}\n{err}");
    assert_eq!(report["current_step"], "draft");
    assert_eq!(report["error"]["class"], "configuration");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(message.contains("re-authorise"), "{message}");
    assert!(
        message.contains("SALESAGENT_GMAIL_REFRESH_TOKEN"),
        "{message}"
    );
    assert_eq!(w.gmail.recorder.count("POST /token"), 1);
    assert!(w.gmail.drafts().is_empty());
    w.assert_db_has_no_secrets();
}

#[test]
fn a_rejected_hubspot_token_is_a_configuration_error_without_the_token() {
    let wrong = "pat-na1-wrong-token-9999";
    let w = world_with(wrong);
    let out = w.env.run(&["run", &seed(), "--json"]);
    let (text, err) = (stdout(&out), stderr(&out));
    assert!(
        !text.contains(wrong) && !err.contains(wrong),
        "{text}\n{err}"
    );
    let report = parse_json(&out.stdout);
    assert_eq!(report["error"]["class"], "configuration");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("token rejected: check SALESAGENT_HUBSPOT_TOKEN"),
        "{message}"
    );
    assert!(message.contains("corr-0000-fake"), "{message}");
    // A configuration error is not retried.
    assert_eq!(w.hubspot.recorder.count(CONTACT_BY_EMAIL), 1);
    let db = String::from_utf8_lossy(&std::fs::read(w.env.db()).unwrap()).into_owned();
    assert!(!db.contains(wrong));
}

#[test]
fn hubspot_daily_limit_stops_the_workflow_without_hammering() {
    let w = world();
    w.hubspot.inject(
        CONTACT_BY_EMAIL,
        10,
        Fault::Status {
            status: 429,
            body: json!({"status": "error", "message": "You have reached your daily limit.", "errorType": "RATE_LIMIT", "correlationId": "corr-daily-1", "policyName": "DAILY"}),
            retry_after: None,
        },
    );
    let (code, report, err) = w.run();
    assert_eq!(code, 1, "{report:#}\n{err}");
    assert_eq!(report["error"]["class"], "external_service");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("corr-daily-1")
    );
    assert_eq!(w.hubspot.recorder.count(CONTACT_BY_EMAIL), 1);
}

#[test]
fn an_llm_outage_falls_back_to_the_template() {
    let w = world();
    w.llm.inject(COMPLETIONS, 100, Fault::status(503));
    let (code, report, err) = w.run();
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(report["status"], "completed");
    // 1 try + 4 retries (http.retry_attempts), then the template.
    assert_eq!(w.llm.composes().len(), 5);
    assert_eq!(
        w.env.sql_i64(
            "SELECT COUNT(*) FROM drafts WHERE fallback_used = 1 AND model LIKE 'template:%'"
        ),
        1
    );
}

#[test]
fn an_existing_hubspot_contact_is_found_not_created() {
    let w = world();
    let id = w
        .hubspot
        .seed_contact("dana.whitfield@northwind-robotics.com");
    let (code, report, err) = w.run();
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(w.hubspot.recorder.count(CREATE_CONTACT), 0);
    assert_eq!(w.hubspot.tasks()[0].associations[0].1, id);
}

#[test]
fn llm_prompts_come_from_files_in_the_config_directory() {
    let w = world();
    w.env
        .write_file("prompts/system.txt", "You are the Northwind test prompt.");
    w.env.write_file(
        "prompts/user.txt",
        "Lead {{first_name}} at {{company}} scored {{score}}; history: {{history_summary}}",
    );
    let config = w.env.write_config(
        "[http]\nretry_base_ms = 10\n\n[llm]\nsystem_prompt = \"prompts/system.txt\"\nuser_prompt = \"prompts/user.txt\"\n",
    );
    assert!(w.env.path().join("prompts/user.txt").is_file());
    let out = w
        .env
        .cmd()
        .args(["run", &seed(), "--json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let asked = w.llm.recorder.requests();
    let body = asked
        .iter()
        .find(|r| r.route() == COMPLETIONS)
        .unwrap()
        .json();
    assert_eq!(
        body["messages"][0]["content"],
        "You are the Northwind test prompt."
    );
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.starts_with("Lead Dana at Northwind Robotics scored ")
            && user.contains("history: first contact\n\nAnswer with one JSON object only"),
        "{user}"
    );
    assert_eq!(body["model"], "fake-model");
    assert_eq!(
        asked[0].header("authorization"),
        Some(format!("Bearer {LLM_KEY}").as_str())
    );
}

#[test]
fn config_check_live_reports_each_service() {
    let w = world();
    let out = w.env.run(&["config", "check", "--live"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    for connector in ["hubspot", "gmail", "llm"] {
        let row = text.lines().find(|l| l.contains(connector)).unwrap();
        assert!(row.contains("OK") && row.contains("closed"), "{row}");
    }
    w.assert_no_secrets(&text);
    // Reads only: nothing was created anywhere, and no database was written.
    assert!(w.hubspot.contacts().is_empty() && w.gmail.drafts().is_empty());
    assert!(w.env.table_counts().is_empty());
}

#[test]
fn config_check_live_names_the_rejected_token() {
    let wrong = "pat-na1-wrong-token-9999";
    let w = world_with(wrong);
    w.gmail.revoke_refresh_token();
    let out = w.env.run(&["config", "check", "--live", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = parse_json(&out.stdout);
    assert_eq!(report["ok"], false);
    let live = report["live"].as_array().unwrap();
    let crm = &live[0];
    assert_eq!(crm["connector"], "hubspot");
    assert_eq!(crm["error_class"], "configuration");
    assert!(
        crm["detail"]
            .as_str()
            .unwrap()
            .contains("token rejected: check SALESAGENT_HUBSPOT_TOKEN"),
        "{crm}"
    );
    assert!(live[1]["detail"].as_str().unwrap().contains("re-authorise"));
    assert_eq!(live[2]["ok"], true);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!text.contains(wrong));
    w.assert_no_secrets(&text);
}

#[test]
fn a_sender_off_the_allowlist_gets_no_gmail_draft() {
    let w = world();
    w.env.write_config(
        "[http]\nretry_base_ms = 10\n\n[send]\nsender_allowlist = [\"someone-else@example.com\"]\n",
    );
    let (code, report, err) = w.run();
    assert_eq!(code, 1, "{report:#}\n{err}");
    assert_eq!(report["current_step"], "draft");
    assert_eq!(report["error"]["class"], "invalid_input");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not on send.sender_allowlist")
    );
    assert_eq!(w.gmail.recorder.count(CREATE_DRAFT), 0);
}

fn fast_http() -> salesagent::config::HttpConfig {
    salesagent::config::HttpConfig {
        retry_base_ms: 10,
        timeout_ms: 1000,
        ..Default::default()
    }
}

#[test]
fn gmail_connector_updates_deletes_and_sends_drafts() {
    use salesagent::config::{GmailConfig, Secret};
    use salesagent::connectors::{Mailbox, OutgoingEmail, gmail::Gmail};
    let fake = FakeGmail::start(GMAIL_CLIENT_ID, GMAIL_CLIENT_SECRET, GMAIL_REFRESH);
    let config = GmailConfig {
        api_base: fake.base_url.clone(),
        token_url: fake.token_url(),
        client_id: Some(GMAIL_CLIENT_ID.into()),
        client_secret: Some(Secret::new(GMAIL_CLIENT_SECRET)),
        refresh_token: Some(Secret::new(GMAIL_REFRESH)),
        html: true,
    };
    let gmail = Gmail::new(&config, &fast_http()).unwrap();
    let mut email = OutgoingEmail {
        draft_id: "d1".into(),
        workflow_id: "w1".into(),
        message_id: "<wf-w1@example.com>".into(),
        from: "sales@example.com".into(),
        to: "dana@northwind.com".into(),
        subject: "Grüße aus München".into(),
        body: "Hallo Dana,\n\nbis bald.".into(),
        thread_id: Some("t-earlier".into()),
        in_reply_to: Some("<wf-w0@example.com>".into()),
        date: 1_764_412_800_000,
    };
    assert!(gmail.find_draft(&email).unwrap().is_none());
    let created = gmail.create_draft(&email).unwrap();
    assert_eq!(created.thread_id.as_deref(), Some("t-earlier"));
    assert_eq!(gmail.find_draft(&email).unwrap(), Some(created.clone()));
    let raw = fake.drafts()[0].raw.clone();
    let headers = headers_of(&raw);
    assert!(
        header(&headers, "Subject")
            .unwrap()
            .starts_with("=?UTF-8?B?")
    );
    assert_eq!(header(&headers, "In-Reply-To"), Some("<wf-w0@example.com>"));
    assert_eq!(header(&headers, "References"), Some("<wf-w0@example.com>"));
    assert!(raw.contains("multipart/alternative") && raw.contains("text/html"));

    email.subject = "Edited".into();
    gmail
        .update_draft(&created.remote_draft_id, &email)
        .unwrap();
    assert!(fake.drafts()[0].raw.contains("Subject: Edited\r\n"));
    assert!(gmail.draft_exists(&created.remote_draft_id).unwrap());
    let sent = gmail.send_draft(&created.remote_draft_id).unwrap();
    assert_eq!(sent.thread_id.as_deref(), Some("t-earlier"));
    assert_eq!(fake.sent().len(), 1);
    assert!(!gmail.draft_exists(&created.remote_draft_id).unwrap());
    // Deleting what is already gone is not an error.
    gmail.delete_draft(&created.remote_draft_id).unwrap();
    // One token for all of it.
    assert_eq!(fake.recorder.count("POST /token"), 1);
}

#[test]
fn hubspot_connector_reads_tasks_and_contacts_back() {
    use salesagent::config::{HubspotConfig, Secret};
    use salesagent::connectors::{Crm, NewTask, hubspot::HubSpot};
    let fake = FakeHubSpot::start(HUBSPOT_TOKEN);
    let config = HubspotConfig {
        base_url: fake.base_url.clone(),
        token: Some(Secret::new(HUBSPOT_TOKEN)),
        ..Default::default()
    };
    let crm = HubSpot::new(&config, &fast_http()).unwrap();
    let contact_id = fake.seed_contact("dana@northwind.com");
    let contact = crm.get_contact(&contact_id).unwrap().unwrap();
    assert_eq!(contact.email, "dana@northwind.com");
    assert!(crm.get_contact("999999").unwrap().is_none());
    let task = crm
        .create_task(&NewTask {
            reference: "salesagent-workflow:w1".into(),
            contact_id: contact_id.clone(),
            subject: "Follow up".into(),
            body: "Review.\n\n[salesagent-workflow:w1]".into(),
            priority: "MEDIUM".into(),
            owner_id: Some("77".into()),
            due_at: 1_764_412_800_000,
        })
        .unwrap();
    assert_eq!(fake.tasks()[0].properties["hubspot_owner_id"], "77");
    let again = crm.get_task(&task.id).unwrap().unwrap();
    assert_eq!(again.contact_id, contact_id);
    assert_eq!(again.due_at, 1_764_412_800_000);
    assert!(crm.get_task("424242").unwrap().is_none());
    let found = crm
        .find_task("salesagent-workflow:w1", &contact_id)
        .unwrap()
        .unwrap();
    assert_eq!(found.id, task.id);
    assert!(
        crm.find_task("salesagent-workflow:w2", &contact_id)
            .unwrap()
            .is_none()
    );
    let history = crm.history(&contact_id).unwrap();
    assert_eq!((history.open_tasks, history.total_tasks), (1, 1));
}

#[test]
fn repeated_failures_open_the_circuit_instead_of_hammering() {
    let w = world();
    w.env.write_config(
        "[http]\nretry_base_ms = 10\nretry_attempts = 4\nbreaker_failures = 2\nbreaker_cooldown_secs = 600\n",
    );
    w.hubspot.inject(CONTACT_BY_EMAIL, 100, Fault::status(503));
    // At the default log level: an opened circuit is a warning an operator sees.
    let out = w
        .env
        .cmd()
        .env_remove("SALESAGENT_LOG")
        .args(["run", &seed(), "--json"])
        .output()
        .unwrap();
    let (code, report, err) = (
        out.status.code().unwrap_or(-1),
        parse_json(&out.stdout),
        stderr(&out),
    );
    w.assert_no_secrets(&err);
    assert_eq!(code, 1, "{report:#}\n{err}");
    assert_eq!(report["current_step"], "contact");
    assert_eq!(report["error"]["class"], "external_service");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("circuit open"),
        "{report:#}"
    );
    // Two failures opened the circuit; the remaining retries never reached HubSpot.
    assert_eq!(w.hubspot.recorder.count(CONTACT_BY_EMAIL), 2);
    let opened = err
        .lines()
        .find(|l| l.contains("circuit breaker opened"))
        .unwrap_or_else(|| panic!("no warning in:\n{err}"));
    assert!(
        opened.contains("WARN") && opened.contains("hubspot"),
        "{opened}"
    );
}

#[test]
fn a_lost_draft_response_is_found_even_if_gmail_replaced_the_message_id() {
    let w = world();
    w.gmail.state.lock().unwrap().rewrite_message_ids = true;
    w.gmail.inject(CREATE_DRAFT, 1, Fault::DropAfterWrite);
    let (code, report, err) = w.run();
    assert_eq!(code, 1, "{report:#}\n{err}");
    assert_eq!(report["current_step"], "draft");
    let wf = report["workflow_id"].as_str().unwrap().to_string();
    let (code, report, err) = w.retry(&wf);
    assert_eq!(code, 0, "{report:#}\n{err}");
    assert_eq!(w.gmail.drafts().len(), 1);
    assert_eq!(w.gmail.recorder.count(CREATE_DRAFT), 1);
    let remote = &w.gmail.drafts()[0].id;
    assert_eq!(
        w.env.sql_i64(&format!(
            "SELECT COUNT(*) FROM drafts WHERE remote_draft_id = '{remote}'"
        )),
        1
    );
}

#[test]
fn a_timed_out_create_is_not_repeated_blindly() {
    let w = world();
    w.hubspot
        .inject(CREATE_TASK, 1, Fault::Hang(Duration::from_secs(3)));
    let (code, report, err) = w.run();
    assert_eq!(code, 1, "{report:#}\n{err}");
    assert_eq!(report["current_step"], "task");
    assert_eq!(report["error"]["class"], "transient");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{report:#}"
    );
    assert_eq!(w.hubspot.recorder.count(CREATE_TASK), 1);
    let wf = report["workflow_id"].as_str().unwrap().to_string();
    let (code, report, err) = w.retry(&wf);
    assert_eq!(code, 0, "{report:#}\n{err}");
    w.assert_exactly_one_of_each(&wf);
}

/// Whatever an operator does in DRAFT_ONLY, Gmail's send endpoint is never called; in SEND mode
/// an approved draft goes out exactly once.
#[test]
fn draft_only_never_calls_gmail_send_and_send_mode_sends_once() {
    let w = world();
    let (code, report, err) = w.run();
    assert_eq!(code, 0, "{report:#}\n{err}");
    let draft = report["draft"]["id"].as_str().unwrap().to_string();
    let send_calls = || {
        w.gmail
            .recorder
            .requests()
            .iter()
            .filter(|r| r.route() == "POST /gmail/v1/users/me/drafts/send")
            .count()
    };
    let approve = w.env.run(&["drafts", "approve", &draft]);
    assert!(approve.status.success(), "{}", stderr(&approve));
    let send = w.env.run(&["drafts", "send", "--approved", "--yes"]);
    assert_ne!(
        send.status.code(),
        Some(0),
        "sending is refused in DRAFT_ONLY"
    );
    let bulk = w.env.run(&["drafts", "approve", "--all-pending", "--yes"]);
    assert!(bulk.status.success(), "{}", stderr(&bulk));
    assert_eq!(send_calls(), 0);
    assert!(w.gmail.sent().is_empty());

    w.env.write_config(
        "environment = \"production\"\n\n[send]\nallow = true\nsender_allowlist = [\"sales@example.com\"]\n\n\
         [http]\nretry_base_ms = 10\nretry_max_ms = 2000\ntimeout_ms = 1000\nconnect_timeout_ms = 1000\n",
    );
    let on = w
        .env
        .run(&["mode", "set", "send", "--reason", "launch", "--yes"]);
    assert!(on.status.success(), "{}", stderr(&on));
    let send = w.env.run(&["drafts", "send", "--approved", "--yes"]);
    assert!(send.status.success(), "{}", stderr(&send));
    let again = w.env.run(&["drafts", "send", "--approved", "--yes"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(send_calls(), 1, "one send, never repeated");
    assert_eq!(w.gmail.sent().len(), 1);
    assert_eq!(w.env.json(&["drafts", "show", &draft])["status"], "sent");
}

/// Rejecting a draft marks its HubSpot follow-up task COMPLETED (a PATCH, with the rejection
/// noted in the task body); nothing is created or deleted.
#[test]
fn rejecting_a_draft_completes_its_hubspot_task() {
    let w = world();
    let (code, report, err) = w.run();
    assert_eq!(code, 0, "{report:#}\n{err}");
    let draft = report["draft"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        w.hubspot.tasks()[0].properties["hs_task_status"],
        "NOT_STARTED"
    );
    let out = w.env.run(&[
        "drafts",
        "reject",
        &draft,
        "--reason",
        "wrong tone",
        "--by",
        "rita",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("completed"), "{}", stdout(&out));
    let tasks = w.hubspot.tasks();
    assert_eq!(tasks.len(), 1);
    let props = &tasks[0].properties;
    assert_eq!(props["hs_task_status"], "COMPLETED", "{props:?}");
    let body = props["hs_task_body"].as_str().unwrap();
    assert!(body.contains("rejected by rita: wrong tone"), "{body}");
    assert!(
        body.contains("salesagent-workflow:"),
        "the reference stays: {body}"
    );
    assert_eq!(
        w.hubspot
            .recorder
            .count(&format!("PATCH /crm/v3/objects/tasks/{}", tasks[0].id)),
        1
    );
    assert_eq!(w.hubspot.recorder.count(CREATE_TASK), 1);
}

/// `drafts recompose` with Gmail updates the draft in place (drafts.update), creates no second
/// draft, and keeps the earlier text as a superseded draft in the store.
#[test]
fn recompose_updates_the_gmail_draft_in_place() {
    let w = world();
    let (code, report, err) = w.run();
    assert_eq!(code, 0, "{report:#}\n{err}");
    let draft = report["draft"]["id"].as_str().unwrap().to_string();
    let remote = w.gmail.drafts()[0].id.clone();
    w.env.write_config(
        "[connectors]\ncomposer = \"template\"\n\n[templates.high_intent]\nsubject = \"Recomposed for {{first_name}}\"\nbody = \"Hello {{first_name}},\\n\\nA better text.\\n\"\n\n\
         [templates.default]\nsubject = \"Recomposed for {{first_name}}\"\nbody = \"Hello {{first_name}},\\n\\nA better text.\\n\"\n\n\
         [http]\nretry_base_ms = 10\nretry_max_ms = 2000\ntimeout_ms = 1000\nconnect_timeout_ms = 1000\n",
    );
    let out = w
        .env
        .cmd()
        .args(["drafts", "recompose", &draft])
        .env_remove("SALESAGENT_CONNECTORS_COMPOSER")
        .env("SALESAGENT_CONNECTORS_COMPOSER", "template")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let drafts = w.gmail.drafts();
    assert_eq!(drafts.len(), 1, "no second Gmail draft");
    assert_eq!(drafts[0].id, remote);
    assert!(
        drafts[0].raw.contains("Recomposed for Dana"),
        "{}",
        drafts[0].raw
    );
    assert_eq!(
        w.gmail
            .recorder
            .count(&format!("PUT /gmail/v1/users/me/drafts/{remote}")),
        1
    );
    assert_eq!(w.gmail.recorder.count(CREATE_DRAFT), 1);
    assert_eq!(
        w.env
            .sql_i64("SELECT COUNT(*) FROM drafts WHERE status = 'superseded'"),
        1
    );
}

/// Gmail gets the same builder's message as the embedded mailbox: strict parsers read it, long
/// subjects fold, and the sender keeps its display name.
#[test]
fn the_gmail_raw_message_parses_strictly() {
    let w = world();
    w.env.write_config(
        "[http]\nretry_base_ms = 10\n\n[routing]\ndefault_sender = \"Jürgen Väth <sales@example.com>\"\n",
    );
    let subject = format!("Dana, {}", "\u{1F680} a long subject ".repeat(9));
    w.llm.set_content(
        &json!({"subject": subject, "body": "Hi Dana,\nthanks for your interest."}).to_string(),
    );
    let (code, report, err) = w.run();
    assert_eq!(code, 0, "{report:#}\n{err}");
    let drafts = w.gmail.drafts();
    assert_eq!(drafts.len(), 1);
    let parsed = crate::mime::strict_parse(drafts[0].raw.as_bytes());
    assert_eq!(parsed["subject"], subject.trim());
    assert_eq!(parsed["from_name"], "Jürgen Väth");
    assert_eq!(parsed["from_address"], "sales@example.com");
    assert_eq!(parsed["to"], "dana.whitfield@northwind-robotics.com");
    let wf = report["workflow_id"].as_str().unwrap();
    assert_eq!(parsed["message_id"], format!("<wf-{wf}@example.com>"));
}

/// A provider that keeps answering 503: the worker retries the job with backoff until its last
/// attempt, then dead-letters it as transient with the provider's last error, creating no draft.
#[test]
fn a_provider_down_for_good_retries_to_exhaustion_then_dead_letters() {
    let w = world();
    w.env.write_config(
        "[http]\nretry_attempts = 0\ntimeout_ms = 1000\nconnect_timeout_ms = 1000\n\
         [worker]\nmax_attempts = 3\nbackoff_base_ms = 50\nlease_secs = 5\n",
    );
    w.gmail.inject(CREATE_DRAFT, 1000, Fault::status(503));
    crate::worker::enqueue(&w.env, 1);
    let worker = crate::server_support::Proc::worker(&w.env, &["--workers", "1"]);
    crate::server_support::wait_for("the job to die after its last attempt", || {
        w.env
            .sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'dead'")
            == 1
    });
    assert_eq!(w.env.sql_i64("SELECT attempt FROM jobs"), 3);
    assert_eq!(w.env.sql_i64("SELECT COUNT(*) FROM job_attempts"), 3);
    let dlq = w.env.json(&["dlq", "list"]);
    let letter = &dlq[0];
    assert_eq!(letter["error_class"], "transient", "{dlq}");
    assert_eq!(letter["attempts"], 3, "{dlq}");
    assert!(w.gmail.drafts().is_empty());
    assert_eq!(w.env.sql_i64("SELECT COUNT(*) FROM drafts"), 0);
    drop(worker);
}
