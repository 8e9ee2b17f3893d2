//! Intake's batch on PostgreSQL as one statement, committed on its own: the submissions, their
//! workflows and jobs, the batch's usage counters and the workers' `pg_notify`, in one round trip
//! (where a transaction of separate statements is eight: BEGIN, one per table, the re-sends'
//! lookup, two usage UPSERTs, COMMIT). PostgreSQL's synchronous client waits for each
//! statement's answer, so on a loaded machine each round trip is two wake-ups of processes that
//! compete for the cores.
//!
//! The batch travels as one array per column (`unnest`), so the statement's text is the same for
//! any batch size and stays prepared, with no chunks and no padded rows. A statement outside a
//! transaction block is a transaction of its own: the server commits it (and, with
//! `synchronous_commit = on`, flushes its WAL) before it answers, and an error means none of it
//! happened, so every 202 is as durable as with BEGIN … COMMIT, and the batch is still all or
//! none.
//!
//! Dedupe is what [`super::submissions::accept_batch_in`] does, in the same order: the first of
//! each (tenant, dedupe key) in the batch is inserted, in key order, `ON CONFLICT DO NOTHING`;
//! its later copies in the batch are its duplicates. One that did not go in was stored before:
//! the statement finds it (in the snapshot the statement started with, where earlier batches
//! are). A copy committed by another process after that snapshot (concurrent re-sends on two
//! hosts: the insert waited for it, then did nothing) is not in that snapshot; it is looked up
//! by a statement of its own afterwards, which sees it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::listen::announce_jobs_call;
use super::new_id;
use super::sql::{Column, Conn};
use super::states::Metric;
use super::submissions::{
    Acceptance, Candidate, NewSubmission, Stored, answer_each, find_stored_in, first_of_each_key,
};
use crate::domain::time::utc_day;
use crate::error::Result;

/// Stores each `(tenant, submission)` with its workflow (and job, when it names a queue) and
/// counts the batch's usage, in one statement that commits on its own; the answers in the
/// entries' order, as [`super::submissions::accept_batch_in`]'s. `conn` must be PostgreSQL's,
/// outside a transaction.
pub(super) fn accept_in_one_statement(
    conn: &Conn,
    entries: &[(&str, &NewSubmission<'_>)],
) -> Result<Vec<Acceptance>> {
    let (first, candidates) = first_of_each_key(entries);
    // Workflow and job ids in request order, as the submissions' are (made by first_of_each_key).
    let mut rows: Vec<BatchRow<'_, '_>> = candidates.into_iter().map(BatchRow::new).collect();
    rows.sort_by(|a, b| (a.c.tenant, a.c.dedupe_key()).cmp(&(b.c.tenant, b.c.dedupe_key())));
    // A later copy in the batch is a duplicate whatever becomes of the first: counted here.
    let mut repeats: BTreeMap<(&str, String), i64> = BTreeMap::new();
    for (i, (&f, &(tenant, item))) in first.iter().zip(entries).enumerate() {
        if f != i && !item.synthetic {
            *repeats
                .entry((tenant, utc_day(item.received_at)))
                .or_default() += 1;
        }
    }
    let mut columns = columns(&rows);
    columns.push(Column::Text(
        repeats.keys().map(|(t, _)| Some(*t)).collect(),
    ));
    columns.push(Column::Text(
        repeats.keys().map(|(_, d)| Some(d.as_str())).collect(),
    ));
    columns.push(Column::Integer(
        repeats.values().map(|n| Some(*n)).collect(),
    ));

    // For each row, by its place in `rows`: whether it went in, and what was stored before.
    let mut outcome: Vec<(bool, Option<Stored>)> = vec![(false, None); rows.len()];
    conn.query_columns(statement(), &columns, |r| {
        let ord: i64 = r.get(0)?;
        let slot = usize::try_from(ord - 1)
            .ok()
            .and_then(|i| outcome.get_mut(i))
            .ok_or_else(|| super::sql::Error::FromSqlConversionFailure(0, "no such row".into()))?;
        let found: Option<String> = r.get(2)?;
        *slot = (r.get(1)?, found.map(|id| (id, None)));
        if let Some((_, workflow)) = &mut slot.1 {
            *workflow = r.get(3)?;
        }
        Ok(())
    })?;

    // Stored by another process after the statement's snapshot: read now, committed.
    let unseen: Vec<usize> = (0..rows.len())
        .filter(|&i| matches!(outcome[i], (false, None)))
        .collect();
    if !unseen.is_empty() {
        let keys: Vec<(&str, &str)> = unseen
            .iter()
            .map(|&i| (rows[i].c.tenant, rows[i].c.dedupe_key()))
            .collect();
        for (&i, found) in unseen.iter().zip(find_stored_in(conn, &keys)?) {
            outcome[i].1 = found;
        }
    }

    let mut answers: Vec<Option<Acceptance>> = vec![None; entries.len()];
    for (row, (inserted, found)) in rows.into_iter().zip(outcome) {
        answers[row.c.entry] = Some(if inserted {
            Acceptance::Accepted {
                submission_id: row.c.submission_id,
                workflow_id: row.workflow_id,
                job_id: row.job_id,
            }
        } else {
            let (submission_id, workflow_id) = found.unwrap_or_default();
            Acceptance::Duplicate {
                submission_id,
                workflow_id,
            }
        });
    }
    Ok(answer_each(&first, &answers))
}

/// The first of a key, with the ids its workflow and job get if it goes in.
struct BatchRow<'i, 'a> {
    c: Candidate<'i, 'a>,
    workflow_id: String,
    job_id: Option<String>,
    trace_id: String,
    unique_key: String,
    day: String,
}

impl<'i, 'a> BatchRow<'i, 'a> {
    fn new(c: Candidate<'i, 'a>) -> BatchRow<'i, 'a> {
        let workflow_id = new_id();
        BatchRow {
            job_id: c.item.queue.map(|_| new_id()),
            trace_id: c
                .item
                .trace_id
                .map(str::to_string)
                .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string()),
            unique_key: format!("workflow:{workflow_id}"),
            day: utc_day(c.item.received_at),
            workflow_id,
            c,
        }
    }
}

/// The statement's arrays for `rows`, in its placeholders' order ($1…$30; $31–$33, the batch's
/// own later copies per tenant and day, are the caller's).
fn columns<'v>(rows: &'v [BatchRow<'_, '_>]) -> Vec<Column<'v>> {
    fn text<'v, R>(rows: &'v [R], f: impl Fn(&'v R) -> Option<&'v str>) -> Column<'v> {
        Column::Text(rows.iter().map(f).collect())
    }
    fn int<'v, R>(rows: &'v [R], f: impl Fn(&'v R) -> Option<i64>) -> Column<'v> {
        Column::Integer(rows.iter().map(f).collect())
    }
    vec![
        text(rows, |r| Some(&r.c.submission_id)),
        text(rows, |r| Some(r.c.tenant)),
        text(rows, |r| Some(r.c.source)),
        text(rows, |r| Some(r.c.shape)),
        text(rows, |r| r.c.item.parsed.portal_id.as_deref()),
        text(rows, |r| r.c.item.parsed.form_id.as_deref()),
        text(rows, |r| r.c.item.parsed.external_id.as_deref()),
        text(rows, |r| Some(&r.c.item.parsed.dedupe_key)),
        text(rows, |r| r.c.item.signature),
        text(rows, |r| r.c.item.parsed.lead.email.as_deref()),
        text(rows, |r| r.c.item.parsed.lead.first_name.as_deref()),
        text(rows, |r| r.c.item.parsed.lead.last_name.as_deref()),
        text(rows, |r| r.c.item.parsed.lead.company.as_deref()),
        text(rows, |r| r.c.item.parsed.lead.job_title.as_deref()),
        text(rows, |r| r.c.item.parsed.lead.phone.as_deref()),
        text(rows, |r| r.c.item.parsed.lead.message.as_deref()),
        text(rows, |r| r.c.item.parsed.page_url.as_deref()),
        text(rows, |r| r.c.item.parsed.contact_object_id.as_deref()),
        text(rows, |r| Some(&r.c.custom_fields)),
        Column::Blob(rows.iter().map(|r| Some(r.c.item.raw_payload)).collect()),
        text(rows, |r| r.c.item.import_job_id),
        int(rows, |r| Some(i64::from(r.c.item.synthetic))),
        int(rows, |r| r.c.item.parsed.submitted_at),
        int(rows, |r| Some(r.c.item.received_at)),
        text(rows, |r| Some(&r.workflow_id)),
        text(rows, |r| Some(&r.trace_id)),
        text(rows, |r| r.job_id.as_deref()),
        text(rows, |r| r.c.item.queue),
        text(rows, |r| Some(&r.unique_key)),
        text(rows, |r| Some(&r.day)),
    ]
}

/// The statement. `batch` is the rows (first copies of each key, in key order); `ins_*` write
/// the tables (a conflict on a workflow's or job's fresh id fails the whole statement); the
/// usage counters are one multi-row UPSERT on this backend's shard (V17), in key order, the
/// batch's accepted submissions and its duplicates (those not inserted, and the batch's own
/// later copies, `$31`–`$33`), probes not counted; the workers are told when any job went in.
/// Each row answers whether it went in and, when not, what was stored under its key.
fn statement() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let accepted = Metric::SubmissionsAccepted.as_str();
        let duplicates = Metric::Duplicates.as_str();
        let notify = announce_jobs_call();
        format!(
            "WITH batch AS (
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                     $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                     $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
                     $18::text[], $19::text[], $20::bytea[], $21::text[], $22::int8[], $23::int8[],
                     $24::int8[], $25::text[], $26::text[], $27::text[], $28::text[], $29::text[],
                     $30::text[])
                 WITH ORDINALITY AS b (id, tenant_id, source, shape, portal_id, form_id,
                     external_id, dedupe_key, signature, email, first_name, last_name, company,
                     job_title, phone, message, page_url, contact_object_id, custom_fields,
                     raw_payload, import_job_id, synthetic, submitted_at, received_at,
                     workflow_id, trace_id, job_id, queue, unique_key, day, ord)
             ),
             ins_sub AS (
                 INSERT INTO submissions (id, tenant_id, source, shape, portal_id, form_id,
                     external_id, dedupe_key, signature, email, first_name, last_name, company,
                     job_title, phone, message, page_url, contact_object_id, custom_fields,
                     raw_payload, import_job_id, synthetic, submitted_at, received_at)
                 SELECT id, tenant_id, source, shape, portal_id, form_id, external_id,
                     dedupe_key, signature, email, first_name, last_name, company, job_title,
                     phone, message, page_url, contact_object_id, custom_fields, raw_payload,
                     import_job_id, synthetic, submitted_at, received_at
                 FROM batch ORDER BY ord
                 ON CONFLICT DO NOTHING RETURNING id
             ),
             went_in AS (SELECT b.* FROM batch b JOIN ins_sub i ON i.id = b.id),
             ins_wf AS (
                 INSERT INTO workflows (id, tenant_id, submission_id, email, status, mode,
                     trace_id, created_at, updated_at)
                 SELECT n.workflow_id, n.tenant_id, n.id, n.email, 'pending',
                     COALESCE((SELECT m.value FROM settings m
                               WHERE m.tenant_id = n.tenant_id AND m.key = 'mode'), 'draft_only'),
                     n.trace_id, n.received_at, n.received_at
                 FROM went_in n ORDER BY n.ord
             ),
             ins_job AS (
                 INSERT INTO jobs (id, tenant_id, queue, kind, workflow_id, state, run_at,
                     unique_key, import_job_id, created_at, updated_at)
                 SELECT n.job_id, n.tenant_id, n.queue, 'workflow', n.workflow_id, 'available',
                     n.received_at, n.unique_key, n.import_job_id, n.received_at, n.received_at
                 FROM went_in n WHERE n.job_id IS NOT NULL ORDER BY n.ord
                 RETURNING 1
             ),
             ins_usage AS (
                 INSERT INTO usage (tenant_id, day, metric, shard, n)
                 SELECT t.tenant_id, t.day, t.metric, pg_backend_pid() % 16, SUM(t.n)
                 FROM (
                     SELECT b.tenant_id, b.day,
                         CASE WHEN i.id IS NULL THEN '{duplicates}' ELSE '{accepted}' END, 1
                     FROM batch b LEFT JOIN ins_sub i ON i.id = b.id WHERE b.synthetic = 0
                     UNION ALL
                     SELECT r.tenant_id, r.day, '{duplicates}', r.n
                     FROM unnest($31::text[], $32::text[], $33::int8[]) AS r (tenant_id, day, n)
                 ) AS t (tenant_id, day, metric, n)
                 GROUP BY t.tenant_id, t.day, t.metric
                 ORDER BY t.tenant_id, t.day, t.metric
                 ON CONFLICT (tenant_id, day, metric, shard) DO UPDATE SET n = usage.n + excluded.n
             ),
             announced AS (
                 SELECT count(*) FROM (SELECT {notify} FROM (SELECT 1 FROM ins_job LIMIT 1) AS j) AS a
             )
             SELECT b.ord, i.id IS NOT NULL, f.id, f.workflow_id
             FROM batch b CROSS JOIN announced
             LEFT JOIN ins_sub i ON i.id = b.id
             LEFT JOIN LATERAL (
                 SELECT s.id, (SELECT w.id FROM workflows w
                               WHERE w.submission_id = s.id AND w.tenant_id = s.tenant_id
                               LIMIT 1) AS workflow_id
                 FROM submissions s
                 WHERE i.id IS NULL AND s.tenant_id = b.tenant_id AND s.dedupe_key = b.dedupe_key
             ) AS f ON true"
        )
    })
}
