//! `db copy`: every table of a SQLite database into a PostgreSQL one, in batches (one target
//! transaction each), in dependency order, resumable. Progress is one row in the target
//! (`salesagent_copy`: the source, the table being copied and the primary key of its last row
//! copied), written in the same transaction as each batch, so a copy killed at any point resumes
//! exactly where its last commit left it, and a target with rows of anything else is refused.
//! Afterwards identity sequences are moved past the copied rows.

use rusqlite::types::ValueRef as SqliteValue;

use super::Store;
use super::sql::{self, Dialect, Kind, OptionalExtension, ToSql, ToSqlOutput, Value};
use crate::domain::time::now_ms;
use crate::error::{Error, Result};

/// Every table of the schema that holds data, parents before the tables whose foreign keys
/// point at them (a test checks this against the schema). `health_probe` (readiness's scratch
/// row) and `refinery_schema_history` (each database migrates itself) are not copied.
pub const COPIED_TABLES: &[&str] = &[
    "submissions",
    "quarantined_payloads",
    "workflows",
    "workflow_steps",
    "tasks",
    "jobs",
    "job_attempts",
    "worker_heartbeats",
    "dead_letters",
    "import_jobs",
    "import_row_errors",
    "reconciliation_reports",
    "locks",
    "settings",
    "audit_log",
    "suppressions",
    "crm_companies",
    "crm_contacts",
    "crm_tasks",
    "drafts",
    "eval_runs",
    "eval_items",
    "usage",
    "api_keys",
    "privacy_keys",
    "pending_erasures",
];

/// Columns that reference a row of their own table, which a later row may be (a key rotated to
/// its successor): inserted empty, then set once the whole table is there.
const SELF_REFERENCES: &[(&str, &str)] = &[("api_keys", "rotated_to")];

/// The copy's own bookkeeping in the target (not part of the application's schema).
const PROGRESS_TABLE: &str = "CREATE TABLE IF NOT EXISTS salesagent_copy (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    source     TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('copying', 'completed')),
    table_name TEXT,
    after_key  TEXT,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
)";

/// The session lock that keeps two copies off one target.
const COPY_LOCK: i64 = 7_355_609;

/// What the target holds before a copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopyTarget {
    /// No rows in any copied table.
    Empty,
    /// An interrupted copy of this same source.
    Interrupted(CopyProgress),
    /// A finished copy of this same source.
    Completed(CopyProgress),
    /// Rows that are not a copy of this source: `source` names the other source when they are
    /// another copy's, `table` is the first table with rows.
    Occupied {
        source: Option<String>,
        table: &'static str,
    },
}

/// Where a copy got to: the tables before `table` are complete; `table` up to the row whose
/// primary key is `after` (none of it when `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyProgress {
    pub source: String,
    pub table: Option<String>,
    pub after: Option<String>,
}

/// One table's rows in source and target.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TableRows {
    pub table: &'static str,
    pub source: u64,
    pub target: u64,
}

/// A target column: its name and the kind its values are bound as.
struct Column {
    name: String,
    kind: Kind,
}

/// A value bound as its column's kind (a NULL too: PostgreSQL types every parameter).
struct Typed<'a>(Kind, &'a Value);

impl ToSql for Typed<'_> {
    fn to_sql(&self) -> sql::Result<ToSqlOutput<'_>> {
        match self.1 {
            Value::Null => Ok(ToSqlOutput::Null(self.0)),
            v => v.to_sql(),
        }
    }
    fn null_kind() -> Kind {
        Kind::Text
    }
}

impl Store {
    /// What this (PostgreSQL) database holds with respect to a copy of `source`.
    pub fn copy_target(&self, source: &str) -> Result<CopyTarget> {
        self.postgres_only()?;
        self.conn.execute_batch(PROGRESS_TABLE)?;
        let progress = self.copy_progress()?;
        let Some(table) = self.first_table_with_rows()? else {
            return Ok(CopyTarget::Empty);
        };
        Ok(match progress {
            Some((p, state)) if p.source == source && state == "completed" => {
                CopyTarget::Completed(p)
            }
            Some((p, _)) if p.source == source => CopyTarget::Interrupted(p),
            other => CopyTarget::Occupied {
                source: other.map(|(p, _)| p.source),
                table,
            },
        })
    }

    /// Takes the copy's session lock (refused while another copy runs), then records a new copy
    /// of `source`; with `empty_first`, after emptying every copied table (the caller has
    /// checked that they hold nothing but an earlier copy of this source).
    pub fn copy_begin(&self, source: &str, empty_first: bool) -> Result<()> {
        self.postgres_only()?;
        let locked: i64 =
            self.conn
                .query_row("SELECT pg_try_advisory_lock(?1)", [COPY_LOCK], |r| r.get(0))?;
        if locked == 0 {
            return Err(Error::Refused(
                "another `db copy` is writing to this database\nhint: wait for it to finish".into(),
            ));
        }
        let tx = self.write_tx()?;
        if empty_first {
            // TRUNCATE fires no row triggers: the audit log's append-only guard stays in place.
            tx.execute_batch(&format!(
                "TRUNCATE {} RESTART IDENTITY",
                COPIED_TABLES.join(", ")
            ))?;
            tx.execute("DELETE FROM salesagent_copy", ())?;
        }
        let now = now_ms();
        tx.execute(
            "INSERT INTO salesagent_copy (id, source, state, started_at, updated_at)
             VALUES (1, ?1, 'copying', ?2, ?2)
             ON CONFLICT (id) DO UPDATE SET source = excluded.source, state = 'copying',
                 updated_at = excluded.updated_at",
            (source, now),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Copies the next batch of `table` from `from` (SQLite): up to `limit` rows after the one
    /// whose key is `after`, and the progress, in one transaction. Returns how many rows it
    /// copied and the key to continue after (`None` when the table had no more rows).
    pub fn copy_batch(
        &self,
        from: &Store,
        table: &'static str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(usize, Option<String>)> {
        let columns = self.target_columns(table)?;
        let key = source_key(from, table)?;
        let positions: Vec<usize> = key
            .iter()
            .map(|k| {
                columns.iter().position(|c| &c.name == k).ok_or_else(|| {
                    Error::Internal(format!(
                        "db copy: key column {table}.{k} is not in the target"
                    ))
                })
            })
            .collect::<Result<_>>()?;
        let rows = read_batch(from, table, &columns, &key, after, limit)?;
        let Some(last) = rows.last() else {
            return Ok((0, None));
        };
        let last_key = encode_key(
            &positions
                .iter()
                .map(|&p| last[p].clone())
                .collect::<Vec<_>>(),
        );
        let deferred: Vec<bool> = columns
            .iter()
            .map(|c| SELF_REFERENCES.contains(&(table, c.name.as_str())))
            .collect();
        let tx = self.write_tx()?;
        // Batches of rows per statement, within PostgreSQL's 65,535 parameters.
        let per_statement = (30_000 / columns.len().max(1)).clamp(1, 500);
        for chunk in rows.chunks(per_statement) {
            let sql = insert_sql(table, &columns, chunk.len());
            let null = Value::Null;
            let values: Vec<Typed<'_>> = chunk
                .iter()
                .flat_map(|row| {
                    row.iter()
                        .zip(&columns)
                        .zip(&deferred)
                        .map(|((v, c), &later)| Typed(c.kind, if later { &null } else { v }))
                })
                .collect();
            tx.execute(&sql, sql::params_from_iter(values.iter()))
                .map_err(|e| copy_error(table, &last_key, e))?;
        }
        tx.execute(
            "UPDATE salesagent_copy SET table_name = ?1, after_key = ?2, updated_at = ?3 WHERE id = 1",
            (table, &last_key, now_ms()),
        )?;
        tx.commit()?;
        Ok((rows.len(), Some(last_key)))
    }

    /// After the last batch: the self-references, the identity sequences past the copied rows,
    /// and the copy marked completed, in one transaction.
    pub fn copy_finish(&self, from: &Store) -> Result<()> {
        let source = from.sqlite("the source of db copy")?;
        let tx = self.write_tx()?;
        for (table, column) in SELF_REFERENCES {
            let mut stmt = source.prepare(&format!(
                "SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL"
            ))?;
            let pairs: Vec<(String, String)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (id, to) in pairs {
                tx.execute(
                    &format!("UPDATE {table} SET {column} = ?1 WHERE id = ?2"),
                    (&to, &id),
                )?;
            }
        }
        let identities: Vec<(String, String)> = {
            let mut stmt = tx.prepare(
                "SELECT table_name, column_name FROM information_schema.columns
                 WHERE table_schema = current_schema() AND is_identity = 'YES'",
            )?;
            stmt.query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<sql::Result<_>>()?
        };
        for (table, column) in identities {
            // The next value is one past the highest copied (1 for an empty table).
            tx.query_row(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                                   COALESCE(MAX({column}), 0) + 1, false) FROM {table}"
                ),
                (),
                |_| Ok(()),
            )?;
        }
        tx.execute(
            "UPDATE salesagent_copy SET state = 'completed', table_name = NULL, after_key = NULL,
                 updated_at = ?1 WHERE id = 1",
            [now_ms()],
        )?;
        tx.commit()?;
        self.analyze_copied()
    }

    /// Gives the planner the copied tables' statistics at once. Autovacuum would analyze them
    /// within its naptime, but until then every statement is planned for empty tables, and a
    /// generic plan made then keeps scanning a whole tenant by the wrong index as long as the
    /// connection keeps it (BENCHMARKS.md, issue 19, ninth round); `pg_restore`'s advice after a
    /// load is the same.
    fn analyze_copied(&self) -> Result<()> {
        self.conn
            .execute_batch(&format!("ANALYZE {}", COPIED_TABLES.join(", ")))?;
        Ok(())
    }

    /// Rows per copied table, in `from` and here.
    pub fn copy_counts(&self, from: &Store) -> Result<Vec<TableRows>> {
        COPIED_TABLES
            .iter()
            .map(|&table| {
                let count = |store: &Store| -> Result<u64> {
                    let n: i64 = store.conn.query_row(
                        &format!("SELECT COUNT(*) FROM {table}"),
                        (),
                        |r| r.get(0),
                    )?;
                    Ok(n.max(0) as u64)
                };
                Ok(TableRows {
                    table,
                    source: count(from)?,
                    target: count(self)?,
                })
            })
            .collect()
    }

    fn postgres_only(&self) -> Result<()> {
        match self.dialect() {
            Dialect::Postgres => Ok(()),
            Dialect::Sqlite => Err(Error::InvalidInput(format!(
                "db copy writes to PostgreSQL; {} is a SQLite file\n\
                 hint: pass --to postgres://USER@HOST/DBNAME",
                self.path.display()
            ))),
        }
    }

    fn copy_progress(&self) -> Result<Option<(CopyProgress, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT source, table_name, after_key, state FROM salesagent_copy WHERE id = 1",
                (),
                |r| {
                    Ok((
                        CopyProgress {
                            source: r.get(0)?,
                            table: r.get(1)?,
                            after: r.get(2)?,
                        },
                        r.get(3)?,
                    ))
                },
            )
            .optional()?)
    }

    fn first_table_with_rows(&self) -> Result<Option<&'static str>> {
        for &table in COPIED_TABLES {
            if self
                .conn
                .prepare(&format!("SELECT 1 FROM {table} LIMIT 1"))?
                .exists(())?
            {
                return Ok(Some(table));
            }
        }
        Ok(None)
    }

    /// The target table's columns in order, each with the kind its values are bound as.
    fn target_columns(&self, table: &str) -> Result<Vec<Column>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT column_name, data_type FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position",
        )?;
        let columns: Vec<Column> = stmt
            .query_map([table], |r| {
                let name: String = r.get(0)?;
                let ty: String = r.get(1)?;
                let kind = match ty.as_str() {
                    "bigint" | "integer" | "smallint" | "boolean" => Kind::Integer,
                    "double precision" | "real" | "numeric" => Kind::Real,
                    "bytea" => Kind::Blob,
                    _ => Kind::Text,
                };
                Ok(Column { name, kind })
            })?
            .collect::<sql::Result<_>>()?;
        if columns.is_empty() {
            return Err(Error::Internal(format!(
                "db copy: the target has no table {table}"
            )));
        }
        Ok(columns)
    }
}

/// The source table's primary key columns, which order the batches and say where a resumed
/// copy goes on.
fn source_key(from: &Store, table: &str) -> Result<Vec<String>> {
    let source = from.sqlite("the source of db copy")?;
    let mut stmt =
        source.prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk")?;
    let key: Vec<String> = stmt
        .query_map([table], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if key.is_empty() {
        return Err(Error::Internal(format!(
            "db copy: the source table {table} has no primary key"
        )));
    }
    Ok(key)
}

/// Up to `limit` rows of `table` after key `after`, in key order, as the target's columns (an
/// identity column `rowid` is SQLite's implicit rowid), each value in its column's kind.
fn read_batch(
    from: &Store,
    table: &str,
    columns: &[Column],
    key: &[String],
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Vec<Value>>> {
    let source = from.sqlite("the source of db copy")?;
    let select: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let key_list = key.join(", ");
    let after_values = after.map(decode_key).transpose()?;
    if let Some(values) = &after_values {
        check_key_shape(table, key, values)?;
    }
    let condition = match &after_values {
        Some(values) => format!(
            "WHERE ({key_list}) > ({})",
            (1..=values.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {} FROM {table} {condition} ORDER BY {key_list} LIMIT {limit}",
        select.join(", ")
    );
    let mut stmt = source.prepare(&sql)?;
    let params: Vec<rusqlite::types::Value> = after_values
        .unwrap_or_default()
        .into_iter()
        .map(|v| match v {
            Value::Integer(i) => rusqlite::types::Value::Integer(i),
            Value::Text(t) => rusqlite::types::Value::Text(t),
            _ => rusqlite::types::Value::Null,
        })
        .collect();
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            let value = in_kind(row.get_ref(i)?, column.kind).map_err(|why| {
                Error::InvalidInput(format!(
                    "db copy: {table}.{}: {why}\nhint: the source holds a value PostgreSQL's \
                     column cannot; fix the row in the source, then run the copy again",
                    column.name
                ))
            })?;
            values.push(value);
        }
        out.push(values);
    }
    Ok(out)
}

/// A SQLite value (typed as it was stored) as the target column's kind.
fn in_kind(value: SqliteValue<'_>, kind: Kind) -> std::result::Result<Value, String> {
    Ok(match (value, kind) {
        (SqliteValue::Null, _) => Value::Null,
        (SqliteValue::Integer(i), Kind::Integer) => Value::Integer(i),
        (SqliteValue::Integer(i), Kind::Real) => Value::Real(i as f64),
        (SqliteValue::Integer(i), Kind::Text) => Value::Text(i.to_string()),
        (SqliteValue::Real(r), Kind::Real) => Value::Real(r),
        (SqliteValue::Real(r), Kind::Integer) if r.fract() == 0.0 && r.abs() < 9.0e15 => {
            Value::Integer(r as i64)
        }
        (SqliteValue::Real(r), Kind::Text) => Value::Text(r.to_string()),
        (SqliteValue::Text(t), Kind::Text) => Value::Text(utf8(t)?),
        (SqliteValue::Text(t), Kind::Blob) => Value::Blob(t.to_vec()),
        (SqliteValue::Text(t), Kind::Integer) => Value::Integer(
            utf8(t)?
                .trim()
                .parse()
                .map_err(|_| format!("text {:?} is not an integer", String::from_utf8_lossy(t)))?,
        ),
        (SqliteValue::Blob(b), Kind::Blob) => Value::Blob(b.to_vec()),
        (SqliteValue::Blob(b), Kind::Text) => Value::Text(utf8(b)?),
        (v, k) => return Err(format!("a {:?} value where a {k:?} belongs", v.data_type())),
    })
}

fn utf8(bytes: &[u8]) -> std::result::Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "text that is not UTF-8".to_string())
}

/// `INSERT INTO table (columns) VALUES (…), (…)` for `rows` rows.
fn insert_sql(table: &str, columns: &[Column], rows: usize) -> String {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
    let width = columns.len();
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("?{}", r * width + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// A primary key as progress text: a JSON array of integers and strings.
fn encode_key(values: &[Value]) -> String {
    let json: Vec<serde_json::Value> = values
        .iter()
        .map(|v| match v {
            Value::Integer(i) => serde_json::Value::from(*i),
            Value::Text(t) => serde_json::Value::from(t.as_str()),
            _ => serde_json::Value::Null,
        })
        .collect();
    serde_json::Value::Array(json).to_string()
}

fn decode_key(text: &str) -> Result<Vec<Value>> {
    let bad = || {
        Error::Internal(format!(
            "db copy: the target's progress key {text:?} is unreadable\nhint: run the copy again \
             with --restart"
        ))
    };
    let json: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|_| bad())?;
    json.into_iter()
        .map(|v| match v {
            serde_json::Value::Number(n) => n.as_i64().map(Value::Integer).ok_or_else(bad),
            serde_json::Value::String(s) => Ok(Value::Text(s)),
            _ => Err(bad()),
        })
        .collect()
}

/// Refuses a progress key that does not fit `table`'s primary key: the copy was started by a
/// version whose schema keyed the table otherwise (V19 keyed `workflow_steps` and `tasks` by
/// their natural keys), and going on from it would compare a row value of the wrong width.
fn check_key_shape(table: &str, key: &[String], values: &[Value]) -> Result<()> {
    if values.len() == key.len() {
        return Ok(());
    }
    Err(Error::Internal(format!(
        "db copy: the target's progress key for {table} has {} part(s), but the table is keyed \
         by ({}): the copy was begun by another version of salesagent\nhint: run the copy again \
         with --restart",
        values.len(),
        key.join(", ")
    )))
}

/// A batch PostgreSQL refused, named by table and the batch's last key.
fn copy_error(table: &str, last_key: &str, e: sql::Error) -> Error {
    match Error::from(e) {
        Error::Store { message, class } => Error::Store {
            message: format!("db copy: {table} (batch ending at key {last_key}): {message}"),
            class,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tenant::TenantId;

    /// Every table of the schema is copied (or deliberately not), and each after the tables its
    /// foreign keys point at.
    #[test]
    fn copied_tables_cover_the_schema_in_dependency_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), &TenantId::default_tenant()).unwrap();
        let conn = store.sqlite("test").unwrap();
        let tables: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table'
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for table in &tables {
            let skipped = ["refinery_schema_history", "health_probe"].contains(&table.as_str());
            assert!(
                skipped || COPIED_TABLES.contains(&table.as_str()),
                "table {table} is not in COPIED_TABLES"
            );
        }
        for (i, table) in COPIED_TABLES.iter().enumerate() {
            assert!(tables.iter().any(|t| t == table), "no table {table}");
            let parents: Vec<String> = conn
                .prepare("SELECT \"table\" FROM pragma_foreign_key_list(?1)")
                .unwrap()
                .query_map([table], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            for parent in parents {
                let at = COPIED_TABLES.iter().position(|t| *t == parent).unwrap();
                let own = SELF_REFERENCES.iter().any(|(t, _)| t == table);
                assert!(
                    at < i || (at == i && own),
                    "{table} is copied before {parent}, which it references"
                );
            }
        }
    }

    #[test]
    fn keys_round_trip_and_statements_number_every_value() {
        let key = vec![Value::Text("a\"b".into()), Value::Integer(-3)];
        assert_eq!(decode_key(&encode_key(&key)).unwrap(), key);
        let columns = vec![
            Column {
                name: "a".into(),
                kind: Kind::Text,
            },
            Column {
                name: "b".into(),
                kind: Kind::Integer,
            },
        ];
        assert_eq!(
            insert_sql("t", &columns, 2),
            "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4)"
        );
    }

    #[test]
    fn a_progress_key_of_another_shape_is_refused_with_the_restart_hint() {
        let key = [
            "workflow_id".to_string(),
            "seq".to_string(),
            "attempt".to_string(),
        ];
        let old = decode_key(&encode_key(&[Value::Text("0190-step".into())])).unwrap();
        let err = check_key_shape("workflow_steps", &key, &old)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("workflow_steps") && err.contains("--restart"),
            "{err}"
        );
        let new = [
            Value::Text("wf".into()),
            Value::Integer(3),
            Value::Integer(1),
        ];
        assert!(check_key_shape("workflow_steps", &key, &new).is_ok());
    }

    #[test]
    fn values_take_their_target_column_kind() {
        assert_eq!(
            in_kind(SqliteValue::Text(b"raw"), Kind::Blob).unwrap(),
            Value::Blob(b"raw".to_vec())
        );
        assert_eq!(
            in_kind(SqliteValue::Real(3.0), Kind::Integer).unwrap(),
            Value::Integer(3)
        );
        assert_eq!(
            in_kind(SqliteValue::Integer(2), Kind::Real).unwrap(),
            Value::Real(2.0)
        );
        assert!(in_kind(SqliteValue::Real(1.5), Kind::Integer).is_err());
    }
}
