//! `TestEnv`: a temporary directory with its own database (a SQLite file, or a PostgreSQL
//! database of its own on the server `SALESAGENT_TEST_PG` names), data directory and config, and
//! helpers that run the real binary against it and read the results on either backend.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;

use assert_cmd::Command;
use serde_json::Value;

pub use crate::backend::Backend;
use crate::backend::PgDatabase;

pub struct TestEnv {
    dir: tempfile::TempDir,
    envs: Vec<(String, String)>,
    /// `None`: the SQLite file `salesagent.db` in `dir`.
    pg: Option<PgDatabase>,
    /// The assertions' own connection to the PostgreSQL database, opened on first use.
    pg_client: Mutex<Option<postgres::Client>>,
}

/// A fixture from the repository's `fixtures/` directory.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

impl TestEnv {
    /// An env on SQLite.
    pub fn new() -> TestEnv {
        TestEnv::on(Backend::Sqlite)
    }

    /// An env on `backend`: on PostgreSQL, a database of its own (dropped with the env), and the
    /// data directory (mail files) in the env's directory, where SQLite's default puts it.
    pub fn on(backend: Backend) -> TestEnv {
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create()),
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let mut envs = Vec::new();
        if pg.is_some() {
            envs.push((
                "SALESAGENT_DATA_DIR".to_string(),
                dir.path().display().to_string(),
            ));
        }
        TestEnv {
            dir,
            envs,
            pg,
            pg_client: Mutex::new(None),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pg {
            Some(_) => Backend::Postgres,
            None => Backend::Sqlite,
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

    /// What `--db` / `SALESAGENT_DB` names: the SQLite file, or the PostgreSQL URL.
    pub fn db(&self) -> PathBuf {
        match &self.pg {
            Some(pg) => PathBuf::from(&pg.url),
            None => self.dir.path().join("salesagent.db"),
        }
    }

    /// Whether the database exists yet (a PostgreSQL env's always does).
    fn db_exists(&self) -> bool {
        self.pg.is_some() || self.db().exists()
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
        if !self.db_exists() {
            return vec![];
        }
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
                (
                    t.to_string(),
                    self.sql_i64(&format!("SELECT COUNT(*) FROM {t}")),
                )
            })
            .collect()
    }

    /// Creates an empty database file; the next command migrates it (read commands refuse a
    /// database that does not exist).
    pub fn init_db(&self) {
        if self.pg.is_none() {
            std::fs::File::create(self.db()).expect("create the database file");
        }
        let out = self.run(&["mode", "show"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }

    /// Makes the local CRM refuse new tasks (the task step fails) until the returned guard is
    /// dropped.
    pub fn crm_refuses_tasks(&self) -> CrmDown<'_> {
        if !self.db_exists() {
            self.init_db();
        }
        self.sql_batch(match self.backend() {
            Backend::Sqlite => {
                "CREATE TRIGGER no_tasks BEFORE INSERT ON crm_tasks BEGIN SELECT RAISE(ABORT, 'crm down'); END;"
            }
            Backend::Postgres => {
                "CREATE FUNCTION no_tasks() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'crm down'; END $$;
                 CREATE TRIGGER no_tasks BEFORE INSERT ON crm_tasks FOR EACH ROW EXECUTE FUNCTION no_tasks();"
            }
        });
        CrmDown(self)
    }

    /// Runs the assertions' PostgreSQL connection (made on first use, remade after an error).
    fn with_pg<T>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>,
    ) -> Result<T, String> {
        let pg = self.pg.as_ref().expect("a PostgreSQL env");
        let mut slot = self.pg_client.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(pg.connect().map_err(|e| e.to_string())?);
        }
        let result = f(slot.as_mut().expect("connected"));
        if result.is_err() {
            *slot = None;
        }
        // The driver's own text is only "db error": the server's message says what.
        result.map_err(|e| match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        })
    }

    /// One SQL scalar from the env's database, or why not (for polling a database that a
    /// command may not have migrated yet).
    pub fn try_sql_i64(&self, sql: &str) -> Result<Option<i64>, String> {
        match &self.pg {
            None => {
                let conn = rusqlite::Connection::open(self.db()).map_err(|e| e.to_string())?;
                conn.query_row(sql, [], |r| r.get(0))
                    .map_err(|e| e.to_string())
            }
            // Whatever integer type the expression has (COUNT is BIGINT, SUM is NUMERIC).
            Some(_) => self.with_pg(|c| {
                c.query_one(&format!("SELECT CAST(({sql}) AS BIGINT)"), &[])?
                    .try_get(0)
            }),
        }
    }

    /// One SQL scalar from the env's database (for assertions only).
    pub fn sql_i64(&self, sql: &str) -> i64 {
        self.try_sql_i64(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("{sql}: NULL"))
    }

    /// One SQL text scalar from the env's database (for assertions only).
    pub fn sql_string(&self, sql: &str) -> String {
        let value: Result<Option<String>, String> = match &self.pg {
            None => rusqlite::Connection::open(self.db())
                .and_then(|conn| conn.query_row(sql, [], |r| r.get(0)))
                .map_err(|e| e.to_string()),
            Some(_) => self.with_pg(|c| {
                c.query_one(&format!("SELECT CAST(({sql}) AS TEXT)"), &[])?
                    .try_get(0)
            }),
        };
        value
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("{sql}: NULL"))
    }

    /// Every row `sql` returns, each as one text (for comparing states, not for parsing).
    pub fn sql_texts(&self, sql: &str) -> Vec<String> {
        let rows = match &self.pg {
            None => rusqlite::Connection::open(self.db())
                .and_then(|conn| {
                    let mut stmt = conn.prepare(sql)?;
                    let columns = stmt.column_count();
                    stmt.query_map([], |r| {
                        let cells = (0..columns)
                            .map(|i| {
                                Ok(match r.get::<_, rusqlite::types::Value>(i)? {
                                    rusqlite::types::Value::Text(text) => text,
                                    other => format!("{other:?}"),
                                })
                            })
                            .collect::<rusqlite::Result<Vec<_>>>()?;
                        Ok(cells.join("|"))
                    })?
                    .collect()
                })
                .map_err(|e| e.to_string()),
            Some(_) => self.with_pg(|c| {
                c.query(&format!("SELECT CAST(r AS TEXT) FROM ({sql}) r"), &[])?
                    .iter()
                    .map(|row| row.try_get(0))
                    .collect()
            }),
        };
        rows.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The first column of every row `sql` returns, as text.
    pub fn sql_strings(&self, sql: &str) -> Vec<String> {
        let rows = match &self.pg {
            None => rusqlite::Connection::open(self.db())
                .and_then(|conn| conn.prepare(sql)?.query_map([], |r| r.get(0))?.collect())
                .map_err(|e| e.to_string()),
            Some(_) => self.with_pg(|c| {
                c.query(sql, &[])?
                    .iter()
                    .map(|row| row.try_get(0))
                    .collect()
            }),
        };
        rows.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The tables of the env's database that have `column`.
    pub fn tables_with_column(&self, column: &str) -> Vec<String> {
        self.sql_strings(&match self.backend() {
            Backend::Sqlite => format!(
                "SELECT m.name FROM sqlite_master m WHERE m.type = 'table'
                   AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = '{column}')"
            ),
            Backend::Postgres => format!(
                "SELECT CAST(c.table_name AS TEXT) FROM information_schema.columns c
                 JOIN information_schema.tables t
                   ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                 WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
                   AND c.column_name = '{column}'"
            ),
        })
    }

    /// Runs statements against the env's database (to arrange a state for a test).
    pub fn sql_batch(&self, sql: &str) {
        let done = match &self.pg {
            None => rusqlite::Connection::open(self.db())
                .and_then(|conn| conn.execute_batch(sql))
                .map_err(|e| e.to_string()),
            Some(_) => self.with_pg(|c| c.batch_execute(sql)),
        };
        done.unwrap_or_else(|e| panic!("{sql}: {e}"));
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
pub struct CrmDown<'a>(&'a TestEnv);

impl Drop for CrmDown<'_> {
    fn drop(&mut self) {
        self.0.sql_batch(match self.0.backend() {
            Backend::Sqlite => "DROP TRIGGER IF EXISTS no_tasks;",
            Backend::Postgres => {
                "DROP TRIGGER IF EXISTS no_tasks ON crm_tasks; DROP FUNCTION IF EXISTS no_tasks();"
            }
        });
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // The assertions' connection first: the database is dropped next.
        *self.pg_client.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
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
