//! The LLM composer against fakes of the servers people run (schema-enforcing, format-ignoring,
//! json_object-only with a 500 for json_schema, truncating, refusing), through the real binary:
//! every lead ends with a valid draft or the configured fallback, never a garbled one; the prompt
//! never carries template syntax; `drafts show`/`workflows show` say how the text was obtained;
//! `config check --live` names the model and the structured-output mode each server supports.

use serde_json::Value;

use crate::env::{TestEnv, fixture, parse_json, stderr, stdout};
use crate::fakes::llm::{Behaviour, FakeLlm};

const KEY: &str = "sk-composer-test-key-77";

struct World {
    env: TestEnv,
    llm: FakeLlm,
}

/// Local CRM and mailbox, the LLM composer pointed at a fake that behaves as `behaviour`.
fn world(behaviour: Behaviour, extra_config: &str) -> World {
    let llm = FakeLlm::start_as(KEY, behaviour);
    let env = TestEnv::new()
        .env("SALESAGENT_CONNECTORS_COMPOSER", "llm")
        .env("SALESAGENT_LLM_API_KEY", KEY)
        .env("SALESAGENT_LLM_BASE_URL", &llm.base_url)
        .env("SALESAGENT_LLM_MODEL", "fake-model");
    env.write_config(&format!(
        "[http]\nretry_base_ms = 10\nretry_max_ms = 200\ntimeout_ms = 5000\nconnect_timeout_ms = 1000\n\n{extra_config}"
    ));
    World { env, llm }
}

/// A lead with a first name and a company but no message and no job title.
const SPARSE_LEAD: &str = r#"{"portalId": 1, "formId": "f-sparse", "formSubmissionId": "sparse-1",
  "submittedAt": 1764412800000, "fieldValues": [
    {"name": "email", "value": "dana@northwind-robotics.com"},
    {"name": "firstname", "value": "Dana"},
    {"name": "company", "value": "Northwind Robotics"}]}"#;

/// A reply of about 900 tokens: past the old fixed budget of 600, within the guard's limits.
fn long_reply() -> String {
    let body = "We can automate picking across all forty of your warehouses. ".repeat(55);
    serde_json::json!({"subject": "Automating picking at Northwind", "body": format!("Hi Dana,\n\n{body}\n\nBest regards,\nSales")}).to_string()
}

impl World {
    /// `run` on the seed fixture (or `payload`): (exit code, report).
    fn run(&self, payload: Option<&str>) -> (i32, Value) {
        let file = match payload {
            Some(text) => self.env.write_file("payload.json", text),
            None => fixture("seed-shape.json"),
        };
        let out = self
            .env
            .cmd()
            .arg("run")
            .arg(&file)
            .arg("--json")
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(!err.contains(KEY) && !stdout(&out).contains(KEY));
        assert!(!err.contains("panicked"), "the binary panicked:\n{err}");
        (out.status.code().unwrap_or(-1), parse_json(&out.stdout))
    }

    /// `drafts show --json` of the only draft.
    fn draft(&self) -> Value {
        let list = self.env.json(&["drafts", "list"]);
        let id = list[0]["id"].as_str().expect("one draft").to_string();
        self.env.json(&["drafts", "show", &id])
    }

    /// The user message of the `n`th compose request.
    fn user_prompt(&self, n: usize) -> String {
        let body = &self.llm.composes()[n];
        let messages = body["messages"].as_array().unwrap();
        messages.iter().rev().find(|m| m["role"] == "user").unwrap()["content"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// A draft that a person could send: no JSON, no code fence, no template syntax.
fn assert_clean(draft: &Value) {
    let subject = draft["subject"].as_str().unwrap();
    let body = draft["body"].as_str().unwrap();
    for text in [subject, body] {
        assert!(!text.trim().is_empty(), "{draft:#}");
        assert!(
            !text.contains("```") && !text.contains("{\"") && !text.contains("{{"),
            "garbled draft: {draft:#}"
        );
    }
}

#[test]
fn the_prompt_carries_the_template_rendered_for_the_lead() {
    let w = world(Behaviour::IgnoresFormat, "");
    let (code, report) = w.run(Some(SPARSE_LEAD));
    assert_eq!(code, 0, "{report:#}");
    let body = &w.llm.composes()[0];
    let system = body["messages"][0]["content"].as_str().unwrap();
    let user = w.user_prompt(0);
    for text in [system, user.as_str()] {
        assert!(
            !text.contains("{{"),
            "template syntax in the prompt:\n{text}"
        );
    }
    // The route's template, rendered for this lead, is the guide.
    assert!(user.contains("Thanks for reaching out, Dana"), "{user}");
    assert!(user.contains("on behalf of Northwind Robotics"), "{user}");
    // The JSON instruction stands in the user message too (some chat formats drop the system one).
    assert!(user.contains("JSON object only"), "{user}");
}

#[test]
fn an_unusable_reply_is_repaired_once_then_drafted_from_the_template() {
    let w = world(Behaviour::IgnoresFormat, "");
    w.llm.set_content("I'm sorry, I can't write that email.");
    let (code, report) = w.run(None);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["status"], "completed");
    let composes = w.llm.composes();
    assert_eq!(composes.len(), 2, "one try and one repair");
    let repair = composes[1]["messages"].as_array().unwrap();
    assert_eq!(repair[repair.len() - 2]["role"], "assistant");
    assert!(
        w.user_prompt(1).contains("could not be used"),
        "{}",
        w.user_prompt(1)
    );
    let draft = w.draft();
    assert_clean(&draft);
    assert_eq!(draft["fallback_used"], true);
    assert_eq!(draft["composer"]["repaired"], true);
    assert!(
        draft["composer"]["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("unusable"),
        "{draft:#}"
    );
}

/// Found by `connectors::llm::props::the_object_reads_back_through_any_prose`: the reply's
/// object was cut from its first `{` to its last `}`, so braces in the prose around it made a
/// good email unusable (a repair round trip, then the fallback or a failed workflow).
#[test]
fn braces_in_the_prose_around_the_reply_do_not_lose_the_email() {
    let w = world(Behaviour::IgnoresFormat, "[llm]\nfallback = \"none\"\n");
    w.llm.set_content(
        "Here it is {as you asked}:\n{\"subject\": \"Picking at Northwind\", \"body\": \"Hi Dana,\\n\\nCould we talk on Tuesday?\"}\nReplace {name} if needed :}",
    );
    let (code, report) = w.run(None);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(w.llm.composes().len(), 1, "no repair was needed");
    let draft = w.draft();
    assert_eq!(draft["subject"], "Picking at Northwind", "{draft:#}");
    assert_eq!(
        draft["body"], "Hi Dana,\n\nCould we talk on Tuesday?",
        "{draft:#}"
    );
}

#[test]
fn an_unusable_reply_without_a_fallback_fails_the_workflow_as_configured() {
    let w = world(Behaviour::IgnoresFormat, "[llm]\nfallback = \"none\"\n");
    w.llm.set_content("no JSON here");
    let (code, report) = w.run(None);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["current_step"], "compose");
    assert_eq!(report["error"]["class"], "invalid_input");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unusable after one repair"),
        "{report:#}"
    );
    assert_eq!(w.llm.composes().len(), 2);
}

#[test]
fn drafts_show_and_workflows_show_say_how_the_text_was_composed() {
    let w = world(Behaviour::EnforcesSchema, "");
    let (code, report) = w.run(None);
    assert_eq!(code, 0, "{report:#}");
    let draft = w.draft();
    let composer = &draft["composer"];
    assert!(
        composer["prompt_version"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"),
        "{draft:#}"
    );
    assert!(composer["tokens"].as_i64().unwrap() > 0, "{draft:#}");
    assert!(composer["latency_ms"].is_i64(), "{draft:#}");
    assert_eq!(composer["structured_mode"], "json_schema");
    assert_eq!(composer["repaired"], false);
    let wf = report["workflow_id"].as_str().unwrap();
    let shown = w.env.json(&["workflows", "show", wf]);
    assert_eq!(shown["draft"]["composer"]["structured_mode"], "json_schema");
    let out = w.env.run(&["workflows", "show", wf]);
    let text = stdout(&out);
    let line = text.lines().find(|l| l.starts_with("composer")).unwrap();
    assert!(
        line.contains("prompt sha256:") && line.contains("tokens") && line.contains(" ms"),
        "{line}"
    );
}

#[test]
fn each_server_behaviour_ends_in_a_valid_draft_or_the_fallback() {
    struct Case {
        behaviour: Behaviour,
        probes: &'static [&'static str],
        mode: &'static str,
        fallback: bool,
    }
    let cases = [
        Case {
            behaviour: Behaviour::EnforcesSchema,
            probes: &["json_schema"],
            mode: "json_schema",
            fallback: false,
        },
        Case {
            behaviour: Behaviour::JsonObjectOnly,
            probes: &["json_schema", "json_object"],
            mode: "json_object",
            fallback: false,
        },
        Case {
            behaviour: Behaviour::IgnoresFormat,
            probes: &["json_schema", "json_object"],
            mode: "off",
            fallback: false,
        },
        Case {
            behaviour: Behaviour::Refuses,
            probes: &["json_schema", "json_object"],
            mode: "off",
            fallback: true,
        },
    ];
    for case in cases {
        let w = world(case.behaviour, "");
        let (code, report) = w.run(None);
        let what = format!("{:?}", case.behaviour);
        assert_eq!(code, 0, "{what}: {report:#}");
        assert_eq!(w.llm.probes(), case.probes, "{what}");
        let draft = w.draft();
        assert_clean(&draft);
        assert_eq!(draft["composer"]["structured_mode"], case.mode, "{what}");
        assert_eq!(draft["fallback_used"], case.fallback, "{what}: {draft:#}");
        let compose = &w.llm.composes()[0];
        let sent_format = compose
            .pointer("/response_format/type")
            .and_then(Value::as_str)
            .unwrap_or("off");
        assert_eq!(sent_format, case.mode, "{what}");
        if case.mode != "json_schema" {
            assert!(w.user_prompt(0).contains("JSON Schema"), "{what}");
        }
        if case.fallback {
            assert_eq!(draft["composer"]["repaired"], true);
            assert!(
                draft["composer"]["fallback_reason"]
                    .as_str()
                    .unwrap()
                    .contains("refused"),
                "{draft:#}"
            );
        } else {
            assert!(draft["body"].as_str().unwrap().contains("40 warehouses"));
        }
    }
}

#[test]
fn the_reply_budget_fits_the_guard_so_a_long_email_is_not_cut_off() {
    let w = world(Behaviour::EnforcesSchema, "");
    w.llm.set_content(&long_reply());
    let (code, report) = w.run(None);
    assert_eq!(code, 0, "{report:#}");
    let draft = w.draft();
    assert_clean(&draft);
    assert_eq!(draft["fallback_used"], false, "{draft:#}");
    assert_eq!(draft["composer"]["repaired"], false);
    assert!(draft["body"].as_str().unwrap().ends_with("Sales"));
    let budget = w.llm.composes()[0]["max_tokens"].as_u64().unwrap();
    assert!(
        budget >= 3000,
        "max_tokens {budget} is below what the guard allows"
    );
}

#[test]
fn a_truncated_reply_is_detected_repaired_and_falls_back() {
    let w = world(Behaviour::EnforcesSchema, "[llm]\nmax_tokens = 600\n");
    w.llm.set_content(&long_reply());
    let (code, report) = w.run(None);
    assert_eq!(code, 0, "{report:#}");
    let draft = w.draft();
    assert_clean(&draft);
    assert_eq!(draft["fallback_used"], true, "{draft:#}");
    assert_eq!(draft["composer"]["repaired"], true);
    assert!(
        draft["composer"]["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("cut off"),
        "{draft:#}"
    );
    assert_eq!(w.llm.composes().len(), 2);
}

#[test]
fn config_check_live_reports_the_mode_each_server_supports() {
    for (behaviour, mode) in [
        (Behaviour::EnforcesSchema, "json_schema"),
        (Behaviour::JsonObjectOnly, "json_object"),
        (Behaviour::IgnoresFormat, "off"),
    ] {
        let w = world(behaviour, "");
        let out = w.env.run(&["config", "check", "--live", "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report = parse_json(&out.stdout);
        let llm = &report["live"][2];
        assert_eq!(llm["connector"], "llm");
        assert_eq!(llm["structured"], mode, "{behaviour:?}: {llm}");
        assert!(llm["detail"].as_str().unwrap().contains(mode), "{llm}");
    }
}

#[test]
fn config_check_live_refuses_a_model_the_server_does_not_serve() {
    let w = world(Behaviour::EnforcesSchema, "");
    let out = w
        .env
        .cmd()
        .args(["config", "check", "--live", "--json"])
        .env("SALESAGENT_LLM_MODEL", "llama-3-70b")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = parse_json(&out.stdout);
    let llm = &report["live"][2];
    assert_eq!(llm["ok"], false);
    assert_eq!(llm["error_class"], "configuration");
    let detail = llm["detail"].as_str().unwrap();
    assert!(
        detail.contains("llama-3-70b") && detail.contains("fake-model"),
        "{detail}"
    );
}

#[test]
fn config_check_live_refuses_a_structured_mode_the_server_does_not_honour() {
    let w = world(
        Behaviour::JsonObjectOnly,
        "[llm]\nstructured = \"json_schema\"\n",
    );
    let out = w.env.run(&["config", "check", "--live", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let llm = &parse_json(&out.stdout)["live"][2];
    assert!(
        llm["detail"].as_str().unwrap().contains("json_object"),
        "{llm}"
    );
}

#[test]
fn a_recomposed_draft_records_how_its_new_text_was_composed() {
    let w = world(Behaviour::IgnoresFormat, "");
    w.llm.set_content("Not today.");
    let (code, report) = w.run(None);
    assert_eq!(code, 0, "{report:#}");
    let first = w.draft();
    assert_eq!(first["composer"]["repaired"], true);
    let id = first["id"].as_str().unwrap().to_string();
    w.llm.set_content(
        "{\"subject\": \"Picking at Northwind\", \"body\": \"Hi Dana,\\n\\nShall we talk about your 40 warehouses?\\n\\nBest regards,\\nSales\"}",
    );
    let out = w.env.run(&["drafts", "recompose", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again = w.env.json(&["drafts", "show", &id]);
    assert!(again["body"].as_str().unwrap().contains("40 warehouses"));
    assert_eq!(again["fallback_used"], false, "{again:#}");
    assert_eq!(again["composer"]["repaired"], false, "{again:#}");
    assert_eq!(
        again["composer"]["fallback_reason"],
        Value::Null,
        "{again:#}"
    );
}

/// Counted where an alert can see it: an unusable reply is `outcome="unusable"` on `/metrics` of
/// a running `serve` (not `ok`), and the lead still gets its draft from the template.
#[test]
fn serve_counts_an_unusable_reply_as_unusable() {
    let llm = FakeLlm::start_as(KEY, Behaviour::IgnoresFormat);
    llm.set_content("I'm sorry, I can't write that email.");
    let env = crate::server_support::signed_env()
        .env("SALESAGENT_CONNECTORS_COMPOSER", "llm")
        .env("SALESAGENT_LLM_API_KEY", KEY)
        .env("SALESAGENT_LLM_BASE_URL", &llm.base_url)
        .env("SALESAGENT_LLM_MODEL", "fake-model");
    crate::worker::enqueue(&env, 1);
    let serve = crate::server_support::Proc::serve(&env, &["--workers", "1"]);
    crate::server_support::wait_for("the workflow to complete from the template", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'") == 1
    });
    let metrics = reqwest::blocking::get(format!("{}/metrics", serve.base))
        .unwrap()
        .text()
        .unwrap();
    let count = |outcome: &str| -> f64 {
        metrics
            .lines()
            .find(|l| {
                l.starts_with("salesagent_connector_calls_total{")
                    && l.contains("service=\"llm\"")
                    && l.contains(&format!("outcome=\"{outcome}\""))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    assert!(
        count("unusable") >= 2.0,
        "the try and the repair: {metrics}"
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM drafts WHERE fallback_used = 1"),
        1
    );
}
