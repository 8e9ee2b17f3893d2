//! Workflows and their steps: the pipeline's durable log, written in small atomic batches. A batch
//! of a job's run is fenced by the job's lease (checked first, in the same transaction); a
//! finished workflow is never moved back, and a completed step row is never reset.

use super::sql;
use super::sql::{Dialect, OptionalExtension, Row, params};

use super::drafts::{INSERT_DRAFT, NewDraft, draft_values, insert_draft};
use super::jobs::{EndedJob, Lease, check_lease, end_job_in, renew_lease_if_due_in, settle_job_in};
use super::states::{Metric, StepStatus, UNFINISHED_WORKFLOWS, WorkflowStatus};
use super::submissions::{SUBMISSION_COLUMNS, SubmissionRow, submission_from_row};
use super::usage::{CounterRow, WorkflowTally, upsert_counts_sql};
use super::{Cursor, ListQuery, Page, Slice, Store, resolve_id};
use crate::domain::lead::Lead;
use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowRow {
    pub id: String,
    pub submission_id: String,
    pub email: Option<String>,
    pub status: WorkflowStatus,
    pub mode: String,
    pub current_step: Option<String>,
    pub attempts: i64,
    pub trace_id: String,
    pub score: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_class: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
}

const WORKFLOW_COLUMNS: &str = "id, submission_id, email, status, mode, current_step, attempts, \
     trace_id, score, last_error, last_error_class, created_at, updated_at, completed_at";

/// `columns` (a comma-separated list) each qualified by `prefix` (a table's alias and a dot).
fn prefixed(prefix: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{prefix}{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn workflow_from_row(r: &Row<'_>) -> sql::Result<WorkflowRow> {
    Ok(WorkflowRow {
        id: r.get(0)?,
        submission_id: r.get(1)?,
        email: r.get(2)?,
        status: r.get(3)?,
        mode: r.get(4)?,
        current_step: r.get(5)?,
        attempts: r.get(6)?,
        trace_id: r.get(7)?,
        score: r.get(8)?,
        last_error: r.get(9)?,
        last_error_class: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
        completed_at: r.get(13)?,
    })
}

/// One execution of one step. The same (workflow, seq, attempt) is written first as an intent
/// (`running`) and then with its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRecord {
    pub id: String,
    pub workflow_id: String,
    pub seq: i64,
    pub name: String,
    pub attempt: i64,
    pub status: StepStatus,
    pub input: Option<String>,
    pub output: Option<String>,
    pub remote_id: Option<String>,
    pub error: Option<String>,
    pub error_class: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub duration_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTaskRow {
    pub id: String,
    pub workflow_id: String,
    pub crm: String,
    pub remote_task_id: String,
    pub contact_id: String,
    pub subject: String,
    pub priority: String,
    pub due_at: i64,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRow {
    pub id: String,
    pub workflow_id: String,
    pub crm: String,
    pub remote_task_id: String,
    pub contact_id: String,
    pub subject: String,
    pub priority: String,
    pub due_at: i64,
    pub status: String,
}

/// The workflow's own row after a batch of steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowProgress {
    pub workflow_id: String,
    pub status: WorkflowStatus,
    pub current_step: Option<String>,
    pub score: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_class: Option<String>,
    pub at: i64,
    pub finished: bool,
    /// The first write of a run: it counts the attempt.
    pub begins_attempt: bool,
}

/// One write of the pipeline; a batch of them commits atomically.
#[derive(Clone, Debug)]
pub enum PipelineWrite {
    Step(StepRecord),
    Draft(NewDraft),
    Task(NewTaskRow),
    Progress(WorkflowProgress),
    /// The lead resolved for a submission that only named a contact.
    ResolvedLead {
        submission_id: String,
        workflow_id: String,
        lead: Lead,
    },
    /// The end of the worker's job attempt, so job and workflow state commit together. Fails the
    /// whole batch when the worker no longer holds the job's lease.
    Job(super::jobs::JobFinish),
    /// What a step spent (connector calls, LLM tokens), counted for the workflow's tenant with
    /// the step's own record.
    Usage(super::usage::WorkflowUsage),
    /// A submission of an erased person (suppressed by their keyed reference): blank its lead,
    /// raw payload and step data, keeping only ids and the suppression match.
    Forget {
        submission_id: String,
        workflow_id: String,
    },
}

/// What the checked transaction before a side effect decided: the step's attempt number, whether
/// an earlier attempt exists (so the object is looked up before it is created), and the intent
/// (references) this attempt uses, reused from the latest earlier attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    pub attempt: i64,
    pub retrying: bool,
    pub input: Option<String>,
}

/// Who gives up on a failed run, and so counts it as a failed workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Settles {
    /// The run's job: its death or cancellation counts (a retryable failure does not).
    ByJob,
    /// Nobody retries a run outside the queue (`run`, an inline retry): its failure counts.
    ByRun,
}

/// What one transaction of pipeline writes carries besides the writes: who settles a failure,
/// and the usage its writes counted (written once, at its end).
struct Batch {
    settles: Settles,
    usage: WorkflowTally,
    /// The job whose end (a `PipelineWrite::Job` of the run's own lease) fenced the transaction
    /// in place of the lease check: its write settles the rest of that end.
    ended: Option<EndedJob>,
}

impl Batch {
    fn new(settles: Settles) -> Batch {
        Batch {
            settles,
            usage: WorkflowTally::default(),
            ended: None,
        }
    }
}

/// The usage a workflow's progress write counts: the end it reached. It is counted only when
/// the guarded UPDATE changed the row, so an end is counted once.
fn ending_metric(p: &WorkflowProgress, settles: Settles) -> Option<Metric> {
    match p.status {
        WorkflowStatus::Completed if p.finished => Some(Metric::WorkflowsCompleted),
        WorkflowStatus::Duplicate if p.finished => Some(Metric::Duplicates),
        WorkflowStatus::Failed if settles == Settles::ByRun => Some(Metric::WorkflowsFailed),
        _ => None,
    }
}

#[derive(Clone, Debug, Default)]
pub struct WorkflowFilter {
    pub status: Option<WorkflowStatus>,
    pub email: Option<String>,
    pub since: Option<i64>,
    pub limit: usize,
}

impl Store {
    pub fn resolve_workflow_id(&self, id: &str) -> Result<String> {
        resolve_id(&self.conn, "workflows", &self.tenant, id)
    }

    pub fn get_workflow(&self, id: &str) -> Result<WorkflowRow> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {WORKFLOW_COLUMNS} FROM workflows WHERE id = ?1 AND tenant_id = ?2"
        ))?;
        stmt.query_row((id, &self.tenant), workflow_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no workflow with id {id}")))
    }

    pub fn list_workflows(&self, filter: &WorkflowFilter) -> Result<Vec<WorkflowRow>> {
        Ok(self.list_workflows_page(filter)?.rows)
    }

    /// The list, and how many match in all when it was cut at `filter.limit`.
    pub fn list_workflows_page(&self, filter: &WorkflowFilter) -> Result<Page<WorkflowRow>> {
        self.workflow_query(filter).fetch_page(
            &self.conn,
            "created_at DESC, id DESC",
            filter.limit,
            workflow_from_row,
        )
    }

    /// The rows of the list that follow `cursor` (newest first), and whether more follow; no
    /// count, so a page of a huge list costs what its rows cost.
    pub fn list_workflows_after(
        &self,
        filter: &WorkflowFilter,
        cursor: Option<&Cursor>,
    ) -> Result<Slice<WorkflowRow>> {
        self.workflow_query(filter).after(cursor).fetch_slice(
            &self.conn,
            "created_at DESC, id DESC",
            filter.limit,
            workflow_from_row,
        )
    }

    fn workflow_query(&self, filter: &WorkflowFilter) -> ListQuery {
        ListQuery::new(
            &format!("SELECT {WORKFLOW_COLUMNS} FROM workflows WHERE tenant_id = ?1"),
            &self.tenant,
        )
        .filter("status = ?", filter.status)
        .filter("email = ?", filter.email.as_ref().map(|e| e.to_lowercase()))
        .filter("created_at >= ?", filter.since)
    }

    /// The workflow, when it may run (pending, running or failed), and its submission, in one
    /// read (a round trip on PostgreSQL); finished ones are refused. Nothing is written: the
    /// run's first batch marks it running (see `WorkflowProgress`). Whether the submission is
    /// synthetic (a probe's) is kept too, so the run's commits know whom their usage bills
    /// without reading it each (see `usage::Billing`).
    pub fn workflow_to_run(&self, id: &str) -> Result<(WorkflowRow, SubmissionRow)> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {}, {}
             FROM workflows w JOIN submissions s
               ON s.id = w.submission_id AND s.tenant_id = w.tenant_id
             WHERE w.id = ?1 AND w.tenant_id = ?2",
            prefixed("w.", WORKFLOW_COLUMNS),
            prefixed("s.", SUBMISSION_COLUMNS),
        ))?;
        let (row, submission) = stmt
            .query_row((id, &self.tenant), |r| {
                Ok((workflow_from_row(r)?, submission_from_row(r, 14)?))
            })
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no workflow with id {id}")))?;
        self.billing
            .remember(id, (!submission.synthetic).then(|| self.tenant.to_string()));
        if row.status.is_finished() {
            return Err(Error::Refused(format!(
                "workflow {id} is {} and cannot run again",
                row.status
            )));
        }
        Ok((row, submission))
    }

    /// Every step execution of a workflow, in pipeline order then attempt order.
    pub fn workflow_steps(&self, workflow_id: &str) -> Result<Vec<StepRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, workflow_id, seq, name, attempt,
                    CASE WHEN superseded_at IS NULL THEN status ELSE 'superseded' END,
                    input, output, remote_id, error,
                    error_class, started_at, finished_at, duration_ms
             FROM workflow_steps
             WHERE workflow_id = ?1
               AND workflow_id IN (SELECT id FROM workflows WHERE id = ?1 AND tenant_id = ?2)
             ORDER BY seq, attempt",
        )?;
        let rows = stmt
            .query_map(params![workflow_id, self.tenant], |r| {
                Ok(StepRecord {
                    id: r.get(0)?,
                    workflow_id: r.get(1)?,
                    seq: r.get(2)?,
                    name: r.get(3)?,
                    attempt: r.get(4)?,
                    status: r.get(5)?,
                    input: r.get(6)?,
                    output: r.get(7)?,
                    remote_id: r.get(8)?,
                    error: r.get(9)?,
                    error_class: r.get(10)?,
                    started_at: r.get(11)?,
                    finished_at: r.get(12)?,
                    duration_ms: r.get(13)?,
                })
            })?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Commits a batch of pipeline writes atomically. With a `lease` (a worker's run), the lease
    /// is checked and renewed first: a lost lease commits nothing and fails with `LeaseLost`.
    pub fn apply(&self, lease: Option<&Lease>, writes: &[PipelineWrite], now: i64) -> Result<()> {
        if writes.is_empty() && lease.is_none() {
            return Ok(());
        }
        // Outside a job nothing retries a failed run: its failure counts here. A job's failure
        // counts when the job dies or is cancelled (`finish_job_in`), not at every retry.
        let mut batch = Batch::new(if lease.is_some() {
            Settles::ByJob
        } else {
            Settles::ByRun
        });
        let ends_job = lease.and_then(|lease| {
            writes.iter().find_map(|w| match w {
                PipelineWrite::Job(finish) if finish.lease == *lease => Some(finish),
                _ => None,
            })
        });
        let tx = match ends_job {
            // The run's last commit ends its job: the end's guarded UPDATE checks the lease as
            // `check_lease` does (owner, attempt, running) and takes the job's row lock first, in
            // the check's place (one statement fewer); renewing a lease it releases is moot.
            Some(finish) => {
                let tx = self.conn.row_locked_tx()?;
                batch.ended = Some(end_job_in(&tx, finish)?);
                tx
            }
            None => self.run_tx(lease, now)?,
        };
        self.writes_in(&tx, writes, &mut batch)?;
        batch.usage.write_in(&tx, &self.billing)?;
        tx.commit()?;
        Ok(())
    }

    /// Commits `writes` and the intent of step `step` before its side effect, in one transaction
    /// checked by `lease`. Whether this is a retry, the attempt number and the intent itself
    /// (`make_input` from the latest earlier attempt's) are decided here, from the step rows as
    /// they are now, never from what the run read when it started.
    pub fn commit_intent(
        &self,
        lease: Option<&Lease>,
        writes: &[PipelineWrite],
        step: &StepRecord,
        make_input: &dyn Fn(Option<&str>) -> Option<String>,
        now: i64,
    ) -> Result<Intent> {
        let mut batch = Batch::new(Settles::ByJob);
        // On PostgreSQL the batch's step rows wait for the intent's and go in with it, one
        // statement for all (a round trip each otherwise). They are rows of other steps than
        // this one (the read below is of this step's rows only), and a batch before an intent
        // holds no write that reads or changes step rows after them (`Forget` ends a run).
        let defer_steps = self.conn.dialect() == Dialect::Postgres
            && writes.iter().all(|w| match w {
                PipelineWrite::Step(s) => s.workflow_id != step.workflow_id || s.seq != step.seq,
                PipelineWrite::Forget { .. } | PipelineWrite::Job(_) => false,
                _ => true,
            });
        // And the lease is checked in the statement of the workflow's progress UPDATE.
        let fenced = lease.zip(writes.iter().position(
            |w| matches!(w, PipelineWrite::Progress(p) if p.workflow_id == step.workflow_id),
        ));
        let tx;
        let mut steps: Vec<&StepRecord> = Vec::new();
        match fenced {
            Some((lease, at)) if defer_steps => {
                tx = self.conn.row_locked_tx()?;
                if let PipelineWrite::Progress(p) = &writes[at] {
                    lease_and_progress_in(&tx, &self.tenant, lease, now, p, &mut batch)?;
                }
                for (i, write) in writes.iter().enumerate() {
                    match write {
                        _ if i == at => {}
                        PipelineWrite::Step(s) => steps.push(s),
                        other => self.write_in(&tx, other, &mut batch)?,
                    }
                }
            }
            _ => {
                tx = self.run_tx(lease, now)?;
                if defer_steps {
                    for write in writes {
                        match write {
                            PipelineWrite::Step(s) => steps.push(s),
                            other => self.write_in(&tx, other, &mut batch)?,
                        }
                    }
                } else {
                    self.writes_in(&tx, writes, &mut batch)?;
                }
            }
        }
        if !writes
            .iter()
            .any(|w| matches!(w, PipelineWrite::Progress(p) if p.workflow_id == step.workflow_id))
        {
            lock_workflow_in(&tx, &self.tenant, &step.workflow_id)?;
        }
        // Read, then written below as the next attempt: the workflow's row lock (its progress
        // UPDATE in `writes`, or `lock_workflow_in`) is held to the commit, so every other commit
        // of this step's rows (a run of a later attempt, a lease-less `run`) waits for it and
        // then reads this attempt; two never take the same attempt number.
        let latest: Option<(i64, StepStatus, bool, Option<String>)> = tx
            .prepare_cached(
                "SELECT attempt, status, superseded_at IS NOT NULL, input FROM workflow_steps
                 WHERE workflow_id = ?1 AND seq = ?2
                   AND workflow_id IN (SELECT id FROM workflows WHERE id = ?1 AND tenant_id = ?3)
                 ORDER BY attempt DESC LIMIT 1",
            )?
            .query_row(params![step.workflow_id, step.seq, self.tenant], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        if let Some((attempt, status, false, _)) = &latest
            && *status == StepStatus::Completed
        {
            return Err(Error::Internal(format!(
                "step {} of workflow {} was completed (attempt {attempt}) by another run meanwhile",
                step.name, step.workflow_id
            )));
        }
        let intent = Intent {
            attempt: latest.as_ref().map_or(1, |l| l.0 + 1),
            retrying: latest.is_some(),
            input: make_input(latest.as_ref().and_then(|l| l.3.as_deref())),
        };
        let record = StepRecord {
            attempt: intent.attempt,
            status: StepStatus::Running,
            input: intent.input.clone(),
            ..step.clone()
        };
        steps.push(&record);
        // Last before the commit: a counter row's lock (another writer's on the same shard
        // waits for it) is held from here to the commit's end, its WAL flush included. On
        // PostgreSQL the counters go in the step rows' statement (a round trip fewer).
        let together = distinct_keys(&steps);
        if together && tx.dialect() == Dialect::Postgres {
            let counters = batch.usage.rows(&tx, &self.billing)?;
            insert_steps_counting_in(&tx, &steps, &counters)?;
        } else {
            if together {
                insert_steps_in(&tx, &steps)?;
            } else {
                for s in steps {
                    insert_steps_in(&tx, &[s])?;
                }
            }
            batch.usage.write_in(&tx, &self.billing)?;
        }
        tx.commit()?;
        Ok(intent)
    }

    /// The transaction of one commit of a run. With a lease (a worker's run) it is
    /// [`sql::Conn::row_locked_tx`], with the lease checked and renewed first: that guarded UPDATE
    /// takes the job's row lock and holds it to the commit, so this run's commits, the rescuer,
    /// a release and any other run of the job are serialised by that row, not by PostgreSQL's
    /// global write lock, and a commit that waited on the row while the lease was taken over
    /// re-checks owner and attempt on the newest row and fails `LeaseLost`, committing nothing.
    /// Why each write of `write_in` holds without the global lock is written beside it. Without
    /// a lease (`run`, an inline retry: no job to lock) it keeps the global write lock.
    fn run_tx(&self, lease: Option<&Lease>, now: i64) -> Result<sql::Transaction<'_>> {
        let Some(lease) = lease else {
            return self.write_tx();
        };
        let tx = self.conn.row_locked_tx()?;
        check_lease(&tx, lease, now)?;
        Ok(tx)
    }

    /// Applies `writes` in order. On PostgreSQL, where every statement is a round trip, the step
    /// records of a batch (it holds several, and its other writes between them: usage, the
    /// draft's and task's rows) go in one multi-row statement, at the first's place: no other
    /// write of a batch reads or changes step rows but `Forget`, which blanks them, so only a
    /// `Forget` keeps the records before it apart from those after. SQLite runs one cached
    /// statement per row (a function call each, and one plan in its statement cache).
    fn writes_in(
        &self,
        tx: &sql::Transaction<'_>,
        writes: &[PipelineWrite],
        batch: &mut Batch,
    ) -> Result<()> {
        if tx.dialect() == Dialect::Sqlite {
            for write in writes {
                self.write_in(tx, write, batch)?;
            }
            return Ok(());
        }
        if one_statement_fits(writes) {
            return self.writes_in_one_statement(tx, writes, batch);
        }
        for part in writes.split_inclusive(|w| matches!(w, PipelineWrite::Forget { .. })) {
            let steps = step_records(part);
            let together = steps.len() > 1 && distinct_keys(&steps);
            let mut steps_written = false;
            for write in part {
                match write {
                    PipelineWrite::Step(_) if together && steps_written => {}
                    PipelineWrite::Step(_) if together => {
                        insert_steps_in(tx, &steps)?;
                        steps_written = true;
                    }
                    other => self.write_in(tx, other, batch)?,
                }
            }
        }
        Ok(())
    }

    /// PostgreSQL: the step records, draft, task and progress of a batch ([`one_statement_fits`])
    /// in one statement, each a data-modifying CTE whose rows it counts (one round trip where
    /// they were one each: a run's final commit writes all four). Each part is the statement
    /// [`Store::write_in`] runs for it, guards included; they write four tables, so no part
    /// sees or waits for another's rows, and what a part's count decides (a draft counted only
    /// when inserted, a progress UPDATE that changed nothing refusing the batch) is decided from
    /// it as there. The batch's other writes (its usage, the job's end) follow in its order.
    fn writes_in_one_statement(
        &self,
        tx: &sql::Transaction<'_>,
        writes: &[PipelineWrite],
        batch: &mut Batch,
    ) -> Result<()> {
        enum Counted<'a> {
            Draft(&'a NewDraft),
            Progress(&'a WorkflowProgress),
        }
        let mut one = OneStatement::default();
        let steps = step_records(writes);
        if !steps.is_empty() {
            one.add(&UPSERT_STEPS.sql_for(steps.len()), steps_values(&steps));
        }
        let mut counted = Vec::new();
        let mut after = Vec::new();
        for write in writes {
            match write {
                PipelineWrite::Step(_) => {}
                PipelineWrite::Draft(d) => {
                    let part = one.add(INSERT_DRAFT, draft_values(&self.tenant, d));
                    counted.push((part, Counted::Draft(d)));
                }
                PipelineWrite::Task(t) => {
                    one.add(UPSERT_TASK, task_values(&self.tenant, t));
                }
                PipelineWrite::Progress(p) => {
                    let part = one.add(&progress_update(), progress_values(p, &self.tenant));
                    counted.push((part, Counted::Progress(p)));
                }
                other => after.push(other),
            }
        }
        let counts = one.run(tx)?;
        for (part, what) in counted {
            match what {
                Counted::Draft(d) if counts[part] == 1 => {
                    batch
                        .usage
                        .add(&d.workflow_id, d.created_at, Metric::DraftsCreated, 1);
                }
                Counted::Draft(_) => {}
                Counted::Progress(p) => {
                    progressed(p, usize::try_from(counts[part]).unwrap_or(0), batch)?;
                }
            }
        }
        for write in after {
            self.write_in(tx, write, batch)?;
        }
        Ok(())
    }

    /// The writes of a run's commit. Without the global write lock (see [`Store::run_tx`]) each
    /// holds by itself; rows are written in the order the pipeline buffers them (the job's row
    /// first, by the lease check; steps, drafts, tasks; the workflow's row; usage counters in
    /// (day, metric) order; the job again), and a deadlock with another order (an operator's
    /// write-locked command) fails the commit with a Transient error: the worker then commits
    /// the same batch again (`record_end`), or, for an intent, the attempt is retried, whose
    /// intent is read from the step rows as committed, so no second draft or task is made.
    fn write_in(
        &self,
        tx: &sql::Transaction<'_>,
        write: &PipelineWrite,
        batch: &mut Batch,
    ) -> Result<()> {
        match write {
            // Keyed by the unique (workflow, seq, attempt) with ON CONFLICT: a second writer of the
            // row waits on the index and updates it; a completed step is never reset (guard).
            PipelineWrite::Step(s) => insert_steps_in(tx, &[s])?,
            // One live draft per workflow (unique index, ON CONFLICT DO NOTHING): a second
            // insert waits on the index and inserts nothing, so it counts nothing.
            PipelineWrite::Draft(d) => {
                if insert_draft(tx, &self.tenant, d)? {
                    batch
                        .usage
                        .add(&d.workflow_id, d.created_at, Metric::DraftsCreated, 1);
                }
            }
            // Unique per workflow with ON CONFLICT: one row whoever writes it.
            PipelineWrite::Task(t) => {
                tx.prepare_cached(UPSERT_TASK)?
                    .execute(&task_values(&self.tenant, t)[..])?;
            }
            PipelineWrite::Progress(p) => {
                // A finished workflow is never moved back (a run that lost the race changes nothing).
                // The guard is in the UPDATE itself: a concurrent writer of the row waits for its
                // lock and re-checks the status on the newest row, so exactly one moves it to an
                // end, and only that one counts it (`changed`).
                let changed = tx
                    .prepare_cached(&progress_update())?
                    .execute(&progress_values(p, &self.tenant)[..])?;
                progressed(p, changed, batch)?;
            }
            PipelineWrite::ResolvedLead {
                submission_id,
                workflow_id,
                lead,
            } => {
                // This workflow's own rows, with what this run resolved; the runs of its job are
                // serialised by the job's row lock (the lease check).
                tx.prepare_cached(
                    "UPDATE submissions SET email = ?2, first_name = ?3, last_name = ?4,
                     company = ?5, job_title = ?6, phone = ?7 WHERE id = ?1 AND tenant_id = ?8",
                )?
                .execute(params![
                    submission_id,
                    lead.email,
                    lead.first_name,
                    lead.last_name,
                    lead.company,
                    lead.job_title,
                    lead.phone,
                    self.tenant
                ])?;
                tx.prepare_cached(
                    "UPDATE workflows SET email = ?2 WHERE id = ?1 AND tenant_id = ?3",
                )?
                .execute(params![workflow_id, lead.email, self.tenant])?;
            }
            // Guarded by the lease like the check (see `finish_job_in`).
            PipelineWrite::Job(finish) => match batch.ended.take_if(|e| e.lease == finish.lease) {
                Some(ended) => settle_job_in(tx, finish, &ended)?,
                None => super::jobs::finish_job_in(tx, finish)?,
            },
            // Counter UPSERTs (`n = n + excluded.n`): no read, each adds to what is there.
            PipelineWrite::Usage(usage) => batch.usage.add_usage(usage),
            // This workflow's own rows, as for `ResolvedLead`.
            PipelineWrite::Forget {
                submission_id,
                workflow_id,
            } => self.forget_submission_in(tx, submission_id, workflow_id)?,
        }
        Ok(())
    }

    pub fn task_for_workflow(&self, workflow_id: &str) -> Result<Option<TaskRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, workflow_id, crm, remote_task_id, contact_id, subject, priority, due_at, status
             FROM tasks WHERE workflow_id = ?1 AND tenant_id = ?2",
        )?;
        Ok(stmt
            .query_row(params![workflow_id, self.tenant], |r| {
                Ok(TaskRow {
                    id: r.get(0)?,
                    workflow_id: r.get(1)?,
                    crm: r.get(2)?,
                    remote_task_id: r.get(3)?,
                    contact_id: r.get(4)?,
                    subject: r.get(5)?,
                    priority: r.get(6)?,
                    due_at: r.get(7)?,
                    status: r.get(8)?,
                })
            })
            .optional()?)
    }
}

/// A workflow's progress UPDATE (`UPDATE workflows SET … WHERE …`, guarded: a finished workflow
/// is never moved back), its values bound by [`progress_values`].
fn progress_update() -> String {
    format!(
        "UPDATE workflows SET status = ?2, current_step = ?3, score = COALESCE(?4, score),
             last_error = ?5, last_error_class = ?6, updated_at = ?7,
             completed_at = CASE WHEN ?8 = 1 THEN ?7 ELSE completed_at END,
             attempts = attempts + ?9
         WHERE id = ?1 AND tenant_id = ?10 AND status IN {UNFINISHED_WORKFLOWS}"
    )
}

fn progress_values<'a>(
    p: &'a WorkflowProgress,
    tenant: &'a crate::domain::tenant::TenantId,
) -> Vec<&'a dyn sql::ToSql> {
    vec![
        &p.workflow_id,
        &p.status,
        &p.current_step,
        &p.score,
        &p.last_error,
        &p.last_error_class,
        &p.at,
        &p.finished,
        &p.begins_attempt,
        tenant,
    ]
}

/// What a progress UPDATE that changed `changed` rows means: none is a finished workflow, which
/// refuses the batch; an end reached is counted (once: only the UPDATE that moved it counts).
fn progressed(p: &WorkflowProgress, changed: usize, batch: &mut Batch) -> Result<()> {
    if changed == 0 {
        return Err(Error::Refused(format!(
            "workflow {} is finished and cannot move back to {}",
            p.workflow_id, p.status
        )));
    }
    if let Some(metric) = ending_metric(p, batch.settles) {
        batch.usage.add(&p.workflow_id, p.at, metric, 1);
    }
    Ok(())
}

/// On PostgreSQL, the lease check of an intent's commit and the workflow's progress UPDATE in
/// one statement (one round trip, where they were two): the lease's check (as [`check_lease`]:
/// the job's row read and locked `FOR NO KEY UPDATE` while owner and attempt hold) runs first,
/// as the progress UPDATE's one-time condition, so it takes the job's row lock before the
/// workflow's and, when the lease was lost, the workflow's row is not touched and the commit
/// fails `LeaseLost`, exactly as with the check on its own. The renewal, when due, is a
/// statement after it ([`renew_lease_if_due_in`]).
fn lease_and_progress_in(
    tx: &sql::Transaction<'_>,
    tenant: &crate::domain::tenant::TenantId,
    lease: &Lease,
    now: i64,
    p: &WorkflowProgress,
    batch: &mut Batch,
) -> Result<()> {
    let mut values = progress_values(p, tenant);
    values.extend([
        &lease.job_id as &dyn sql::ToSql,
        &lease.owner,
        &lease.attempt,
    ]);
    let (held, expires, changed): (i64, Option<i64>, i64) = tx
        .prepare_cached(&format!(
            "WITH lease AS MATERIALIZED (
                 SELECT id, lease_expires_at FROM jobs
                 WHERE id = ?11 AND lease_owner = ?12 AND attempt = ?13 AND state = 'running'
                   AND tenant_id = ?10
                 FOR NO KEY UPDATE),
             progressed AS ({} AND EXISTS (SELECT 1 FROM lease) RETURNING id)
             SELECT (SELECT COUNT(*) FROM lease), (SELECT MAX(lease_expires_at) FROM lease),
                 (SELECT COUNT(*) FROM progressed)",
            progress_update()
        ))?
        .query_row(&values[..], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    if held == 0 {
        return Err(super::jobs::lease_lost(lease));
    }
    renew_lease_if_due_in(tx, lease, expires, now)?;
    progressed(p, usize::try_from(changed).unwrap_or(0), batch)
}

/// Locks the workflow's row to the end of `tx` (a portable `SELECT … FOR UPDATE`: SQLite's
/// transactions hold the one write lock anyway), for a read-then-write of its step rows.
fn lock_workflow_in(tx: &sql::Transaction<'_>, tenant: &str, workflow_id: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE workflows SET updated_at = updated_at WHERE id = ?1 AND tenant_id = ?2",
    )?
    .execute(params![workflow_id, tenant])?;
    Ok(())
}

const STEP_COLUMNS: usize = 14;
// Not chunked like intake's batches: a padded chunk's repeated row would make this upsert touch
// a row twice, and a batch holds a handful of steps, so one statement of its size.
static UPSERT_STEPS: sql::MultiRow = sql::MultiRow::new(
    "INSERT INTO workflow_steps (id, workflow_id, seq, name, attempt, status, input,
         output, remote_id, error, error_class, started_at, finished_at, duration_ms)
     VALUES ",
    STEP_COLUMNS,
    " ON CONFLICT (workflow_id, seq, attempt) DO UPDATE SET
         status = excluded.status, output = excluded.output,
         remote_id = excluded.remote_id, error = excluded.error,
         error_class = excluded.error_class, finished_at = excluded.finished_at,
         duration_ms = excluded.duration_ms,
         input = COALESCE(excluded.input, workflow_steps.input)
     WHERE workflow_steps.status <> 'completed'",
);

/// The values of [`UPSERT_STEPS`]'s placeholders for `steps`, row by row.
fn steps_values<'a>(steps: &[&'a StepRecord]) -> Vec<&'a dyn sql::ToSql> {
    let mut values: Vec<&dyn sql::ToSql> = Vec::with_capacity(steps.len() * STEP_COLUMNS + 8);
    for s in steps {
        values.extend([
            &s.id as &dyn sql::ToSql,
            &s.workflow_id,
            &s.seq,
            &s.name,
            &s.attempt,
            &s.status,
            &s.input,
            &s.output,
            &s.remote_id,
            &s.error,
            &s.error_class,
            &s.started_at,
            &s.finished_at,
            &s.duration_ms,
        ]);
    }
    values
}

/// Inserts (or completes) step records in one statement: keyed by the unique (workflow, seq,
/// attempt) with ON CONFLICT, so a second writer of a row waits on the index and updates it; a
/// completed step is never reset (guard). PostgreSQL refuses one statement that updates a row
/// twice, so the keys of `steps` must be distinct ([`distinct_keys`]).
fn insert_steps_in(tx: &sql::Transaction<'_>, steps: &[&StepRecord]) -> Result<()> {
    insert_steps_counting_in(tx, steps, &[])
}

/// [`insert_steps_in`], and on PostgreSQL `counters` added to the usage counters in the same
/// statement (the UPSERT of `usage::upsert_counts`, after the steps' INSERT as a data-modifying
/// CTE: two tables, so neither part sees or waits for the other's rows); `counters` must be
/// empty on SQLite.
fn insert_steps_counting_in(
    tx: &sql::Transaction<'_>,
    steps: &[&StepRecord],
    counters: &[CounterRow],
) -> Result<()> {
    let mut sql = UPSERT_STEPS.sql_for(steps.len());
    if !counters.is_empty() {
        debug_assert_eq!(tx.dialect(), Dialect::Postgres);
        sql = format!(
            "WITH steps AS ({sql}) {}",
            upsert_counts_sql(counters.len(), steps.len() * STEP_COLUMNS + 1)
        );
    }
    let mut values = steps_values(steps);
    for (tenant, day, metric, n) in counters {
        values.extend([tenant as &dyn sql::ToSql, day, metric, n]);
    }
    tx.prepare_cached(&sql)?.execute(&values[..])?;
    Ok(())
}

/// The step records among `writes`, in order.
fn step_records(writes: &[PipelineWrite]) -> Vec<&StepRecord> {
    writes
        .iter()
        .filter_map(|w| match w {
            PipelineWrite::Step(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// Whether [`Store::writes_in_one_statement`] may write `writes`: more than one statement's
/// worth, every step record its own row ([`distinct_keys`]), at most one draft, task and
/// progress (a statement may not change a row twice), and nothing that changes those rows too
/// (`ResolvedLead`, `Forget`: they keep their place in the order).
fn one_statement_fits(writes: &[PipelineWrite]) -> bool {
    let (mut steps, mut drafts, mut tasks, mut progress) = (Vec::new(), 0, 0, 0);
    for write in writes {
        match write {
            PipelineWrite::Step(s) => steps.push(s),
            PipelineWrite::Draft(_) => drafts += 1,
            PipelineWrite::Task(_) => tasks += 1,
            PipelineWrite::Progress(_) => progress += 1,
            PipelineWrite::Usage(_) | PipelineWrite::Job(_) => {}
            PipelineWrite::ResolvedLead { .. } | PipelineWrite::Forget { .. } => return false,
        }
    }
    let parts = usize::from(!steps.is_empty()) + drafts + tasks + progress;
    parts > 1 && drafts <= 1 && tasks <= 1 && progress <= 1 && distinct_keys(&steps)
}

/// Statements run as one on PostgreSQL: each a data-modifying CTE (`pN AS (… RETURNING 1)`),
/// its placeholders moved past the parts' before it; the statement returns how many rows each
/// part changed.
#[derive(Default)]
struct OneStatement<'a> {
    parts: Vec<String>,
    values: Vec<&'a dyn sql::ToSql>,
}

impl<'a> OneStatement<'a> {
    /// Adds a part; returns its index in [`OneStatement::run`]'s counts.
    fn add(&mut self, sql: &str, values: impl IntoIterator<Item = &'a dyn sql::ToSql>) -> usize {
        let i = self.parts.len();
        let text = sql::renumbered(sql, self.values.len());
        self.parts.push(format!("p{i} AS ({text} RETURNING 1)"));
        self.values.extend(values);
        i
    }

    fn run(self, tx: &sql::Transaction<'_>) -> Result<Vec<i64>> {
        let n = self.parts.len();
        let counts: Vec<String> = (0..n)
            .map(|i| format!("(SELECT COUNT(*) FROM p{i})"))
            .collect();
        let text = format!(
            "WITH {} SELECT {}",
            self.parts.join(", "),
            counts.join(", ")
        );
        Ok(tx.prepare_cached(&text)?.query_row(&self.values[..], |r| {
            (0..n).map(|i| r.get::<_, i64>(i)).collect()
        })?)
    }
}

/// A workflow's task row, [`task_values`] bound: unique per workflow with ON CONFLICT, one row
/// whoever writes it.
const UPSERT_TASK: &str = "INSERT INTO tasks (id, tenant_id, workflow_id, crm, remote_task_id,
         contact_id, subject, priority, due_at, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
     ON CONFLICT (workflow_id) DO UPDATE SET remote_task_id = excluded.remote_task_id";

fn task_values<'a>(tenant: &'a dyn sql::ToSql, t: &'a NewTaskRow) -> [&'a dyn sql::ToSql; 10] {
    [
        &t.id,
        tenant,
        &t.workflow_id,
        &t.crm,
        &t.remote_task_id,
        &t.contact_id,
        &t.subject,
        &t.priority,
        &t.due_at,
        &t.created_at,
    ]
}

/// Whether no two of `steps` are the same (workflow, seq, attempt) row.
fn distinct_keys(steps: &[&StepRecord]) -> bool {
    let mut keys: Vec<(&str, i64, i64)> = steps
        .iter()
        .map(|s| (s.workflow_id.as_str(), s.seq, s.attempt))
        .collect();
    keys.sort_unstable();
    keys.windows(2).all(|w| w[0] != w[1])
}
