//! What `reconcile` reads (drafts, tasks, stuck workflows, duplicates, dead letters), the safe
//! repairs it may write (orphan a draft, point a task at its re-created CRM object, requeue a
//! workflow), and the stored reports (`reconciliation_reports`).

use super::sql;
use super::sql::{OptionalExtension, Row, params};

use super::states::{JobState, WorkflowStatus};
use super::workers::ORPHANED_LEASE;
use super::{ListQuery, Page, Store, new_id, resolve_id};
use crate::error::{Error, Result};

/// Draft statuses still waiting on someone: the ones whose mailbox copy must exist.
const LIVE_DRAFTS: &str = "('pending_review', 'approved')";

/// A draft as reconcile sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftProbe {
    /// Where a paged read continues after this row.
    pub cursor: i64,
    pub draft_id: String,
    pub workflow_id: String,
    /// None when the workflow row is missing.
    pub workflow_status: Option<String>,
    pub remote_draft_id: Option<String>,
}

/// A recorded task, with what is needed to re-create it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskProbe {
    /// Where a paged read continues after this row.
    pub cursor: i64,
    pub workflow_id: String,
    pub remote_task_id: String,
    pub contact_id: String,
    pub subject: String,
    pub priority: String,
    pub due_at: i64,
}

/// A later draft for the same email and form as an earlier one, within the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateDraft {
    pub draft_id: String,
    pub workflow_id: String,
    pub first_draft_id: String,
    pub email: String,
    pub form_id: Option<String>,
    pub seconds_apart: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StuckWorkflow {
    pub workflow_id: String,
    /// `running`, or `pending` with no job to run it.
    pub status: WorkflowStatus,
    pub updated_at: i64,
    pub current_step: Option<String>,
    /// The latest lease of a running job, when one exists.
    pub lease_expires_at: Option<i64>,
    /// The running job's lease is still renewed, but its worker's registry says no thread of it
    /// runs the job any more (its end could not be recorded): nobody will finish it.
    pub orphaned: bool,
}

/// What a requeue did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkflowRequeue {
    /// A running job whose lease had expired was made available again.
    Released { job_id: String },
    /// A new job was enqueued on the queue.
    Enqueued { job_id: String },
    /// A worker still holds a valid lease on the workflow's job: left alone.
    Leased { job_id: String, until: i64 },
    /// A job is already waiting (available, retryable, held).
    Waiting { job_id: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRow {
    pub id: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// JSON array of check names.
    pub checks: String,
    /// JSON array of findings.
    pub findings: String,
    /// JSON array of fixes applied.
    pub fixes: String,
    pub dead_letters: i64,
    pub fix_mode: bool,
}

const REPORT_COLUMNS: &str =
    "id, started_at, finished_at, checks, findings, fixes, dead_letters, fix_mode";

fn report_from_row(r: &Row<'_>) -> sql::Result<ReportRow> {
    Ok(ReportRow {
        id: r.get(0)?,
        started_at: r.get(1)?,
        finished_at: r.get(2)?,
        checks: r.get(3)?,
        findings: r.get(4)?,
        fixes: r.get(5)?,
        dead_letters: r.get(6)?,
        fix_mode: r.get(7)?,
    })
}

impl Store {
    /// Live drafts whose workflow is missing, failed or cancelled.
    pub fn drafts_without_live_workflow(&self, since: i64) -> Result<Vec<DraftProbe>> {
        self.draft_probes(
            &format!(
                "SELECT d.rowid, d.id, d.workflow_id, w.status, d.remote_draft_id
             FROM drafts d LEFT JOIN workflows w ON w.id = d.workflow_id
             WHERE d.tenant_id = ?1 AND d.created_at >= ?2 AND d.status IN {LIVE_DRAFTS}
               AND (w.id IS NULL OR w.status IN ('failed', 'cancelled'))
               AND d.rowid > ?3
             ORDER BY d.rowid LIMIT ?4"
            ),
            since,
            i64::MIN,
            -1,
        )
    }

    /// Live drafts that have a mailbox copy to look for: one page of at most `limit`, after the
    /// row whose cursor is `after` (start with `i64::MIN`). Memory stays flat however many there are.
    pub fn live_drafts(&self, since: i64, after: i64, limit: usize) -> Result<Vec<DraftProbe>> {
        // NOT INDEXED (SQLite): walk the table in rowid order from the cursor; the status index
        // would sort every remaining row again for each page. PostgreSQL's planner needs no hint.
        let not_indexed = match self.dialect() {
            sql::Dialect::Sqlite => "NOT INDEXED",
            sql::Dialect::Postgres => "",
        };
        self.draft_probes(
            &format!(
                "SELECT d.rowid, d.id, d.workflow_id, w.status, d.remote_draft_id
             FROM drafts AS d {not_indexed} LEFT JOIN workflows w ON w.id = d.workflow_id
             WHERE d.tenant_id = ?1 AND d.created_at >= ?2 AND d.status IN {LIVE_DRAFTS}
               AND d.remote_draft_id IS NOT NULL AND d.rowid > ?3
             ORDER BY d.rowid LIMIT ?4"
            ),
            since,
            after,
            limit as i64,
        )
    }

    fn draft_probes(
        &self,
        sql: &str,
        since: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<DraftProbe>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map(params![self.tenant, since, after, limit], |r| {
                Ok(DraftProbe {
                    cursor: r.get(0)?,
                    draft_id: r.get(1)?,
                    workflow_id: r.get(2)?,
                    workflow_status: r.get(3)?,
                    remote_draft_id: r.get(4)?,
                })
            })?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Completed workflows with no task recorded.
    pub fn completed_without_task(&self, since: i64) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT w.id FROM workflows w LEFT JOIN tasks t ON t.workflow_id = w.id
             WHERE w.tenant_id = ?1 AND w.status = 'completed' AND w.created_at >= ?2
               AND t.id IS NULL
             ORDER BY w.created_at",
        )?;
        let rows = stmt
            .query_map(params![self.tenant, since], |r| r.get(0))?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Recorded tasks of workflows created since `since`: one page of at most `limit`, after the
    /// row whose cursor is `after` (start with `i64::MIN`).
    pub fn recorded_tasks(&self, since: i64, after: i64, limit: usize) -> Result<Vec<TaskProbe>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.rowid, t.workflow_id, t.remote_task_id, t.contact_id, t.subject, t.priority,
                    t.due_at
             FROM tasks t JOIN workflows w ON w.id = t.workflow_id
             WHERE t.tenant_id = ?1 AND w.created_at >= ?2 AND t.rowid > ?3
             ORDER BY t.rowid LIMIT ?4",
        )?;
        let rows = stmt
            .query_map(params![self.tenant, since, after, limit as i64], |r| {
                Ok(TaskProbe {
                    cursor: r.get(0)?,
                    workflow_id: r.get(1)?,
                    remote_task_id: r.get(2)?,
                    contact_id: r.get(3)?,
                    subject: r.get(4)?,
                    priority: r.get(5)?,
                    due_at: r.get(6)?,
                })
            })?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Points a workflow's task row at its (re-created or re-found) CRM task.
    pub fn set_task_remote_id(&self, workflow_id: &str, remote_task_id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE tasks SET remote_task_id = ?2 WHERE workflow_id = ?1 AND tenant_id = ?3",
            params![workflow_id, remote_task_id, self.tenant],
        )?;
        Ok(())
    }

    /// Later drafts to the same email on the same form within `window_ms` of an earlier draft's
    /// submission (the pipeline's dedupe should have stopped them), each with the earliest match.
    pub fn duplicate_drafts(&self, since: i64, window_ms: i64) -> Result<Vec<DuplicateDraft>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d2.id, d2.workflow_id, d1.id, s1.email, s1.form_id,
                    (s2.received_at - s1.received_at) / 1000
             FROM drafts d1
             JOIN workflows w1 ON w1.id = d1.workflow_id
             JOIN submissions s1 ON s1.id = w1.submission_id
             JOIN submissions s2 ON s2.tenant_id = s1.tenant_id AND s2.email = s1.email
                  AND s2.form_id IS NOT DISTINCT FROM s1.form_id
                  AND s2.received_at >= s1.received_at AND s2.received_at <= s1.received_at + ?3
                  AND s2.id != s1.id AND (s2.received_at > s1.received_at OR s2.id > s1.id)
             JOIN workflows w2 ON w2.submission_id = s2.id
             JOIN drafts d2 ON d2.workflow_id = w2.id
             WHERE d1.tenant_id = ?1 AND d1.created_at >= ?2
               AND d1.status NOT IN ('orphaned', 'superseded')
               AND d2.status NOT IN ('orphaned', 'superseded')
             ORDER BY s2.received_at, s1.received_at",
        )?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let rows = stmt.query_map(params![self.tenant, since, window_ms], |r| {
            Ok(DuplicateDraft {
                draft_id: r.get(0)?,
                workflow_id: r.get(1)?,
                first_draft_id: r.get(2)?,
                email: r.get(3)?,
                form_id: r.get(4)?,
                seconds_apart: r.get(5)?,
            })
        })?;
        for row in rows {
            let row = row?;
            if seen.insert(row.draft_id.clone()) {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// Workflows `running` with no progress since `stuck_before` or whose running job's lease
    /// expired before `now`, and workflows `pending` since `stuck_before` with no job to run them.
    pub fn stuck_workflows(
        &self,
        since: i64,
        now: i64,
        stuck_before: i64,
    ) -> Result<Vec<StuckWorkflow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT w.id, w.status, w.updated_at, w.current_step,
                    (SELECT MAX(j.lease_expires_at) FROM jobs j
                     WHERE j.workflow_id = w.id AND j.state = 'running'),
                    EXISTS (SELECT 1 FROM jobs j
                     WHERE j.workflow_id = w.id AND j.state = 'running' AND {ORPHANED_LEASE})
             FROM workflows w
             WHERE w.tenant_id = ?1 AND w.status IN ('running', 'pending') AND w.created_at >= ?2
               AND CASE w.status
                   WHEN 'running' THEN w.updated_at < ?4 OR EXISTS (SELECT 1 FROM jobs j
                        WHERE j.workflow_id = w.id AND j.state = 'running'
                          AND (j.lease_expires_at < ?3 OR {ORPHANED_LEASE}))
                   ELSE w.updated_at < ?4 AND NOT EXISTS (SELECT 1 FROM jobs j
                        WHERE j.workflow_id = w.id
                          AND j.state IN ('available', 'retryable', 'held', 'running'))
                   END
             ORDER BY w.updated_at"
        ))?;
        let rows = stmt
            .query_map(params![self.tenant, since, now, stuck_before], |r| {
                Ok(StuckWorkflow {
                    workflow_id: r.get(0)?,
                    status: r.get(1)?,
                    updated_at: r.get(2)?,
                    current_step: r.get(3)?,
                    lease_expires_at: r.get(4)?,
                    orphaned: r.get(5)?,
                })
            })?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Puts a stuck workflow back in the queue: an expired job lease is released, or, when the
    /// workflow has no job waiting, a new one goes on `queue`. A valid lease is left alone.
    pub fn requeue_workflow(
        &self,
        workflow_id: &str,
        queue: &str,
        at: i64,
    ) -> Result<WorkflowRequeue> {
        let tx = self.write_tx()?;
        let live: Option<(String, String, Option<i64>, bool)> = tx
            .prepare_cached(&format!(
                "SELECT id, state, lease_expires_at, state = 'running' AND {ORPHANED_LEASE}
                 FROM jobs j
                 WHERE workflow_id = ?1 AND tenant_id = ?2
                   AND state IN ('available', 'retryable', 'held', 'running')
                 ORDER BY created_at DESC LIMIT 1"
            ))?
            .query_row(params![workflow_id, self.tenant], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let outcome = match live {
            Some((job_id, state, lease, orphaned)) if state == JobState::Running.as_str() => {
                match lease {
                    Some(until) if until >= at && !orphaned => {
                        WorkflowRequeue::Leased { job_id, until }
                    }
                    _ => {
                        tx.execute(
                            "UPDATE jobs SET state = 'available', lease_owner = NULL,
                             lease_expires_at = NULL, run_at = ?2, updated_at = ?2
                         WHERE id = ?1 AND tenant_id = ?3",
                            params![job_id, at, self.tenant],
                        )?;
                        WorkflowRequeue::Released { job_id }
                    }
                }
            }
            Some((job_id, _, _, _)) => WorkflowRequeue::Waiting { job_id },
            None => {
                let job_id = new_id();
                tx.execute(
                    "INSERT INTO jobs (id, tenant_id, queue, kind, workflow_id, state, run_at,
                         unique_key, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 'workflow', ?4, 'available', ?5, ?6, ?5, ?5)",
                    params![
                        job_id,
                        self.tenant,
                        queue,
                        workflow_id,
                        at,
                        format!("workflow:{workflow_id}")
                    ],
                )?;
                WorkflowRequeue::Enqueued { job_id }
            }
        };
        if !matches!(outcome, WorkflowRequeue::Leased { .. }) {
            // Progress was made on its behalf: not stuck again until the threshold passes anew.
            tx.execute(
                "UPDATE workflows SET updated_at = ?2 WHERE id = ?1 AND tenant_id = ?3",
                params![workflow_id, at, self.tenant],
            )?;
        }
        tx.commit()?;
        Ok(outcome)
    }

    /// Marks live drafts `orphaned` (the mailbox copy, if any, is left alone). Returns how many.
    pub fn orphan_drafts(&self, draft_ids: &[String], at: i64) -> Result<usize> {
        let tx = self.write_tx()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached(&format!(
                "UPDATE drafts SET status = 'orphaned', updated_at = ?2
                 WHERE id = ?1 AND tenant_id = ?3 AND status IN {LIVE_DRAFTS}"
            ))?;
            for id in draft_ids {
                n += stmt.execute(params![id, at, self.tenant])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// Unresolved dead letters created after `after` (all of them when None), and all the
    /// unresolved ones (a retry that completed resolved its dead letter).
    pub fn dead_letter_counts(&self, after: Option<i64>) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FILTER (WHERE created_at > ?2), COUNT(*)
             FROM dead_letters WHERE tenant_id = ?1 AND resolved_at IS NULL",
            params![self.tenant, after.unwrap_or(i64::MIN)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    pub fn insert_report(&self, report: &ReportRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO reconciliation_reports (id, tenant_id, started_at, finished_at, checks,
                 findings, fixes, dead_letters, fix_mode)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                report.id,
                self.tenant,
                report.started_at,
                report.finished_at,
                report.checks,
                report.findings,
                report.fixes,
                report.dead_letters,
                report.fix_mode
            ],
        )?;
        Ok(())
    }

    /// The newest report of a run that included the check `name`.
    pub fn latest_report_with_check(&self, name: &str) -> Result<Option<ReportRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REPORT_COLUMNS} FROM reconciliation_reports
             WHERE tenant_id = ?1 AND EXISTS (SELECT 1 FROM {checks} WHERE value = ?2)
             ORDER BY started_at DESC, id DESC LIMIT 1",
            checks = self.dialect().json_values("checks")
        ))?;
        Ok(stmt
            .query_row(params![self.tenant, name], report_from_row)
            .optional()?)
    }

    pub fn list_reports(&self, limit: usize) -> Result<Page<ReportRow>> {
        ListQuery::new(
            &format!("SELECT {REPORT_COLUMNS} FROM reconciliation_reports WHERE tenant_id = ?1"),
            &self.tenant,
        )
        .fetch_page(
            &self.conn,
            "started_at DESC, id DESC",
            limit,
            report_from_row,
        )
    }

    pub fn get_report(&self, id: &str) -> Result<ReportRow> {
        let id = resolve_id(&self.conn, "reconciliation_reports", &self.tenant, id).map_err(
            |e| match e {
                Error::NotFound(_) => Error::NotFound(format!("no reconcile report with id {id}")),
                other => other,
            },
        )?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REPORT_COLUMNS} FROM reconciliation_reports WHERE id = ?1 AND tenant_id = ?2"
        ))?;
        Ok(stmt.query_row(params![id, self.tenant], report_from_row)?)
    }
}

impl Store {
    /// Drafts claimed for sending before `started_before` and still `sending`: the process died
    /// between the claim and the mailbox's answer. (draft id, workflow id, claimed at)
    pub fn stuck_sends(&self, started_before: i64) -> Result<Vec<(String, String, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, workflow_id, send_started_at FROM drafts
             WHERE tenant_id = ?1 AND status = 'sending' AND send_started_at < ?2
             ORDER BY send_started_at",
        )?;
        let rows = stmt
            .query_map(params![self.tenant, started_before], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
