//! `GET /api/v1/drafts[?status=…]`, `GET /api/v1/drafts/{id}` (with the lead's own message and
//! context), `POST …/approve|reject` and `PATCH /api/v1/drafts/{id}` (edit while pending). Every
//! decision goes through `Operator`, the same guarded transitions as the terminal: a lost race is
//! 409 with "already approved by X at T".

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::json;

use super::super::AppState;
use super::error::{Answer, ApiV1Error};
use super::{Caller, ListPage, OptionalBody, exact, since_param, to_json};
use crate::orchestrator::WorkflowReport;
use crate::store::{DRAFT_STATUSES, DraftFilter, DraftStatus};
use crate::views::{DecisionItem, DraftDetail, DraftItem};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    status: Option<String>,
    sender: Option<String>,
    since: Option<String>,
    min_score: Option<i64>,
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    by: Option<String>,
    note: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    by: Option<String>,
    reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    by: Option<String>,
    subject: Option<String>,
    body: Option<String>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Answer, ApiV1Error> {
    caller.require("drafts:read")?;
    let Query(p) = params.map_err(super::query_error)?;
    let status = match p.status.as_deref() {
        Some(s) => Some(DraftStatus::parse(s).ok_or_else(|| {
            ApiV1Error::invalid(
                "status",
                format!("use one of: {}", DRAFT_STATUSES.join(", ")),
            )
        })?),
        None => None,
    };
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
            let items: Vec<_> = rows.rows.iter().map(|d| DraftItem::new(d, false)).collect();
            Ok(Answer::Ok(json!({"drafts": items, "next_cursor": next})))
        })
        .await
}

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
            let draft = op.store.get_draft(&id)?;
            let context = op.store.draft_context(&draft)?;
            let on_approve = if draft.status == DraftStatus::PendingReview {
                Some(op.on_approve(&draft)?)
            } else {
                None
            };
            let superseded = op.store.superseded_versions(&draft.id)?;
            let report = WorkflowReport::load(op.store, &draft.workflow_id)?;
            let detail =
                DraftDetail::new(&draft, &context, on_approve.as_ref(), &superseded, &report);
            Ok(Answer::Ok(to_json(&detail)?))
        })
        .await
}

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
