//! Reconciliation for cron: compares the store with the mailbox and the CRM, finds drift (orphan
//! and vanished drafts, missing tasks, duplicate drafts, stuck workflows, dead-letter growth),
//! applies only safe repairs with `fix`, and stores a report of every run. Never sends and never
//! deletes a mailbox draft. Prints nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Config;
use crate::connectors::{Connectors, NewTask};
use crate::domain::time::{add_business_days, now_ms, rfc3339};
use crate::error::{Error, Result};
use crate::orchestrator::task_reference;
use crate::store::{
    NewTaskRow, PipelineWrite, ReportRow, StepStatus, Store, WorkflowRequeue, WorkflowStatus,
    lock_owner, new_id, owner_is_gone,
};

/// The lock two runs of one tenant must not share.
const LOCK: &str = "reconcile";

/// The tenant's reconcile lock: `reconcile` for `default` (as it always was), `reconcile:<slug>`
/// for a declared tenant, so one tenant's cron run never blocks another's.
fn lock_name(tenant: &crate::domain::tenant::TenantId) -> String {
    if tenant.is_default() {
        LOCK.to_string()
    } else {
        format!("{LOCK}:{tenant}")
    }
}
/// A run's lock lasts at most this long (a killed run's is taken over sooner: its pid is gone).
const LOCK_MS: i64 = 3_600_000;
/// Drafts and tasks are read in pages of this many, so memory stays flat however many there are.
const PAGE: usize = 1000;
/// Stuck workflows are requeued on this queue.
const REQUEUE_QUEUE: &str = "normal";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    OrphanDrafts,
    MissingDrafts,
    MissingTasks,
    DuplicateDrafts,
    StuckWorkflows,
    StuckSends,
    DeadLetters,
}

impl Check {
    pub const ALL: [Check; 7] = [
        Check::OrphanDrafts,
        Check::MissingDrafts,
        Check::MissingTasks,
        Check::DuplicateDrafts,
        Check::StuckWorkflows,
        Check::StuckSends,
        Check::DeadLetters,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Check::OrphanDrafts => "orphan-drafts",
            Check::MissingDrafts => "missing-drafts",
            Check::MissingTasks => "missing-tasks",
            Check::DuplicateDrafts => "duplicate-drafts",
            Check::StuckWorkflows => "stuck-workflows",
            Check::StuckSends => "stuck-sends",
            Check::DeadLetters => "dead-letters",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Check::OrphanDrafts => "drafts whose workflow is missing, failed or cancelled",
            Check::MissingDrafts => "drafts recorded but gone from the mailbox",
            Check::MissingTasks => {
                "completed workflows without a task, and tasks missing in the CRM"
            }
            Check::DuplicateDrafts => {
                "more than one draft for the same email and form within the dedupe window"
            }
            Check::StuckWorkflows => {
                "workflows running past their lease or without progress, or pending without a job"
            }
            Check::StuckSends => {
                "drafts left `sending` by a process that died between the claim and the mailbox's answer"
            }
            Check::DeadLetters => "dead letters added since the last report",
        }
    }

    pub fn parse(name: &str) -> Result<Check> {
        Check::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Check::ALL.iter().map(|c| c.name()).collect();
                Error::InvalidInput(format!(
                    "unknown check {name:?}; the checks are: {}",
                    names.join(", ")
                ))
            })
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub fix: bool,
    /// Only objects created at or after this time (epoch ms).
    pub since: Option<i64>,
    pub checks: Vec<Check>,
    /// A running workflow with no progress for this long is stuck.
    pub stuck_after_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub check: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    pub detail: String,
    /// What `--fix` did about it, when it did something.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    pub fixed: bool,
}

impl Finding {
    fn new(check: Check, kind: &str, detail: String) -> Finding {
        Finding {
            check: check.name().into(),
            kind: kind.into(),
            workflow_id: None,
            draft_id: None,
            task_id: None,
            detail,
            fix: None,
            fixed: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub id: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub fix_mode: bool,
    pub checks: Vec<String>,
    pub findings: Vec<Finding>,
    /// The fixes applied, one line each.
    pub fixes: Vec<String>,
    /// Dead letters in the store when the run finished.
    pub dead_letters: i64,
    pub found: usize,
    pub fixed: usize,
    /// Findings left after the run (`reconcile` exits 10 when this is not zero).
    pub remaining: usize,
}

impl Report {
    /// A stored report, as `reconcile reports` and `reconcile report ID` show it.
    pub fn from_row(row: &ReportRow) -> Report {
        let findings: Vec<Finding> = serde_json::from_str(&row.findings).unwrap_or_default();
        let fixed = findings.iter().filter(|f| f.fixed).count();
        Report {
            id: row.id.clone(),
            started_at: rfc3339(row.started_at),
            finished_at: row.finished_at.map(rfc3339),
            duration_ms: row.finished_at.map(|f| f - row.started_at),
            fix_mode: row.fix_mode,
            checks: serde_json::from_str(&row.checks).unwrap_or_default(),
            fixes: serde_json::from_str(&row.fixes).unwrap_or_default(),
            dead_letters: row.dead_letters,
            found: findings.len(),
            fixed,
            remaining: findings.len() - fixed,
            findings,
        }
    }
}

struct Run<'a> {
    store: &'a Store,
    connectors: &'a Connectors,
    config: &'a Config,
    options: &'a Options,
    since: i64,
    now: i64,
    findings: Vec<Finding>,
}

/// Runs the checks under the store's `reconcile` lock and stores the report.
pub fn run(
    store: &Store,
    connectors: &Connectors,
    config: &Config,
    options: &Options,
) -> Result<Report> {
    let owner = lock_owner();
    let lock = lock_name(store.tenant());
    let started_at = now_ms();
    if let Some(holder) = store.try_lock(
        &lock,
        &owner,
        started_at,
        started_at + LOCK_MS,
        &owner_is_gone,
    )? {
        return Err(Error::Refused(format!(
            "another reconcile is running ({}, since {}); this run did nothing\n\
             hint: let it finish; a killed run's lock is taken over automatically",
            holder.owner,
            rfc3339(holder.acquired_at)
        )));
    }
    let result = run_locked(store, connectors, config, options, started_at);
    let _ = store.unlock(&lock, &owner);
    result
}

fn run_locked(
    store: &Store,
    connectors: &Connectors,
    config: &Config,
    options: &Options,
    started_at: i64,
) -> Result<Report> {
    // Growth is counted from the last run that looked at dead letters, not from any run.
    let previous = store.latest_report_with_check(Check::DeadLetters.name())?;
    let mut run = Run {
        store,
        connectors,
        config,
        options,
        since: options.since.unwrap_or(i64::MIN),
        now: started_at,
        findings: Vec::new(),
    };
    let mut checks = options.checks.clone();
    checks.sort();
    checks.dedup();
    for check in &checks {
        let outcome = match check {
            Check::OrphanDrafts => run.orphan_drafts(),
            Check::MissingDrafts => run.missing_drafts(),
            Check::MissingTasks => run.missing_tasks(),
            Check::DuplicateDrafts => run.duplicate_drafts(),
            Check::StuckWorkflows => run.stuck_workflows(),
            Check::StuckSends => run.stuck_sends(),
            Check::DeadLetters => run.dead_letters(previous.as_ref().map(|r| r.started_at)),
        };
        if let Err(e) = outcome {
            // A check that cannot run (a provider down) is itself a finding: cron must hear of it.
            run.findings.push(Finding::new(
                *check,
                "check_failed",
                format!("the check could not run: {e}"),
            ));
        }
    }
    let (_, dead_letters) = store.dead_letter_counts(None)?;
    let finished_at = now_ms();
    let fixes: Vec<String> = run.findings.iter().filter_map(|f| f.fix.clone()).collect();
    let names: Vec<&str> = checks.iter().map(|c| c.name()).collect();
    let row = ReportRow {
        id: new_id(),
        started_at,
        finished_at: Some(finished_at),
        checks: serde_json::to_string(&names).unwrap_or_else(|_| "[]".into()),
        findings: serde_json::to_string(&run.findings).unwrap_or_else(|_| "[]".into()),
        fixes: serde_json::to_string(&fixes).unwrap_or_else(|_| "[]".into()),
        dead_letters,
        fix_mode: options.fix,
    };
    store.insert_report(&row)?;
    Ok(Report::from_row(&row))
}

impl Run<'_> {
    fn orphan_drafts(&mut self) -> Result<()> {
        let drafts = self.store.drafts_without_live_workflow(self.since)?;
        let mut to_orphan = Vec::new();
        for d in drafts {
            let why = match &d.workflow_status {
                None => "its workflow is missing".to_string(),
                Some(s) => format!("its workflow is {s}"),
            };
            let mut f = Finding::new(
                Check::OrphanDrafts,
                "orphan_draft",
                format!("draft {} waits for review but {why}", d.draft_id),
            );
            f.workflow_id = Some(d.workflow_id);
            f.draft_id = Some(d.draft_id.clone());
            to_orphan.push(d.draft_id);
            self.findings.push(f);
        }
        self.orphan(Check::OrphanDrafts, &to_orphan)
    }

    fn missing_drafts(&mut self) -> Result<()> {
        let mailbox = &self.connectors.mailbox;
        let mut gone = Vec::new();
        let mut after = i64::MIN;
        loop {
            let page = self.store.live_drafts(self.since, after, PAGE)?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.cursor;
            for d in page {
                let Some(remote) = &d.remote_draft_id else {
                    continue;
                };
                if mailbox.draft_exists(remote)? {
                    continue;
                }
                let mut f = Finding::new(
                    Check::MissingDrafts,
                    "draft_gone_from_mailbox",
                    format!(
                        "draft {} ({} {remote}) is no longer in the mailbox",
                        d.draft_id,
                        mailbox.service()
                    ),
                );
                f.workflow_id = Some(d.workflow_id);
                f.draft_id = Some(d.draft_id.clone());
                gone.push(d.draft_id);
                self.findings.push(f);
            }
        }
        self.orphan(Check::MissingDrafts, &gone)
    }

    /// `--fix`: the drafts leave the review queue as `orphaned`; nothing is deleted anywhere.
    fn orphan(&mut self, check: Check, draft_ids: &[String]) -> Result<()> {
        if !self.options.fix || draft_ids.is_empty() {
            return Ok(());
        }
        self.store.orphan_drafts(draft_ids, now_ms())?;
        for f in self
            .findings
            .iter_mut()
            .filter(|f| f.check == check.name() && !f.fixed)
        {
            f.fixed = true;
            f.fix = Some(format!(
                "marked draft {} orphaned",
                f.draft_id.as_deref().unwrap_or("?")
            ));
        }
        Ok(())
    }

    fn missing_tasks(&mut self) -> Result<()> {
        let crm = &self.connectors.crm;
        for workflow_id in self.store.completed_without_task(self.since)? {
            let mut f = Finding::new(
                Check::MissingTasks,
                "completed_without_task",
                format!("workflow {workflow_id} completed but no task was recorded"),
            );
            f.workflow_id = Some(workflow_id.clone());
            if self.options.fix {
                match self.task_for_untasked(&workflow_id) {
                    Ok(fix) => {
                        f.fix = Some(fix);
                        f.fixed = true;
                    }
                    Err(e) => f.detail.push_str(&format!("; not fixed: {e}")),
                }
            }
            self.findings.push(f);
        }
        let mut after = i64::MIN;
        loop {
            let page = self.store.recorded_tasks(self.since, after, PAGE)?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.cursor;
            for t in page {
                if crm.get_task(&t.remote_task_id)?.is_some() {
                    continue;
                }
                let mut f = Finding::new(
                    Check::MissingTasks,
                    "task_missing_in_crm",
                    format!(
                        "task {} of workflow {} is not in the CRM ({})",
                        t.remote_task_id,
                        t.workflow_id,
                        crm.service()
                    ),
                );
                f.workflow_id = Some(t.workflow_id.clone());
                f.task_id = Some(t.remote_task_id.clone());
                if self.options.fix {
                    let new = NewTask {
                        reference: task_reference(&t.workflow_id),
                        contact_id: t.contact_id.clone(),
                        subject: t.subject.clone(),
                        body: recreated_body(&t.workflow_id, Some(&t.remote_task_id)),
                        priority: t.priority.clone(),
                        owner_id: None,
                        due_at: t.due_at,
                    };
                    match self.ensure_task(&new) {
                        Ok((remote_id, how)) => {
                            self.store.set_task_remote_id(&t.workflow_id, &remote_id)?;
                            f.fix = Some(format!(
                                "{how} task {remote_id} for workflow {}",
                                t.workflow_id
                            ));
                            f.fixed = true;
                        }
                        Err(e) => f.detail.push_str(&format!("; not fixed: {e}")),
                    }
                }
                self.findings.push(f);
            }
        }
        Ok(())
    }

    /// Finds the task by its reference, or creates it: the same reference makes this idempotent.
    fn ensure_task(&self, new: &NewTask) -> Result<(String, &'static str)> {
        let crm = &self.connectors.crm;
        if let Some(existing) = crm.find_task(&new.reference, &new.contact_id)? {
            return Ok((existing.id, "found"));
        }
        Ok((crm.create_task(new)?.id, "re-created"))
    }

    /// A completed workflow without a task row: find or create its task from the contact its
    /// contact step recorded, then record it.
    fn task_for_untasked(&self, workflow_id: &str) -> Result<String> {
        let steps = self.store.workflow_steps(workflow_id)?;
        let contact_id = steps
            .iter()
            .rev()
            .find(|s| s.name == "contact" && s.status == StepStatus::Completed)
            .and_then(|s| s.output.as_deref())
            .and_then(|o| serde_json::from_str::<Value>(o).ok())
            .and_then(|v| v["contact"]["id"].as_str().map(str::to_string))
            .ok_or_else(|| Error::InvalidInput("its contact step recorded no contact id".into()))?;
        let workflow = self.store.get_workflow(workflow_id)?;
        let who = workflow.email.as_deref().unwrap_or("the lead");
        let new = NewTask {
            reference: task_reference(workflow_id),
            contact_id: contact_id.clone(),
            subject: format!("Follow up with {who}"),
            body: recreated_body(workflow_id, None),
            priority: "MEDIUM".into(),
            owner_id: None,
            due_at: add_business_days(self.now, self.config.task.due_business_days),
        };
        let (remote_id, how) = self.ensure_task(&new)?;
        self.store.apply(
            None,
            &[PipelineWrite::Task(NewTaskRow {
                id: new_id(),
                workflow_id: workflow_id.to_string(),
                crm: self.connectors.crm.service().to_string(),
                remote_task_id: remote_id.clone(),
                contact_id,
                subject: new.subject,
                priority: new.priority,
                due_at: new.due_at,
                created_at: now_ms(),
            })],
            now_ms(),
        )?;
        Ok(format!(
            "{how} task {remote_id} for workflow {workflow_id} and recorded it"
        ))
    }

    fn duplicate_drafts(&mut self) -> Result<()> {
        let window_ms = (self.config.dedupe.window_secs * 1000) as i64;
        for d in self.store.duplicate_drafts(self.since, window_ms)? {
            let mut f = Finding::new(
                Check::DuplicateDrafts,
                "duplicate_draft",
                format!(
                    "draft {} duplicates draft {} ({} on form {}, {} s apart); review and reject one",
                    d.draft_id,
                    d.first_draft_id,
                    d.email,
                    d.form_id.as_deref().unwrap_or("-"),
                    d.seconds_apart
                ),
            );
            f.workflow_id = Some(d.workflow_id);
            f.draft_id = Some(d.draft_id);
            self.findings.push(f);
        }
        Ok(())
    }

    fn stuck_workflows(&mut self) -> Result<()> {
        let stuck_before = self.now - self.options.stuck_after_ms;
        for w in self
            .store
            .stuck_workflows(self.since, self.now, stuck_before)?
        {
            let detail = if w.status == WorkflowStatus::Pending {
                format!(
                    "workflow {} is pending since {} with no job to run it",
                    w.workflow_id,
                    rfc3339(w.updated_at)
                )
            } else {
                let why = match w.lease_expires_at {
                    Some(lease) if lease < self.now => {
                        format!("its job's lease expired at {}", rfc3339(lease))
                    }
                    Some(_) if w.orphaned => "its job's lease is renewed but no worker thread \
                        runs it (its end could not be recorded)"
                        .to_string(),
                    _ => format!("no progress since {}", rfc3339(w.updated_at)),
                };
                format!(
                    "workflow {} is running at step {} but {why}",
                    w.workflow_id,
                    w.current_step.as_deref().unwrap_or("-")
                )
            };
            let mut f = Finding::new(Check::StuckWorkflows, "stuck_workflow", detail);
            f.workflow_id = Some(w.workflow_id.clone());
            if self.options.fix {
                match self
                    .store
                    .requeue_workflow(&w.workflow_id, REQUEUE_QUEUE, now_ms())?
                {
                    WorkflowRequeue::Released { job_id } => {
                        f.fix = Some(format!(
                            "released job {job_id} (expired lease) of workflow {}",
                            w.workflow_id
                        ));
                        f.fixed = true;
                    }
                    WorkflowRequeue::Enqueued { job_id } => {
                        f.fix = Some(format!(
                            "requeued workflow {} as job {job_id} on the {REQUEUE_QUEUE} queue",
                            w.workflow_id
                        ));
                        f.fixed = true;
                    }
                    WorkflowRequeue::Waiting { job_id } => {
                        f.fix = Some(format!(
                            "workflow {} already has job {job_id} waiting",
                            w.workflow_id
                        ));
                        f.fixed = true;
                    }
                    WorkflowRequeue::Leased { job_id, until } => f.detail.push_str(&format!(
                        "; not fixed: a worker holds job {job_id} until {}",
                        rfc3339(until)
                    )),
                }
            }
            self.findings.push(f);
        }
        Ok(())
    }

    /// An interrupted send may or may not have left: `--fix` marks it `send_failed` for a person
    /// to check the Sent folder, and never sends it again.
    fn stuck_sends(&mut self) -> Result<()> {
        let stuck = self
            .store
            .stuck_sends(self.now - self.options.stuck_after_ms)?;
        for (draft_id, workflow_id, claimed_at) in stuck {
            let mut f = Finding::new(
                Check::StuckSends,
                "interrupted_send",
                format!(
                    "draft {draft_id} has been sending since {}: the send was interrupted and the \
                     email may or may not have left",
                    rfc3339(claimed_at)
                ),
            );
            f.workflow_id = Some(workflow_id);
            f.draft_id = Some(draft_id.clone());
            if self.options.fix {
                self.store.finish_send(
                    &draft_id,
                    Err("interrupted send found by reconcile: check the mailbox's Sent folder before sending again"),
                    "reconcile",
                    self.now,
                )?;
                f.fix = Some("marked send_failed (never resent)".into());
                f.fixed = true;
            }
            self.findings.push(f);
        }
        Ok(())
    }

    fn dead_letters(&mut self, last_report_at: Option<i64>) -> Result<()> {
        let (new, total) = self.store.dead_letter_counts(last_report_at)?;
        if new > 0 {
            let since = last_report_at
                .map(|t| format!("since the last report ({})", rfc3339(t)))
                .unwrap_or_else(|| "(no earlier report)".into());
            self.findings.push(Finding::new(
                Check::DeadLetters,
                "dead_letter_growth",
                format!(
                    "{new} new dead letter(s) {since}; {total} in total; see `salesagent dlq list`"
                ),
            ));
        }
        Ok(())
    }
}

fn recreated_body(workflow_id: &str, old: Option<&str>) -> String {
    let why = match old {
        Some(id) => format!("the CRM no longer had task {id}"),
        None => "the workflow completed without one".into(),
    };
    format!(
        "Re-created by `salesagent reconcile --fix`: {why}.\nReview the workflow's draft and follow up.\n\n[{}]",
        task_reference(workflow_id)
    )
}

/// Counts findings by check, for summaries.
pub fn by_check(findings: &[Finding]) -> BTreeMap<String, (usize, usize)> {
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for f in findings {
        let e = out.entry(f.check.clone()).or_default();
        e.0 += 1;
        if f.fixed {
            e.1 += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_round_trip() {
        for c in Check::ALL {
            assert_eq!(Check::parse(c.name()).unwrap(), c);
        }
        let err = Check::parse("nope").unwrap_err().to_string();
        assert!(err.contains("orphan-drafts, missing-drafts"), "{err}");
    }
}
