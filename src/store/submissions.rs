//! Submissions: accepting them (with their workflow and, for the worker, a job) in one transaction,
//! exact-key dedupe, and the same-person-same-form window.

use super::sql;
use super::sql::{OptionalExtension, Transaction, params};

use super::audit::{AuditEntry, append_audit};
use super::listen::announce_jobs_in;
use super::states::{Metric, WorkflowStatus};
use super::usage::Tally;
use super::{Store, new_id};
use crate::domain::lead::Lead;
use crate::domain::submission::ParsedSubmission;
use crate::domain::tenant::TenantId;
use crate::error::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Webhook,
    Run,
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Run => "run",
            Source::Import => "import",
        }
    }
}

/// A parsed submission plus where it came from, ready to be stored.
#[derive(Clone, Debug)]
pub struct NewSubmission<'a> {
    pub source: Source,
    pub parsed: &'a ParsedSubmission,
    pub raw_payload: &'a [u8],
    /// The v3 signature it came with, kept for inspection. A replay of it is a duplicate by its
    /// dedupe key (the signed body is the same).
    pub signature: Option<&'a str>,
    pub import_job_id: Option<&'a str>,
    pub synthetic: bool,
    /// When set, a job on this queue is enqueued in the same transaction.
    pub queue: Option<&'a str>,
    pub trace_id: Option<&'a str>,
    pub received_at: i64,
}

impl<'a> NewSubmission<'a> {
    /// A submission as `source` received it: unsigned, not synthetic, no import, no trace id and
    /// no job (set `queue` to enqueue one).
    pub fn received(
        source: Source,
        parsed: &'a ParsedSubmission,
        raw_payload: &'a [u8],
        received_at: i64,
    ) -> NewSubmission<'a> {
        NewSubmission {
            source,
            parsed,
            raw_payload,
            signature: None,
            import_job_id: None,
            synthetic: false,
            queue: None,
            trace_id: None,
            received_at,
        }
    }
}

/// One submission of the intake writer's group commit: the tenant intake routed it to, and who
/// to audit it as (an API key; webhooks are not audited per submission).
#[derive(Clone, Debug)]
pub struct Routed<'a> {
    pub tenant: &'a TenantId,
    pub item: NewSubmission<'a>,
    pub audit_actor: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acceptance {
    Accepted {
        submission_id: String,
        workflow_id: String,
        job_id: Option<String>,
    },
    /// Seen before (same dedupe key, which a replayed signed request has too): nothing was created.
    Duplicate {
        submission_id: String,
        workflow_id: Option<String>,
    },
}

#[derive(Clone, Debug)]
pub struct SubmissionRow {
    pub id: String,
    pub source: String,
    pub shape: String,
    pub form_id: Option<String>,
    pub contact_object_id: Option<String>,
    pub lead: Lead,
    pub raw_payload: Vec<u8>,
    pub received_at: i64,
    /// A probe's submission: the pipeline runs it without external side effects.
    pub synthetic: bool,
}

/// The dedupe step's query (see [`Store::find_recent_duplicate`]).
const RECENT_DUPLICATE: &str =
    "SELECT w.id FROM workflows w JOIN submissions s ON s.id = w.submission_id
      WHERE w.tenant_id = ?1 AND w.email = ?2
        AND w.created_at >= ?5 - ?6 AND w.created_at <= ?5
        AND s.tenant_id = ?1 AND s.email = ?2 AND s.form_id IS NOT DISTINCT FROM ?3 AND s.id != ?4
        AND s.received_at >= ?5 - ?6 AND s.received_at <= ?5
        AND (s.received_at < ?5 OR s.id < ?4)
        AND w.status NOT IN ('failed', 'duplicate', 'cancelled', 'suppressed')
      ORDER BY s.received_at LIMIT 1";

impl Store {
    /// Stores each submission with its workflow (and job) atomically: all of them or none.
    pub fn accept_submissions(&self, items: &[NewSubmission<'_>]) -> Result<Vec<Acceptance>> {
        self.accept_each(
            items.len(),
            items.iter().map(|item| (&self.tenant, item, None)),
        )
    }

    /// The intake writer's: each submission under the tenant intake routed it to, all of them in
    /// one transaction (or none). Dedupe and replay keys are per tenant (the unique indexes
    /// include `tenant_id`), and each workflow starts in its own tenant's mode. One with an
    /// audit actor (an `/api/v1` key) is audited (`submission.create`) in the same transaction.
    pub fn accept_routed(&self, items: &[Routed<'_>]) -> Result<Vec<Acceptance>> {
        self.accept_each(
            items.len(),
            items.iter().map(|r| (r.tenant, &r.item, r.audit_actor)),
        )
    }

    /// The transaction is [`sql::Conn::row_locked_tx`]: on PostgreSQL, intake on several hosts
    /// does not queue behind every other write for the global write lock. Nothing it writes
    /// rests on a read made before: dedupe is the unique index on (tenant, dedupe key) with `ON
    /// CONFLICT DO NOTHING` (a second insert of a key waits on the first's index entry and
    /// inserts nothing once that commits, then reads the winner in a statement of its own);
    /// the workflow, job and audit rows have fresh ids; usage counters are `ON CONFLICT DO
    /// UPDATE` increments, written in one order (see `Tally::write_in`). The mode read for each
    /// tenant is a setting, not a check: a workflow accepted while `mode set` commits starts in
    /// the mode before, as if it came a moment earlier, and sending is decided later by the send
    /// claim, under the write lock. Two batches inserting the same two new keys in opposite
    /// orders (concurrent re-sends across hosts) can deadlock; PostgreSQL then aborts one, a
    /// transient error: its requests are answered 503 and re-sent, and nothing is half stored.
    fn accept_each<'i, 'a: 'i>(
        &self,
        len: usize,
        items: impl Iterator<Item = (&'i TenantId, &'i NewSubmission<'a>, Option<&'i str>)>,
    ) -> Result<Vec<Acceptance>> {
        let tx = self.conn.row_locked_tx()?;
        // Each tenant's mode, read once per transaction, and its usage, written once.
        let mut tenants: Vec<(&TenantId, String, Tally)> = Vec::with_capacity(1);
        let mut out = Vec::with_capacity(len);
        for (tenant, item, audit_actor) in items {
            let i = match tenants.iter().position(|(t, _, _)| *t == tenant) {
                Some(i) => i,
                None => {
                    let mode = super::audit::current_mode(&tx, tenant)?;
                    tenants.push((tenant, mode, Tally::default()));
                    tenants.len() - 1
                }
            };
            let (_, mode, tally) = &mut tenants[i];
            let acceptance = accept_in(&tx, tenant, mode, item)?;
            tally_acceptance(tally, item, &acceptance);
            if let (Some(actor), Acceptance::Accepted { workflow_id, .. }) =
                (audit_actor, &acceptance)
            {
                let mut entry = AuditEntry::new(actor, "submission.create", item.received_at);
                entry.subject = Some(workflow_id.clone());
                append_audit(&tx, tenant, &entry)?;
            }
            out.push(acceptance);
        }
        for (tenant, _, tally) in tenants {
            tally.write_in(&tx, tenant)?;
        }
        if out.iter().any(|a| {
            matches!(
                a,
                Acceptance::Accepted {
                    job_id: Some(_),
                    ..
                }
            )
        }) {
            announce_jobs_in(&tx)?;
        }
        tx.commit()?;
        Ok(out)
    }

    /// The submission, if it exists, for a dedupe key: lets callers report duplicates cheaply.
    /// One that a cancelled import never processed does not count (a new import takes its place).
    pub fn find_submission_by_key(
        &self,
        dedupe_key: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        let found = find_existing(&self.conn, &self.tenant, dedupe_key)?;
        if let Some((id, _)) = &found
            && super::imports::unprocessed_cancelled_workflow(&self.conn, &self.tenant, id)?
                .is_some()
        {
            return Ok(None);
        }
        Ok(found)
    }

    /// An earlier live workflow for the same email on the same form within `window_ms`. It is
    /// found through the workflows' email index (a workflow carries its submission's email, and
    /// its `created_at` is the submission's `received_at`): the submissions have no email index
    /// of their own, one B-tree fewer in the intake's commit (V15).
    pub fn find_recent_duplicate(
        &self,
        submission_id: &str,
        email: &str,
        form_id: Option<&str>,
        received_at: i64,
        window_ms: i64,
    ) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached(RECENT_DUPLICATE)?;
        Ok(stmt
            .query_row(
                params![
                    self.tenant,
                    email,
                    form_id,
                    submission_id,
                    received_at,
                    window_ms
                ],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn get_submission(&self, id: &str) -> Result<SubmissionRow> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, source, shape, form_id, contact_object_id, email, first_name, last_name,
                    company, job_title, phone, message, custom_fields, raw_payload, received_at,
                    synthetic
             FROM submissions WHERE id = ?1 AND tenant_id = ?2",
        )?;
        Ok(stmt.query_row(params![id, self.tenant], |r| {
            let custom: String = r.get(12)?;
            Ok(SubmissionRow {
                id: r.get(0)?,
                source: r.get(1)?,
                shape: r.get(2)?,
                form_id: r.get(3)?,
                contact_object_id: r.get(4)?,
                lead: Lead {
                    email: r.get(5)?,
                    first_name: r.get(6)?,
                    last_name: r.get(7)?,
                    company: r.get(8)?,
                    job_title: r.get(9)?,
                    phone: r.get(10)?,
                    message: r.get(11)?,
                    custom: serde_json::from_str(&custom).unwrap_or_default(),
                },
                raw_payload: r.get(13)?,
                received_at: r.get(14)?,
                synthetic: r.get(15)?,
            })
        })?)
    }

    /// The status of a synthetic (probe) workflow; None for any other workflow or none at all.
    pub fn synthetic_workflow_status(&self, workflow_id: &str) -> Result<Option<WorkflowStatus>> {
        Ok(self
            .conn
            .prepare_cached(
                "-- all tenants: a probe's id is a UUIDv7 only that probe has seen, and only
                 -- synthetic workflows answer (a tenant's probe posts to its own URL)
                 SELECT w.status FROM workflows w JOIN submissions s ON s.id = w.submission_id
                 WHERE w.id = ?1 AND s.synthetic = 1",
            )?
            .query_row(params![workflow_id], |r| r.get(0))
            .optional()?)
    }

    /// Deletes a synthetic workflow and everything it wrote; refuses real ones.
    pub fn purge_synthetic(&self, workflow_id: &str) -> Result<()> {
        let tx = self.write_tx()?;
        let found: Option<(String, String)> = tx
            .query_row(
                "-- all tenants: see synthetic_workflow_status; the deletes below use its tenant
                 SELECT s.id, w.tenant_id FROM submissions s JOIN workflows w ON w.submission_id = s.id
                 WHERE w.id = ?1 AND s.synthetic = 1",
                params![workflow_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((submission_id, tenant)) = found else {
            return Err(crate::error::Error::Refused(format!(
                "workflow {workflow_id} is not synthetic; only probe workflows can be purged"
            )));
        };
        for sql in [
            "DELETE FROM job_attempts
             WHERE job_id IN (SELECT id FROM jobs WHERE workflow_id = ?1 AND tenant_id = ?2)",
            "DELETE FROM dead_letters WHERE workflow_id = ?1 AND tenant_id = ?2",
            "DELETE FROM jobs WHERE workflow_id = ?1 AND tenant_id = ?2",
            "DELETE FROM workflow_steps
             WHERE workflow_id IN (SELECT id FROM workflows WHERE id = ?1 AND tenant_id = ?2)",
            "DELETE FROM drafts WHERE workflow_id = ?1 AND tenant_id = ?2",
            "DELETE FROM tasks WHERE workflow_id = ?1 AND tenant_id = ?2",
            "DELETE FROM workflows WHERE id = ?1 AND tenant_id = ?2",
        ] {
            tx.execute(sql, params![workflow_id, tenant])?;
        }
        tx.execute(
            "DELETE FROM submissions WHERE id = ?1 AND tenant_id = ?2",
            params![submission_id, tenant],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps an authenticated body we could not parse, for an operator to inspect.
    pub fn quarantine(
        &self,
        reason: &str,
        content_type: Option<&str>,
        raw: &[u8],
        at: i64,
    ) -> Result<String> {
        self.quarantine_as(&self.tenant, reason, content_type, raw, at)
    }

    /// The same under `tenant`: a body that came in on that tenant's own URL.
    pub fn quarantine_as(
        &self,
        tenant: &TenantId,
        reason: &str,
        content_type: Option<&str>,
        raw: &[u8],
        at: i64,
    ) -> Result<String> {
        let id = new_id();
        self.conn.execute(
            "INSERT INTO quarantined_payloads (id, tenant_id, reason, content_type, raw_payload, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, tenant, reason, content_type, raw, at],
        )?;
        Ok(id)
    }
}

/// The submission stored under `dedupe_key`. A replayed signed request is found here too: its
/// body is the same, so its dedupe keys are (a signature covers the body; the stored signature is
/// kept for inspection but no longer indexed, issue 16).
fn find_existing(
    conn: &sql::Conn,
    tenant: &str,
    dedupe_key: &str,
) -> Result<Option<(String, Option<String>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, (SELECT w.id FROM workflows w WHERE w.submission_id = s.id LIMIT 1)
         FROM submissions s
         WHERE s.tenant_id = ?1 AND s.dedupe_key = ?2",
    )?;
    Ok(stmt
        .query_row(params![tenant, dedupe_key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Counts what an acceptance was (accepted or duplicate); a probe's synthetic submission is not
/// usage.
pub(super) fn tally_acceptance(
    tally: &mut Tally,
    item: &NewSubmission<'_>,
    acceptance: &Acceptance,
) {
    if item.synthetic {
        return;
    }
    let metric = match acceptance {
        Acceptance::Accepted { .. } => Metric::SubmissionsAccepted,
        Acceptance::Duplicate { .. } => Metric::Duplicates,
    };
    tally.add(item.received_at, metric, 1);
}

/// `accept_in` for each item, counted as usage in the same transaction (one write per batch).
pub(super) fn accept_all_in(
    tx: &Transaction<'_>,
    tenant: &str,
    mode: &str,
    items: &[NewSubmission<'_>],
) -> Result<Vec<Acceptance>> {
    let mut tally = Tally::default();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let acceptance = accept_in(tx, tenant, mode, item)?;
        tally_acceptance(&mut tally, item, &acceptance);
        out.push(acceptance);
    }
    tally.write_in(tx, tenant)?;
    Ok(out)
}

pub(super) fn accept_in(
    tx: &Transaction<'_>,
    tenant: &str,
    mode: &str,
    item: &NewSubmission<'_>,
) -> Result<Acceptance> {
    let p = item.parsed;
    let lead = &p.lead;
    let submission_id = new_id();
    let inserted = tx
        .prepare_cached(
            "INSERT INTO submissions (id, tenant_id, source, shape, portal_id, form_id, external_id,
                 dedupe_key, signature, email, first_name, last_name, company, job_title, phone,
                 message, page_url, contact_object_id, custom_fields, raw_payload, import_job_id,
                 synthetic, submitted_at, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                     ?19, ?20, ?21, ?22, ?23, ?24)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            submission_id,
            tenant,
            item.source.as_str(),
            p.shape.as_str(),
            p.portal_id,
            p.form_id,
            p.external_id,
            p.dedupe_key,
            item.signature,
            lead.email,
            lead.first_name,
            lead.last_name,
            lead.company,
            lead.job_title,
            lead.phone,
            lead.message,
            p.page_url,
            p.contact_object_id,
            serde_json::to_string(&lead.custom).unwrap_or_else(|_| "{}".into()),
            item.raw_payload,
            item.import_job_id,
            item.synthetic,
            p.submitted_at,
            item.received_at,
        ])?;
    if inserted == 0 {
        let (submission_id, workflow_id) =
            find_existing(tx, tenant, &p.dedupe_key)?.unwrap_or_default();
        return Ok(Acceptance::Duplicate {
            submission_id,
            workflow_id,
        });
    }
    let workflow_id = new_id();
    let trace_id = item
        .trace_id
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    tx.prepare_cached(
        "INSERT INTO workflows (id, tenant_id, submission_id, email, status, mode, trace_id,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        workflow_id,
        tenant,
        submission_id,
        lead.email,
        mode,
        trace_id,
        item.received_at
    ])?;
    let job_id = match item.queue {
        Some(queue) => {
            let job_id = new_id();
            tx.prepare_cached(
                "INSERT INTO jobs (id, tenant_id, queue, kind, workflow_id, state, run_at,
                     unique_key, import_job_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'workflow', ?4, 'available', ?5, ?6, ?7, ?5, ?5)",
            )?
            .execute(params![
                job_id,
                tenant,
                queue,
                workflow_id,
                item.received_at,
                format!("workflow:{workflow_id}"),
                item.import_job_id,
            ])?;
            Some(job_id)
        }
        None => None,
    };
    Ok(Acceptance::Accepted {
        submission_id,
        workflow_id,
        job_id,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::enqueue;
    use super::super::{Store, WorkflowStatus};

    fn seed(submission: &str) -> String {
        format!(
            r#"{{"portalId":1,"formId":"f","formSubmissionId":"{submission}","fieldValues":[{{"name":"email","value":"a@example.com"}}]}}"#
        )
    }

    #[test]
    fn an_earlier_submission_of_the_same_email_and_form_is_the_duplicate() {
        let store = Store::open_in_memory().unwrap();
        let (first, _) = enqueue(&store, &seed("S1"));
        let (second, _) = enqueue(&store, &seed("S2"));
        let later = store.get_workflow(&second).unwrap();
        let find = |form: &str| {
            store
                .find_recent_duplicate(
                    &later.submission_id,
                    "a@example.com",
                    Some(form),
                    1000,
                    60_000,
                )
                .unwrap()
        };
        assert_eq!(find("f").as_deref(), Some(first.as_str()));
        // Another form, or a failed earlier workflow, is no duplicate.
        assert_eq!(find("g"), None);
        store
            .conn
            .execute(
                "UPDATE workflows SET status = ?2 WHERE id = ?1",
                (first.as_str(), WorkflowStatus::Failed.as_str()),
            )
            .unwrap();
        assert_eq!(find("f"), None);
    }

    /// Submissions have no email index (V15): the dedupe step finds them through the
    /// workflows' email index, never by scanning.
    #[test]
    fn the_dedupe_lookup_goes_through_the_workflows_email_index() {
        let store = Store::open_in_memory().unwrap();
        let Some(conn) = store.conn.as_sqlite() else {
            return; // The plan is SQLite's; PostgreSQL plans for itself.
        };
        let plan = super::super::test_support::sqlite_plan(
            conn,
            super::RECENT_DUPLICATE,
            rusqlite::params!["default", "a@example.com", "f", "x", 1000, 60_000],
        );
        assert!(plan.contains("USING INDEX workflows_email"), "{plan}");
        assert!(!plan.contains("SCAN"), "{plan}");
    }
}
