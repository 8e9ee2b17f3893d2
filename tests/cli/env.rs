//! `TestEnv`: a temporary directory with its own database, data directory and config, and helpers
//! that run the real binary against it and read the results.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

pub struct TestEnv {
    dir: tempfile::TempDir,
    envs: Vec<(String, String)>,
}

/// A fixture from the repository's `fixtures/` directory.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("tempdir"),
            envs: Vec::new(),
        }
    }

    /// Adds an environment variable to every command this env runs.
    pub fn env(mut self, key: &str, value: &str) -> TestEnv {
        self.envs.push((key.to_string(), value.to_string()));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("salesagent.db")
    }

    /// Where mail files go (the database's directory, by default).
    pub fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// Writes `salesagent.toml` in the env's directory (the working directory of every command).
    pub fn write_config(&self, toml: &str) -> PathBuf {
        let path = self.dir.path().join("salesagent.toml");
        std::fs::write(&path, toml).expect("write config");
        path
    }

    /// Writes a file into the env's directory and returns its path.
    pub fn write_file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// The binary as a `std::process::Command` (for processes a test spawns and signals): this
    /// env's directory, database and extra variables, a clean `SALESAGENT_*` environment and a
    /// fixed user.
    pub fn std_command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_salesagent"));
        for (key, _) in std::env::vars() {
            if key.starts_with("SALESAGENT_") {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(self.dir.path())
            .env("SALESAGENT_DB", self.db())
            .env("USER", "tester")
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG");
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        cmd
    }

    /// The same, as an `assert_cmd::Command` for commands that run to completion.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_command())
    }

    /// Runs the binary with `args` and returns its output, whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run salesagent")
    }

    /// Runs with `--json`, expects exit 0, and parses stdout as one JSON document.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self
            .cmd()
            .args(args)
            .arg("--json")
            .output()
            .expect("run salesagent");
        assert!(
            out.status.success(),
            "salesagent {args:?} failed ({:?}):\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        parse_json(&out.stdout)
    }

    /// Row counts of the main tables, to prove a command changed nothing.
    pub fn table_counts(&self) -> Vec<(String, i64)> {
        if !self.db().exists() {
            return vec![];
        }
        let conn = rusqlite::Connection::open(self.db()).expect("open db");
        let tables = [
            "submissions",
            "workflows",
            "workflow_steps",
            "drafts",
            "tasks",
            "jobs",
            "crm_contacts",
            "crm_tasks",
            "audit_log",
            "suppressions",
        ];
        tables
            .iter()
            .map(|t| {
                let n: i64 = conn
                    .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                    .expect("count");
                (t.to_string(), n)
            })
            .collect()
    }

    /// Creates an empty database file; the next command migrates it (read commands refuse a
    /// database that does not exist).
    pub fn init_db(&self) {
        std::fs::File::create(self.db()).expect("create the database file");
        let out = self.run(&["mode", "show"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }

    /// Makes the local CRM refuse new tasks (the task step fails) until the returned guard is
    /// dropped.
    pub fn crm_refuses_tasks(&self) -> CrmDown {
        if !self.db().exists() {
            self.init_db();
        }
        let conn = rusqlite::Connection::open(self.db()).expect("open db");
        conn.execute_batch(
            "CREATE TRIGGER no_tasks BEFORE INSERT ON crm_tasks BEGIN SELECT RAISE(ABORT, 'crm down'); END;",
        )
        .expect("create trigger");
        CrmDown(conn)
    }

    /// One SQL scalar from the env's database (for assertions only).
    pub fn sql_i64(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).expect("open db");
        conn.query_row(sql, [], |r| r.get(0)).expect("query")
    }

    /// The `.eml` files in a mail folder (`drafts`, `sent`, `rejected`).
    pub fn mail_files(&self, folder: &str) -> Vec<PathBuf> {
        let dir = self.mail_dir().join(folder);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }
}

/// The local CRM refuses new tasks while this lives.
pub struct CrmDown(rusqlite::Connection);

impl Drop for CrmDown {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("DROP TRIGGER IF EXISTS no_tasks;");
    }
}

/// Parses one JSON document, with the text in the panic message when it is not JSON.
pub fn parse_json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", String::from_utf8_lossy(bytes)))
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a Python driver script (`python3 -c SCRIPT CONFIG_JSON`: the pty drivers) and returns its
/// stdout, panicking with its stderr when it fails.
pub fn python_driver(script: &str, config: &serde_json::Value) -> Vec<u8> {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(config.to_string())
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
