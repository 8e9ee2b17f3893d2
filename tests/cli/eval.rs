//! `eval run|show|report|list|compare` through the real binary: past leads re-composed with a
//! candidate against the fake LLM, with the CRM and the mailbox configured as real connectors
//! pointed at fakes whose request logs prove they were never called; nothing added to the
//! workflow tables; resumable after SIGKILL; the HTML report rendered by headless Chromium.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::env::{TestEnv, parse_json, stderr, stdout};
use crate::fakes::gmail::FakeGmail;
use crate::fakes::hubspot::FakeHubSpot;
use crate::fakes::llm::{Behaviour, FakeLlm};
use crate::server_support::{Proc, wait_for};

const LLM_KEY: &str = "sk-eval-test-key-31";
/// A lead who typed markup: the report must show it as text.
const HOSTILE_NAME: &str = "<script>alert(1)</script>";

/// `n` leads imported and run by a worker with the embedded connectors; returns the env.
fn stored_leads(n: usize) -> TestEnv {
    let env = TestEnv::new();
    let mut csv = String::from("email,firstName,lastName,company,formId\n");
    for i in 0..n {
        let first = if i == 0 { HOSTILE_NAME } else { "Lee" };
        csv.push_str(&format!(
            "lead{i}@example{i}.com,\"{first}\",Number{i},Example {i} Ltd,form-eval\n"
        ));
    }
    let file = env.write_file("leads.csv", csv);
    let out = env.run(&["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut worker = Proc::worker(&env, &["--workers", "2"]);
    wait_for("every imported workflow to complete", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'") == n as i64
    });
    worker.signal("TERM");
    worker.wait_exit();
    env
}

/// Draft ids, oldest first.
fn draft_ids(env: &TestEnv) -> Vec<String> {
    let mut drafts: Vec<Value> = env
        .json(&["drafts", "list", "--limit", "10000"])
        .as_array()
        .unwrap()
        .clone();
    drafts.sort_by_key(|d| d["created_at"].as_str().unwrap_or("").to_string());
    drafts
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

/// Approves `approve`, rejects `reject` (with a reason), and simulates an operator's edit of the
/// first `edit` approved drafts (the edit changes the text before approval).
fn decide(env: &TestEnv, ids: &[String], approve: usize, reject: usize, edit: usize) {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    for id in &ids[..edit] {
        conn.execute(
            "UPDATE drafts SET body = body || '\nP.S. I edited this.' WHERE id = ?1",
            [id],
        )
        .unwrap();
    }
    drop(conn);
    let mut args = vec!["drafts", "approve", "--yes"];
    args.extend(ids[..approve].iter().map(String::as_str));
    let out = env.run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut args = vec!["drafts", "reject", "--reason", "too pushy"];
    args.extend(ids[approve..approve + reject].iter().map(String::as_str));
    let out = env.run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
}

struct Fakes {
    hubspot: FakeHubSpot,
    gmail: FakeGmail,
    llm: FakeLlm,
}

impl Fakes {
    fn start(behaviour: Behaviour) -> Fakes {
        Fakes {
            hubspot: FakeHubSpot::start("pat-eval-hubspot"),
            gmail: FakeGmail::start("eval-client", "eval-secret", "eval-refresh"),
            llm: FakeLlm::start_as(LLM_KEY, behaviour),
        }
    }

    /// A command of `env` whose CRM and mailbox are the real connectors, pointed at the fakes.
    fn cmd(&self, env: &TestEnv) -> Command {
        let mut cmd = env.std_command();
        cmd.env("SALESAGENT_CONNECTORS_CRM", "hubspot")
            .env("SALESAGENT_CONNECTORS_MAILBOX", "gmail")
            .env("SALESAGENT_HUBSPOT_TOKEN", "pat-eval-hubspot")
            .env("SALESAGENT_HUBSPOT_BASE_URL", &self.hubspot.base_url)
            .env("SALESAGENT_GMAIL_CLIENT_ID", "eval-client")
            .env("SALESAGENT_GMAIL_CLIENT_SECRET", "eval-secret")
            .env("SALESAGENT_GMAIL_REFRESH_TOKEN", "eval-refresh")
            .env("SALESAGENT_GMAIL_API_BASE", &self.gmail.base_url)
            .env("SALESAGENT_GMAIL_TOKEN_URL", self.gmail.token_url())
            .env("SALESAGENT_LLM_API_KEY", LLM_KEY)
            .env("SALESAGENT_LLM_BASE_URL", &self.llm.base_url)
            .env("SALESAGENT_LLM_MODEL", "fake-model");
        cmd
    }

    fn run(&self, env: &TestEnv, args: &[&str]) -> std::process::Output {
        self.cmd(env).args(args).output().expect("run salesagent")
    }

    fn json(&self, env: &TestEnv, args: &[&str]) -> Value {
        let out = self.run(env, &[args, &["--json"]].concat());
        assert!(
            out.status.success(),
            "{args:?} failed ({:?}):\n{}",
            out.status.code(),
            stderr(&out)
        );
        parse_json(&out.stdout)
    }
}

/// A candidate: the LLM composer with its own user prompt, four composes at a time.
fn write_candidate(env: &TestEnv, name: &str, concurrency: usize) -> String {
    let path = env.write_file(
        &format!("{name}.toml"),
        format!(
            "name = \"{name}\"\n\n[connectors]\ncomposer = \"llm\"\n\n[llm]\nconcurrency = {concurrency}\ncost_per_1k_tokens = 0.5\n\n[prompts]\nuser = \"Write a short follow-up to {{{{first_name}}}} at {{{{company}}}}. Guide: {{{{template_subject}}}}\"\n"
        ),
    );
    path.to_str().unwrap().to_string()
}

fn run_id(report: &Value) -> String {
    report["run"]["id"].as_str().unwrap().to_string()
}

#[test]
fn an_eval_over_200_leads_calls_no_crm_or_mailbox_and_writes_no_workflow_row() {
    let env = stored_leads(200);
    let ids = draft_ids(&env);
    assert_eq!(ids.len(), 200);
    decide(&env, &ids, 120, 30, 10);
    let before = env.table_counts();
    let fakes = Fakes::start(Behaviour::EnforcesSchema);
    let candidate = write_candidate(&env, "shorter", 4);

    let out = fakes.run(&env, &["eval", "run", "--candidate", &candidate, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("ETA"),
        "no progress bar when stderr is not a terminal"
    );
    let report = parse_json(&out.stdout);
    let summary = &report["summary"];
    assert_eq!(report["run"]["state"], "completed");
    assert_eq!(summary["leads"], 200);
    assert_eq!(summary["composed"], 200);
    assert_eq!(summary["guard_passed"], 200);
    assert_eq!(summary["approved"], 120);
    assert_eq!(summary["differs_from_approved"], 120);
    assert_eq!(summary["modes"]["json_schema"], 200);
    assert!(summary["cost"].as_f64().unwrap() > 0.0);
    assert!(summary["latency_p95_ms"].is_i64());

    // The fakes' request logs: nothing reached the CRM or the mailbox.
    assert!(fakes.hubspot.recorder.requests().is_empty());
    assert!(fakes.gmail.recorder.requests().is_empty());
    // One probe for the process and model, then one compose per lead.
    assert_eq!(fakes.llm.probes(), vec!["json_schema"]);
    assert_eq!(fakes.llm.composes().len(), 200);
    let user = fakes.llm.composes()[0]["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(user.starts_with("Write a short follow-up to "), "{user}");
    // Nothing added to the workflow tables (or any other table the pipeline writes).
    assert_eq!(env.table_counts(), before);

    let id = run_id(&report);
    let shown = fakes.json(&env, &["eval", "show", &id]);
    let leads = shown["leads"].as_array().unwrap();
    let count = |d: &str| leads.iter().filter(|l| l["decision"] == d).count();
    assert_eq!(
        (
            count("approved"),
            count("edited"),
            count("rejected"),
            count("pending")
        ),
        (110, 10, 30, 50)
    );
    let edited = leads.iter().find(|l| l["decision"] == "edited").unwrap();
    assert!(
        edited["final"]["body"]
            .as_str()
            .unwrap()
            .ends_with("I edited this.")
    );
    assert!(
        !edited["original"]["body"]
            .as_str()
            .unwrap()
            .contains("I edited this.")
    );
    let rejected = leads.iter().find(|l| l["decision"] == "rejected").unwrap();
    assert_eq!(rejected["review_note"], "too pushy");
    for lead in leads {
        assert_eq!(lead["structured_mode"], "json_schema");
        assert!(lead["tokens"].as_i64().unwrap() > 0);
        assert!(lead["body_chars"].as_u64().unwrap() > 0);
        assert_eq!(lead["guard_passed"], true);
    }

    let out = fakes.run(&env, &["eval", "show", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("guard passed      200 of 200"), "{text}");
    assert!(text.contains("OPERATOR (edited)") && text.contains("CANDIDATE"));
    assert!(text.contains("[-") && text.contains("{+"), "a word diff");
    let listed = fakes.json(&env, &["eval", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(env.table_counts(), before);
}

#[test]
fn a_killed_eval_run_resumes_where_it_stopped() {
    let env = stored_leads(24);
    let fakes = Fakes::start(Behaviour::EnforcesSchema);
    fakes.llm.set_latency(Duration::from_millis(300));
    let candidate = write_candidate(&env, "slow", 1);
    let mut child = fakes
        .cmd(&env)
        .args(["eval", "run", "--candidate", &candidate])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let done = || {
        if !env.db().exists() {
            return 0;
        }
        env.sql_i64("SELECT COUNT(*) FROM eval_items WHERE state = 'done'")
    };
    wait_for("a few leads to be composed", || done() >= 3);
    child.kill().unwrap();
    child.wait().unwrap();
    let after_kill = done();
    assert!(after_kill < 24, "the run finished before the kill");
    let runs = fakes.json(&env, &["eval", "list"]);
    assert_eq!(runs[0]["state"], "running");
    let id = runs[0]["id"].as_str().unwrap().to_string();

    fakes.llm.set_latency(Duration::ZERO);
    let report = fakes.json(&env, &["eval", "run", "--resume", &id]);
    assert_eq!(report["run"]["state"], "completed");
    assert_eq!(report["summary"]["composed"], 24);
    // Each lead composed once, but for the one in flight at the kill.
    let composes = fakes.llm.composes().len();
    assert!((24..=25).contains(&composes), "{composes} composes");
    assert_eq!(
        env.sql_i64("SELECT COUNT(DISTINCT seq) FROM eval_items WHERE state = 'done'"),
        24
    );
}

/// Runs `cmd` on a pseudo-terminal (Python's `pty`) and returns what it wrote there.
fn on_a_terminal(mut cmd: Command) -> String {
    const SCRIPT: &str = "import os, pty, sys\n\
        pid, fd = pty.fork()\n\
        if pid == 0:\n    os.execvp(sys.argv[1], sys.argv[1:])\n\
        out = b''\n\
        while True:\n    try:\n        data = os.read(fd, 65536)\n    except OSError:\n        break\n    if not data:\n        break\n    out += data\n\
        os.waitpid(pid, 0)\n\
        sys.stdout.buffer.write(out)\n";
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let mut python = Command::new("python3");
    python.arg("-c").arg(SCRIPT).arg(program).args(args);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => python.env(k, v),
            None => python.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        python.current_dir(dir);
    }
    cmd = python;
    let out = cmd.output().expect("python3");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn progress_shows_on_a_terminal() {
    let env = stored_leads(12);
    let fakes = Fakes::start(Behaviour::EnforcesSchema);
    fakes.llm.set_latency(Duration::from_millis(150));
    let candidate = write_candidate(&env, "tty", 1);
    let mut cmd = fakes.cmd(&env);
    cmd.args(["eval", "run", "--candidate", &candidate]);
    let text = on_a_terminal(cmd);
    assert!(
        text.contains("/12 leads"),
        "no progress on the terminal:\n{text}"
    );
    assert!(text.contains("guard passed      12 of 12"), "{text}");
}

#[test]
fn two_candidates_compare_on_the_same_leads() {
    let env = stored_leads(6);
    let fakes = Fakes::start(Behaviour::JsonObjectOnly);
    let llm = write_candidate(&env, "llm", 2);
    let templates = env.write_file(
        "templates.toml",
        "name = \"plain-templates\"\n[templates.default]\nsubject = \"Hello {{first_name_or_there}}\"\nbody = \"Hi {{first_name_or_there}},\\n\\nShall we talk?\\n\"\n",
    );
    let a = run_id(&fakes.json(&env, &["eval", "run", "--candidate", &llm]));
    let b = run_id(&fakes.json(
        &env,
        &["eval", "run", "--candidate", templates.to_str().unwrap()],
    ));
    let compared = fakes.json(&env, &["eval", "compare", &a, &b]);
    assert_eq!(compared["comparison"]["common"], 6);
    assert_eq!(compared["comparison"]["both_pass"], 6);
    assert_eq!(compared["comparison"]["same_text"], 0);
    assert_eq!(compared["a_summary"]["modes"]["json_object"], 6);
    assert_eq!(compared["b_summary"]["modes"]["template"], 6);
    let out = fakes.run(&env, &["eval", "compare", &a, &b]);
    assert!(stdout(&out).contains("6 common leads"), "{}", stdout(&out));
}

#[test]
fn a_candidate_with_an_unknown_section_or_a_key_is_refused() {
    let env = stored_leads(1);
    let fakes = Fakes::start(Behaviour::EnforcesSchema);
    for (name, text) in [
        ("send", "[send]\nallow = true\n"),
        ("key", "[llm]\napi_key = \"sk-in-a-file\"\n"),
    ] {
        let file = env.write_file(&format!("{name}.toml"), text);
        let before = env.table_counts();
        let out = fakes.run(
            &env,
            &["eval", "run", "--candidate", file.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("{name}.toml")),
            "{}",
            stderr(&out)
        );
        assert_eq!(env.table_counts(), before);
    }
    assert!(fakes.llm.recorder.requests().is_empty());
}

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// Runs headless Chromium with `args` and a deadline; returns its stdout.
fn headless(binary: &str, profile: &Path, args: &[String]) -> String {
    let mut child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut text);
        text
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

#[test]
fn the_html_report_is_self_contained_escaped_and_renders_in_chromium() {
    let env = stored_leads(5);
    let fakes = Fakes::start(Behaviour::EnforcesSchema);
    let candidate = write_candidate(&env, "html", 2);
    let id = run_id(&fakes.json(&env, &["eval", "run", "--candidate", &candidate]));
    let page = env.path().join("report.html");
    let page_arg = page.to_str().unwrap();
    let out = fakes.run(&env, &["eval", "report", &id, "--html", page_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    for external in ["<script", "<link", "src=", "url(", "http://", "https://"] {
        assert!(!html.contains(external), "the page loads {external:?}");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    // Never clobbered unless asked.
    std::fs::write(&page, "keep me").unwrap();
    let out = fakes.run(&env, &["eval", "report", &id, "--html", page_arg]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"));
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "keep me");
    let out = fakes.run(
        &env,
        &["eval", "report", &id, "--html", page_arg, "--force"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&page).unwrap(), html);

    let Some(binary) = chromium() else {
        println!("skipped: chromium not installed (apt-get install -y chromium)");
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let shot = env.path().join("report.png");
    let url = format!("file://{}", page.display());
    headless(
        binary,
        profile.path(),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600".into(),
            url.clone(),
        ],
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        png.len() > 20_000,
        "a near-empty screenshot ({} bytes)",
        png.len()
    );
    let dom = headless(binary, profile.path(), &["--dump-dom".into(), url]);
    assert!(dom.contains("Eval run"), "{dom}");
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the lead's text is shown as text"
    );
    assert!(
        !dom.contains("<script>alert(1)"),
        "the lead's text became markup"
    );
}

#[test]
fn a_recomposed_draft_is_one_lead_and_its_new_text_is_what_the_operator_saw() {
    let env = stored_leads(3);
    let ids = draft_ids(&env);
    env.write_config(
        "[templates.default]\nsubject = \"Fresh start, {{first_name_or_there}}\"\nbody = \"Hi {{first_name_or_there}},\\n\\nA new text.\\n\"\n",
    );
    let out = env.run(&["drafts", "recompose", &ids[1]]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["drafts", "approve", "--yes", &ids[1]]);
    assert!(out.status.success(), "{}", stderr(&out));
    let fakes = Fakes::start(Behaviour::EnforcesSchema);
    let candidate = write_candidate(&env, "after-recompose", 2);
    let report = fakes.json(&env, &["eval", "run", "--candidate", &candidate]);
    assert_eq!(report["summary"]["leads"], 3, "{report:#}");
    let shown = fakes.json(&env, &["eval", "show", &run_id(&report)]);
    let lead = shown["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["draft_id"] == ids[1].as_str())
        .unwrap()
        .clone();
    assert_eq!(lead["decision"], "approved", "{lead:#}");
    assert!(
        lead["original"]["subject"]
            .as_str()
            .unwrap()
            .starts_with("Fresh start"),
        "{lead:#}"
    );
}
