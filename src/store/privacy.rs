//! Erasure of one person (by address) from every table of a tenant, the per-tenant subject key
//! behind pseudonymous references, and the remote erasures still to do (`pending_erasures`).
//!
//! An erasure runs in one IMMEDIATE transaction on a connection with `secure_delete = ON`, so the
//! deleted and overwritten cells are zeroed in the pages it writes; the caller then truncates the
//! WAL (`Store::try_truncate_wal`), after which the old page images are gone from the WAL file too. A
//! dry run does the very same work and rolls back, so its counts are exactly what a real run does.
//! On PostgreSQL the same transaction runs (no secure delete exists there); the caller's
//! `try_truncate_wal` then vacuums the tables it searched (`erased_tables`).

use std::collections::BTreeMap;

use super::sql;
use super::sql::{OptionalExtension, Transaction, params};

use super::audit::{AuditEntry, append_audit};
use super::listen::announce_jobs_in;
use super::{Store, new_id};
use crate::domain::privacy::{blank_ci, contains_ci, normalise_address, subject_ref};
use crate::domain::submission::PrivacyDeletion;
use crate::domain::tenant::TenantId;
use crate::error::{Error, Result};

/// A remote service an erasure must also reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteService {
    /// A Gmail draft we created for the person.
    Gmail,
    /// The person's HubSpot contact (GDPR delete).
    Hubspot,
}

impl RemoteService {
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteService::Gmail => "gmail",
            RemoteService::Hubspot => "hubspot",
        }
    }

    fn parse(text: &str) -> Option<RemoteService> {
        match text {
            "gmail" => Some(RemoteService::Gmail),
            "hubspot" => Some(RemoteService::Hubspot),
            _ => None,
        }
    }
}

/// What to erase: addresses, who asks and why, and which remote erasures to record.
#[derive(Clone, Debug)]
pub struct ErasureRequest<'a> {
    pub emails: &'a [String],
    pub actor: &'a str,
    pub reason: &'a str,
    /// Record Gmail draft deletions (the mailbox is Gmail).
    pub gmail: bool,
    /// Record HubSpot GDPR deletes (`privacy.erase_in_crm` with the HubSpot CRM), with contact
    /// ids found remotely in addition to those the store knows, per address.
    pub hubspot: Option<&'a BTreeMap<String, Vec<String>>>,
    pub dry_run: bool,
    pub at: i64,
}

/// Rows one erasure touched in one table: deleted, or kept with the address blanked out.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TableCount {
    pub table: &'static str,
    pub deleted: u64,
    pub blanked: u64,
}

/// What erasing one address did (or, in a dry run, would do).
#[derive(Clone, Debug, serde::Serialize)]
pub struct SubjectErasure {
    pub email: String,
    pub subject_ref: String,
    pub tables: Vec<TableCount>,
    /// Mail files (named by draft id) to delete and to blank, for the caller to handle.
    #[serde(skip)]
    pub files_to_delete: Vec<String>,
    #[serde(skip)]
    pub files_to_blank: Vec<String>,
    /// Remote erasures recorded in `pending_erasures`.
    pub remote: Vec<PendingErasure>,
    /// Audit rows written before pseudonymous references that still hold the address (kept:
    /// the audit log is append-only).
    pub audit_rows_in_clear: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PendingErasure {
    pub id: String,
    pub subject_ref: String,
    pub service: RemoteService,
    pub remote_id: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// The tables searched, each with the text or blob columns an address can hide in and the SQL
/// predicate that keeps the search inside the tenant (`?1`).
const SEARCHED: &[(&str, &[&str], &str)] = &[
    (
        "submissions",
        &[
            "raw_payload",
            "email",
            "first_name",
            "last_name",
            "company",
            "job_title",
            "phone",
            "message",
            "page_url",
            "custom_fields",
        ],
        "tenant_id = ?1",
    ),
    ("workflows", &["email", "last_error"], "tenant_id = ?1"),
    (
        "workflow_steps",
        &["input", "output", "error", "remote_id"],
        "workflow_id IN (SELECT id FROM workflows WHERE tenant_id = ?1)",
    ),
    (
        "drafts",
        &[
            "recipient",
            "subject",
            "body",
            "review_note",
            "route_reason",
            "fallback_reason",
        ],
        "tenant_id = ?1",
    ),
    ("tasks", &["subject"], "tenant_id = ?1"),
    ("jobs", &["payload", "last_error"], "tenant_id = ?1"),
    (
        "job_attempts",
        &["error"],
        "job_id IN (SELECT id FROM jobs WHERE tenant_id = ?1)",
    ),
    (
        "dead_letters",
        &["payload", "error", "attempt_history"],
        "tenant_id = ?1",
    ),
    (
        "quarantined_payloads",
        &["raw_payload", "reason"],
        "tenant_id = ?1",
    ),
    (
        "crm_contacts",
        &[
            "email",
            "first_name",
            "last_name",
            "company",
            "job_title",
            "phone",
        ],
        "tenant_id = ?1",
    ),
    ("crm_tasks", &["subject", "body"], "tenant_id = ?1"),
    (
        "reconciliation_reports",
        &["findings", "fixes"],
        "tenant_id = ?1",
    ),
    (
        "eval_items",
        &[
            "recipient",
            "original_subject",
            "original_body",
            "final_subject",
            "final_body",
            "review_note",
            "candidate_subject",
            "candidate_body",
            "guard_violations",
            "error",
        ],
        "tenant_id = ?1",
    ),
    ("eval_runs", &["selection", "candidate"], "tenant_id = ?1"),
    (
        "import_row_errors",
        &["message", "raw_row"],
        "import_job_id IN (SELECT id FROM import_jobs WHERE tenant_id = ?1)",
    ),
    ("suppressions", &["value", "reason"], "tenant_id = ?1"),
];

/// Every table an erasure deletes from or blanks in (what PostgreSQL vacuums after one): the
/// searched ones, which include every table it deletes from.
pub(super) fn erased_tables() -> impl Iterator<Item = &'static str> {
    SEARCHED.iter().map(|&(table, _, _)| table)
}

/// Queues a `privacy_erase` job unless one for the same event is live. The live-state condition
/// is spelled as `jobs_unique`'s (V16), so the lookup is that index's: SQLite uses a partial
/// index only for a query whose condition names its terms.
pub(super) const QUEUE_ERASURE: &str =
    "INSERT INTO jobs (id, tenant_id, queue, kind, payload, state, run_at, unique_key,
         created_at, updated_at)
     SELECT ?1, ?2, 'priority', 'privacy_erase', ?3, 'available', ?4, ?5, ?4, ?4
     WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE tenant_id = ?2 AND unique_key = ?5
                       AND state <> 'completed' AND state <> 'dead' AND state <> 'cancelled')";

impl Store {
    /// The tenant's subject key: created (32 random bytes from the OS) the first time it is
    /// needed, then never changed.
    pub(super) fn subject_key_in(&self, tx: &Transaction<'_>, at: i64) -> Result<Vec<u8>> {
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key)
            .map_err(|e| Error::Internal(format!("the OS random source failed: {e}")))?;
        tx.execute(
            "INSERT INTO privacy_keys (tenant_id, subject_key, created_at)
             VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![self.tenant, key, at],
        )?;
        Ok(tx.query_row(
            "SELECT subject_key FROM privacy_keys WHERE tenant_id = ?1",
            [&self.tenant],
            |r| r.get(0),
        )?)
    }

    /// The tenant's key if one was ever created (reading never creates one). Kept by the
    /// connection once found, since it never changes: a worker's run reads it once, not once
    /// per workflow (the suppression check's keyed reference).
    pub(super) fn existing_subject_key(&self) -> Result<Option<Vec<u8>>> {
        if let Some(key) = self.subject_key.get() {
            return Ok(Some(key.clone()));
        }
        let key: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT subject_key FROM privacy_keys WHERE tenant_id = ?1")?
            .query_row([&self.tenant], |r| r.get(0))
            .optional()?;
        if let Some(key) = &key {
            let _ = self.subject_key.set(key.clone());
        }
        Ok(key)
    }

    /// The pseudonymous reference of an address in this tenant (creating the key if needed).
    pub fn subject_ref(&self, email: &str) -> Result<String> {
        if let Some(key) = self.existing_subject_key()? {
            return Ok(subject_ref(&key, email));
        }
        let tx = self.write_tx()?;
        let key = self.subject_key_in(&tx, crate::domain::time::now_ms())?;
        tx.commit()?;
        Ok(subject_ref(&key, email))
    }

    /// Erases every address of `req` from this tenant's tables, suppresses each as its keyed
    /// hash, records the remote erasures and appends one `privacy.erase` audit entry per address,
    /// in one transaction (rolled back for a dry run). Refused while a workflow of the person
    /// runs (its worker could write the address back after we erased it).
    pub fn erase_subjects(&self, req: &ErasureRequest<'_>) -> Result<Vec<SubjectErasure>> {
        // The key commits on its own, so a dry run shows the reference the real run will use.
        self.subject_ref("")?;
        // SQLite zeroes what it deletes only with secure_delete; PostgreSQL's dead row versions
        // go at its next VACUUM (runbooks: erasure on PostgreSQL).
        if let Some(conn) = self.conn.as_sqlite() {
            conn.execute_batch("PRAGMA secure_delete = ON")?;
        }
        let result = self.erase_in_one_tx(req);
        if let Some(conn) = self.conn.as_sqlite() {
            conn.execute_batch("PRAGMA secure_delete = FAST")?;
        }
        result
    }

    fn erase_in_one_tx(&self, req: &ErasureRequest<'_>) -> Result<Vec<SubjectErasure>> {
        let tx = self.write_tx()?;
        let key = self.subject_key_in(&tx, req.at)?;
        let mut out = Vec::new();
        for email in req.emails {
            let email = normalise_address(email);
            let reference = subject_ref(&key, &email);
            let no_ids = Vec::new();
            let remote_ids = req
                .hubspot
                .map(|found| found.get(&email).unwrap_or(&no_ids));
            let erasure = self.erase_one(&tx, req, &email, &reference, remote_ids)?;
            out.push(erasure);
        }
        if req.dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
        }
        Ok(out)
    }

    fn erase_one(
        &self,
        tx: &Transaction<'_>,
        req: &ErasureRequest<'_>,
        email: &str,
        reference: &str,
        hubspot_ids: Option<&Vec<String>>,
    ) -> Result<SubjectErasure> {
        mark_person_workflows(tx, &self.tenant, email)?;
        let running: Option<String> = tx
            .query_row(
                "SELECT workflow_id FROM jobs WHERE tenant_id = ?1 AND state = 'running'
                 AND workflow_id IN (SELECT id FROM erase_workflows) LIMIT 1",
                [&self.tenant],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(wf) = running {
            return Err(Error::Refused(format!(
                "workflow {wf} of this person is running right now; nothing was erased\nhint: run \
                 the same command again in a minute, once its job has finished"
            )));
        }
        let files_to_delete = person_draft_files(tx, &self.tenant)?;
        let mut remote = Vec::new();
        if req.gmail {
            for id in person_gmail_drafts(tx, &self.tenant)? {
                remote.push((RemoteService::Gmail, id));
            }
        }
        if let Some(found) = hubspot_ids {
            let mut ids = person_hubspot_contacts(tx, &self.tenant)?;
            ids.extend(found.iter().cloned());
            ids.sort();
            ids.dedup();
            for id in ids {
                remote.push((RemoteService::Hubspot, id));
            }
        }
        let mut counts: BTreeMap<&'static str, TableCount> = BTreeMap::new();
        for (table, deleted) in delete_person_rows(tx, &self.tenant, email)? {
            counts
                .entry(table)
                .or_insert(TableCount {
                    table,
                    deleted: 0,
                    blanked: 0,
                })
                .deleted += deleted;
        }
        let mut files_to_blank = Vec::new();
        for &(table, columns, scope) in SEARCHED {
            let blanked = blank_in_table(tx, &self.tenant, table, columns, scope, email)?;
            if table == "drafts" {
                files_to_blank.extend(blanked.iter().cloned());
            }
            if !blanked.is_empty() {
                counts
                    .entry(table)
                    .or_insert(TableCount {
                        table,
                        deleted: 0,
                        blanked: 0,
                    })
                    .blanked += blanked.len() as u64;
            }
        }
        let audit_rows_in_clear = count_audit_in_clear(tx, &self.tenant, email)?;
        let mut pending = Vec::new();
        for (service, remote_id) in remote {
            pending.push(record_pending(
                tx,
                &self.tenant,
                reference,
                service,
                &remote_id,
                req.at,
            )?);
        }
        let tables: Vec<TableCount> = counts.into_values().collect();
        tx.execute(
            "INSERT INTO suppressions (tenant_id, value, reason, created_by, created_at)
             VALUES (?1, ?2, 'erased on request', ?3, ?4) ON CONFLICT DO NOTHING",
            params![self.tenant, reference, req.actor, req.at],
        )?;
        let mut entry = AuditEntry::new(req.actor, "privacy.erase", req.at);
        entry.subject = Some(reference.to_string());
        entry.reason = Some(req.reason.to_string());
        entry.after = Some(
            serde_json::json!({
                "tables": tables,
                "files": files_to_delete.len(),
                "remote": pending.iter().map(|p| serde_json::json!({
                    "service": p.service, "remote_id": p.remote_id,
                })).collect::<Vec<_>>(),
            })
            .to_string(),
        );
        append_audit(tx, &self.tenant, &entry)?;
        tx.execute("DELETE FROM erase_workflows", ())?;
        Ok(SubjectErasure {
            email: email.to_string(),
            subject_ref: reference.to_string(),
            tables,
            files_to_delete,
            files_to_blank,
            remote: pending,
            audit_rows_in_clear,
        })
    }

    /// Remote erasures not yet confirmed, oldest first.
    pub fn pending_erasures(&self) -> Result<Vec<PendingErasure>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, subject_ref, service, remote_id, attempts, last_error
             FROM pending_erasures WHERE tenant_id = ?1 AND done_at IS NULL
             ORDER BY created_at, id",
        )?;
        let rows = stmt
            .query_map([&self.tenant], pending_from_row)?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records the outcome of one remote erasure attempt: done, or the error for the next retry.
    pub fn finish_pending_erasure(
        &self,
        id: &str,
        outcome: std::result::Result<(), &str>,
        at: i64,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let changed = match outcome {
            Ok(()) => tx.execute(
                "UPDATE pending_erasures SET attempts = attempts + 1, last_error = NULL,
                     updated_at = ?1, done_at = ?1
                 WHERE id = ?2 AND tenant_id = ?3 AND done_at IS NULL",
                params![at, id, self.tenant],
            )?,
            Err(error) => tx.execute(
                "UPDATE pending_erasures SET attempts = attempts + 1, last_error = ?1,
                     updated_at = ?2
                 WHERE id = ?3 AND tenant_id = ?4 AND done_at IS NULL",
                params![crate::domain::lead::mask_emails(error), at, id, self.tenant],
            )?,
        };
        if changed == 0 {
            return Err(Error::NotFound(format!(
                "pending erasure {id} is not open (done already, or another tenant's)"
            )));
        }
        tx.commit()?;
        Ok(())
    }

    /// Queues one `privacy_erase` job per HubSpot `contact.privacyDeletion` event (priority
    /// queue, payload: the contact id only); a redelivery while the job is live queues nothing
    /// (one after it finished erases again, which finds nothing). Returns how
    /// many were queued.
    /// Each event goes to its own tenant (the intake writer serves every tenant).
    pub fn enqueue_privacy_deletions(
        &self,
        events: &[(TenantId, PrivacyDeletion)],
        at: i64,
    ) -> Result<usize> {
        let tx = self.write_tx()?;
        let mut queued = 0;
        for (tenant, event) in events {
            let payload = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
            queued += tx.execute(
                QUEUE_ERASURE,
                params![
                    new_id(),
                    tenant,
                    payload,
                    at,
                    format!("privacy:{}:{}", event.contact_id, event.occurred_at)
                ],
            )?;
        }
        if queued > 0 {
            announce_jobs_in(&tx)?;
        }
        tx.commit()?;
        Ok(queued)
    }

    /// Addresses this tenant's store associates with a CRM contact id (a HubSpot
    /// `contact.privacyDeletion` event names only the id).
    pub fn addresses_of_contact(&self, contact_id: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT lower(email) FROM submissions
             WHERE tenant_id = ?1 AND contact_object_id = ?2 AND email IS NOT NULL
             UNION
             SELECT lower(w.email) FROM workflow_steps s JOIN workflows w ON w.id = s.workflow_id
             WHERE w.tenant_id = ?1 AND s.name = 'contact' AND s.remote_id = ?2
                 AND w.email IS NOT NULL",
        )?;
        let rows = stmt
            .query_map(params![self.tenant, contact_id], |r| r.get(0))?
            .collect::<sql::Result<Vec<String>>>()?;
        Ok(rows)
    }

    /// Blanks what a suppressed submission of an erased person holds (its lead, raw payload, the
    /// step inputs and outputs so far), keeping the ids and the suppression match.
    pub(super) fn forget_submission_in(
        &self,
        tx: &Transaction<'_>,
        submission_id: &str,
        workflow_id: &str,
    ) -> Result<()> {
        tx.execute(
            "UPDATE submissions SET email = NULL, first_name = NULL, last_name = NULL,
                 company = NULL, job_title = NULL, phone = NULL, message = NULL, page_url = NULL,
                 custom_fields = '{}', raw_payload = ?3, dedupe_key = 'erased:' || id
             WHERE id = ?1 AND tenant_id = ?2",
            params![submission_id, self.tenant, Vec::<u8>::new()],
        )?;
        tx.execute(
            "UPDATE workflows SET email = NULL WHERE id = ?1 AND tenant_id = ?2",
            params![workflow_id, self.tenant],
        )?;
        tx.execute(
            "UPDATE workflow_steps SET input = NULL, output = '{\"erased\":true}'
             WHERE workflow_id IN (SELECT id FROM workflows WHERE id = ?1 AND tenant_id = ?2)
                 AND name <> 'suppression' AND status <> 'skipped'",
            params![workflow_id, self.tenant],
        )?;
        Ok(())
    }
}

fn pending_from_row(r: &sql::Row<'_>) -> sql::Result<PendingErasure> {
    let service: String = r.get(2)?;
    Ok(PendingErasure {
        id: r.get(0)?,
        subject_ref: r.get(1)?,
        service: RemoteService::parse(&service).ok_or_else(|| {
            sql::Error::FromSqlConversionFailure(
                2,
                format!("unknown erasure service {service:?}").into(),
            )
        })?,
        remote_id: r.get(3)?,
        attempts: r.get(4)?,
        last_error: r.get(5)?,
    })
}

/// Fills `erase_workflows` with the person's workflows: those of their submissions, and
/// those whose draft went to them (events resolved through the CRM).
fn mark_person_workflows(tx: &Transaction<'_>, tenant: &str, email: &str) -> Result<()> {
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS erase_workflows (id TEXT PRIMARY KEY);
         DELETE FROM erase_workflows;",
    )?;
    tx.execute(
        "INSERT INTO erase_workflows (id)
         SELECT w.id FROM workflows w JOIN submissions s ON s.id = w.submission_id
         WHERE w.tenant_id = ?1 AND (lower(w.email) = ?2 OR lower(s.email) = ?2)
         UNION
         SELECT workflow_id FROM drafts WHERE tenant_id = ?1 AND lower(recipient) = ?2
         ON CONFLICT DO NOTHING",
        params![tenant, email],
    )?;
    Ok(())
}

/// The one text column every row of `sql` selects.
fn strings(tx: &Transaction<'_>, tenant: &str, sql: &str) -> Result<Vec<String>> {
    let rows = tx
        .prepare(sql)?
        .query_map([tenant], |r| r.get(0))?
        .collect::<sql::Result<Vec<String>>>()?;
    Ok(rows)
}

/// The mail files of the person's drafts (named by the local mailbox's draft id).
fn person_draft_files(tx: &Transaction<'_>, tenant: &str) -> Result<Vec<String>> {
    strings(
        tx,
        tenant,
        "SELECT DISTINCT COALESCE(remote_draft_id, id) FROM drafts
         WHERE tenant_id = ?1 AND workflow_id IN (SELECT id FROM erase_workflows)
             AND mailbox = 'local_mailbox'
         UNION SELECT id FROM drafts
         WHERE tenant_id = ?1 AND workflow_id IN (SELECT id FROM erase_workflows)",
    )
}

/// Gmail drafts we created for the person that Gmail may still hold (not sent, not superseded).
fn person_gmail_drafts(tx: &Transaction<'_>, tenant: &str) -> Result<Vec<String>> {
    strings(
        tx,
        tenant,
        "SELECT DISTINCT remote_draft_id FROM drafts
         WHERE tenant_id = ?1 AND workflow_id IN (SELECT id FROM erase_workflows) AND mailbox = 'gmail'
             AND remote_draft_id IS NOT NULL AND status NOT IN ('sent', 'superseded')",
    )
}

/// HubSpot contact ids the person's workflows used or named.
fn person_hubspot_contacts(tx: &Transaction<'_>, tenant: &str) -> Result<Vec<String>> {
    let crm = tx.dialect().json_text_field("output", "crm");
    strings(
        tx,
        tenant,
        &format!(
            "SELECT remote_id FROM workflow_steps
         WHERE workflow_id IN (SELECT id FROM workflows WHERE tenant_id = ?1
                               AND id IN (SELECT id FROM erase_workflows))
             AND name = 'contact'
             AND remote_id IS NOT NULL AND {crm} = 'hubspot'
         UNION
         SELECT s.contact_object_id FROM submissions s JOIN workflows w ON w.submission_id = s.id
         WHERE w.tenant_id = ?1 AND w.id IN (SELECT id FROM erase_workflows)
             AND s.contact_object_id IS NOT NULL"
        ),
    )
}

/// Deletes the records that are the person's own: their workflows with everything hanging off
/// them, their submissions, CRM contact and its tasks, eval items, import row errors, their
/// plain suppression entry (the keyed one replaces it). Returns (table, rows deleted).
fn delete_person_rows(
    tx: &Transaction<'_>,
    tenant: &str,
    email: &str,
) -> Result<Vec<(&'static str, u64)>> {
    // Every statement below reaches rows through the tenant's workflows (?1).
    const WF: &str =
        "SELECT id FROM workflows WHERE tenant_id = ?1 AND id IN (SELECT id FROM erase_workflows)";
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS erase_submissions (id TEXT PRIMARY KEY);
         DELETE FROM erase_submissions;",
    )?;
    // The submissions, remembered before their workflows go.
    tx.execute(
        &format!(
            "INSERT INTO erase_submissions
             SELECT submission_id FROM workflows WHERE id IN ({WF})
             UNION SELECT id FROM submissions WHERE tenant_id = ?1 AND lower(email) = ?2
             ON CONFLICT DO NOTHING"
        ),
        params![tenant, email],
    )?;
    let jobs = format!("SELECT id FROM jobs WHERE tenant_id = ?1 AND workflow_id IN ({WF})");
    let contacts = "SELECT id FROM crm_contacts WHERE tenant_id = ?1 AND lower(email) = ?2";
    // (table, statement): each takes the tenant as ?1 (and the address as ?2 when it names it).
    let statements: Vec<(&'static str, String)> = vec![
        (
            "eval_items",
            format!(
                "DELETE FROM eval_items WHERE tenant_id = ?1 AND (workflow_id IN ({WF}) OR lower(recipient) = ?2)"
            ),
        ),
        (
            "dead_letters",
            format!(
                "DELETE FROM dead_letters WHERE tenant_id = ?1 AND (workflow_id IN ({WF}) OR job_id IN ({jobs}))"
            ),
        ),
        (
            "job_attempts",
            format!(
                "DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM jobs WHERE tenant_id = ?1 AND workflow_id IN ({WF}))"
            ),
        ),
        (
            "jobs",
            format!("DELETE FROM jobs WHERE tenant_id = ?1 AND workflow_id IN ({WF})"),
        ),
        (
            "workflow_steps",
            format!(
                "DELETE FROM workflow_steps WHERE workflow_id IN (SELECT id FROM workflows WHERE tenant_id = ?1 AND id IN ({WF}))"
            ),
        ),
        (
            "drafts",
            format!("DELETE FROM drafts WHERE tenant_id = ?1 AND workflow_id IN ({WF})"),
        ),
        (
            "tasks",
            format!("DELETE FROM tasks WHERE tenant_id = ?1 AND workflow_id IN ({WF})"),
        ),
        (
            "workflows",
            format!("DELETE FROM workflows WHERE tenant_id = ?1 AND id IN ({WF})"),
        ),
        (
            "submissions",
            "DELETE FROM submissions WHERE tenant_id = ?1
             AND id IN (SELECT id FROM erase_submissions)
             AND id NOT IN (SELECT submission_id FROM workflows WHERE tenant_id = ?1)"
                .to_string(),
        ),
        (
            "crm_tasks",
            format!("DELETE FROM crm_tasks WHERE tenant_id = ?1 AND contact_id IN ({contacts})"),
        ),
        (
            "crm_contacts",
            format!("DELETE FROM crm_contacts WHERE tenant_id = ?1 AND id IN ({contacts})"),
        ),
        (
            "suppressions",
            "DELETE FROM suppressions WHERE tenant_id = ?1 AND lower(value) = ?2".to_string(),
        ),
    ];
    let mut out = Vec::new();
    for (table, sql) in statements {
        let n = if sql.contains("?2") {
            tx.execute(&sql, params![tenant, email])?
        } else {
            tx.execute(&sql, [tenant])?
        };
        if n > 0 {
            out.push((table, n as u64));
        }
    }
    // A rejected import row is the person's own record: it goes whole.
    let rejected: Vec<(i64, String)> = tx
        .prepare(&format!(
            "SELECT rowid, raw_row || ' ' || message FROM import_row_errors
             WHERE import_job_id IN (SELECT id FROM import_jobs WHERE tenant_id = ?1)
                 AND {}",
            tx.dialect()
                .contains("lower(raw_row || ' ' || message)", "?2")
        ))?
        .query_map(params![tenant, email], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<sql::Result<_>>()?;
    let mut n = 0;
    for (rowid, text) in rejected {
        if contains_ci(text.as_bytes(), email.as_bytes()) {
            n += tx.execute(
                "DELETE FROM import_row_errors WHERE rowid = ?1
                 AND import_job_id IN (SELECT id FROM import_jobs WHERE tenant_id = ?2)",
                params![rowid, tenant],
            )? as u64;
        }
    }
    if n > 0 {
        out.push(("import_row_errors", n));
    }
    Ok(out)
}

/// Tables with no `id` column: their rows are addressed by `rowid` (SQLite's implicit one, an
/// identity column of that name on PostgreSQL).
const WITHOUT_ID: &[&str] = &[
    "job_attempts",
    "import_row_errors",
    "suppressions",
    "eval_items",
];

/// The column a row of `table` is addressed by.
fn row_key(table: &str) -> &'static str {
    if WITHOUT_ID.contains(&table) {
        "rowid"
    } else {
        "id"
    }
}

/// Columns declared BLOB (BYTEA on PostgreSQL); every other searched column is text.
const BLOB_COLUMNS: &[(&str, &str)] = &[
    ("submissions", "raw_payload"),
    ("quarantined_payloads", "raw_payload"),
];

/// The select of `blank_in_table`: (row key, the column's bytes, `blob` or `text`) of the rows in
/// scope whose column holds `?2` in any case. SQLite reads each value's own type (a BLOB column
/// may hold text); PostgreSQL's columns have one type, and a blob is searched through its
/// `escape` encoding (ASCII as itself, lower-cased like SQLite's `lower`).
fn search_column(dialect: sql::Dialect, table: &str, column: &str, scope: &str) -> String {
    let key = row_key(table);
    match dialect {
        sql::Dialect::Sqlite => format!(
            "SELECT {key}, CAST({column} AS BLOB), typeof({column}) FROM {table}
             WHERE ({scope}) AND instr(lower(CAST({column} AS TEXT)), ?2) > 0"
        ),
        sql::Dialect::Postgres if BLOB_COLUMNS.contains(&(table, column)) => format!(
            "SELECT {key}, {column}, 'blob' FROM {table}
             WHERE ({scope}) AND strpos(lower(encode({column}, 'escape')),
                                        lower(encode(convert_to(?2, 'UTF8'), 'escape'))) > 0"
        ),
        sql::Dialect::Postgres => format!(
            "SELECT {key}, convert_to({column}, 'UTF8'), 'text' FROM {table}
             WHERE ({scope}) AND strpos(lower({column}), ?2) > 0"
        ),
    }
}

/// Blanks the address out of every column of `table` (in the tenant) that still holds it, in
/// any case. Returns the keys (`id`, or rowid, as text) of the rows changed.
fn blank_in_table(
    tx: &Transaction<'_>,
    tenant: &str,
    table: &str,
    columns: &[&str],
    scope: &str,
    email: &str,
) -> Result<Vec<String>> {
    let key = row_key(table);
    let mut changed = Vec::new();
    for column in columns {
        let select = search_column(tx.dialect(), table, column, scope);
        let rows: Vec<(sql::Value, Vec<u8>, String)> = tx
            .prepare(&select)?
            .query_map(params![tenant, email], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<sql::Result<_>>()?;
        // The scope (the tenant, ?1) again: a CRM id is unique only within its tenant.
        let update = format!("UPDATE {table} SET {column} = ?3 WHERE {key} = ?2 AND ({scope})");
        for (row, bytes, kind) in rows {
            if !contains_ci(&bytes, email.as_bytes()) {
                continue;
            }
            let (blanked, _) = blank_ci(&bytes, email.as_bytes());
            if kind == "blob" {
                tx.execute(&update, params![tenant, row, blanked])?;
            } else {
                let text = String::from_utf8_lossy(&blanked).into_owned();
                tx.execute(&update, params![tenant, row, text])?;
            }
            let id = match row {
                sql::Value::Integer(i) => i.to_string(),
                sql::Value::Text(t) => t,
                other => format!("{other:?}"),
            };
            if !changed.contains(&id) {
                changed.push(id);
            }
        }
    }
    Ok(changed)
}

/// Audit rows from before pseudonymous references that name the address.
fn count_audit_in_clear(tx: &Transaction<'_>, tenant: &str, email: &str) -> Result<u64> {
    let found = ["subject", "reason", "before", "after"]
        .map(|column| tx.dialect().contains(&format!("lower({column})"), "?2"))
        .join(" OR ");
    let n: i64 = tx.query_row(
        &format!("SELECT COUNT(*) FROM audit_log WHERE tenant_id = ?1 AND ({found})"),
        params![tenant, email],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

fn record_pending(
    tx: &Transaction<'_>,
    tenant: &str,
    reference: &str,
    service: RemoteService,
    remote_id: &str,
    at: i64,
) -> Result<PendingErasure> {
    let id = new_id();
    tx.execute(
        "INSERT INTO pending_erasures (id, tenant_id, subject_ref, service, remote_id, created_at,
             updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (tenant_id, service, remote_id) DO UPDATE SET done_at = NULL, updated_at = ?6",
        params![id, tenant, reference, service.as_str(), remote_id, at],
    )?;
    Ok(tx.query_row(
        "SELECT id, subject_ref, service, remote_id, attempts, last_error FROM pending_erasures
         WHERE tenant_id = ?1 AND service = ?2 AND remote_id = ?3",
        params![tenant, service.as_str(), remote_id],
        pending_from_row,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ops_fixtures::{count, workflow};

    const DANA: &str = "dana@example.com";

    fn request<'a>(emails: &'a [String], dry_run: bool) -> ErasureRequest<'a> {
        ErasureRequest {
            emails,
            actor: "op",
            reason: "asked",
            gmail: true,
            hubspot: None,
            dry_run,
            at: 5000,
        }
    }

    fn exec(store: &Store, sql: &str, values: &[&dyn sql::ToSql]) {
        store.conn.execute(sql, values).unwrap();
    }

    /// A CRM contact `id` of `tenant` with `email` and `job_title`.
    fn contact(store: &Store, tenant: &str, id: i64, email: &str, job_title: &str) {
        exec(
            store,
            "INSERT INTO crm_contacts (id, tenant_id, email, job_title, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 1, 1)",
            params![id, tenant, email, job_title],
        );
    }

    /// Dana's rows everywhere a person can be found, beside Olaf's that only mention her, and
    /// another tenant's rows with the very same ids and text.
    fn people(store: &Store) -> (crate::store::ops_fixtures::Made, String) {
        let dana = workflow(store, DANA, "completed", "completed", "sent", "gmail");
        let olaf = workflow(
            store,
            "olaf@example.com",
            "completed",
            "completed",
            "pending_review",
            "local_mailbox",
        );
        exec(
            store,
            "UPDATE drafts SET body = 'Forwarded from Dana@Example.com.' WHERE id = ?1",
            params![olaf.draft],
        );
        exec(
            store,
            "INSERT INTO quarantined_payloads (id, tenant_id, reason, raw_payload, received_at)
             VALUES (?1, 'default', 'bad', ?2, 1)",
            params![new_id(), b"{\"email\":\"DANA@example.com\"\xff}".to_vec()],
        );
        let import = store.create_import("f.csv", "h", "{}", 1).unwrap();
        exec(
            store,
            "INSERT INTO import_row_errors (import_job_id, row_number, message, raw_row)
             VALUES (?1, 2, 'no form', ?2)",
            params![import.id, format!("{DANA},Dana")],
        );
        exec(
            store,
            "INSERT INTO suppressions (tenant_id, value, reason, created_by, created_at)
             VALUES ('default', ?1, 'asked', 'op', 1)",
            params![DANA],
        );
        exec(
            store,
            "INSERT INTO eval_runs (id, tenant_id, candidate_name, candidate, selection, state,
                 total, created_at) VALUES ('r1', 'default', 'c', '{}', '{}', 'running', 2, 1)",
            params![],
        );
        for (seq, recipient, body) in [
            (1, DANA, "x"),
            (2, "olaf@example.com", "cc dana@example.com"),
        ] {
            exec(
                store,
                "INSERT INTO eval_items (run_id, tenant_id, seq, workflow_id, draft_id, recipient,
                     source, original_subject, original_body, decision, final_subject, final_body,
                     candidate_body)
                 VALUES ('r1', 'default', ?1, ?2, 'd', ?3, '{}', 's', 'b', 'approved', 's', 'b', ?4)",
                params![seq, format!("w{seq}"), recipient, body],
            );
        }
        for tenant in ["default", "acme"] {
            contact(store, tenant, 7, DANA, "buyer");
            contact(
                store,
                tenant,
                8,
                "olaf@example.com",
                "assistant to dana@example.com",
            );
        }
        exec(
            store,
            "INSERT INTO crm_tasks (id, tenant_id, contact_id, reference, subject, body, priority,
                 task_type, due_at, created_at)
             VALUES (1, 'default', 7, 'ref', 'Call', 'b', 'HIGH', 'CALL', 1, 1)",
            params![],
        );
        // An audit row from before addresses were masked where the row is written.
        exec(
            store,
            "INSERT INTO audit_log (id, tenant_id, actor, action, reason, created_at)
             VALUES (?1, 'default', 'op', 'draft.edit', ?2, 10)",
            params![new_id(), format!("typo in {DANA}")],
        );
        (dana, olaf.draft)
    }

    #[test]
    fn an_erasure_deletes_the_persons_rows_and_blanks_the_address_elsewhere_in_its_tenant_only() {
        let store = Store::open_in_memory().unwrap();
        let (dana, olaf_draft) = people(&store);
        assert_eq!(store.addresses_of_contact("901").unwrap().len(), 2);
        let emails = [DANA.to_string()];

        let dry = store.erase_subjects(&request(&emails, true)).unwrap();
        assert_eq!(
            count(&store, "submissions", "1 = 1"),
            2,
            "a dry run changes nothing"
        );
        assert_eq!(count(&store, "crm_contacts", "1 = 1"), 4);
        let real = store.erase_subjects(&request(&emails, false)).unwrap();
        assert_eq!(
            dry[0].tables, real[0].tables,
            "a dry run counts what a real one does"
        );

        let counted: BTreeMap<&str, (u64, u64)> = real[0]
            .tables
            .iter()
            .map(|t| (t.table, (t.deleted, t.blanked)))
            .collect();
        for (table, expected) in [
            ("submissions", (1, 0)),
            ("workflows", (1, 0)),
            ("workflow_steps", (1, 0)),
            ("jobs", (1, 0)),
            ("job_attempts", (1, 0)),
            ("drafts", (1, 1)),
            ("tasks", (1, 0)),
            ("quarantined_payloads", (0, 1)),
            ("import_row_errors", (1, 0)),
            ("suppressions", (1, 0)),
            ("eval_items", (1, 1)),
            ("crm_contacts", (1, 1)),
            ("crm_tasks", (1, 0)),
        ] {
            assert_eq!(counted.get(table), Some(&expected), "{table}: {counted:?}");
        }
        assert_eq!(real[0].files_to_delete, vec![dana.draft.clone()]);
        assert_eq!(real[0].files_to_blank, vec![olaf_draft.clone()]);
        assert_eq!(real[0].audit_rows_in_clear, 1);
        assert!(
            real[0].remote.is_empty(),
            "a sent Gmail draft is gone from drafts already"
        );

        let body: String = store
            .conn
            .query_row(
                "SELECT body FROM drafts WHERE id = ?1",
                [&olaf_draft],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!body.to_lowercase().contains(DANA), "{body}");
        let raw: Vec<u8> = store
            .conn
            .query_row("SELECT raw_payload FROM quarantined_payloads", (), |r| {
                r.get(0)
            })
            .unwrap();
        assert!(!contains_ci(&raw, DANA.as_bytes()));
        assert!(
            raw.ends_with(b"\xff}"),
            "the bytes around the address are kept"
        );
        // The other tenant's contacts, with the same ids, are untouched.
        assert_eq!(count(&store, "crm_contacts", "tenant_id = 'acme'"), 2);
        assert_eq!(
            count(
                &store,
                "crm_contacts",
                "tenant_id = 'acme' AND job_title = 'assistant to dana@example.com'"
            ),
            1
        );
        assert_eq!(
            count(
                &store,
                "suppressions",
                &format!("value = '{}'", real[0].subject_ref)
            ),
            1
        );
        assert_eq!(store.addresses_of_contact("901").unwrap().len(), 1);
        assert!(
            store.try_truncate_wal().unwrap(),
            "the old bytes are out of the WAL (SQLite) or vacuumed away (PostgreSQL)"
        );
    }

    #[test]
    fn an_erasure_waits_for_a_running_job_and_each_remote_erasure_finishes_once() {
        let store = Store::open_in_memory().unwrap();
        let dana = workflow(&store, DANA, "running", "running", "approved", "gmail");
        let emails = [DANA.to_string()];
        let err = store.erase_subjects(&request(&emails, false)).unwrap_err();
        assert!(matches!(err, Error::Refused(_)), "{err}");
        assert_eq!(count(&store, "submissions", "1 = 1"), 1);

        exec(
            &store,
            "UPDATE jobs SET state = 'completed' WHERE id = ?1",
            params![dana.job],
        );
        let found = BTreeMap::from([(DANA.to_string(), vec!["555".to_string()])]);
        let mut req = request(&emails, false);
        req.hubspot = Some(&found);
        let done = store.erase_subjects(&req).unwrap();
        let services: Vec<(RemoteService, String)> = done[0]
            .remote
            .iter()
            .map(|p| (p.service, p.remote_id.clone()))
            .collect();
        assert_eq!(
            services,
            vec![
                (RemoteService::Gmail, format!("g-{}", dana.draft)),
                (RemoteService::Hubspot, "555".into()),
                (RemoteService::Hubspot, "901".into()),
            ]
        );
        let pending = store.pending_erasures().unwrap();
        assert_eq!(pending.len(), 3);
        store
            .finish_pending_erasure(&pending[0].id, Ok(()), 6000)
            .unwrap();
        let again = store.finish_pending_erasure(&pending[0].id, Ok(()), 6001);
        assert!(matches!(again, Err(Error::NotFound(_))), "{again:?}");
        store
            .finish_pending_erasure(&pending[1].id, Err("429 for dana@example.com"), 6002)
            .unwrap();
        let left = store.pending_erasures().unwrap();
        assert_eq!(left.len(), 2);
        assert_eq!(left[0].attempts, 1);
        assert!(!left[0].last_error.as_deref().unwrap().contains(DANA));

        let event = PrivacyDeletion {
            portal_id: "1".into(),
            contact_id: "901".into(),
            occurred_at: 7,
        };
        let events = [(store.tenant().clone(), event)];
        assert_eq!(store.enqueue_privacy_deletions(&events, 7000).unwrap(), 1);
        assert_eq!(store.enqueue_privacy_deletions(&events, 7001).unwrap(), 0);
    }
}
