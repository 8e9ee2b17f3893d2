//! Submissions: accepting them (with their workflow and, for the worker, a job) in one transaction,
//! exact-key dedupe, and the same-person-same-form window.

use std::collections::HashMap;

use super::sql;
use super::sql::{MultiRow, OptionalExtension, Row, ToSql, Transaction, params};

use super::audit::{AuditEntry, append_audit};
use super::listen::announce_jobs_in;
use super::states::{JobState, Metric, WorkflowStatus};
use super::usage::{Tally, write_tallies_in};
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

/// A submission's columns as [`submission_from_row`] reads them (prefixed `s.` where a query
/// joins it to another table).
pub(super) const SUBMISSION_COLUMNS: &str = "id, source, shape, form_id, contact_object_id, email, \
     first_name, last_name, company, job_title, phone, message, custom_fields, raw_payload, \
     received_at, synthetic";

/// The submission whose [`SUBMISSION_COLUMNS`] start at column `at` of the row.
pub(super) fn submission_from_row(r: &Row<'_>, at: usize) -> sql::Result<SubmissionRow> {
    let custom: String = r.get(at + 12)?;
    Ok(SubmissionRow {
        id: r.get(at)?,
        source: r.get(at + 1)?,
        shape: r.get(at + 2)?,
        form_id: r.get(at + 3)?,
        contact_object_id: r.get(at + 4)?,
        lead: Lead {
            email: r.get(at + 5)?,
            first_name: r.get(at + 6)?,
            last_name: r.get(at + 7)?,
            company: r.get(at + 8)?,
            job_title: r.get(at + 9)?,
            phone: r.get(at + 10)?,
            message: r.get(at + 11)?,
            custom: serde_json::from_str(&custom).unwrap_or_default(),
        },
        raw_payload: r.get(at + 13)?,
        received_at: r.get(at + 14)?,
        synthetic: r.get(at + 15)?,
    })
}

/// What the dedupe step looks for: an earlier submission of the same address and form within
/// the window before this one's, whose workflow did not end as a failure, duplicate,
/// cancellation or suppression (see [`Store::find_recent_duplicate`]).
#[derive(Clone, Copy, Debug)]
pub struct DuplicateQuery<'a> {
    pub submission_id: &'a str,
    pub email: &'a str,
    pub form_id: Option<&'a str>,
    pub received_at: i64,
    pub window_ms: i64,
}

impl DuplicateQuery<'_> {
    /// The values of [`recent_duplicate_sql`]'s placeholders after the tenant's, in order.
    pub(super) fn values(&self) -> [&dyn ToSql; 5] {
        [
            &self.email,
            &self.form_id,
            &self.submission_id,
            &self.received_at,
            &self.window_ms,
        ]
    }
}

/// The dedupe step's query, the tenant bound to `?{tenant}` and [`DuplicateQuery::values`] to
/// `?{first}` onwards: one text for its own statement and for the suppression check's, which
/// reads it too (`Store::suppression_and_duplicate`).
pub(super) fn recent_duplicate_sql(tenant: usize, first: usize) -> String {
    let [t, email, form, id, at, window] =
        [tenant, first, first + 1, first + 2, first + 3, first + 4].map(|n| format!("?{n}"));
    format!(
        "SELECT w.id FROM workflows w JOIN submissions s ON s.id = w.submission_id
          WHERE w.tenant_id = {t} AND w.email = {email}
            AND w.created_at >= {at} - {window} AND w.created_at <= {at}
            AND s.tenant_id = {t} AND s.email = {email}
            AND s.form_id IS NOT DISTINCT FROM {form} AND s.id != {id}
            AND s.received_at >= {at} - {window} AND s.received_at <= {at}
            AND (s.received_at < {at} OR s.id < {id})
            AND w.status NOT IN ('failed', 'duplicate', 'cancelled', 'suppressed')
          ORDER BY s.received_at LIMIT 1"
    )
}

static RECENT_DUPLICATE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| recent_duplicate_sql(1, 2));

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
    /// UPDATE` increments. Both are written in key order (see [`accept_batch_in`] and
    /// `write_tallies_in`), so two batches inserting the same new keys (concurrent re-sends
    /// across hosts) wait for each other rather than deadlock. The mode each workflow starts in
    /// is a setting, not a check: one accepted while `mode set` commits starts in the mode
    /// before, as if it came a moment earlier, and sending is decided later by the send claim,
    /// under the write lock. On PostgreSQL a batch with no audit actor is one statement
    /// instead, its own transaction ([`super::intake_statement`]): the same rows, in the same
    /// order, in one round trip.
    fn accept_each<'i, 'a: 'i>(
        &self,
        len: usize,
        items: impl Iterator<Item = (&'i TenantId, &'i NewSubmission<'a>, Option<&'i str>)>,
    ) -> Result<Vec<Acceptance>> {
        let mut entries = Vec::with_capacity(len);
        let mut actors = Vec::with_capacity(len);
        for (tenant, item, audit_actor) in items {
            entries.push((tenant.as_str(), item));
            actors.push(audit_actor);
        }
        if self.conn.dialect() == sql::Dialect::Postgres && actors.iter().all(Option::is_none) {
            // One statement, its own transaction: a round trip for the batch (an audited
            // batch, from the API, takes the transaction below).
            return super::intake_statement::accept_in_one_statement(&self.conn, &entries);
        }
        let tx = self.conn.row_locked_tx()?;
        let out = accept_batch_in(&tx, &entries)?;
        // Each tenant's usage, written once for the batch.
        let mut tallies: Vec<(&str, Tally)> = Vec::with_capacity(1);
        for ((&(tenant, item), actor), acceptance) in entries.iter().zip(&actors).zip(&out) {
            let i = match tallies.iter().position(|(t, _)| *t == tenant) {
                Some(i) => i,
                None => {
                    tallies.push((tenant, Tally::default()));
                    tallies.len() - 1
                }
            };
            tally_acceptance(&mut tallies[i].1, item, acceptance);
            if let (Some(actor), Acceptance::Accepted { workflow_id, .. }) = (actor, acceptance) {
                let mut entry = AuditEntry::new(actor, "submission.create", item.received_at);
                entry.subject = Some(workflow_id.clone());
                append_audit(&tx, tenant, &entry)?;
            }
        }
        let tallies: Vec<(&str, &Tally)> = tallies.iter().map(|(t, tally)| (*t, tally)).collect();
        write_tallies_in(&tx, &tallies)?;
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
    pub fn find_recent_duplicate(&self, query: &DuplicateQuery<'_>) -> Result<Option<String>> {
        let mut values: Vec<&dyn ToSql> = vec![&self.tenant];
        values.extend(query.values());
        let mut stmt = self.conn.prepare_cached(&RECENT_DUPLICATE)?;
        Ok(stmt.query_row(&values[..], |r| r.get(0)).optional()?)
    }

    pub fn get_submission(&self, id: &str) -> Result<SubmissionRow> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = ?1 AND tenant_id = ?2"
        ))?;
        Ok(stmt.query_row(params![id, self.tenant], |r| submission_from_row(r, 0))?)
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
fn find_existing(conn: &sql::Conn, tenant: &str, dedupe_key: &str) -> Result<Option<Stored>> {
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

/// [`accept_batch_in`] for `tenant`'s items, counted as usage in the same transaction (one
/// write per batch).
pub(super) fn accept_all_in(
    tx: &Transaction<'_>,
    tenant: &str,
    items: &[NewSubmission<'_>],
) -> Result<Vec<Acceptance>> {
    let entries: Vec<(&str, &NewSubmission<'_>)> = items.iter().map(|i| (tenant, i)).collect();
    let out = accept_batch_in(tx, &entries)?;
    let mut tally = Tally::default();
    for (item, acceptance) in items.iter().zip(&out) {
        tally_acceptance(&mut tally, item, acceptance);
    }
    tally.write_in(tx, tenant)?;
    Ok(out)
}

/// Stores each `(tenant, submission)` with its workflow (and job, when it names a queue) in the
/// caller's transaction, or answers it as a duplicate: the answers in the entries' order. A
/// statement per table per chunk of rows ([`MultiRow`]), not per submission: on PostgreSQL each
/// statement is a round trip, so a batch costs a handful of them whatever its size.
///
/// 1. An entry whose (tenant, dedupe key) came earlier in the batch is a re-send of that one:
///    only the first of each key is inserted, and the others are answered as its duplicates.
/// 2. The submissions, in (tenant, dedupe key) order with their ids made here, `ON CONFLICT DO
///    NOTHING RETURNING id`: the ids returned are the ones that went in. In key order, two
///    transactions inserting the same keys wait for each other rather than deadlock.
/// 3. Those that did not go in were stored before: one SELECT finds what they were.
/// 4. The workflows of those that went in, each in its tenant's mode (read by the statement
///    itself, with the default when the tenant has set none), then their jobs.
pub(super) fn accept_batch_in(
    tx: &Transaction<'_>,
    entries: &[(&str, &NewSubmission<'_>)],
) -> Result<Vec<Acceptance>> {
    let (first, mut candidates) = first_of_each_key(entries);
    candidates.sort_by(|a, b| (a.tenant, a.dedupe_key()).cmp(&(b.tenant, b.dedupe_key())));
    let mut inserted = std::collections::HashSet::with_capacity(candidates.len());
    INSERT_SUBMISSIONS.run(tx, &candidates, Candidate::bind_submission, |r| {
        inserted.insert(r.get::<_, String>(0)?);
        Ok(())
    })?;
    let (mut new, stored): (Vec<Candidate<'_, '_>>, Vec<Candidate<'_, '_>>) = candidates
        .into_iter()
        .partition(|c| inserted.contains(&c.submission_id));
    let mut answers: Vec<Option<Acceptance>> = vec![None; entries.len()];
    let keys: Vec<(&str, &str)> = stored.iter().map(|c| (c.tenant, c.dedupe_key())).collect();
    for (candidate, found) in stored.iter().zip(find_stored_in(tx, &keys)?) {
        let (submission_id, workflow_id) = found.unwrap_or_default();
        answers[candidate.entry] = Some(Acceptance::Duplicate {
            submission_id,
            workflow_id,
        });
    }
    // Their workflows and jobs get ids in request order, as the submissions did: a list sorted
    // by creation time and id shows one request's submissions in the order it gave them.
    new.sort_by_key(|c| c.entry);
    // Each tenant's mode, read once for the batch in its transaction (a batch is one or a few
    // tenants), not by a subquery per row.
    let mut modes: Vec<(&str, String)> = Vec::with_capacity(1);
    for c in &new {
        if !modes.iter().any(|(t, _)| *t == c.tenant) {
            modes.push((c.tenant, super::audit::current_mode(tx, c.tenant)?));
        }
    }
    let created: Vec<Created<'_, '_, '_>> = new
        .iter()
        .map(|c| {
            let mode = modes.iter().find(|(t, _)| *t == c.tenant).map(|(_, m)| m);
            Created::new(c, mode.map_or(super::MODE_DRAFT_ONLY, String::as_str))
        })
        .collect();
    insert_all(tx, &INSERT_WORKFLOWS, &created, Created::bind_workflow)?;
    let queued: Vec<&Created<'_, '_, '_>> = created.iter().filter(|c| c.job_id.is_some()).collect();
    insert_all(tx, &INSERT_JOBS, &queued, |c, v| c.bind_job(v))?;
    for c in created {
        answers[c.candidate.entry] = Some(Acceptance::Accepted {
            submission_id: c.candidate.submission_id.clone(),
            workflow_id: c.workflow_id,
            job_id: c.job_id,
        });
    }
    Ok(answer_each(&first, &answers))
}

/// Every entry's answer, in the entries' order, from the answers of the first of each key
/// (`answers[f]` for each `f` in `first`): a later entry of a key is a duplicate of the first,
/// with the ids of the one that went in or of the one stored before.
pub(super) fn answer_each(first: &[usize], answers: &[Option<Acceptance>]) -> Vec<Acceptance> {
    first
        .iter()
        .enumerate()
        .map(|(i, &f)| {
            let answer = answers[f]
                .as_ref()
                .expect("the first of each key is answered");
            match answer {
                Acceptance::Accepted {
                    submission_id,
                    workflow_id,
                    ..
                } if i != f => Acceptance::Duplicate {
                    submission_id: submission_id.clone(),
                    workflow_id: Some(workflow_id.clone()),
                },
                _ => answer.clone(),
            }
        })
        .collect()
}

/// For each entry, the index of the first entry with its (tenant, dedupe key) (its own when it
/// is the first); and the firsts, to be inserted.
pub(super) fn first_of_each_key<'i, 'a>(
    entries: &[(&'i str, &'i NewSubmission<'a>)],
) -> (Vec<usize>, Vec<Candidate<'i, 'a>>) {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::with_capacity(entries.len());
    let mut first = Vec::with_capacity(entries.len());
    let mut candidates = Vec::with_capacity(entries.len());
    for (i, &(tenant, item)) in entries.iter().enumerate() {
        let f = *seen
            .entry((tenant, item.parsed.dedupe_key.as_str()))
            .or_insert(i);
        if f == i {
            candidates.push(Candidate::new(i, tenant, item));
        }
        first.push(f);
    }
    (first, candidates)
}

/// The first submission of its key in a batch, to be inserted under the id made for it.
pub(super) struct Candidate<'i, 'a> {
    pub(super) entry: usize,
    pub(super) tenant: &'i str,
    pub(super) item: &'i NewSubmission<'a>,
    pub(super) submission_id: String,
    pub(super) source: &'static str,
    pub(super) shape: &'static str,
    pub(super) custom_fields: String,
}

impl<'i, 'a> Candidate<'i, 'a> {
    fn new(entry: usize, tenant: &'i str, item: &'i NewSubmission<'a>) -> Candidate<'i, 'a> {
        Candidate {
            entry,
            tenant,
            item,
            submission_id: new_id(),
            source: item.source.as_str(),
            shape: item.parsed.shape.as_str(),
            custom_fields: serde_json::to_string(&item.parsed.lead.custom)
                .unwrap_or_else(|_| "{}".into()),
        }
    }

    pub(super) fn dedupe_key(&self) -> &str {
        &self.item.parsed.dedupe_key
    }

    fn bind_submission<'v>(&'v self, v: &mut Vec<&'v dyn ToSql>) {
        let (item, p) = (self.item, self.item.parsed);
        let lead = &p.lead;
        v.extend([
            &self.submission_id as &dyn ToSql,
            &self.tenant,
            &self.source,
            &self.shape,
            &p.portal_id,
            &p.form_id,
            &p.external_id,
            &p.dedupe_key,
            &item.signature,
            &lead.email,
            &lead.first_name,
            &lead.last_name,
            &lead.company,
            &lead.job_title,
            &lead.phone,
            &lead.message,
            &p.page_url,
            &p.contact_object_id,
            &self.custom_fields,
            &item.raw_payload,
            &item.import_job_id,
            &item.synthetic,
            &p.submitted_at,
            &item.received_at,
        ]);
    }
}

/// A submission that went in, with the workflow (and job) it gets.
struct Created<'l, 'i, 'a> {
    candidate: &'l Candidate<'i, 'a>,
    /// The mode the workflow starts in: its tenant's when the batch began.
    mode: &'l str,
    workflow_id: String,
    trace_id: String,
    job_id: Option<String>,
    unique_key: String,
}

impl<'l, 'i, 'a> Created<'l, 'i, 'a> {
    fn new(candidate: &'l Candidate<'i, 'a>, mode: &'l str) -> Created<'l, 'i, 'a> {
        let workflow_id = new_id();
        Created {
            candidate,
            mode,
            trace_id: candidate
                .item
                .trace_id
                .map(str::to_string)
                .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string()),
            job_id: candidate.item.queue.map(|_| new_id()),
            unique_key: format!("workflow:{workflow_id}"),
            workflow_id,
        }
    }

    fn bind_workflow<'v>(&'v self, v: &mut Vec<&'v dyn ToSql>) {
        let item = self.candidate.item;
        v.extend([
            &self.workflow_id as &dyn ToSql,
            &self.candidate.tenant,
            &self.candidate.submission_id,
            &item.parsed.lead.email,
            &WorkflowStatus::Pending,
            &self.mode,
            &self.trace_id,
            &item.received_at,
            &item.received_at,
        ]);
    }

    fn bind_job<'v>(&'v self, v: &mut Vec<&'v dyn ToSql>) {
        let item = self.candidate.item;
        v.extend([
            &self.job_id as &dyn ToSql,
            &self.candidate.tenant,
            &item.queue,
            &"workflow",
            &self.workflow_id,
            &JobState::Available,
            &item.received_at,
            &self.unique_key,
            &item.import_job_id,
            &item.received_at,
            &item.received_at,
        ]);
    }
}

/// Inserts a row (with a fresh id) for each of `rows`, and fails unless every one went in: the
/// statement does nothing on a conflict (a padded chunk's repeated row, see [`MultiRow`]), so
/// the rows it changed are counted.
fn insert_all<'v, R>(
    tx: &Transaction<'_>,
    insert: &MultiRow,
    rows: &'v [R],
    bind: impl FnMut(&'v R, &mut Vec<&'v dyn ToSql>),
) -> Result<()> {
    let inserted = insert.execute(tx, rows, bind)?;
    if inserted != rows.len() {
        return Err(crate::error::Error::Internal(format!(
            "{inserted} of {} new rows with fresh ids went in: the batch is rolled back",
            rows.len()
        )));
    }
    Ok(())
}

/// A stored submission's id and its workflow's.
pub(super) type Stored = (String, Option<String>);

/// What is stored under each of `keys` (tenant, dedupe key): the submission and its workflow,
/// in `keys`' order; None for one gone meanwhile (a purge).
pub(super) fn find_stored_in(
    conn: &sql::Conn,
    keys: &[(&str, &str)],
) -> Result<Vec<Option<Stored>>> {
    let mut found: HashMap<(String, String), Stored> = HashMap::new();
    FIND_STORED.run(
        conn,
        keys,
        |(tenant, key), v| v.extend([tenant as &dyn ToSql, key]),
        |r| {
            found.insert((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?));
            Ok(())
        },
    )?;
    Ok(keys
        .iter()
        .map(|(tenant, key)| found.remove(&(tenant.to_string(), key.to_string())))
        .collect())
}

/// A padded chunk's repeated row conflicts with itself on its id: it goes in once.
pub(super) static INSERT_SUBMISSIONS: MultiRow = MultiRow::padded(
    "INSERT INTO submissions (id, tenant_id, source, shape, portal_id, form_id, external_id,
         dedupe_key, signature, email, first_name, last_name, company, job_title, phone,
         message, page_url, contact_object_id, custom_fields, raw_payload, import_job_id,
         synthetic, submitted_at, received_at)
     VALUES ",
    24,
    " ON CONFLICT DO NOTHING RETURNING id",
);

/// The mode is bound, read once per tenant for the batch (`current_mode`). The ids are fresh, so
/// the only conflict is a padded chunk's repeated row with itself (`insert_all` checks that
/// each went in).
pub(super) static INSERT_WORKFLOWS: MultiRow = MultiRow::padded(
    "INSERT INTO workflows (id, tenant_id, submission_id, email, status, mode, trace_id,
         created_at, updated_at)
     VALUES ",
    9,
    " ON CONFLICT DO NOTHING",
);

/// As the workflows' (the job ids and unique keys are fresh too).
pub(super) static INSERT_JOBS: MultiRow = MultiRow::padded(
    "INSERT INTO jobs (id, tenant_id, queue, kind, workflow_id, state, run_at, unique_key,
         import_job_id, created_at, updated_at)
     VALUES ",
    11,
    " ON CONFLICT DO NOTHING",
);

/// Each (tenant, dedupe key) with the submission stored under it and its workflow (read into a
/// map: a padded chunk's repeated key reads the same row again).
static FIND_STORED: MultiRow = MultiRow::padded(
    "SELECT k.column1, k.column2, s.id,
            (SELECT w.id FROM workflows w
             WHERE w.submission_id = s.id AND w.tenant_id = s.tenant_id LIMIT 1)
     FROM (VALUES ",
    2,
    ") AS k JOIN submissions s ON s.tenant_id = k.column1 AND s.dedupe_key = k.column2",
);
#[cfg(test)]
mod tests {
    use super::super::test_support::{SharedDb, enqueue};
    use super::super::{MODE_DRAFT_ONLY, MODE_SEND, Store, WorkflowStatus};
    use super::{Acceptance, DuplicateQuery, NewSubmission, Routed, Source};
    use crate::domain::submission::{ParsedSubmission, parse_payload};
    use crate::domain::tenant::TenantId;

    /// A webhook submission `id` from `email`: the same id is a re-send of it.
    fn parsed(id: &str, email: &str) -> ParsedSubmission {
        let body = format!(
            r#"{{"portalId":1,"formId":"f","formSubmissionId":"{id}","fieldValues":[{{"name":"email","value":"{email}"}}]}}"#
        );
        parse_payload(body.as_bytes())
            .unwrap()
            .submissions
            .remove(0)
    }

    fn item(parsed: &ParsedSubmission) -> NewSubmission<'_> {
        let mut item = NewSubmission::received(Source::Webhook, parsed, b"{}", 1000);
        item.queue = Some("normal");
        item
    }

    fn accepted(a: &Acceptance) -> (&str, &str) {
        match a {
            Acceptance::Accepted {
                submission_id,
                workflow_id,
                job_id: Some(_),
            } => (submission_id, workflow_id),
            other => panic!("not accepted with a job: {other:?}"),
        }
    }

    fn count(store: &Store, table: &str) -> i64 {
        store
            .conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), (), |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_re_send_in_the_same_batch_is_a_duplicate_of_the_first_with_its_ids() {
        let store = Store::open_in_memory().unwrap();
        let (a, b, a_again) = (
            parsed("A", "a@x.io"),
            parsed("B", "b@x.io"),
            parsed("A", "a@x.io"),
        );
        let out = store
            .accept_submissions(&[item(&a), item(&b), item(&a_again)])
            .unwrap();
        assert_eq!(out.len(), 3);
        let (a_sub, a_wf) = accepted(&out[0]);
        accepted(&out[1]);
        assert_eq!(
            out[2],
            Acceptance::Duplicate {
                submission_id: a_sub.to_string(),
                workflow_id: Some(a_wf.to_string()),
            }
        );
        for table in ["submissions", "workflows", "jobs"] {
            assert_eq!(count(&store, table), 2, "{table}");
        }
        let usage = store.usage_totals_of_every_tenant().unwrap();
        let counts = &usage[0].1;
        assert_eq!(counts.get(super::Metric::SubmissionsAccepted), 2);
        assert_eq!(counts.get(super::Metric::Duplicates), 1);
    }

    #[test]
    fn a_re_send_of_a_stored_submission_is_its_duplicate_and_the_rest_go_in() {
        let store = Store::open_in_memory().unwrap();
        let first = parsed("A", "a@x.io");
        let stored = store.accept_submissions(&[item(&first)]).unwrap();
        let (a_sub, a_wf) = accepted(&stored[0]);
        let (c, a_again, c_again) = (
            parsed("C", "c@x.io"),
            parsed("A", "a@x.io"),
            parsed("C", "c@x.io"),
        );
        let out = store
            .accept_submissions(&[item(&c), item(&a_again), item(&a_again), item(&c_again)])
            .unwrap();
        let (c_sub, c_wf) = accepted(&out[0]);
        let a_dup = Acceptance::Duplicate {
            submission_id: a_sub.to_string(),
            workflow_id: Some(a_wf.to_string()),
        };
        assert_eq!(out[1], a_dup);
        assert_eq!(out[2], a_dup);
        assert_eq!(
            out[3],
            Acceptance::Duplicate {
                submission_id: c_sub.to_string(),
                workflow_id: Some(c_wf.to_string()),
            }
        );
        assert_eq!(count(&store, "submissions"), 2);
        assert_eq!(count(&store, "jobs"), 2);
    }

    /// Keys are per tenant, and each workflow starts in its own tenant's mode.
    #[test]
    fn a_batch_of_several_tenants_stores_each_under_its_own() {
        let db = SharedDb::new();
        let store = db.open("default");
        db.open("acme").set_mode(MODE_SEND, "test", "r").unwrap();
        let (default, acme) = (TenantId::default_tenant(), TenantId::parse("acme").unwrap());
        let (a, b) = (parsed("A", "a@x.io"), parsed("B", "b@x.io"));
        let routed = |tenant, parsed| Routed {
            tenant,
            item: item(parsed),
            audit_actor: None,
        };
        let out = store
            .accept_routed(&[
                routed(&acme, &a),
                routed(&default, &a),
                routed(&acme, &b),
                routed(&acme, &a),
            ])
            .unwrap();
        let (acme_a, acme_a_wf) = accepted(&out[0]);
        let (default_a, default_a_wf) = accepted(&out[1]);
        accepted(&out[2]);
        assert_ne!(acme_a, default_a);
        assert!(
            matches!(&out[3], Acceptance::Duplicate { submission_id, .. } if submission_id == acme_a)
        );
        let acme_store = db.open("acme");
        assert_eq!(acme_store.get_workflow(acme_a_wf).unwrap().mode, MODE_SEND);
        assert_eq!(
            store.get_workflow(default_a_wf).unwrap().mode,
            MODE_DRAFT_ONLY
        );
        assert!(
            store.get_workflow(acme_a_wf).is_err(),
            "not the default tenant's"
        );
        assert_eq!(
            acme_store
                .get_submission(acme_a)
                .unwrap()
                .lead
                .email
                .as_deref(),
            Some("a@x.io")
        );
    }

    /// More rows than one statement takes (256), with re-sends across chunks: every answer in
    /// request order, each for its own submission.
    #[test]
    fn a_batch_larger_than_a_chunk_answers_each_in_request_order() {
        let store = Store::open_in_memory().unwrap();
        let stored = parsed("S7", "s7@x.io");
        let (s7_sub, _) = {
            let out = store.accept_submissions(&[item(&stored)]).unwrap();
            let (s, w) = accepted(&out[0]);
            (s.to_string(), w.to_string())
        };
        // S0..S299, then S5 and S299 again; S7 is stored already.
        let mut ids: Vec<String> = (0..300).map(|i| format!("S{i}")).collect();
        ids.push("S5".into());
        ids.push("S299".into());
        let batch: Vec<ParsedSubmission> = ids
            .iter()
            .map(|id| parsed(id, &format!("{}@x.io", id.to_lowercase())))
            .collect();
        let items: Vec<NewSubmission<'_>> = batch.iter().map(item).collect();
        let out = store.accept_submissions(&items).unwrap();
        assert_eq!(out.len(), 302);
        for (i, answer) in out.iter().enumerate().take(300) {
            if i == 7 {
                assert!(
                    matches!(answer, Acceptance::Duplicate { submission_id, .. } if *submission_id == s7_sub)
                );
                continue;
            }
            let (sub, wf) = accepted(answer);
            assert_eq!(
                store.get_submission(sub).unwrap().lead.email,
                Some(format!("s{i}@x.io"))
            );
            assert_eq!(store.get_workflow(wf).unwrap().submission_id, sub);
        }
        for (resend, of) in [(300, 5), (301, 299)] {
            let (sub, wf) = accepted(&out[of]);
            assert_eq!(
                out[resend],
                Acceptance::Duplicate {
                    submission_id: sub.to_string(),
                    workflow_id: Some(wf.to_string()),
                }
            );
        }
        assert_eq!(count(&store, "submissions"), 300);
        assert_eq!(count(&store, "workflows"), 300);
        assert_eq!(count(&store, "jobs"), 300);
    }

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
            let query = DuplicateQuery {
                submission_id: &later.submission_id,
                email: "a@example.com",
                form_id: Some(form),
                received_at: 1000,
                window_ms: 60_000,
            };
            let found = store.find_recent_duplicate(&query).unwrap();
            // The suppression check reads the same in its statement (the pipeline's way).
            let (suppressed, read_with_it) = store
                .suppression_and_duplicate("a@example.com", &query)
                .unwrap();
            assert_eq!(
                (suppressed, read_with_it.as_deref()),
                (None, found.as_deref())
            );
            found
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
            &super::RECENT_DUPLICATE,
            rusqlite::params!["default", "a@example.com", "f", "x", 1000, 60_000],
        );
        assert!(plan.contains("USING INDEX workflows_email"), "{plan}");
        assert!(!plan.contains("SCAN"), "{plan}");
    }

    /// Two hosts accept the same re-sent key at once: the second's insert waits for the first's
    /// commit and then inserts nothing. On PostgreSQL the copy it conflicted with is newer than
    /// the snapshot its one statement began with, so it is looked up afterwards: the answer is
    /// a duplicate with the first's ids, never with none.
    #[test]
    fn a_copy_committed_by_another_connection_meanwhile_is_answered_with_its_ids() {
        let db = SharedDb::new();
        let (mine, other) = (db.open("default"), db.open("default"));
        let a = parsed("A", "a@x.io");
        let tx = other.conn.row_locked_tx().unwrap();
        let held = super::accept_batch_in(&tx, &[("default", &item(&a))]).unwrap();
        let Acceptance::Accepted {
            submission_id,
            workflow_id,
            ..
        } = held[0].clone()
        else {
            panic!("{held:?}");
        };
        let waiting = std::thread::spawn(move || {
            let again = parsed("A", "a@x.io");
            let b = parsed("B", "b@x.io");
            mine.accept_submissions(&[item(&again), item(&b), item(&again)])
                .unwrap()
        });
        // Long enough for the accept to be waiting on the uncommitted copy's index entry.
        std::thread::sleep(std::time::Duration::from_millis(300));
        tx.commit().unwrap();
        let out = waiting.join().unwrap();
        let first = Acceptance::Duplicate {
            submission_id,
            workflow_id: Some(workflow_id),
        };
        assert_eq!(out[0], first);
        assert!(matches!(out[1], Acceptance::Accepted { .. }), "{out:?}");
        assert_eq!(out[2], first);
        let usage = other.usage_totals_of_every_tenant().unwrap();
        let counts = &usage[0].1;
        assert_eq!(counts.get(super::Metric::SubmissionsAccepted), 1);
        assert_eq!(counts.get(super::Metric::Duplicates), 2);
    }
}
