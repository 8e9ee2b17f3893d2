//! Database maintenance: online backups (`VACUUM INTO`), restores through SQLite's backup API, and
//! the checks that a file is a healthy salesagent database before it replaces the live one.

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
    /// A consistent copy of the live database, taken online (readers and writers keep going).
    pub fn backup_to(&self, target: &Path) -> Result<DatabaseFacts> {
        if target.exists() {
            return Err(Error::Refused(format!(
                "{} already exists; choose a new file name (backups never overwrite)",
                target.display()
            )));
        }
        let target_str = target.to_str().ok_or_else(|| {
            Error::InvalidInput(format!("{} is not a UTF-8 path", target.display()))
        })?;
        self.conn
            .execute("VACUUM INTO ?1", [target_str])
            .map_err(|e| {
                Error::io(
                    format!("cannot write backup {}", target.display()),
                    std::io::Error::other(e.to_string()),
                )
            })?;
        inspect(target)
    }

    /// Replaces the live database's content with `source`'s, page by page, in place: processes
    /// that have the database open see the restored content on their next transaction.
    pub fn restore_from(&mut self, source: &Path) -> Result<DatabaseFacts> {
        let facts = inspect(source)?;
        let src = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let backup = rusqlite::backup::Backup::new(&src, &mut self.conn)?;
        backup.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
        drop(backup);
        self.migrate()?;
        Ok(facts)
    }
}

/// Checks that `path` is an intact salesagent database this build can use, and describes it.
pub fn inspect(path: &Path) -> Result<DatabaseFacts> {
    let bad = |why: String| {
        Error::InvalidInput(format!(
            "{} is not a usable salesagent database: {why}",
            path.display()
        ))
    };
    let bytes = std::fs::metadata(path)
        .map_err(|e| bad(e.to_string()))?
        .len();
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| bad(e.to_string()))?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| bad(e.to_string()))?;
    if check != "ok" {
        return Err(bad(format!("integrity check failed: {check}")));
    }
    let schema_version: i64 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM refinery_schema_history",
            [],
            |r| r.get(0),
        )
        .map_err(|_| bad("it has no salesagent schema".into()))?;
    let known = embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0);
    if schema_version > known {
        return Err(bad(format!(
            "its schema version {schema_version} is newer than this salesagent knows ({known})"
        )));
    }
    let workflows: i64 = conn
        .query_row("SELECT COUNT(*) FROM workflows", [], |r| r.get(0))
        .map_err(|e| bad(e.to_string()))?;
    Ok(DatabaseFacts {
        schema_version,
        workflows,
        bytes,
    })
}
