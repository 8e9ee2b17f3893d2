//! The 13-step pipeline, connector-agnostic and resumable.
//!
//! Each step execution is a `workflow_steps` row. Records are buffered and committed together:
//! before the draft and the task the buffer is flushed with that step's intent, and at the end;
//! so a crash loses only work that is safe to recompute (pure steps, and contact and company,
//! which are find-or-create). A retried workflow resumes at its first unfinished step; a draft or
//! task step that ran before looks its object up by a deterministic reference before creating it.
//!
//! A worker's run carries the job's [`Lease`]: every commit of the run checks it first, in the same
//! transaction, so a run whose lease was taken over stops (`Error::LeaseLost`) at its next commit,
//! before its next side effect; and whether a side-effect step is a retry is decided in that
//! checked commit, from the step rows as they are then.

mod recompose;
mod report;
mod steps;

use serde::{Deserialize, Serialize};

pub use report::{ComposerFacts, DraftView, StepView, TaskView, WorkflowReport};
pub use steps::{compose_request, guard_verdict, rejected_task_note, task_reference};

use crate::config::Config;
use crate::connectors::meter::Calls;
use crate::connectors::{Company, ComposedEmail, Connectors, Contact, Durable};
use crate::domain::lead::Lead;
use crate::domain::routing::Route;
use crate::domain::scoring::Score;
use crate::domain::time::now_ms;
use crate::error::{ErrorClass, Result};
use crate::store::{
    Lease, Metric, PipelineWrite, StepRecord, StepStatus, Store, UsageCounts, WorkflowProgress,
    WorkflowStatus, WorkflowUsage, new_id,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Validate,
    Suppression,
    Dedupe,
    Contact,
    Company,
    History,
    Score,
    Route,
    Compose,
    Guard,
    Draft,
    Task,
    Finalize,
}

pub const STEPS: [Step; 13] = [
    Step::Validate,
    Step::Suppression,
    Step::Dedupe,
    Step::Contact,
    Step::Company,
    Step::History,
    Step::Score,
    Step::Route,
    Step::Compose,
    Step::Guard,
    Step::Draft,
    Step::Task,
    Step::Finalize,
];

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Validate => "validate",
            Step::Suppression => "suppression",
            Step::Dedupe => "dedupe",
            Step::Contact => "contact",
            Step::Company => "company",
            Step::History => "history",
            Step::Score => "score",
            Step::Route => "route",
            Step::Compose => "compose",
            Step::Guard => "guard",
            Step::Draft => "draft",
            Step::Task => "task",
            Step::Finalize => "finalize",
        }
    }

    /// 1-based position in the pipeline.
    pub fn seq(self) -> i64 {
        STEPS.iter().position(|s| *s == self).unwrap_or(0) as i64 + 1
    }

    pub fn from_name(name: &str) -> Option<Step> {
        STEPS.into_iter().find(|s| s.name() == name)
    }

    /// Steps that change something outside the store (a probe skips them).
    pub fn has_side_effect(self) -> bool {
        matches!(
            self,
            Step::Contact | Step::Company | Step::Draft | Step::Task
        )
    }

    /// Side effects found again on a retry only through a committed intent (the draft's id, the
    /// fact that a task may exist). Contact and company are find-or-create by email and domain,
    /// idempotent by nature, so they need none and cost no extra commit.
    pub fn needs_intent(self) -> bool {
        matches!(self, Step::Draft | Step::Task)
    }
}

/// Workflow statuses as stored, for comparing with rows read back (one mapping: `store`).
pub mod status {
    use crate::store::WorkflowStatus;
    pub const PENDING: &str = WorkflowStatus::Pending.as_str();
    pub const RUNNING: &str = WorkflowStatus::Running.as_str();
    pub const COMPLETED: &str = WorkflowStatus::Completed.as_str();
    pub const DUPLICATE: &str = WorkflowStatus::Duplicate.as_str();
    pub const SUPPRESSED: &str = WorkflowStatus::Suppressed.as_str();
    pub const FAILED: &str = WorkflowStatus::Failed.as_str();
    /// The statuses a run ends in (`salesagent_workflows_finished_total` declares each at 0).
    pub const FINAL: [&str; 4] = [COMPLETED, DUPLICATE, SUPPRESSED, FAILED];
}

/// What earlier dealings with the lead the pipeline found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub previous_drafts: u32,
    pub last_draft_subject: Option<String>,
    pub last_draft_at: Option<i64>,
    pub thread_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub crm_open_tasks: u32,
    pub crm_total_tasks: u32,
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftRef {
    pub draft_id: String,
    pub message_id: String,
    pub remote_draft_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRef {
    pub task_id: String,
    pub remote_task_id: String,
    pub due_at: i64,
}

/// Everything the steps have established so far; rebuilt from step outputs on resume.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    lead: Option<Lead>,
    contact: Option<Contact>,
    company: Option<Company>,
    history: Option<History>,
    score: Option<Score>,
    route: Option<Route>,
    composed: Option<ComposedEmail>,
    draft: Option<DraftRef>,
    /// The draft step ran in this run (not restored): its row is held back to the run's final
    /// commit (`ContinueOnceDurable`), so the store has no draft of this workflow yet.
    draft_held_back: bool,
    task: Option<TaskRef>,
    /// What the dedupe step would find for this address (the earlier workflow, if any), read
    /// with the suppression check in its statement; the dedupe step of this run uses it.
    duplicate_read: Option<(String, Option<String>)>,
}

/// How a failed step failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepFailure {
    pub step: Step,
    pub class: ErrorClass,
    pub message: String,
    pub retry_after_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub workflow_id: String,
    pub status: WorkflowStatus,
    pub failure: Option<StepFailure>,
}

/// Lets the caller (the worker) fence the run with its job's lease, add its own writes (the job's
/// state) to the batch that finishes the workflow, so workflow and job never disagree, and decide
/// how hard to try committing that batch.
pub trait FinishHook {
    /// The lease every commit of this run checks first; None outside a job (`run`, `retry`).
    fn lease(&self) -> Option<&Lease> {
        None
    }
    fn on_finish(&self, outcome: &Outcome, writes: &mut Vec<PipelineWrite>);
    /// Commits the final batch (`commit` does it once). The default tries once.
    fn commit_final(&self, commit: &dyn Fn() -> Result<()>) -> Result<()> {
        commit()
    }
}

/// The default: nothing to add.
pub struct NoHook;

impl FinishHook for NoHook {
    fn on_finish(&self, _: &Outcome, _: &mut Vec<PipelineWrite>) {}
}

pub struct Pipeline<'a> {
    pub store: &'a Store,
    pub connectors: &'a Connectors,
    pub config: &'a Config,
}

/// What one step did.
pub(crate) enum StepResult {
    Continue {
        output: serde_json::Value,
        remote_id: Option<String>,
        writes: Vec<PipelineWrite>,
    },
    /// Like `Continue`, for a step whose effect is done but not durable yet (a draft file being
    /// synced): its record and `writes` are held back and commit with the run's final commit,
    /// after `durable` is ready; the steps after it run meanwhile.
    ContinueOnceDurable {
        output: serde_json::Value,
        remote_id: Option<String>,
        writes: Vec<PipelineWrite>,
        durable: Durable,
    },
    /// The workflow ends here with this status (duplicate, suppressed); later steps are skipped.
    /// `writes` commit after the step rows (so they may change them).
    Stop {
        status: WorkflowStatus,
        output: serde_json::Value,
        writes: Vec<PipelineWrite>,
    },
}

/// The writes of steps whose effects were not durable yet when they completed (`ContinueOnceDurable`),
/// held back from the commits in between.
#[derive(Default)]
struct HeldBack {
    writes: Vec<PipelineWrite>,
    durable: Vec<Durable>,
}

/// A run that reached its final commit while an effect it records was not durable yet: the
/// commit is made by [`Pipeline::complete`], once it is, so the caller can run another workflow
/// meanwhile. Its job's lease must be kept (renewed) until then.
pub struct PendingFinish {
    /// The run's span (workflow and trace ids), entered again for the final commit.
    span: tracing::Span,
    outcome: Outcome,
    step: Option<Step>,
    run: RunSoFar,
}

impl PendingFinish {
    /// Whether [`Pipeline::complete`] would commit without waiting.
    pub fn is_ready(&self) -> bool {
        self.run.held.durable.iter().all(Durable::is_ready)
    }
}

/// What a run has gathered on its way through the steps: their state, the writes of the next
/// commit, the writes held back for effects not yet durable, and whether an attempt has begun.
#[derive(Default)]
struct RunSoFar {
    state: State,
    batch: Vec<PipelineWrite>,
    held: HeldBack,
    begun: bool,
}

/// How [`Pipeline::start`] left a run.
pub enum Run {
    Finished(Outcome),
    /// Boxed: a run's state is large, and most runs finish at once.
    Pending(Box<PendingFinish>),
}

impl Pipeline<'_> {
    pub fn run(&self, workflow_id: &str) -> Result<Outcome> {
        self.run_with(workflow_id, &NoHook)
    }

    /// Runs the workflow from its first unfinished step to the end or to a failure. Step failures
    /// are recorded and returned in the outcome; only store failures are errors.
    pub fn run_with(&self, workflow_id: &str, hook: &dyn FinishHook) -> Result<Outcome> {
        match self.start(workflow_id, hook)? {
            Run::Finished(outcome) => Ok(outcome),
            Run::Pending(pending) => self.complete(*pending, hook),
        }
    }

    /// Runs the workflow like [`Pipeline::run_with`], but when its final commit would have to
    /// wait for an effect to become durable (a draft file being synced), returns that commit
    /// undone: [`Pipeline::complete`] makes it later.
    pub fn start(&self, workflow_id: &str, hook: &dyn FinishHook) -> Result<Run> {
        let (workflow, submission) = self.store.workflow_to_run(workflow_id)?;
        // Every log line of this workflow carries its id and the trace id minted at intake.
        let span = tracing::info_span!(
            "workflow",
            workflow_id,
            trace_id = %workflow.trace_id,
            attempt = workflow.attempts + 1
        );
        let _entered = span.enter();
        // A run's first commit counts its attempt, in the transaction that writes its first step
        // rows: a workflow no run has committed for has none to read.
        let previous = if workflow.attempts == 0 {
            Vec::new()
        } else {
            self.store.workflow_steps(workflow_id)?
        };
        let mut run = RunSoFar::default();
        let latest = |step: Step| previous.iter().rev().find(|r| r.seq == step.seq());

        for step in STEPS {
            let prior = latest(step);
            if let Some(done) = prior.filter(|r| r.status == StepStatus::Completed) {
                steps::restore(step, done.output.as_deref(), &mut run.state)?;
                continue;
            }
            let started_at = now_ms();
            let timer = std::time::Instant::now();
            let mut record = StepRecord {
                id: new_id(),
                workflow_id: workflow_id.to_string(),
                seq: step.seq(),
                name: step.name().to_string(),
                attempt: prior.map_or(1, |r| r.attempt + 1),
                status: StepStatus::Running,
                input: None,
                output: None,
                remote_id: None,
                error: None,
                error_class: None,
                started_at,
                finished_at: None,
                duration_ms: None,
            };
            let (intent, retrying) = if step.needs_intent() {
                run.batch.push(PipelineWrite::Progress(progress(
                    workflow_id,
                    WorkflowStatus::Running,
                    Some(step),
                    &run.state,
                )));
                let committed =
                    self.commit_intent(&mut run.batch, &mut run.begun, &record, hook)?;
                record.attempt = committed.attempt;
                record.input = committed.input.clone();
                let intent = committed
                    .input
                    .as_deref()
                    .and_then(|i| serde_json::from_str(i).ok());
                (intent, committed.retrying)
            } else {
                let intent = if step.has_side_effect() {
                    steps::intent(step, workflow_id, prior.and_then(|r| r.input.as_deref()))
                } else {
                    None
                };
                record.input = intent.as_ref().map(|v| v.to_string());
                (intent, prior.is_some())
            };
            let ctx = steps::Context {
                pipeline: self,
                workflow_id,
                submission: &submission,
                intent: intent.as_ref(),
                retrying,
            };
            let calls_before = self.connectors.meter.reading();
            let result = steps::execute(step, &ctx, &mut run.state);
            let calls = self.connectors.meter.reading().since(calls_before);
            if let Some(usage) = spent(workflow_id, step, calls, &result, &run.state) {
                run.batch.push(PipelineWrite::Usage(usage));
            }
            let elapsed = timer.elapsed();
            crate::metrics::observe(
                "salesagent_step_duration_seconds",
                &[("step", step.name())],
                elapsed.as_secs_f64(),
            );
            record.finished_at = Some(now_ms());
            record.duration_ms = Some(elapsed.as_millis() as i64);
            match result {
                Ok(StepResult::Continue {
                    output,
                    remote_id,
                    writes,
                }) => {
                    run.batch.push(completed(record, &output, remote_id));
                    run.batch.extend(writes);
                }
                Ok(StepResult::ContinueOnceDurable {
                    output,
                    remote_id,
                    writes,
                    durable,
                }) => {
                    run.held.writes.push(completed(record, &output, remote_id));
                    run.held.writes.extend(writes);
                    run.held.durable.push(durable);
                }
                Ok(StepResult::Stop {
                    status,
                    output,
                    writes,
                }) => {
                    run.batch.push(completed(record, &output, None));
                    for later in STEPS.iter().filter(|s| s.seq() > step.seq()) {
                        run.batch.push(PipelineWrite::Step(skipped(
                            workflow_id,
                            *later,
                            started_at,
                        )));
                    }
                    run.batch.extend(writes);
                    let outcome = Outcome {
                        workflow_id: workflow_id.to_string(),
                        status,
                        failure: None,
                    };
                    return self.end(outcome, Some(step), run, hook);
                }
                Err(error) => {
                    let failure = failed(workflow_id, step, &error, &mut record);
                    run.batch.push(PipelineWrite::Step(record));
                    let outcome = Outcome {
                        workflow_id: workflow_id.to_string(),
                        status: WorkflowStatus::Failed,
                        failure: Some(failure),
                    };
                    return self.end(outcome, Some(step), run, hook);
                }
            }
        }
        let outcome = Outcome {
            workflow_id: workflow_id.to_string(),
            status: WorkflowStatus::Completed,
            failure: None,
        };
        self.end(outcome, Some(Step::Finalize), run, hook)
    }

    /// The run's final commit now, or undone when it would have to wait (see [`Pipeline::start`]).
    fn end(
        &self,
        outcome: Outcome,
        step: Option<Step>,
        run: RunSoFar,
        hook: &dyn FinishHook,
    ) -> Result<Run> {
        let pending = PendingFinish {
            span: tracing::Span::current(),
            outcome,
            step,
            run,
        };
        if pending.is_ready() {
            self.complete(pending, hook).map(Run::Finished)
        } else {
            Ok(Run::Pending(Box::new(pending)))
        }
    }

    /// Makes a run's final commit once every effect it records is durable. An effect that did
    /// not become durable (a draft file whose sync failed) is not recorded: its step fails, and
    /// what the steps after it did is dropped but their usage, to be found again through their
    /// committed intents on the retry (the task by its reference).
    pub fn complete(&self, pending: PendingFinish, hook: &dyn FinishHook) -> Result<Outcome> {
        let span = pending.span.clone();
        let _entered = span.enter();
        let mut p = pending;
        // Every effect is waited for, even after one failed: none is left in flight unseen.
        let mut not_durable = None;
        for durable in std::mem::take(&mut p.run.held.durable) {
            if let Err(e) = durable.wait() {
                not_durable.get_or_insert(e);
            }
        }
        let mut writes = std::mem::take(&mut p.run.held.writes);
        if let Some(error) = not_durable {
            p.run.batch.retain(|w| matches!(w, PipelineWrite::Usage(_)));
            writes.retain(|w| matches!(w, PipelineWrite::Step(_) | PipelineWrite::Usage(_)));
            for write in &mut writes {
                if let PipelineWrite::Step(record) = write {
                    let failed_step = Step::from_name(&record.name).unwrap_or(Step::Draft);
                    record.output = None;
                    record.remote_id = None;
                    let failure = failed(&p.outcome.workflow_id, failed_step, &error, record);
                    p.step = Some(failed_step);
                    p.outcome.status = WorkflowStatus::Failed;
                    p.outcome.failure.get_or_insert(failure);
                }
            }
        }
        writes.append(&mut p.run.batch);
        self.finish(p.outcome, p.step, &p.run.state, writes, p.run.begun, hook)
    }

    /// Commits the buffered writes with the intent of the side-effect step `record` (fenced by the
    /// run's lease); the run's first commit also counts its attempt.
    fn commit_intent(
        &self,
        batch: &mut Vec<PipelineWrite>,
        begun: &mut bool,
        record: &StepRecord,
        hook: &dyn FinishHook,
    ) -> Result<crate::store::Intent> {
        if !*begun {
            for write in batch.iter_mut() {
                if let PipelineWrite::Progress(p) = write {
                    p.begins_attempt = true;
                    break;
                }
            }
        }
        let step = Step::from_name(&record.name).unwrap_or(Step::Finalize);
        let workflow_id = record.workflow_id.as_str();
        let make_input = |previous: Option<&str>| {
            steps::intent(step, workflow_id, previous).map(|v| v.to_string())
        };
        let intent =
            self.store
                .commit_intent(hook.lease(), batch, record, &make_input, now_ms())?;
        *begun = true;
        batch.clear();
        Ok(intent)
    }

    fn finish(
        &self,
        outcome: Outcome,
        step: Option<Step>,
        state: &State,
        mut batch: Vec<PipelineWrite>,
        begun: bool,
        hook: &dyn FinishHook,
    ) -> Result<Outcome> {
        let mut p = progress(&outcome.workflow_id, outcome.status, step, state);
        p.begins_attempt = !begun;
        if let Some(f) = &outcome.failure {
            p.last_error = Some(f.message.clone());
            p.last_error_class = Some(f.class.as_str().into());
        }
        p.finished = outcome.status != WorkflowStatus::Failed;
        tracing::info!(
            status = outcome.status.as_str(),
            step = step.map(Step::name),
            "workflow finished"
        );
        batch.push(PipelineWrite::Progress(p));
        hook.on_finish(&outcome, &mut batch);
        hook.commit_final(&|| self.store.apply(hook.lease(), &batch, now_ms()))?;
        crate::metrics::inc(
            "salesagent_workflows_finished_total",
            &[("status", outcome.status.as_str())],
        );
        Ok(outcome)
    }
}

/// The step's record, completed with its output.
fn completed(
    mut record: StepRecord,
    output: &serde_json::Value,
    remote_id: Option<String>,
) -> PipelineWrite {
    record.status = StepStatus::Completed;
    record.output = Some(output.to_string());
    record.remote_id = remote_id;
    PipelineWrite::Step(record)
}

/// Marks `record` failed by `error` (logged without the lead's addresses) and says how.
fn failed(
    workflow_id: &str,
    step: Step,
    error: &crate::error::Error,
    record: &mut StepRecord,
) -> StepFailure {
    let failure = StepFailure {
        step,
        class: error.class(),
        message: error.to_string(),
        retry_after_ms: error.retry_after().map(|d| d.as_millis() as u64),
    };
    tracing::info!(
        workflow_id,
        step = step.name(),
        class = failure.class.as_str(),
        error = %crate::domain::lead::mask_emails(&failure.message),
        "step failed"
    );
    record.status = StepStatus::Failed;
    record.error = Some(failure.message.clone());
    record.error_class = Some(failure.class.as_str().into());
    failure
}

/// What a step spent, counted with its record: the CRM and mailbox operations it made and, for a
/// completed compose, the model's tokens. None when it spent nothing.
fn spent(
    workflow_id: &str,
    step: Step,
    calls: Calls,
    result: &Result<StepResult>,
    state: &State,
) -> Option<WorkflowUsage> {
    let mut counts = UsageCounts::default();
    counts.add(Metric::CrmCalls, calls.crm);
    counts.add(Metric::MailboxCalls, calls.mailbox);
    if step == Step::Compose
        && result.is_ok()
        && let Some(composed) = &state.composed
    {
        let tokens = |n: Option<u32>| u64::from(n.unwrap_or(0));
        counts.add(Metric::LlmPromptTokens, tokens(composed.prompt_tokens));
        counts.add(
            Metric::LlmCompletionTokens,
            tokens(composed.completion_tokens),
        );
    }
    (counts != UsageCounts::default()).then(|| WorkflowUsage {
        workflow_id: workflow_id.to_string(),
        at: now_ms(),
        counts,
    })
}

fn progress(
    workflow_id: &str,
    status: WorkflowStatus,
    step: Option<Step>,
    state: &State,
) -> WorkflowProgress {
    WorkflowProgress {
        workflow_id: workflow_id.to_string(),
        status,
        current_step: step.map(|s| s.name().to_string()),
        score: state.score.as_ref().map(|s| s.value),
        last_error: None,
        last_error_class: None,
        at: now_ms(),
        finished: false,
        begins_attempt: false,
    }
}

fn skipped(workflow_id: &str, step: Step, at: i64) -> StepRecord {
    StepRecord {
        id: new_id(),
        workflow_id: workflow_id.to_string(),
        seq: step.seq(),
        name: step.name().to_string(),
        attempt: 1,
        status: StepStatus::Skipped,
        input: None,
        output: None,
        remote_id: None,
        error: None,
        error_class: None,
        started_at: at,
        finished_at: Some(at),
        duration_ms: Some(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::local::{LocalCrm, LocalMailbox, TemplateComposer};
    use crate::connectors::{Mailbox, MailboxDraft, OutgoingEmail, SentMessage};
    use crate::error::ConnectorError;

    /// The embedded mailbox, but every new draft's sync fails a moment after it was written (as
    /// a full or failing disk would), reported through the draft's `Durable`.
    struct FailingSync(LocalMailbox);

    impl Mailbox for FailingSync {
        fn service(&self) -> &'static str {
            self.0.service()
        }
        fn find_draft(&self, email: &OutgoingEmail) -> Result<Option<MailboxDraft>> {
            self.0.find_draft(email)
        }
        fn create_draft(&self, email: &OutgoingEmail) -> Result<MailboxDraft> {
            let (draft, durable) = self.start_draft(email)?;
            durable.wait().map(|()| draft)
        }
        fn start_draft(&self, email: &OutgoingEmail) -> Result<(MailboxDraft, Durable)> {
            let (draft, written) = self.0.start_draft(email)?;
            let (durable, done) = Durable::pending("local_mailbox");
            std::thread::spawn(move || {
                let _ = written.wait();
                std::thread::sleep(std::time::Duration::from_millis(50));
                done.complete(Err(ConnectorError::new(
                    "local_mailbox",
                    ErrorClass::Transient,
                    "injected: fsync failed",
                )));
            });
            Ok((draft, durable))
        }
        fn draft_exists(&self, id: &str) -> Result<bool> {
            self.0.draft_exists(id)
        }
        fn update_draft(&self, id: &str, email: &OutgoingEmail) -> Result<MailboxDraft> {
            self.0.update_draft(id, email)
        }
        fn delete_draft(&self, id: &str) -> Result<()> {
            self.0.delete_draft(id)
        }
        fn send_draft(&self, id: &str) -> Result<SentMessage> {
            self.0.send_draft(id)
        }
    }

    fn connectors(db: &std::path::Path, mailbox: Box<dyn Mailbox>) -> Connectors {
        let tenant = crate::domain::tenant::TenantId::default_tenant();
        Connectors {
            crm: Box::new(LocalCrm::open(db, &tenant).unwrap()),
            mailbox,
            composer: Box::new(TemplateComposer),
            meter: Default::default(),
        }
    }

    #[test]
    fn a_draft_that_did_not_become_durable_commits_no_row_and_the_retry_finds_its_effects() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let tenant = crate::domain::tenant::TenantId::default_tenant();
        let store = Store::open(&db, &tenant).unwrap();
        let (workflow_id, _) =
            crate::store::test_support::enqueue(&store, crate::store::test_support::SEED);
        let config = Config::default();
        let mail = dir.path().join("mail");
        let failing = connectors(&db, Box::new(FailingSync(LocalMailbox::new(&mail))));
        let pipeline = Pipeline {
            store: &store,
            connectors: &failing,
            config: &config,
        };
        // The run reaches its final commit while the draft is still "syncing": it comes back
        // pending, and completing it commits no draft row.
        let Run::Pending(pending) = pipeline.start(&workflow_id, &NoHook).unwrap() else {
            panic!("the run did not wait for its draft");
        };
        let outcome = pipeline.complete(*pending, &NoHook).unwrap();
        assert_eq!(outcome.status, WorkflowStatus::Failed);
        let failure = outcome.failure.unwrap();
        assert_eq!(failure.step, Step::Draft);
        assert!(failure.message.contains("injected"), "{}", failure.message);
        assert!(store.draft_for_workflow(&workflow_id).unwrap().is_none());
        let steps = store.workflow_steps(&workflow_id).unwrap();
        let latest = |name: &str| {
            steps
                .iter()
                .rev()
                .find(|s| s.name == name)
                .map(|s| s.status)
        };
        assert_eq!(latest("draft"), Some(StepStatus::Failed));
        // The task was created (its intent committed first) but its result not recorded.
        assert_eq!(latest("task"), Some(StepStatus::Running));
        // The retry, with a disk that syncs: the draft and the task are found again, not doubled.
        let working = connectors(&db, Box::new(LocalMailbox::new(&mail)));
        let pipeline = Pipeline {
            store: &store,
            connectors: &working,
            config: &config,
        };
        let outcome = pipeline.run(&workflow_id).unwrap();
        assert_eq!(outcome.status, WorkflowStatus::Completed, "{outcome:?}");
        assert!(store.draft_for_workflow(&workflow_id).unwrap().is_some());
        assert_eq!(store.crm_tasks(10).unwrap().rows.len(), 1);
        let files = std::fs::read_dir(mail.join("drafts")).unwrap().count();
        assert_eq!(files, 1);
    }

    #[test]
    fn steps_are_numbered_and_named_in_order() {
        assert_eq!(STEPS.len(), 13);
        assert_eq!(Step::Validate.seq(), 1);
        assert_eq!(Step::Finalize.seq(), 13);
        for s in STEPS {
            assert_eq!(Step::from_name(s.name()), Some(s));
        }
        let effects: Vec<_> = STEPS.iter().filter(|s| s.has_side_effect()).collect();
        assert_eq!(effects.len(), 4);
    }
}
