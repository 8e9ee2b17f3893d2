//! `GET /api/v1/drafts[?status=…]`, `GET /api/v1/drafts/{id}` (with the lead's own message and
//! context), `POST …/approve|reject` and `PATCH /api/v1/drafts/{id}` (edit while pending). Every
//! decision goes through `Operator`, the same guarded transitions as the terminal: a lost race is
//! 409 with "already approved by X at T".

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::AppState;
use super::error::{Answer, ApiV1Error, ErrorBody};
use super::{Caller, ListPage, OptionalBody, exact, since_param, state_param, to_json};
use crate::orchestrator::WorkflowReport;
use crate::store::{DRAFT_STATUSES, DraftFilter, DraftStatus};
use crate::views::{DecisionItem, DraftDetail, DraftItem};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// pending_review, approved, rejected, sending, sent, send_failed, superseded, orphaned
    status: Option<String>,
    /// Only drafts from this sender mailbox
    sender: Option<String>,
    /// A duration back from now (24h, 7d) or a date (2026-11-01)
    since: Option<String>,
    /// Only drafts whose lead scored at least this
    min_score: Option<i64>,
    /// At most this many (1–500, default 50)
    limit: Option<usize>,
    /// `next_cursor` of the previous page
    cursor: Option<String>,
}

/// One page of drafts, newest first (without their bodies: `GET /api/v1/drafts/{id}` has them).
#[derive(Serialize, ToSchema)]
pub struct DraftPage<'a> {
    pub drafts: Vec<DraftItem<'a>>,
    /// Where the next page starts; null on the last page.
    pub next_cursor: Option<String>,
}

/// Who approves (recorded beside the key's id) and an optional note.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    by: Option<String>,
    note: Option<String>,
}

/// Who rejects and why (`reason` is required).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    by: Option<String>,
    reason: Option<String>,
}

/// The new subject and/or body of a pending draft.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    by: Option<String>,
    subject: Option<String>,
    body: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/drafts", operation_id = "list_drafts", tag = "drafts", params(ListParams),
    security(("api_key" = ["drafts:read"])),
    responses((status = 200, description = "Drafts, newest first", body = DraftPage),
        (status = 422, description = "A parameter is invalid", body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Answer, ApiV1Error> {
    caller.require("drafts:read")?;
    let Query(p) = params.map_err(super::query_error)?;
    let status = state_param(
        "status",
        p.status.as_deref(),
        &DRAFT_STATUSES,
        DraftStatus::parse,
    )?;
    let page = ListPage::new(p.limit, p.cursor.as_deref())?;
    let filter = DraftFilter {
        status,
        sender: p.sender,
        since: since_param(p.since.as_deref())?,
        min_score: p.min_score,
        limit: page.limit,
        oldest_first: false,
    };
    state
        .api
        .with_store(&caller.tenant, move |store| {
            let rows = store.list_drafts_after(&filter, page.cursor.as_ref())?;
            let next = page.next(&rows, |d| (d.created_at, d.id.as_str()));
            let page = DraftPage {
                drafts: rows.rows.iter().map(|d| DraftItem::new(d, false)).collect(),
                next_cursor: next,
            };
            Ok(Answer::Ok(to_json(&page)?))
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/drafts/{id}", operation_id = "get_draft", tag = "drafts", params(("id" = String, Path, description = "A draft id")),
    security(("api_key" = ["drafts:read"])),
    responses((status = 200, description = "The draft with the lead's own message and context", body = DraftDetail),
        (status = 404, description = "No such draft in this tenant", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Answer, ApiV1Error> {
    caller.require("drafts:read")?;
    state
        .api
        .with_operator(&caller.tenant, move |op| {
            let id = exact(op.store.resolve_draft_id(&id), &id)?;
            let page = op.draft_page(&id)?;
            let report = WorkflowReport::load(op.store, &page.draft.workflow_id)?;
            let detail = DraftDetail::new(
                &page.draft,
                &page.context,
                page.on_approve.as_ref(),
                &page.superseded,
                &report,
            );
            Ok(Answer::Ok(to_json(&detail)?))
        })
        .await
}

#[utoipa::path(post, path = "/api/v1/drafts/{id}/approve", operation_id = "approve_draft", tag = "drafts", params(("id" = String, Path, description = "A draft id")),
    request_body(content = Option<ApproveBody>, content_type = "application/json"),
    security(("api_key" = ["drafts:review"])),
    responses((status = 200, description = "Approved (and in SEND mode, the send's outcome)", body = DecisionItem),
        (status = 404, description = "No such draft in this tenant", body = ErrorBody),
        (status = 409, description = "Decided already: \"already approved by X at T\"", body = ErrorBody)))]
pub async fn approve(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: OptionalBody<ApproveBody>,
) -> Result<Answer, ApiV1Error> {
    caller.require("drafts:review")?;
    let actor = caller.actor(body.0.by.as_deref())?;
    let note = body.0.note;
    state
        .api
        .with_operator(&caller.tenant, move |op| {
            let id = exact(op.store.resolve_draft_id(&id), &id)?;
            let approval = op.approve(&id, &actor, note.as_deref())?;
            Ok(Answer::Ok(to_json(&DecisionItem::of(
                &approval.draft,
                approval.send,
            ))?))
        })
        .await
}

#[utoipa::path(post, path = "/api/v1/drafts/{id}/reject", operation_id = "reject_draft", tag = "drafts", params(("id" = String, Path, description = "A draft id")),
    request_body(content = RejectBody, content_type = "application/json"),
    security(("api_key" = ["drafts:review"])),
    responses((status = 200, description = "Rejected; the CRM task is closed", body = DecisionItem),
        (status = 404, description = "No such draft in this tenant", body = ErrorBody),
        (status = 409, description = "Decided already", body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody)))]
pub async fn reject(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: OptionalBody<RejectBody>,
) -> Result<Answer, ApiV1Error> {
    caller.require("drafts:review")?;
    let actor = caller.actor(body.0.by.as_deref())?;
    let reason = body
        .0
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiV1Error::invalid("reason", "is required to reject a draft"))?;
    state
        .api
        .with_operator(&caller.tenant, move |op| {
            let id = exact(op.store.resolve_draft_id(&id), &id)?;
            let rejection = op.reject(&id, &actor, &reason)?;
            if let Some(warning) = &rejection.mailbox_warning {
                tracing::warn!(draft_id = %id, "{warning}");
            }
            let item = DecisionItem {
                task: Some(rejection.task.clone()),
                ..DecisionItem::of(&rejection.draft, None)
            };
            Ok(Answer::Ok(to_json(&item)?))
        })
        .await
}

#[utoipa::path(patch, path = "/api/v1/drafts/{id}", operation_id = "edit_draft", tag = "drafts", params(("id" = String, Path, description = "A draft id")),
    request_body(content = EditBody, content_type = "application/json"),
    security(("api_key" = ["drafts:review"])),
    responses((status = 200, description = "The draft with its new text", body = DraftItem),
        (status = 404, description = "No such draft in this tenant", body = ErrorBody),
        (status = 409, description = "The draft is no longer pending", body = ErrorBody),
        (status = 422, description = "An empty or multi-line subject, an empty body", body = ErrorBody)))]
pub async fn edit(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: OptionalBody<EditBody>,
) -> Result<Answer, ApiV1Error> {
    caller.require("drafts:review")?;
    let EditBody { by, subject, body } = body.0;
    let actor = caller.actor(by.as_deref())?;
    if subject.is_none() && body.is_none() {
        return Err(ApiV1Error::invalid("body", "give subject, body or both"));
    }
    if subject
        .as_deref()
        .is_some_and(|s| s.trim().is_empty() || s.contains(['\r', '\n']))
    {
        return Err(ApiV1Error::invalid("subject", "must be one non-empty line"));
    }
    if body.as_deref().is_some_and(|b| b.trim().is_empty()) {
        return Err(ApiV1Error::invalid("body", "must not be empty"));
    }
    state
        .api
        .with_operator(&caller.tenant, move |op| {
            let id = exact(op.store.resolve_draft_id(&id), &id)?;
            let current = op.store.get_draft(&id)?;
            let subject = subject.unwrap_or(current.subject);
            let text = body.unwrap_or(current.body);
            let draft = op.edit(&id, &subject, &text, &actor)?;
            Ok(Answer::Ok(to_json(&DraftItem::new(&draft, true))?))
        })
        .await
}
