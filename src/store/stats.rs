//! The raw numbers behind `salesagent stats`: counts and durations over a time window.

use rusqlite::{OptionalExtension, params};

use super::Store;
use super::states::{DraftStatus, JobState, WorkflowStatus};
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
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        };
        let durations = |sql: &str| -> Result<Vec<i64>> {
            let mut stmt = self.conn.prepare(sql)?;
            let mut rows = stmt
                .query_map(params![self.tenant, since], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
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
                 GROUP BY s.name ORDER BY 2 DESC LIMIT 5",
            )?,
            received_to_draft_ms: durations(
                "SELECT MAX(d.created_at - s.received_at, 0) FROM drafts d
                 JOIN workflows w ON w.id = d.workflow_id JOIN submissions s ON s.id = w.submission_id
                 WHERE d.tenant_id = ?1 AND d.created_at >= ?2 AND d.status != 'superseded'",
            )?,
            draft_to_approval_ms: durations(
                "SELECT MAX(reviewed_at - created_at, 0) FROM drafts
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
            .collect::<rusqlite::Result<Vec<_>>>()?;
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

    pub fn gauge_snapshot(&self) -> Result<GaugeSnapshot> {
        let by_status = |table: &str| -> Result<Vec<(String, i64)>> {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT status, COUNT(*) FROM {table} WHERE tenant_id = ?1 GROUP BY status"
            ))?;
            let rows = stmt
                .query_map([&self.tenant], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        };
        let reconcile_findings = self
            .conn
            .prepare_cached(
                "SELECT json_array_length(findings) FROM reconciliation_reports
                 WHERE tenant_id = ?1 ORDER BY started_at DESC LIMIT 1",
            )?
            .query_row([&self.tenant], |r| r.get(0))
            .optional()?;
        Ok(GaugeSnapshot {
            workflows_by_status: by_status("workflows")?,
            drafts_by_status: by_status("drafts")?,
            reconcile_findings,
        })
    }
}
