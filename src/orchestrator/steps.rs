//! What each of the 13 steps does, how its output restores the pipeline state on resume, and the
//! intent (deterministic references) a side-effect step records before it acts.

use serde_json::{Value, json};

use super::{DraftRef, History, Pipeline, State, Step, StepResult, TaskRef, status};
use crate::config::{Config, GuardConfig};
use crate::connectors::{ComposeRequest, ComposedEmail, Durable, NewTask, OutgoingEmail};
use crate::domain::guard::{self, DraftContent};
use crate::domain::lead::Lead;
use crate::domain::privacy::is_subject_ref;
use crate::domain::routing::Route;
use crate::domain::submission::validate_lead;
use crate::domain::time::{add_business_days, now_ms, short};
use crate::domain::{email, routing, scoring};
use crate::error::{Error, Result};
use crate::store::{
    DraftStatus, DuplicateQuery, NewDraft, NewTaskRow, PipelineWrite, SubmissionRow,
    WorkflowStatus, new_id,
};

pub(super) struct Context<'a> {
    pub pipeline: &'a Pipeline<'a>,
    pub workflow_id: &'a str,
    pub submission: &'a SubmissionRow,
    /// The references this attempt uses (reused from an earlier attempt of the step).
    pub intent: Option<&'a Value>,
    /// An earlier attempt of this step exists: look side effects up before repeating them.
    pub retrying: bool,
}

/// The task reference that finds a workflow's task again in any CRM.
pub fn task_reference(workflow_id: &str) -> String {
    format!("salesagent-workflow:{workflow_id}")
}

/// The references a side-effect step will use; an earlier attempt's are reused so a retry looks
/// for the same object.
pub(super) fn intent(step: Step, workflow_id: &str, previous: Option<&str>) -> Option<Value> {
    let previous: Option<Value> = previous.and_then(|p| serde_json::from_str(p).ok());
    match step {
        Step::Draft => {
            let draft_id = previous
                .as_ref()
                .and_then(|p| p.get("draft_id"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(new_id);
            Some(json!({ "draft_id": draft_id }))
        }
        Step::Task => Some(json!({ "reference": task_reference(workflow_id) })),
        Step::Contact | Step::Company => Some(json!({ "lookup_first": true })),
        _ => None,
    }
}

fn missing(what: &str) -> Error {
    Error::Internal(format!(
        "the pipeline state has no {what}: an earlier step did not record it"
    ))
}

/// Rebuilds the state a completed step established, from its stored output.
pub(super) fn restore(step: Step, output: Option<&str>, state: &mut State) -> Result<()> {
    let output: Value = match output {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| Error::Internal(format!("stored output of step {}: {e}", step.name())))?,
        None => Value::Null,
    };
    fn take<T: serde::de::DeserializeOwned>(v: &Value, key: &str) -> Option<T> {
        v.get(key)
            .and_then(|x| serde_json::from_value(x.clone()).ok())
    }
    match step {
        Step::Validate => state.lead = take(&output, "lead"),
        Step::Contact => state.contact = take(&output, "contact"),
        Step::Company => state.company = take(&output, "company"),
        Step::History => state.history = take(&output, "history"),
        Step::Score => state.score = take(&output, "score"),
        Step::Route => state.route = take(&output, "route"),
        Step::Compose => state.composed = take(&output, "email"),
        Step::Draft => state.draft = take(&output, "draft"),
        Step::Task => state.task = take(&output, "task"),
        Step::Suppression | Step::Dedupe | Step::Guard | Step::Finalize => {}
    }
    Ok(())
}

fn done(output: Value) -> Result<StepResult> {
    Ok(StepResult::Continue {
        output,
        remote_id: None,
        writes: vec![],
    })
}

/// Runs one step: each step is one function below, in pipeline order.
pub(super) fn execute(step: Step, ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    // A probe exercises intake, queue, worker and every pure step, but touches no CRM or mailbox.
    if ctx.submission.synthetic && (step.has_side_effect() || step == Step::History) {
        return done(
            json!({ "synthetic": true, "skipped": "synthetic probe: no external side effect" }),
        );
    }
    match step {
        Step::Validate => validate(ctx, state),
        Step::Suppression => suppression(ctx, state),
        Step::Dedupe => dedupe(ctx, state),
        Step::Contact => contact(ctx, state),
        Step::Company => company(ctx, state),
        Step::History => history(ctx, state),
        Step::Score => score(ctx, state),
        Step::Route => route(ctx, state),
        Step::Compose => compose(ctx, state),
        Step::Guard => guard(ctx, state),
        Step::Draft => draft(ctx, state),
        Step::Task => task(ctx, state),
        Step::Finalize => finalize(ctx, state),
    }
}

fn validate(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let sub = ctx.submission;
    let mut writes = vec![];
    let lead = match (&sub.lead.email, &sub.contact_object_id) {
        // Webhooks API events name a contact; its details live in the CRM.
        (None, Some(object_id)) => {
            let contact = p.connectors.crm.get_contact(object_id)?.ok_or_else(|| {
                Error::InvalidInput(format!(
                    "contact {object_id} named by the event is not in the CRM ({}); add it with \
                     `salesagent crm add-contact --id {object_id} --email …` (the embedded CRM \
                     starts empty), then retry the workflow",
                    p.connectors.crm.service()
                ))
            })?;
            let lead = contact.to_lead().normalise();
            writes.push(PipelineWrite::ResolvedLead {
                submission_id: sub.id.clone(),
                workflow_id: ctx.workflow_id.to_string(),
                lead: lead.clone(),
            });
            lead
        }
        _ => sub.lead.clone(),
    };
    validate_lead(&lead).map_err(Error::InvalidInput)?;
    let output = json!({ "lead": lead });
    state.lead = Some(lead);
    Ok(StepResult::Continue {
        output,
        remote_id: None,
        writes,
    })
}

fn suppression(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let email = lead_email(state)?.to_string();
    // The dedupe step comes next and reads by the same address: its answer is read here too,
    // in the suppression check's statement (a round trip fewer on PostgreSQL).
    let (suppressed, duplicate) = p
        .store
        .suppression_and_duplicate(&email, &duplicate_query(ctx, &email))?;
    state.duplicate_read = Some((email, duplicate));
    match suppressed {
        Some(s) => {
            // A person who asked to be forgotten: keep only the ids and the match.
            let writes = if is_subject_ref(&s.value) {
                vec![PipelineWrite::Forget {
                    submission_id: ctx.submission.id.clone(),
                    workflow_id: ctx.workflow_id.to_string(),
                }]
            } else {
                vec![]
            };
            Ok(StepResult::Stop {
                status: WorkflowStatus::Suppressed,
                output: json!({ "suppressed": true, "matched": s.value, "reason": s.reason }),
                writes,
            })
        }
        None => done(json!({ "suppressed": false })),
    }
}

/// What the dedupe step looks for, for the lead's address `email`.
fn duplicate_query<'a>(ctx: &'a Context<'_>, email: &'a str) -> DuplicateQuery<'a> {
    let sub = ctx.submission;
    DuplicateQuery {
        submission_id: &sub.id,
        email,
        form_id: sub.form_id.as_deref(),
        received_at: sub.received_at,
        window_ms: (ctx.pipeline.config.dedupe.window_secs * 1000) as i64,
    }
}

fn dedupe(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let config = p.config;
    let read = state.duplicate_read.take();
    let email = lead_email(state)?;
    // Read with this run's suppression check, unless that step was restored from an earlier
    // attempt (or checked another address).
    let earlier = match read {
        Some((read_for, earlier)) if read_for == email => earlier,
        _ => p
            .store
            .find_recent_duplicate(&duplicate_query(ctx, email))?,
    };
    match earlier {
        Some(workflow_id) => Ok(StepResult::Stop {
            status: WorkflowStatus::Duplicate,
            output: json!({ "duplicate_of": workflow_id, "window_secs": config.dedupe.window_secs }),
            writes: vec![],
        }),
        None => done(json!({ "duplicate_of": null })),
    }
}

fn contact(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let lead = state.lead.as_ref().ok_or_else(|| missing("lead"))?;
    let contact = p.connectors.crm.find_or_create_contact(lead)?;
    let remote_id = Some(contact.id.clone());
    let output = json!({ "contact": contact, "crm": p.connectors.crm.service() });
    state.contact = Some(contact);
    Ok(StepResult::Continue {
        output,
        remote_id,
        writes: vec![],
    })
}

fn company(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let config = p.config;
    let lead = state.lead.as_ref().ok_or_else(|| missing("lead"))?;
    let contact = state.contact.as_ref().ok_or_else(|| missing("contact"))?;
    let domain = lead.email_domain().unwrap_or_default();
    if scoring::is_free_mail(&config.scoring, domain) {
        return done(json!({ "company": null, "skipped": "free-mail domain" }));
    }
    let company =
        p.connectors
            .crm
            .find_or_create_company(domain, lead.company.as_deref(), &contact.id)?;
    let remote_id = Some(company.id.clone());
    let output = json!({ "company": company });
    state.company = Some(company);
    Ok(StepResult::Continue {
        output,
        remote_id,
        writes: vec![],
    })
}

fn history(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let email = lead_email(state)?;
    let contact = state.contact.as_ref().ok_or_else(|| missing("contact"))?;
    let crm = p.connectors.crm.history(&contact.id)?;
    let earlier = p.store.drafts_to(email, ctx.workflow_id, 5)?;
    let latest = earlier.first();
    let sent = earlier.iter().find(|d| d.sent_at.is_some());
    let summary = match latest {
        None if crm.total_tasks == 0 => "first contact".to_string(),
        None => format!("{} earlier CRM task(s), no earlier email", crm.total_tasks),
        Some(d) => format!(
            "{} earlier draft(s); last on {} titled {:?}; {} earlier CRM task(s)",
            earlier.len(),
            short(d.created_at),
            d.subject,
            crm.total_tasks
        ),
    };
    let history = History {
        previous_drafts: earlier.len() as u32,
        last_draft_subject: latest.map(|d| d.subject.clone()),
        last_draft_at: latest.map(|d| d.created_at),
        thread_id: sent.and_then(|d| d.thread_id.clone()),
        in_reply_to: sent.map(|d| d.message_id.clone()),
        crm_open_tasks: crm.open_tasks,
        crm_total_tasks: crm.total_tasks,
        summary,
    };
    let output = json!({ "history": history });
    state.history = Some(history);
    done(output)
}

fn score(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let config = p.config;
    let sub = ctx.submission;
    let lead = state.lead.as_ref().ok_or_else(|| missing("lead"))?;
    let score = scoring::score(&config.scoring, lead, sub.form_id.as_deref());
    let output = json!({ "score": score });
    state.score = Some(score);
    done(output)
}

fn route(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let config = p.config;
    let sub = ctx.submission;
    let lead = state.lead.as_ref().ok_or_else(|| missing("lead"))?;
    let score = state.score.as_ref().ok_or_else(|| missing("score"))?;
    let route = routing::route(&config.routing, lead, sub.form_id.as_deref(), score.value);
    let output = json!({ "route": route });
    state.route = Some(route);
    done(output)
}

/// What the composer gets for a lead on its route: the step's request, shared with `eval`.
pub fn compose_request<'a>(
    config: &'a Config,
    lead: &'a Lead,
    route: &'a Route,
    score: i64,
    history_summary: &'a str,
) -> Result<ComposeRequest<'a>> {
    let template = config.templates.get(&route.template).ok_or_else(|| {
        Error::Configuration(format!(
            "template {:?} (chosen by routing {}) is not defined under [templates]",
            route.template, route.reason
        ))
    })?;
    Ok(ComposeRequest {
        lead,
        sender: &route.sender,
        template_name: &route.template,
        template,
        score,
        history_summary,
    })
}

/// The guard's verdict on a composed email to the lead: every violation (the lead's own text is
/// never taken for an unfilled placeholder), shared with `eval`.
pub fn guard_verdict(
    config: &GuardConfig,
    route: &Route,
    lead: &Lead,
    to: &str,
    composed: &ComposedEmail,
) -> std::result::Result<(), Vec<String>> {
    let content = DraftContent {
        from: &route.sender,
        to,
        subject: &composed.subject,
        body: &composed.body,
    };
    guard::check_with_lead_text(config, &content, &lead.texts())
}

pub(super) fn compose(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let lead = state.lead.as_ref().ok_or_else(|| missing("lead"))?;
    let route = state.route.as_ref().ok_or_else(|| missing("route"))?;
    let request = compose_request(
        p.config,
        lead,
        route,
        state.score.as_ref().map_or(0, |s| s.value),
        state.history.as_ref().map_or("", |h| h.summary.as_str()),
    )?;
    let composed = p.connectors.composer.compose(&request)?;
    let output = json!({ "email": composed });
    state.composed = Some(composed);
    done(output)
}

pub(super) fn guard(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let route = state.route.as_ref().ok_or_else(|| missing("route"))?;
    let composed = state
        .composed
        .as_ref()
        .ok_or_else(|| missing("composed email"))?;
    let lead = state.lead.as_ref().ok_or_else(|| missing("lead"))?;
    guard_verdict(&p.config.guard, route, lead, lead_email(state)?, composed).map_err(
        |violations| {
            Error::InvalidInput(format!(
                "guard refused the draft: {}",
                violations.join("; ")
            ))
        },
    )?;
    done(json!({ "passed": true }))
}

fn draft(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let route = state.route.as_ref().ok_or_else(|| missing("route"))?;
    let composed = state
        .composed
        .as_ref()
        .ok_or_else(|| missing("composed email"))?;
    let history = state.history.clone().unwrap_or_default();
    let draft_id = ctx
        .intent
        .and_then(|i| i.get("draft_id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(new_id);
    // The sender may carry a display name (`Name <address>`): the From header keeps it, the
    // draft row records the address (allowlists, caps and filters compare addresses).
    let sender = email::parse_mailbox(&route.sender).map_err(Error::Configuration)?;
    let sender_address = email::wire_address(&sender.address).map_err(Error::Configuration)?;
    let sender_domain = sender_address
        .rsplit_once('@')
        .map_or("salesagent.local", |(_, d)| d);
    let outgoing = OutgoingEmail {
        draft_id: draft_id.clone(),
        workflow_id: ctx.workflow_id.to_string(),
        message_id: email::message_id_for(ctx.workflow_id, sender_domain),
        from: route.sender.clone(),
        to: lead_email(state)?.to_string(),
        subject: composed.subject.clone(),
        body: composed.body.clone(),
        thread_id: history.thread_id.clone(),
        in_reply_to: history.in_reply_to.clone(),
        date: now_ms(),
    };
    let mailbox = &p.connectors.mailbox;
    let existing = if ctx.retrying {
        mailbox.find_draft(&outgoing)?
    } else {
        None
    };
    let found_existing = existing.is_some();
    // A new draft is synced while the task step runs; its row waits for it (ContinueOnceDurable).
    let (remote, durable) = match existing {
        Some(found) => (found, Durable::done()),
        None => mailbox.start_draft(&outgoing)?,
    };
    let score = state.score.as_ref();
    let new_draft = NewDraft {
        id: draft_id.clone(),
        workflow_id: ctx.workflow_id.to_string(),
        recipient: outgoing.to.clone(),
        sender: sender.address.clone(),
        subject: outgoing.subject.clone(),
        body: outgoing.body.clone(),
        message_id: outgoing.message_id.clone(),
        score: score.map(|s| s.value),
        route_reason: Some(routing::describe(route, score)),
        model: Some(composed.model.clone()),
        prompt_version: composed.prompt_version.clone(),
        tokens_used: composed.tokens_used.map(i64::from),
        fallback_used: composed.fallback_used,
        structured_mode: composed.structured_mode.clone(),
        repaired: composed.repaired,
        latency_ms: composed.latency_ms.map(|ms| ms as i64),
        fallback_reason: composed.fallback_reason.clone(),
        mailbox: mailbox.service().to_string(),
        remote_draft_id: Some(remote.remote_draft_id.clone()),
        remote_message_id: remote.remote_message_id.clone(),
        thread_id: remote.thread_id.clone(),
        status: DraftStatus::PendingReview,
        created_at: now_ms(),
    };
    let draft = DraftRef {
        draft_id,
        message_id: outgoing.message_id,
        remote_draft_id: remote.remote_draft_id.clone(),
    };
    let output = json!({ "draft": draft, "found_existing": found_existing });
    state.draft = Some(draft);
    state.draft_held_back = true;
    Ok(StepResult::ContinueOnceDurable {
        output,
        remote_id: Some(remote.remote_draft_id),
        writes: vec![PipelineWrite::Draft(new_draft)],
        durable,
    })
}

fn task(ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    let p = ctx.pipeline;
    let config = p.config;
    let lead = state.lead.as_ref().ok_or_else(|| missing("lead"))?;
    let contact = state.contact.as_ref().ok_or_else(|| missing("contact"))?;
    let score = state.score.clone().unwrap_or(scoring::Score {
        value: 0,
        reasons: vec![],
    });
    let route = state.route.as_ref().ok_or_else(|| missing("route"))?;
    let reference = task_reference(ctx.workflow_id);
    let due_at = add_business_days(now_ms(), config.task.due_business_days);
    let company = lead
        .company
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let subject_line = state
        .composed
        .as_ref()
        .map(|c| c.subject.as_str())
        .unwrap_or("(no draft)");
    let new_task = NewTask {
        reference: reference.clone(),
        contact_id: contact.id.clone(),
        subject: format!("Follow up with {}{company}", lead.display_name()),
        body: format!(
            "Review and send the drafted email \"{subject_line}\".\nRouted: {}.\n\n[{reference}]",
            routing::describe(route, Some(&score)),
        ),
        priority: score.priority().to_string(),
        owner_id: route.owner_id.clone(),
        due_at,
    };
    let crm = &p.connectors.crm;
    let existing = if ctx.retrying {
        crm.find_task(&reference, &contact.id)?
    } else {
        None
    };
    let found_existing = existing.is_some();
    let remote = match existing {
        Some(t) => t,
        None => crm.create_task(&new_task)?,
    };
    close_if_rejected(ctx, state, &remote.id)?;
    let task = TaskRef {
        task_id: new_id(),
        remote_task_id: remote.id.clone(),
        due_at: remote.due_at,
    };
    let row = NewTaskRow {
        id: task.task_id.clone(),
        workflow_id: ctx.workflow_id.to_string(),
        crm: crm.service().to_string(),
        remote_task_id: remote.id.clone(),
        contact_id: contact.id.clone(),
        subject: new_task.subject,
        priority: new_task.priority,
        due_at: remote.due_at,
        created_at: now_ms(),
    };
    let output = json!({ "task": task, "found_existing": found_existing });
    state.task = Some(task);
    Ok(StepResult::Continue {
        output,
        remote_id: Some(remote.id),
        writes: vec![PipelineWrite::Task(row)],
    })
}

/// What a closed follow-up task says about the rejection, in the CRM.
pub fn rejected_task_note(actor: &str, reason: &str) -> String {
    format!("salesagent: the drafted email was rejected by {actor}: {reason}. No follow-up needed.")
}

/// A draft rejected before its task existed (the task step failed, then the workflow was
/// retried): the task is closed at once, so nobody follows up on a rejected email. A draft made
/// in this run is not in the store yet (nobody can have rejected it): nothing to read.
fn close_if_rejected(ctx: &Context<'_>, state: &State, remote_task_id: &str) -> Result<()> {
    let p = ctx.pipeline;
    if state.draft_held_back {
        return Ok(());
    }
    if let Some(d) = p.store.draft_for_workflow(ctx.workflow_id)?
        && d.status == DraftStatus::Rejected
    {
        let note = rejected_task_note(
            d.reviewer.as_deref().unwrap_or("an operator"),
            d.review_note.as_deref().unwrap_or("no reason given"),
        );
        p.connectors.crm.close_task(remote_task_id, &note)?;
    }
    Ok(())
}

fn finalize(_ctx: &Context<'_>, state: &mut State) -> Result<StepResult> {
    done(json!({
        "status": status::COMPLETED,
        "draft_id": state.draft.as_ref().map(|d| d.draft_id.clone()),
        "task_id": state.task.as_ref().map(|t| t.remote_task_id.clone()),
    }))
}

fn lead_email(state: &State) -> Result<&str> {
    state
        .lead
        .as_ref()
        .and_then(|l| l.email.as_deref())
        .ok_or_else(|| missing("lead email"))
}
