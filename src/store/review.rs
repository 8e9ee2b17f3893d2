//! Operator decisions on drafts (approve, reject, edit) and the send claim. Each is a state change
//! guarded by the draft's current status and committed together with its audit entry; the send
//! claim re-reads the mode inside its own transaction, so a switch to draft-only stops it at once.
//! Also what a reviewer sees beside the draft (`DraftContext`) and a recompose, which keeps the
//! earlier text as a `superseded` draft.

use super::sql::{OptionalExtension, params};
use serde_json::json;

use super::Store;
use super::audit::{AuditEntry, MODE_SEND, append_audit, current_mode};
use super::drafts::{DraftRow, Recomposed};
use super::states::{DraftStatus, Metric};
use super::usage::count_in;
use crate::domain::time::{now_ms, short};
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn status(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
        }
    }

    fn action(self) -> &'static str {
        match self {
            Decision::Approve => "draft.approve",
            Decision::Reject => "draft.reject",
        }
    }
}

/// What a send claim must check besides the mode and the draft's status.
#[derive(Clone, Debug)]
pub struct SendClaim<'a> {
    pub at: i64,
    /// Sends claimed since this time count against the daily cap.
    pub day_start: i64,
    pub daily_cap: u32,
    pub sender_allowlist: &'a [String],
}

/// Why a send was not claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimRefusal {
    DraftOnly,
    NotApproved { status: DraftStatus },
    SenderNotAllowed { sender: String },
    Suppressed { value: String, reason: String },
    DailyCap { sender: String, cap: u32 },
}

impl std::fmt::Display for ClaimRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClaimRefusal::DraftOnly => write!(f, "the mode is draft_only: nothing is sent"),
            ClaimRefusal::NotApproved { status } => {
                write!(f, "the draft is {status}, not approved")
            }
            ClaimRefusal::SenderNotAllowed { sender } => {
                write!(f, "sender {sender} is not on send.sender_allowlist")
            }
            ClaimRefusal::Suppressed { value, reason } => {
                write!(f, "the recipient is suppressed ({value}: {reason})")
            }
            ClaimRefusal::DailyCap { sender, cap } => write!(
                f,
                "sender {sender} reached its daily cap of {cap} sends (send.daily_cap)"
            ),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Claim {
    /// The draft is now `sending`: the caller must send it and record the result.
    Claimed(Box<DraftRow>),
    Refused(ClaimRefusal),
}

/// What `drafts show` and `drafts review` show beside a draft.
#[derive(Clone, Debug)]
pub struct DraftContext {
    /// The lead as the submission holds it (normalised; resolved from the CRM for event shapes).
    pub lead: crate::domain::lead::Lead,
    pub source: String,
    pub form_id: Option<String>,
    pub page_url: Option<String>,
    pub submitted_at: Option<i64>,
    pub received_at: i64,
    /// Other submissions from the same address received up to this one.
    pub earlier_submissions: i64,
    /// The contact step's stored output (`{"contact": …, "crm": …}`), when it completed.
    pub contact_step: Option<String>,
}

/// "already approved by X at T", or whatever describes a draft that is no longer pending.
fn already(d: &DraftRow) -> String {
    let who = d.reviewer.as_deref().unwrap_or("someone");
    let when = d.reviewed_at.map(short).unwrap_or_else(|| "-".into());
    match d.status.as_str() {
        "approved" | "rejected" => {
            format!("draft {} is already {} by {who} at {when}", d.id, d.status)
        }
        "sending" | "sent" | "send_failed" => format!(
            "draft {} is already approved by {who} at {when} (now {})",
            d.id, d.status
        ),
        other => format!("draft {} is {other}, not pending_review", d.id),
    }
}

impl Store {
    /// Approves or rejects a pending draft. Exactly one of several concurrent decisions wins; the
    /// others get `Refused` naming who decided and when.
    pub fn decide_draft(
        &self,
        id: &str,
        decision: Decision,
        actor: &str,
        note: Option<&str>,
        at: i64,
    ) -> Result<DraftRow> {
        let tx = self.write_tx()?;
        let changed = tx.execute(
            "UPDATE drafts SET status = ?1, reviewer = ?2, review_note = ?3, reviewed_at = ?4,
                 updated_at = ?4
             WHERE id = ?5 AND tenant_id = ?6 AND status = 'pending_review'",
            params![decision.status(), actor, note, at, id, self.tenant],
        )?;
        if changed == 0 {
            drop(tx);
            let current = self.get_draft(id)?;
            return Err(Error::Refused(already(&current)));
        }
        if decision == Decision::Approve {
            count_in(&tx, &self.tenant, at, Metric::DraftsApproved, 1)?;
        }
        let mut entry = AuditEntry::new(actor, decision.action(), at);
        entry.subject = Some(id.to_string());
        entry.reason = note.map(str::to_string);
        entry.before = Some("pending_review".into());
        entry.after = Some(decision.status().into());
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        self.get_draft(id)
    }

    /// Replaces a pending draft's subject and body, audited with the text before and after.
    pub fn edit_draft(
        &self,
        id: &str,
        subject: &str,
        body: &str,
        actor: &str,
        at: i64,
    ) -> Result<DraftRow> {
        let before = self.get_draft(id)?;
        let tx = self.write_tx()?;
        let changed = tx.execute(
            "UPDATE drafts SET subject = ?1, body = ?2, updated_at = ?3
             WHERE id = ?4 AND tenant_id = ?5 AND status = 'pending_review'",
            params![subject, body, at, id, self.tenant],
        )?;
        if changed == 0 {
            drop(tx);
            let current = self.get_draft(id)?;
            return Err(Error::Refused(already(&current)));
        }
        // The mailbox update this edit records.
        count_in(&tx, &self.tenant, at, Metric::MailboxCalls, 1)?;
        let mut entry = AuditEntry::new(actor, "draft.edit", at);
        entry.subject = Some(id.to_string());
        entry.before = Some(json!({ "subject": before.subject, "body": before.body }).to_string());
        entry.after = Some(json!({ "subject": subject, "body": body }).to_string());
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        self.get_draft(id)
    }

    /// Replaces a pending draft's text with a recomposed one. The earlier text is kept as a new
    /// draft row `superseded_id` of status `superseded` (no mailbox copy: the mailbox draft now
    /// holds the new text), pointing at this draft; audited as `draft.recompose`. A draft decided
    /// meanwhile is `Refused`, and then nothing changes.
    pub fn recompose_draft(
        &self,
        id: &str,
        new: &Recomposed,
        superseded_id: &str,
        actor: &str,
        at: i64,
    ) -> Result<DraftRow> {
        let tx = self.write_tx()?;
        let before = self.get_draft(id)?;
        tx.execute(
            "INSERT INTO drafts (id, tenant_id, workflow_id, recipient, sender, subject, body,
                 message_id, score, route_reason, model, prompt_version, tokens_used, fallback_used,
                 mailbox, remote_draft_id, remote_message_id, thread_id, status, created_at,
                 updated_at, superseded_by, structured_mode, repaired, latency_ms, fallback_reason)
             SELECT ?1, tenant_id, workflow_id, recipient, sender, subject, body, message_id,
                 score, route_reason, model, prompt_version, tokens_used, fallback_used, mailbox,
                 NULL, NULL, thread_id, 'superseded', created_at, ?2, id, structured_mode,
                 repaired, latency_ms, fallback_reason
             FROM drafts WHERE id = ?3 AND tenant_id = ?4 AND status = 'pending_review'",
            params![superseded_id, at, id, self.tenant],
        )?;
        let changed = tx.execute(
            "UPDATE drafts SET subject = ?1, body = ?2, route_reason = COALESCE(?3, route_reason),
                 model = ?4, prompt_version = ?5, tokens_used = ?6, fallback_used = ?7,
                 updated_at = ?8, structured_mode = ?11, repaired = ?12, latency_ms = ?13,
                 fallback_reason = ?14
             WHERE id = ?9 AND tenant_id = ?10 AND status = 'pending_review'",
            params![
                new.subject,
                new.body,
                new.route_reason,
                new.model,
                new.prompt_version,
                new.tokens_used,
                new.fallback_used,
                at,
                id,
                self.tenant,
                new.structured_mode,
                new.repaired,
                new.latency_ms,
                new.fallback_reason
            ],
        )?;
        if changed == 0 {
            drop(tx);
            return Err(Error::Refused(already(&self.get_draft(id)?)));
        }
        // What the recompose spent: the model's tokens and the mailbox update it records.
        let tokens = |n: Option<i64>| n.map_or(0, |n| u64::try_from(n).unwrap_or(0));
        count_in(
            &tx,
            &self.tenant,
            at,
            Metric::LlmPromptTokens,
            tokens(new.prompt_tokens),
        )?;
        count_in(
            &tx,
            &self.tenant,
            at,
            Metric::LlmCompletionTokens,
            tokens(new.completion_tokens),
        )?;
        count_in(&tx, &self.tenant, at, Metric::MailboxCalls, 1)?;
        let mut entry = AuditEntry::new(actor, "draft.recompose", at);
        entry.subject = Some(id.to_string());
        entry.reason = Some(format!(
            "the earlier text is kept as superseded draft {superseded_id}"
        ));
        entry.before = Some(
            json!({ "subject": before.subject, "body": before.body, "model": before.model })
                .to_string(),
        );
        entry.after = Some(
            json!({ "subject": new.subject, "body": new.body, "model": new.model }).to_string(),
        );
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        self.get_draft(id)
    }

    /// The earlier texts of a draft, newest first (`drafts show`).
    pub fn superseded_versions(&self, id: &str) -> Result<Vec<DraftRow>> {
        Ok(self
            .list_drafts(&super::DraftFilter {
                status: Some(DraftStatus::Superseded),
                limit: 1000,
                ..Default::default()
            })?
            .into_iter()
            .filter(|d| d.superseded_by.as_deref() == Some(id))
            .collect())
    }

    /// Marks the workflow's follow-up task closed in our own record (after the CRM closed it),
    /// counting that CRM call.
    pub fn mark_task_closed(&self, workflow_id: &str) -> Result<()> {
        let tx = self.write_tx()?;
        tx.prepare_cached(
            "UPDATE tasks SET status = 'completed' WHERE workflow_id = ?1 AND tenant_id = ?2",
        )?
        .execute(params![workflow_id, self.tenant])?;
        count_in(&tx, &self.tenant, now_ms(), Metric::CrmCalls, 1)?;
        tx.commit()?;
        Ok(())
    }

    /// What a reviewer needs beside the draft: the submission the lead sent, how many times they
    /// wrote before, and the CRM contact the pipeline found or created.
    pub fn draft_context(&self, draft: &DraftRow) -> Result<DraftContext> {
        let (submission_id, source, form_id, page_url, submitted_at, received_at): (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            i64,
        ) = self
            .conn
            .prepare_cached(
                "SELECT s.id, s.source, s.form_id, s.page_url, s.submitted_at, s.received_at
                 FROM workflows w JOIN submissions s ON s.id = w.submission_id
                 WHERE w.id = ?1 AND w.tenant_id = ?2",
            )?
            .query_row(params![draft.workflow_id, self.tenant], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .optional()?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "the submission of draft {} (workflow {}) is gone",
                    draft.id, draft.workflow_id
                ))
            })?;
        let lead = self.get_submission(&submission_id)?.lead;
        let earlier_submissions: i64 = self
            .conn
            .prepare_cached(
                // Through the workflows' email index (submissions have none, V15); each
                // submission has exactly one workflow (`accept_in` writes both), so the join
                // counts submissions.
                "SELECT COUNT(*) FROM workflows w JOIN submissions s ON s.id = w.submission_id
                 WHERE w.tenant_id = ?1 AND w.email = ?2 AND w.created_at <= ?4
                   AND s.tenant_id = ?1 AND s.email = ?2 AND s.id != ?3 AND s.synthetic = 0
                   AND s.received_at <= ?4",
            )?
            .query_row(
                params![self.tenant, draft.recipient, submission_id, received_at],
                |r| r.get(0),
            )?;
        let contact_step: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT output FROM workflow_steps
                 WHERE workflow_id = ?1 AND name = 'contact' AND status = 'completed'
                   AND superseded_at IS NULL
                   AND workflow_id IN (SELECT id FROM workflows WHERE id = ?1 AND tenant_id = ?2)
                 ORDER BY attempt DESC LIMIT 1",
            )?
            .query_row(params![draft.workflow_id, self.tenant], |r| r.get(0))
            .optional()?
            .flatten();
        Ok(DraftContext {
            lead,
            source,
            form_id,
            page_url,
            submitted_at,
            received_at,
            earlier_submissions,
            contact_step,
        })
    }

    /// Claims an approved draft for sending, in one IMMEDIATE transaction that re-reads the mode,
    /// the suppression list and the sender's sends today. Only a claimed draft may be sent.
    pub fn claim_send(&self, id: &str, claim: &SendClaim<'_>) -> Result<Claim> {
        let tx = self.write_tx()?;
        if current_mode(&tx, &self.tenant)? != MODE_SEND {
            return Ok(Claim::Refused(ClaimRefusal::DraftOnly));
        }
        let draft = self.get_draft(id)?;
        if draft.status != DraftStatus::Approved {
            return Ok(Claim::Refused(ClaimRefusal::NotApproved {
                status: draft.status,
            }));
        }
        let sender = draft.sender.to_lowercase();
        if !claim
            .sender_allowlist
            .iter()
            .any(|s| s.trim().to_lowercase() == sender)
        {
            return Ok(Claim::Refused(ClaimRefusal::SenderNotAllowed {
                sender: draft.sender,
            }));
        }
        if let Some(s) = self.suppression_for(&draft.recipient)? {
            return Ok(Claim::Refused(ClaimRefusal::Suppressed {
                value: s.value,
                reason: s.reason,
            }));
        }
        let sent_today: i64 = tx.query_row(
            "SELECT COUNT(*) FROM drafts
             WHERE tenant_id = ?1 AND lower(sender) = ?2 AND send_started_at >= ?3",
            params![self.tenant, sender, claim.day_start],
            |r| r.get(0),
        )?;
        if sent_today >= i64::from(claim.daily_cap) {
            return Ok(Claim::Refused(ClaimRefusal::DailyCap {
                sender: draft.sender,
                cap: claim.daily_cap,
            }));
        }
        let changed = tx.execute(
            "UPDATE drafts SET status = 'sending', send_started_at = ?1, updated_at = ?1
             WHERE id = ?2 AND tenant_id = ?3 AND status = 'approved'
               AND (SELECT value FROM settings WHERE tenant_id = ?3 AND key = 'mode') = 'send'",
            params![claim.at, id, self.tenant],
        )?;
        if changed == 0 {
            return Ok(Claim::Refused(ClaimRefusal::DraftOnly));
        }
        tx.commit()?;
        Ok(Claim::Claimed(Box::new(self.get_draft(id)?)))
    }

    /// Records how a claimed send ended: `sent`, or `send_failed` (never retried automatically:
    /// the message may have gone out).
    pub fn finish_send(
        &self,
        id: &str,
        result: std::result::Result<(&str, Option<&str>), &str>,
        actor: &str,
        at: i64,
    ) -> Result<DraftRow> {
        let tx = self.write_tx()?;
        let mut entry;
        match result {
            Ok((message_id, thread_id)) => {
                let sent = tx.execute(
                    "UPDATE drafts SET status = 'sent', sent_at = ?1, updated_at = ?1,
                         remote_message_id = ?2, thread_id = COALESCE(?3, thread_id)
                     WHERE id = ?4 AND tenant_id = ?5 AND status = 'sending'",
                    params![at, message_id, thread_id, id, self.tenant],
                )?;
                count_in(&tx, &self.tenant, at, Metric::EmailsSent, sent as u64)?;
                entry = AuditEntry::new(actor, "draft.send", at);
                entry.after = Some("sent".into());
            }
            Err(error) => {
                tx.execute(
                    "UPDATE drafts SET status = 'send_failed', updated_at = ?1
                     WHERE id = ?2 AND tenant_id = ?3 AND status = 'sending'",
                    params![at, id, self.tenant],
                )?;
                entry = AuditEntry::new(actor, "draft.send_failed", at);
                entry.reason = Some(error.to_string());
                entry.after = Some("send_failed".into());
            }
        }
        // The one mailbox call this records (the send), sent or not.
        count_in(&tx, &self.tenant, at, Metric::MailboxCalls, 1)?;
        entry.subject = Some(id.to_string());
        entry.before = Some("sending".into());
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        self.get_draft(id)
    }

    /// Marks the steps of a workflow from `from_seq` on as superseded, so the next run redoes
    /// them; audited as a retry from that step.
    pub fn supersede_steps(
        &self,
        workflow_id: &str,
        from_seq: i64,
        step_name: &str,
        actor: &str,
        at: i64,
    ) -> Result<usize> {
        let tx = self.write_tx()?;
        let n = tx.execute(
            "UPDATE workflow_steps SET superseded_at = ?1
             WHERE workflow_id = ?2 AND seq >= ?3 AND superseded_at IS NULL
               AND workflow_id IN (SELECT id FROM workflows WHERE id = ?2 AND tenant_id = ?4)",
            params![at, workflow_id, from_seq, self.tenant],
        )?;
        let mut entry = AuditEntry::new(actor, "workflow.retry", at);
        entry.subject = Some(workflow_id.to_string());
        entry.reason = Some(format!("from step {step_name}"));
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        Ok(n)
    }

    /// How many drafts a sender has claimed for sending since `since` (for `mode show`).
    pub fn sends_since(&self, sender: &str, since: i64) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM drafts
                 WHERE tenant_id = ?1 AND lower(sender) = ?2 AND send_started_at >= ?3",
            )?
            .query_row(params![self.tenant, sender.to_lowercase(), since], |r| {
                r.get(0)
            })
            .optional()?
            .unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewDraft;

    fn store_with_draft() -> Store {
        let store = Store::open_in_memory().unwrap();
        store
            .conn
            .execute(
                "INSERT INTO submissions (id, source, shape, dedupe_key, raw_payload, received_at)
                 VALUES ('s1', 'run', 'seed', 'k1', ?1, 1)",
                [vec![0u8]],
            )
            .unwrap();
        store
            .conn
            .execute(
                "INSERT INTO workflows (id, submission_id, status, mode, trace_id, created_at, updated_at)
                 VALUES ('w1', 's1', 'completed', 'draft_only', 't', 1, 1)",
                (),
            )
            .unwrap();
        let tx = store.write_tx().unwrap();
        super::super::drafts::insert_draft(
            &tx,
            "default",
            &NewDraft {
                recipient: "dana@northwind.com".into(),
                sender: "sales@example.com".into(),
                subject: "Hi".into(),
                body: "Body".into(),
                message_id: "<m>".into(),
                score: Some(50),
                mailbox: "local_mailbox".into(),
                remote_draft_id: Some("d1".into()),
                ..super::super::test_support::new_draft("d1", "w1", 1)
            },
        )
        .unwrap();
        tx.commit().unwrap();
        store
    }

    #[test]
    fn only_the_first_decision_wins() {
        let store = store_with_draft();
        let d = store
            .decide_draft("d1", Decision::Approve, "ann", Some("ok"), 10)
            .unwrap();
        assert_eq!(d.status, DraftStatus::Approved);
        let err = store
            .decide_draft("d1", Decision::Reject, "bob", Some("no"), 11)
            .unwrap_err();
        assert!(matches!(err, Error::Refused(_)));
        assert!(err.to_string().contains("already approved by ann"), "{err}");
    }

    #[test]
    fn a_recompose_keeps_the_earlier_text_and_only_pending_drafts_are_recomposed() {
        let store = store_with_draft();
        let new = Recomposed {
            subject: "New".into(),
            body: "New body".into(),
            route_reason: None,
            model: Some("template:default".into()),
            prompt_version: None,
            tokens_used: None,
            prompt_tokens: None,
            completion_tokens: None,
            fallback_used: false,
            structured_mode: Some("json_schema".into()),
            repaired: true,
            latency_ms: Some(12),
            fallback_reason: None,
        };
        let d = store
            .recompose_draft("d1", &new, "old1", "ann", 20)
            .unwrap();
        assert_eq!(
            (d.structured_mode.as_deref(), d.repaired, d.latency_ms),
            (Some("json_schema"), true, Some(12))
        );
        assert_eq!(
            (d.subject.as_str(), d.status.as_str()),
            ("New", "pending_review")
        );
        let old = store.get_draft("old1").unwrap();
        assert_eq!(old.status, DraftStatus::Superseded);
        assert_eq!(old.subject, "Hi");
        assert_eq!(old.superseded_by.as_deref(), Some("d1"));
        assert_eq!(old.remote_draft_id, None);
        assert_eq!(store.draft_for_workflow("w1").unwrap().unwrap().id, "d1");
        assert_eq!(store.superseded_versions("d1").unwrap().len(), 1);
        store
            .decide_draft("d1", Decision::Reject, "bob", Some("no"), 30)
            .unwrap();
        let err = store
            .recompose_draft("d1", &new, "old2", "ann", 40)
            .unwrap_err();
        assert!(matches!(err, Error::Refused(_)), "{err}");
        assert!(
            store.get_draft("old2").is_err(),
            "a refused recompose writes nothing"
        );
        assert!(matches!(
            store.decide_draft("old1", Decision::Approve, "ann", None, 50),
            Err(Error::Refused(_))
        ));
    }

    #[test]
    fn a_send_is_claimed_only_in_send_mode_and_under_the_cap() {
        let store = store_with_draft();
        store
            .decide_draft("d1", Decision::Approve, "ann", None, 10)
            .unwrap();
        let allow = vec!["sales@example.com".to_string()];
        let claim = SendClaim {
            at: 20,
            day_start: 0,
            daily_cap: 1,
            sender_allowlist: &allow,
        };
        assert!(matches!(
            store.claim_send("d1", &claim).unwrap(),
            Claim::Refused(ClaimRefusal::DraftOnly)
        ));
        store.set_mode(MODE_SEND, "ops", "go").unwrap();
        let zero = SendClaim {
            daily_cap: 0,
            ..claim.clone()
        };
        assert!(matches!(
            store.claim_send("d1", &zero).unwrap(),
            Claim::Refused(ClaimRefusal::DailyCap { .. })
        ));
        assert!(matches!(
            store.claim_send("d1", &claim).unwrap(),
            Claim::Claimed(_)
        ));
        assert!(matches!(
            store.claim_send("d1", &claim).unwrap(),
            Claim::Refused(ClaimRefusal::NotApproved { .. })
        ));
        let sent = store
            .finish_send("d1", Ok(("<m>", None)), "ann", 21)
            .unwrap();
        assert_eq!(sent.status, DraftStatus::Sent);
        assert_eq!(store.sends_since("SALES@example.com", 0).unwrap(), 1);
    }
}
