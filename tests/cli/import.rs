//! `salesagent import`: the leads.csv sample, generated files, every wrong header and bad row,
//! BOM/CRLF/quoted newlines, dry runs, pause/resume/cancel, and a SIGKILL mid-import.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::env::{Backend, TestEnv, fixture, parse_json, stderr, stdout};

crate::on_both_backends!(
    sigkill_mid_import_then_rerun_resumes_without_duplicates,
    import_resume_continues_a_killed_import_by_id,
);

/// `n` valid rows; every `bad_every`-th one (when set) has a broken email.
pub(crate) fn generated(n: usize, bad_every: Option<usize>) -> String {
    let mut text = String::from("email,firstName,lastName,company,formId\n");
    for i in 1..=n {
        let email = match bad_every {
            Some(k) if i % k == 0 => format!("broken{i}.example.com"),
            _ => format!("lead{i}@company{}.com", i % 97),
        };
        writeln!(
            text,
            "{email},First{i},Last{i},Company {},form-{}",
            i % 97,
            i % 3
        )
        .unwrap();
    }
    text
}

fn import_json(env: &TestEnv, args: &[&str], code: i32) -> serde_json::Value {
    let out = env
        .cmd()
        .arg("import")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    parse_json(&out.stdout)
}

fn count(env: &TestEnv, table: &str) -> i64 {
    env.sql_i64(&format!("SELECT COUNT(*) FROM {table}"))
}

#[test]
fn leads_sample_accepts_three_rows_and_rejects_the_bad_one() {
    let env = TestEnv::new();
    let file = fixture("leads.csv");
    let out = env.run(&["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(11), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("imported 3 of 4 rows"), "{text}");
    assert!(text.contains("row 4, column email"), "{text}");
    assert!(
        !stderr(&out).contains("rows/s"),
        "no progress bar when piped"
    );
    assert_eq!(count(&env, "submissions"), 3);
    assert_eq!(count(&env, "workflows"), 3);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE queue = 'batch' AND state = 'available' AND import_job_id IS NOT NULL"),
        3
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM submissions WHERE source = 'import' AND shape = 'csv'"),
        3
    );
    // Quoted company with a comma survives.
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM submissions WHERE company = 'Contoso, Ltd.'"),
        1
    );
    let imports = env.json(&["import", "list"]);
    let id = imports[0]["id"].as_str().unwrap().to_string();
    let errors = env.run(&["import", "errors", &id, "--format", "csv"]);
    let csv = stdout(&errors);
    assert!(
        csv.starts_with(
            "email,firstName,lastName,company,formId,error_row,error_column,error_reason,error_extra_fields\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("not-an-email,Bad,Row,Nowhere Inc,form-123,4,email,"),
        "{csv}"
    );
    // The same file again is recognised by its content: nothing new, and nothing rejected now.
    let again = import_json(&env, &[file.to_str().unwrap()], 0);
    assert_eq!(again["already_imported"], true);
    assert_eq!(count(&env, "submissions"), 3);
}

#[test]
fn fixed_error_rows_import_cleanly() {
    let env = TestEnv::new();
    let file = fixture("leads.csv");
    env.run(&["import", file.to_str().unwrap()]);
    let id = env.json(&["import", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let csv = stdout(&env.run(&["import", "errors", &id, "--format", "csv"]));
    let fixed = csv.replace("not-an-email,", "bad.row@nowhere.com,");
    let path = env.write_file("fix.csv", fixed);
    let summary = import_json(&env, &[path.to_str().unwrap()], 0);
    assert_eq!(summary["rows_accepted"], 1);
    let custom = env.sql_i64(
        "SELECT COUNT(*) FROM submissions WHERE email = 'bad.row@nowhere.com' AND custom_fields = '{}'",
    );
    assert_eq!(custom, 1, "error_* columns must not become custom fields");
}

#[test]
fn a_valid_generated_file_exits_zero() {
    let env = TestEnv::new();
    let path = env.write_file("valid.csv", generated(2500, None));
    let summary = import_json(&env, &[path.to_str().unwrap()], 0);
    assert_eq!(summary["rows_read"], 2500);
    assert_eq!(summary["rows_accepted"], 2500);
    assert_eq!(summary["rows_rejected"], 0);
    assert_eq!(summary["state"], "completed");
    assert_eq!(count(&env, "submissions"), 2500);
    assert_eq!(count(&env, "jobs"), 2500);
}

#[test]
fn a_mixed_generated_file_exits_eleven_with_every_bad_row_recorded() {
    let env = TestEnv::new();
    let path = env.write_file("mixed.csv", generated(1000, Some(10)));
    let summary = import_json(&env, &[path.to_str().unwrap()], 11);
    assert_eq!(summary["rows_accepted"], 900);
    assert_eq!(summary["rows_rejected"], 100);
    let id = summary["import_id"].as_str().unwrap();
    let errors = env.json(&["import", "errors", id]);
    let errors = errors.as_array().unwrap();
    assert_eq!(errors.len(), 100);
    // Row numbers count the header as row 1, like a spreadsheet.
    assert_eq!(errors[0]["row"], 11);
    assert_eq!(errors[0]["column"], "email");
}

#[test]
fn wrong_headers_are_refused_before_any_row_is_read() {
    let env = TestEnv::new();
    let cases: &[(&str, &str, &str)] = &[
        (
            "noemail.csv",
            "name,company,formId\nA,B,f\n",
            "no email column",
        ),
        (
            "noform.csv",
            "email,company\na@b.co,B\n",
            "no formId column",
        ),
        (
            "twice.csv",
            "email,E-mail Address,formId\na@b.co,a@b.co,f\n",
            "both give the email",
        ),
        ("data.csv", "john@acme.com,John,form-1\n", "looks like data"),
        (
            "blankcol.csv",
            "email,,formId\na@b.co,x,f\n",
            "column 2 has no name",
        ),
        ("empty.csv", "", "is empty"),
    ];
    for (name, text, expected) in cases {
        let path = env.write_file(name, text);
        let out = env.run(&["import", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(expected), "{name}: {err}");
        if !text.is_empty() {
            assert!(err.contains("expected: email, firstName"), "{name}: {err}");
            assert!(err.contains("found:"), "{name}: {err}");
        }
    }
    let utf16 = env.write_file("utf16.csv", b"\xFF\xFEe\0m\0a\0i\0l\0\n\0");
    let out = env.run(&["import", utf16.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("UTF-16"), "{}", stderr(&out));
    let latin1 = env.write_file("latin1.csv", b"email,Soci\xe9t\xe9,formId\na@b.co,x,f\n");
    let out = env.run(&["import", latin1.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not UTF-8"), "{}", stderr(&out));
    let out = env.run(&["import", "missing.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such file"));
    let out = env.run(&["import", "x.csv", "--map", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    if env.db().exists() {
        assert_eq!(count(&env, "submissions"), 0);
        assert_eq!(count(&env, "import_jobs"), 0);
    }
}

#[test]
fn each_bad_row_is_rejected_with_row_column_and_reason() {
    let env = TestEnv::new();
    env.run(&["suppress", "add", "@blocked.com", "--reason", "asked"]);
    let long = "x".repeat(501);
    let text = format!(
        "email,firstName,lastName,company,formId\n\
         ok@fine.com,Ok,Row,Fine,f1\n\
         not-an-email,A,B,C,f1\n\
         ,A,B,C,f1\n\
         long@fine.com,{long},B,C,f1\n\
         short@fine.com,A,B\n\
         noform@fine.com,A,B,C,\n\
         someone@blocked.com,A,B,C,f1\n\
         OK@fine.com,Again,Row,Fine,f1\n"
    );
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"bad\xffutf@fine.com,A,B,C,f1\n");
    let path = env.write_file("bad.csv", bytes);
    let summary = import_json(&env, &[path.to_str().unwrap()], 11);
    assert_eq!(summary["rows_read"], 9);
    assert_eq!(summary["rows_accepted"], 1);
    let id = summary["import_id"].as_str().unwrap();
    let errors = env.json(&["import", "errors", id]);
    let by_row = |row: i64| {
        errors
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["row"] == row)
            .unwrap_or_else(|| panic!("row {row} not rejected: {errors}"))
            .clone()
    };
    let check = |row: i64, column: Option<&str>, reason: &str| {
        let e = by_row(row);
        assert_eq!(e["column"].as_str(), column, "row {row}: {e}");
        assert!(
            e["reason"].as_str().unwrap().contains(reason),
            "row {row}: {e}"
        );
    };
    check(3, Some("email"), "has no @");
    check(4, Some("email"), "is missing");
    check(5, Some("firstName"), "501 characters");
    check(6, None, "has 3 field(s); the header has 5");
    check(7, Some("formId"), "is empty");
    check(8, Some("email"), "is suppressed");
    check(9, None, "duplicate of row 2 (same email and form)");
    check(10, Some("email"), "not valid UTF-8");
    // Against earlier submissions, from another file.
    let other = env.write_file(
        "other.csv",
        "email,formId\nok@fine.com,f1\nnew@fine.com,f1\n",
    );
    let summary = import_json(&env, &[other.to_str().unwrap()], 11);
    assert_eq!(summary["rows_accepted"], 1);
    assert!(
        summary["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("duplicate of existing submission"),
        "{summary}"
    );
}

#[test]
fn bom_crlf_quoted_newlines_form_id_and_map() {
    let env = TestEnv::new();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        b"E-mail Address,First Name,Nachname,Notes,Budget\r\n\
          dana@northwind.com,Dana,Whitfield,\"Line one,\r\nline \"\"two\"\"\",50k\r\n\
          lee@brightline.io,Lee,Park,,\r\n",
    );
    let path = env.write_file("crlf.csv", bytes);
    let summary = import_json(
        &env,
        &[
            path.to_str().unwrap(),
            "--form-id",
            "form-9",
            "--map",
            "Nachname=last_name",
        ],
        0,
    );
    assert_eq!(summary["rows_accepted"], 2, "{summary}");
    assert_eq!(
        env.sql_i64(
            "SELECT COUNT(*) FROM submissions WHERE form_id = 'form-9' AND last_name = 'Whitfield'"
        ),
        1
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM submissions WHERE message = 'Line one,' || char(13, 10) || 'line \"two\"'"),
        1
    );
    assert_eq!(
        env.sql_i64(
            "SELECT COUNT(*) FROM submissions WHERE custom_fields = '{\"Budget\":\"50k\"}'"
        ),
        1
    );
}

#[test]
fn dry_run_writes_nothing() {
    let env = TestEnv::new();
    let file = fixture("leads.csv");
    // Without a database it does not even create one.
    let out = env.run(&["import", file.to_str().unwrap(), "--dry-run"]);
    assert_eq!(out.status.code(), Some(11), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("dry run: would import 3 of 4"),
        "{}",
        stdout(&out)
    );
    assert!(!env.db().exists());
    // With one, nothing changes in it.
    env.run(&["suppress", "add", "john@acme.com", "--reason", "asked"]);
    let before = env.table_counts();
    let summary = import_json(&env, &[file.to_str().unwrap(), "--dry-run"], 11);
    assert_eq!(summary["rows_accepted"], 2);
    assert_eq!(summary["dry_run"], true);
    assert_eq!(env.table_counts(), before);
    assert_eq!(count(&env, "import_jobs"), 0);
    // In-file duplicates are found without the store.
    let dup = env.write_file("dup.csv", "email,formId\na@b.co,f\nA@B.co,f\n");
    let summary = import_json(&env, &[dup.to_str().unwrap(), "--dry-run"], 11);
    assert!(
        summary["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("duplicate of row 2")
    );
}

#[test]
fn pause_resume_and_cancel_hold_release_and_cancel_queued_jobs() {
    let env = TestEnv::new();
    let path = env.write_file("p.csv", generated(50, None));
    let summary = import_json(&env, &[path.to_str().unwrap()], 0);
    let id = summary["import_id"].as_str().unwrap().to_string();
    let held = env.json(&["import", "pause", &id]);
    assert_eq!(held["jobs_held"], 50);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'held'"),
        50
    );
    let status = env.json(&["import", "status", &id]);
    assert_eq!(status["state"], "paused");
    assert_eq!(status["jobs"]["held"], 50);
    assert_eq!(status["rows_accepted"], 50);
    // The same file again is refused while paused.
    let out = env.run(&["import", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("import resume"));
    let out = env.run(&["import", "resume", &id[..8]]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("50 held job(s) released"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'available'"),
        50
    );
    assert_eq!(env.json(&["import", "status", &id])["state"], "completed");
    // A job already finished is kept by cancel; the rest are cancelled with their workflows.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(
        "UPDATE jobs SET state = 'completed' WHERE rowid IN (SELECT rowid FROM jobs LIMIT 5);
         UPDATE workflows SET status = 'completed' WHERE id IN (SELECT workflow_id FROM jobs WHERE state = 'completed');",
    )
    .unwrap();
    let cancelled = env.json(&["import", "cancel", &id]);
    assert_eq!(cancelled["jobs_cancelled"], 45);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'completed'"),
        5
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'cancelled'"),
        45
    );
    let status = env.json(&["import", "status", &id]);
    assert_eq!(status["workflows_completed"], 5);
    // A cancel can be undone: resume runs the cancelled (never started) workflows after all.
    let out = env.run(&["import", "resume", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("45 cancelled job(s) requeued"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'pending'"),
        45
    );
    let out = env.run(&["import", "status", "ffffffff"]);
    assert_eq!(out.status.code(), Some(5));
}

/// Writes a generated file of `rows` valid rows and starts importing it in the background.
fn start_big_import(
    env: &TestEnv,
    rows: usize,
    output: fn() -> std::process::Stdio,
) -> (std::path::PathBuf, std::process::Child) {
    let path = env.write_file("big.csv", generated(rows, None));
    let child = env
        .std_command()
        .args(["import", path.to_str().unwrap()])
        .stdout(output())
        .stderr(output())
        .spawn()
        .unwrap();
    (path, child)
}

fn sigkill_mid_import_then_rerun_resumes_without_duplicates(backend: Backend) {
    let env = TestEnv::on(backend);
    let rows = 100_000;
    let (path, mut child) = start_big_import(&env, rows, std::process::Stdio::null);
    let started = Instant::now();
    let mut checkpoint = 0;
    while started.elapsed() < Duration::from_secs(120) {
        // Before the import has made the database (or its tables), there is nothing to read.
        if let Ok(Some(row)) = env.try_sql_i64("SELECT MAX(checkpoint_row) FROM import_jobs") {
            checkpoint = row;
        }
        if checkpoint > 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // std's Child::kill sends SIGKILL on Unix.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(checkpoint > 1, "the import never committed a chunk");
    let state = env.sql_string("SELECT state || ':' || checkpoint_row FROM import_jobs");
    let killed_at: i64 = state.split(':').nth(1).unwrap().parse().unwrap();
    assert!(
        state.starts_with("running") && killed_at < rows as i64 + 1,
        "the import finished before it was killed ({state}); the test proves nothing"
    );
    let summary = import_json(&env, &[path.to_str().unwrap()], 0);
    assert_eq!(summary["resumed_after_row"], killed_at, "{summary}");
    assert_eq!(summary["rows_read"], rows);
    assert_eq!(summary["rows_accepted"], rows);
    assert_eq!(summary["rows_rejected"], 0);
    assert_eq!(count(&env, "submissions"), rows as i64);
    assert_eq!(count(&env, "jobs"), rows as i64);
    assert_eq!(count(&env, "import_row_errors"), 0);
    assert_eq!(count(&env, "import_jobs"), 1);
    assert_eq!(
        env.sql_i64("SELECT COUNT(DISTINCT email || form_id) FROM submissions"),
        rows as i64
    );
}

fn import_resume_continues_a_killed_import_by_id(backend: Backend) {
    let env = TestEnv::on(backend);
    let path = env.write_file("k.csv", generated(3000, None));
    // Arrange a "killed" import: the first chunk committed, then nothing.
    let summary = import_json(&env, &[path.to_str().unwrap()], 0);
    let id = summary["import_id"].as_str().unwrap().to_string();
    let offset_after_1000: i64 = {
        let text = std::fs::read_to_string(&path).unwrap();
        text.split_inclusive('\n')
            .take(1001)
            .map(|l| l.len() as i64)
            .sum()
    };
    env.sql_batch(&format!(
        "DELETE FROM jobs WHERE workflow_id IN (SELECT w.id FROM workflows w JOIN submissions s ON s.id = w.submission_id WHERE s.first_name NOT IN ({}));
         DELETE FROM workflows WHERE submission_id IN (SELECT id FROM submissions WHERE first_name NOT IN ({0}));
         DELETE FROM submissions WHERE first_name NOT IN ({0});
         UPDATE import_jobs SET state = 'running', finished_at = NULL, rows_read = 1000,
             rows_accepted = 1000, checkpoint_row = 1001, checkpoint_offset = {offset_after_1000};",
        (1..=1000).map(|i| format!("'First{i}'")).collect::<Vec<_>>().join(",")
    ));
    assert_eq!(count(&env, "submissions"), 1000);
    let out = env
        .cmd()
        .args(["import", "resume", &id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = parse_json(&out.stdout);
    assert_eq!(summary["resumed_after_row"], 1001);
    assert_eq!(summary["rows_accepted"], 3000);
    assert_eq!(count(&env, "submissions"), 3000);
    assert_eq!(count(&env, "import_row_errors"), 0);
}

#[test]
fn an_import_run_by_another_process_is_not_run_twice() {
    let env = TestEnv::new();
    let path = env.write_file("l.csv", generated(10, None));
    let summary = import_json(&env, &[path.to_str().unwrap()], 0);
    let id = summary["import_id"].as_str().unwrap().to_string();
    rusqlite::Connection::open(env.db())
        .unwrap()
        .execute_batch(&format!(
            "UPDATE import_jobs SET state = 'running', finished_at = NULL;
             INSERT INTO locks (name, owner, acquired_at, expires_at)
             VALUES ('import:{id}', 'elsewhere:1', 0, 99999999999999);"
        ))
        .unwrap();
    let out = env.run(&["import", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("being run by another process (elsewhere:1)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(count(&env, "submissions"), 10);
}

#[test]
fn pause_stops_a_running_import_after_its_chunk_and_resume_finishes_it() {
    let env = TestEnv::new();
    let rows = 100_000;
    let (_, child) = start_big_import(&env, rows, std::process::Stdio::piped);
    let started = Instant::now();
    let mut id = String::new();
    while started.elapsed() < Duration::from_secs(120) {
        if let Ok(conn) = rusqlite::Connection::open(env.db()) {
            if let Ok(found) = conn.query_row(
                "SELECT id FROM import_jobs WHERE checkpoint_row > 1",
                [],
                |r| r.get::<_, String>(0),
            ) {
                id = found;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!id.is_empty(), "the import never committed a chunk");
    let paused = env.json(&["import", "pause", &id]);
    assert_eq!(paused["state"], "paused");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is paused; continue with"),
        "{}",
        stderr(&out)
    );
    let status = env.json(&["import", "status", &id]);
    assert_eq!(status["state"], "paused");
    let read = status["rows_read"].as_i64().unwrap();
    assert!(
        read < rows as i64,
        "the import finished before the pause: {status}"
    );
    assert_eq!(status["jobs"]["held"], status["rows_accepted"]);
    let out = env
        .cmd()
        .args(["import", "resume", &id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = parse_json(&out.stdout);
    assert_eq!(summary["state"], "completed");
    assert_eq!(summary["rows_accepted"], rows);
    assert_eq!(count(&env, "submissions"), rows as i64);
    assert_eq!(count(&env, "import_row_errors"), 0);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'held'"),
        0
    );
}
