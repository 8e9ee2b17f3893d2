//! Global behaviour: configuration layering and errors, the suppression list, database checks, help.

use crate::env::{TestEnv, fixture, stderr, stdout};

#[test]
fn config_check_redacts_secrets_and_lists_problems() {
    let env = TestEnv::new().env("SALESAGENT_HUBSPOT_TOKEN", "pat-na1-super-secret-token");
    env.write_config("[connectors]\ncrm = \"hubspot\"\nmailbox = \"gmail\"\n");
    let out = env.run(&["config", "check", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("super-secret"), "secret leaked: {all}");
    let report = crate::env::parse_json(&out.stdout);
    assert_eq!(report["ok"], false);
    assert_eq!(report["config"]["hubspot"]["token"], "***");
    let keys: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"gmail.client_id"), "{keys:?}");
    let human = env.run(&["config", "check"]);
    assert!(!stdout(&human).contains("super-secret"));
    assert!(
        stderr(&human).contains("error: gmail.refresh_token"),
        "{}",
        stderr(&human)
    );
}

#[test]
fn config_check_is_clean_by_default() {
    let env = TestEnv::new();
    let out = env.run(&["config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("configuration OK"));
}

#[test]
fn a_bad_config_file_exits_3_naming_the_key() {
    let env = TestEnv::new();
    env.write_config("[send]\nalow = true\n");
    let out = env.run(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("alow"), "{}", stderr(&out));
    let missing = env.run(&["--config", "nope.toml", "workflows", "list"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(stderr(&missing).contains("cannot read config file nope.toml"));
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let env = TestEnv::new();
    env.init_db();
    assert!(env.run(&["workflows", "list"]).status.success());
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute(
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (999, 'future', '', '0')",
        [],
    )
    .unwrap();
    drop(conn);
    let out = env.run(&["workflows", "list"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("schema version 999"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_missing_database_directory_is_a_configuration_error() {
    let env = TestEnv::new();
    let out = env
        .cmd()
        .env("SALESAGENT_DB", env.path().join("no/such/dir/x.db"))
        .args(["workflows", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
}

#[test]
fn the_db_flag_beats_the_environment() {
    let env = TestEnv::new();
    let other = env.path().join("other.db");
    let out = env
        .cmd()
        .args([
            "--db",
            other.to_str().unwrap(),
            "run",
            fixture("seed-shape.json").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(other.exists());
    assert!(!env.db().exists());
}

#[test]
fn suppress_validates_and_removes() {
    let env = TestEnv::new();
    let bad = env.run(&["suppress", "add", "not-an-address", "--reason", "x"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("has no @"), "{}", stderr(&bad));
    let bad_domain = env.run(&["suppress", "add", "@nodot", "--reason", "x"]);
    assert_eq!(bad_domain.status.code(), Some(2));
    assert!(
        env.run(&["suppress", "add", "a@b.co", "--reason", "asked"])
            .status
            .success()
    );
    let removed = env.run(&["suppress", "remove", "A@B.co"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    let again = env.run(&["suppress", "remove", "a@b.co"]);
    assert_eq!(again.status.code(), Some(5));
    // Both changes are in the audit log.
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'suppression.%'"),
        2
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let env = TestEnv::new();
    assert_eq!(env.run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(env.run(&["run"]).status.code(), Some(2));
    let help = env.run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("workflows"));
}

#[test]
fn json_output_goes_to_stdout_and_logs_to_stderr() {
    let env = TestEnv::new();
    env.write_file("mail/drafts", "in the way");
    let out = env
        .cmd()
        .args([
            "-v",
            "run",
            fixture("seed-shape.json").to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    // Whatever is logged, stdout stays one parseable JSON document.
    let report = crate::env::parse_json(&out.stdout);
    assert_eq!(report["status"], "failed");
    assert!(stderr(&out).contains("step failed"), "{}", stderr(&out));
}

#[test]
fn log_lines_can_be_json() {
    let env = TestEnv::new();
    env.write_file("mail/drafts", "in the way");
    let out = env
        .cmd()
        .args([
            "-v",
            "--log-format",
            "json",
            "run",
            fixture("seed-shape.json").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = stderr(&out)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("json log line"))
        .collect();
    let failed = lines
        .iter()
        .find(|l| l["message"] == "step failed")
        .expect("step failed logged");
    assert_eq!(failed["step"], "draft");
    assert!(failed["workflow_id"].is_string());
    // The workflow span adds the trace id minted at intake to every line.
    assert!(failed["span"]["trace_id"].is_string(), "{failed}");
}
