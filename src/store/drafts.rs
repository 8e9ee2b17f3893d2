//! Drafts: the emails waiting for an operator, with their review state.

use super::sql;
use super::sql::{OptionalExtension, Row, Transaction, params};

use super::states::DraftStatus;
use super::{Cursor, ListQuery, Page, Slice, Store, resolve_id};
use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDraft {
    pub id: String,
    pub workflow_id: String,
    pub recipient: String,
    pub sender: String,
    pub subject: String,
    pub body: String,
    pub message_id: String,
    pub score: Option<i64>,
    pub route_reason: Option<String>,
    pub model: Option<String>,
    pub prompt_version: Option<String>,
    pub tokens_used: Option<i64>,
    pub fallback_used: bool,
    /// `json_schema`, `json_object` or `off` for LLM drafts.
    pub structured_mode: Option<String>,
    pub repaired: bool,
    pub latency_ms: Option<i64>,
    pub fallback_reason: Option<String>,
    pub mailbox: String,
    pub remote_draft_id: Option<String>,
    pub remote_message_id: Option<String>,
    pub thread_id: Option<String>,
    pub status: DraftStatus,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftRow {
    pub id: String,
    pub workflow_id: String,
    pub recipient: String,
    pub sender: String,
    pub subject: String,
    pub body: String,
    pub message_id: String,
    pub score: Option<i64>,
    pub route_reason: Option<String>,
    pub model: Option<String>,
    pub prompt_version: Option<String>,
    pub tokens_used: Option<i64>,
    pub fallback_used: bool,
    /// `json_schema`, `json_object` or `off` for LLM drafts.
    pub structured_mode: Option<String>,
    pub repaired: bool,
    pub latency_ms: Option<i64>,
    pub fallback_reason: Option<String>,
    pub mailbox: String,
    pub remote_draft_id: Option<String>,
    pub remote_message_id: Option<String>,
    pub thread_id: Option<String>,
    pub status: DraftStatus,
    pub reviewer: Option<String>,
    pub review_note: Option<String>,
    pub reviewed_at: Option<i64>,
    pub sent_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// For a `superseded` draft: the live draft that replaced its text (`drafts recompose`).
    pub superseded_by: Option<String>,
}

const DRAFT_COLUMNS: &str = "id, workflow_id, recipient, sender, subject, body, message_id, score, \
     route_reason, model, prompt_version, tokens_used, fallback_used, mailbox, remote_draft_id, \
     remote_message_id, thread_id, status, reviewer, review_note, reviewed_at, sent_at, created_at, \
     updated_at, superseded_by, structured_mode, repaired, latency_ms, fallback_reason";

fn draft_from_row(r: &Row<'_>) -> sql::Result<DraftRow> {
    Ok(DraftRow {
        id: r.get(0)?,
        workflow_id: r.get(1)?,
        recipient: r.get(2)?,
        sender: r.get(3)?,
        subject: r.get(4)?,
        body: r.get(5)?,
        message_id: r.get(6)?,
        score: r.get(7)?,
        route_reason: r.get(8)?,
        model: r.get(9)?,
        prompt_version: r.get(10)?,
        tokens_used: r.get(11)?,
        fallback_used: r.get(12)?,
        mailbox: r.get(13)?,
        remote_draft_id: r.get(14)?,
        remote_message_id: r.get(15)?,
        thread_id: r.get(16)?,
        status: r.get(17)?,
        reviewer: r.get(18)?,
        review_note: r.get(19)?,
        reviewed_at: r.get(20)?,
        sent_at: r.get(21)?,
        created_at: r.get(22)?,
        updated_at: r.get(23)?,
        superseded_by: r.get(24)?,
        structured_mode: r.get(25)?,
        repaired: r.get(26)?,
        latency_ms: r.get(27)?,
        fallback_reason: r.get(28)?,
    })
}

#[derive(Clone, Debug, Default)]
pub struct DraftFilter {
    pub status: Option<DraftStatus>,
    pub sender: Option<String>,
    pub since: Option<i64>,
    pub min_score: Option<i64>,
    pub limit: usize,
    /// Oldest first (the review order) instead of newest first.
    pub oldest_first: bool,
}

/// A recomposed draft's new text and how it was written (`drafts recompose`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recomposed {
    pub subject: String,
    pub body: String,
    pub route_reason: Option<String>,
    pub model: Option<String>,
    pub prompt_version: Option<String>,
    pub tokens_used: Option<i64>,
    /// Of `tokens_used`, the prompts' and the completions' (usage metering).
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub fallback_used: bool,
    pub structured_mode: Option<String>,
    pub repaired: bool,
    pub latency_ms: Option<i64>,
    pub fallback_reason: Option<String>,
}

/// Inserts the workflow's draft unless it has a live one already; true when this inserted it.
/// A draft's INSERT, [`draft_values`] bound: one live draft per workflow (unique index, ON
/// CONFLICT DO NOTHING), so a second insert waits on the index and inserts nothing.
pub(super) const INSERT_DRAFT: &str = "INSERT INTO drafts (id, tenant_id, workflow_id, recipient,
         sender, subject, body, message_id, score, route_reason, model, prompt_version, tokens_used,
         fallback_used, mailbox, remote_draft_id, remote_message_id, thread_id, status, created_at,
         updated_at, structured_mode, repaired, latency_ms, fallback_reason)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?20,
         ?21, ?22, ?23, ?24)
     ON CONFLICT (workflow_id) WHERE status != 'superseded' DO NOTHING";

/// The values of [`INSERT_DRAFT`]'s placeholders, in order.
pub(super) fn draft_values<'a>(
    tenant: &'a dyn sql::ToSql,
    d: &'a NewDraft,
) -> [&'a dyn sql::ToSql; 24] {
    [
        &d.id,
        tenant,
        &d.workflow_id,
        &d.recipient,
        &d.sender,
        &d.subject,
        &d.body,
        &d.message_id,
        &d.score,
        &d.route_reason,
        &d.model,
        &d.prompt_version,
        &d.tokens_used,
        &d.fallback_used,
        &d.mailbox,
        &d.remote_draft_id,
        &d.remote_message_id,
        &d.thread_id,
        &d.status,
        &d.created_at,
        &d.structured_mode,
        &d.repaired,
        &d.latency_ms,
        &d.fallback_reason,
    ]
}

/// Inserts a draft ([`INSERT_DRAFT`]); false when the workflow had a live one already.
pub(super) fn insert_draft(tx: &Transaction<'_>, tenant: &str, d: &NewDraft) -> Result<bool> {
    let inserted = tx
        .prepare_cached(INSERT_DRAFT)?
        .execute(&draft_values(&tenant, d)[..])?;
    Ok(inserted == 1)
}

fn draft_order(filter: &DraftFilter) -> &'static str {
    if filter.oldest_first {
        "created_at ASC, id ASC"
    } else {
        "created_at DESC, id DESC"
    }
}

impl Store {
    pub fn resolve_draft_id(&self, id: &str) -> Result<String> {
        resolve_id(&self.conn, "drafts", &self.tenant, id)
    }

    pub fn get_draft(&self, id: &str) -> Result<DraftRow> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {DRAFT_COLUMNS} FROM drafts WHERE id = ?1 AND tenant_id = ?2"
        ))?;
        stmt.query_row((id, &self.tenant), draft_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no draft with id {id}")))
    }

    /// The workflow's live draft (never a superseded earlier text).
    pub fn draft_for_workflow(&self, workflow_id: &str) -> Result<Option<DraftRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {DRAFT_COLUMNS} FROM drafts
             WHERE workflow_id = ?1 AND tenant_id = ?2 AND status != 'superseded'"
        ))?;
        Ok(stmt
            .query_row(params![workflow_id, self.tenant], draft_from_row)
            .optional()?)
    }

    pub fn list_drafts(&self, filter: &DraftFilter) -> Result<Vec<DraftRow>> {
        Ok(self.list_drafts_page(filter)?.rows)
    }

    /// The list, and how many match in all when it was cut at `filter.limit`.
    pub fn list_drafts_page(&self, filter: &DraftFilter) -> Result<Page<DraftRow>> {
        self.draft_query(filter).fetch_page(
            &self.conn,
            draft_order(filter),
            filter.limit,
            draft_from_row,
        )
    }

    /// The rows that follow `cursor` and whether more follow (newest first only: the cursor is
    /// ignored with `oldest_first`); no count.
    pub fn list_drafts_after(
        &self,
        filter: &DraftFilter,
        cursor: Option<&Cursor>,
    ) -> Result<Slice<DraftRow>> {
        self.draft_query(filter)
            .after(cursor.filter(|_| !filter.oldest_first))
            .fetch_slice(
                &self.conn,
                draft_order(filter),
                filter.limit,
                draft_from_row,
            )
    }

    fn draft_query(&self, filter: &DraftFilter) -> ListQuery {
        ListQuery::new(
            &format!("SELECT {DRAFT_COLUMNS} FROM drafts WHERE tenant_id = ?1"),
            &self.tenant,
        )
        .filter("status = ?", filter.status)
        .filter(
            "lower(sender) = ?",
            filter.sender.as_ref().map(|s| s.to_lowercase()),
        )
        .filter("created_at >= ?", filter.since)
        .filter("score >= ?", filter.min_score)
    }

    /// Earlier drafts to the same recipient, newest first, for the history step.
    pub fn drafts_to(
        &self,
        recipient: &str,
        excluding_workflow: &str,
        limit: usize,
    ) -> Result<Vec<DraftRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {DRAFT_COLUMNS} FROM drafts
             WHERE tenant_id = ?1 AND recipient = ?2 AND workflow_id != ?3
               AND status != 'superseded'
             ORDER BY created_at DESC LIMIT ?4"
        ))?;
        let rows = stmt
            .query_map(
                params![self.tenant, recipient, excluding_workflow, limit as i64],
                draft_from_row,
            )?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
