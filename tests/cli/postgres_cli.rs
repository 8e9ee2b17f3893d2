//! `--db postgres://…` above the store: commands that used to take the URL for a file, `db
//! backup|restore` on PostgreSQL, `config check`'s warning about the embedded mailbox, passwords
//! never shown, serve without a WAL checkpointer, `db copy` from SQLite (every kind of row, the
//! same reads after, killed and resumed), and intake through a PostgreSQL restart.
//!
//! Each test makes its own database on the server `SALESAGENT_TEST_PG` names (`scripts/pg.sh
//! start` prints one) and skips with one line when it is unset; the outage test starts a server
//! of its own (`PGPORT=55499 PGDATA_DIR=/tmp/pg-cli scripts/pg.sh start`).

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::backend::{Backend, PgDatabase};
use crate::env::{TestEnv, fixture, parse_json, stderr, stdout};
use crate::server_support::{Proc, SECRET, seed_payload, signed_env, wait_for};

/// A password the trust-authenticated test server ignores, so it must never show anywhere.
const PASSWORD: &str = "pw-never-shown-7Q";

/// The test server's URL, or `None` after the one line saying how to run these tests.
fn test_server() -> Option<String> {
    Backend::postgres().and(crate::backend::server_url())
}

/// A test env whose commands use `url` as their database.
fn pg_env(url: &str) -> TestEnv {
    signed_env().env("SALESAGENT_DB", url)
}

fn assert_no_password(what: &str, text: &str) {
    assert!(
        !text.contains(PASSWORD),
        "the password shows in {what}:\n{text}"
    );
}

// --- item 1: the URL is not a file ----------------------------------------------------------

#[test]
fn read_commands_connect_to_postgres_instead_of_looking_for_a_file() {
    let Some(server) = test_server() else { return };
    let db = PgDatabase::create_on(&server);
    let env = pg_env(&db.url_with(PASSWORD));
    for args in [
        &["workflows", "list", "--json"][..],
        &["drafts", "list", "--json"],
        &["tenants", "list", "--json"],
    ] {
        let out = env.run(args);
        assert!(
            out.status.success(),
            "{args:?} on PostgreSQL: {}",
            stderr(&out)
        );
        assert_no_password("output", &format!("{}{}", stdout(&out), stderr(&out)));
    }
    // Nothing was created in the working directory from the URL's text.
    let stray: Vec<_> = std::fs::read_dir(env.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("postgres"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn an_unreachable_server_is_a_configuration_error_with_a_hint_and_no_password() {
    // No server needed: nothing listens on port 1.
    let env = TestEnv::new().env(
        "SALESAGENT_DB",
        &format!("postgres://sa:{PASSWORD}@127.0.0.1:1/sa?connect_timeout=5"),
    );
    let out = env.run(&["workflows", "list"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(err.contains("postgres://sa:***@127.0.0.1:1/sa"), "{err}");
    assert_no_password("the error", &err);
}

#[test]
fn an_empty_or_missing_password_source_is_refused_never_taken_as_no_password() {
    // No server needed: the password is resolved before anything connects.
    let empty = TestEnv::new();
    let file = empty.path().join("db-password");
    std::fs::write(&file, "").unwrap();
    let cases = [
        (
            "SALESAGENT_DB_PASSWORD_FILE",
            file.to_str().unwrap().to_string(),
            "is empty",
        ),
        (
            "SALESAGENT_DB_PASSWORD_FILE",
            empty.path().join("missing").to_str().unwrap().to_string(),
            "SALESAGENT_DB_PASSWORD_FILE",
        ),
        ("SALESAGENT_DB_PASSWORD", String::new(), "set but empty"),
    ];
    for (var, value, says) in cases {
        let env = TestEnv::new()
            .env(
                "SALESAGENT_DB",
                "postgres://sa@127.0.0.1:1/sa?connect_timeout=5",
            )
            .env(var, &value);
        let out = env.run(&["workflows", "list"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{var}={value:?}: {err}");
        assert!(
            err.contains(says) && err.contains("hint:"),
            "{var}={value:?}: {err}"
        );
    }
}

#[test]
fn db_backup_and_restore_on_postgres_name_pg_dump_and_pg_basebackup() {
    let env = TestEnv::new().env(
        "SALESAGENT_DB",
        &format!("postgres://sa:{PASSWORD}@127.0.0.1:1/sa"),
    );
    let file = env.path().join("backup.db");
    for args in [
        vec!["db", "backup", file.to_str().unwrap()],
        vec!["db", "restore", file.to_str().unwrap(), "--yes"],
    ] {
        let out = env.run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("pg_dump") && err.contains("pg_basebackup"),
            "{err}"
        );
        assert_no_password("the error", &err);
        assert!(!file.exists(), "{args:?} wrote a file");
    }
}

#[test]
fn config_check_warns_of_the_embedded_mailbox_without_a_shared_data_dir() {
    let env = TestEnv::new().env(
        "SALESAGENT_DB",
        &format!("postgres://sa:{PASSWORD}@db.example:5432/sa?sslmode=require"),
    );
    let out = env.run(&["config", "check", "--json"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_no_password("config check --json", &text);
    let report = parse_json(&out.stdout);
    assert_eq!(
        report["config"]["db"], "postgres://sa:***@db.example:5432/sa?sslmode=require",
        "{report}"
    );
    assert_eq!(report["data_dir"], ".", "{report}");
    let warning = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "data_dir")
        .unwrap_or_else(|| panic!("no data_dir warning: {report}"));
    assert_eq!(warning["severity"], "warning");
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("invisible on another"),
        "{warning}"
    );
    // Human output: the TOML and the warning, without the password.
    let human = env.run(&["config", "check"]);
    assert_no_password(
        "config check",
        &format!("{}{}", stdout(&human), stderr(&human)),
    );
    assert!(stderr(&human).contains("data_dir"), "{}", stderr(&human));
    // An explicit data directory (the operator says it is shared), or Gmail: no warning.
    let shared = env.run(&["config", "check", "--json", "--data-dir", "/srv/shared"]);
    let report = parse_json(&shared.stdout);
    assert!(
        !report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["key"] == "data_dir"),
        "{report}"
    );
    // A SQLite file: no warning either.
    let sqlite = TestEnv::new().run(&["config", "check", "--json"]);
    assert!(!stdout(&sqlite).contains("\"data_dir\",\"severity\""));
}

/// The names of a process's threads.
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| {
            tasks
                .filter_map(|t| t.ok())
                .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
                .map(|n| n.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// POSTs a seed payload for lead `n`, signed for `url`; returns the status (0: no answer).
fn post_signed(client: &reqwest::blocking::Client, url: &str, n: usize) -> u16 {
    let body = seed_payload(n);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.clone());
    for (k, v) in salesagent::webhook::signed_headers(SECRET, "v3", url, &body, now) {
        req = req.header(k, v);
    }
    match req.send() {
        Ok(resp) => resp.status().as_u16(),
        Err(_) => 0,
    }
}

fn http_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[test]
fn serve_on_postgres_accepts_webhooks_without_a_wal_checkpointer_or_the_password_in_its_log() {
    let Some(server) = test_server() else { return };
    let db = PgDatabase::create_on(&server);
    let env = pg_env(&db.url_with(PASSWORD));
    let serve = Proc::serve(&env, &["--workers", "0"]);
    // "listening on" comes before the store's threads start: wait for the writer's.
    wait_for("the intake writer thread", || {
        thread_names(serve.pid())
            .iter()
            .any(|n| n == "intake-writer")
    });
    assert_eq!(post_signed(&http_client(), &serve.url(), 1), 202);
    let names = thread_names(serve.pid());
    assert!(
        !names.iter().any(|n| n == "checkpointer"),
        "a WAL checkpointer runs on PostgreSQL: {names:?}"
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM submissions"), 1);
    assert_no_password("serve's log", &serve.stderr());
}

// --- item 2: db copy -----------------------------------------------------------------------

/// A SQLite database with every kind of row, made through the binary (dead letters and their
/// attempts as the worker leaves them, like the dlq tests).
fn sqlite_with_every_kind_of_row() -> TestEnv {
    let env = signed_env();
    // A workflow failed at the guard (a failed workflow, a failed step).
    crate::dlq::failed_workflow(&env);
    std::fs::remove_file(env.path().join("salesagent.toml")).unwrap();
    // A suppressed domain: one of the fixtures' workflows ends suppressed.
    let out = env.run(&[
        "suppress",
        "add",
        "@example77.com",
        "--reason",
        "asked",
        "--by",
        "ann",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let suppressed = env.write_file("suppressed.json", seed_payload(77));
    let out = env.run(&["run", suppressed.to_str().unwrap()]);
    assert!(out.status.code().is_some(), "{}", stderr(&out));
    for name in [
        "seed-shape.json",
        "forms-v3.json",
        "webhooks-events.json",
        "workflow-contact-v1.json",
    ] {
        let out = env.run(&["run", fixture(name).to_str().unwrap()]);
        assert!(out.status.code().is_some(), "{}", stderr(&out));
    }
    // An import with a rejected row (import_jobs, import_row_errors, pending batch jobs).
    let out = env.run(&[
        "import",
        fixture("leads.csv").to_str().unwrap(),
        "--form-id",
        "f-demo",
    ]);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(11),
        "{}",
        stderr(&out)
    );
    // Drafts approved and rejected (audit entries, reviewed drafts, mail files moved).
    let drafts = env.json(&["drafts", "list"]);
    let ids: Vec<&str> = drafts
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert!(ids.len() >= 2, "{drafts}");
    let ok = |args: &[&str]| {
        let out = env.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        out
    };
    // A reconciliation report.
    let out = env.run(&["reconcile"]);
    assert!(out.status.code().is_some(), "{}", stderr(&out));
    ok(&["drafts", "approve", ids[0], "--by", "ann"]);
    ok(&[
        "drafts",
        "reject",
        ids[1],
        "--reason",
        "off topic",
        "--by",
        "ann",
    ]);
    // A dead letter with its attempts.
    let workflow = env.json(&["workflows", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    crate::dlq::dead_letter(
        &env,
        "dl-copy-0001",
        Some(&workflow),
        "transient",
        "timed out",
    );
    // Suppressions, mode, API keys (one rotated: a self-reference), a privacy erasure (privacy
    // key, blanked rows, keyed suppression).
    ok(&[
        "suppress",
        "add",
        "@spam.example",
        "--reason",
        "spam",
        "--by",
        "ann",
    ]);
    ok(&[
        "mode",
        "set",
        "draft-only",
        "--reason",
        "quiet week",
        "--by",
        "ann",
    ]);
    let key = parse_json(
        &ok(&[
            "keys",
            "create",
            "--name",
            "zapier",
            "--scope",
            "workflows:read",
            "--by",
            "ann",
            "--json",
        ])
        .stdout,
    );
    let key_id = key["id"].as_str().unwrap().to_string();
    ok(&["keys", "rotate", &key_id, "--by", "ann"]);
    ok(&[
        "privacy",
        "erase",
        "john@acme.com",
        "--reason",
        "request",
        "--yes",
        "--by",
        "ann",
    ]);
    env
}

/// The read commands whose `--json` must be the same on both databases (times that are "now"
/// removed).
const READS: &[&[&str]] = &[
    &["workflows", "list", "--limit", "1000"],
    &["drafts", "list", "--limit", "1000"],
    &["audit", "list", "--limit", "1000"],
    &["crm", "tasks"],
    &["dlq", "list"],
    &["import", "list"],
    &["suppress", "list"],
    &["keys", "list"],
    &["mode", "show"],
    &["tenants", "list"],
    &["crm", "contacts"],
    &["stats"],
    &["quarantine", "list"],
    &["reconcile", "reports"],
    &["usage"],
];

fn read_json(env: &TestEnv, db: &str, args: &[&str]) -> Value {
    let out = env
        .cmd()
        .env("SALESAGENT_DB", db)
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} on {db}: {}", stderr(&out));
    let mut value = parse_json(&out.stdout);
    // The window `stats` reads ends now, and `usage` says when it was made: not properties of
    // the data.
    if let Some(fields) = value.as_object_mut() {
        fields.remove("since");
        fields.remove("generated_at");
    }
    value
}

fn copy(env: &TestEnv, to: &str, extra: &[&str]) -> std::process::Output {
    env.cmd()
        .args(["db", "copy", "--to", to, "--json"])
        .args(extra)
        .output()
        .unwrap()
}

fn assert_counts_equal(report: &Value) {
    assert_eq!(report["equal"], true, "{report}");
    for t in report["tables"].as_array().unwrap() {
        assert_eq!(t["source"], t["target"], "{t}");
    }
}

#[test]
fn db_copy_moves_every_kind_of_row_and_the_reads_agree() {
    let Some(server) = test_server() else { return };
    let env = sqlite_with_every_kind_of_row();
    let statuses: std::collections::BTreeSet<String> = env
        .json(&["workflows", "list", "--limit", "1000"])
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["status"].as_str().unwrap().to_string())
        .collect();
    for status in ["pending", "completed", "failed", "suppressed"] {
        assert!(
            statuses.contains(status),
            "no {status} workflow: {statuses:?}"
        );
    }
    let db = PgDatabase::create_on(&server);
    let out = copy(&env, &db.url_with(PASSWORD), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_password("db copy", &format!("{}{}", stdout(&out), stderr(&out)));
    let report = parse_json(&out.stdout);
    assert_counts_equal(&report);
    let rows = |table: &str| {
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == table)
            .unwrap()["target"]
            .as_i64()
            .unwrap()
    };
    for table in [
        "submissions",
        "workflows",
        "workflow_steps",
        "drafts",
        "tasks",
        "jobs",
        "job_attempts",
        "dead_letters",
        "import_jobs",
        "import_row_errors",
        "audit_log",
        "suppressions",
        "settings",
        "usage",
        "api_keys",
        "privacy_keys",
        "crm_contacts",
        "crm_tasks",
        "reconciliation_reports",
    ] {
        assert!(
            rows(table) > 0,
            "no {table} rows to prove the copy: {report}"
        );
    }
    let sqlite = env.db().display().to_string();
    for args in READS {
        assert_eq!(
            read_json(&env, &sqlite, args),
            read_json(&env, &db.url(), args),
            "{args:?} differs between SQLite and the copy"
        );
    }
    // The copied tables have the planner's statistics already (ANALYZE at the end): without
    // them the first minute's plans are made for empty tables.
    assert_eq!(
        db.count(
            "SELECT COUNT(DISTINCT tablename) FROM pg_stats WHERE schemaname = current_schema()
             AND tablename IN ('workflows', 'workflow_steps', 'crm_contacts', 'crm_tasks')"
        ),
        4
    );
    // The rotated key still points at its successor; the audit log is still append-only.
    assert_eq!(
        db.count("SELECT COUNT(*) FROM api_keys WHERE rotated_to IS NOT NULL"),
        1
    );
    assert!(db.client().batch_execute("DELETE FROM audit_log").is_err());
    // Identity sequences are past the copied rows: a new row takes a fresh rowid (before, the
    // sequence started at 1 and collided with the first copied row).
    db.client()
        .batch_execute(
            "INSERT INTO suppressions (tenant_id, value, reason, created_by, created_at)
             VALUES ('default', 'late@example.com', 'r', 'ann', 1)",
        )
        .expect("a new suppression after the copy");
    assert_eq!(
        db.count(
            "SELECT COUNT(*) FROM suppressions
             WHERE value = 'late@example.com' AND rowid > (SELECT MIN(rowid) FROM suppressions)"
        ),
        1
    );
}

#[test]
fn db_copy_refuses_a_target_with_other_rows_and_a_postgres_source() {
    let Some(server) = test_server() else { return };
    let db = PgDatabase::create_on(&server);
    let pg = pg_env(&db.url());
    // A database in use: migrated by a command, with a row of its own.
    let out = pg.run(&["workflows", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    db.client()
        .batch_execute(
            "INSERT INTO suppressions (tenant_id, value, reason, created_by, created_at)
             VALUES ('default', 'x@example.com', 'r', 'ann', 1)",
        )
        .unwrap();
    let env = signed_env();
    env.init_db();
    let out = env.run(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = copy(&env, &db.url(), &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("hint:"), "{}", stderr(&out));
    // --restart does not empty a database that holds something else.
    let out = copy(&env, &db.url(), &["--restart", "--yes"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(db.count("SELECT COUNT(*) FROM suppressions"), 1);
    assert_eq!(db.count("SELECT COUNT(*) FROM submissions"), 0);
    // The source must be SQLite, the target PostgreSQL.
    let out = pg.run(&["db", "copy", "--to", &db.url()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = env.run(&["db", "copy", "--to", "other.db"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// A CSV of `n` distinct leads.
fn leads_csv(n: usize) -> String {
    let mut csv = String::from("email,firstname,lastname,company\n");
    for i in 0..n {
        csv.push_str(&format!(
            "lead{i}@example{i}.com,Lee,Number{i},Example {i} Ltd\n"
        ));
    }
    csv
}

#[test]
fn db_copy_killed_mid_way_resumes_to_equal_counts_and_restarts_from_scratch() {
    let Some(server) = test_server() else { return };
    let env = signed_env();
    let csv = env.write_file("many.csv", leads_csv(3000));
    let out = env.run(&["import", csv.to_str().unwrap(), "--form-id", "f-demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let db = PgDatabase::create_on(&server);
    let mut child = env
        .std_command()
        .args(["db", "copy", "--to", &db.url(), "--batch", "20"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some (not all) of the submissions are in.
    wait_for("the copy to be under way", || {
        let mut c = db.client();
        c.query_opt("SELECT COUNT(*) FROM submissions", &[])
            .ok()
            .flatten()
            .is_some_and(|r| r.get::<_, i64>(0) >= 200)
            || child.try_wait().unwrap().is_some()
    });
    let _ = child.kill();
    let _ = child.wait();
    let partial = db.count("SELECT COUNT(*) FROM submissions")
        + db.count("SELECT COUNT(*) FROM workflows")
        + db.count("SELECT COUNT(*) FROM jobs");
    assert!(partial < 9000, "the copy finished before it was killed");
    let out = copy(&env, &db.url(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = parse_json(&out.stdout);
    assert_eq!(report["resumed"], true, "{report}");
    assert_counts_equal(&report);
    assert_eq!(db.count("SELECT COUNT(*) FROM submissions"), 3000);
    // Run again: a finished copy is only compared. --restart copies it all again.
    let again = parse_json(&copy(&env, &db.url(), &[]).stdout);
    assert_eq!(again["copied"], 0, "{again}");
    assert_counts_equal(&again);
    let out = copy(&env, &db.url(), &["--restart", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = parse_json(&out.stdout);
    assert_counts_equal(&report);
    assert_eq!(report["resumed"], false, "{report}");
    assert_eq!(db.count("SELECT COUNT(*) FROM submissions"), 3000);
}

// --- item 3: the database goes away --------------------------------------------------------

/// A PostgreSQL server of a test's own (`scripts/pg.sh` on a port and directory of its own),
/// stopped, and its files removed, when dropped.
struct OwnServer {
    port: &'static str,
    dir: &'static str,
    tls_only: bool,
}

impl OwnServer {
    /// Starts it (`tls_only`: see `SSL=on` in scripts/pg.sh) and returns it with its URL; `None`
    /// (after one line saying so) when PostgreSQL, or for TLS openssl, is not installed.
    fn start(port: &'static str, dir: &'static str, tls_only: bool) -> Option<(OwnServer, String)> {
        if std::fs::read_dir("/usr/lib/postgresql").is_err() {
            let _ = writeln!(
                std::io::stdout(),
                "skipped: PostgreSQL is not installed (apt-get install -y postgresql)"
            );
            return None;
        }
        if tls_only && Command::new("openssl").arg("version").output().is_err() {
            let _ = writeln!(
                std::io::stdout(),
                "skipped: openssl is not installed (apt-get install -y openssl)"
            );
            return None;
        }
        let server = OwnServer {
            port,
            dir,
            tls_only,
        };
        let started = server.pg_sh("start");
        assert!(started.status.success(), "{}", stderr(&started));
        let url = stdout(&started).trim().to_string();
        Some((server, url))
    }

    /// `scripts/pg.sh CMD` for this server.
    fn pg_sh(&self, cmd: &str) -> std::process::Output {
        Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg.sh"))
            .arg(cmd)
            .env("PGPORT", self.port)
            .env("PGDATA_DIR", self.dir)
            .env("SSL", if self.tls_only { "on" } else { "off" })
            .output()
            .expect("run scripts/pg.sh")
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.pg_sh("stop");
    }
}

#[test]
fn intake_answers_503_while_postgres_is_down_and_every_202_is_stored() {
    // Dropped last: the server stops (and its files go) however the test ends.
    let Some((own, server)) = OwnServer::start("55499", "/tmp/pg-cli", false) else {
        return;
    };
    let db = PgDatabase::create_on(&server);
    let env = pg_env(&db.url());
    let serve = Proc::serve(&env, &["--workers", "0"]);
    let url = serve.url();
    let base = serve.base.clone();
    let stop = Arc::new(AtomicBool::new(false));
    // Two clients post distinct leads until told to stop; each remembers what it was told.
    let clients: Vec<_> = (0..2)
        .map(|c| {
            let (url, stop) = (url.clone(), stop.clone());
            std::thread::spawn(move || {
                let client = http_client();
                let mut answers = Vec::new();
                let mut n = c * 1_000_000;
                let deadline = Instant::now() + Duration::from_secs(240);
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    answers.push((n, post_signed(&client, &url, n)));
                    n += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
                answers
            })
        })
        .collect();
    let accepted_before = |db: &PgDatabase| db.count("SELECT COUNT(*) FROM submissions");
    wait_for("intake under load", || accepted_before(&db) >= 20);
    let down = own.pg_sh("down");
    assert!(down.status.success(), "{}", stderr(&down));
    let client = http_client();
    let mut probe = 2_000_000;
    wait_for("a 503 while the database is down", || {
        probe += 1;
        post_signed(&client, &url, probe) == 503
    });
    let ready = client.get(format!("{base}/health/ready")).send().unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    std::thread::sleep(Duration::from_secs(2));
    let up = own.pg_sh("up");
    assert!(up.status.success(), "{}", stderr(&up));
    wait_for("intake to reconnect by itself", || {
        probe += 1;
        post_signed(&client, &url, probe) == 202
    });
    wait_for("readiness again", || {
        client
            .get(format!("{base}/health/ready"))
            .send()
            .is_ok_and(|r| r.status().as_u16() == 200)
    });
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::SeqCst);
    let answers: Vec<(usize, u16)> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    let unexpected: Vec<_> = answers
        .iter()
        .filter(|(_, s)| ![202, 503].contains(s))
        .collect();
    assert!(
        unexpected.is_empty(),
        "answers other than 202 and 503: {unexpected:?}"
    );
    assert!(
        answers.iter().any(|(_, s)| *s == 503),
        "the load saw no outage"
    );
    let mut pg = db.client();
    for (n, status) in &answers {
        let stored: i64 = pg
            .query_one(
                "SELECT COUNT(*) FROM submissions WHERE external_id = $1",
                &[&format!("sub-{n}")],
            )
            .unwrap()
            .get(0);
        if *status == 202 {
            assert_eq!(stored, 1, "lead {n} was answered 202 but is not stored");
        }
    }
    // The process and its writer are still the ones that started.
    assert!(
        thread_names(serve.pid())
            .iter()
            .any(|n| n == "intake-writer"),
        "{}",
        serve.stderr()
    );
}

// --- TLS -------------------------------------------------------------------------------------

/// `sslmode=require` against a real server that accepts TLS connections only, its certificate
/// signed by a CA of its own: with that CA as `sslrootcert` the pipeline runs end to end; without
/// it the certificate is refused; without `sslmode=require` the server refuses us, so what worked
/// went over TLS. Nothing falls back to a connection without TLS or an unchecked certificate.
#[test]
fn sslmode_require_checks_the_servers_certificate_against_sslrootcert() {
    let Some((own, server)) = OwnServer::start("55497", "/tmp/pg-tls", true) else {
        return;
    };
    let ca = Path::new(own.dir).join("ca.crt");
    let tls = format!("{server}?sslmode=require&sslrootcert={}", ca.display());
    let env = pg_env(&tls);
    let out = env.run(&["run", fixture("forms-v3.json").to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let run: Value = parse_json(&out.stdout);
    assert_eq!(run["status"], "completed", "{run}");
    let listed = env.json(&["workflows", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

    let refused = |url: &str, why: &str| {
        let out = pg_env(url).run(&["workflows", "list", "--json"]);
        assert_eq!(out.status.code(), Some(3), "{url}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{url}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{url}: {}", stdout(&out));
    };
    refused(&server, "no encryption");
    refused(&format!("{server}?sslmode=require"), "UnknownIssuer");
    refused(&format!("{server}?sslmode=require"), "sslrootcert=");
    refused(
        &format!("{server}?sslrootcert={}", ca.display()),
        "sslmode is not require",
    );
    let empty = env.write_file("empty.pem", "");
    refused(
        &format!("{server}?sslmode=require&sslrootcert={}", empty.display()),
        "no certificate in it",
    );
}
