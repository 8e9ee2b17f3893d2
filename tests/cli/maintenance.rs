//! `db backup|restore`, `completions`, `man`: what operators run from cron and install scripts.

use crate::env::{TestEnv, fixture, stderr, stdout};

#[test]
fn a_backup_restores_into_a_working_database() {
    let source = TestEnv::new();
    let report = source.json(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    let backup = source.path().join("backup.db");
    let written = source.json(&["db", "backup", backup.to_str().unwrap()]);
    assert_eq!(written["workflows"], 1);
    assert!(written["schema_version"].as_i64().unwrap() >= 1);

    let target = TestEnv::new();
    target.json(&["run", fixture("forms-v3.json").to_str().unwrap()]);
    let refused = target.run(&["db", "restore", backup.to_str().unwrap()]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "without --yes off a terminal"
    );
    assert!(
        stderr(&refused).contains("pass --yes"),
        "{}",
        stderr(&refused)
    );
    let restored = target.json(&["db", "restore", backup.to_str().unwrap(), "--yes"]);
    assert_eq!(restored["workflows"], 1);
    // The restored database works: the old workflow is there, the pipeline runs, dedupe holds.
    let list = target.json(&["workflows", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], report["workflow_id"]);
    let again = target.json(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    assert_eq!(again["status"], "duplicate");
    assert_eq!(
        target.json(&["run", fixture("workflow-contact-v1.json").to_str().unwrap()])["status"],
        "completed"
    );
    assert_eq!(
        target.sql_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'db.restore'"),
        1
    );
}

#[test]
fn backups_never_overwrite_and_restores_check_the_file_first() {
    let env = TestEnv::new();
    env.json(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    let existing = env.write_file("exists.db", "x");
    let out = env.run(&["db", "backup", existing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("never overwrite"));
    let junk = env.write_file(
        "junk.db",
        "definitely not a database, just text to fill a page",
    );
    let out = env.run(&["db", "restore", junk.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a usable salesagent database"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn completions_and_man_pages_come_from_the_command_tree() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = env.run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        assert!(stdout(&out).contains("workflows"), "{shell}");
    }
    assert_eq!(env.run(&["completions", "tcsh"]).status.code(), Some(2));
    let page = env.run(&["man"]);
    assert!(
        stdout(&page).contains(".TH SALESAGENT 1 "),
        "{}",
        stdout(&page)
    );
    let dir = env.path().join("man");
    let out = env.run(&["man", "--dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    for page in [
        "salesagent.1",
        "salesagent-run.1",
        "salesagent-workflows-list.1",
    ] {
        assert!(dir.join(page).is_file(), "{page} missing");
    }
}

/// The checked-in completions and man pages match what the binary generates now.
#[test]
fn checked_in_completions_and_man_pages_are_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let env = TestEnv::new();
    let stale = "stale: run scripts/gen-docs.sh and commit completions/ and man/";
    for (shell, file) in [
        ("bash", "salesagent.bash"),
        ("zsh", "_salesagent"),
        ("fish", "salesagent.fish"),
    ] {
        let fresh = env.run(&["completions", shell]).stdout;
        let checked_in = std::fs::read(root.join("completions").join(file)).expect(stale);
        assert!(fresh == checked_in, "completions/{file} is {stale}");
    }
    let dir = env.path().join("man");
    assert!(
        env.run(&["man", "--dir", dir.to_str().unwrap()])
            .status
            .success()
    );
    let names = |d: &std::path::Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&dir), names(&root.join("man")), "man/ is {stale}");
    for page in names(&dir) {
        let fresh = std::fs::read(dir.join(&page)).unwrap();
        let checked_in = std::fs::read(root.join("man").join(&page)).unwrap();
        assert!(fresh == checked_in, "man/{page} is {stale}");
    }
}

#[test]
fn a_backup_of_one_workflow_says_workflow() {
    let env = TestEnv::new();
    env.json(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    let backup = env.path().join("one.db");
    let out = env.run(&["db", "backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains(" 1 workflow,"), "{text}");
    assert!(!text.contains("1 workflows"), "{text}");
}

#[test]
fn refused_backups_say_how_to_fix_on_a_hint_line() {
    let env = TestEnv::new();
    env.json(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    let existing = env.write_file("exists.db", "x");
    let out = env.run(&["db", "backup", existing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("exists.db"), "{err}");
    assert!(
        err.lines().any(|l| l.starts_with("hint: ")),
        "no hint line: {err}"
    );
    let out = env.run(&["db", "backup", "/proc/x.db"]);
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("/proc/x.db"), "{err}");
    assert!(
        err.lines().any(|l| l.starts_with("hint: ")),
        "no hint line: {err}"
    );
}

/// `db backup` and `db restore` with `--db postgres://…` are bad input (exit 2) whose hint names
/// PostgreSQL's tools, and write nothing: no backup file, no file named after the URL.
#[test]
fn backup_and_restore_on_postgres_name_pg_dump_and_pg_basebackup() {
    let Some(url) = std::env::var("SALESAGENT_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        println!(
            "skipped: no PostgreSQL (set SALESAGENT_TEST_PG=postgres://…, e.g. after scripts/pg.sh start)"
        );
        return;
    };
    let sqlite = TestEnv::new();
    sqlite.json(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    let backup = sqlite.path().join("good.db");
    sqlite.json(&["db", "backup", backup.to_str().unwrap()]);

    let env = TestEnv::new();
    let target = env.path().join("pg.db");
    for args in [
        vec!["--db", &url, "db", "backup", target.to_str().unwrap()],
        vec![
            "--db",
            &url,
            "db",
            "restore",
            backup.to_str().unwrap(),
            "--yes",
        ],
    ] {
        let out = env.run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        let hint = err.lines().find(|l| l.starts_with("hint: ")).unwrap_or("");
        assert!(
            hint.contains("pg_dump") && hint.contains("pg_basebackup"),
            "{args:?}: {err}"
        );
    }
    assert!(!target.exists());
    assert!(!env.path().join("postgres:").exists());
}
