//! Retention purges: one small batch per call, each its own short IMMEDIATE transaction, walking
//! the table in primary-key order (UUIDv7 ids are time-ordered, so `id < cutoff_id` is a range
//! of the primary key and a cursor never rescans what it passed). No batch holds the write lock
//! for long, so intake keeps committing between them.

use super::sql;
use super::sql::params;

use super::Store;
use crate::error::Result;

/// What `purge` removes, each with its own age limit (`[retention]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PurgeKind {
    /// Submissions' raw bodies are emptied (the normalised lead stays with its workflow).
    RawPayloads,
    /// Completed and cancelled jobs (with their attempts) are deleted.
    FinishedJobs,
    /// Finished workflows with their submission, steps, jobs, drafts and tasks are deleted.
    Workflows,
    /// The mail files of rejected drafts are deleted (the rows stay).
    RejectedDraftFiles,
    ReconcileReports,
    QuarantinedPayloads,
    /// Usage rows (per tenant, day and metric), kept for billing; by whole UTC days.
    Usage,
}

impl PurgeKind {
    /// In the order `purge` runs them (rejected drafts' files before their workflows go).
    pub const ALL: [PurgeKind; 7] = [
        PurgeKind::RawPayloads,
        PurgeKind::FinishedJobs,
        PurgeKind::RejectedDraftFiles,
        PurgeKind::Workflows,
        PurgeKind::ReconcileReports,
        PurgeKind::QuarantinedPayloads,
        PurgeKind::Usage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PurgeKind::RawPayloads => "raw_payloads",
            PurgeKind::FinishedJobs => "finished_jobs",
            PurgeKind::Workflows => "workflows",
            PurgeKind::RejectedDraftFiles => "rejected_draft_files",
            PurgeKind::ReconcileReports => "reconcile_reports",
            PurgeKind::QuarantinedPayloads => "quarantined_payloads",
            PurgeKind::Usage => "usage",
        }
    }
}

/// One batch: how many rows it purged, the draft ids whose mail files go with them, and the
/// cursor to continue from (None: nothing left).
#[derive(Clone, Debug, Default)]
pub struct PurgeBatch {
    pub rows: u64,
    pub draft_files: Vec<String>,
    pub next: Option<String>,
}

/// The smallest UUIDv7 of millisecond `ms`: every id minted before `ms` sorts below it.
pub fn uuid7_floor(ms: i64) -> String {
    let ms = ms.max(0) as u64 & 0xffff_ffff_ffff;
    format!(
        "{:08x}-{:04x}-7000-8000-000000000000",
        ms >> 16,
        ms & 0xffff
    )
}

impl Store {
    /// Purges at most `limit` rows of `kind` older than `cutoff` (epoch ms), after `cursor`.
    /// A dry run counts what the batch would purge and changes nothing.
    pub fn purge_batch(
        &self,
        kind: PurgeKind,
        cutoff: i64,
        cursor: &str,
        limit: usize,
        dry_run: bool,
    ) -> Result<PurgeBatch> {
        if kind == PurgeKind::Usage {
            return self.purge_usage_batch(cutoff, limit, dry_run);
        }
        let below = uuid7_floor(cutoff);
        let tx = self.write_tx()?;
        let (ids, last) = self.candidates(&tx, kind, cutoff, &below, cursor, limit)?;
        let mut batch = PurgeBatch {
            rows: ids.len() as u64,
            draft_files: vec![],
            next: last,
        };
        if !dry_run && !ids.is_empty() {
            batch.draft_files = purge_ids(&tx, &self.tenant, kind, &ids)?;
        } else if kind == PurgeKind::RejectedDraftFiles {
            batch.draft_files = ids.clone();
        }
        if dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
        }
        Ok(batch)
    }

    /// Usage rows of days before `cutoff`'s UTC day, at most `limit` (no cursor: each batch
    /// deletes the oldest that are left).
    fn purge_usage_batch(&self, cutoff: i64, limit: usize, dry_run: bool) -> Result<PurgeBatch> {
        let day = crate::domain::time::rfc3339(cutoff)[..10].to_string();
        let tx = self.write_tx()?;
        let rows = if dry_run {
            let n: i64 = tx.query_row(
                "SELECT COUNT(*) FROM usage WHERE tenant_id = ?1 AND day < ?2",
                params![self.tenant, day],
                |r| r.get(0),
            )?;
            n as u64
        } else {
            tx.execute(
                "DELETE FROM usage WHERE tenant_id = ?1 AND (day, metric, shard) IN
                     (SELECT day, metric, shard FROM usage WHERE tenant_id = ?1 AND day < ?2
                      ORDER BY day LIMIT ?3)",
                params![self.tenant, day, limit as i64],
            )? as u64
        };
        if dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
        }
        let more = !dry_run && rows == limit as u64;
        Ok(PurgeBatch {
            rows,
            draft_files: vec![],
            next: more.then(String::new),
        })
    }

    /// The ids of the next batch and the cursor after it (the last id looked at).
    fn candidates(
        &self,
        tx: &sql::Transaction<'_>,
        kind: PurgeKind,
        cutoff: i64,
        below: &str,
        cursor: &str,
        limit: usize,
    ) -> Result<(Vec<String>, Option<String>)> {
        // (the window of ids, in key order; the condition a row of the window must meet)
        let (window, condition) = match kind {
            // Usage rows have no id to walk: `purge_usage_batch` deletes them.
            PurgeKind::Usage => return Ok((vec![], None)),
            PurgeKind::RawPayloads => (
                "SELECT id FROM submissions WHERE tenant_id = ?1 AND id > ?2 AND id < ?3",
                "length(raw_payload) > 0 AND received_at < ?4",
            ),
            PurgeKind::FinishedJobs => (
                "SELECT id FROM jobs WHERE tenant_id = ?1 AND id > ?2 AND id < ?3",
                "state IN ('completed', 'cancelled') AND updated_at < ?4
                 AND NOT EXISTS (SELECT 1 FROM dead_letters d
                                 WHERE d.tenant_id = t.tenant_id AND d.job_id = t.id)",
            ),
            PurgeKind::Workflows => (
                "SELECT id FROM workflows WHERE tenant_id = ?1 AND id > ?2 AND id < ?3",
                "status NOT IN ('pending', 'running') AND created_at < ?4
                 AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = t.tenant_id AND j.workflow_id = t.id
                                 AND j.state IN ('available', 'running', 'retryable', 'held'))",
            ),
            PurgeKind::RejectedDraftFiles => (
                "SELECT id FROM drafts WHERE tenant_id = ?1 AND id > ?2 AND id < ?3",
                "status = 'rejected' AND mailbox = 'local_mailbox' AND reviewed_at < ?4",
            ),
            PurgeKind::ReconcileReports => (
                "SELECT id FROM reconciliation_reports WHERE tenant_id = ?1 AND id > ?2 AND id < ?3",
                "started_at < ?4",
            ),
            PurgeKind::QuarantinedPayloads => (
                "SELECT id FROM quarantined_payloads WHERE tenant_id = ?1 AND id > ?2 AND id < ?3",
                "received_at < ?4",
            ),
        };
        let table = window
            .split_whitespace()
            .nth(3)
            .expect("a FROM clause names the table");
        let sql = format!(
            "WITH w AS ({window} ORDER BY id LIMIT ?5)
             SELECT t.id, ({condition}) FROM {table} t JOIN w ON w.id = t.id ORDER BY t.id"
        );
        let rows: Vec<(String, bool)> = tx
            .prepare_cached(&sql)?
            .query_map(
                params![self.tenant, cursor, below, cutoff, limit as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<sql::Result<_>>()?;
        let last = rows.last().map(|(id, _)| id.clone());
        let ids = rows
            .into_iter()
            .filter(|(_, ok)| *ok)
            .map(|(id, _)| id)
            .collect();
        Ok((ids, last))
    }
}

/// Purges exactly these rows of `kind` (ids as a JSON array, ?1; the tenant, ?2); returns the
/// draft ids whose mail files go too. Each statement names the list as `{ids}`.
fn purge_ids(
    tx: &sql::Transaction<'_>,
    tenant: &str,
    kind: PurgeKind,
    ids: &[String],
) -> Result<Vec<String>> {
    let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let list = format!("(SELECT value FROM {})", tx.dialect().json_values("?1"));
    let with_list = |template: &str| template.replace("{ids}", &list);
    let run = |template: &str| -> Result<()> {
        tx.execute(&with_list(template), params![json, tenant])?;
        Ok(())
    };
    let strings = |template: &str| -> Result<Vec<String>> {
        Ok(tx
            .prepare(&with_list(template))?
            .query_map(params![json, tenant], |r| r.get(0))?
            .collect::<sql::Result<_>>()?)
    };
    let mut files = Vec::new();
    match kind {
        PurgeKind::RawPayloads => {
            // An empty blob bound, not a literal: `x''` is SQLite's spelling only.
            tx.execute(
                &with_list(
                    "UPDATE submissions SET raw_payload = ?3 WHERE tenant_id = ?2 AND id IN {ids}",
                ),
                params![json, tenant, Vec::<u8>::new()],
            )?;
        }
        PurgeKind::FinishedJobs => {
            run("DELETE FROM job_attempts WHERE job_id IN
                 (SELECT id FROM jobs WHERE tenant_id = ?2 AND id IN {ids})")?;
            run("DELETE FROM jobs WHERE tenant_id = ?2 AND id IN {ids}")?;
        }
        PurgeKind::Workflows => {
            files = strings(
                "SELECT COALESCE(remote_draft_id, id) FROM drafts
                 WHERE tenant_id = ?2 AND mailbox = 'local_mailbox' AND workflow_id IN {ids}",
            )?;
            // The submissions, remembered before their workflows go.
            let submissions = strings(
                "SELECT DISTINCT submission_id FROM workflows WHERE tenant_id = ?2 AND id IN {ids}",
            )?;
            run("DELETE FROM dead_letters WHERE tenant_id = ?2 AND (
                     workflow_id IN {ids}
                     OR job_id IN (SELECT id FROM jobs WHERE tenant_id = ?2 AND workflow_id IN {ids}))")?;
            run(
                "DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM jobs WHERE tenant_id = ?2
                     AND workflow_id IN {ids})",
            )?;
            run("DELETE FROM jobs WHERE tenant_id = ?2 AND workflow_id IN {ids}")?;
            run(
                "DELETE FROM workflow_steps WHERE workflow_id IN (SELECT id FROM workflows
                     WHERE tenant_id = ?2 AND id IN {ids})",
            )?;
            run("DELETE FROM drafts WHERE tenant_id = ?2 AND workflow_id IN {ids}")?;
            run("DELETE FROM tasks WHERE tenant_id = ?2 AND workflow_id IN {ids}")?;
            run("DELETE FROM workflows WHERE tenant_id = ?2 AND id IN {ids}")?;
            let submissions = serde_json::to_string(&submissions).unwrap_or_else(|_| "[]".into());
            tx.execute(
                &with_list(
                    "DELETE FROM submissions WHERE tenant_id = ?2 AND id IN {ids}
                     AND id NOT IN (SELECT submission_id FROM workflows WHERE tenant_id = ?2)",
                ),
                params![submissions, tenant],
            )?;
        }
        PurgeKind::RejectedDraftFiles => files = ids.to_vec(),
        PurgeKind::Usage => {}
        PurgeKind::ReconcileReports => run("DELETE FROM reconciliation_reports
             WHERE tenant_id = ?2 AND id IN {ids}")?,
        PurgeKind::QuarantinedPayloads => run("DELETE FROM quarantined_payloads
             WHERE tenant_id = ?2 AND id IN {ids}")?,
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ops_fixtures::{count, workflow};

    /// Every purge kind, as `purge` runs them: a dry run counts and changes nothing; a real one
    /// removes only what is old and finished (a pending workflow and its job stay).
    #[test]
    fn each_kind_purges_only_finished_rows_and_a_dry_run_changes_nothing() {
        let store = Store::open_in_memory().unwrap();
        let done = workflow(
            &store,
            "old@example.com",
            "completed",
            "completed",
            "rejected",
            "local_mailbox",
        );
        let live = workflow(
            &store,
            "new@example.com",
            "pending",
            "available",
            "pending_review",
            "local_mailbox",
        );
        store
            .conn
            .execute(
                "INSERT INTO reconciliation_reports (id, tenant_id, started_at, checks)
                 VALUES (?1, ?2, 10, '[]')",
                params![crate::store::new_id(), store.tenant],
            )
            .unwrap();
        store
            .conn
            .execute(
                "INSERT INTO quarantined_payloads (id, tenant_id, reason, raw_payload, received_at)
                 VALUES (?1, ?2, 'bad json', ?3, 10)",
                params![crate::store::new_id(), store.tenant, b"{".to_vec()],
            )
            .unwrap();
        let cutoff = crate::domain::time::now_ms() + 86_400_000;
        let purge = |kind, dry_run| store.purge_batch(kind, cutoff, "", 100, dry_run).unwrap();

        let dry = purge(PurgeKind::RawPayloads, true);
        assert_eq!(dry.rows, 2);
        assert_eq!(count(&store, "submissions", "length(raw_payload) > 0"), 2);
        assert_eq!(purge(PurgeKind::RawPayloads, false).rows, 2);
        assert_eq!(count(&store, "submissions", "length(raw_payload) > 0"), 0);
        let raw: Vec<u8> = store
            .conn
            .query_row(
                "SELECT raw_payload FROM submissions WHERE id = ?1",
                [&done.submission],
                |r| r.get(0),
            )
            .unwrap();
        assert!(raw.is_empty());

        assert_eq!(purge(PurgeKind::FinishedJobs, false).rows, 1);
        assert_eq!(count(&store, "jobs", "1 = 1"), 1);
        assert_eq!(count(&store, "job_attempts", "1 = 1"), 1);

        let files = purge(PurgeKind::RejectedDraftFiles, false);
        assert_eq!(files.draft_files, vec![done.draft.clone()]);

        let dry = purge(PurgeKind::Workflows, true);
        assert_eq!((dry.rows, count(&store, "workflows", "1 = 1")), (1, 2));
        let batch = purge(PurgeKind::Workflows, false);
        assert_eq!(batch.rows, 1);
        assert_eq!(batch.draft_files, vec![done.draft.clone()]);
        for table in [
            "workflows",
            "submissions",
            "workflow_steps",
            "drafts",
            "tasks",
        ] {
            assert_eq!(count(&store, table, "1 = 1"), 1, "{table}");
        }
        let left: String = store
            .conn
            .query_row("SELECT id FROM workflows", (), |r| r.get(0))
            .unwrap();
        assert_eq!(left, live.workflow);

        assert_eq!(purge(PurgeKind::ReconcileReports, false).rows, 1);
        assert_eq!(purge(PurgeKind::QuarantinedPayloads, false).rows, 1);
        assert_eq!(count(&store, "reconciliation_reports", "1 = 1"), 0);
        assert_eq!(count(&store, "quarantined_payloads", "1 = 1"), 0);
        let usage = count(&store, "usage", "1 = 1");
        assert!(usage > 0, "accepting the submissions counted usage");
        assert_eq!(purge(PurgeKind::Usage, true).rows, usage as u64);
        assert_eq!(purge(PurgeKind::Usage, false).rows, usage as u64);
        assert_eq!(count(&store, "usage", "1 = 1"), 0);
    }

    #[test]
    fn the_uuid7_floor_sorts_below_every_later_id_and_above_every_earlier_one() {
        let now = crate::domain::time::now_ms();
        let floor = uuid7_floor(now);
        let id = crate::store::new_id();
        assert!(floor.as_str() <= id.as_str(), "{floor} {id}");
        assert!(uuid7_floor(now - 86_400_000).as_str() < floor.as_str());
        assert!(uuid7_floor(now + 86_400_000).as_str() > id.as_str());
    }
}
