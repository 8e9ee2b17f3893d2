//! Dead letters: jobs that used up their attempts. Reading them (with each attempt's error) and
//! requeueing them with a fresh set of attempts; the worker writes them, this module never does.

use super::sql;
use super::sql::{Conn, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{AuditEntry, append_audit};
use super::listen::announce_jobs_in;
use super::states::JobState;
use super::{ListQuery, Page, Store, resolve_id};
use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetterRow {
    pub id: String,
    pub job_id: String,
    pub workflow_id: Option<String>,
    pub error_class: String,
    pub error: String,
    pub attempts: i64,
    pub payload: String,
    pub created_at: i64,
    pub retried_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub job_kind: Option<String>,
    pub job_queue: Option<String>,
    pub job_state: Option<JobState>,
    /// The attempts a retry replaced, as JSON (see `JobAttempt`).
    pub attempt_history: Option<String>,
    /// The lead's email address, from the workflow.
    pub email: Option<String>,
}

impl DeadLetterRow {
    /// Where the dead letter stands: waiting for an operator, retried (its job is queued or
    /// running again), or resolved (the retry completed, or a newer dead letter replaced it).
    pub fn status(&self) -> &'static str {
        match (self.retried_at, self.resolved_at) {
            (_, Some(_)) => "resolved",
            (Some(_), None) => "retried",
            (None, None) => "waiting",
        }
    }
}

/// One attempt of a job, from `job_attempts` (or the history a retry kept).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobAttempt {
    pub attempt: i64,
    pub worker: Option<String>,
    pub error: Option<String>,
    pub error_class: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct DeadLetterFilter {
    pub class: Option<String>,
    pub since: Option<i64>,
    /// Include dead letters already retried or resolved.
    pub include_done: bool,
    pub limit: usize,
}

/// How the retried job is put back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requeue {
    /// `available` now, for a worker to pick up.
    Queue,
    /// Leased to this process, which runs the workflow inline and then calls `finish_inline_retry`.
    Inline { lease_ms: i64 },
}

const COLUMNS: &str = "d.id, d.job_id, d.workflow_id, d.error_class, d.error, d.attempts, d.payload, \
     d.created_at, d.retried_at, d.resolved_at, j.kind, j.queue, j.state, d.attempt_history, w.email";

/// The tables `COLUMNS` reads.
const FROM: &str = "dead_letters d LEFT JOIN jobs j ON j.id = d.job_id \
     LEFT JOIN workflows w ON w.id = d.workflow_id";

fn from_row(r: &Row<'_>) -> sql::Result<DeadLetterRow> {
    Ok(DeadLetterRow {
        id: r.get(0)?,
        job_id: r.get(1)?,
        workflow_id: r.get(2)?,
        error_class: r.get(3)?,
        error: r.get(4)?,
        attempts: r.get(5)?,
        payload: r.get(6)?,
        created_at: r.get(7)?,
        retried_at: r.get(8)?,
        resolved_at: r.get(9)?,
        job_kind: r.get(10)?,
        job_queue: r.get(11)?,
        job_state: r.get(12)?,
        attempt_history: r.get(13)?,
        email: r.get(14)?,
    })
}

impl Store {
    pub fn resolve_dead_letter_id(&self, id: &str) -> Result<String> {
        resolve_id(&self.conn, "dead_letters", &self.tenant, id)
    }

    pub fn list_dead_letters(&self, filter: &DeadLetterFilter) -> Result<Vec<DeadLetterRow>> {
        Ok(self.list_dead_letters_page(filter)?.rows)
    }

    /// The list, and how many match in all when it was cut at `filter.limit`.
    pub fn list_dead_letters_page(&self, filter: &DeadLetterFilter) -> Result<Page<DeadLetterRow>> {
        ListQuery::new(
            &format!("SELECT {COLUMNS} FROM {FROM} WHERE d.tenant_id = ?1"),
            &self.tenant,
        )
        .filter("d.error_class = ?", filter.class.clone())
        .filter("d.created_at >= ?", filter.since)
        .when(
            !filter.include_done,
            "d.retried_at IS NULL AND d.resolved_at IS NULL",
        )
        .fetch_page(&self.conn, "d.created_at, d.id", filter.limit, from_row)
    }

    pub fn get_dead_letter(&self, id: &str) -> Result<DeadLetterRow> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE d.id = ?1 AND d.tenant_id = ?2"
        ))?;
        stmt.query_row((id, &self.tenant), from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no dead letter with id {id}")))
    }

    /// Every attempt of the dead letter's job: the history kept by a retry, then current rows.
    pub fn dead_letter_attempts(&self, dead: &DeadLetterRow) -> Result<Vec<JobAttempt>> {
        let mut attempts: Vec<JobAttempt> = dead
            .attempt_history
            .as_deref()
            .and_then(|h| serde_json::from_str(h).ok())
            .unwrap_or_default();
        if dead.retried_at.is_none() {
            attempts.extend(self.job_attempts(&dead.job_id)?);
        }
        Ok(attempts)
    }

    fn job_attempts(&self, job_id: &str) -> Result<Vec<JobAttempt>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT attempt, worker, error, error_class, started_at, finished_at
             FROM job_attempts
             WHERE job_id = ?1 AND job_id IN (SELECT id FROM jobs WHERE id = ?1 AND tenant_id = ?2)
             ORDER BY attempt",
        )?;
        let rows = stmt
            .query_map(params![job_id, self.tenant], |r| {
                Ok(JobAttempt {
                    attempt: r.get(0)?,
                    worker: r.get(1)?,
                    error: r.get(2)?,
                    error_class: r.get(3)?,
                    started_at: r.get(4)?,
                    finished_at: r.get(5)?,
                })
            })?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Requeues a dead letter's job with a fresh set of attempts (attempt 0, run now), puts its
    /// failed workflow back to `pending` so it resumes at the failed step, marks the dead letter
    /// retried, and audits it: all in one transaction. The old attempts move into the dead
    /// letter's history.
    pub fn retry_dead_letter(
        &self,
        id: &str,
        requeue: Requeue,
        actor: &str,
        at: i64,
    ) -> Result<DeadLetterRow> {
        let dead = self.get_dead_letter(id)?;
        if dead.retried_at.is_some() {
            return Err(already_retried(&self.conn, &self.tenant, id, &dead.job_id));
        }
        if dead.resolved_at.is_some() {
            return Err(Error::Refused(format!(
                "dead letter {id} is already resolved"
            )));
        }
        let history = self.job_attempts(&dead.job_id)?;
        let tx = self.write_tx()?;
        let (state, owner, expires) = match requeue {
            Requeue::Queue => ("available", None, None),
            Requeue::Inline { lease_ms } => (
                "running",
                Some(format!("cli-retry:{}", std::process::id())),
                Some(at + lease_ms),
            ),
        };
        let changed = tx
            .execute(
                "UPDATE jobs SET state = ?1, attempt = 0, run_at = ?2, lease_owner = ?3,
                     lease_expires_at = ?4, updated_at = ?2
                 WHERE id = ?5 AND tenant_id = ?6 AND state = 'dead'",
                params![state, at, owner, expires, dead.job_id, self.tenant],
            )
            .map_err(|e| match e.is_constraint_violation() {
                true => Error::Refused(format!(
                    "job {} cannot be requeued: another live job has the same unique key",
                    dead.job_id
                )),
                _ => e.into(),
            })?;
        if changed == 0 {
            // Someone else got there between our read and the write lock: say who, and where
            // the job stands now (read inside this transaction, not from the earlier snapshot).
            return Err(already_retried(&tx, &self.tenant, id, &dead.job_id));
        }
        tx.execute(
            "DELETE FROM job_attempts
             WHERE job_id = ?1 AND job_id IN (SELECT id FROM jobs WHERE id = ?1 AND tenant_id = ?2)",
            params![dead.job_id, self.tenant],
        )?;
        let mut kept: Vec<JobAttempt> = dead
            .attempt_history
            .as_deref()
            .and_then(|h| serde_json::from_str(h).ok())
            .unwrap_or_default();
        kept.extend(history);
        let kept = serde_json::to_string(&kept).map_err(|e| Error::InvalidInput(e.to_string()))?;
        tx.execute(
            "UPDATE dead_letters SET retried_at = ?1, attempt_history = ?2
             WHERE id = ?3 AND tenant_id = ?4",
            params![at, kept, id, self.tenant],
        )?;
        if let Some(wf) = &dead.workflow_id {
            tx.execute(
                "UPDATE workflows SET status = 'pending', updated_at = ?1
                 WHERE id = ?2 AND tenant_id = ?3 AND status IN ('failed', 'running')",
                params![at, wf, self.tenant],
            )?;
        }
        let mut entry = AuditEntry::new(actor, "dlq.retry", at);
        entry.subject = Some(id.to_string());
        entry.before = Some(dead.error_class.clone());
        entry.after = Some(
            json!({ "job_id": dead.job_id, "workflow_id": dead.workflow_id, "job_state": state })
                .to_string(),
        );
        append_audit(&tx, &self.tenant, &entry)?;
        if matches!(requeue, Requeue::Queue) {
            announce_jobs_in(&tx)?;
        }
        tx.commit()?;
        self.get_dead_letter(id)
    }

    /// Ends an inline retry: the job is completed (and the dead letter resolved) when the workflow
    /// finished, else it is dead again with this error.
    pub fn finish_inline_retry(
        &self,
        dead: &DeadLetterRow,
        error: Option<(&str, &str)>,
        at: i64,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        match error {
            None => {
                tx.execute(
                    "UPDATE jobs SET state = 'completed', attempt = 1, lease_owner = NULL,
                         lease_expires_at = NULL, last_error = NULL, last_error_class = NULL,
                         updated_at = ?1
                     WHERE id = ?2 AND tenant_id = ?3",
                    params![at, dead.job_id, self.tenant],
                )?;
                tx.execute(
                    "UPDATE dead_letters SET resolved_at = ?1 WHERE id = ?2 AND tenant_id = ?3",
                    params![at, dead.id, self.tenant],
                )?;
            }
            Some((message, class)) => {
                tx.execute(
                    "UPDATE jobs SET state = 'dead', attempt = 1, lease_owner = NULL,
                         lease_expires_at = NULL, last_error = ?1, last_error_class = ?2,
                         updated_at = ?3
                     WHERE id = ?4 AND tenant_id = ?5",
                    params![message, class, at, dead.job_id, self.tenant],
                )?;
                tx.execute(
                    "UPDATE dead_letters SET retried_at = NULL, error = ?1, error_class = ?2
                     WHERE id = ?3 AND tenant_id = ?4",
                    params![message, class, dead.id, self.tenant],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// The refusal for a dead letter someone already retried: who did, when, and the job's state now.
fn already_retried(conn: &Conn, tenant: &str, id: &str, job_id: &str) -> Error {
    let state: Option<String> = conn
        .query_row(
            "SELECT state FROM jobs WHERE id = ?1 AND tenant_id = ?2",
            params![job_id, tenant],
            |r| r.get(0),
        )
        .optional()
        .ok()
        .flatten();
    let by: Option<(String, i64)> = conn
        .query_row(
            "SELECT actor, created_at FROM audit_log
             WHERE tenant_id = ?1 AND action = 'dlq.retry' AND subject = ?2
             ORDER BY created_at DESC, id DESC LIMIT 1",
            params![tenant, id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .ok()
        .flatten();
    let who = match by {
        Some((actor, at)) => format!(" by {actor} at {}", crate::domain::time::short(at)),
        None => String::new(),
    };
    Error::Refused(format!(
        "dead letter {id} was already retried{who}; its job {job_id} is {}\n\
         hint: `salesagent dlq show {id}` shows where it stands",
        state.as_deref().unwrap_or("gone")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ops_fixtures::{dead_letter, workflow};

    #[test]
    fn a_retry_requeues_the_job_once_and_keeps_its_attempts_as_history() {
        let store = Store::open_in_memory().unwrap();
        let made = workflow(
            &store,
            "a@x.com",
            "failed",
            "completed",
            "approved",
            "gmail",
        );
        let id = dead_letter(&store, &made);
        let open = DeadLetterFilter {
            limit: 10,
            ..DeadLetterFilter::default()
        };
        let listed = store.list_dead_letters_page(&open).unwrap();
        assert_eq!(listed.rows.len(), 1);
        assert_eq!(listed.rows[0].email.as_deref(), Some("a@x.com"));
        let dead = store.get_dead_letter(&id).unwrap();
        assert_eq!(dead.job_state, Some(JobState::Dead));
        assert_eq!(store.dead_letter_attempts(&dead).unwrap().len(), 1);

        let retried = store
            .retry_dead_letter(&id, Requeue::Queue, "op", 3000)
            .unwrap();
        assert_eq!(retried.retried_at, Some(3000));
        assert_eq!(retried.job_state, Some(JobState::Available));
        let history = store.dead_letter_attempts(&retried).unwrap();
        assert_eq!(history.len(), 1, "the attempt moved into the history");
        assert_eq!(history[0].worker.as_deref(), Some("w1"));
        let again = store.retry_dead_letter(&id, Requeue::Queue, "op2", 3001);
        assert!(matches!(again, Err(Error::Refused(_))), "{again:?}");
        assert!(store.list_dead_letters(&open).unwrap().is_empty());

        store
            .conn
            .execute("UPDATE jobs SET state = 'dead' WHERE id = ?1", [&made.job])
            .unwrap();
        store
            .finish_inline_retry(&retried, Some(("boom again", "permanent")), 4000)
            .unwrap();
        let back = store.get_dead_letter(&id).unwrap();
        assert_eq!((back.retried_at, back.error.as_str()), (None, "boom again"));
        let inline = store
            .retry_dead_letter(&id, Requeue::Inline { lease_ms: 60_000 }, "op", 5000)
            .unwrap();
        assert_eq!(inline.job_state, Some(JobState::Running));
        store.finish_inline_retry(&inline, None, 6000).unwrap();
        let done = store.get_dead_letter(&id).unwrap();
        assert_eq!(
            (done.resolved_at, done.job_state),
            (Some(6000), Some(JobState::Completed))
        );
    }
}
