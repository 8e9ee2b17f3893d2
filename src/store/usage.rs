//! Usage metering: one counter per tenant, UTC day and `Metric`, raised by an UPSERT inside the
//! transaction that commits the work it counts (so a crash, a retry or a lost lease never counts
//! twice, and a rolled-back commit counts nothing); and the reads `usage`, `/metrics` and the API
//! report from. Nothing here decides what is counted where: the writers call `count_in`.

use super::sql;
use super::sql::{Conn, Dialect, OptionalExtension, params};
use serde::ser::SerializeMap;

use super::Store;
use super::states::Metric;
use crate::domain::tenant::TenantId;
use crate::domain::time::utc_day;
use crate::error::Result;

/// Counts of every metric, in `Metric::ALL` order; serialised as `{"submissions_accepted": n, …}`
/// with every metric present (a billing import wants stable fields, zeros included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsageCounts([u64; Metric::ALL.len()]);

impl UsageCounts {
    pub fn get(&self, metric: Metric) -> u64 {
        self.0[index(metric)]
    }

    pub fn add(&mut self, metric: Metric, n: u64) {
        let slot = &mut self.0[index(metric)];
        *slot = slot.saturating_add(n);
    }

    pub fn add_all(&mut self, other: &UsageCounts) {
        for m in Metric::ALL {
            self.add(*m, other.get(*m));
        }
    }

    /// Each metric with its count, in `Metric::ALL` order.
    pub fn iter(&self) -> impl Iterator<Item = (Metric, u64)> + '_ {
        Metric::ALL.iter().map(|m| (*m, self.get(*m)))
    }
}

fn index(metric: Metric) -> usize {
    Metric::ALL.iter().position(|m| *m == metric).unwrap_or(0)
}

impl serde::Serialize for UsageCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(Metric::ALL.len()))?;
        for (metric, n) in self.iter() {
            map.serialize_entry(metric.as_str(), &n)?;
        }
        map.end()
    }
}

/// How `Store::usage` groups the days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageBucket {
    Day,
    Month,
}

impl UsageBucket {
    pub const ALL: &'static [UsageBucket] = &[UsageBucket::Day, UsageBucket::Month];

    pub fn parse(name: &str) -> Option<UsageBucket> {
        UsageBucket::ALL
            .iter()
            .copied()
            .find(|b| b.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UsageBucket::Day => "day",
            UsageBucket::Month => "month",
        }
    }

    /// How many leading characters of an ISO day name its bucket (`2026-11-30` → `2026-11`).
    fn prefix_len(self) -> i64 {
        match self {
            UsageBucket::Day => 10,
            UsageBucket::Month => 7,
        }
    }
}

/// UTC days, ISO 8601 (`2026-11-01`), both inclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRange {
    pub first_day: String,
    pub last_day: String,
}

impl UsageRange {
    /// From the UTC day of `value` (a duration back from `now`, `30d`, or a date) to today;
    /// the error says why `value` is not one (callers add the flag or field it came from).
    pub fn since(value: &str, now: i64) -> std::result::Result<UsageRange, String> {
        let from = crate::domain::time::parse_since(value, now)?;
        if from > now {
            return Err(format!(
                "{value:?} is in the future; give a day up to today ({})",
                utc_day(now)
            ));
        }
        Ok(UsageRange {
            first_day: utc_day(from),
            last_day: utc_day(now),
        })
    }

    /// One calendar month, `YYYY-MM`.
    pub fn month(value: &str) -> std::result::Result<UsageRange, String> {
        let (first_day, last_day) = crate::domain::time::month_days(value)?;
        Ok(UsageRange {
            first_day,
            last_day,
        })
    }
}

/// One tenant's usage in one day or month: `period` is `2026-11-30` or `2026-11`; `first_day`
/// and `last_day` are the days of the period inside the range asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRow {
    pub tenant: TenantId,
    pub period: String,
    pub first_day: String,
    pub last_day: String,
    pub counts: UsageCounts,
}

/// What a piece of work adds to a workflow's tenant, committed with that work (a step's
/// connector calls and tokens: `PipelineWrite::Usage`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowUsage {
    pub workflow_id: String,
    pub at: i64,
    pub counts: UsageCounts,
}

/// Adds `n` to `metric` of `tenant` on the UTC day of `at`, in the caller's transaction.
pub(super) fn count_in(conn: &Conn, tenant: &str, at: i64, metric: Metric, n: u64) -> Result<()> {
    let day = utc_day(at);
    upsert_counts(
        conn,
        vec![Counter {
            tenant,
            day: &day,
            metric,
            n,
        }],
    )
}

/// The same for the tenant of `workflow_id` (see [`WorkflowTally`]).
pub(super) fn count_for_workflow_in(
    conn: &Conn,
    workflow_id: &str,
    at: i64,
    metric: Metric,
    n: u64,
) -> Result<()> {
    let mut tally = WorkflowTally::default();
    tally.add(workflow_id, at, metric, n);
    tally.write_in(conn, &Billing::default())
}

/// Counts gathered over a batch (one intake group commit holds many submissions) and written as
/// one UPSERT statement for the batch's transaction (see [`upsert_counts`]).
#[derive(Debug, Default)]
pub(super) struct Tally(Vec<(String, Metric, u64)>);

impl Tally {
    pub(super) fn add(&mut self, at: i64, metric: Metric, n: u64) {
        let day = utc_day(at);
        match self
            .0
            .iter_mut()
            .find(|(d, m, _)| *d == day && *m == metric)
        {
            Some((_, _, count)) => *count = count.saturating_add(n),
            None => self.0.push((day, metric, n)),
        }
    }

    /// Writes the counts for `tenant` in the caller's transaction.
    pub(super) fn write_in(&self, conn: &Conn, tenant: &str) -> Result<()> {
        write_tallies_in(conn, &[(tenant, self)])
    }

    fn counters<'a>(&'a self, tenant: &'a str) -> impl Iterator<Item = Counter<'a>> + 'a {
        self.0.iter().map(move |(day, metric, n)| Counter {
            tenant,
            day,
            metric: *metric,
            n: *n,
        })
    }
}

/// Every tenant's counts of a batch, in one statement (see [`upsert_counts`]).
pub(super) fn write_tallies_in(conn: &Conn, tallies: &[(&str, &Tally)]) -> Result<()> {
    let counters: Vec<Counter<'_>> = tallies
        .iter()
        .flat_map(|(tenant, tally)| tally.counters(tenant))
        .collect();
    upsert_counts(conn, counters)
}

/// What one counter row of a batch gets added.
#[derive(Debug)]
struct Counter<'a> {
    tenant: &'a str,
    day: &'a str,
    metric: Metric,
    n: u64,
}

/// Adds each count to its counter in one multi-row UPSERT (one round trip on PostgreSQL, where
/// a statement per counter was one each): an UPSERT that adds to what is there (no read, so no
/// write lock is needed), on the writer's own shard of the counter (V17): on PostgreSQL the
/// shard is the writer's backend, so commits of other connections do not wait on this row's
/// lock, which a commit holds through its WAL flush. Readers sum the shards. The rows are merged
/// by counter (one statement may not update a row twice) and go in (tenant, day, metric) order,
/// so two transactions that lock the same counter rows (PostgreSQL's row locks, intake on several
/// hosts) lock them in one order and never deadlock on each other.
fn upsert_counts(conn: &Conn, counters: Vec<Counter<'_>>) -> Result<()> {
    let upsert = match conn.dialect() {
        Dialect::Sqlite => &UPSERT_COUNTS_SQLITE,
        Dialect::Postgres => &UPSERT_COUNTS_POSTGRES,
    };
    let values = merged(counters);
    for chunk in values.chunks(sql::CHUNK_ROWS[0]) {
        let mut bound: Vec<&dyn sql::ToSql> = Vec::with_capacity(chunk.len() * 4);
        for (tenant, day, metric, n) in chunk {
            bound.extend([tenant as &dyn sql::ToSql, day, metric, n]);
        }
        // One text per row count: a commit counts a handful of counters, so a few texts, kept
        // by the statement caches.
        conn.prepare_cached(&upsert.sql_for(chunk.len()))?
            .execute(&bound[..])?;
    }
    Ok(())
}

/// A counter row of the UPSERT: tenant, day, metric, what it adds.
pub(super) type CounterRow = (String, String, Metric, i64);

/// PostgreSQL's counter UPSERT of `rows` [`CounterRow`]s, its placeholders from `?{first}`: to
/// be sent as a part of another statement (see [`WorkflowTally::rows`]).
pub(super) fn upsert_counts_sql(rows: usize, first: usize) -> String {
    UPSERT_COUNTS_POSTGRES.sql_from(rows, first)
}

/// The counters merged (one statement may not update a row twice) and in (tenant, day, metric)
/// order, those that add nothing left out (see [`upsert_counts`]).
fn merged(mut counters: Vec<Counter<'_>>) -> Vec<(&str, &str, Metric, i64)> {
    counters.retain(|c| c.n > 0);
    counters.sort_by(|a, b| {
        (a.tenant, a.day, a.metric.as_str()).cmp(&(b.tenant, b.day, b.metric.as_str()))
    });
    counters.dedup_by(|later, kept| {
        let same = (later.tenant, later.day, later.metric) == (kept.tenant, kept.day, kept.metric);
        if same {
            kept.n = kept.n.saturating_add(later.n);
        }
        same
    });
    counters
        .iter()
        .map(|c| (c.tenant, c.day, c.metric, clamp(c.n)))
        .collect()
}

/// The multi-row counter UPSERT with `$shard` as the shard's SQL (V17). `WHERE true` tells
/// SQLite's parser that `ON` begins the upsert, not a join.
macro_rules! upsert_counts_on {
    ($shard:literal) => {
        sql::MultiRow::new(
            concat!(
                "INSERT INTO usage (tenant_id, day, metric, shard, n)
     SELECT v.column1, v.column2, v.column3, ",
                $shard,
                ", v.column4 FROM (VALUES "
            ),
            4,
            ") AS v WHERE true
     ON CONFLICT (tenant_id, day, metric, shard) DO UPDATE SET n = usage.n + excluded.n",
        )
    };
}

static UPSERT_COUNTS_SQLITE: sql::MultiRow = upsert_counts_on!("0");
static UPSERT_COUNTS_POSTGRES: sql::MultiRow = upsert_counts_on!("pg_backend_pid() % 16");

/// A batch's counts per workflow, written once per workflow, day and metric at the end of the
/// batch's transaction, for the workflow's own tenant (whichever tenant the connection was
/// opened for) and not at all for a probe's synthetic workflow.
#[derive(Debug, Default)]
pub(super) struct WorkflowTally(Vec<(String, Tally)>);

impl WorkflowTally {
    pub(super) fn add(&mut self, workflow_id: &str, at: i64, metric: Metric, n: u64) {
        if n == 0 {
            return;
        }
        let i = match self.0.iter().position(|(w, _)| w == workflow_id) {
            Some(i) => i,
            None => {
                self.0.push((workflow_id.to_string(), Tally::default()));
                self.0.len() - 1
            }
        };
        self.0[i].1.add(at, metric, n);
    }

    pub(super) fn add_usage(&mut self, usage: &WorkflowUsage) {
        for (metric, n) in usage.counts.iter() {
            self.add(&usage.workflow_id, usage.at, metric, n);
        }
    }

    /// Writes every workflow's counts in one statement, each for its billable tenant (`billing`
    /// knows it, or it is read here).
    pub(super) fn write_in(&self, conn: &Conn, billing: &Billing) -> Result<()> {
        let tenants = self.tenants(conn, billing)?;
        upsert_counts(conn, self.counters(&tenants))
    }

    /// The rows [`WorkflowTally::write_in`] would write, for a caller that sends them as a part
    /// of its own statement ([`upsert_counts_sql`]); none when nothing counts. Fewer than a
    /// chunk's worth ([`sql::CHUNK_ROWS`]): a batch counts a handful of counters.
    pub(super) fn rows(&self, conn: &Conn, billing: &Billing) -> Result<Vec<CounterRow>> {
        let tenants = self.tenants(conn, billing)?;
        Ok(merged(self.counters(&tenants))
            .into_iter()
            .map(|(tenant, day, metric, n)| (tenant.to_string(), day.to_string(), metric, n))
            .collect())
    }

    /// Each workflow's billable tenant, in the tally's order.
    fn tenants(&self, conn: &Conn, billing: &Billing) -> Result<Vec<Option<String>>> {
        self.0
            .iter()
            .map(|(workflow_id, _)| billing.tenant_of(conn, workflow_id))
            .collect()
    }

    fn counters<'a>(&'a self, tenants: &'a [Option<String>]) -> Vec<Counter<'a>> {
        self.0
            .iter()
            .zip(tenants)
            .filter_map(|((_, tally), tenant)| tenant.as_deref().map(|t| tally.counters(t)))
            .flatten()
            .collect()
    }
}

/// The billable tenant (None: a probe's synthetic workflow) of the workflows whose runs a
/// connection served last, so a run's commits do not read it again each: a run primes it with
/// its first read (`Store::workflow_to_run`), and each of its commits finds it here. It never
/// goes stale: the columns it comes from (the workflow's tenant, its submission's `synthetic`)
/// are written once, at intake, and ids are never reused. It keeps the last [`Billing::KEPT`]
/// workflows, more than a worker thread has runs in flight (its parked runs and the current).
#[derive(Debug, Default)]
pub(super) struct Billing(std::sync::Mutex<std::collections::VecDeque<(String, Option<String>)>>);

impl Billing {
    const KEPT: usize = 32;

    pub(super) fn remember(&self, workflow_id: &str, tenant: Option<String>) {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.iter().any(|(w, _)| w == workflow_id) {
            return;
        }
        if kept.len() == Billing::KEPT {
            kept.pop_front();
        }
        kept.push_back((workflow_id.to_string(), tenant));
    }

    fn known(&self, workflow_id: &str) -> Option<Option<String>> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter()
            .find(|(w, _)| w == workflow_id)
            .map(|(_, t)| t.clone())
    }

    fn tenant_of(&self, conn: &Conn, workflow_id: &str) -> Result<Option<String>> {
        if let Some(tenant) = self.known(workflow_id) {
            return Ok(tenant);
        }
        let tenant = billable_tenant(conn, workflow_id)?;
        self.remember(workflow_id, tenant.clone());
        Ok(tenant)
    }
}

/// The tenant whose usage a workflow is; None for a probe's synthetic workflow. Columns written
/// once, at intake, so the read holds without any lock.
fn billable_tenant(conn: &Conn, workflow_id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT w.tenant_id FROM workflows w JOIN submissions s ON s.id = w.submission_id
             WHERE w.id = ?1 AND s.synthetic = 0",
        )?
        .query_row([workflow_id], |r| r.get(0))
        .optional()?)
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// This tenant's usage in `range`, one row per day or month that counted anything, oldest
    /// first.
    pub fn usage(&self, range: &UsageRange, by: UsageBucket) -> Result<Vec<UsageRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT substr(day, 1, CAST(?4 AS INTEGER)) AS period, MIN(day), MAX(day), metric, SUM(n) FROM usage
             WHERE tenant_id = ?1 AND day >= ?2 AND day <= ?3
             GROUP BY period, metric ORDER BY period",
        )?;
        let cells = stmt
            .query_map(
                params![
                    self.tenant,
                    range.first_day,
                    range.last_day,
                    by.prefix_len()
                ],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Metric>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                },
            )?
            .collect::<sql::Result<Vec<_>>>()?;
        let mut rows: Vec<UsageRow> = Vec::new();
        for (period, _, _, metric, n) in cells {
            if rows.last().is_none_or(|r| r.period != period) {
                let (first_day, last_day) = period_days(&period, range);
                rows.push(UsageRow {
                    tenant: self.tenant.clone(),
                    period,
                    first_day,
                    last_day,
                    counts: UsageCounts::default(),
                });
            }
            if let Some(row) = rows.last_mut() {
                row.counts.add(metric, u64::try_from(n).unwrap_or(0));
            }
        }
        Ok(rows)
    }

    /// Every tenant's counts of all time (what the table still holds), for `/metrics` with
    /// `[metrics] tenant_labels`: a deliberate cross-tenant read, like the other store gauges.
    pub fn usage_totals_of_every_tenant(&self) -> Result<Vec<(String, UsageCounts)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT tenant_id, metric, SUM(n) FROM usage GROUP BY tenant_id, metric
             ORDER BY tenant_id",
        )?;
        let cells = stmt
            .query_map((), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Metric>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?
            .collect::<sql::Result<Vec<_>>>()?;
        let mut out: Vec<(String, UsageCounts)> = Vec::new();
        for (tenant, metric, n) in cells {
            if out.last().is_none_or(|(t, _)| *t != tenant) {
                out.push((tenant.clone(), UsageCounts::default()));
            }
            if let Some((_, counts)) = out.last_mut() {
                counts.add(metric, u64::try_from(n).unwrap_or(0));
            }
        }
        Ok(out)
    }
}

/// The days of `period` (a day or a month) that lie inside `range`.
fn period_days(period: &str, range: &UsageRange) -> (String, String) {
    let (first, last) = match crate::domain::time::month_days(period) {
        Ok(days) if period.len() == 7 => days,
        _ => (period.to_string(), period.to_string()),
    };
    (
        first.max(range.first_day.clone()),
        last.min(range.last_day.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(first: &str, last: &str) -> UsageRange {
        UsageRange {
            first_day: first.into(),
            last_day: last.into(),
        }
    }

    #[test]
    fn one_statement_of_counters_adds_up_repeats_of_a_counter() {
        // Two tallies of one tenant moving the same counter, as two workflows of one commit
        // would: one multi-row UPSERT may not touch a row twice (PostgreSQL refuses it), so
        // the repeats are merged before, and each counter gets their sum.
        let store = Store::open_in_memory().unwrap();
        let at = 1_795_914_000_000; // 2026-11-29T01:00:00Z
        let mut a = Tally::default();
        a.add(at, Metric::CrmCalls, 2);
        a.add(at, Metric::MailboxCalls, 1);
        let mut b = Tally::default();
        b.add(at, Metric::CrmCalls, 3);
        b.add(at, Metric::EmailsSent, 0);
        write_tallies_in(
            &store.conn,
            &[("default", &a), ("default", &b), ("other", &b)],
        )
        .unwrap();
        let days = store
            .usage(&range("2026-11-29", "2026-11-29"), UsageBucket::Day)
            .unwrap();
        assert_eq!(days[0].counts.get(Metric::CrmCalls), 5);
        assert_eq!(days[0].counts.get(Metric::MailboxCalls), 1);
        let every = store.usage_totals_of_every_tenant().unwrap();
        assert_eq!(every[1].1.get(Metric::CrmCalls), 3);
    }

    #[test]
    fn counters_add_up_per_day_and_month_within_the_range() {
        let store = Store::open_in_memory().unwrap();
        let day = 86_400_000;
        let nov_29 = 1_795_914_000_000; // 2026-11-29T01:00:00Z
        for (at, metric, n) in [
            (nov_29, Metric::SubmissionsAccepted, 2),
            (nov_29, Metric::SubmissionsAccepted, 3),
            (nov_29 + day, Metric::LlmPromptTokens, 120),
            (nov_29 + 3 * day, Metric::EmailsSent, 1),
            (nov_29, Metric::CrmCalls, 0),
        ] {
            count_in(&store.conn, "default", at, metric, n).unwrap();
        }
        count_in(&store.conn, "other", nov_29, Metric::SubmissionsAccepted, 7).unwrap();

        let days = store
            .usage(&range("2026-11-01", "2026-11-30"), UsageBucket::Day)
            .unwrap();
        assert_eq!(days.len(), 2, "{days:?}");
        assert_eq!(days[0].period, "2026-11-29");
        assert_eq!(days[0].counts.get(Metric::SubmissionsAccepted), 5);
        assert_eq!(days[0].counts.get(Metric::CrmCalls), 0);
        assert_eq!(days[1].counts.get(Metric::LlmPromptTokens), 120);

        let months = store
            .usage(&range("2026-11-15", "2026-12-31"), UsageBucket::Month)
            .unwrap();
        assert_eq!(months.len(), 2);
        assert_eq!(
            (months[0].first_day.as_str(), months[0].last_day.as_str()),
            ("2026-11-15", "2026-11-30")
        );
        assert_eq!(months[1].period, "2026-12");
        assert_eq!(months[1].counts.get(Metric::EmailsSent), 1);

        let json = serde_json::to_value(days[0].counts).unwrap();
        assert_eq!(json["submissions_accepted"], 5);
        assert_eq!(json.as_object().unwrap().len(), Metric::ALL.len());

        let every = store.usage_totals_of_every_tenant().unwrap();
        assert_eq!(every.len(), 2);
        assert_eq!(every[1].1.get(Metric::SubmissionsAccepted), 7);
    }
}
