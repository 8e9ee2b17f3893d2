//! An import is fenced by its lock and its checkpoint: a second importer that took over an expired
//! lock and the first one resumed after SIGCONT never both commit; two runs of the same file
//! started together end with one import record.

use std::process::Stdio;

use crate::env::{TestEnv, stderr};
use crate::server_support::wait_for;

fn write_csv(env: &TestEnv, rows: usize) -> String {
    let mut csv = String::with_capacity(rows * 48);
    csv.push_str("email,firstName,formId\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "lock{i}@company{}.com,Lee{i},form-lock\n",
            i % 997
        ));
    }
    env.write_file("big.csv", csv).to_str().unwrap().to_string()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn an_importer_resumed_after_its_lock_was_taken_over_commits_nothing() {
    let env = TestEnv::new();
    env.write_config("[import]\nlock_secs = 1\n");
    let rows = 40_000;
    let file = write_csv(&env, rows);
    let first = env
        .std_command()
        .args(["import", &file])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the first chunk to commit", || {
        env.db().exists()
            && env.sql_i64("SELECT COUNT(*) FROM sqlite_master WHERE name = 'import_jobs'") == 1
            && env.sql_i64("SELECT COALESCE(MAX(checkpoint_row), 0) FROM import_jobs") > 1
    });
    let stop = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([format!("-{sig}"), first.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    };
    // Freeze it between two chunk transactions (frozen inside one, it would hold SQLite's write
    // lock and block everyone: not the case under test).
    let probe = rusqlite::Connection::open(env.db()).unwrap();
    probe.busy_timeout(std::time::Duration::ZERO).unwrap();
    wait_for(
        "the first importer to be frozen outside a transaction",
        || {
            stop("STOP");
            if probe.execute_batch("BEGIN IMMEDIATE; ROLLBACK").is_ok() {
                return true;
            }
            stop("CONT");
            std::thread::sleep(std::time::Duration::from_millis(5));
            false
        },
    );
    let stopped_at = env.sql_i64("SELECT checkpoint_row FROM import_jobs");
    assert!(
        stopped_at < rows as i64,
        "the file must be long enough to stop mid-way"
    );
    wait_for("the first importer's lock to expire", || {
        env.sql_i64(&format!(
            "SELECT COUNT(*) FROM locks WHERE expires_at < {}",
            now_ms()
        )) == 1
    });
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM locks"), 1);
    // A second run of the same file takes the import over and finishes it.
    let second = env.run(&["import", &file]);
    assert!(second.status.success(), "{}", stderr(&second));
    stop("CONT");
    let out = first.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(4),
        "the first importer must stop: {err}"
    );
    assert!(err.contains("no longer held"), "{err}");
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM submissions"), rows as i64);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM import_row_errors"), 0);
    assert_eq!(
        env.sql_i64("SELECT rows_accepted FROM import_jobs"),
        rows as i64
    );
    assert_eq!(env.sql_i64("SELECT rows_rejected FROM import_jobs"), 0);
    assert_eq!(
        env.sql_i64("SELECT checkpoint_row FROM import_jobs"),
        rows as i64 + 1
    );
}

#[test]
fn two_runs_of_the_same_file_started_together_make_one_import() {
    let env = TestEnv::new();
    let rows = 50;
    let file = write_csv(&env, rows);
    env.init_db();
    // Both runs read "no import of this file yet" while this lock holds their writes back.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let spawn = || {
        env.std_command()
            .args(["import", &file])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    // Long enough for both to have hashed the file and read; far below the busy timeout.
    std::thread::sleep(std::time::Duration::from_secs(3));
    conn.execute_batch("COMMIT").unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = [a.status.code(), b.status.code()];
    assert!(
        codes.contains(&Some(0)),
        "{codes:?}: {}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM import_jobs"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM submissions"), rows as i64);
}
