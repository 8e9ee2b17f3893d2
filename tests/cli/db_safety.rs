//! The database is never damaged by a command that was not asked to: a mistyped `--db` creates
//! nothing, racing first starts migrate once, and `db restore` checks the backup completely, keeps
//! a copy and refuses while serve or workers are alive.

use std::process::Stdio;

use crate::backend::Backend;
use crate::env::{TestEnv, fixture, stderr};
use crate::server_support::{Proc, signed_env, wait_for};

#[test]
fn a_read_command_on_a_missing_database_creates_nothing() {
    let env = TestEnv::new();
    let typo = env.path().join("salesagnet.db");
    for args in [
        vec!["drafts", "list"],
        vec!["queues"],
        vec!["dlq", "list"],
        vec!["workflows", "list"],
        vec!["audit", "list"],
        vec!["mode", "show"],
    ] {
        let out = env
            .cmd()
            .args(&args)
            .args(["--db", typo.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
        assert!(!typo.exists(), "{args:?} created {typo:?}");
    }
    let backup = env.path().join("b.db");
    let out = env
        .cmd()
        .args(["db", "backup", backup.to_str().unwrap(), "--db"])
        .arg(&typo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(!typo.exists() && !backup.exists());
}

/// Ten processes start on a fresh database at once: every one succeeds and each migration is
/// recorded once (SQLite: the IMMEDIATE transaction; PostgreSQL: the write transaction's advisory
/// lock).
fn processes_starting_together_on_a_fresh_database_migrate_once(backend: Backend) {
    for round in 0..5 {
        let env = TestEnv::on(backend);
        let children: Vec<_> = (0..10)
            .map(|i| {
                env.std_command()
                    .args([
                        "suppress",
                        "add",
                        &format!("racer{i}@example.com"),
                        "--reason",
                        "race",
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "round {round}: {err}");
            assert!(!err.contains("CREATE TABLE"), "no SQL in errors: {err}");
        }
        assert_eq!(env.sql_i64("SELECT COUNT(*) FROM suppressions"), 10);
        assert_eq!(
            env.sql_i64("SELECT COUNT(*) - COUNT(DISTINCT version) FROM refinery_schema_history"),
            0
        );
    }
}

crate::on_both_backends!(processes_starting_together_on_a_fresh_database_migrate_once);

fn backup_of_one_workflow() -> (TestEnv, std::path::PathBuf) {
    let source = TestEnv::new();
    source.json(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    let backup = source.path().join("backup.db");
    source.json(&["db", "backup", backup.to_str().unwrap()]);
    (source, backup)
}

/// A live database with two workflows, to tell it apart from the one-workflow backup.
fn live_env() -> TestEnv {
    let env = signed_env();
    env.json(&["run", fixture("forms-v3.json").to_str().unwrap()]);
    env.json(&["run", fixture("workflow-contact-v1.json").to_str().unwrap()]);
    env
}

fn sqlite(db: &std::path::Path, sql: &str) {
    rusqlite::Connection::open(db)
        .unwrap()
        .execute_batch(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[test]
fn a_foreign_database_is_refused_before_live_data_is_touched() {
    let live = live_env();
    // A database that merely has tables with our names.
    let foreign = live.path().join("foreign.db");
    sqlite(
        &foreign,
        "CREATE TABLE refinery_schema_history(version INTEGER PRIMARY KEY, name TEXT, applied_on TEXT, checksum TEXT);
         INSERT INTO refinery_schema_history VALUES (1, 'initial', '2026-01-01T00:00:00Z', '42');
         CREATE TABLE workflows(id TEXT);",
    );
    let out = live.run(&["db", "restore", foreign.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("differs"), "{}", stderr(&out));
    assert_eq!(live.sql_i64("SELECT COUNT(*) FROM workflows"), 2);

    // Our real history but a table missing a column.
    let (_source, backup) = backup_of_one_workflow();
    sqlite(&backup, "ALTER TABLE drafts DROP COLUMN subject;");
    let out = live.run(&["db", "restore", backup.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("table drafts has no column subject"),
        "{}",
        stderr(&out)
    );
    assert_eq!(live.sql_i64("SELECT COUNT(*) FROM workflows"), 2);
}

#[test]
fn a_restore_keeps_a_copy_of_the_live_database() {
    let live = live_env();
    let (_source, backup) = backup_of_one_workflow();
    let restored = live.json(&["db", "restore", backup.to_str().unwrap(), "--yes"]);
    assert_eq!(restored["workflows"], 1);
    assert_eq!(live.sql_i64("SELECT COUNT(*) FROM workflows"), 1);
    let previous = restored["previous"].as_str().expect("the kept copy");
    assert!(previous.contains("before-restore"), "{previous}");
    let kept: i64 = rusqlite::Connection::open(previous)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM workflows", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 2, "the copy holds the old live data");
}

#[test]
fn a_restore_is_refused_while_serve_runs_unless_forced() {
    let live = live_env();
    let (_source, backup) = backup_of_one_workflow();
    let mut serve = Proc::serve(&live, &["--workers", "1"]);
    wait_for("a worker heartbeat", || {
        live.sql_i64("SELECT COUNT(*) FROM worker_heartbeats") > 0
    });
    let out = live.run(&["db", "restore", backup.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(live.sql_i64("SELECT COUNT(*) FROM workflows"), 2);
    let out = live.run(&[
        "db",
        "restore",
        backup.to_str().unwrap(),
        "--yes",
        "--force",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(live.sql_i64("SELECT COUNT(*) FROM workflows"), 1);
    serve.signal("TERM");
    serve.wait_exit();
}

#[test]
fn a_restore_is_refused_while_an_intake_only_serve_runs() {
    let live = live_env();
    let (_source, backup) = backup_of_one_workflow();
    let mut serve = Proc::serve(&live, &["--workers", "0"]);
    let out = live.run(&["db", "restore", backup.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(live.sql_i64("SELECT COUNT(*) FROM workflows"), 2);
    // It is alive, but no worker: queues and metrics count no worker process for it.
    let queues = live.json(&["queues"]);
    assert_eq!(queues["worker_processes"], 0, "{queues}");
    serve.signal("TERM");
    assert_eq!(serve.wait_exit(), Some(0), "{}", serve.stderr());
    // A clean stop leaves no row behind: the restore may go ahead now.
    assert_eq!(live.sql_i64("SELECT COUNT(*) FROM worker_heartbeats"), 0);
    let out = live.run(&["db", "restore", backup.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_backup_into_a_missing_directory_creates_it_and_names_the_mail_files() {
    let env = TestEnv::new();
    env.json(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    let target = env.path().join("backups/nightly/sa.db");
    let out = env.run(&["db", "backup", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(target.exists());
    assert!(
        stderr(&out).contains("not in the backup"),
        "the mail files are named: {}",
        stderr(&out)
    );
}
