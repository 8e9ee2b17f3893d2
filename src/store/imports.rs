//! Import records (`import_jobs`, `import_row_errors`): creating an import, committing a chunk of
//! rows together with its checkpoint in one transaction, and pausing, resuming and cancelling the
//! jobs an import enqueued. Knows nothing of CSV; the `import` service hands it ready submissions.

use super::sql;
use super::sql::{OptionalExtension, Row, params};

use super::listen::announce_jobs_in;
use super::locks::check_lock_in;
use super::states::Metric;
use super::submissions::{accept_batch_in, tally_acceptance};
use super::usage::Tally;
use super::{Acceptance, ListQuery, NewSubmission, Page, Store, new_id, resolve_id};
use crate::error::{Error, Result};

/// Import states, as stored.
pub mod import_state {
    pub const RUNNING: &str = "running";
    pub const PAUSED: &str = "paused";
    pub const CANCELLED: &str = "cancelled";
    pub const COMPLETED: &str = "completed";
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    pub id: String,
    pub file_name: String,
    pub file_hash: String,
    pub state: String,
    pub rows_read: i64,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
    pub checkpoint_row: i64,
    pub checkpoint_offset: i64,
    /// JSON written by the import service (path, header, options); opaque here.
    pub options: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

const IMPORT_COLUMNS: &str = "id, file_name, file_hash, state, rows_read, rows_accepted, \
     rows_rejected, checkpoint_row, checkpoint_offset, options, created_at, updated_at, finished_at";

fn import_from_row(r: &Row<'_>) -> sql::Result<ImportRow> {
    Ok(ImportRow {
        id: r.get(0)?,
        file_name: r.get(1)?,
        file_hash: r.get(2)?,
        state: r.get(3)?,
        rows_read: r.get(4)?,
        rows_accepted: r.get(5)?,
        rows_rejected: r.get(6)?,
        checkpoint_row: r.get(7)?,
        checkpoint_offset: r.get(8)?,
        options: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        finished_at: r.get(12)?,
    })
}

/// Most bytes of a rejected row (and of its reason) kept: a 50 MB field must not become a 50 MB
/// `import_row_errors` row.
pub const MAX_REJECTED_ROW_BYTES: usize = 4096;
const MAX_REASON_BYTES: usize = 1024;

/// The longest prefix of `text` within `max` bytes, on a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The reason and row as stored: both bounded, and the reason says when the row was cut.
fn bounded_row_error(e: &RowError) -> (String, &str) {
    let mut message = prefix(&e.message, MAX_REASON_BYTES).to_string();
    if message.len() < e.message.len() {
        message.push('…');
    }
    let raw_row = prefix(&e.raw_row, MAX_REJECTED_ROW_BYTES);
    if raw_row.len() < e.raw_row.len() {
        message.push_str(&format!(
            " (row cut to its first {} of {} bytes)",
            raw_row.len(),
            e.raw_row.len()
        ));
    }
    (message, raw_row)
}

/// The store lock a process holds while it reads an import's file.
pub fn import_lock_name(import_id: &str) -> String {
    format!("import:{import_id}")
}

/// A rejected row: where, which column (when one is to blame), why, and the row as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub row_number: i64,
    pub column: Option<String>,
    pub message: String,
    pub raw_row: String,
}

/// A valid row, ready to become a submission.
#[derive(Clone, Debug)]
pub struct ChunkRow<'a> {
    pub row_number: i64,
    pub submission: NewSubmission<'a>,
    /// The row as it was in the file, kept if the store finds it is a duplicate.
    pub raw_row: &'a str,
}

/// The import lock a chunk commit must still hold, and the checkpoint its run read the file from:
/// the commit checks both in its transaction, so two importers of one file never both commit.
#[derive(Clone, Debug)]
pub struct ChunkFence<'a> {
    pub lock: &'a str,
    pub owner: &'a str,
    /// The lock is extended to this time by the commit.
    pub lock_until: i64,
    /// The import's checkpoint (row, byte offset) when this chunk began.
    pub after_row: i64,
    pub after_offset: i64,
}

/// One chunk of an import: everything read since the last checkpoint.
#[derive(Clone, Debug)]
pub struct ImportChunk<'a> {
    pub import_id: &'a str,
    pub fence: ChunkFence<'a>,
    pub rows: Vec<ChunkRow<'a>>,
    pub errors: Vec<RowError>,
    /// Data rows read so far, this chunk included.
    pub rows_read: i64,
    /// The last row number the chunk covers and the byte offset just after it.
    pub checkpoint_row: i64,
    pub checkpoint_offset: i64,
    /// Reading is done: the import becomes `completed`.
    pub last: bool,
    pub at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkOutcome {
    Committed {
        accepted: i64,
        /// Rows the store found to be duplicates (of this file or of earlier submissions).
        duplicates: Vec<RowError>,
    },
    /// The import is no longer running (paused or cancelled by an operator): nothing was written.
    Stopped { state: String },
}

/// Workflow and job counts of an import, for `import status`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportProgress {
    pub workflows: Vec<(String, i64)>,
    pub jobs: Vec<(String, i64)>,
}

impl Store {
    pub fn create_import(
        &self,
        file_name: &str,
        file_hash: &str,
        options: &str,
        at: i64,
    ) -> Result<ImportRow> {
        let id = new_id();
        // One live import per file content (a unique index, V4): a concurrent run of the same
        // file inserts nothing and gets the record the other run created.
        self.conn.execute(
            "INSERT INTO import_jobs (id, tenant_id, file_name, file_hash, state, options,
                 created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?6)
             ON CONFLICT (tenant_id, file_hash) WHERE state <> 'cancelled' DO NOTHING",
            params![id, self.tenant, file_name, file_hash, options, at],
        )?;
        match self.get_import(&id) {
            Err(Error::NotFound(_)) => self.import_by_hash(file_hash)?.ok_or_else(|| {
                Error::Internal(format!(
                    "import of {file_name}: no record after creating one"
                ))
            }),
            other => other,
        }
    }

    pub fn resolve_import_id(&self, id: &str) -> Result<String> {
        resolve_id(&self.conn, "import_jobs", &self.tenant, id).map_err(|e| match e {
            Error::NotFound(_) => Error::NotFound(format!("no import with id {id}")),
            other => other,
        })
    }

    pub fn get_import(&self, id: &str) -> Result<ImportRow> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {IMPORT_COLUMNS} FROM import_jobs WHERE id = ?1 AND tenant_id = ?2"
        ))?;
        stmt.query_row((id, &self.tenant), import_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no import with id {id}")))
    }

    /// The newest import of a file with this content hash, if any (a live one first).
    pub fn import_by_hash(&self, file_hash: &str) -> Result<Option<ImportRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {IMPORT_COLUMNS} FROM import_jobs WHERE tenant_id = ?1 AND file_hash = ?2
             ORDER BY state <> 'cancelled' DESC, created_at DESC, id DESC LIMIT 1"
        ))?;
        Ok(stmt
            .query_row((&self.tenant, file_hash), import_from_row)
            .optional()?)
    }

    /// Imports, newest first, and how many there are in all when the list was cut at `limit`.
    pub fn list_imports(&self, limit: usize) -> Result<Page<ImportRow>> {
        ListQuery::new(
            &format!("SELECT {IMPORT_COLUMNS} FROM import_jobs WHERE tenant_id = ?1"),
            &self.tenant,
        )
        .fetch_page(
            &self.conn,
            "created_at DESC, id DESC",
            limit,
            import_from_row,
        )
    }

    /// Writes a chunk's submissions (with workflows and `batch` jobs), its rejected rows, the
    /// counts and the checkpoint in ONE transaction: after a crash the import resumes exactly after
    /// the last committed chunk. Refuses (writing nothing) when the import is no longer running.
    ///
    /// Fenced: the transaction first checks that the run still holds the import's lock and that
    /// the checkpoint is the one the chunk began at; otherwise (another importer took over) it
    /// fails with `LockLost` and writes nothing.
    pub fn commit_import_chunk(&self, chunk: &ImportChunk<'_>) -> Result<ChunkOutcome> {
        let tx = self.write_tx()?;
        let fence = &chunk.fence;
        check_lock_in(&tx, fence.lock, fence.owner, fence.lock_until)?;
        let (state, row, offset): (String, i64, i64) = tx
            .prepare_cached(
                "SELECT state, checkpoint_row, checkpoint_offset FROM import_jobs
                 WHERE id = ?1 AND tenant_id = ?2",
            )?
            .query_row((chunk.import_id, &self.tenant), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no import with id {}", chunk.import_id)))?;
        if (row, offset) != (fence.after_row, fence.after_offset) {
            return Err(Error::LockLost {
                name: fence.lock.to_string(),
                owner: fence.owner.to_string(),
                why: format!(
                    "the checkpoint moved from row {} to row {row} under another importer",
                    fence.after_row
                ),
            });
        }
        if state != import_state::RUNNING {
            return Ok(ChunkOutcome::Stopped { state });
        }
        let mut accepted = 0;
        let mut duplicates = Vec::new();
        let mut tally = Tally::default();
        let acceptances = accept_chunk_in(&tx, &self.tenant, &chunk.rows)?;
        for (row, acceptance) in chunk.rows.iter().zip(acceptances) {
            tally_acceptance(&mut tally, &row.submission, &acceptance);
            match acceptance {
                Acceptance::Accepted { .. } => accepted += 1,
                Acceptance::Duplicate { submission_id, .. } => {
                    let (earlier, external): (Option<String>, Option<String>) = tx
                        .prepare_cached(
                            "SELECT import_job_id, external_id FROM submissions
                             WHERE id = ?1 AND tenant_id = ?2",
                        )?
                        .query_row(params![submission_id, self.tenant], |r| {
                            Ok((r.get(0)?, r.get(1)?))
                        })
                        .optional()?
                        .unwrap_or_default();
                    let message = if earlier.as_deref() == Some(chunk.import_id) {
                        match external.as_deref().and_then(|e| e.strip_prefix("row:")) {
                            Some(row) => format!("duplicate of row {row} (same email and form)"),
                            None => {
                                "duplicate of an earlier row of this file (same email and form)"
                                    .to_string()
                            }
                        }
                    } else {
                        format!(
                            "duplicate of existing submission {submission_id} (same email and form)"
                        )
                    };
                    duplicates.push(RowError {
                        row_number: row.row_number,
                        column: None,
                        message,
                        raw_row: row.raw_row.to_string(),
                    });
                }
            }
        }
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO import_row_errors (import_job_id, row_number, column_name, message, raw_row)
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS
                     (SELECT 1 FROM import_jobs WHERE id = ?1 AND tenant_id = ?6)
                 ON CONFLICT (import_job_id, row_number) DO UPDATE SET
                     column_name = excluded.column_name, message = excluded.message",
            )?;
            for e in chunk.errors.iter().chain(&duplicates) {
                let (message, raw_row) = bounded_row_error(e);
                insert.execute(params![
                    chunk.import_id,
                    e.row_number,
                    e.column,
                    message,
                    raw_row,
                    self.tenant
                ])?;
            }
        }
        let rejected = (chunk.errors.len() + duplicates.len()) as i64;
        let rows_in_chunk = (chunk.rows.len() + chunk.errors.len()) as u64;
        tally.add(chunk.at, Metric::ImportRows, rows_in_chunk);
        tally.write_in(&tx, &self.tenant)?;
        tx.prepare_cached(
            "UPDATE import_jobs SET rows_read = ?2, rows_accepted = rows_accepted + ?3,
                 rows_rejected = rows_rejected + ?4, checkpoint_row = ?5, checkpoint_offset = ?6,
                 updated_at = ?7,
                 state = CASE WHEN ?8 <> 0 THEN 'completed' ELSE state END,
                 finished_at = CASE WHEN ?8 <> 0 THEN ?7 ELSE finished_at END
             WHERE id = ?1 AND tenant_id = ?9",
        )?
        .execute(params![
            chunk.import_id,
            chunk.rows_read,
            accepted,
            rejected,
            chunk.checkpoint_row,
            chunk.checkpoint_offset,
            chunk.at,
            chunk.last,
            self.tenant
        ])?;
        if accepted > 0 {
            announce_jobs_in(&tx)?;
        }
        tx.commit()?;
        Ok(ChunkOutcome::Committed {
            accepted,
            duplicates,
        })
    }

    /// Rejected rows of an import, in file order.
    pub fn import_errors(&self, import_id: &str) -> Result<Vec<RowError>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT row_number, column_name, message, raw_row FROM import_row_errors
             WHERE import_job_id = ?1
               AND import_job_id IN (SELECT id FROM import_jobs WHERE id = ?1 AND tenant_id = ?2)
             ORDER BY row_number",
        )?;
        let rows = stmt
            .query_map(params![import_id, self.tenant], |r| {
                Ok(RowError {
                    row_number: r.get(0)?,
                    column: r.get(1)?,
                    message: r.get(2)?,
                    raw_row: r.get(3)?,
                })
            })?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// How far the import's workflows and jobs have got.
    pub fn import_progress(&self, import_id: &str) -> Result<ImportProgress> {
        let group = |sql: &str| -> Result<Vec<(String, i64)>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt
                .query_map(params![import_id, self.tenant], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<sql::Result<Vec<_>>>()?;
            Ok(rows)
        };
        Ok(ImportProgress {
            workflows: group(
                "SELECT w.status, COUNT(*) FROM submissions s JOIN workflows w ON w.submission_id = s.id
                 WHERE s.import_job_id = ?1 AND s.tenant_id = ?2 GROUP BY w.status ORDER BY w.status",
            )?,
            jobs: group(
                "SELECT state, COUNT(*) FROM jobs WHERE import_job_id = ?1 AND tenant_id = ?2
                 GROUP BY state ORDER BY state",
            )?,
        })
    }

    /// Jobs of the import not finished yet (queued, held or claimed by a worker); read through
    /// the `(import_job_id, state)` index, so a finished import costs nothing to ask about.
    pub fn import_unfinished_jobs(&self, import_id: &str) -> Result<i64> {
        unfinished_jobs(&self.conn, &self.tenant, import_id)
    }

    /// Who holds the import's lock (the process reading its file), if anyone does.
    pub fn import_runner(&self, import_id: &str) -> Result<Option<super::LockHolder>> {
        Ok(self
            .conn
            .prepare_cached("SELECT owner, acquired_at, expires_at FROM locks WHERE name = ?1")?
            .query_row([import_lock_name(import_id)], |r| {
                Ok(super::LockHolder {
                    owner: r.get(0)?,
                    acquired_at: r.get(1)?,
                    expires_at: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Pauses an import: its queued jobs become `held` (no worker claims them). Returns how many.
    pub fn pause_import(&self, import_id: &str, at: i64) -> Result<usize> {
        let tx = self.write_tx()?;
        let import = import_in(&tx, &self.tenant, import_id)?;
        if !matches!(
            import.state.as_str(),
            import_state::RUNNING | import_state::COMPLETED
        ) {
            return Err(Error::Refused(format!(
                "import {import_id} is {} already: there is nothing to pause",
                import.state
            )));
        }
        refuse_when_finished(&tx, &self.tenant, import_id, &import.state, "pause")?;
        let held = tx.execute(
            "UPDATE jobs SET state = 'held', updated_at = ?2
             WHERE import_job_id = ?1 AND tenant_id = ?3 AND state IN ('available', 'retryable')",
            params![import_id, at, self.tenant],
        )?;
        tx.execute(
            "UPDATE import_jobs SET state = 'paused', updated_at = ?2 WHERE id = ?1 AND tenant_id = ?3",
            params![import_id, at, self.tenant],
        )?;
        tx.commit()?;
        Ok(held)
    }

    /// Releases a paused import's held jobs, or a cancelled import's cancelled jobs (those whose
    /// workflows the cancel stopped; finished work stays as it is). The import goes back to
    /// `completed` when its file was read to the end, else to `running` (the caller then
    /// continues reading). Returns how many jobs were released.
    pub fn release_import(&self, import_id: &str, at: i64) -> Result<usize> {
        let tx = self.write_tx()?;
        let import = import_in(&tx, &self.tenant, import_id)?;
        let released = if import.state == import_state::CANCELLED {
            tx.execute(
                "UPDATE workflows SET status = 'pending', updated_at = ?2
                 WHERE tenant_id = ?3 AND status = 'cancelled' AND id IN (SELECT workflow_id FROM jobs
                     WHERE import_job_id = ?1 AND tenant_id = ?3 AND state = 'cancelled')",
                params![import_id, at, self.tenant],
            )?;
            tx.execute(
                "UPDATE jobs SET state = 'available', run_at = CASE WHEN run_at < ?2 THEN run_at ELSE ?2 END, updated_at = ?2
                 WHERE import_job_id = ?1 AND tenant_id = ?3 AND state = 'cancelled'
                   AND workflow_id IN (SELECT id FROM workflows WHERE status = 'pending')",
                params![import_id, at, self.tenant],
            )?
        } else {
            tx.execute(
                "UPDATE jobs SET state = 'available', run_at = CASE WHEN run_at < ?2 THEN run_at ELSE ?2 END, updated_at = ?2
                 WHERE import_job_id = ?1 AND tenant_id = ?3 AND state = 'held'",
                params![import_id, at, self.tenant],
            )?
        };
        tx.execute(
            "UPDATE import_jobs SET updated_at = ?2,
                 state = CASE WHEN finished_at IS NULL THEN 'running' ELSE 'completed' END
             WHERE id = ?1 AND tenant_id = ?3",
            params![import_id, at, self.tenant],
        )?;
        if released > 0 {
            announce_jobs_in(&tx)?;
        }
        tx.commit()?;
        Ok(released)
    }

    /// Cancels an import: queued (and held) jobs are cancelled with their pending workflows;
    /// finished and running work is kept. Returns how many jobs were cancelled.
    pub fn cancel_import(&self, import_id: &str, at: i64) -> Result<usize> {
        let tx = self.write_tx()?;
        let import = import_in(&tx, &self.tenant, import_id)?;
        if import.state == import_state::CANCELLED {
            return Err(Error::Refused(format!(
                "import {import_id} is already cancelled"
            )));
        }
        refuse_when_finished(&tx, &self.tenant, import_id, &import.state, "cancel")?;
        tx.execute(
            "UPDATE workflows SET status = 'cancelled', updated_at = ?2
             WHERE tenant_id = ?3 AND status = 'pending' AND id IN (SELECT workflow_id FROM jobs
                 WHERE import_job_id = ?1 AND tenant_id = ?3
                   AND state IN ('available', 'retryable', 'held'))",
            params![import_id, at, self.tenant],
        )?;
        let cancelled = tx.execute(
            "UPDATE jobs SET state = 'cancelled', updated_at = ?2
             WHERE import_job_id = ?1 AND tenant_id = ?3
               AND state IN ('available', 'retryable', 'held')",
            params![import_id, at, self.tenant],
        )?;
        // `finished_at` stays as it was: it says whether the file was read to the end, which a
        // resume after the cancel needs to know.
        tx.execute(
            "UPDATE import_jobs SET state = 'cancelled', updated_at = ?2 WHERE id = ?1 AND tenant_id = ?3",
            params![import_id, at, self.tenant],
        )?;
        tx.commit()?;
        Ok(cancelled)
    }
}

fn unfinished_jobs(conn: &sql::Conn, tenant: &str, import_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM jobs WHERE import_job_id = ?1 AND tenant_id = ?2
             AND state IN ('available', 'retryable', 'running', 'held')",
        )?
        .query_row(params![import_id, tenant], |r| r.get(0))?)
}

/// A completed import whose jobs have all run has nothing left to pause or cancel: marking it
/// `paused` or `cancelled` would misreport finished work (and a resume would read it again).
fn refuse_when_finished(
    tx: &sql::Transaction<'_>,
    tenant: &str,
    import_id: &str,
    state: &str,
    action: &str,
) -> Result<()> {
    if state != import_state::COMPLETED {
        return Ok(());
    }
    if unfinished_jobs(tx, tenant, import_id)? == 0 {
        return Err(Error::Refused(format!(
            "import {import_id} is completed and all its workflows have run: there is nothing to {action}"
        )));
    }
    Ok(())
}

/// The workflow of a submission that a cancelled import left unprocessed (its workflow was
/// cancelled before it ran a step), if the submission is one: such a lead is no duplicate.
pub(super) fn unprocessed_cancelled_workflow(
    conn: &sql::Conn,
    tenant: &str,
    submission_id: &str,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT w.id FROM submissions s
             JOIN import_jobs i ON i.id = s.import_job_id AND i.state = 'cancelled'
             JOIN workflows w ON w.submission_id = s.id AND w.status = 'cancelled'
             WHERE s.id = ?1 AND s.tenant_id = ?2
               AND NOT EXISTS (SELECT 1 FROM workflow_steps st WHERE st.workflow_id = w.id)",
        )?
        .query_row(params![submission_id, tenant], |r| r.get(0))
        .optional()?)
}

/// The chunk's rows accepted as one batch ([`accept_batch_in`]). A row that is a duplicate of a
/// submission a cancelled import never processed is accepted after all, in a second batch once
/// that submission is forgotten (with any later row of the chunk that was a duplicate of it: the
/// first of them is then the one accepted, and the others its duplicates).
fn accept_chunk_in(
    tx: &sql::Transaction<'_>,
    tenant: &str,
    rows: &[ChunkRow<'_>],
) -> Result<Vec<Acceptance>> {
    let entries: Vec<(&str, &NewSubmission<'_>)> =
        rows.iter().map(|r| (tenant, &r.submission)).collect();
    let mut out = accept_batch_in(tx, &entries)?;
    let mut forgotten: Vec<String> = Vec::new();
    let mut again = Vec::new();
    for (i, acceptance) in out.iter().enumerate() {
        if let Acceptance::Duplicate { submission_id, .. } = acceptance
            && (forgotten.contains(submission_id)
                || forget_cancelled_submission(tx, tenant, submission_id)?)
        {
            if !forgotten.contains(submission_id) {
                forgotten.push(submission_id.clone());
            }
            again.push(i);
        }
    }
    if again.is_empty() {
        return Ok(out);
    }
    let retry: Vec<(&str, &NewSubmission<'_>)> = again.iter().map(|&i| entries[i]).collect();
    for (i, acceptance) in again.into_iter().zip(accept_batch_in(tx, &retry)?) {
        out[i] = acceptance;
    }
    Ok(out)
}

/// A submission a cancelled import never processed must not make the same lead a duplicate when
/// the operator imports it again. Deletes it (with its workflow and job) and says whether it did.
fn forget_cancelled_submission(
    tx: &sql::Transaction<'_>,
    tenant: &str,
    submission_id: &str,
) -> Result<bool> {
    let Some(workflow) = unprocessed_cancelled_workflow(tx, tenant, submission_id)? else {
        return Ok(false);
    };
    for sql in [
        "DELETE FROM job_attempts
         WHERE job_id IN (SELECT id FROM jobs WHERE workflow_id = ?1 AND tenant_id = ?2)",
        "DELETE FROM jobs WHERE workflow_id = ?1 AND tenant_id = ?2",
        "DELETE FROM workflows WHERE id = ?1 AND tenant_id = ?2",
    ] {
        tx.prepare_cached(sql)?.execute(params![workflow, tenant])?;
    }
    tx.prepare_cached("DELETE FROM submissions WHERE id = ?1 AND tenant_id = ?2")?
        .execute(params![submission_id, tenant])?;
    Ok(true)
}

fn import_in(conn: &sql::Conn, tenant: &str, id: &str) -> Result<ImportRow> {
    conn.prepare_cached(&format!(
        "SELECT {IMPORT_COLUMNS} FROM import_jobs WHERE id = ?1 AND tenant_id = ?2"
    ))?
    .query_row((id, tenant), import_from_row)
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("no import with id {id}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lead::Lead;
    use crate::domain::submission::{ParsedSubmission, Shape};
    use crate::store::Source;

    fn parsed(email: &str) -> ParsedSubmission {
        ParsedSubmission {
            shape: Shape::Csv,
            portal_id: None,
            form_id: Some("f".into()),
            external_id: None,
            dedupe_key: format!("csv:f:{email}:-"),
            lead: Lead {
                email: Some(email.into()),
                ..Lead::default()
            },
            contact_object_id: None,
            submitted_at: None,
            page_url: None,
        }
    }

    fn chunk<'a>(
        id: &'a str,
        rows: &'a [ParsedSubmission],
        after: (i64, i64),
        last: i64,
    ) -> ImportChunk<'a> {
        ImportChunk {
            import_id: id,
            fence: ChunkFence {
                lock: "import:test",
                owner: "me",
                lock_until: 100,
                after_row: after.0,
                after_offset: after.1,
            },
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, p)| ChunkRow {
                    row_number: last - rows.len() as i64 + 1 + i as i64,
                    raw_row: "",
                    submission: NewSubmission {
                        source: Source::Import,
                        parsed: p,
                        raw_payload: b"{}",
                        signature: None,
                        import_job_id: Some(id),
                        synthetic: false,
                        queue: Some("batch"),
                        trace_id: None,
                        received_at: 1,
                    },
                })
                .collect(),
            errors: vec![],
            rows_read: last - 1,
            checkpoint_row: last,
            checkpoint_offset: last * 10,
            last: false,
            at: 1,
        }
    }

    fn locked_store() -> Store {
        let store = Store::open_in_memory().unwrap();
        assert!(
            store
                .try_lock("import:test", "me", 0, 100, &|_| false)
                .unwrap()
                .is_none()
        );
        store
    }

    #[test]
    fn one_live_import_per_file_and_a_chunk_commits_only_under_its_lock_and_checkpoint() {
        let store = locked_store();
        let import = store.create_import("f.csv", "h", "{}", 1).unwrap();
        let again = store.create_import("f.csv", "h", "{}", 2).unwrap();
        assert_eq!(
            again.id, import.id,
            "a concurrent start joins the existing import"
        );
        let rows = [parsed("a@b.co")];
        // A checkpoint other than the one the chunk began at: another importer moved it.
        let err = store
            .commit_import_chunk(&chunk(&import.id, &rows, (5, 50), 3))
            .unwrap_err();
        assert!(matches!(err, Error::LockLost { .. }), "{err}");
        // The lock taken over: nothing is written either.
        assert!(
            store
                .try_lock("import:test", "other", 200, 300, &|_| false)
                .unwrap()
                .is_none()
        );
        let err = store
            .commit_import_chunk(&chunk(&import.id, &rows, (0, 0), 3))
            .unwrap_err();
        assert!(matches!(err, Error::LockLost { .. }), "{err}");
        assert_eq!(store.get_import(&import.id).unwrap().rows_accepted, 0);
    }

    #[test]
    fn a_paused_import_commits_nothing_more_and_resume_releases_its_jobs() {
        let store = locked_store();
        let import = store.create_import("f.csv", "h", "{}", 1).unwrap();
        let first = [parsed("a@b.co"), parsed("c@d.co")];
        let out = store
            .commit_import_chunk(&chunk(&import.id, &first, (0, 0), 3))
            .unwrap();
        assert!(matches!(out, ChunkOutcome::Committed { accepted: 2, .. }));
        assert_eq!(store.pause_import(&import.id, 2).unwrap(), 2);
        let second = [parsed("e@f.co")];
        let out = store
            .commit_import_chunk(&chunk(&import.id, &second, (3, 30), 4))
            .unwrap();
        assert_eq!(
            out,
            ChunkOutcome::Stopped {
                state: "paused".into()
            }
        );
        let now = store.get_import(&import.id).unwrap();
        assert_eq!((now.checkpoint_row, now.rows_accepted), (3, 2));
        assert_eq!(store.release_import(&import.id, 3).unwrap(), 2);
        assert_eq!(store.get_import(&import.id).unwrap().state, "running");
        // The same rows again are duplicates of this import, not new submissions.
        let out = store
            .commit_import_chunk(&chunk(&import.id, &first, (3, 30), 5))
            .unwrap();
        let ChunkOutcome::Committed {
            accepted,
            duplicates,
        } = out
        else {
            panic!("{out:?}")
        };
        assert_eq!(accepted, 0);
        assert!(duplicates[0].message.contains("earlier row of this file"));
        // (These test rows carry no `row:N` external id; real import rows do.)
    }

    #[test]
    fn a_cancelled_import_releases_its_jobs_and_its_unprocessed_leads_import_again() {
        let store = locked_store();
        let import = store.create_import("f.csv", "h", "{}", 1).unwrap();
        let rows = [parsed("a@b.co"), parsed("c@d.co")];
        let mut first = chunk(&import.id, &rows, (0, 0), 3);
        first.errors.push(RowError {
            row_number: 4,
            column: Some("email".into()),
            message: "not an address".into(),
            raw_row: "x".repeat(MAX_REJECTED_ROW_BYTES + 10),
        });
        first.rows_read = 3;
        first.checkpoint_row = 4;
        first.last = true;
        let out = store.commit_import_chunk(&first).unwrap();
        assert!(matches!(out, ChunkOutcome::Committed { accepted: 2, .. }));
        let done = store.get_import(&import.id).unwrap();
        assert_eq!(
            (done.state.as_str(), done.rows_rejected, done.finished_at),
            ("completed", 1, Some(1))
        );
        let errors = store.import_errors(&import.id).unwrap();
        assert_eq!(errors[0].raw_row.len(), MAX_REJECTED_ROW_BYTES);
        assert_eq!(store.cancel_import(&import.id, 5).unwrap(), 2);
        assert_eq!(store.import_unfinished_jobs(&import.id).unwrap(), 0);
        let progress = store.import_progress(&import.id).unwrap();
        assert_eq!(progress.workflows, vec![("cancelled".to_string(), 2)]);
        assert_eq!(store.release_import(&import.id, 6).unwrap(), 2);
        assert_eq!(store.get_import(&import.id).unwrap().state, "completed");
        assert_eq!(store.import_unfinished_jobs(&import.id).unwrap(), 2);

        // Cancelled again, a new import of the same leads takes them over: no duplicates.
        store.cancel_import(&import.id, 7).unwrap();
        let next = store.create_import("g.csv", "h2", "{}", 8).unwrap();
        let out = store
            .commit_import_chunk(&chunk(&next.id, &rows, (0, 0), 3))
            .unwrap();
        assert!(
            matches!(&out, ChunkOutcome::Committed { accepted: 2, duplicates } if duplicates.is_empty()),
            "{out:?}"
        );
    }
}
