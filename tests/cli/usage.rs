//! `salesagent usage` and the metering behind it: counts after real runs (accepted, duplicate,
//! completed, drafts created, approved, sent, import rows), exactly once across a SIGKILLed
//! worker, per tenant apart, the CSV a billing system imports, bad ranges, and the usage
//! counters on `/metrics` with and without tenant labels.

use serde_json::Value;

use crate::drafts::{send_env, submit};
use crate::env::{TestEnv, fixture, stderr, stdout};
use crate::server_support::{Proc, signed_env, wait_for};
use crate::worker::enqueue;

/// The documented CSV header, in order (README "Usage and billing").
const CSV_HEADER: &str = "tenant,period,period_start,period_end,submissions_accepted,duplicates,\
workflows_completed,workflows_failed,drafts_created,drafts_approved,emails_sent,\
llm_prompt_tokens,llm_completion_tokens,crm_calls,mailbox_calls,import_rows";

/// The totals of `usage --json` over the last two days (a run that crosses midnight splits the
/// days, never the totals).
pub fn usage_totals(env: &TestEnv, extra: &[&str]) -> Value {
    let mut args = vec!["usage", "--since", "2d"];
    args.extend_from_slice(extra);
    env.json(&args)["totals"].clone()
}

/// Asserts each `(metric, count)` of the usage totals.
pub fn assert_usage(env: &TestEnv, expected: &[(&str, u64)]) {
    let totals = usage_totals(env, &[]);
    for (metric, n) in expected {
        assert_eq!(totals[*metric], *n, "{metric} in {totals}");
    }
}

fn tenants_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_config(
        "[tenants.acme]\nname = \"Acme\"\nportal_ids = [4411223]\n\n\
         [tenants.globex]\nname = \"Globex\"\nportal_ids = [62515]\n",
    );
    env
}

/// `run --tenant TENANT fixtures/FIXTURE`, which must succeed.
fn run_as(env: &TestEnv, tenant: &str, fixture_name: &str) {
    let file = fixture(fixture_name);
    run_ok(env, &["run", "--tenant", tenant, file.to_str().unwrap()]);
}

fn run_ok(env: &TestEnv, args: &[&str]) -> String {
    let out = env.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn runs_count_accepted_duplicates_completed_drafts_and_calls_once_each() {
    let env = TestEnv::new();
    let seed = fixture("seed-shape.json");
    let seed = seed.to_str().unwrap();
    run_ok(&env, &["run", seed]);
    // The same delivery again is a duplicate: nothing created, nothing else counted.
    run_ok(&env, &["run", seed]);
    assert_usage(
        &env,
        &[
            ("submissions_accepted", 1),
            ("duplicates", 1),
            ("workflows_completed", 1),
            ("workflows_failed", 0),
            ("drafts_created", 1),
            ("drafts_approved", 0),
            ("emails_sent", 0),
            // contact, company, history, task; one mailbox draft
            ("crm_calls", 4),
            ("mailbox_calls", 1),
            ("llm_prompt_tokens", 0),
        ],
    );
    let draft = env.json(&["drafts", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    run_ok(&env, &["drafts", "approve", &draft]);
    assert_usage(&env, &[("drafts_approved", 1), ("emails_sent", 0)]);
    // An approval refused (already approved) counts nothing.
    assert_eq!(
        env.run(&["drafts", "approve", &draft]).status.code(),
        Some(4)
    );
    assert_usage(&env, &[("drafts_approved", 1)]);

    let out = env.run(&["import", fixture("leads.csv").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(11), "{}", stderr(&out));
    // 4 rows: 3 valid leads accepted, one bad address rejected; all 4 counted as import rows.
    assert_usage(&env, &[("import_rows", 4), ("submissions_accepted", 4)]);
}

/// A run that fails outside the queue is failed once; retrying it to completion adds the
/// completion and the retried step's calls, never a second draft.
#[test]
fn a_failed_run_counts_once_and_its_retry_counts_only_what_it_did() {
    let env = TestEnv::new();
    let crm_down = env.crm_refuses_tasks();
    let out = env.run(&[
        "run",
        fixture("seed-shape.json").to_str().unwrap(),
        "--json",
    ]);
    let report = crate::env::parse_json(&out.stdout);
    assert_eq!(report["status"], "failed", "{report}");
    let workflow = report["workflow_id"].as_str().unwrap().to_string();
    assert_usage(
        &env,
        &[
            ("submissions_accepted", 1),
            ("workflows_failed", 1),
            ("workflows_completed", 0),
            ("drafts_created", 1),
            // contact, company, history, the refused task
            ("crm_calls", 4),
            ("mailbox_calls", 1),
        ],
    );
    drop(crm_down);
    run_ok(&env, &["workflows", "retry", &workflow]);
    assert_usage(
        &env,
        &[
            ("submissions_accepted", 1),
            ("workflows_failed", 1),
            ("workflows_completed", 1),
            ("drafts_created", 1),
            // the task step again: look the task up, then create it
            ("crm_calls", 6),
            ("mailbox_calls", 1),
        ],
    );
}

/// A resubmission within the dedupe window is stored (accepted) and its workflow ends as a
/// duplicate: counted once as each, with no draft and no connector call.
#[test]
fn a_resubmission_in_the_dedupe_window_counts_as_accepted_and_duplicate() {
    let env = TestEnv::new();
    run_ok(&env, &["run", fixture("seed-shape.json").to_str().unwrap()]);
    let text = std::fs::read_to_string(fixture("seed-shape.json"))
        .unwrap()
        .replace(
            "b7e2c6f0-1d34-4a8b-9c55-2e7f0a9d3b61",
            "another-submission-id",
        );
    let again = env.write_file("again.json", text);
    run_ok(&env, &["run", again.to_str().unwrap()]);
    assert_usage(
        &env,
        &[
            ("submissions_accepted", 2),
            ("duplicates", 1),
            ("workflows_completed", 1),
            ("drafts_created", 1),
            ("crm_calls", 4),
            ("mailbox_calls", 1),
        ],
    );
}

#[test]
fn sends_in_send_mode_count_the_approval_the_email_and_its_mailbox_call() {
    let env = send_env("");
    let a = submit(&env, "a@northwind.com");
    run_ok(&env, &["drafts", "approve", &a]);
    assert_eq!(env.mail_files("sent").len(), 1);
    assert_usage(
        &env,
        &[
            ("drafts_created", 1),
            ("drafts_approved", 1),
            ("emails_sent", 1),
            // the draft's creation, then its send
            ("mailbox_calls", 2),
        ],
    );
}

/// A worker killed mid-job leaves its job to another: every workflow is counted exactly once
/// (the killed run's uncommitted batch counted nothing; its committed intent only what it did).
#[test]
fn a_worker_killed_mid_job_leaves_every_count_exactly_once() {
    let env = signed_env();
    env.write_config("[worker]\nlease_secs = 2\n");
    let total = 60;
    enqueue(&env, total);
    let mut first = Proc::worker(&env, &["--workers", "1", "--queues", "normal"]);
    wait_for("a worker to be mid-job", || {
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'running'") >= 1
    });
    first.kill9();
    let _second = Proc::worker(&env, &["--workers", "2"]);
    wait_for("every workflow to complete", || {
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'completed'") == total as i64
    });
    let n = total as u64;
    assert_usage(
        &env,
        &[
            ("submissions_accepted", n),
            ("duplicates", 0),
            ("workflows_completed", n),
            ("workflows_failed", 0),
            ("drafts_created", n),
        ],
    );
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM drafts"), total as i64);
}

#[test]
fn each_tenant_is_counted_apart_and_all_are_shown_with_a_total() {
    let env = tenants_env();
    run_as(&env, "acme", "seed-shape.json");
    run_as(&env, "acme", "seed-shape.json");
    run_as(&env, "globex", "forms-v3.json");
    let acme = usage_totals(&env, &["--tenant", "acme"]);
    assert_eq!(acme["submissions_accepted"], 1, "{acme}");
    assert_eq!(acme["duplicates"], 1, "{acme}");
    let globex = usage_totals(&env, &["--tenant", "globex"]);
    assert_eq!(globex["submissions_accepted"], 1, "{globex}");
    assert_eq!(globex["duplicates"], 0, "{globex}");

    let all = env.json(&["usage", "--since", "2d", "--by", "month"]);
    let tenants: Vec<&str> = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(tenants, ["acme", "globex"], "{all}");
    assert_eq!(all["totals"]["submissions_accepted"], 2, "{all}");
    assert_eq!(all["totals"]["workflows_completed"], 2, "{all}");
    let table = run_ok(&env, &["usage"]);
    assert!(table.starts_with("TENANT"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("TOTAL")), "{table}");
}

#[test]
fn the_csv_has_the_documented_columns_iso_dates_a_total_and_formula_safe_cells() {
    let env = tenants_env();
    run_as(&env, "acme", "seed-shape.json");
    let out = env.run(&["usage", "--format", "csv", "--month", "2026-12"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader
            .headers()
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
            .join(","),
        CSV_HEADER
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let last = rows.last().unwrap();
    assert_eq!((&last[0], &last[1]), ("", "total"), "{text}");
    assert_eq!((&last[2], &last[3]), ("2026-12-01", "2026-12-31"), "{text}");
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell a spreadsheet would run: {cell:?}"
            );
        }
        for date in [&row[2], &row[3]] {
            assert!(
                date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
                "{date}"
            );
        }
    }
    // --output writes the same CSV, never over an existing file without --force.
    let target = env.path().join("usage.csv");
    run_ok(
        &env,
        &[
            "usage",
            "--month",
            "2026-12",
            "-o",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), text);
    let again = env.run(&[
        "usage",
        "--month",
        "2026-12",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(4), "{}", stderr(&again));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
}

#[test]
fn a_bad_month_or_since_is_a_usage_error_with_a_hint() {
    let env = TestEnv::new();
    env.init_db();
    for args in [
        &["usage", "--month", "2026-13"][..],
        &["usage", "--month", "november"],
        &["usage", "--since", "soon"],
        &["usage", "--since", "2999-01-01"],
    ] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("hint:"), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    let both = env.run(&["usage", "--since", "7d", "--month", "2026-11"]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
}

fn scrape(server: &Proc) -> String {
    let resp = reqwest::blocking::get(format!("{}/metrics", server.base)).unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.text().unwrap()
}

fn metrics_with(tenant_labels: bool) -> String {
    let env = tenants_env().env("SALESAGENT_WEBHOOK_SECRET", "test-webhook-secret");
    let config = std::fs::read_to_string(env.path().join("salesagent.toml")).unwrap();
    env.write_config(&format!(
        "[metrics]\ntenant_labels = {tenant_labels}\n\n{config}"
    ));
    run_as(&env, "acme", "seed-shape.json");
    run_as(&env, "globex", "forms-v3.json");
    let server = Proc::serve(&env, &["--tenant", "acme", "--workers", "0"]);
    let text = scrape(&server);
    if let Some(out) =
        crate::deploy::installed_tool_with_input("promtool", &["check", "metrics"], text.as_bytes())
    {
        crate::deploy::assert_succeeded(&out, "promtool check metrics");
    }
    text
}

#[test]
fn metrics_show_usage_per_tenant_only_when_tenant_labels_is_on() {
    let off = metrics_with(false);
    assert!(
        off.contains("salesagent_usage_total{metric=\"submissions_accepted\"} 2"),
        "{off}"
    );
    assert!(off.contains("salesagent_usage_total{metric=\"import_rows\"} 0"));
    assert!(
        !off.contains("tenant=\""),
        "a tenant label without tenant_labels"
    );

    let on = metrics_with(true);
    for tenant in ["acme", "globex"] {
        let line = format!(
            "salesagent_usage_total{{tenant=\"{tenant}\",metric=\"submissions_accepted\"}} 1"
        );
        assert!(on.contains(&line), "missing {line} in:\n{on}");
    }
    assert!(!on.contains("salesagent_usage_total{metric="), "{on}");
}

/// `[metrics] tenant_labels` is a boolean of the whole deployment: a string, a misspelt key or a
/// tenant's own `[tenants.x.metrics]` is a configuration error (exit 3) that says where.
#[test]
fn tenant_labels_is_a_deployment_wide_boolean() {
    let env = TestEnv::new();
    for (config, says) in [
        ("[metrics]\ntenant_labels = \"yes\"\n", "expected a boolean"),
        ("[metrics]\ntenant_label = true\n", "tenant_label"),
        (
            "[tenants.acme]\nname = \"Acme\"\nportal_ids = [1]\n[tenants.acme.metrics]\ntenant_labels = true\n",
            "metrics",
        ),
    ] {
        env.write_config(config);
        let out = env.run(&["config", "check"]);
        assert_eq!(out.status.code(), Some(3), "{config}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{config}: {}", stderr(&out));
    }
    env.write_config("[metrics]\ntenant_labels = true\n");
    let out = env.run(&["config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The LLM's tokens are counted with the compose that used them and again with a recompose
/// (with its mailbox update); a rejection counts the CRM call that closed the task.
#[test]
fn llm_tokens_recomposes_and_rejections_are_counted_with_their_commits() {
    let llm = crate::fakes::llm::FakeLlm::start("sk-usage");
    let env = TestEnv::new()
        .env("SALESAGENT_CONNECTORS_COMPOSER", "llm")
        .env("SALESAGENT_LLM_API_KEY", "sk-usage")
        .env("SALESAGENT_LLM_BASE_URL", &llm.base_url)
        .env("SALESAGENT_LLM_MODEL", "fake-model");
    run_ok(&env, &["run", fixture("seed-shape.json").to_str().unwrap()]);
    let tokens_used = env.sql_i64("SELECT tokens_used FROM drafts") as u64;
    let totals = usage_totals(&env, &[]);
    assert_eq!(totals["llm_prompt_tokens"], 120, "{totals}");
    let completion = totals["llm_completion_tokens"].as_u64().unwrap();
    assert!(completion > 0, "{totals}");
    assert_eq!(
        120 + completion,
        tokens_used,
        "prompt + completion = the draft's tokens"
    );

    let draft = env.json(&["drafts", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    run_ok(&env, &["drafts", "recompose", &draft]);
    assert_usage(
        &env,
        &[
            ("llm_prompt_tokens", 240),
            ("mailbox_calls", 2),
            ("crm_calls", 4),
        ],
    );
    run_ok(&env, &["drafts", "reject", &draft, "--reason", "not now"]);
    // The follow-up task closed in the CRM (recorded with our copy of the task).
    assert_usage(&env, &[("crm_calls", 5), ("drafts_approved", 0)]);
}
