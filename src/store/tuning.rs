//! Connection tuning for long-lived connections (workers, the intake writer), WAL checkpoints, and
//! the health probes readiness runs.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{JOURNAL_SIZE_LIMIT, Store, WAL_RESET_FRAMES};
use crate::error::{Error, Result};

/// `wal_autocheckpoint` of a connection that checkpoints inline: after a commit that leaves the
/// WAL at this many frames or more, the committing connection copies it into the database itself.
pub(super) const AUTOCHECKPOINT_FRAMES: i64 = 4000;

thread_local! {
    /// Whether the SQLite connections this thread opens leave checkpoints to a [`Checkpointer`]
    /// (see [`without_inline_checkpoints`]).
    static CHECKPOINTED_ELSEWHERE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `open` with every SQLite connection opened meanwhile on this thread set never to
/// checkpoint inline (`wal_autocheckpoint = 0`). For threads whose writes a [`Checkpointer`]
/// copies into the database and whose connections reset the WAL when it asks
/// ([`WalReset::reset_if_wanted`]): the worker pool's, whose inline checkpoints (their two
/// `fsync`s on the worker's own thread, one per ~4 workflows) were a quarter of the time a worker
/// spent blocked (issue 16).
pub fn without_inline_checkpoints<T>(open: impl FnOnce() -> T) -> T {
    let before = CHECKPOINTED_ELSEWHERE.with(|c| c.replace(true));
    let result = open();
    CHECKPOINTED_ELSEWHERE.with(|c| c.set(before));
    result
}

/// The `wal_autocheckpoint` a connection opened on this thread now gets.
pub(super) fn autocheckpoint_frames() -> i64 {
    if CHECKPOINTED_ELSEWHERE.with(Cell::get) {
        0
    } else {
        AUTOCHECKPOINT_FRAMES
    }
}

/// A checkpointer's request that one of the database's writers reset the WAL between two of its
/// transactions: the WAL's size in frames when it asked (0: no request). Only a writer can start
/// the WAL over (SQLite's `walRestartLog`, at the start of a write transaction after a checkpoint
/// copied every frame, with no reader left on the old ones); a checkpoint on a thread that never
/// writes, racing writers that commit thousands of times a second, nearly never leaves the WAL in
/// that state, and the file grows without bound.
#[derive(Clone, Default)]
pub struct WalReset {
    wanted: Arc<AtomicI64>,
    done: Arc<AtomicU64>,
}

impl WalReset {
    /// Asks for a reset of a WAL of `frames` frames.
    pub fn ask(&self, frames: i64) {
        self.wanted.store(frames, Ordering::SeqCst);
    }

    /// Resets done so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::SeqCst)
    }

    /// When a reset is wanted, runs `reset` (a RESTART checkpoint, or TRUNCATE for a WAL grown
    /// past `journal_size_limit`, which empties the file at once; given whether to truncate), and
    /// asks again when it could not (readers were in the way): the next call tries again. The
    /// caller holds no transaction.
    pub fn reset_if_wanted(&self, reset: impl FnOnce(bool) -> Result<bool>) {
        let frames = self.wanted.swap(0, Ordering::SeqCst);
        if frames == 0 {
            return;
        }
        // Past journal_size_limit the file is emptied at once; below it, reused from its start.
        let truncate = frames * 4096 > JOURNAL_SIZE_LIMIT;
        match reset(truncate) {
            Ok(true) => {
                self.done.fetch_add(1, Ordering::SeqCst);
                tracing::debug!(frames, truncate, "WAL reset");
            }
            Ok(false) => {
                // Ask again unless the checkpointer has meanwhile (a newer size is as good).
                let _ = self
                    .wanted
                    .compare_exchange(0, frames, Ordering::SeqCst, Ordering::SeqCst);
                tracing::debug!("WAL busy; resetting later");
            }
            Err(e) => tracing::warn!(error = %e, "WAL reset failed; trying again"),
        }
    }
}

/// How often a [`Checkpointer`] copies the WAL: every `busy` while each pass finds new frames,
/// backing off (doubling) to `idle` while none come.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    pub busy: Duration,
    pub idle: Duration,
}

/// Every checkpointer's pace (the worker pool's, the intake writer's). Between two passes the
/// WAL grows by what the writers commit meanwhile, and a reset must first copy whatever the last
/// pass left, on the resetting writer's own thread: two workers write ~50 frames per workflow,
/// so at a thousand workflows a second a pass every 5 ms copies a few hundred frames and the WAL
/// reaches [`WAL_RESET_FRAMES`] in ~80 ms; the intake writer commits ~6,000 frames a second at
/// 30,000 requests a second, and with a pass every 250 ms its WAL reached ~18,800 frames (77 MB,
/// past `journal_size_limit`) before a reset could start it over, each reset a stall of every
/// request waiting for the writer (issue 16: p99 8–10 ms, the slowest request 41 ms; with 5 ms,
/// 4.3–5.1 ms and 9 ms, the WAL under 4,700 frames).
pub const CHECKPOINT_PACE: Pace = Pace {
    busy: Duration::from_millis(5),
    idle: Duration::from_millis(250),
};

/// A thread on its own connection that copies the WAL into the database (PASSIVE: neither
/// writers nor readers wait for it; its `fsync`s of the WAL and the database are on this thread)
/// and asks the writers, through a [`WalReset`], to reset the WAL once it has passed
/// [`WAL_RESET_FRAMES`]. Stopped (and joined) when dropped.
pub struct Checkpointer {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// What a checkpointer did, logged when it stops.
#[derive(Debug, Default)]
struct CheckpointStats {
    passes: u64,
    largest_wal: i64,
    asked: u64,
}

impl Checkpointer {
    pub fn start(store: Store, pace: Pace, reset: WalReset) -> Result<Checkpointer> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("checkpointer".into())
            .spawn(move || checkpoint_loop(&store, pace, &reset, &flag))
            .map_err(|e| Error::io("cannot start the checkpointer", e))?;
        Ok(Checkpointer {
            stop,
            handle: Some(handle),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn checkpoint_loop(store: &Store, pace: Pace, reset: &WalReset, stop: &AtomicBool) {
    let mut stats = CheckpointStats::default();
    let mut wait = pace.busy;
    let mut last = (0, 0);
    while !stop.load(Ordering::SeqCst) {
        nap(wait, stop);
        match store.checkpoint() {
            Ok((frames, copied)) => {
                stats.passes += 1;
                stats.largest_wal = stats.largest_wal.max(frames);
                if frames >= WAL_RESET_FRAMES {
                    stats.asked += 1;
                    reset.ask(frames);
                }
                // New frames since the last pass (or a WAL started over): keep the pace.
                wait = if (frames, copied) != last {
                    pace.busy
                } else {
                    (wait * 2).min(pace.idle)
                };
                last = (frames, copied);
            }
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; trying again"),
        }
    }
    let _ = store.checkpoint();
    tracing::info!(
        passes = stats.passes,
        largest_wal_frames = stats.largest_wal,
        resets_asked = stats.asked,
        resets_done = reset.done(),
        "checkpointer stopped"
    );
}

impl Store {
    /// Settings for a long-lived worker connection: query plans that do not depend on bound
    /// values (see [`Store::keep_plans`]). Its checkpoints were set when it was opened:
    /// inline every [`AUTOCHECKPOINT_FRAMES`], or none under [`without_inline_checkpoints`].
    pub fn tune_for_worker(&mut self) -> Result<()> {
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

/// Sleeps `wait`, in steps of at most 25 ms so a stop is seen soon.
fn nap(wait: Duration, stop: &AtomicBool) {
    let until = std::time::Instant::now() + wait;
    while !stop.load(Ordering::SeqCst) {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(25)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tenant::TenantId;

    fn autocheckpoint(store: &Store) -> i64 {
        store
            .conn
            .as_sqlite()
            .unwrap()
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap()
    }

    /// A worker pool with a checkpointer opens its threads' connections (the embedded CRM's
    /// too, opened in the same call) with inline checkpoints off; every other connection keeps
    /// them, so a process without a checkpointer still bounds its WAL.
    #[test]
    fn only_connections_opened_for_a_checkpointer_skip_inline_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let tenant = TenantId::default_tenant();
        let before = Store::open(&path, &tenant).unwrap();
        let (mut worker, crm) = without_inline_checkpoints(|| {
            (
                Store::open(&path, &tenant).unwrap(),
                Store::open(&path, &tenant).unwrap(),
            )
        });
        worker.tune_for_worker().unwrap();
        let after = Store::open(&path, &tenant).unwrap();
        assert_eq!(autocheckpoint(&before), AUTOCHECKPOINT_FRAMES);
        assert_eq!((autocheckpoint(&worker), autocheckpoint(&crm)), (0, 0));
        assert_eq!(autocheckpoint(&after), AUTOCHECKPOINT_FRAMES);
    }

    /// A reset asked for is run once; one that could not be made (readers in the way) is asked
    /// for again, one that failed is not; past `journal_size_limit` the file is truncated.
    #[test]
    fn a_wanted_reset_is_run_once_and_asked_again_when_busy() {
        let reset = WalReset::default();
        let mut runs = Vec::new();
        reset.reset_if_wanted(|t| {
            runs.push(t);
            Ok(true)
        });
        assert!(runs.is_empty(), "nothing was asked");
        reset.ask(WAL_RESET_FRAMES);
        reset.reset_if_wanted(|t| {
            runs.push(t);
            Ok(false)
        });
        reset.reset_if_wanted(|t| {
            runs.push(t);
            Ok(true)
        });
        reset.reset_if_wanted(|t| {
            runs.push(t);
            Ok(true)
        });
        assert_eq!((runs.as_slice(), reset.done()), (&[false, false][..], 1));
        reset.ask(JOURNAL_SIZE_LIMIT / 4096 + 1);
        reset.reset_if_wanted(|t| {
            runs.push(t);
            Err(Error::InvalidInput("disk".into()))
        });
        reset.reset_if_wanted(|t| {
            runs.push(t);
            Ok(true)
        });
        assert_eq!(runs, [false, false, true]);
    }
}
