//! Connection tuning for long-lived connections (workers, the intake writer), WAL checkpoints, and
//! the health probes readiness runs.

use super::Store;
use crate::error::Result;

impl Store {
    /// Settings for a long-lived worker connection: fewer, larger WAL checkpoints, and query
    /// plans that do not depend on bound values (see [`Store::keep_plans`]).
    pub fn tune_for_worker(&mut self) -> Result<()> {
        if let Some(conn) = self.conn.as_sqlite() {
            conn.execute_batch("PRAGMA wal_autocheckpoint = 4000;")?;
        }
        self.keep_plans()
    }

    /// The query planner stability guarantee (QPSG) for a connection that runs the same cached
    /// statements with new values all day. Without it SQLite marks a statement for re-preparing
    /// whenever a value its plan looked at changes (`LIMIT ?`, `x = ?` against 0 and 1, a
    /// parameter compared with a partial index's condition), and the worker threads re-parsed and
    /// re-planned several statements per workflow: 14% of their CPU under the end-to-end
    /// benchmark (issue 16). Our statements spell their partial-index conditions as literals, so
    /// their plans are the same either way.
    pub fn keep_plans(&self) -> Result<()> {
        if let Some(conn) = self.conn.as_sqlite() {
            conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
                true,
            )?;
        }
        Ok(())
    }

    /// Settings for the intake writer: it never checkpoints itself (a [`Store::checkpoint`] thread
    /// does, so no request waits for one), and a larger page cache for the random-key indexes.
    pub fn tune_for_intake(&mut self) -> Result<()> {
        if let Some(conn) = self.conn.as_sqlite() {
            conn.execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -32768;")?;
        }
        self.keep_plans()
    }

    /// Copies committed WAL frames into the database without blocking writers or readers
    /// (PASSIVE). Returns (frames in the WAL, frames checkpointed); PostgreSQL has no WAL file
    /// of ours to checkpoint: (0, 0).
    pub fn checkpoint(&self) -> Result<(i64, i64)> {
        let Some(conn) = self.conn.as_sqlite() else {
            return Ok((0, 0));
        };
        Ok(conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get(1)?, r.get(2)?))
        })?)
    }

    /// A RESTART checkpoint that waits at most about a second for readers (and other writers):
    /// once it succeeds, the next commit writes the WAL from its start again. With `truncate`
    /// (a WAL grown past `journal_size_limit`) a TRUNCATE checkpoint, which also empties the
    /// file at once. Run by the main writer between
    /// its commits, when the WAL has passed [`super::WAL_RESET_FRAMES`]: as the writer it needs
    /// no turn at the lock, so it succeeds under load where a separate thread would keep losing
    /// the race. Returns whether the WAL was reset; a busy database is "not this time", not an
    /// error.
    ///
    /// RESTART rather than TRUNCATE below the limit: an emptied file makes every later commit
    /// allocate and zero new blocks for its frames; reusing the file's blocks took ~10% of the
    /// intake writer's CPU off (issue 16), and the file stays within the same bound.
    pub fn reset_wal(&mut self, truncate: bool) -> Result<bool> {
        let sql = if truncate {
            "PRAGMA wal_checkpoint(TRUNCATE)"
        } else {
            "PRAGMA wal_checkpoint(RESTART)"
        };
        let Some(conn) = self.conn.as_sqlite_mut() else {
            return Ok(false);
        };
        conn.busy_handler(Some(checkpoint_busy))?;
        let result = self.wal_checkpoint(sql);
        if let Some(conn) = self.conn.as_sqlite_mut() {
            conn.busy_handler(Some(super::eager_busy))?;
        }
        result
    }

    /// A TRUNCATE checkpoint with the connection's usual busy handler (for a command that just
    /// erased data and wants its old page images out of the WAL). Returns whether the WAL was
    /// emptied; a reader in the way is "not now", not an error.
    ///
    /// On PostgreSQL, which keeps deleted and overwritten row versions until VACUUM removes
    /// them, the tables an erasure touches are vacuumed instead (a plain VACUUM: intake and
    /// workers keep writing); see docs/runbooks.md for what that does and does not remove.
    pub fn try_truncate_wal(&self) -> Result<bool> {
        if self.conn.as_sqlite().is_none() {
            for table in super::privacy::erased_tables() {
                // One statement per call: VACUUM refuses to run inside a transaction block.
                self.conn.execute_batch(&format!("VACUUM {table}"))?;
            }
            return Ok(true);
        }
        self.wal_checkpoint("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Runs a RESTART or TRUNCATE checkpoint: whether it completed; busy is "not now".
    fn wal_checkpoint(&self, sql: &str) -> Result<bool> {
        let Some(conn) = self.conn.as_sqlite() else {
            return Ok(false);
        };
        let result: rusqlite::Result<i64> = conn.query_row(sql, [], |r| r.get(0));
        match result.map_err(super::sql::Error::from) {
            Ok(busy) => Ok(busy == 0),
            Err(e) if e.is_busy() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Readiness: a real write that commits (the probe row, overwritten in place), so a full disk
    /// or a read-only file shows here rather than only in failing intake commits.
    pub fn probe_writable(&self, at: i64) -> Result<()> {
        let tx = self.write_tx()?;
        tx.execute("UPDATE health_probe SET written_at = ?1 WHERE id = 1", [at])?;
        tx.commit()?;
        Ok(())
    }

    /// Readiness: the database has every migration this build knows.
    pub fn schema_is_current(&self) -> Result<bool> {
        let known = super::migrations_for(self.conn.dialect())
            .get_migrations()
            .iter()
            .map(|m| i64::from(m.version()))
            .max()
            .unwrap_or(0);
        Ok(self.schema_version()? == known)
    }
}

/// The RESTART checkpoint's busy handler: steps shorter than the other connections' (so it wins
/// its turn at the lock), about half a second in all.
fn checkpoint_busy(attempt: i32) -> bool {
    if attempt >= 10_000 {
        return false;
    }
    std::thread::sleep(std::time::Duration::from_micros(50));
    true
}
