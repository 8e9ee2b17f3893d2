//! The SQLite store: the only module with SQL. It owns the connection, the embedded migrations and
//! typed methods for every table; callers never see rusqlite types.
//!
//! Conventions: times are epoch milliseconds (UTC); ids are UUIDv7 text; every tenant-scoped query
//! filters on the store's tenant. Multi-statement writes run in IMMEDIATE transactions so a CLI
//! command and a running server can share the file.

mod api_keys;
mod audit;
#[cfg(test)]
mod checks;
mod copy;
mod crm;
mod dead_letters;
mod drafts;
mod eval;
mod imports;
mod intake_statement;
#[cfg(test)]
mod isolation;
mod jobs;
mod listen;
mod locks;
mod maintenance;
#[cfg(test)]
mod ops_fixtures;
mod postgres;
mod privacy;
mod quarantine;
mod reconcile;
mod retention;
mod review;
#[cfg(test)]
mod schema_parity;
pub mod sql;
mod states;
mod stats;
mod submissions;
mod suppressions;
#[cfg(test)]
pub(crate) mod test_support;
mod tuning;
mod usage;
mod workers;
mod workflows;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sql::{Conn, Transaction};

pub use api_keys::{ApiKeyRow, KeyState, NewApiKey};
pub use audit::{AUDIT_ACTIONS, AuditEntry, AuditFilter, MODE_DRAFT_ONLY, MODE_SEND, ModeSetting};
pub use copy::{COPIED_TABLES, CopyProgress, CopyTarget, TableRows};
pub use crm::{CrmContactRow, CrmTaskRow};
pub use dead_letters::{DeadLetterFilter, DeadLetterRow, JobAttempt, Requeue};
pub use drafts::{DraftFilter, DraftRow, NewDraft, Recomposed};
pub use eval::{EvalItemRow, EvalOutcome, EvalRunRow, EvalSelection, NewEvalItem, NewEvalRun};
pub use imports::{
    ChunkFence, ChunkOutcome, ChunkRow, ImportChunk, ImportProgress, ImportRow, RowError,
    import_lock_name, import_state,
};
pub use jobs::{
    ClaimSlot, ClaimedJob, JobFinish, JobResult, Lease, QUEUES, QueueCount, QueueStats, Rescued,
};
pub use listen::{Heard, JobListener};
pub use locks::{LockHolder, lock_owner, owner_is_gone};
pub use maintenance::{DatabaseFacts, inspect as inspect_database, prepare_restore, swap_in};
pub use privacy::{ErasureRequest, PendingErasure, RemoteService, SubjectErasure, TableCount};
pub use quarantine::{QuarantineFilter, QuarantineRow, Resolution};
pub use reconcile::{
    DraftProbe, DuplicateDraft, ReportRow, StuckWorkflow, TaskProbe, WorkflowRequeue,
};
pub use retention::{PurgeBatch, PurgeKind, uuid7_floor};
pub use review::{Claim, ClaimRefusal, Decision, DraftContext, SendClaim};
pub use states::{DraftStatus, JobState, Metric, StepStatus, WorkflowStatus};
pub use stats::{
    DRAFT_STATUSES, GaugeSnapshot, JOB_STATES, LiveWorkers, StatsRaw, TenantCounts, TenantGauges,
    WORKFLOW_STATUSES,
};
pub use submissions::{Acceptance, DuplicateQuery, NewSubmission, Routed, Source, SubmissionRow};
pub use suppressions::Suppression;
pub use tuning::{CHECKPOINT_PACE, Checkpointer, Pace, WalReset, without_inline_checkpoints};
pub use usage::{UsageBucket, UsageCounts, UsageRange, UsageRow, WorkflowUsage};
pub use workflows::{
    Intent, NewTaskRow, PipelineWrite, StepRecord, TaskRow, WorkflowFilter, WorkflowProgress,
    WorkflowRow,
};

use crate::domain::tenant::TenantId;
use crate::error::{Error, ErrorClass, Result};

/// A tenant is stored as its slug.
impl sql::ToSql for TenantId {
    fn to_sql(&self) -> sql::Result<sql::ToSqlOutput<'_>> {
        Ok(sql::ToSqlOutput::from(self.as_str()))
    }
    fn null_kind() -> sql::Kind {
        sql::Kind::Text
    }
}

/// SQLite's migrations, V1 onwards.
mod embedded {
    refinery::embed_migrations!("migrations/sqlite");
}

/// PostgreSQL's: a baseline equal to SQLite's V14, then the same versions as SQLite's.
mod embedded_postgres {
    refinery::embed_migrations!("migrations/postgres");
}

/// The migrations of a dialect, in version order as embedded.
fn migrations_for(dialect: sql::Dialect) -> refinery::Runner {
    match dialect {
        sql::Dialect::Sqlite => embedded::migrations::runner(),
        sql::Dialect::Postgres => embedded_postgres::migrations::runner(),
    }
}

/// Bytes the WAL file is truncated to whenever it is reset, so one burst does not leave a
/// gigabyte file behind for good.
pub const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// WAL frames (about 4 KB each) after which the intake writer resets the WAL (a RESTART
/// checkpoint): the file is then reused from its start.
pub const WAL_RESET_FRAMES: i64 = 4096;

/// How hard a commit must hit the disk before it returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// WAL with synchronous=NORMAL: survives a process crash; the default for commands.
    Normal,
    /// synchronous=FULL: survives power loss; webhook intake answers 202 only after this.
    Full,
}

pub struct Store {
    conn: Conn,
    tenant: TenantId,
    path: PathBuf,
    /// The billable tenants of the workflows this connection's runs commit for.
    billing: usage::Billing,
    /// The tenant's subject key once read: created once, never changed (see `privacy.rs`).
    subject_key: std::cell::OnceCell<Vec<u8>>,
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path, tenant: &TenantId) -> Result<Store> {
        Store::open_with(path, tenant, Durability::Normal)
    }

    /// Opens a database that must already exist (read and inspection commands): a mistyped
    /// `--db` is a configuration error, and no empty database is left behind.
    /// A PostgreSQL URL is not checked for a file: connecting is the check (exit 3 with a hint
    /// when the server cannot be reached).
    pub fn open_existing(path: &Path, tenant: &TenantId) -> Result<Store> {
        if postgres::postgres_url(path).is_none() && !path.exists() {
            return Err(Error::Configuration(format!(
                "database {} does not exist\nhint: check --db or SALESAGENT_DB; `salesagent serve`, \
                 `run` or `import` create a new one",
                path.display()
            )));
        }
        Store::open(path, tenant)
    }

    pub fn open_with(path: &Path, tenant: &TenantId, durability: Durability) -> Result<Store> {
        if let Some(url) = postgres::postgres_url(path) {
            return Store::open_postgres(url, tenant, None);
        }
        let describe = |e: rusqlite::Error| {
            Error::Configuration(format!(
                "cannot open database {}: {e}\nhint: check the path given by --db or SALESAGENT_DB",
                path.display()
            ))
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(Error::Configuration(format!(
                "cannot open database {}: directory {} does not exist\nhint: create it, or pass --db with another path",
                path.display(),
                parent.display()
            )));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(describe)?;
        let mut store = Store {
            conn: Conn::sqlite(conn),
            tenant: tenant.clone(),
            path: path.to_path_buf(),
            billing: Default::default(),
            subject_key: Default::default(),
        };
        store.configure(durability).map_err(describe)?;
        store.migrate()?;
        Ok(store)
    }

    /// The PostgreSQL database at `url` (in `schema` when given), migrated. Commits there are
    /// always durable (`synchronous_commit` is the server's, `on` by default).
    pub fn open_postgres(url: &str, tenant: &TenantId, schema: Option<&str>) -> Result<Store> {
        let conn = postgres::connect(url, schema)?;
        let mut store = Store {
            conn,
            tenant: tenant.clone(),
            path: PathBuf::from(postgres::redacted(url)),
            billing: Default::default(),
            subject_key: Default::default(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Which SQL this store speaks.
    pub fn dialect(&self) -> sql::Dialect {
        self.conn.dialect()
    }

    /// A private in-memory database, migrated; for unit tests. With `SALESAGENT_TEST_PG` set
    /// (a PostgreSQL URL), a fresh schema of that database instead: the store's unit tests are
    /// then the conformance suite of the PostgreSQL backend.
    pub fn open_in_memory() -> Result<Store> {
        if let Some((url, schema)) = test_postgres() {
            return Store::open_postgres(&url, &TenantId::default_tenant(), Some(&schema));
        }
        let conn = Connection::open_in_memory()?;
        let mut store = Store {
            conn: Conn::sqlite(conn),
            tenant: TenantId::default_tenant(),
            path: PathBuf::from(":memory:"),
            billing: Default::default(),
            subject_key: Default::default(),
        };
        store.configure(Durability::Normal)?;
        store.migrate()?;
        Ok(store)
    }

    fn configure(&mut self, durability: Durability) -> rusqlite::Result<()> {
        let Some(conn) = self.conn.as_sqlite_mut() else {
            return Ok(());
        };
        conn.busy_handler(Some(eager_busy))?;
        let conn = &*conn;
        let mode = switch_to_wal(conn)?;
        if mode != "wal" && self.path != Path::new(":memory:") {
            tracing::warn!(mode, "the database did not switch to WAL");
        }
        let sync = match durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;
             PRAGMA secure_delete = FAST;
             PRAGMA wal_autocheckpoint = {}; PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT};",
            tuning::autocheckpoint_frames()
        ))?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        let runner = migrations_for(self.conn.dialect());
        let known = runner
            .get_migrations()
            .iter()
            .map(|m| m.version())
            .max()
            .unwrap_or(0);
        let has_history: bool = self
            .conn
            .query_row(
                match self.conn.dialect() {
                    sql::Dialect::Sqlite => {
                        "SELECT EXISTS (SELECT 1 FROM sqlite_master
                         WHERE type = 'table' AND name = 'refinery_schema_history')"
                    }
                    sql::Dialect::Postgres => {
                        "SELECT EXISTS (SELECT 1 FROM information_schema.tables
                         WHERE table_schema = current_schema() AND table_name = 'refinery_schema_history')"
                    }
                },
                (),
                |r| r.get(0),
            )
            .map_err(|e| self.unreadable(e))?;
        if has_history {
            let (current, recorded): (Option<i64>, i64) = self.conn.query_row(
                "SELECT MAX(version), COUNT(*) FROM refinery_schema_history",
                (),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if let Some(v) = current
                && v > i64::from(known)
            {
                return Err(Error::Configuration(format!(
                    "database {} has schema version {v}, newer than this salesagent knows ({known})\n\
                     hint: upgrade salesagent, or restore a backup taken before the upgrade",
                    self.path.display()
                )));
            }
            // Current only when every migration is recorded: versions are numbered by branch,
            // so a database can have a later one and still lack an earlier one.
            if current == Some(i64::from(known)) && recorded == runner.get_migrations().len() as i64
            {
                return Ok(());
            }
        }
        self.apply_migrations(runner.get_migrations())
    }

    /// Applies the migrations the database lacks in ONE IMMEDIATE transaction: two processes
    /// starting on a fresh database take turns (the second waits for the write lock, then finds
    /// every migration recorded). The history table is refinery's, so either can read it. An
    /// error names the migration, never its SQL.
    fn apply_migrations(&mut self, migrations: &[refinery::Migration]) -> Result<()> {
        let path = self.path.display().to_string();
        let tx = self.write_tx()?;
        let version_type = match tx.dialect() {
            sql::Dialect::Sqlite => "INTEGER",
            sql::Dialect::Postgres => "BIGINT",
        };
        tx.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS refinery_schema_history(
                 version {version_type} PRIMARY KEY, name VARCHAR(255), applied_on VARCHAR(255), checksum VARCHAR(255))"
        ))?;
        let applied: Vec<(i64, String, String)> = {
            let mut stmt =
                tx.prepare("SELECT version, name, checksum FROM refinery_schema_history")?;
            stmt.query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<sql::Result<_>>()?
        };
        let mut pending: Vec<&refinery::Migration> = Vec::new();
        for m in migrations {
            let label = format!("V{}__{}", m.version(), m.name());
            match applied
                .iter()
                .find(|(v, _, _)| *v == i64::from(m.version()))
            {
                Some((_, name, checksum))
                    if name != m.name() || *checksum != m.checksum().to_string() =>
                {
                    return Err(Error::Configuration(format!(
                        "database {path}: migration {label} was recorded as {name:?} with another checksum\n\
                         hint: this database was written by a different build; restore a backup made by this version"
                    )));
                }
                Some(_) => {}
                None => pending.push(m),
            }
        }
        pending.sort_by_key(|m| m.version());
        for m in pending {
            let label = format!("V{}__{}", m.version(), m.name());
            tx.execute_batch(m.sql().unwrap_or_default()).map_err(|e| {
                Error::Configuration(format!(
                    "cannot migrate database {path}: migration {label} failed: {}\n\
                     hint: restore a backup, or report this with the salesagent version",
                    sqlite_reason(&e)
                ))
            })?;
            tx.execute(
                "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (?1, ?2, ?3, ?4)",
                (
                    i64::from(m.version()),
                    m.name(),
                    jiff::Timestamp::now().to_string(),
                    m.checksum().to_string(),
                ),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn unreadable(&self, e: sql::Error) -> Error {
        Error::Configuration(format!(
            "cannot read database {}: {e}\nhint: is it a salesagent database? check --db",
            self.path.display()
        ))
    }

    /// The newest schema version this build knows.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM refinery_schema_history",
            (),
            |r| r.get(0),
        )?)
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SQLite connection, for what only SQLite has (pragmas, checkpoints, backups); on
    /// PostgreSQL the database's own tools do these, which the error says.
    pub(crate) fn sqlite(&self, what: &str) -> Result<&Connection> {
        self.conn.as_sqlite().ok_or_else(|| {
            Error::InvalidInput(format!(
                "{what} is for SQLite databases; this one is PostgreSQL\n\
                 hint: use PostgreSQL's own tools (pg_dump, pg_basebackup, pg_restore)"
            ))
        })
    }

    /// An IMMEDIATE transaction: it takes the write lock up front, so it never fails half-way on
    /// a lock upgrade.
    fn write_tx(&self) -> Result<Transaction<'_>> {
        Ok(self.conn.write_tx()?)
    }
}

/// The PostgreSQL server the tests run on (`SALESAGENT_TEST_PG`) and a fresh schema name for one
/// test's database; `None` runs the tests on SQLite.
fn test_postgres() -> Option<(String, String)> {
    let url = std::env::var("SALESAGENT_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())?;
    Some((url, format!("t{}", new_id().replace('-', ""))))
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        use rusqlite::ErrorCode;
        if let rusqlite::Error::FromSqlConversionFailure(_, _, source) = &e
            && let Some(unknown) = source.downcast_ref::<states::UnknownStoredState>()
        {
            return Error::Internal(format!(
                "database: {unknown}\nhint: the file was written by another salesagent \
                 version; open it with the version that wrote it"
            ));
        }
        let class = match e.sqlite_error_code() {
            // A full disk or a failing device is a state of the store that passes: retry later.
            Some(
                ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure,
            ) => ErrorClass::Transient,
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                ErrorClass::Configuration
            }
            // A constraint our own writes broke: no retry fixes it.
            Some(ErrorCode::ConstraintViolation) => ErrorClass::Internal,
            _ => ErrorClass::ExternalService,
        };
        Error::Store {
            message: e.to_string(),
            class,
        }
    }
}

/// The database's own reason for a failure, without the statement it was running.
fn sqlite_reason(e: &sql::Error) -> String {
    match e {
        sql::Error::Sqlite(rusqlite::Error::SqliteFailure(code, Some(msg))) => {
            format!("{msg} ({:?})", code.code)
        }
        sql::Error::Sqlite(rusqlite::Error::SqliteFailure(code, None)) => {
            format!("{:?}", code.code)
        }
        other => other.to_string(),
    }
}

impl From<sql::Error> for Error {
    fn from(e: sql::Error) -> Error {
        match e {
            sql::Error::Sqlite(e) => Error::from(e),
            sql::Error::Postgres(e) => postgres_error(e),
            sql::Error::FromSqlConversionFailure(_, source)
                if source
                    .downcast_ref::<states::UnknownStoredState>()
                    .is_some() =>
            {
                Error::Internal(format!(
                    "database: {source}\nhint: the file was written by another salesagent \
                     version; open it with the version that wrote it"
                ))
            }
            sql::Error::Disconnected(why) => Error::Store {
                message: format!("database connection lost: {why}"),
                class: ErrorClass::Transient,
            },
            other => Error::Store {
                message: other.to_string(),
                class: ErrorClass::ExternalService,
            },
        }
    }
}

/// A PostgreSQL failure, classed by its SQLSTATE as SQLite's are by their codes (the code, never
/// the message: a lost connection's text ends in "(os error 104)", which is no SQLSTATE).
fn postgres_error(e: ::postgres::Error) -> Error {
    let class = match e.code().map(|c| c.code()) {
        // Lost connections, restarts, a full disk, serialization failures and deadlocks pass.
        Some(c) if c.starts_with("08") || c.starts_with("53") || c.starts_with("57P") => {
            ErrorClass::Transient
        }
        Some("40001" | "40P01" | "55P03") => ErrorClass::Transient,
        Some(c) if c.starts_with("28") || c.starts_with("3D") || c == "42501" => {
            ErrorClass::Configuration
        }
        Some(c) if c.starts_with("23") => ErrorClass::Internal,
        Some(_) => ErrorClass::ExternalService,
        // No SQLSTATE: the connection itself failed (closed, reset, timed out).
        None => ErrorClass::Transient,
    };
    Error::Store {
        message: sql::Error::Postgres(e).to_string(),
        class,
    }
}

/// `PRAGMA journal_mode = WAL`, retried while another process is doing the same on a fresh
/// file: SQLite answers that race with SQLITE_BUSY without calling the busy handler.
fn switch_to_wal(conn: &Connection) -> rusqlite::Result<String> {
    let mut attempt = 0;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
            Err(e)
                if attempt < 1_000
                    && e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Waits for a lock in short steps for up to about 10 s, on every connection. SQLite's default
/// handler sleeps in growing steps (up to 100 ms), which shows up as long tails when a CLI
/// command, the intake writer, workers and the embedded CRM take turns writing.
fn eager_busy(attempt: i32) -> bool {
    if attempt >= 20_000 {
        return false;
    }
    std::thread::sleep(Duration::from_micros(if attempt < 20 { 100 } else { 500 }));
    true
}

/// A cut list counts its matches up to this many ("showing 50 of at least 100,000").
const COUNT_CAP: u64 = 100_000;

/// A list cut at its limit: the rows, and `total` when more rows match than were returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: Option<Total>,
}

/// How many rows match a cut list: exact, or `at_least` when the count stopped at its cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Total {
    pub count: u64,
    pub at_least: bool,
}

/// A page of a keyset-paginated list: its rows, and whether more follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slice<T> {
    pub rows: Vec<T>,
    pub more: bool,
}

/// Where a newest-first page ended: the last row's creation time and id (the next page starts
/// after it, so rows inserted meanwhile never shift a page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
}

/// A tenant-scoped list query: a SELECT whose WHERE clause starts with the tenant as `?1`, any
/// number of optional `AND` filters with numbered parameters, then ORDER BY and LIMIT. Every list
/// command builds its SQL through this, so filters cannot drift out of step with their parameters.
struct ListQuery {
    sql: String,
    args: Vec<sql::Value>,
}

impl ListQuery {
    fn new(select_where_tenant: &str, tenant: &str) -> ListQuery {
        ListQuery {
            sql: select_where_tenant.to_string(),
            args: vec![tenant.to_string().into()],
        }
    }

    /// Adds `AND clause`, where the `?` in `clause` takes `value`; nothing when `value` is None.
    fn filter<V: Into<sql::Value>>(mut self, clause: &str, value: Option<V>) -> Self {
        if let Some(v) = value {
            self.args.push(v.into());
            let numbered = clause.replacen('?', &format!("?{}", self.args.len()), 1);
            self.sql.push_str(" AND ");
            self.sql.push_str(&numbered);
        }
        self
    }

    /// Keyset pagination of a newest-first list: only rows after `cursor` in
    /// `created_at DESC, id DESC` order.
    fn after(mut self, cursor: Option<&Cursor>) -> Self {
        if let Some(c) = cursor {
            self.args.push(c.created_at.into());
            let at = self.args.len();
            self.args.push(c.id.clone().into());
            let id = self.args.len();
            self.sql.push_str(&format!(
                " AND (created_at < ?{at} OR (created_at = ?{at} AND id < ?{id}))"
            ));
        }
        self
    }

    /// Adds `AND clause` (no parameter) when `on`.
    fn when(mut self, on: bool, clause: &str) -> Self {
        if on {
            self.sql.push_str(" AND ");
            self.sql.push_str(clause);
        }
        self
    }

    /// The first `limit` rows, and when more match, how many in all (counted up to
    /// `COUNT_CAP`, so a cut list of a huge table stays cheap).
    fn fetch_page<T>(
        self,
        conn: &Conn,
        order_by: &str,
        limit: usize,
        row: impl FnMut(&sql::Row<'_>) -> sql::Result<T>,
    ) -> Result<Page<T>> {
        let count_sql = format!("SELECT COUNT(*) FROM ({} LIMIT {COUNT_CAP})", self.sql);
        let count_args = self.args.clone();
        let mut rows = self.fetch(conn, order_by, limit.saturating_add(1), row)?;
        if rows.len() <= limit {
            return Ok(Page { rows, total: None });
        }
        rows.truncate(limit);
        let count: i64 =
            conn.query_row(&count_sql, sql::params_from_iter(count_args), |r| r.get(0))?;
        let count = count.max(0) as u64;
        Ok(Page {
            rows,
            total: Some(Total {
                count,
                at_least: count >= COUNT_CAP,
            }),
        })
    }

    /// The first `limit` rows and whether more match (one row more is read, nothing counted).
    fn fetch_slice<T>(
        self,
        conn: &Conn,
        order_by: &str,
        limit: usize,
        row: impl FnMut(&sql::Row<'_>) -> sql::Result<T>,
    ) -> Result<Slice<T>> {
        let mut rows = self.fetch(conn, order_by, limit.saturating_add(1), row)?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok(Slice { rows, more })
    }

    fn fetch<T>(
        mut self,
        conn: &Conn,
        order_by: &str,
        limit: usize,
        row: impl FnMut(&sql::Row<'_>) -> sql::Result<T>,
    ) -> Result<Vec<T>> {
        self.args.push((limit.min(i64::MAX as usize) as i64).into());
        self.sql
            .push_str(&format!(" ORDER BY {order_by} LIMIT ?{}", self.args.len()));
        let mut stmt = conn.prepare_cached(&self.sql)?;
        let rows = stmt
            .query_map(sql::params_from_iter(self.args), row)?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

/// Resolves a full id or an unambiguous prefix (at least 4 characters) in `table`.
fn resolve_id(conn: &Conn, table: &str, tenant: &str, id: &str) -> Result<String> {
    let what = table.trim_end_matches('s').replace('_', " ");
    if id.len() < 4 {
        return Err(Error::InvalidInput(format!(
            "{what} id {id:?} is too short: give at least 4 characters"
        )));
    }
    // SQLite compares text bytewise, so the prefix is a range of the primary key's index. On
    // PostgreSQL `x'ff'` is a bit string and the order is the database's collation: the prefix
    // test is spelled out.
    let prefix = match conn.dialect() {
        sql::Dialect::Sqlite => "id >= ?2 AND id < ?2 || x'ff'",
        sql::Dialect::Postgres => "starts_with(id, ?2)",
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id FROM {table} WHERE tenant_id = ?1 AND {prefix} LIMIT 2"
    ))?;
    let ids: Vec<String> = stmt
        .query_map((tenant, id), |r| r.get(0))?
        .collect::<sql::Result<_>>()?;
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::NotFound(format!("no {what} with id {id}"))),
        _ => Err(Error::InvalidInput(format!(
            "{what} id {id:?} is ambiguous: give more characters"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_and_reopens() {
        let db = test_support::SharedDb::new();
        let store = db.open("default");
        assert!(store.schema_version().unwrap() >= 1);
        drop(store);
        assert!(db.try_open("default").is_ok());
    }

    /// V19 (issue 16): a database with step and task rows, migrated from V18, keeps every row as
    /// it was; `workflow_steps` is then one B-tree keyed by (workflow_id, seq, attempt), which
    /// still refuses a second row for one attempt, and `tasks` has one index, its workflow_id.
    #[test]
    fn v19_keeps_every_step_and_task_row_keyed_by_their_natural_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v18.db");
        let mut conn = Connection::open(&path).unwrap();
        embedded::migrations::runner()
            .set_target(refinery::Target::Version(18))
            .run(&mut conn)
            .unwrap();
        let rows = "SELECT id, workflow_id, seq, name, attempt, status, input, output, remote_id,
                           error, error_class, started_at, finished_at, duration_ms, superseded_at
                    FROM workflow_steps ORDER BY id";
        conn.execute_batch(
            "INSERT INTO submissions (id, source, shape, dedupe_key, raw_payload, received_at)
             VALUES ('u1', 'run', 'flat', 'k1', x'7b7d', 1000), ('u2', 'run', 'flat', 'k2', x'7b7d', 1000);
             INSERT INTO workflows (id, submission_id, status, mode, trace_id, created_at, updated_at)
             VALUES ('w1', 'u1', 'running', 'draft_only', 't1', 1000, 1000),
                    ('w2', 'u2', 'completed', 'draft_only', 't2', 1000, 1000);
             INSERT INTO workflow_steps (id, workflow_id, seq, name, attempt, status, input, output,
                 remote_id, error, error_class, started_at, finished_at, duration_ms, superseded_at)
             VALUES ('s1', 'w1', 1, 'validate', 1, 'completed', NULL, '{\"ok\":true}', NULL, NULL,
                     NULL, 1000, 1001, 1, NULL),
                    ('s2', 'w1', 9, 'draft', 1, 'failed', '{\"ref\":\"w1\"}', NULL, NULL, 'boom',
                     'transient', 1002, 1003, 1, 1500),
                    ('s3', 'w1', 9, 'draft', 2, 'running', '{\"ref\":\"w1\"}', NULL, 'r-1', NULL,
                     NULL, 1600, NULL, NULL, NULL),
                    ('s4', 'w2', 1, 'validate', 1, 'skipped', NULL, NULL, NULL, NULL, NULL, 1700,
                     1700, 0, NULL);
             INSERT INTO tasks (rowid, id, workflow_id, crm, remote_task_id, contact_id, subject,
                 priority, due_at, created_at)
             VALUES (7, 't1', 'w1', 'local', 'r1', 'c1', 'Follow up', 'high', 5000, 1000),
                    (3, 't2', 'w2', 'local', 'r2', 'c2', 'Follow up', 'low', 6000, 1001);",
        )
        .unwrap();
        let read = |conn: &Connection| -> Vec<Vec<rusqlite::types::Value>> {
            let mut stmt = conn.prepare(rows).unwrap();
            stmt.query_map([], |r| {
                (0..15)
                    .map(|i| r.get(i))
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
        };
        let tasks = |conn: &Connection| -> Vec<(i64, String, String, String)> {
            let mut stmt = conn
                .prepare("SELECT rowid, id, workflow_id, remote_task_id FROM tasks ORDER BY rowid")
                .unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let before = read(&conn);
        assert_eq!(before.len(), 4);
        let tasks_before = tasks(&conn);
        drop(conn);

        let store = Store::open(&path, &TenantId::default_tenant()).unwrap();
        assert!(store.schema_version().unwrap() >= 19);
        let conn = store.conn.as_sqlite().unwrap();
        assert_eq!(read(conn), before);
        // No index of its own: the table is its key's B-tree (WITHOUT ROWID).
        let (indexes, sql): (i64, String) = conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM sqlite_master
                         WHERE type = 'index' AND tbl_name = 'workflow_steps'),
                        (SELECT sql FROM sqlite_master WHERE name = 'workflow_steps')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(indexes, 0, "{sql}");
        assert!(sql.contains("WITHOUT ROWID"), "{sql}");
        let duplicate = conn.execute(
            "INSERT INTO workflow_steps (id, workflow_id, seq, name, attempt, status, started_at)
             VALUES ('s5', 'w1', 9, 'draft', 2, 'running', 2000)",
            [],
        );
        assert!(
            duplicate.is_err(),
            "a second row for one attempt was accepted"
        );

        // `tasks` keeps its rows and their rowids (reconcile's cursor), keyed by workflow_id
        // alone: one index, and still one task per workflow.
        assert_eq!(tasks(conn), tasks_before);
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM pragma_index_list('tasks')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(indexes.len(), 1, "{indexes:?}");
        let key: Vec<String> = conn
            .prepare("SELECT name FROM pragma_index_info(?1)")
            .unwrap()
            .query_map([&indexes[0]], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(key, ["workflow_id"]);
        let second = conn.execute(
            "INSERT INTO tasks (id, workflow_id, crm, remote_task_id, contact_id, subject,
                 priority, due_at, created_at)
             VALUES ('t3', 'w1', 'local', 'r3', 'c1', 'Again', 'high', 5000, 2000)",
            [],
        );
        assert!(
            second.is_err(),
            "a second task for one workflow was accepted"
        );
    }

    #[test]
    fn refuses_a_newer_schema() {
        let db = test_support::SharedDb::new();
        let store = db.open("default");
        store
            .conn
            .execute(
                "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (99, 'future', '', '0')",
                (),
            )
            .unwrap();
        drop(store);
        let err = db.try_open("default").err().unwrap();
        assert!(matches!(err, Error::Configuration(_)));
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }

    #[test]
    fn an_id_is_found_by_any_prefix_of_four_characters_or_more() {
        let store = Store::open_in_memory().unwrap();
        let (workflow, _) = test_support::enqueue(&store, test_support::SEED);
        // Every length, so some prefix is followed by a character above any bound a wrong
        // spelling of "starts with" might put after it.
        for len in 4..=workflow.len() {
            assert_eq!(
                store.resolve_workflow_id(&workflow[..len]).unwrap(),
                workflow
            );
        }
        assert!(matches!(
            store.resolve_workflow_id("fff0"),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            store.resolve_workflow_id(&workflow[..3]),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn busy_database_is_transient() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert_eq!(Error::from(busy).class(), ErrorClass::Transient);
    }

    #[test]
    fn refuses_a_file_that_is_not_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        std::fs::write(
            &path,
            "this is not sqlite, just some text that is long enough to matter",
        )
        .unwrap();
        let err = Store::open(&path, &TenantId::default_tenant())
            .err()
            .unwrap();
        assert!(matches!(err, Error::Configuration(_)), "{err}");
    }
}
