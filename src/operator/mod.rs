//! The operator's actions, shared by `drafts`, `mode` and `dlq` (and, later, `serve`): decisions
//! on drafts (a rejection also closes the draft's CRM follow-up task), edits and recomposes, the
//! SEND-mode gates, the send point with every re-check, and dead-letter retries.
//! It prints nothing; callers get typed outcomes.

use serde::Serialize;

use crate::config::Config;
use crate::connectors::{Crm, Mailbox, OutgoingEmail};
use crate::domain::time::{SendWindow, now_ms};
use crate::error::{Error, Result};
use crate::orchestrator::Pipeline;
use crate::store::{
    AuditEntry, Claim, DeadLetterRow, Decision, DraftContext, DraftRow, DraftStatus,
    MODE_DRAFT_ONLY, MODE_SEND, ModeSetting, Recomposed, Requeue, SendClaim, Store, new_id,
};

/// The actor recorded for drafts approved by auto-send.
pub const AUTO_SEND_ACTOR: &str = "auto-send";

/// One condition for SEND mode, as `mode show` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Gate {
    pub gate: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// The configuration gates SEND mode needs; every one must pass for `mode set send` and for
/// every single send.
pub fn send_gates(config: &Config) -> Vec<Gate> {
    vec![
        Gate {
            gate: "environment",
            passed: config.is_production(),
            detail: format!(
                "environment = {:?} (must be \"production\")",
                config.environment
            ),
        },
        Gate {
            gate: "send.allow",
            passed: config.send.allow,
            detail: format!("send.allow = {} (must be true)", config.send.allow),
        },
        Gate {
            gate: "send.sender_allowlist",
            passed: !config.send.sender_allowlist.is_empty(),
            detail: if config.send.sender_allowlist.is_empty() {
                "send.sender_allowlist is empty (name at least one sender)".into()
            } else {
                format!(
                    "send.sender_allowlist = {}",
                    config.send.sender_allowlist.join(", ")
                )
            },
        },
    ]
}

fn unmet(gates: &[Gate]) -> Vec<String> {
    gates
        .iter()
        .filter(|g| !g.passed)
        .map(|g| g.detail.clone())
        .collect()
}

/// What happened to one send attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SendOutcome {
    Sent {
        remote_message_id: String,
    },
    /// Outside the send window: the draft stays approved and goes out in a later send.
    Waiting {
        window: String,
    },
    /// A gate refused: nothing was sent and the draft keeps its status.
    Refused {
        reason: String,
    },
    /// The mailbox failed: the draft is `send_failed` and is not retried automatically.
    Failed {
        error: String,
    },
}

/// The result of an approval: the draft, and the send it triggered in SEND mode.
#[derive(Clone, Debug)]
pub struct Approval {
    pub draft: DraftRow,
    pub send: Option<SendOutcome>,
}

/// The result of a rejection; `mailbox_warning` when the mailbox copy could not be removed.
#[derive(Clone, Debug)]
pub struct Rejection {
    pub draft: DraftRow,
    pub mailbox_warning: Option<String>,
    /// What happened to the workflow's CRM follow-up task.
    pub task: TaskClosing,
}

/// A rejected draft's follow-up task: marked COMPLETED in the CRM with the rejection noted in
/// its body (it is not deleted, so the CRM keeps the history).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TaskClosing {
    Completed {
        crm: String,
        remote_task_id: String,
    },
    /// The workflow has no task yet: the task step closes the task it creates later.
    NoTask,
    /// The CRM call failed: the rejection stands, the task stays open.
    Failed {
        crm: String,
        remote_task_id: String,
        error: String,
    },
}

/// The result of a recompose: the draft with its new text, and the id of the superseded copy
/// that keeps the earlier text.
#[derive(Clone, Debug)]
pub struct Recomposition {
    pub draft: DraftRow,
    pub superseded_id: String,
}

/// What approving a draft would do now, as the review shows it before the decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OnApprove {
    /// Whether approving sends the email at once.
    pub sends: bool,
    /// One line for the reviewer: `approve: marks approved, nothing is sent`, or
    /// `approve: sends now from X to Y`.
    pub text: String,
}

/// A draft with everything shown beside it (`drafts show|review`, `GET /api/v1/drafts/{id}`).
pub struct DraftPage {
    pub draft: DraftRow,
    pub context: DraftContext,
    /// For a pending draft: what approving would do now.
    pub on_approve: Option<OnApprove>,
    /// Earlier texts replaced by `drafts recompose`, newest first.
    pub superseded: Vec<DraftRow>,
}

pub struct Operator<'a> {
    pub store: &'a Store,
    pub config: &'a Config,
    pub mailbox: &'a dyn Mailbox,
    pub crm: &'a dyn Crm,
}

/// The email a pending draft is in the mailbox, with `subject` and `body` as its text. The row
/// keeps the sender's address; its display name comes from the configured sender.
fn outgoing(config: &Config, draft: &DraftRow, subject: &str, body: &str) -> OutgoingEmail {
    OutgoingEmail {
        draft_id: draft.id.clone(),
        workflow_id: draft.workflow_id.clone(),
        message_id: draft.message_id.clone(),
        from: config.routing.sender_for(&draft.sender),
        to: draft.recipient.clone(),
        subject: subject.to_string(),
        body: body.to_string(),
        thread_id: draft.thread_id.clone(),
        in_reply_to: None,
        date: now_ms(),
    }
}

impl Operator<'_> {
    pub fn approve(&self, id: &str, actor: &str, note: Option<&str>) -> Result<Approval> {
        let draft = self
            .store
            .decide_draft(id, Decision::Approve, actor, note, now_ms())?;
        decision_metric("approved");
        // Read at the point of use, never cached: the claim re-reads it again in its transaction.
        let send = if self.store.mode()?.mode == MODE_SEND {
            Some(self.send(id, actor)?)
        } else {
            None
        };
        let draft = self.store.get_draft(&draft.id)?;
        Ok(Approval { draft, send })
    }

    pub fn reject(&self, id: &str, actor: &str, reason: &str) -> Result<Rejection> {
        let draft = self
            .store
            .decide_draft(id, Decision::Reject, actor, Some(reason), now_ms())?;
        decision_metric("rejected");
        let mailbox_warning = match &draft.remote_draft_id {
            Some(remote) => self.mailbox.delete_draft(remote).err().map(|e| {
                format!(
                    "draft {id} is rejected and will never be sent, but its mailbox copy stays: {e}"
                )
            }),
            None => None,
        };
        let task = self.close_task(&draft, actor, reason);
        Ok(Rejection {
            draft,
            mailbox_warning,
            task,
        })
    }

    /// Closes the rejected draft's follow-up task in the CRM and in our record of it.
    fn close_task(&self, draft: &DraftRow, actor: &str, reason: &str) -> TaskClosing {
        let task = match self.store.task_for_workflow(&draft.workflow_id) {
            Ok(Some(task)) => task,
            Ok(None) => return TaskClosing::NoTask,
            Err(e) => {
                return TaskClosing::Failed {
                    crm: self.crm.service().into(),
                    remote_task_id: String::new(),
                    error: e.to_string(),
                };
            }
        };
        let note = crate::orchestrator::rejected_task_note(actor, reason);
        let closed = self
            .crm
            .close_task(&task.remote_task_id, &note)
            .and_then(|()| self.store.mark_task_closed(&draft.workflow_id));
        match closed {
            Ok(()) => TaskClosing::Completed {
                crm: task.crm,
                remote_task_id: task.remote_task_id,
            },
            Err(e) => TaskClosing::Failed {
                crm: task.crm,
                remote_task_id: task.remote_task_id,
                error: e.to_string(),
            },
        }
    }

    /// Writes a pending draft again with the current templates and prompts: the new text replaces
    /// it in the store and in the mailbox (updated in place, same mailbox draft), the earlier text
    /// is kept as a `superseded` draft, and the change is audited (`draft.recompose`).
    pub fn recompose(
        &self,
        id: &str,
        actor: &str,
        pipeline: &Pipeline<'_>,
    ) -> Result<Recomposition> {
        let before = self.pending_draft(id, "recomposed")?;
        let composed = pipeline.recompose(&before.workflow_id)?;
        let new = Recomposed {
            subject: composed.subject,
            body: composed.body,
            route_reason: None,
            model: Some(composed.model),
            prompt_version: composed.prompt_version,
            tokens_used: composed.tokens_used.map(i64::from),
            prompt_tokens: composed.prompt_tokens.map(i64::from),
            completion_tokens: composed.completion_tokens.map(i64::from),
            fallback_used: composed.fallback_used,
            structured_mode: composed.structured_mode,
            repaired: composed.repaired,
            latency_ms: composed.latency_ms.map(|ms| ms as i64),
            fallback_reason: composed.fallback_reason,
        };
        let superseded_id = new_id();
        let draft = self.replace_text(&before, &new.subject, &new.body, || {
            self.store
                .recompose_draft(id, &new, &superseded_id, actor, now_ms())
        })?;
        Ok(Recomposition {
            draft,
            superseded_id,
        })
    }

    /// The draft `id` with its context, what approving it would do now, and its earlier texts.
    pub fn draft_page(&self, id: &str) -> Result<DraftPage> {
        let draft = self.store.get_draft(id)?;
        let context = self.store.draft_context(&draft)?;
        let on_approve = if draft.status == DraftStatus::PendingReview {
            Some(self.on_approve(&draft)?)
        } else {
            None
        };
        let superseded = self.store.superseded_versions(&draft.id)?;
        Ok(DraftPage {
            draft,
            context,
            on_approve,
            superseded,
        })
    }

    /// What approving `draft` would do in the current mode (read from the store now) with the
    /// configured gates and send window. The send itself re-checks everything when it happens.
    pub fn on_approve(&self, draft: &DraftRow) -> Result<OnApprove> {
        let marks = |why: String| OnApprove {
            sends: false,
            text: format!("approve: marks approved, {why}"),
        };
        if self.store.mode()?.mode != MODE_SEND {
            return Ok(marks("nothing is sent".into()));
        }
        let gates = unmet(&send_gates(self.config));
        if !gates.is_empty() {
            return Ok(marks(format!(
                "not sent: SEND gates not met ({})",
                gates.join("; ")
            )));
        }
        if let Some(text) = &self.config.send.window
            && let Ok(window) = SendWindow::parse(text)
            && !window.contains(now_ms())
        {
            return Ok(marks(format!(
                "sent later: now is outside the send window ({text})"
            )));
        }
        Ok(OnApprove {
            sends: true,
            text: format!(
                "approve: sends now from {} to {}",
                draft.sender, draft.recipient
            ),
        })
    }

    /// Replaces a pending draft's subject and body in the mailbox and the store.
    pub fn edit(&self, id: &str, subject: &str, body: &str, actor: &str) -> Result<DraftRow> {
        let before = self.pending_draft(id, "edited")?;
        let draft = self.replace_text(&before, subject, body, || {
            self.store.edit_draft(id, subject, body, actor, now_ms())
        })?;
        decision_metric("edited");
        Ok(draft)
    }

    /// The draft, if it is pending and has a mailbox copy whose text can be replaced (`done`
    /// names the change in the refusal: "only pending drafts can be edited").
    fn pending_draft(&self, id: &str, done: &str) -> Result<DraftRow> {
        let draft = self.store.get_draft(id)?;
        if draft.status != DraftStatus::PendingReview {
            return Err(Error::Refused(format!(
                "draft {id} is {}: only pending drafts can be {done}",
                draft.status
            )));
        }
        if draft.remote_draft_id.is_none() {
            return Err(Error::Refused(format!(
                "draft {id} has no mailbox draft to update"
            )));
        }
        Ok(draft)
    }

    /// Puts the new text in the mailbox draft first, then records it with `record` (a guarded
    /// store write); when the store refuses (decided meanwhile), the mailbox copy is put back.
    fn replace_text(
        &self,
        before: &DraftRow,
        subject: &str,
        body: &str,
        record: impl FnOnce() -> Result<DraftRow>,
    ) -> Result<DraftRow> {
        let remote = before.remote_draft_id.as_deref().unwrap_or_default();
        self.mailbox
            .update_draft(remote, &outgoing(self.config, before, subject, body))?;
        record().inspect_err(|_| {
            let _ = self.mailbox.update_draft(
                remote,
                &outgoing(self.config, before, &before.subject, &before.body),
            );
        })
    }

    /// Sends one approved draft if every gate passes now. The mode, suppression list and daily
    /// cap are re-checked inside the store transaction that claims the send.
    pub fn send(&self, id: &str, actor: &str) -> Result<SendOutcome> {
        let outcome = self.send_once(id, actor)?;
        let label = match &outcome {
            SendOutcome::Sent { .. } => "sent",
            SendOutcome::Waiting { .. } => "waiting",
            SendOutcome::Refused { .. } => "refused",
            SendOutcome::Failed { .. } => "send_failed",
        };
        crate::metrics::inc("salesagent_sends_total", &[("outcome", label)]);
        Ok(outcome)
    }

    fn send_once(&self, id: &str, actor: &str) -> Result<SendOutcome> {
        let gates = unmet(&send_gates(self.config));
        if !gates.is_empty() {
            return Ok(SendOutcome::Refused {
                reason: format!("SEND gates not met: {}", gates.join("; ")),
            });
        }
        let now = now_ms();
        let window = match &self.config.send.window {
            Some(text) => Some(SendWindow::parse(text).map_err(Error::Configuration)?),
            None => None,
        };
        if let Some(w) = &window
            && !w.contains(now)
        {
            return Ok(SendOutcome::Waiting {
                window: self.config.send.window.clone().unwrap_or_default(),
            });
        }
        let claim = SendClaim {
            at: now,
            day_start: day_start(now, window.as_ref()),
            daily_cap: self.config.send.daily_cap,
            sender_allowlist: &self.config.send.sender_allowlist,
        };
        let draft = match self.store.claim_send(id, &claim)? {
            Claim::Claimed(d) => d,
            Claim::Refused(why) => {
                return Ok(SendOutcome::Refused {
                    reason: why.to_string(),
                });
            }
        };
        let remote = draft.remote_draft_id.clone().unwrap_or_default();
        match self.mailbox.send_draft(&remote) {
            Ok(sent) => {
                self.store.finish_send(
                    id,
                    Ok((&sent.remote_message_id, sent.thread_id.as_deref())),
                    actor,
                    now_ms(),
                )?;
                Ok(SendOutcome::Sent {
                    remote_message_id: sent.remote_message_id,
                })
            }
            Err(e) => {
                // Never retried blindly: the message may have left. The operator and reconcile
                // decide what happens next.
                let error = e.to_string();
                self.store.finish_send(id, Err(&error), actor, now_ms())?;
                Ok(SendOutcome::Failed { error })
            }
        }
    }

    /// Auto-send (off unless `send.auto_send_domains` names domains): in SEND mode, approves
    /// the workflow's pending draft as `auto-send` when the recipient's domain is listed, and
    /// sends it through the same gates as any send. Anything else stays for review.
    pub fn auto_send(&self, workflow_id: &str) -> Result<Option<SendOutcome>> {
        let domains = &self.config.send.auto_send_domains;
        if domains.is_empty() {
            return Ok(None);
        }
        let Some(draft) = self.store.draft_for_workflow(workflow_id)? else {
            return Ok(None);
        };
        let domain = draft
            .recipient
            .rsplit_once('@')
            .map(|(_, d)| d.to_lowercase())
            .unwrap_or_default();
        let listed = domains
            .iter()
            .any(|d| d.trim().trim_start_matches('@').to_lowercase() == domain);
        if draft.status != DraftStatus::PendingReview
            || !listed
            || self.store.mode()?.mode != MODE_SEND
        {
            return Ok(None);
        }
        match self.approve(
            &draft.id,
            AUTO_SEND_ACTOR,
            Some("auto-send: the recipient's domain is on send.auto_send_domains"),
        ) {
            Ok(a) => Ok(a.send),
            // An operator decided first: theirs stands.
            Err(Error::Refused(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Switches the mode, audited. SEND needs every gate; draft-only is always allowed.
    pub fn set_mode(&self, mode: &str, actor: &str, reason: &str) -> Result<ModeSetting> {
        if reason.trim().is_empty() {
            return Err(Error::InvalidInput(
                "--reason must say why the mode changes".into(),
            ));
        }
        match mode {
            MODE_SEND => {
                let gates = unmet(&send_gates(self.config));
                if !gates.is_empty() {
                    // A refused attempt to enable sending is itself worth a record: who tried,
                    // and which gates stopped it.
                    let mut entry = AuditEntry::new(actor, "mode.set_refused", now_ms());
                    entry.subject = Some("mode".into());
                    entry.reason = Some(reason.into());
                    entry.after = Some(
                        serde_json::json!({ "requested": MODE_SEND, "unmet_gates": gates })
                            .to_string(),
                    );
                    self.store.append_audit(&entry)?;
                    return Err(Error::Refused(format!(
                        "SEND mode refused; unmet gates:\n  {}\nhint: set them in salesagent.toml (or SALESAGENT_ENVIRONMENT), then check with `salesagent mode show`",
                        gates.join("\n  ")
                    )));
                }
            }
            MODE_DRAFT_ONLY => {}
            other => {
                return Err(Error::InvalidInput(format!(
                    "unknown mode {other:?}; use send or draft-only"
                )));
            }
        }
        self.store.set_mode(mode, actor, reason)
    }

    /// Requeues a dead letter; with `inline`, runs its workflow here and now through `pipeline`
    /// (so it works without a worker) and settles the job by the result.
    pub fn retry_dead_letter(
        &self,
        id: &str,
        actor: &str,
        inline: Option<&Pipeline<'_>>,
    ) -> Result<RetryOutcome> {
        // Only a workflow job can run inline; any other kind goes back to the queue.
        let has_workflow = self.store.get_dead_letter(id)?.workflow_id.is_some();
        let requeue = match inline {
            Some(_) if has_workflow => Requeue::Inline { lease_ms: 600_000 },
            _ => Requeue::Queue,
        };
        let dead = self.store.retry_dead_letter(id, requeue, actor, now_ms())?;
        let (Some(pipeline), Some(workflow_id), Requeue::Inline { .. }) =
            (inline, dead.workflow_id.clone(), requeue)
        else {
            return Ok(RetryOutcome {
                dead_letter: dead,
                workflow_status: None,
                error: None,
            });
        };
        let outcome = pipeline.run(&workflow_id);
        let (status, error) = match &outcome {
            Ok(o) => (
                Some(o.status.to_string()),
                o.failure
                    .as_ref()
                    .map(|f| (f.message.clone(), f.class.as_str().to_string())),
            ),
            Err(e) => (None, Some((e.to_string(), e.class().as_str().to_string()))),
        };
        self.store.finish_inline_retry(
            &dead,
            error.as_ref().map(|(m, c)| (m.as_str(), c.as_str())),
            now_ms(),
        )?;
        Ok(RetryOutcome {
            dead_letter: self.store.get_dead_letter(id)?,
            workflow_status: status,
            error: error.map(|(m, _)| m),
        })
    }
}

#[derive(Clone, Debug)]
pub struct RetryOutcome {
    pub dead_letter: DeadLetterRow,
    /// The workflow's status after an inline run.
    pub workflow_status: Option<String>,
    pub error: Option<String>,
}

/// Every `decision` label of `salesagent_draft_decisions_total`.
pub const DECISIONS: [&str; 3] = ["approved", "rejected", "edited"];
/// Every `outcome` label of `salesagent_sends_total`.
pub const SEND_OUTCOMES: [&str; 4] = ["sent", "waiting", "refused", "send_failed"];

fn decision_metric(decision: &'static str) {
    crate::metrics::inc(
        "salesagent_draft_decisions_total",
        &[("decision", decision)],
    );
}

/// The start of the day that holds `now`: in the send window's zone when there is one, else UTC.
pub fn day_start(now: i64, window: Option<&SendWindow>) -> i64 {
    let tz = window
        .map(|w| w.tz.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(now)
        .ok()
        .and_then(|ts| ts.to_zoned_datetime(tz).start_of_day().ok())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(now - 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gate_fails_by_default() {
        let gates = send_gates(&Config::default());
        assert_eq!(gates.len(), 3);
        assert!(gates.iter().all(|g| !g.passed));
    }

    #[test]
    fn the_day_starts_at_midnight_utc() {
        // 2025-11-29 10:40 UTC → 2025-11-29 00:00 UTC.
        assert_eq!(day_start(1_764_412_800_000, None), 1_764_374_400_000);
    }
}
