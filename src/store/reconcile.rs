//! What `reconcile` reads (drafts, tasks, stuck workflows, duplicates, dead letters), the safe
//! repairs it may write (orphan a draft, point a task at its re-created CRM object, requeue a
//! workflow), and the stored reports (`reconciliation_reports`).

use super::sql;
use super::sql::{OptionalExtension, Row, params};

use super::listen::announce_jobs_in;
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
            // Every row (SQLite's LIMIT -1 is no limit; PostgreSQL refuses a negative one).
            i64::MAX,
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
             JOIN workflows w2 ON w2.tenant_id = s1.tenant_id AND w2.email = s1.email
                  AND w2.created_at >= s1.received_at AND w2.created_at <= s1.received_at + ?3
             JOIN submissions s2 ON s2.id = w2.submission_id
                  AND s2.tenant_id = s1.tenant_id AND s2.email = s1.email
                  AND s2.form_id IS NOT DISTINCT FROM s1.form_id
                  AND s2.received_at >= s1.received_at AND s2.received_at <= s1.received_at + ?3
                  AND s2.id != s1.id AND (s2.received_at > s1.received_at OR s2.id > s1.id)
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
                 ORDER BY created_at DESC LIMIT 1{}",
                // Locked as read (PostgreSQL): a run's commits end or renew its job without
                // the write lock, so the lease read here must still be the job's at the write.
                tx.dialect().lock_rows()
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
        if matches!(
            outcome,
            WorkflowRequeue::Released { .. } | WorkflowRequeue::Enqueued { .. }
        ) {
            announce_jobs_in(&tx)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ops_fixtures::{dead_letter, workflow};

    fn report(store: &Store, started_at: i64, checks: &str) -> String {
        let id = new_id();
        store
            .insert_report(&ReportRow {
                id: id.clone(),
                started_at,
                finished_at: Some(started_at + 1),
                checks: checks.into(),
                findings: "[]".into(),
                fixes: "[]".into(),
                dead_letters: 0,
                fix_mode: true,
            })
            .unwrap();
        id
    }

    #[test]
    fn drafts_and_tasks_are_read_in_pages_and_duplicates_orphans_and_reports_are_found() {
        let store = Store::open_in_memory().unwrap();
        let failed = workflow(
            &store,
            "a@x.com",
            "failed",
            "completed",
            "pending_review",
            "gmail",
        );
        let done = workflow(
            &store,
            "a@x.com",
            "completed",
            "completed",
            "approved",
            "gmail",
        );

        let first = store.live_drafts(0, i64::MIN, 1).unwrap();
        assert_eq!(first.len(), 1);
        let second = store.live_drafts(0, first[0].cursor, 1).unwrap();
        assert_eq!(second.len(), 1);
        assert_ne!(first[0].draft_id, second[0].draft_id);
        assert!(
            store
                .live_drafts(0, second[0].cursor, 1)
                .unwrap()
                .is_empty()
        );
        let tasks = store.recorded_tasks(0, i64::MIN, 10).unwrap();
        assert_eq!(tasks.len(), 2);
        assert!(
            store
                .recorded_tasks(0, tasks[1].cursor, 10)
                .unwrap()
                .is_empty()
        );

        let duplicates = store.duplicate_drafts(0, 60_000).unwrap();
        assert_eq!(duplicates.len(), 1, "{duplicates:?}");
        assert_eq!(
            (
                duplicates[0].draft_id.as_str(),
                duplicates[0].first_draft_id.as_str(),
                duplicates[0].form_id.as_deref(),
                duplicates[0].seconds_apart
            ),
            (done.draft.as_str(), failed.draft.as_str(), Some("f"), 0)
        );

        let dead = store.drafts_without_live_workflow(0).unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].workflow_status.as_deref(), Some("failed"));
        assert_eq!(
            store
                .orphan_drafts(std::slice::from_ref(&failed.draft), 3000)
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .orphan_drafts(std::slice::from_ref(&failed.draft), 3001)
                .unwrap(),
            0
        );
        assert!(store.drafts_without_live_workflow(0).unwrap().is_empty());

        store
            .conn
            .execute("DELETE FROM tasks WHERE workflow_id = ?1", [&done.workflow])
            .unwrap();
        assert_eq!(
            store.completed_without_task(0).unwrap(),
            vec![done.workflow.clone()]
        );
        store
            .conn
            .execute(
                "UPDATE drafts SET status = 'sending', send_started_at = 100 WHERE id = ?1",
                [&done.draft],
            )
            .unwrap();
        assert_eq!(store.stuck_sends(200).unwrap().len(), 1);

        assert_eq!(store.dead_letter_counts(None).unwrap(), (0, 0));
        dead_letter(&store, &failed);
        assert_eq!(store.dead_letter_counts(None).unwrap(), (1, 1));
        assert_eq!(store.dead_letter_counts(Some(5000)).unwrap(), (0, 1));

        let both = report(&store, 10, r#"["drafts","tasks"]"#);
        let tasks_only = report(&store, 20, r#"["tasks"]"#);
        let latest = |check| store.latest_report_with_check(check).unwrap().map(|r| r.id);
        assert_eq!(latest("drafts"), Some(both));
        assert_eq!(latest("tasks"), Some(tasks_only.clone()));
        assert_eq!(latest("stuck"), None);
        let listed = store.list_reports(10).unwrap();
        assert_eq!(listed.rows.len(), 2);
        assert_eq!(listed.rows[0].id, tasks_only);
        assert!(listed.rows[0].fix_mode);
    }

    #[test]
    fn stuck_workflows_are_found_and_requeued_once() {
        let store = Store::open_in_memory().unwrap();
        let pending = workflow(
            &store,
            "b@x.com",
            "pending",
            "completed",
            "approved",
            "gmail",
        );
        let running = workflow(&store, "c@x.com", "running", "running", "approved", "gmail");
        workflow(
            &store,
            "d@x.com",
            "completed",
            "completed",
            "approved",
            "gmail",
        );
        store
            .conn
            .execute(
                "UPDATE jobs SET lease_owner = 'w9', lease_expires_at = 3000 WHERE id = ?1",
                [&running.job],
            )
            .unwrap();
        let stuck = store.stuck_workflows(0, 10_000, 5000).unwrap();
        let found: Vec<(&str, Option<i64>, bool)> = stuck
            .iter()
            .map(|s| (s.workflow_id.as_str(), s.lease_expires_at, s.orphaned))
            .collect();
        assert_eq!(found.len(), 2, "{stuck:?}");
        assert!(found.contains(&(pending.workflow.as_str(), None, false)));
        assert!(found.contains(&(running.workflow.as_str(), Some(3000), false)));

        let requeue = |id: &str| store.requeue_workflow(id, "normal", 10_000).unwrap();
        assert!(matches!(
            requeue(&pending.workflow),
            WorkflowRequeue::Enqueued { .. }
        ));
        assert!(matches!(
            requeue(&pending.workflow),
            WorkflowRequeue::Waiting { .. }
        ));
        assert_eq!(
            requeue(&running.workflow),
            WorkflowRequeue::Released {
                job_id: running.job.clone()
            }
        );
        assert!(store.stuck_workflows(0, 10_000, 5000).unwrap().is_empty());
    }
}
