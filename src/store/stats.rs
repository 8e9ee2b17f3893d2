//! The raw numbers behind `salesagent stats`: counts and durations over a time window.

use std::collections::BTreeMap;

use super::sql;
use super::sql::params;

use super::states::{DraftStatus, JobState, WorkflowStatus};
use super::{QueueCount, Store};
use crate::error::Result;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsRaw {
    /// (status, count) of workflows created in the window.
    pub workflows_by_status: Vec<(String, i64)>,
    /// (error class, count) of failed workflows created in the window.
    pub errors_by_class: Vec<(String, i64)>,
    /// (step, count) of failed step executions in the window, most first.
    pub failing_steps: Vec<(String, i64)>,
    /// Milliseconds from receipt of the submission to its draft, for drafts made in the window.
    pub received_to_draft_ms: Vec<i64>,
    /// Milliseconds from draft to approval, for drafts approved in the window.
    pub draft_to_approval_ms: Vec<i64>,
    pub approved: i64,
    pub rejected: i64,
    pub sent: i64,
    /// Dead letters created in the window, whatever became of them since.
    pub dead_letters: i64,
    /// Of those, the ones still waiting (neither retried nor resolved), as `dlq list` shows them.
    pub dead_letters_open: i64,
}

/// A tenant at a glance, for `salesagent tenants`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantCounts {
    pub workflows: i64,
    /// Drafts waiting for an operator's review.
    pub drafts_waiting: i64,
    /// Unresolved dead letters (as `queues` counts them).
    pub dead_letters: i64,
    /// When the tenant's newest submission arrived.
    pub last_submission_at: Option<i64>,
}

impl Store {
    pub fn tenant_counts(&self) -> Result<TenantCounts> {
        Ok(self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM workflows WHERE tenant_id = ?1),
                    (SELECT COUNT(*) FROM drafts WHERE tenant_id = ?1 AND status = ?2),
                    (SELECT COUNT(*) FROM dead_letters WHERE tenant_id = ?1 AND resolved_at IS NULL),
                    (SELECT MAX(received_at) FROM submissions WHERE tenant_id = ?1)",
            params![self.tenant, DraftStatus::PendingReview.as_str()],
            |r| {
                Ok(TenantCounts {
                    workflows: r.get(0)?,
                    drafts_waiting: r.get(1)?,
                    dead_letters: r.get(2)?,
                    last_submission_at: r.get(3)?,
                })
            },
        )?)
    }

    pub fn stats(&self, since: i64) -> Result<StatsRaw> {
        let pairs = |sql: &str| -> Result<Vec<(String, i64)>> {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt
                .query_map(params![self.tenant, since], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<sql::Result<Vec<_>>>()?;
            Ok(rows)
        };
        let durations = |sql: &str| -> Result<Vec<i64>> {
            let mut stmt = self.conn.prepare(sql)?;
            let mut rows = stmt
                .query_map(params![self.tenant, since], |r| r.get(0))?
                .collect::<sql::Result<Vec<i64>>>()?;
            rows.sort_unstable();
            Ok(rows)
        };
        let count = |sql: &str| -> Result<i64> {
            Ok(self
                .conn
                .query_row(sql, params![self.tenant, since], |r| r.get(0))?)
        };
        Ok(StatsRaw {
            workflows_by_status: pairs(
                "SELECT status, COUNT(*) FROM workflows WHERE tenant_id = ?1 AND created_at >= ?2
                 GROUP BY status ORDER BY COUNT(*) DESC",
            )?,
            errors_by_class: pairs(
                "SELECT COALESCE(last_error_class, 'unknown'), COUNT(*) FROM workflows
                 WHERE tenant_id = ?1 AND created_at >= ?2 AND status = 'failed'
                 GROUP BY 1 ORDER BY 2 DESC",
            )?,
            failing_steps: pairs(
                "SELECT s.name, COUNT(*) FROM workflow_steps s JOIN workflows w ON w.id = s.workflow_id
                 WHERE w.tenant_id = ?1 AND s.started_at >= ?2 AND s.status = 'failed'
                 GROUP BY s.name ORDER BY 2 DESC, 1 LIMIT 5",
            )?,
            received_to_draft_ms: durations(
                "SELECT CASE WHEN d.created_at > s.received_at THEN d.created_at - s.received_at ELSE 0 END
                 FROM drafts d
                 JOIN workflows w ON w.id = d.workflow_id JOIN submissions s ON s.id = w.submission_id
                 WHERE d.tenant_id = ?1 AND d.created_at >= ?2 AND d.status != 'superseded'",
            )?,
            draft_to_approval_ms: durations(
                "SELECT CASE WHEN reviewed_at > created_at THEN reviewed_at - created_at ELSE 0 END FROM drafts
                 WHERE tenant_id = ?1 AND reviewed_at >= ?2 AND status IN ('approved', 'sending', 'sent', 'send_failed')",
            )?,
            approved: count(
                "SELECT COUNT(*) FROM drafts WHERE tenant_id = ?1 AND reviewed_at >= ?2
                 AND status IN ('approved', 'sending', 'sent', 'send_failed')",
            )?,
            rejected: count(
                "SELECT COUNT(*) FROM drafts WHERE tenant_id = ?1 AND reviewed_at >= ?2 AND status = 'rejected'",
            )?,
            sent: count("SELECT COUNT(*) FROM drafts WHERE tenant_id = ?1 AND sent_at >= ?2")?,
            dead_letters: count(
                "SELECT COUNT(*) FROM dead_letters WHERE tenant_id = ?1 AND created_at >= ?2",
            )?,
            dead_letters_open: count(
                "SELECT COUNT(*) FROM dead_letters WHERE tenant_id = ?1 AND created_at >= ?2
                 AND retried_at IS NULL AND resolved_at IS NULL",
            )?,
        })
    }
}

impl Store {
    /// Sends claimed since `day_start`, per sender (lower-cased): what the daily cap counts
    /// (`claim_send` counts the same rows).
    pub fn sends_per_sender_since(&self, day_start: i64) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT lower(sender), COUNT(*) FROM drafts
             WHERE tenant_id = ?1 AND send_started_at >= ?2
             GROUP BY lower(sender) ORDER BY lower(sender)",
        )?;
        let rows = stmt
            .query_map(params![self.tenant, day_start], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

/// Gauges sampled from the store when `/metrics` is scraped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GaugeSnapshot {
    pub workflows_by_status: Vec<(String, i64)>,
    pub drafts_by_status: Vec<(String, i64)>,
    /// Findings of the latest reconcile run, if there was one.
    pub reconcile_findings: Option<i64>,
}

/// One tenant's store gauges for `/metrics`: its queues, dead letters, workflows and drafts, and
/// its latest reconcile run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantGauges {
    pub queue_counts: Vec<QueueCount>,
    /// Per queue: age in ms of the tenant's oldest job that is due and waiting.
    pub oldest_available_ms: Vec<(String, i64)>,
    pub dead_letters: i64,
    pub snapshot: GaugeSnapshot,
}

/// Every value `jobs.state` may hold (the table's CHECK constraint), for gauges that must show 0.
pub const JOB_STATES: [&str; 7] = JobState::NAMES;

/// Every value `workflows.status` may hold.
pub const WORKFLOW_STATUSES: [&str; 7] = WorkflowStatus::NAMES;

/// Every value `drafts.status` may hold.
pub const DRAFT_STATUSES: [&str; 8] = DraftStatus::NAMES;

/// Live worker processes and the threads they run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveWorkers {
    pub processes: i64,
    pub threads: i64,
}

impl Store {
    /// Worker processes whose heartbeat is newer than `since`, and the worker threads they run
    /// (each heartbeat records its pool's thread count; an intake-only `serve` records none and
    /// is no worker).
    pub fn live_workers(&self, since: i64) -> Result<LiveWorkers> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FILTER (WHERE threads > 0), COALESCE(SUM(threads), 0)
             FROM worker_heartbeats WHERE seen_at >= ?1",
            [since],
            |r| {
                Ok(LiveWorkers {
                    processes: r.get(0)?,
                    threads: r.get(1)?,
                })
            },
        )?)
    }

    /// serve and worker processes of any kind (intake-only included) whose heartbeat is newer
    /// than `since`.
    pub fn live_processes(&self, since: i64) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM worker_heartbeats WHERE seen_at >= ?1",
            [since],
            |r| r.get(0),
        )?)
    }

    /// The store gauges of every tenant in `tenants` (0 when it has nothing) and of any other
    /// tenant with rows, by tenant: a deliberate cross-tenant read, so the queue alerts of a
    /// multi-tenant deployment see every tenant's jobs.
    pub fn gauges_of_every_tenant(
        &self,
        tenants: &[String],
        now: i64,
    ) -> Result<BTreeMap<String, TenantGauges>> {
        let mut out: BTreeMap<String, TenantGauges> = tenants
            .iter()
            .map(|t| (t.clone(), TenantGauges::default()))
            .collect();
        let mut stmt = self.conn.prepare_cached(
            "SELECT tenant_id, queue, state, COUNT(*) FROM jobs
             GROUP BY tenant_id, queue, state ORDER BY tenant_id, queue, state",
        )?;
        for row in stmt.query_map((), |r| {
            Ok((
                r.get::<_, String>(0)?,
                QueueCount {
                    queue: r.get(1)?,
                    state: r.get(2)?,
                    count: r.get(3)?,
                },
            ))
        })? {
            let (tenant, count) = row?;
            out.entry(tenant).or_default().queue_counts.push(count);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT tenant_id, queue, ?1 - MIN(run_at) FROM jobs
             WHERE state IN ('available', 'retryable') AND run_at <= ?1
             GROUP BY tenant_id, queue ORDER BY tenant_id, queue",
        )?;
        for row in stmt.query_map([now], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })? {
            let (tenant, queue, age) = row?;
            out.entry(tenant)
                .or_default()
                .oldest_available_ms
                .push((queue, age));
        }
        for (tenant, n) in self.by_tenant(
            "SELECT tenant_id, COUNT(*) FROM dead_letters WHERE resolved_at IS NULL
             GROUP BY tenant_id",
        )? {
            out.entry(tenant).or_default().dead_letters = n;
        }
        for table in ["workflows", "drafts"] {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT tenant_id, status, COUNT(*) FROM {table} GROUP BY tenant_id, status"
            ))?;
            for row in stmt.query_map((), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
            })? {
                let (tenant, status, n) = row?;
                let snapshot = &mut out.entry(tenant).or_default().snapshot;
                match table {
                    "workflows" => snapshot.workflows_by_status.push((status, n)),
                    _ => snapshot.drafts_by_status.push((status, n)),
                }
            }
        }
        for (tenant, n) in self.by_tenant(&format!(
            "SELECT r.tenant_id, MAX({findings}) FROM reconciliation_reports r
             WHERE r.started_at = (SELECT MAX(started_at) FROM reconciliation_reports
                                   WHERE tenant_id = r.tenant_id)
             GROUP BY r.tenant_id",
            findings = self.dialect().json_array_length("r.findings")
        ))? {
            out.entry(tenant).or_default().snapshot.reconcile_findings = Some(n);
        }
        Ok(out)
    }

    /// (tenant, number) rows of a cross-tenant query.
    fn by_tenant(&self, sql: &str) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;
    use crate::store::ops_fixtures::workflow;
    use crate::store::sql::params;

    #[test]
    fn counts_durations_and_every_tenants_gauges() {
        let store = Store::open_in_memory().unwrap();
        let sent = workflow(&store, "a@x.com", "completed", "completed", "sent", "gmail");
        workflow(
            &store,
            "b@x.com",
            "failed",
            "completed",
            "rejected",
            "local_mailbox",
        );
        workflow(
            &store,
            "c@x.com",
            "pending",
            "available",
            "pending_review",
            "gmail",
        );
        store
            .conn
            .execute(
                "UPDATE drafts SET send_started_at = 1750, sent_at = 1760 WHERE id = ?1",
                [&sent.draft],
            )
            .unwrap();
        let counts = store.tenant_counts().unwrap();
        assert_eq!(
            (
                counts.workflows,
                counts.drafts_waiting,
                counts.last_submission_at
            ),
            (3, 1, Some(1000))
        );
        let stats = store.stats(0).unwrap();
        assert_eq!(stats.workflows_by_status.len(), 3);
        assert_eq!(stats.received_to_draft_ms, vec![700, 700, 700]);
        assert_eq!(stats.draft_to_approval_ms, vec![100]);
        assert_eq!((stats.approved, stats.rejected, stats.sent), (1, 1, 1));
        assert_eq!(
            store.sends_per_sender_since(0).unwrap(),
            vec![("rep@ours.example".to_string(), 1)]
        );

        for (worker, threads) in [("w1", 4), ("serve", 0)] {
            store
                .conn
                .execute(
                    "INSERT INTO worker_heartbeats (worker_id, queues, started_at, seen_at, threads)
                     VALUES (?1, 'normal', 1, 100, ?2)",
                    params![worker, threads],
                )
                .unwrap();
        }
        let live = store.live_workers(50).unwrap();
        assert_eq!((live.processes, live.threads), (1, 4));
        assert_eq!(store.live_processes(50).unwrap(), 2);

        for (started_at, findings) in [(10, "[1]"), (20, "[1,2,3]")] {
            store
                .conn
                .execute(
                    "INSERT INTO reconciliation_reports (id, tenant_id, started_at, checks, findings)
                     VALUES (?1, 'default', ?2, '[]', ?3)",
                    params![crate::store::new_id(), started_at, findings],
                )
                .unwrap();
        }
        let gauges = store
            .gauges_of_every_tenant(&["default".into(), "acme".into()], 5000)
            .unwrap();
        let ours = &gauges["default"];
        assert_eq!(ours.snapshot.reconcile_findings, Some(3));
        assert_eq!(ours.oldest_available_ms, vec![("normal".to_string(), 4000)]);
        assert_eq!(ours.snapshot.workflows_by_status.len(), 3);
        assert_eq!(gauges["acme"], Default::default());
    }
}
