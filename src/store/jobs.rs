//! The job queue: every SQL statement of it. Claims are one `UPDATE … RETURNING` in an IMMEDIATE
//! transaction; a lease (owner + expiry) is renewed by heartbeat; a rescuer returns expired leases;
//! finishing a job is conditional on still holding its lease, so a worker that lost its lease can
//! never overwrite the work of the one that took over. A dead job gets its dead letter in the same
//! transaction.

use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, new_id};
use crate::error::{Error, Result};

/// The queues, in the order of their weight.
pub const QUEUES: [&str; 4] = ["priority", "normal", "batch", "cleanup"];

/// A job this worker now holds the lease on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: String,
    pub queue: String,
    pub kind: String,
    pub workflow_id: Option<String>,
    /// 1 for the first attempt; expired leases count.
    pub attempt: i64,
    pub max_attempts: i64,
    pub payload: String,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobResult {
    Completed,
    /// Try again at `run_at`; the workflow goes back to `pending` with the error shown.
    Retry {
        run_at: i64,
        class: String,
        error: String,
    },
    /// No more attempts (exhausted, or a configuration error): dead letter, workflow `failed`.
    Dead {
        class: String,
        error: String,
    },
    /// Bad input: the job stops without a dead letter; the workflow is `failed` for the operator.
    Cancelled {
        class: String,
        error: String,
    },
}

/// The end of one attempt, applied only while `owner` still holds the lease for `attempt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobFinish {
    pub job_id: String,
    pub owner: String,
    pub attempt: i64,
    pub result: JobResult,
    pub at: i64,
}

/// What the rescuer did with expired leases.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rescued {
    pub returned: usize,
    pub dead: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct QueueCount {
    pub queue: String,
    pub state: String,
    pub count: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueStats {
    pub counts: Vec<QueueCount>,
    /// Per queue: age in ms of the oldest job that is due and waiting.
    pub oldest_available_ms: Vec<(String, i64)>,
    pub dead_letters: i64,
    /// Worker processes with a live heartbeat.
    pub workers_alive: i64,
    /// Worker threads those processes run (each runs one job at a time).
    pub worker_threads: i64,
}

impl Store {
    /// Claims up to `limit` due jobs from the first queue in `queues` that has any, taking a lease
    /// until `now + lease_ms`. `max_attempts` (the claiming worker's setting) is stamped on the job.
    /// Each state is read in `jobs_claim` index order (a plain `state IN (..)` would sort the whole
    /// backlog on every claim).
    pub fn claim_jobs(
        &self,
        owner: &str,
        queues: &[&str],
        limit: usize,
        lease_ms: i64,
        max_attempts: i64,
        now: i64,
    ) -> Result<Vec<ClaimedJob>> {
        let tx = self.write_tx()?;
        let mut claimed = Vec::new();
        for queue in queues {
            let mut stmt = tx.prepare_cached(
                "UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = ?1,
                     lease_expires_at = ?2, updated_at = ?3, max_attempts = ?6
                 WHERE id IN (
                     SELECT id FROM (
                         SELECT * FROM (SELECT id, priority, run_at FROM jobs
                             WHERE state = 'available' AND queue = ?4 AND run_at <= ?3 AND tenant_id = ?7
                             ORDER BY priority DESC, run_at LIMIT ?5)
                         UNION ALL
                         SELECT * FROM (SELECT id, priority, run_at FROM jobs
                             WHERE state = 'retryable' AND queue = ?4 AND run_at <= ?3 AND tenant_id = ?7
                             ORDER BY priority DESC, run_at LIMIT ?5))
                     ORDER BY priority DESC, run_at LIMIT ?5)
                 RETURNING id, queue, kind, workflow_id, attempt, max_attempts, payload",
            )?;
            claimed = stmt
                .query_map(
                    params![
                        owner,
                        now + lease_ms,
                        now,
                        queue,
                        limit as i64,
                        max_attempts,
                        self.tenant
                    ],
                    |r| {
                        Ok(ClaimedJob {
                            id: r.get(0)?,
                            queue: r.get(1)?,
                            kind: r.get(2)?,
                            workflow_id: r.get(3)?,
                            attempt: r.get(4)?,
                            max_attempts: r.get(5)?,
                            payload: r.get(6)?,
                        })
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            if !claimed.is_empty() {
                break;
            }
        }
        for job in &claimed {
            tx.prepare_cached(
                "INSERT INTO job_attempts (job_id, attempt, worker, started_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (job_id, attempt) DO UPDATE SET worker = excluded.worker,
                     started_at = excluded.started_at, error = NULL, error_class = NULL, finished_at = NULL",
            )?
            .execute(params![job.id, job.attempt, owner, now])?;
        }
        tx.commit()?;
        Ok(claimed)
    }

    /// Records that `owner` (a process running `threads` worker threads) is alive and extends
    /// the lease of every job it runs.
    #[allow(clippy::too_many_arguments)]
    pub fn heartbeat(
        &self,
        owner: &str,
        pid: u32,
        queues: &str,
        threads: usize,
        started_at: i64,
        lease_ms: i64,
        now: i64,
    ) -> Result<usize> {
        let tx = self.write_tx()?;
        tx.prepare_cached(
            "INSERT INTO worker_heartbeats (worker_id, hostname, pid, queues, threads, started_at, seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (worker_id) DO UPDATE SET seen_at = excluded.seen_at,
                 queues = excluded.queues, threads = excluded.threads",
        )?
        .execute(params![
            owner,
            hostname(),
            pid,
            queues,
            threads as i64,
            started_at,
            now
        ])?;
        let renewed = tx
            .prepare_cached(
                "UPDATE jobs SET lease_expires_at = ?2 WHERE state = 'running' AND lease_owner = ?1",
            )?
            .execute(params![owner, now + lease_ms])?;
        tx.commit()?;
        Ok(renewed)
    }

    /// Forgets a worker that stopped cleanly.
    pub fn remove_worker(&self, owner: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM worker_heartbeats WHERE worker_id = ?1",
            [owner],
        )?;
        Ok(())
    }

    /// Returns expired leases to `available` (the attempt they used counts); a job whose lease
    /// expired on its last attempt is dead, with its dead letter, in the same transaction.
    pub fn rescue_expired_jobs(&self, now: i64) -> Result<Rescued> {
        let tx = self.write_tx()?;
        let expired: Vec<(String, i64, i64, Option<String>)> = tx
            .prepare_cached(
                "SELECT id, attempt, max_attempts, lease_owner FROM jobs
                 WHERE state = 'running' AND lease_expires_at < ?1",
            )?
            .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Rescued::default();
        for (id, attempt, max_attempts, owner) in expired {
            let error = format!(
                "lease expired: worker {} stopped renewing it",
                owner.as_deref().unwrap_or("?")
            );
            let result = if attempt >= max_attempts {
                out.dead += 1;
                JobResult::Dead {
                    class: "transient".into(),
                    error,
                }
            } else {
                out.returned += 1;
                JobResult::Retry {
                    run_at: now,
                    class: "transient".into(),
                    error,
                }
            };
            let finish = JobFinish {
                job_id: id,
                owner: owner.unwrap_or_default(),
                attempt,
                result,
                at: now,
            };
            finish_job_in(&tx, &finish)?;
        }
        tx.commit()?;
        Ok(out)
    }

    /// Gives the jobs `owner` holds back to the queue now (shutdown). With `uncount`, the attempt is
    /// not counted (the job was claimed but never started).
    pub fn release_jobs(&self, owner: &str, job_ids: &[String], uncount: bool) -> Result<usize> {
        let tx = self.write_tx()?;
        let mut n = 0;
        for id in job_ids {
            let changed = tx
                .prepare_cached(
                    "UPDATE jobs SET state = 'available', lease_owner = NULL, lease_expires_at = NULL,
                         attempt = attempt - ?3
                     WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
                )?
                .execute(params![id, owner, i64::from(uncount)])?;
            if changed > 0 && uncount {
                tx.prepare_cached(
                    "DELETE FROM job_attempts WHERE job_id = ?1
                     AND attempt > (SELECT attempt FROM jobs WHERE id = ?1)",
                )?
                .execute([id])?;
            }
            n += changed;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Every running job `owner` holds goes back to `available` (the attempt counts).
    pub fn release_all_jobs(&self, owner: &str) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE jobs SET state = 'available', lease_owner = NULL, lease_expires_at = NULL,
                 last_error = 'released at shutdown'
             WHERE lease_owner = ?1 AND state = 'running'",
            [owner],
        )?)
    }

    /// Applies the end of an attempt on its own (when the pipeline could not run at all).
    pub fn finish_job(&self, finish: &JobFinish) -> Result<()> {
        let tx = self.write_tx()?;
        finish_job_in(&tx, finish)?;
        tx.commit()?;
        Ok(())
    }

    pub fn job_state(&self, job_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT state FROM jobs WHERE id = ?1", [job_id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn queue_stats(&self, now: i64, alive_since: i64) -> Result<QueueStats> {
        let counts = self
            .conn
            .prepare_cached(
                "SELECT queue, state, COUNT(*) FROM jobs WHERE tenant_id = ?1
                 GROUP BY queue, state ORDER BY queue, state",
            )?
            .query_map([&self.tenant], |r| {
                Ok(QueueCount {
                    queue: r.get(0)?,
                    state: r.get(1)?,
                    count: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let oldest_available_ms = self
            .conn
            .prepare_cached(
                "SELECT queue, ?2 - MIN(run_at) FROM jobs
                 WHERE tenant_id = ?1 AND state IN ('available', 'retryable') AND run_at <= ?2
                 GROUP BY queue ORDER BY queue",
            )?
            .query_map(params![self.tenant, now], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let dead_letters = self.conn.query_row(
            "SELECT COUNT(*) FROM dead_letters WHERE tenant_id = ?1 AND resolved_at IS NULL",
            [&self.tenant],
            |r| r.get(0),
        )?;
        let workers = self.live_workers(alive_since)?;
        Ok(QueueStats {
            counts,
            oldest_available_ms,
            dead_letters,
            workers_alive: workers.processes,
            worker_threads: workers.threads,
        })
    }

    /// Worker processes whose heartbeat is newer than `since`.
    pub fn workers_alive(&self, since: i64) -> Result<i64> {
        Ok(self.live_workers(since)?.processes)
    }

    /// Settings for a long-lived worker connection: pages read through a memory map (several
    /// connections write in turn, so SQLite's own page cache is reset on nearly every read
    /// transaction), and fewer, larger WAL checkpoints.
    pub fn tune_for_worker(&mut self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_autocheckpoint = 4000;")?;
        Ok(())
    }

    /// Settings for the intake writer: it never checkpoints itself (a [`Store::checkpoint`] thread
    /// does, so no request waits for one), and a larger page cache for the random-key indexes.
    pub fn tune_for_intake(&mut self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -32768;")?;
        Ok(())
    }

    /// Copies committed WAL frames into the database without blocking writers or readers
    /// (PASSIVE). Returns (frames in the WAL, frames checkpointed).
    pub fn checkpoint(&self) -> Result<(i64, i64)> {
        Ok(self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(1)?, r.get(2)?))
            })?)
    }

    /// A TRUNCATE checkpoint that waits at most about a second for readers (and other writers),
    /// then empties the WAL file. Run by the main writer between its commits, when the WAL has
    /// passed [`super::WAL_TRUNCATE_FRAMES`]: as the writer it needs no turn at the lock, so it
    /// succeeds under load where a separate thread would keep losing the race. Returns whether
    /// the WAL was emptied; a busy database is "not this time", not an error.
    pub fn truncate_wal(&mut self) -> Result<bool> {
        self.conn.busy_handler(Some(checkpoint_busy))?;
        let result: rusqlite::Result<i64> =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0));
        self.conn.busy_handler(Some(super::eager_busy))?;
        match result {
            Ok(busy) => Ok(busy == 0),
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => Ok(false),
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
        let known = super::embedded::migrations::runner()
            .get_migrations()
            .iter()
            .map(|m| i64::from(m.version()))
            .max()
            .unwrap_or(0);
        Ok(self.schema_version()? == known)
    }
}

/// The TRUNCATE checkpoint's busy handler: steps shorter than the other connections' (so it wins
/// its turn at the lock), about half a second in all.
fn checkpoint_busy(attempt: i32) -> bool {
    if attempt >= 10_000 {
        return false;
    }
    std::thread::sleep(std::time::Duration::from_micros(50));
    true
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Applies `finish` inside `tx`. Fails (so the caller's whole batch rolls back) when the lease was
/// lost: another worker owns the job now and its work must not be overwritten.
pub(super) fn finish_job_in(tx: &Transaction<'_>, finish: &JobFinish) -> Result<()> {
    let (state, run_at, class, error) = match &finish.result {
        JobResult::Completed => ("completed", None, None, None),
        JobResult::Retry {
            run_at,
            class,
            error,
        } => ("retryable", Some(*run_at), Some(class), Some(error)),
        JobResult::Dead { class, error } => ("dead", None, Some(class), Some(error)),
        JobResult::Cancelled { class, error } => ("cancelled", None, Some(class), Some(error)),
    };
    let changed = tx
        .prepare_cached(
            "UPDATE jobs SET state = ?4, run_at = COALESCE(?5, run_at), lease_owner = NULL,
                 lease_expires_at = NULL, last_error = COALESCE(?6, last_error),
                 last_error_class = COALESCE(?7, last_error_class), updated_at = ?8
             WHERE id = ?1 AND lease_owner = ?2 AND attempt = ?3 AND state = 'running'",
        )?
        .execute(params![
            finish.job_id,
            finish.owner,
            finish.attempt,
            state,
            run_at,
            error,
            class,
            finish.at
        ])?;
    if changed == 0 {
        return Err(Error::Refused(format!(
            "job {} attempt {} is no longer leased to {}: another worker took it over",
            finish.job_id, finish.attempt, finish.owner
        )));
    }
    tx.prepare_cached(
        "UPDATE job_attempts SET error = ?3, error_class = ?4, finished_at = ?5
         WHERE job_id = ?1 AND attempt = ?2",
    )?
    .execute(params![
        finish.job_id,
        finish.attempt,
        error,
        class,
        finish.at
    ])?;
    // The job's own tenant: the rescuer finishes expired jobs of every tenant.
    let (workflow_id, tenant): (Option<String>, String) = tx
        .prepare_cached("SELECT workflow_id, tenant_id FROM jobs WHERE id = ?1")?
        .query_row([&finish.job_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    match &finish.result {
        JobResult::Completed => resolve_dead_letters_in(tx, &finish.job_id, finish.at)?,
        JobResult::Cancelled { .. } => {}
        JobResult::Retry { error, class, .. } => {
            tx.prepare_cached(
                "UPDATE workflows SET status = 'pending', last_error = ?2, last_error_class = ?3,
                     updated_at = ?4
                 WHERE id = ?1 AND status IN ('pending', 'running', 'failed')",
            )?
            .execute(params![workflow_id, error, class, finish.at])?;
        }
        JobResult::Dead { class, error } => {
            tx.prepare_cached(
                "UPDATE workflows SET status = 'failed', last_error = ?2, last_error_class = ?3,
                     updated_at = ?4
                 WHERE id = ?1 AND status IN ('pending', 'running', 'failed')",
            )?
            .execute(params![workflow_id, error, class, finish.at])?;
            let payload: String = tx
                .prepare_cached(
                    "SELECT json_object('job_id', id, 'queue', queue, 'kind', kind,
                         'workflow_id', workflow_id, 'payload', json(payload))
                     FROM jobs WHERE id = ?1",
                )?
                .query_row([&finish.job_id], |r| r.get(0))?;
            // The new dead letter stands for the job now; the one a retry came from is settled.
            resolve_dead_letters_in(tx, &finish.job_id, finish.at)?;
            tx.prepare_cached(
                "INSERT INTO dead_letters (id, tenant_id, job_id, workflow_id, error_class, error,
                     attempts, payload, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                new_id(),
                tenant,
                finish.job_id,
                workflow_id,
                class,
                error,
                finish.attempt,
                payload,
                finish.at
            ])?;
        }
    }
    Ok(())
}

/// Marks the job's retried dead letters resolved: its retry ended (completed, or dead again with
/// a dead letter of its own), so `queues`, `/metrics` and reconcile stop counting them.
fn resolve_dead_letters_in(tx: &Transaction<'_>, job_id: &str, at: i64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE dead_letters SET resolved_at = ?2
         WHERE job_id = ?1 AND retried_at IS NOT NULL AND resolved_at IS NULL",
    )?
    .execute(params![job_id, at])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::submission::parse_payload;
    use crate::store::{Acceptance, NewSubmission, Source};

    const SEED: &str = r#"{"portalId":1,"formId":"f","formSubmissionId":"S","fieldValues":[{"name":"email","value":"a@example.com"}]}"#;

    fn enqueue(store: &Store, body: &str) -> (String, String) {
        let parsed = parse_payload(body.as_bytes()).unwrap();
        let item = NewSubmission {
            source: Source::Webhook,
            parsed: &parsed.submissions[0],
            raw_payload: body.as_bytes(),
            signature: None,
            import_job_id: None,
            synthetic: false,
            queue: Some("normal"),
            trace_id: None,
            received_at: 1000,
        };
        match store.accept_submissions(&[item]).unwrap().remove(0) {
            Acceptance::Accepted {
                workflow_id,
                job_id,
                ..
            } => (workflow_id, job_id.unwrap()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_claimed_job_is_not_claimed_twice_and_finishing_needs_the_lease() {
        let store = Store::open_in_memory().unwrap();
        let (_, job) = enqueue(&store, SEED);
        let a = store.claim_jobs("a", &QUEUES, 4, 1000, 3, 2000).unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].attempt, 1);
        assert!(
            store
                .claim_jobs("b", &QUEUES, 4, 1000, 3, 2000)
                .unwrap()
                .is_empty()
        );
        // The lease expires; the rescuer hands the job back and b takes it.
        let rescued = store.rescue_expired_jobs(3001).unwrap();
        assert_eq!(rescued.returned, 1);
        let b = store.claim_jobs("b", &QUEUES, 4, 1000, 3, 3002).unwrap();
        assert_eq!(b[0].attempt, 2);
        let stale = JobFinish {
            job_id: job.clone(),
            owner: "a".into(),
            attempt: 1,
            result: JobResult::Completed,
            at: 3003,
        };
        assert!(matches!(store.finish_job(&stale), Err(Error::Refused(_))));
        let mine = JobFinish {
            owner: "b".into(),
            attempt: 2,
            ..stale
        };
        store.finish_job(&mine).unwrap();
        assert_eq!(store.job_state(&job).unwrap().as_deref(), Some("completed"));
    }

    #[test]
    fn dead_jobs_get_a_dead_letter_and_a_failed_workflow() {
        let store = Store::open_in_memory().unwrap();
        let (workflow, job) = enqueue(&store, SEED);
        let c = store.claim_jobs("a", &QUEUES, 1, 1000, 1, 2000).unwrap();
        store
            .finish_job(&JobFinish {
                job_id: job.clone(),
                owner: "a".into(),
                attempt: c[0].attempt,
                result: JobResult::Dead {
                    class: "transient".into(),
                    error: "boom".into(),
                },
                at: 2001,
            })
            .unwrap();
        let dl = store
            .list_dead_letters(&crate::store::DeadLetterFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(dl[0].workflow_id.as_deref(), Some(workflow.as_str()));
        assert_eq!(dl.len(), 1);
        assert_eq!(
            (dl[0].error_class.as_str(), dl[0].error.as_str()),
            ("transient", "boom")
        );
        assert_eq!(store.get_workflow(&workflow).unwrap().status, "failed");
    }

    #[test]
    fn retries_wait_for_their_time_and_held_jobs_are_never_claimed() {
        let store = Store::open_in_memory().unwrap();
        let (workflow, job) = enqueue(&store, SEED);
        let c = store.claim_jobs("a", &QUEUES, 1, 1000, 5, 2000).unwrap();
        store
            .finish_job(&JobFinish {
                job_id: job.clone(),
                owner: "a".into(),
                attempt: c[0].attempt,
                result: JobResult::Retry {
                    run_at: 5000,
                    class: "transient".into(),
                    error: "later".into(),
                },
                at: 2001,
            })
            .unwrap();
        assert_eq!(store.get_workflow(&workflow).unwrap().status, "pending");
        assert!(
            store
                .claim_jobs("a", &QUEUES, 1, 1000, 5, 4999)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .claim_jobs("a", &QUEUES, 1, 1000, 5, 5000)
                .unwrap()
                .len(),
            1
        );
        store
            .conn
            .execute("UPDATE jobs SET state = 'held', lease_owner = NULL", [])
            .unwrap();
        assert!(
            store
                .claim_jobs("a", &QUEUES, 1, 1000, 5, 9000)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn releasing_an_unstarted_job_does_not_count_the_attempt() {
        let store = Store::open_in_memory().unwrap();
        let (_, job) = enqueue(&store, SEED);
        store.claim_jobs("a", &QUEUES, 1, 1000, 5, 2000).unwrap();
        assert_eq!(store.release_jobs("a", &[job], true).unwrap(), 1);
        let again = store.claim_jobs("b", &QUEUES, 1, 1000, 5, 2001).unwrap();
        assert_eq!(again[0].attempt, 1);
    }
}
