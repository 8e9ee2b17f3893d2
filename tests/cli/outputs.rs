//! Files we write never destroy what they were not asked to: every `--output`/`--dir` refuses an
//! existing file without `--force`, always refuses the database and its `-wal`/`-shm` and any
//! symbolic link; every CSV defuses formula cells and keeps its columns aligned.

use crate::env::{TestEnv, fixture, stderr, stdout};

fn env_with_a_workflow() -> TestEnv {
    let env = TestEnv::new();
    env.json(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    env
}

fn workflows(env: &TestEnv) -> i64 {
    env.sql_i64("SELECT COUNT(*) FROM workflows")
}

/// `dlq export --output TARGET [--force]`.
fn dlq_export(env: &TestEnv, target: &std::path::Path, force: bool) -> std::process::Output {
    let mut args = vec!["dlq", "export", "--output", target.to_str().unwrap()];
    if force {
        args.push("--force");
    }
    env.run(&args)
}

#[test]
fn dlq_export_never_writes_over_the_database() {
    let env = env_with_a_workflow();
    let db = env.db();
    for target in [
        db.clone(),
        db.with_extension("db-wal"),
        db.with_extension("db-shm"),
        env.path().join("sub/../salesagent.db"),
    ] {
        std::fs::create_dir_all(env.path().join("sub")).unwrap();
        let out = dlq_export(&env, &target, true);
        assert_eq!(out.status.code(), Some(4), "{target:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("is the database"), "{}", stderr(&out));
        assert_eq!(workflows(&env), 1, "the live database is intact");
    }
}

#[test]
fn dlq_export_refuses_an_existing_file_unless_forced() {
    let env = env_with_a_workflow();
    let target = env.write_file("dead.csv", "keep me");
    let out = dlq_export(&env, &target, false);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    let out = dlq_export(&env, &target, true);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("id,status,email,job_id")
    );
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(env.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn outputs_never_follow_a_symbolic_link() {
    let env = env_with_a_workflow();
    let victim = env.write_file("victim.txt", "precious");
    let link = env.path().join("link.csv");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    for force in [false, true] {
        let out = dlq_export(&env, &link, force);
        assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
        assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }
    // A link to the database is refused too, and the database survives.
    let db_link = env.path().join("db-link.csv");
    std::os::unix::fs::symlink(env.db(), &db_link).unwrap();
    let out = dlq_export(&env, &db_link, true);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(workflows(&env), 1);
}

#[test]
fn man_dir_refuses_existing_pages_unless_forced() {
    let env = TestEnv::new();
    let dir = env.path().join("man");
    std::fs::create_dir(&dir).unwrap();
    let page = dir.join("salesagent.1");
    std::fs::write(&page, "mine").unwrap();
    let out = env.run(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "mine");
    let out = env.run(&["man", "--dir", dir.to_str().unwrap(), "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::read_to_string(&page).unwrap().contains(".TH"));
}

/// An import with one row whose email is a formula and one row with more fields than the header.
fn import_with_bad_rows(env: &TestEnv) -> String {
    let file = env.write_file(
        "hostile.csv",
        "email,firstName,lastName,company,formId\n\
         ok@example.com,Ok,Row,Fine,form-1\n\
         \"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",Eve,Il,Evil,form-1\n\
         wide@example.com,Wide,Row,Wide Co,form-1,surplus-1,surplus-2\n",
    );
    env.run(&["import", file.to_str().unwrap()]);
    env.json(&["import", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn records(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn import_errors_csv_defuses_formulas_and_keeps_columns_aligned() {
    let env = TestEnv::new();
    let id = import_with_bad_rows(&env);
    let out = env.run(&["import", "errors", &id, "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let rows = records(&text);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 3, "{text}");
    let evil = rows
        .iter()
        .find(|r| r[1] == "Eve")
        .expect("the formula row");
    assert!(
        evil[0].starts_with("'="),
        "a formula cell must be defused: {text}"
    );
    let wide = rows.iter().find(|r| r[1] == "Wide").expect("the wide row");
    assert_eq!(wide.len(), header.len(), "columns stay aligned: {text}");
    assert_eq!(wide[col("error_row")], "4", "{text}");
    assert!(wide[col("error_reason")].contains("field"), "{text}");
    assert!(
        wide[col("error_extra_fields")].contains("surplus-1"),
        "{text}"
    );
}

#[test]
fn import_errors_output_goes_through_the_same_writer() {
    let env = TestEnv::new();
    let id = import_with_bad_rows(&env);
    let export = |target: &std::path::Path, force: bool| {
        let mut args = vec![
            "import",
            "errors",
            &id,
            "--format",
            "csv",
            "--output",
            target.to_str().unwrap(),
        ];
        if force {
            args.push("--force");
        }
        env.run(&args)
    };
    let existing = env.write_file("errors.csv", "keep me");
    let out = export(&existing, false);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
    let out = export(&env.db(), true);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let fresh = env.path().join("fresh.csv");
    let out = export(&fresh, false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&fresh)
            .unwrap()
            .contains("error_reason")
    );
}
