//! Database maintenance: online backups (`VACUUM INTO`), restores, and the checks that a file is a
//! healthy salesagent database before it replaces the live one. A restore is prepared in a
//! temporary file (copied, then migrated) and swapped in by rename, so the live database is never
//! half-replaced; only `--force` over live workers falls back to SQLite's online backup API.

use crate::domain::tenant::TenantId;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{Store, embedded};
use crate::error::{Error, Result};

/// What a backup or a candidate restore file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseFacts {
    pub schema_version: i64,
    pub workflows: i64,
    pub bytes: u64,
}

impl Store {
    /// A consistent copy of the live database, taken online (readers and writers keep going),
    /// into `target`, which must not exist or be empty (a fresh temporary file).
    pub fn backup_to(&self, target: &Path) -> Result<DatabaseFacts> {
        // PostgreSQL is refused first, whatever the target: its own tools make its backups.
        let conn = self.sqlite("db backup")?;
        if std::fs::metadata(target).is_ok_and(|m| m.len() > 0) {
            return Err(Error::Refused(format!(
                "{} already exists (backups never overwrite)\nhint: choose a new file name, or move \
                 the old file away first",
                target.display()
            )));
        }
        let target_str = target.to_str().ok_or_else(|| {
            Error::InvalidInput(format!("{} is not a UTF-8 path", target.display()))
        })?;
        conn.execute("VACUUM INTO ?1", [target_str]).map_err(|e| {
            Error::io(
                format!("cannot write backup {}", target.display()),
                std::io::Error::other(e.to_string()),
            )
        })?;
        inspect(target)
    }

    /// Replaces the live database's content with `source`'s, page by page, in place, in one step:
    /// processes that have the database open see the restored content on their next
    /// transaction. Only for a forced restore while other processes run; `source` must have been
    /// prepared (checked and migrated) first.
    pub fn restore_in_place(&mut self, source: &Path) -> Result<DatabaseFacts> {
        self.sqlite("db restore")?;
        let facts = inspect(source)?;
        let src = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let conn = self.conn.as_sqlite_mut().expect("checked above");
        copy_all(&src, conn)?;
        self.migrate()?;
        Ok(facts)
    }

    /// Makes the WAL empty so the main file holds everything (before the file is swapped).
    pub fn checkpoint_truncate(&self) -> Result<()> {
        self.sqlite("a WAL checkpoint")?.query_row(
            "PRAGMA wal_checkpoint(TRUNCATE)",
            [],
            |_| Ok(()),
        )?;
        Ok(())
    }
}

/// Copies `source` (a checked backup) into the new file `temp` through SQLite (so a WAL beside
/// the source is included), then migrates the copy: a failing migration never reaches live data.
pub fn prepare_restore(source: &Path, temp: &Path, tenant: &TenantId) -> Result<DatabaseFacts> {
    inspect(source)?;
    {
        let src = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut dst = Connection::open(temp)?;
        copy_all(&src, &mut dst)?;
    }
    let store = Store::open(temp, tenant)?;
    store.checkpoint_truncate()?;
    drop(store);
    inspect(temp)
}

/// Copies every page of `src` into `dst` in one backup step, so `dst` changes in one transaction;
/// waits (bounded) while either side is locked.
fn copy_all(src: &Connection, dst: &mut Connection) -> Result<()> {
    use rusqlite::backup::{Backup, StepResult};
    let backup = Backup::new(src, dst)?;
    for _ in 0..2_000 {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            _ => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
    Err(Error::Refused(
        "the database stayed locked for 10 s; the restore was not applied\nhint: try again".into(),
    ))
}

/// Swaps the prepared file `prepared` in for the database at `live`: the live WAL is checkpointed
/// first, the old `-wal`/`-shm` removed (they would otherwise be replayed into the new file),
/// then one rename. Only when no other process has the database open.
pub fn swap_in(live: &Path, prepared: &Path, tenant: &TenantId) -> Result<()> {
    if live.exists() {
        let store = Store::open(live, tenant)?;
        store.checkpoint_truncate()?;
        drop(store);
    }
    for suffix in ["-wal", "-shm"] {
        let mut name = live.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io(
                    format!("cannot remove {}", Path::new(&name).display()),
                    e,
                ));
            }
            _ => {}
        }
    }
    std::fs::rename(prepared, live)
        .map_err(|e| Error::io(format!("cannot replace {}", live.display()), e))?;
    if let Some(dir) = live.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Checks that `path` is an intact salesagent database this build can use, and describes it:
/// the full integrity check; every recorded migration is one of ours by version, name and
/// checksum; and every table and column our schema has at that version exists.
pub fn inspect(path: &Path) -> Result<DatabaseFacts> {
    let bad = |why: String| {
        Error::InvalidInput(format!(
            "{} is not a usable salesagent database: {why}\nhint: restore a file written by `salesagent db backup`",
            path.display()
        ))
    };
    let bytes = std::fs::metadata(path)
        .map_err(|e| bad(e.to_string()))?
        .len();
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| bad(e.to_string()))?;
    let check: String = conn
        .query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))
        .map_err(|e| bad(e.to_string()))?;
    if check != "ok" {
        return Err(bad(format!("integrity check failed: {check}")));
    }
    let schema_version = check_history(&conn).map_err(bad)?;
    check_tables(&conn, schema_version).map_err(bad)?;
    let workflows: i64 = conn
        .query_row("SELECT COUNT(*) FROM workflows", [], |r| r.get(0))
        .map_err(|e| bad(e.to_string()))?;
    Ok(DatabaseFacts {
        schema_version,
        workflows,
        bytes,
    })
}

/// The file's schema version, when every migration it records is ours.
fn check_history(conn: &Connection) -> std::result::Result<i64, String> {
    let recorded: Vec<(i64, String, String)> = conn
        .prepare("SELECT version, name, checksum FROM refinery_schema_history ORDER BY version")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(|_| "it has no salesagent migration history".to_string())?;
    if recorded.is_empty() {
        return Err("its migration history is empty".into());
    }
    let runner = embedded::migrations::runner();
    let ours = runner.get_migrations();
    for (version, name, checksum) in &recorded {
        match ours.iter().find(|m| i64::from(m.version()) == *version) {
            None => {
                return Err(format!(
                    "it records migration V{version}__{name}, which this salesagent does not have"
                ));
            }
            Some(m) if m.name() != name || m.checksum().to_string() != *checksum => {
                return Err(format!(
                    "its migration V{version}__{name} differs from this salesagent's V{}__{}",
                    m.version(),
                    m.name()
                ));
            }
            Some(_) => {}
        }
    }
    Ok(recorded.last().map(|r| r.0).unwrap_or(0))
}

/// Every table and column our migrations up to `version` create exists in `conn`.
fn check_tables(conn: &Connection, version: i64) -> std::result::Result<(), String> {
    let reference = Connection::open_in_memory().map_err(|e| e.to_string())?;
    let runner = embedded::migrations::runner();
    let mut ours: Vec<_> = runner
        .get_migrations()
        .iter()
        .filter(|m| i64::from(m.version()) <= version)
        .collect();
    ours.sort_by_key(|m| m.version());
    for m in ours {
        reference
            .execute_batch(m.sql().unwrap_or_default())
            .map_err(|e| e.to_string())?;
    }
    let tables: Vec<String> = reference
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut s| {
            s.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(|e| e.to_string())?;
    for table in tables {
        let expected = columns(&reference, &table);
        let found = columns(conn, &table);
        if found.is_empty() {
            return Err(format!("table {table} is missing"));
        }
        if let Some(missing) = expected.iter().find(|c| !found.contains(c)) {
            return Err(format!("table {table} has no column {missing}"));
        }
    }
    Ok(())
}

fn columns(conn: &Connection, table: &str) -> Vec<String> {
    conn.prepare("SELECT name FROM pragma_table_info(?1)")
        .and_then(|mut s| {
            s.query_map([table], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::Dialect;

    /// SQLite: a backup is a checked copy that restores in place. PostgreSQL: backup, restore
    /// and WAL checkpoints are refused as bad input naming PostgreSQL's own tools, and no file
    /// is written.
    #[test]
    fn backups_and_restores_are_sqlites_and_refused_on_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Store::open(&dir.path().join("live.db"), &TenantId::default_tenant()).unwrap();
        let backup = dir.path().join("backup.db");
        assert!(sqlite.backup_to(&backup).unwrap().schema_version >= 14);

        let mut store = Store::open_in_memory().unwrap();
        if store.dialect() == Dialect::Sqlite {
            assert!(store.restore_in_place(&backup).is_ok());
            return;
        }
        let target = dir.path().join("pg-backup.db");
        let refusals = [
            store.backup_to(&target).unwrap_err(),
            store.restore_in_place(&backup).unwrap_err(),
            store.checkpoint_truncate().unwrap_err(),
        ];
        for err in refusals {
            assert!(matches!(err, Error::InvalidInput(_)), "{err}");
            let text = err.to_string();
            assert!(
                text.contains("hint: ")
                    && text.contains("pg_dump")
                    && text.contains("pg_basebackup"),
                "{text}"
            );
        }
        assert!(!target.exists());
    }
}
