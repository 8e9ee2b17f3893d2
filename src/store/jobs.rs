//! The job queue and its leases: every SQL statement of them. Claims are one `UPDATE … RETURNING`
//! per slot (SQLite: in its one-writer transaction; PostgreSQL: `FOR UPDATE SKIP LOCKED` in
//! materialized CTEs); a [`Lease`] (owner + attempt + expiry) is what a worker holds, and every
//! write of a job's run checks it first in its own transaction ([`check_lease`]), so a worker that
//! lost its lease fails with `Error::LeaseLost` before its next side effect and can never
//! overwrite the work of the one that took over. A rescuer returns expired leases; a dead job gets
//! its dead letter in the same transaction. Worker heartbeats are in `workers.rs`.
//!
//! Which transactions may skip PostgreSQL's global write lock (`Conn::row_locked_tx`) and which
//! keep it (`write_tx`). On SQLite both are the one writer's turn; the choice matters only on
//! PostgreSQL, where a transaction without the lock runs beside the others under READ COMMITTED.
//! - Row-locked: the claim (`claim_from`), intake's batch insert (`accept_each` in
//!   `submissions.rs`), and every commit of a job's run (`apply` and `commit_intent` with a
//!   lease, `finish_job`): the lease check comes first and takes the job's row lock, held to the
//!   commit, and each write after it is a guarded UPDATE, a unique index with ON CONFLICT, a row
//!   of this job or workflow, or a fresh id (argued in `Store::run_tx`, `write_in` and
//!   `finish_job_in`). Each decides only through row locks (a picked row is locked and
//!   re-checked; a duplicate key waits on the unique index) or through a lock of its own (a
//!   tenant's cap); the argument is beside each.
//! - Write lock kept, because they read, then write on what they read across rows: the rescuer
//!   (reads expired leases, then ends each; on PostgreSQL it also locks the rows it read, since
//!   runs commit beside it), a run without a lease (`run`), the send claim and decisions in
//!   `review.rs` (mode, daily cap, draft state read, then the claim written), store locks, api
//!   keys, suppressions, mode. Heartbeats and releases are guarded single-row UPDATEs that could
//!   go without it, but are rare; they keep it.
//!
//! **Invariant:** only claims move a job from `available`/`retryable` to `running`, and they hold
//! no write lock on PostgreSQL. A write-locked transaction that reads a job as available or
//! retryable and then writes it must guard its UPDATE with that state (`… AND state IN (…)`), as
//! every such UPDATE does today. Nor may one rely on a job it read as `running` staying so: the
//! commits of its run end it without the write lock, so such a write guards its UPDATE with the
//! lease it read or locks the row when it reads it (`Dialect::lock_rows`).
//!
//! Every transaction that makes a job claimable now (a new job, a release, a rescue, a retried
//! dead letter, a requeue, a resumed import) announces it (`announce_jobs_in`), so idle workers
//! of every process wake at its commit rather than at their next poll.

use super::sql;
use super::sql::{Dialect, OptionalExtension, Transaction, params};

use super::listen::announce_jobs_in;
use super::states::{JobState, Metric, WorkflowStatus};
use super::usage::count_for_workflow_in;
use super::{Store, new_id};
use crate::domain::tenant::TenantId;
use crate::error::{Error, ErrorClass, Result};

/// The queues, in the order of their weight.
pub const QUEUES: [&str; 4] = ["priority", "normal", "batch", "cleanup"];

/// What a worker holds while it runs one attempt of a job: every write of the run is applied only
/// while the job is still `running` under this owner and attempt, and renews it for `ttl_ms` when
/// less than half of that is left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub job_id: String,
    pub owner: String,
    pub attempt: i64,
    /// How long each heartbeat (and each checked write that finds less than half of it left)
    /// extends the lease.
    pub ttl_ms: i64,
}

/// Where a claim may take jobs from: one tenant's jobs on one queue, at most `limit` of them, and
/// at most `tenant_cap` of that tenant's jobs running at once (`max_concurrent_jobs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimSlot<'a> {
    pub queue: &'a str,
    pub tenant: &'a TenantId,
    pub limit: usize,
    pub tenant_cap: Option<u32>,
}

/// A job this worker now holds the lease on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: String,
    /// The tenant the job belongs to: it runs with that tenant's config, store and connectors.
    pub tenant: TenantId,
    pub queue: String,
    pub kind: String,
    pub workflow_id: Option<String>,
    /// 1 for the first attempt; expired leases count.
    pub attempt: i64,
    pub max_attempts: i64,
    pub payload: String,
    pub lease: Lease,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobResult {
    Completed,
    /// Try again at `run_at`; the workflow goes back to `pending` with the error shown.
    Retry {
        run_at: i64,
        class: ErrorClass,
        error: String,
    },
    /// No more attempts (exhausted, configuration, an inconsistency): dead letter, workflow `failed`.
    Dead {
        class: ErrorClass,
        error: String,
    },
    /// Bad input: the job stops without a dead letter; the workflow is `failed` for the operator.
    Cancelled {
        class: ErrorClass,
        error: String,
    },
}

/// The end of one attempt, applied only while the lease is still held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobFinish {
    pub lease: Lease,
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
    pub state: JobState,
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

/// Checks, first in a write transaction, that `lease` still holds its job, and renews it when
/// less than half of its length is left (see [`renew_lease_if_due_in`]). Fails with `LeaseLost`
/// (the caller's transaction then commits nothing) when another worker took the job over or the
/// lease was released. The check locks the job's row to the commit either way (PostgreSQL: `FOR
/// NO KEY UPDATE`, the lock an UPDATE of the row takes; SQLite: the transaction's write lock), so
/// the rescuer, a release and any other run of the job wait for this commit, and a check that
/// waited re-reads owner and attempt on the newest row, as the UPDATE it replaces did.
pub(super) fn check_lease(tx: &Transaction<'_>, lease: &Lease, now: i64) -> Result<()> {
    let lock = match tx.dialect() {
        Dialect::Sqlite => "",
        Dialect::Postgres => " FOR NO KEY UPDATE",
    };
    let expires: Option<Option<i64>> = tx
        .prepare_cached(&format!(
            "-- all tenants: queue maintenance (the lease names the job)
             SELECT lease_expires_at FROM jobs
             WHERE id = ?1 AND lease_owner = ?2 AND attempt = ?3 AND state = 'running'{lock}"
        ))?
        .query_row(params![lease.job_id, lease.owner, lease.attempt], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(expires) = expires else {
        return Err(lease_lost(lease));
    };
    renew_lease_if_due_in(tx, lease, expires, now)
}

/// Renews `lease` for its full length when less than half of it is left at `now` (`expires`:
/// its expiry as the check read it under the job's row lock). A check of a lease with more left
/// writes nothing: on PostgreSQL an UPDATE of `lease_expires_at`, a column of `jobs_lease`,
/// writes a new row version and an entry in each of the table's six indexes, and a run checks
/// its lease in every commit; the heartbeat renews it every third of its length anyway. Never
/// shortens a lease (a heartbeat may have renewed it past this check's `now + ttl_ms`).
pub(super) fn renew_lease_if_due_in(
    tx: &Transaction<'_>,
    lease: &Lease,
    expires: Option<i64>,
    now: i64,
) -> Result<()> {
    if expires.is_some_and(|at| at >= now.saturating_add(lease.ttl_ms / 2)) {
        return Ok(());
    }
    tx.prepare_cached(
        "-- all tenants: queue maintenance (the lease names the job)
         UPDATE jobs SET lease_expires_at = ?2 WHERE id = ?1 AND lease_owner = ?3 AND attempt = ?4
             AND (lease_expires_at IS NULL OR lease_expires_at < ?2)",
    )?
    .execute(params![
        lease.job_id,
        now.saturating_add(lease.ttl_ms),
        lease.owner,
        lease.attempt
    ])?;
    Ok(())
}

pub(super) fn lease_lost(lease: &Lease) -> Error {
    Error::LeaseLost {
        job_id: lease.job_id.clone(),
        owner: lease.owner.clone(),
        attempt: lease.attempt,
    }
}

/// What every job of one claim gets: its lease's owner and length, and the attempts allowed.
struct Claim<'a> {
    owner: &'a str,
    lease_ms: i64,
    max_attempts: i64,
    now: i64,
}

/// How many more of `tenant`'s jobs may start under its cap of `cap` running jobs, counted in
/// the claim's transaction. On SQLite the transaction holds the database's one write lock, so
/// the count holds until commit. On PostgreSQL a claim holds no global lock, so the count is
/// made under a transaction-scoped advisory lock of the tenant's own (only claims move jobs into
/// `running`, and every capped claim of the tenant takes this lock first, so no two count the
/// same free slot). To stay deadlock-free when one claim walks several capped tenants (workers
/// rotate them in different orders), a claim waits for the first such lock only and merely tries
/// the others: `None` means another claimer is claiming for that tenant right now, and this one
/// moves on to its next slot. `already_locked` is how many this transaction holds.
fn free_slots_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    cap: u32,
    already_locked: usize,
) -> Result<Option<usize>> {
    if tx.dialect() == Dialect::Postgres {
        // The first key (in PostgreSQL's two-key lock space, apart from the one-key global
        // write lock of `write_tx`) says "capped claims"; the second is the tenant's.
        let got: bool = tx.query_row(
            if already_locked == 0 {
                "SELECT true FROM pg_advisory_xact_lock(1511940122, hashtext(?1))"
            } else {
                "SELECT pg_try_advisory_xact_lock(1511940122, hashtext(?1))"
            },
            [tenant],
            |r| r.get(0),
        )?;
        if !got {
            return Ok(None);
        }
    }
    let running: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM jobs WHERE state = 'running' AND tenant_id = ?1")?
        .query_row([tenant], |r| r.get(0))?;
    Ok(Some(usize::try_from(i64::from(cap) - running).unwrap_or(0)))
}

/// The claim of one slot: SQLite's spelling and PostgreSQL's differ.
///
/// Both read each claimable state in `jobs_claim_tenant` index order and merge the two (a plain
/// `state IN (..)` would sort the whole backlog on every claim), then take the first `limit`.
///
/// SQLite has one writer at a time, so a plain `UPDATE … WHERE id IN (subquery)` takes exactly
/// what the subquery picked. PostgreSQL has concurrent writers, so the rows are picked with `FOR
/// UPDATE SKIP LOCKED` (a row another claim holds is passed over, not waited for, and a row it
/// took meanwhile fails the re-check of `state` under the lock), and in `MATERIALIZED` CTEs: as
/// Oban's engine explains (`lib/oban/engines/basic.ex`), with a plain subquery the planner may
/// run the picking query more than once (for example as the inner side of a join it re-scans),
/// and each run with SKIP LOCKED can return other rows, so the UPDATE could take more than
/// `limit` jobs. A materialized CTE is evaluated exactly once. Each state's pick locks up to
/// `limit` rows and the merge takes `limit` of them; the few locked but not taken are free
/// again at commit (a concurrent claim skips them meanwhile).
fn claim_slot_in(
    tx: &Transaction<'_>,
    slot: &ClaimSlot<'_>,
    limit: usize,
    claim: &Claim<'_>,
) -> Result<Vec<ClaimedJob>> {
    let sql = match tx.dialect() {
        Dialect::Sqlite => {
            "UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = ?1,
                 lease_expires_at = ?2, updated_at = ?3, max_attempts = ?6
             WHERE id IN (
                 SELECT id FROM (
                     SELECT * FROM (SELECT id, priority, run_at FROM jobs
                         WHERE state = 'available' AND queue = ?4 AND tenant_id = ?7 AND run_at <= ?3
                         ORDER BY priority DESC, run_at LIMIT ?5)
                     UNION ALL
                     SELECT * FROM (SELECT id, priority, run_at FROM jobs
                         WHERE state = 'retryable' AND queue = ?4 AND tenant_id = ?7 AND run_at <= ?3
                         ORDER BY priority DESC, run_at LIMIT ?5))
                 ORDER BY priority DESC, run_at LIMIT ?5)
             RETURNING id, queue, kind, workflow_id, attempt, max_attempts, payload"
        }
        Dialect::Postgres => {
            "WITH available AS MATERIALIZED (
                 SELECT id, priority, run_at FROM jobs
                 WHERE state = 'available' AND queue = ?4 AND tenant_id = ?7 AND run_at <= ?3
                 ORDER BY priority DESC, run_at LIMIT ?5
                 FOR UPDATE SKIP LOCKED
             ), retryable AS MATERIALIZED (
                 SELECT id, priority, run_at FROM jobs
                 WHERE state = 'retryable' AND queue = ?4 AND tenant_id = ?7 AND run_at <= ?3
                 ORDER BY priority DESC, run_at LIMIT ?5
                 FOR UPDATE SKIP LOCKED
             ), picked AS MATERIALIZED (
                 SELECT id FROM (SELECT * FROM available UNION ALL SELECT * FROM retryable) due
                 ORDER BY priority DESC, run_at LIMIT ?5
             )
             UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = ?1,
                 lease_expires_at = ?2, updated_at = ?3, max_attempts = ?6
             FROM picked WHERE jobs.id = picked.id
             RETURNING jobs.id, jobs.queue, jobs.kind, jobs.workflow_id, jobs.attempt,
                 jobs.max_attempts, jobs.payload"
        }
    };
    let owner = claim.owner;
    let claimed = tx
        .prepare_cached(sql)?
        .query_map(
            params![
                owner,
                claim.now + claim.lease_ms,
                claim.now,
                slot.queue,
                limit as i64,
                claim.max_attempts,
                slot.tenant
            ],
            |r| {
                let id: String = r.get(0)?;
                let attempt: i64 = r.get(4)?;
                Ok(ClaimedJob {
                    lease: Lease {
                        job_id: id.clone(),
                        owner: owner.to_string(),
                        attempt,
                        ttl_ms: claim.lease_ms,
                    },
                    id,
                    tenant: slot.tenant.clone(),
                    queue: r.get(1)?,
                    kind: r.get(2)?,
                    workflow_id: r.get(3)?,
                    attempt,
                    max_attempts: r.get(5)?,
                    payload: r.get(6)?,
                })
            },
        )?
        .collect::<sql::Result<Vec<_>>>()?;
    Ok(claimed)
}

impl Store {
    /// Claims due jobs of this store's tenant from the first queue in `queues` that has any (see
    /// [`Store::claim_from`]).
    pub fn claim_jobs(
        &self,
        owner: &str,
        queues: &[(&str, usize)],
        lease_ms: i64,
        max_attempts: i64,
        now: i64,
    ) -> Result<Vec<ClaimedJob>> {
        let slots: Vec<ClaimSlot<'_>> = queues
            .iter()
            .map(|&(queue, limit)| ClaimSlot {
                queue,
                tenant: &self.tenant,
                limit,
                tenant_cap: None,
            })
            .collect();
        self.claim_from(owner, &slots, lease_ms, max_attempts, now)
    }

    /// Claims due jobs from the first of `slots` (a queue of one tenant) that has any, at most
    /// that slot's limit (a capped queue's free slots, reserved by the caller) and, for a tenant
    /// with `max_concurrent_jobs`, at most its free slots across every worker process (see
    /// [`free_slots_in`]). The lease lasts until `now + lease_ms`; `max_attempts` (the claiming
    /// worker's setting) is stamped on the job. The worker rotates the tenants in `slots`: that
    /// is what makes claims fair.
    ///
    /// The transaction is [`sql::Conn::row_locked_tx_on_generic_plans`] (PostgreSQL planned the
    /// claim afresh on every call otherwise): on PostgreSQL a claim does not queue
    /// behind every other write for the global write lock. That is safe because what a claim
    /// decides rests on row locks alone: the jobs it takes are locked by `FOR UPDATE SKIP
    /// LOCKED` and re-checked (`state`) under that lock, so two claimers never take one job; the
    /// attempt it counts and the owner it stamps are written under the same lock, so the lease
    /// fence of every later write of the run (owner + attempt) holds; its `job_attempts` row is
    /// keyed by (job, attempt), which only the lock holder can write. The one read-then-write
    /// check, a tenant's cap, takes a lock of its own per tenant (see [`free_slots_in`]).
    pub fn claim_from(
        &self,
        owner: &str,
        slots: &[ClaimSlot<'_>],
        lease_ms: i64,
        max_attempts: i64,
        now: i64,
    ) -> Result<Vec<ClaimedJob>> {
        let tx = self.conn.row_locked_tx_on_generic_plans()?;
        let lease = Claim {
            owner,
            lease_ms,
            max_attempts,
            now,
        };
        let mut claimed = Vec::new();
        let mut capped_tenants_locked = 0;
        for slot in slots.iter().filter(|s| s.limit > 0) {
            let limit = match slot.tenant_cap {
                None => slot.limit,
                Some(cap) => {
                    let Some(free) = free_slots_in(&tx, slot.tenant, cap, capped_tenants_locked)?
                    else {
                        continue;
                    };
                    capped_tenants_locked += 1;
                    slot.limit.min(free)
                }
            };
            if limit == 0 {
                continue;
            }
            claimed = claim_slot_in(&tx, slot, limit, &lease)?;
            if !claimed.is_empty() {
                break;
            }
        }
        if !claimed.is_empty() {
            // One statement for the claim's attempts (at most a prefetch of rows, so few
            // statements to cache): one round trip, not one per job.
            let rows: Vec<String> = (0..claimed.len())
                .map(|i| format!("(?{}, ?{}, ?1, ?2)", 2 * i + 3, 2 * i + 4))
                .collect();
            let mut values: Vec<sql::Value> = vec![owner.to_string().into(), now.into()];
            for job in &claimed {
                values.push(job.id.clone().into());
                values.push(job.attempt.into());
            }
            tx.prepare_cached(&format!(
                "INSERT INTO job_attempts (job_id, attempt, worker, started_at) VALUES {}
                 ON CONFLICT (job_id, attempt) DO UPDATE SET worker = excluded.worker,
                     started_at = excluded.started_at, error = NULL, error_class = NULL, finished_at = NULL",
                rows.join(", ")
            ))?
            .execute(sql::params_from_iter(values.iter()))?;
        }
        tx.commit()?;
        Ok(claimed)
    }

    /// Returns expired leases to `available` (the attempt they used counts); a job whose lease
    /// expired on its last attempt is dead, with its dead letter, in the same transaction.
    pub fn rescue_expired_jobs(&self, now: i64) -> Result<Rescued> {
        let tx = self.write_tx()?;
        // Locked as read (PostgreSQL): a run commits without the write lock, so a lease read
        // here as expired could be renewed, or its job ended, before the write below. A row a
        // run's commit holds is waited for and re-checked on its newest version.
        let expired: Vec<(String, i64, i64, Option<String>)> = tx
            .prepare_cached(&format!(
                "-- all tenants: queue maintenance (the rescuer)
                 SELECT id, attempt, max_attempts, lease_owner FROM jobs
                 WHERE state = 'running' AND lease_expires_at < ?1 ORDER BY id{}",
                tx.dialect().lock_rows()
            ))?
            .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<sql::Result<_>>()?;
        let mut out = Rescued::default();
        for (id, attempt, max_attempts, owner) in expired {
            let error = format!(
                "lease expired: worker {} stopped renewing it",
                owner.as_deref().unwrap_or("?")
            );
            let result = if attempt >= max_attempts {
                out.dead += 1;
                JobResult::Dead {
                    class: ErrorClass::Transient,
                    error,
                }
            } else {
                out.returned += 1;
                JobResult::Retry {
                    run_at: now,
                    class: ErrorClass::Transient,
                    error,
                }
            };
            let finish = JobFinish {
                lease: Lease {
                    job_id: id,
                    owner: owner.unwrap_or_default(),
                    attempt,
                    ttl_ms: 0,
                },
                result,
                at: now,
            };
            // A returned job is announced by `finish_job_in` (a retry due now).
            finish_job_in(&tx, &finish)?;
        }
        tx.commit()?;
        Ok(out)
    }

    /// Gives jobs back to the queue now (shutdown), each only while its lease is still held.
    /// With `uncount`, the attempt is not counted (the job was claimed but never started).
    pub fn release_jobs(&self, leases: &[Lease], uncount: bool) -> Result<usize> {
        let tx = self.write_tx()?;
        let mut n = 0;
        for lease in leases {
            let changed = tx
                .prepare_cached(
                    "-- all tenants: queue maintenance (shutdown)
                     UPDATE jobs SET state = 'available', lease_owner = NULL, lease_expires_at = NULL,
                         attempt = attempt - ?4,
                         last_error = CASE WHEN ?4 = 1 THEN last_error ELSE 'released at shutdown' END
                     WHERE id = ?1 AND lease_owner = ?2 AND attempt = ?3 AND state = 'running'",
                )?
                .execute(params![
                    lease.job_id,
                    lease.owner,
                    lease.attempt,
                    i64::from(uncount)
                ])?;
            if changed > 0 && uncount {
                tx.prepare_cached("DELETE FROM job_attempts WHERE job_id = ?1 AND attempt = ?2")?
                    .execute(params![lease.job_id, lease.attempt])?;
            }
            n += changed;
        }
        if n > 0 {
            announce_jobs_in(&tx)?;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Renews the leases a worker's threads hold right now (and only those): a job no thread runs
    /// any more is left to expire, so the rescuer hands it to another worker.
    pub(super) fn renew_leases_in(
        tx: &Transaction<'_>,
        leases: &[Lease],
        now: i64,
    ) -> Result<usize> {
        let mut stmt = tx.prepare_cached(
            "-- all tenants: queue maintenance (heartbeat)
             UPDATE jobs SET lease_expires_at = ?4
             WHERE id = ?1 AND lease_owner = ?2 AND attempt = ?3 AND state = 'running'",
        )?;
        let mut renewed = 0;
        for lease in leases {
            renewed += stmt.execute(params![
                lease.job_id,
                lease.owner,
                lease.attempt,
                now.saturating_add(lease.ttl_ms)
            ])?;
        }
        Ok(renewed)
    }

    /// Applies the end of an attempt on its own (when the pipeline could not run at all).
    /// Row-locked, like the commits of a run: `finish_job_in` begins with the lease's guarded
    /// UPDATE, which takes the job's row lock, and argues each later write.
    pub fn finish_job(&self, finish: &JobFinish) -> Result<()> {
        let tx = self.conn.row_locked_tx()?;
        finish_job_in(&tx, finish)?;
        tx.commit()?;
        Ok(())
    }

    pub fn job_state(&self, job_id: &str) -> Result<Option<JobState>> {
        let state: Option<String> = self
            .conn
            .query_row(
                "SELECT state FROM jobs WHERE id = ?1 AND tenant_id = ?2",
                params![job_id, self.tenant],
                |r| r.get(0),
            )
            .optional()?;
        state
            .map(|s| {
                JobState::parse(&s)
                    .ok_or_else(|| Error::Internal(format!("job {job_id} has unknown state {s:?}")))
            })
            .transpose()
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
            .collect::<sql::Result<Vec<_>>>()?;
        let oldest_available_ms = self
            .conn
            .prepare_cached(
                "SELECT queue, ?2 - MIN(run_at) FROM jobs
                 WHERE tenant_id = ?1 AND state IN ('available', 'retryable') AND run_at <= ?2
                 GROUP BY queue ORDER BY queue",
            )?
            .query_map(params![self.tenant, now], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<sql::Result<Vec<_>>>()?;
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
}

/// Applies `finish` inside `tx`. Fails (so the caller's whole batch rolls back) when the lease was
/// lost: another worker owns the job now and its work must not be overwritten.
///
/// Safe without the global write lock (a run's commits are row-locked): the job's UPDATE is
/// guarded by the lease and holds the job's row to the commit; the attempt's row is keyed by
/// (job, attempt), written only under that lease; the job's workflow and tenant never change;
/// the workflow's end is a guarded UPDATE (an unfinished status), counted only when it changed
/// the row; a cancel's count is decided by a guarded statement on the workflow's row, not by a
/// read; the job's dead letters are its own (a dead letter is retried only while its job is
/// dead, never while it runs), and a new one has a fresh id. A retry made due now is announced.
pub(super) fn finish_job_in(tx: &Transaction<'_>, finish: &JobFinish) -> Result<()> {
    let ended = end_job_in(tx, finish)?;
    settle_job_in(tx, finish, &ended)
}

/// The job and workflow a guarded [`end_job_in`] ended: the job's own workflow and tenant (the
/// rescuer finishes expired jobs of every tenant).
pub(super) struct EndedJob {
    pub(super) lease: Lease,
    workflow_id: Option<String>,
    tenant: String,
}

/// The first part of [`finish_job_in`]: the job's UPDATE, guarded by the lease exactly as
/// [`check_lease`] is (the same owner, attempt and state), so it fences a commit as well as the
/// check does, and takes the job's row lock in its place. `LeaseLost` when the lease was lost.
pub(super) fn end_job_in(tx: &Transaction<'_>, finish: &JobFinish) -> Result<EndedJob> {
    let (state, run_at, class, error) = job_end(&finish.result);
    let lease = &finish.lease;
    // The job's own tenant (the rescuer finishes expired jobs of every tenant) and workflow,
    // returned by the guarded UPDATE itself: none when the lease was lost. On PostgreSQL the
    // same statement writes the attempt's row and, for a completed job, settles its retried
    // dead letters (what `settle_job_in` does on SQLite), each only when the guarded UPDATE
    // ended the job: one round trip where they were three.
    let sql = match tx.dialect() {
        Dialect::Sqlite => {
            "-- all tenants: queue maintenance (the lease names the job)
             UPDATE jobs SET state = ?4, run_at = COALESCE(?5, run_at), lease_owner = NULL,
                 lease_expires_at = NULL, last_error = COALESCE(?6, last_error),
                 last_error_class = COALESCE(?7, last_error_class), updated_at = ?8
             WHERE id = ?1 AND lease_owner = ?2 AND attempt = ?3 AND state = 'running'
             RETURNING workflow_id, tenant_id"
        }
        Dialect::Postgres => {
            "-- all tenants: queue maintenance (the lease names the job)
             WITH ended AS (
                 UPDATE jobs SET state = ?4, run_at = COALESCE(?5, run_at), lease_owner = NULL,
                     lease_expires_at = NULL, last_error = COALESCE(?6, last_error),
                     last_error_class = COALESCE(?7, last_error_class), updated_at = ?8
                 WHERE id = ?1 AND lease_owner = ?2 AND attempt = ?3 AND state = 'running'
                 RETURNING workflow_id, tenant_id),
             attempt AS (
                 UPDATE job_attempts SET error = ?6, error_class = ?7, finished_at = ?8
                 WHERE job_id = ?1 AND attempt = ?3 AND EXISTS (SELECT 1 FROM ended)),
             resolved AS (
                 UPDATE dead_letters SET resolved_at = ?8
                 WHERE ?9 = 1 AND job_id = ?1 AND tenant_id IN (SELECT tenant_id FROM ended)
                   AND retried_at IS NOT NULL AND resolved_at IS NULL)
             SELECT workflow_id, tenant_id FROM ended"
        }
    };
    let completed = matches!(finish.result, JobResult::Completed);
    let state = state.as_str();
    let values: [&dyn sql::ToSql; 9] = [
        &lease.job_id,
        &lease.owner,
        &lease.attempt,
        &state,
        &run_at,
        &error,
        &class,
        &finish.at,
        &completed,
    ];
    // SQLite's statement takes the first eight.
    let bound = match tx.dialect() {
        Dialect::Sqlite => &values[..8],
        Dialect::Postgres => &values[..],
    };
    let ended: Option<(Option<String>, String)> = tx
        .prepare_cached(sql)?
        .query_row(bound, |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((workflow_id, tenant)) = ended else {
        return Err(lease_lost(lease));
    };
    Ok(EndedJob {
        lease: lease.clone(),
        workflow_id,
        tenant,
    })
}

/// The rest of [`finish_job_in`], after its [`end_job_in`]: the attempt's row, and what the
/// end means for the job's workflow and dead letters.
pub(super) fn settle_job_in(
    tx: &Transaction<'_>,
    finish: &JobFinish,
    ended: &EndedJob,
) -> Result<()> {
    let (_, _, class, error) = job_end(&finish.result);
    let lease = &finish.lease;
    let (workflow_id, tenant) = (&ended.workflow_id, ended.tenant.as_str());
    // On PostgreSQL `end_job_in` wrote these already.
    let sqlite = tx.dialect() == Dialect::Sqlite;
    if sqlite {
        tx.prepare_cached(
            "UPDATE job_attempts SET error = ?3, error_class = ?4, finished_at = ?5
             WHERE job_id = ?1 AND attempt = ?2",
        )?
        .execute(params![
            lease.job_id,
            lease.attempt,
            error,
            class,
            finish.at
        ])?;
    }
    match &finish.result {
        JobResult::Completed if sqlite => {
            resolve_dead_letters_in(tx, tenant, &lease.job_id, finish.at)?
        }
        JobResult::Completed => {}
        JobResult::Cancelled { .. } => {
            // Cancelled: nothing retries it; the run left the workflow failed. Decided by a
            // guarded statement that locks the row (a read could be stale by the commit).
            let failed = tx
                .prepare_cached(
                    "UPDATE workflows SET updated_at = updated_at
                     WHERE id = ?1 AND tenant_id = ?2 AND status = 'failed'",
                )?
                .execute(params![workflow_id, tenant])?
                > 0;
            if let (true, Some(id)) = (failed, &workflow_id) {
                count_for_workflow_in(tx, id, finish.at, Metric::WorkflowsFailed, 1)?;
            }
        }
        JobResult::Retry {
            error,
            class,
            run_at,
        } => {
            let end = WorkflowEnd {
                status: WorkflowStatus::Pending,
                error,
                class: class.as_str(),
                at: finish.at,
            };
            end_workflow_in(tx, tenant, workflow_id.as_deref(), &end)?;
            if *run_at <= finish.at {
                announce_jobs_in(tx)?;
            }
        }
        JobResult::Dead { class, error } => {
            let end = WorkflowEnd {
                status: WorkflowStatus::Failed,
                error,
                class: class.as_str(),
                at: finish.at,
            };
            let gave_up = end_workflow_in(tx, tenant, workflow_id.as_deref(), &end)?;
            if let (1, Some(id)) = (gave_up, &workflow_id) {
                count_for_workflow_in(tx, id, finish.at, Metric::WorkflowsFailed, 1)?;
            }
            let payload: String = tx
                .prepare_cached(match tx.dialect() {
                    Dialect::Sqlite => {
                        "SELECT json_object('job_id', id, 'queue', queue, 'kind', kind,
                             'workflow_id', workflow_id, 'payload', json(payload))
                         FROM jobs WHERE id = ?1 AND tenant_id = ?2"
                    }
                    Dialect::Postgres => {
                        "SELECT json_build_object('job_id', id, 'queue', queue, 'kind', kind,
                             'workflow_id', workflow_id, 'payload', payload::json)::text
                         FROM jobs WHERE id = ?1 AND tenant_id = ?2"
                    }
                })?
                .query_row(params![lease.job_id, tenant], |r| r.get(0))?;
            // The new dead letter stands for the job now; the one a retry came from is settled.
            resolve_dead_letters_in(tx, tenant, &lease.job_id, finish.at)?;
            tx.prepare_cached(
                "INSERT INTO dead_letters (id, tenant_id, job_id, workflow_id, error_class, error,
                     attempts, payload, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                new_id(),
                tenant,
                lease.job_id,
                workflow_id,
                class.as_str(),
                error,
                lease.attempt,
                payload,
                finish.at
            ])?;
        }
    }
    Ok(())
}

/// The job's state, next run and error after `result`.
fn job_end(result: &JobResult) -> (JobState, Option<i64>, Option<&'static str>, Option<&String>) {
    match result {
        JobResult::Completed => (JobState::Completed, None, None, None),
        JobResult::Retry {
            run_at,
            class,
            error,
        } => (
            JobState::Retryable,
            Some(*run_at),
            Some(class.as_str()),
            Some(error),
        ),
        JobResult::Dead { class, error } => {
            (JobState::Dead, None, Some(class.as_str()), Some(error))
        }
        JobResult::Cancelled { class, error } => {
            (JobState::Cancelled, None, Some(class.as_str()), Some(error))
        }
    }
}

/// Where a job's end leaves its unfinished workflow: `pending` again (a retry will come) or
/// `failed` (dead), with the error.
struct WorkflowEnd<'a> {
    status: WorkflowStatus,
    error: &'a str,
    class: &'a str,
    at: i64,
}

/// Applies a job's end to its workflow, within the job's own tenant, unless it finished.
/// Returns how many workflows changed (0 or 1).
fn end_workflow_in(
    tx: &Transaction<'_>,
    tenant: &str,
    workflow_id: Option<&str>,
    end: &WorkflowEnd<'_>,
) -> Result<usize> {
    Ok(tx.prepare_cached(
        "UPDATE workflows SET status = ?2, last_error = ?3, last_error_class = ?4, updated_at = ?5
         WHERE id = ?1 AND tenant_id = ?6 AND status IN ('pending', 'running', 'failed')",
    )?
    .execute(params![
        workflow_id,
        end.status.as_str(),
        end.error,
        end.class,
        end.at,
        tenant
    ])?)
}

/// Marks the job's retried dead letters resolved: its retry ended (completed, or dead again with
/// a dead letter of its own), so `queues`, `/metrics` and reconcile stop counting them.
fn resolve_dead_letters_in(
    tx: &Transaction<'_>,
    tenant: &str,
    job_id: &str,
    at: i64,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE dead_letters SET resolved_at = ?2
         WHERE job_id = ?1 AND tenant_id = ?3 AND retried_at IS NOT NULL AND resolved_at IS NULL",
    )?
    .execute(params![job_id, at, tenant])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::states::StepStatus;
    use crate::store::test_support::{SEED, SharedDb, enqueue, progress, task_step};
    use crate::store::{PipelineWrite, StepRecord, WorkflowStatus};

    const ALL: [(&str, usize); 4] = [("priority", 4), ("normal", 4), ("batch", 4), ("cleanup", 4)];

    fn claim(
        store: &Store,
        owner: &str,
        limit: usize,
        max_attempts: i64,
        now: i64,
    ) -> Vec<ClaimedJob> {
        let queues: Vec<(&str, usize)> = QUEUES.iter().map(|q| (*q, limit)).collect();
        store
            .claim_jobs(owner, &queues, 1000, max_attempts, now)
            .unwrap()
    }

    /// `n` workflows with jobs, each a distinct lead.
    fn enqueue_distinct(store: &Store, n: usize) {
        for i in 0..n {
            enqueue(
                store,
                &SEED
                    .replace("\"S\"", &format!("\"S{i}\""))
                    .replace("a@", &format!("a{i}@")),
            );
        }
    }

    fn finish(lease: &Lease, result: JobResult, at: i64) -> JobFinish {
        JobFinish {
            lease: lease.clone(),
            result,
            at,
        }
    }

    /// A run's commit holds no global write lock on PostgreSQL: its lease check waits on the
    /// job's row while another transaction holds it, and when that one took the lease over
    /// (rescued the job and claimed it again) the waiting commit re-checks owner and attempt on
    /// the newest row, commits nothing and fails `LeaseLost`. On SQLite the commit waits for
    /// the one writer instead, with the same end.
    #[test]
    fn a_commit_that_waited_while_its_lease_was_taken_over_commits_nothing() {
        let db = SharedDb::new();
        let worker = db.open("default");
        let rescuer = db.open("default");
        let watcher = db.open("default");
        let (wf, _) = enqueue(&worker, SEED);
        let a = claim(&worker, "a", 1, 3, 2000).remove(0);
        let tx = rescuer.conn.row_locked_tx().unwrap();
        let expired = JobFinish {
            lease: a.lease.clone(),
            result: JobResult::Retry {
                run_at: 3500,
                class: ErrorClass::Transient,
                error: "lease expired".into(),
            },
            at: 3500,
        };
        finish_job_in(&tx, &expired).unwrap();
        let lease = a.lease.clone();
        let wf_for_run = wf.clone();
        let run = std::thread::spawn(move || {
            let writes = [
                PipelineWrite::Step(task_step(&wf_for_run, StepStatus::Completed)),
                progress(&wf_for_run, WorkflowStatus::Completed, 3600),
            ];
            worker.apply(Some(&lease), &writes, 3600)
        });
        if watcher.dialect() == Dialect::Postgres {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while watcher
                .conn
                .query_row(
                    "SELECT COUNT(*) FROM pg_stat_activity
                     WHERE wait_event_type = 'Lock' AND query LIKE '%lease_owner = $2%'",
                    (),
                    |r| r.get::<_, i64>(0),
                )
                .unwrap()
                == 0
            {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the commit never waited on the job's row"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        } else {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let slot = ClaimSlot {
            queue: "normal",
            tenant: &rescuer.tenant,
            limit: 1,
            tenant_cap: None,
        };
        let again = Claim {
            owner: "b",
            lease_ms: 1000,
            max_attempts: 3,
            now: 3500,
        };
        let b = claim_slot_in(&tx, &slot, 1, &again).unwrap();
        assert_eq!((b.len(), b[0].attempt), (1, 2), "{b:?}");
        tx.commit().unwrap();
        assert!(
            matches!(run.join().unwrap(), Err(Error::LeaseLost { .. })),
            "the run whose lease was taken over failed LeaseLost"
        );
        let row = rescuer.get_workflow(&wf).unwrap();
        assert_eq!(row.status, WorkflowStatus::Pending, "{row:?}");
        assert!(rescuer.workflow_steps(&wf).unwrap().is_empty());
        assert_eq!(rescuer.job_state(&a.id).unwrap(), Some(JobState::Running));
    }

    #[test]
    fn a_claimed_job_is_not_claimed_twice_and_finishing_needs_the_lease() {
        let store = Store::open_in_memory().unwrap();
        let (_, job) = enqueue(&store, SEED);
        let a = store.claim_jobs("a", &ALL, 1000, 3, 2000).unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].attempt, 1);
        assert!(
            store
                .claim_jobs("b", &ALL, 1000, 3, 2000)
                .unwrap()
                .is_empty()
        );
        // The lease expires; the rescuer hands the job back and b takes it.
        let rescued = store.rescue_expired_jobs(3001).unwrap();
        assert_eq!(rescued.returned, 1);
        let b = store.claim_jobs("b", &ALL, 1000, 3, 3002).unwrap();
        assert_eq!(b[0].attempt, 2);
        let stale = finish(&a[0].lease, JobResult::Completed, 3003);
        assert!(matches!(
            store.finish_job(&stale),
            Err(Error::LeaseLost { .. })
        ));
        store
            .finish_job(&finish(&b[0].lease, JobResult::Completed, 3003))
            .unwrap();
        assert_eq!(store.job_state(&job).unwrap(), Some(JobState::Completed));
    }

    #[test]
    fn a_claim_takes_the_slots_tenant_and_no_more_than_its_cap() {
        let store = Store::open_in_memory().unwrap();
        enqueue_distinct(&store, 4);
        let default = TenantId::default_tenant();
        let other = TenantId::parse("other").unwrap();
        let slot = |tenant, limit, tenant_cap| ClaimSlot {
            queue: "normal",
            tenant,
            limit,
            tenant_cap,
        };
        // Another tenant's slot finds none of these jobs; the next slot in turn does.
        let got = store
            .claim_from(
                "a",
                &[slot(&other, 4, None), slot(&default, 4, Some(3))],
                1000,
                3,
                2000,
            )
            .unwrap();
        assert_eq!(got.len(), 3, "the tenant's cap of 3 running jobs");
        assert!(got.iter().all(|j| j.tenant == default));
        // Its cap is full while those three run.
        assert!(
            store
                .claim_from("b", &[slot(&default, 4, Some(3))], 1000, 3, 2000)
                .unwrap()
                .is_empty()
        );
        store
            .finish_job(&finish(&got[0].lease, JobResult::Completed, 2001))
            .unwrap();
        assert_eq!(
            store
                .claim_from("b", &[slot(&default, 4, Some(3))], 1000, 3, 2002)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_claim_takes_no_more_than_the_queue_limit() {
        let store = Store::open_in_memory().unwrap();
        enqueue_distinct(&store, 5);
        let one = store
            .claim_jobs("a", &[("normal", 1)], 1000, 3, 2000)
            .unwrap();
        assert_eq!(one.len(), 1);
        assert!(
            store
                .claim_jobs("a", &[("normal", 0)], 1000, 3, 2000)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .claim_jobs("a", &[("normal", 9)], 1000, 3, 2000)
                .unwrap()
                .len(),
            4
        );
    }

    #[test]
    fn every_write_of_a_run_is_fenced_by_its_lease() {
        let store = Store::open_in_memory().unwrap();
        let (workflow, _) = enqueue(&store, SEED);
        let a = claim(&store, "a", 1, 3, 2000).remove(0);
        store.rescue_expired_jobs(3001).unwrap();
        let b = claim(&store, "b", 1, 3, 3002).remove(0);
        let progress = progress(&workflow, WorkflowStatus::Running, 3003);
        let err = store
            .apply(Some(&a.lease), std::slice::from_ref(&progress), 3003)
            .unwrap_err();
        assert!(matches!(err, Error::LeaseLost { .. }), "{err}");
        assert_eq!(
            store.get_workflow(&workflow).unwrap().attempts,
            0,
            "nothing was written"
        );
        store.apply(Some(&b.lease), &[progress], 3004).unwrap();
        assert_eq!(store.get_workflow(&workflow).unwrap().attempts, 1);
    }

    #[test]
    fn a_finished_workflow_never_moves_back_and_a_completed_step_never_resets() {
        let store = Store::open_in_memory().unwrap();
        let (workflow, _) = enqueue(&store, SEED);
        let progress = |status| progress(&workflow, status, 5);
        let step = |status| PipelineWrite::Step(task_step(&workflow, status));
        store
            .apply(
                None,
                &[
                    step(StepStatus::Completed),
                    progress(WorkflowStatus::Completed),
                ],
                5,
            )
            .unwrap();
        let err = store
            .apply(None, &[progress(WorkflowStatus::Running)], 6)
            .unwrap_err();
        assert!(matches!(err, Error::Refused(_)), "{err}");
        assert_eq!(
            store.get_workflow(&workflow).unwrap().status,
            WorkflowStatus::Completed
        );
        store.apply(None, &[step(StepStatus::Running)], 7).unwrap();
        let steps = store.workflow_steps(&workflow).unwrap();
        assert_eq!(steps[0].status, StepStatus::Completed);
    }

    #[test]
    fn whether_a_step_is_a_retry_is_read_in_the_checked_commit() {
        let store = Store::open_in_memory().unwrap();
        let (workflow, _) = enqueue(&store, SEED);
        let record = task_step(&workflow, StepStatus::Running);
        let make = |prev: Option<&str>| Some(prev.unwrap_or("first").to_string());
        let first = store.commit_intent(None, &[], &record, &make, 2).unwrap();
        assert_eq!(
            (first.attempt, first.retrying, first.input.as_deref()),
            (1, false, Some("first"))
        );
        // Another run wrote its intent meanwhile: this one sees it, though it started before.
        let record = task_step(&workflow, StepStatus::Running);
        let second = store.commit_intent(None, &[], &record, &make, 3).unwrap();
        assert_eq!(
            (second.attempt, second.retrying, second.input.as_deref()),
            (2, true, Some("first"))
        );
    }

    /// An intent's commit writes its batch's usage with its step rows (on PostgreSQL in their
    /// statement): after it the counter and both rows are there.
    #[test]
    fn an_intents_commit_counts_its_batchs_usage_with_its_step_rows() {
        let store = Store::open_in_memory().unwrap();
        let (workflow, _) = enqueue(&store, SEED);
        let at = 1_795_914_000_000; // 2026-11-29T01:00:00Z
        let mut counts = crate::store::UsageCounts::default();
        counts.add(Metric::CrmCalls, 2);
        let usage = PipelineWrite::Usage(crate::store::WorkflowUsage {
            workflow_id: workflow.clone(),
            at,
            counts,
        });
        let contact = StepRecord {
            seq: 3,
            name: "contact".into(),
            ..task_step(&workflow, StepStatus::Completed)
        };
        let record = task_step(&workflow, StepStatus::Running);
        let make = |_: Option<&str>| Some("intent".to_string());
        let batch = [PipelineWrite::Step(contact), usage];
        let intent = store
            .commit_intent(None, &batch, &record, &make, at)
            .unwrap();
        assert_eq!((intent.attempt, intent.retrying), (1, false));
        let day = crate::store::UsageRange {
            first_day: "2026-11-29".into(),
            last_day: "2026-11-29".into(),
        };
        let days = store.usage(&day, crate::store::UsageBucket::Day).unwrap();
        assert_eq!(days[0].counts.get(Metric::CrmCalls), 2);
        let steps = store.workflow_steps(&workflow).unwrap();
        let rows: Vec<_> = steps.iter().map(|s| (s.name.as_str(), s.status)).collect();
        assert_eq!(
            rows,
            [
                ("contact", StepStatus::Completed),
                ("task", StepStatus::Running)
            ]
        );
    }

    /// A run's final commit (on PostgreSQL its step rows, draft, task and progress in one
    /// statement) counts a draft only when it inserted one: a second batch with another draft
    /// of the workflow inserts and counts nothing, and a batch that would move a finished
    /// workflow back is refused whole.
    #[test]
    fn a_final_commit_counts_only_the_draft_it_inserted_and_a_refused_one_writes_nothing() {
        let store = Store::open_in_memory().unwrap();
        let (workflow, _) = enqueue(&store, SEED);
        let at = 1_795_914_000_000; // 2026-11-29T01:00:00Z
        let draft = |id: &str| {
            PipelineWrite::Draft(super::super::test_support::new_draft(id, &workflow, at))
        };
        let step = PipelineWrite::Step(task_step(&workflow, StepStatus::Completed));
        let running = progress(&workflow, WorkflowStatus::Running, at);
        store
            .apply(None, &[step.clone(), draft("d1"), running.clone()], at)
            .unwrap();
        store.apply(None, &[draft("d2"), running], at).unwrap();
        let drafts_created = || {
            let day = crate::store::UsageRange {
                first_day: "2026-11-29".into(),
                last_day: "2026-11-29".into(),
            };
            let days = store.usage(&day, crate::store::UsageBucket::Day).unwrap();
            days[0].counts.get(Metric::DraftsCreated)
        };
        assert_eq!(drafts_created(), 1);
        let kept = store.draft_for_workflow(&workflow).unwrap().unwrap();
        assert_eq!(kept.id, "d1");
        store
            .apply(
                None,
                &[progress(&workflow, WorkflowStatus::Completed, at)],
                at,
            )
            .unwrap();
        let other = StepRecord {
            seq: 3,
            name: "contact".into(),
            ..task_step(&workflow, StepStatus::Completed)
        };
        let back = [
            PipelineWrite::Step(other),
            draft("d3"),
            progress(&workflow, WorkflowStatus::Running, at),
        ];
        let err = store.apply(None, &back, at).unwrap_err();
        assert!(matches!(err, Error::Refused(_)), "{err}");
        let steps = store.workflow_steps(&workflow).unwrap();
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert_eq!(drafts_created(), 1);
    }

    #[test]
    fn dead_jobs_get_a_dead_letter_and_a_failed_workflow() {
        let store = Store::open_in_memory().unwrap();
        let (workflow, _) = enqueue(&store, SEED);
        let c = claim(&store, "a", 1, 1, 2000);
        store
            .finish_job(&finish(
                &c[0].lease,
                JobResult::Dead {
                    class: ErrorClass::Transient,
                    error: "boom".into(),
                },
                2001,
            ))
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
        assert_eq!(
            store.get_workflow(&workflow).unwrap().status,
            WorkflowStatus::Failed
        );
    }

    #[test]
    fn retries_wait_for_their_time_and_held_jobs_are_never_claimed() {
        let store = Store::open_in_memory().unwrap();
        let (workflow, _) = enqueue(&store, SEED);
        let c = claim(&store, "a", 1, 5, 2000);
        store
            .finish_job(&finish(
                &c[0].lease,
                JobResult::Retry {
                    run_at: 5000,
                    class: ErrorClass::Transient,
                    error: "later".into(),
                },
                2001,
            ))
            .unwrap();
        assert_eq!(
            store.get_workflow(&workflow).unwrap().status,
            WorkflowStatus::Pending
        );
        assert!(claim(&store, "a", 1, 5, 4999).is_empty());
        assert_eq!(claim(&store, "a", 1, 5, 5000).len(), 1);
        store
            .conn
            .execute("UPDATE jobs SET state = 'held', lease_owner = NULL", ())
            .unwrap();
        assert!(claim(&store, "a", 1, 5, 9000).is_empty());
    }

    #[test]
    fn releasing_an_unstarted_job_does_not_count_the_attempt() {
        let store = Store::open_in_memory().unwrap();
        enqueue(&store, SEED);
        let c = claim(&store, "a", 1, 5, 2000);
        assert_eq!(store.release_jobs(&[c[0].lease.clone()], true).unwrap(), 1);
        let again = claim(&store, "b", 1, 5, 2001);
        assert_eq!(again[0].attempt, 1);
    }

    /// A run's checked commits renew its lease only when less than half of it is left: a check
    /// that finds more writes nothing to the job's row (on PostgreSQL no new row version, so no
    /// entry in each of the job's indexes), by both paths of the check (`apply`'s own check and
    /// an intent's check in the progress statement).
    #[test]
    fn a_checked_commit_renews_its_lease_only_when_less_than_half_is_left() {
        let db = SharedDb::new();
        let store = db.open("default");
        let (wf, _) = enqueue(&store, SEED);
        let a = claim(&store, "a", 1, 3, 2000).remove(0);
        let row = |store: &Store| -> (Option<i64>, String) {
            let version = match store.dialect() {
                Dialect::Sqlite => "''",
                Dialect::Postgres => "ctid::text",
            };
            store
                .conn
                .query_row(
                    &format!("SELECT lease_expires_at, {version} FROM jobs WHERE id = ?1"),
                    [&a.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap()
        };
        let claimed = row(&store);
        assert_eq!(claimed.0, Some(3000), "claimed at 2000 for 1000 ms");
        let running = |at| progress(&wf, WorkflowStatus::Running, at);
        store.apply(Some(&a.lease), &[running(2100)], 2100).unwrap();
        assert_eq!(
            row(&store),
            claimed,
            "900 of 1000 ms left: not renewed, not written"
        );
        let make = |_: Option<&str>| Some("intent".to_string());
        let step = task_step(&wf, StepStatus::Running);
        store
            .commit_intent(Some(&a.lease), &[running(2400)], &step, &make, 2400)
            .unwrap();
        assert_eq!(
            row(&store),
            claimed,
            "600 of 1000 ms left: not renewed, not written"
        );
        store.apply(Some(&a.lease), &[running(2600)], 2600).unwrap();
        assert_eq!(row(&store).0, Some(3600), "400 of 1000 ms left: renewed");
        let step = StepRecord {
            seq: 11,
            ..task_step(&wf, StepStatus::Running)
        };
        store
            .commit_intent(Some(&a.lease), &[running(3200)], &step, &make, 3200)
            .unwrap();
        assert_eq!(row(&store).0, Some(4200), "the intent's check renews too");
        // A lease lost is still refused, whatever is left of it.
        store.rescue_expired_jobs(4300).unwrap();
        let err = store
            .apply(Some(&a.lease), &[running(4301)], 4301)
            .unwrap_err();
        assert!(matches!(err, Error::LeaseLost { .. }), "{err}");
    }

    #[test]
    fn the_claim_runs_on_its_generic_plan_and_is_not_planned_again_per_call() {
        let db = SharedDb::new();
        let store = db.open("default");
        enqueue_distinct(&store, 8);
        for at in 0..8 {
            assert_eq!(claim(&store, "a", 1, 3, 2000 + at).len(), 1, "claim {at}");
        }
        if store.dialect() != Dialect::Postgres {
            return; // SQLite plans a statement once when it is prepared.
        }
        // PostgreSQL's plan cache plans a prepared statement's first five runs for their values,
        // and every later one too while the generic plan looks dearer: on a drain's growing
        // tables the claim's always did (planned afresh per call, 0.15 ms of the server's CPU
        // per workflow). Forced, not one run is planned for its values.
        let (generic, custom): (i64, i64) = store
            .conn
            .query_row(
                "SELECT SUM(generic_plans)::BIGINT, SUM(custom_plans)::BIGINT
                 FROM pg_prepared_statements
                 WHERE statement LIKE '%WITH available AS MATERIALIZED%'",
                params![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(custom, 0, "custom plans of the claim ({generic} generic)");
        assert!(generic >= 8, "{generic} generic plans for 8 claims");
    }

    #[test]
    fn a_heartbeat_renews_only_the_leases_it_is_given() {
        let store = Store::open_in_memory().unwrap();
        enqueue(&store, SEED);
        let c = claim(&store, "a", 1, 5, 2000).remove(0);
        // The thread let go of the job (its end could not be recorded): the beat lists nothing.
        assert_eq!(
            store.heartbeat("a", 1, "normal", 1, 0, &[], 2500).unwrap(),
            0
        );
        assert_eq!(store.rescue_expired_jobs(3001).unwrap().returned, 1);
        let c2 = claim(&store, "a", 1, 5, 3002).remove(0);
        assert_eq!(
            store
                .heartbeat(
                    "a",
                    1,
                    "normal",
                    1,
                    0,
                    std::slice::from_ref(&c2.lease),
                    3500
                )
                .unwrap(),
            1
        );
        assert_eq!(
            store.rescue_expired_jobs(4010).unwrap().returned,
            0,
            "renewed to 4500"
        );
        assert_ne!(c.attempt, c2.attempt);
    }

    /// Claims by `threads` threads at once, each on its own connection (a worker process of its
    /// own), `rounds` times; each thread's claims, as claimed. `finish` completes each job
    /// right after its claim.
    fn claim_concurrently(
        db: &SharedDb,
        threads: usize,
        rounds: usize,
        (limit, tenant_cap): (usize, Option<u32>),
        finish_each: bool,
    ) -> Vec<Vec<Vec<ClaimedJob>>> {
        let start = std::sync::Barrier::new(threads);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let start = &start;
                    scope.spawn(move || {
                        let store = db.open("default");
                        let owner = format!("w{t}");
                        start.wait();
                        let mut claims = Vec::new();
                        for round in 0..rounds {
                            let now = 2000 + round as i64;
                            let slot = ClaimSlot {
                                queue: "normal",
                                tenant: store.tenant(),
                                limit,
                                tenant_cap,
                            };
                            let got = store.claim_from(&owner, &[slot], 60_000, 3, now).unwrap();
                            if finish_each {
                                for job in &got {
                                    store
                                        .finish_job(&finish(&job.lease, JobResult::Completed, now))
                                        .unwrap();
                                }
                            }
                            claims.push(got);
                        }
                        claims
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        })
    }

    #[test]
    fn concurrent_claimers_never_take_one_job_twice_nor_more_than_asked() {
        let db = SharedDb::new();
        enqueue_distinct(&db.open("default"), 40);
        // 4 threads × 12 rounds × 3 jobs could take 144: far more claims than jobs.
        let claims = claim_concurrently(&db, 4, 12, (3, None), true);
        let mut ids = Vec::new();
        for claim in claims.iter().flatten() {
            assert!(claim.len() <= 3, "a claim took {} of 3", claim.len());
            ids.extend(claim.iter().map(|j| j.id.clone()));
        }
        let taken = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), taken, "a job was claimed twice");
        assert_eq!(taken, 40, "every job was claimed once");
    }

    #[test]
    fn concurrent_claimers_keep_a_tenants_cap() {
        let db = SharedDb::new();
        let store = db.open("default");
        enqueue_distinct(&store, 20);
        // Nothing finishes: at most 5 may ever run, however the claims interleave.
        let claims = claim_concurrently(&db, 4, 3, (4, Some(5)), false);
        let taken: usize = claims.iter().flatten().map(Vec::len).sum();
        assert_eq!(taken, 5, "the cap of 5 running jobs");
        let running: i64 = store
            .conn
            .query_row(
                "SELECT COUNT(*) FROM jobs WHERE state = 'running'",
                (),
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(running, 5);
    }
}
