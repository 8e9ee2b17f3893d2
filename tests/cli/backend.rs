//! The two backends a test can run on: SQLite (always) and PostgreSQL (when `SALESAGENT_TEST_PG`
//! names a server), a PostgreSQL database of each env's own, and `on_both_backends!`, which runs
//! one test body on each.

use std::io::Write as _;
use std::sync::Once;

/// The variable naming the PostgreSQL server the PostgreSQL half of the suite runs against.
pub const TEST_PG: &str = "SALESAGENT_TEST_PG";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `Some(Postgres)` when `SALESAGENT_TEST_PG` is set; otherwise `None`, and the run says once,
    /// past the test harness's capture, how to run the PostgreSQL tests.
    pub fn postgres() -> Option<Backend> {
        if server_url().is_some() {
            return Some(Backend::Postgres);
        }
        static SAID: Once = Once::new();
        SAID.call_once(|| {
            // Straight to the stream: `eprintln!` in a passing test is captured and never seen.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: the PostgreSQL tests need a server: {TEST_PG}=postgres://postgres@127.0.0.1:55432/postgres cargo test \
                 (scripts/pg.sh start starts one and prints that URL)"
            );
        });
        None
    }
}

/// The test server's URL, when one is named.
pub fn server_url() -> Option<String> {
    std::env::var(TEST_PG).ok().filter(|u| !u.is_empty())
}

/// Runs each named test body, a `fn NAME(backend: Backend)`, as two tests: `NAME::sqlite` and
/// `NAME::postgres` (which returns at once, after one line saying how to run it, when no
/// PostgreSQL server is named).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::backend::Backend::Sqlite)
            }

            #[test]
            fn postgres() {
                if let Some(backend) = $crate::backend::Backend::postgres() {
                    super::$name(backend)
                }
            }
        }
    )+};
}

/// A database of one env's own on the test server, dropped (with whatever is still connected
/// to it) when the env is.
pub struct PgDatabase {
    /// The URL the binary is given (`--db` / `SALESAGENT_DB`).
    pub url: String,
    name: String,
    server: String,
}

impl PgDatabase {
    pub fn create() -> PgDatabase {
        let server = server_url().unwrap_or_else(|| panic!("{TEST_PG} is not set"));
        PgDatabase::create_on(&server)
    }

    /// A database of its own on the server `server` names (a test's own cluster).
    pub fn create_on(server: &str) -> PgDatabase {
        let server = server.to_string();
        let name = format!("t_{}", uuid::Uuid::now_v7().simple());
        admin(&server)
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {server}: {e}"));
        PgDatabase {
            url: with_database(&server, &name),
            name,
            server,
        }
    }

    pub fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        postgres::Client::connect(&self.url, postgres::NoTls)
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Its URL with `password` in it (which the trust-authenticated test server ignores, so a
    /// test can check that it never shows).
    pub fn url_with(&self, password: &str) -> String {
        self.url
            .replacen("postgres@", &format!("postgres:{password}@"), 1)
    }

    pub fn client(&self) -> postgres::Client {
        self.connect().expect("connect to the test database")
    }

    /// The single integer `sql` returns.
    pub fn count(&self, sql: &str) -> i64 {
        self.client().query_one(sql, &[]).expect(sql).get(0)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let dropped = admin(&self.server).batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
        if let Err(e) = dropped {
            let _ = writeln!(
                std::io::stderr(),
                "could not drop test database {}: {e}",
                self.name
            );
        }
    }
}

fn admin(server: &str) -> postgres::Client {
    postgres::Client::connect(server, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to {TEST_PG}={server}: {e}"))
}

/// `url` with its database (the path after the host) replaced by `name`, query kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, format!("?{q}")),
        None => (rest, String::new()),
    };
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}/{name}{query}")
}

#[test]
fn a_database_name_replaces_the_path_and_keeps_the_query() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:55432/postgres", "t_1"),
        "postgres://postgres@127.0.0.1:55432/t_1"
    );
    assert_eq!(
        with_database("postgres://u@h:1?sslmode=disable", "t_2"),
        "postgres://u@h:1/t_2?sslmode=disable"
    );
}
