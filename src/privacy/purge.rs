//! `purge`: retention for cron. Each kind of record older than its `[retention]` limit goes in
//! small batches (each its own short transaction, a pause between them so intake's writer gets
//! the lock), with the mail files of purged drafts; one `purge.run` audit entry says how many.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::config::RetentionConfig;
use crate::domain::time::now_ms;
use crate::error::{Error, Result};
use crate::store::{AuditEntry, PurgeKind, Store};

const DAY_MS: i64 = 86_400_000;

/// Rows per batch unless `--batch` says otherwise: small enough that a batch commits in a few
/// milliseconds on a loaded machine.
pub const DEFAULT_BATCH: usize = 500;

#[derive(Debug, Serialize)]
pub struct PurgeReport {
    pub tenant: String,
    pub dry_run: bool,
    pub kinds: Vec<KindReport>,
}

#[derive(Debug, Serialize)]
pub struct KindReport {
    pub kind: PurgeKind,
    pub older_than_days: u64,
    /// Rows purged (or, in a dry run, that would be); for `rejected_draft_files`, files.
    pub rows: u64,
    /// Mail files deleted with the rows.
    pub files: u64,
    pub batches: u64,
}

/// The age limit of each kind, in days.
fn days(retention: &RetentionConfig, kind: PurgeKind) -> u64 {
    match kind {
        PurgeKind::RawPayloads => retention.raw_payload_days,
        PurgeKind::FinishedJobs => retention.finished_jobs_days,
        PurgeKind::Workflows => retention.workflows_days,
        PurgeKind::RejectedDraftFiles => retention.rejected_draft_files_days,
        PurgeKind::ReconcileReports => retention.reconcile_reports_days,
        PurgeKind::QuarantinedPayloads => retention.quarantine_days,
        // Months in days only for the report; the cutoff is the same day N months back.
        PurgeKind::Usage => retention.usage_months * 30,
    }
}

pub struct PurgeOptions {
    pub dry_run: bool,
    pub batch: usize,
    /// Pause between batches, so other writers get their turn at the lock.
    pub pause: Duration,
    pub actor: String,
    /// Purge as if the clock read this (epoch ms): to preview a later run with a dry run.
    pub as_of: Option<i64>,
}

/// Purges every kind for the store's tenant with `retention`'s limits.
pub fn run(
    store: &Store,
    retention: &RetentionConfig,
    mail_dir: &Path,
    opts: &PurgeOptions,
) -> Result<PurgeReport> {
    let now = opts.as_of.unwrap_or_else(now_ms);
    let mut kinds = Vec::new();
    for kind in PurgeKind::ALL {
        let older_than_days = days(retention, kind);
        let cutoff = match kind {
            PurgeKind::Usage => months_before(now, retention.usage_months),
            _ => now - older_than_days as i64 * DAY_MS,
        };
        let mut report = KindReport {
            kind,
            older_than_days,
            rows: 0,
            files: 0,
            batches: 0,
        };
        let mut cursor = String::new();
        loop {
            let batch = store.purge_batch(kind, cutoff, &cursor, opts.batch, opts.dry_run)?;
            report.batches += 1;
            let files = remove_files(mail_dir, &batch.draft_files, opts.dry_run)?;
            report.files += files;
            report.rows += if kind == PurgeKind::RejectedDraftFiles {
                files
            } else {
                batch.rows
            };
            match batch.next {
                Some(next) => cursor = next,
                None => break,
            }
            std::thread::sleep(opts.pause);
        }
        kinds.push(report);
    }
    if !opts.dry_run {
        let mut entry = AuditEntry::new(&opts.actor, "purge.run", now_ms());
        entry.subject = Some("retention".into());
        entry.after = Some(
            serde_json::json!(
                kinds
                    .iter()
                    .map(|k| (k.kind.as_str(), k.rows))
                    .collect::<std::collections::BTreeMap<_, _>>()
            )
            .to_string(),
        );
        store.append_audit(&entry)?;
    }
    Ok(PurgeReport {
        tenant: store.tenant().to_string(),
        dry_run: opts.dry_run,
        kinds,
    })
}

/// The same UTC day `months` calendar months before `now` (clamped to the month's end).
fn months_before(now: i64, months: u64) -> i64 {
    let span = jiff::Span::new().months(months as i64);
    jiff::Timestamp::from_millisecond(now)
        .ok()
        .and_then(|t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .checked_sub(span)
                .ok()
        })
        .map_or(now - months as i64 * 31 * DAY_MS, |z| {
            z.timestamp().as_millisecond()
        })
}

/// Where the embedded mailbox may hold a draft's file: `<tenant's mail dir>/<folder>/<id>.eml`.
fn candidate_paths(mail_dir: &Path, id: &str) -> Vec<PathBuf> {
    let name = format!("{id}.eml");
    ["drafts", "rejected", "sent"]
        .iter()
        .map(|folder| mail_dir.join(folder).join(&name))
        .collect()
}

/// Deletes the files of these drafts that exist; returns how many there were.
fn remove_files(mail_dir: &Path, ids: &[String], dry_run: bool) -> Result<u64> {
    let mut n = 0;
    for id in ids {
        for path in candidate_paths(mail_dir, id) {
            if !path.is_file() {
                continue;
            }
            n += 1;
            if !dry_run {
                std::fs::remove_file(&path)
                    .map_err(|e| Error::io(format!("cannot delete {}", path.display()), e))?;
            }
        }
    }
    Ok(n)
}
