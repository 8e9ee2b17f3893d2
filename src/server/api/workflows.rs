//! `GET /api/v1/workflows` (the filters of `workflows list`, cursor pagination),
//! `GET /api/v1/workflows/{id}` (every step, as `workflows show --json`) and
//! `POST /api/v1/workflows/{id}/retry` (a failed workflow back on the queue, audited).

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::AppState;
use super::error::{Answer, ApiV1Error, ErrorBody};
use super::{Caller, ListPage, OptionalBody, RetryBody, exact, since_param, state_param, to_json};
use crate::domain::time::now_ms;
use crate::orchestrator::WorkflowReport;
use crate::store::{AuditEntry, WorkflowFilter, WorkflowRequeue, WorkflowStatus};
use crate::views::WorkflowItem;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// pending, running, completed, duplicate, suppressed, failed
    status: Option<String>,
    /// Only workflows for this email address
    email: Option<String>,
    /// A duration back from now (24h, 7d) or a date (2026-11-01)
    since: Option<String>,
    /// At most this many (1–500, default 50)
    limit: Option<usize>,
    /// `next_cursor` of the previous page
    cursor: Option<String>,
}

/// One page of workflows, newest first.
#[derive(Serialize, ToSchema)]
pub struct WorkflowPage<'a> {
    pub workflows: Vec<WorkflowItem<'a>>,
    /// Where the next page starts; null on the last page.
    pub next_cursor: Option<String>,
}

/// A failed workflow back on the queue.
#[derive(Serialize, ToSchema)]
pub struct RetryQueued {
    pub workflow_id: String,
    pub job_id: String,
    /// The workflow's status when it was queued (failed).
    pub status: String,
}

#[utoipa::path(get, path = "/api/v1/workflows", operation_id = "list_workflows", tag = "workflows", params(ListParams),
    security(("api_key" = ["workflows:read"])),
    responses((status = 200, description = "Workflows, newest first", body = WorkflowPage),
        (status = 422, description = "A parameter is invalid", body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Answer, ApiV1Error> {
    caller.require("workflows:read")?;
    let Query(p) = params.map_err(super::query_error)?;
    let status = state_param(
        "status",
        p.status.as_deref(),
        &WorkflowStatus::NAMES,
        WorkflowStatus::parse,
    )?;
    let page = ListPage::new(p.limit, p.cursor.as_deref())?;
    let filter = WorkflowFilter {
        status,
        email: p.email,
        since: since_param(p.since.as_deref())?,
        limit: page.limit,
    };
    state
        .api
        .with_store(&caller.tenant, move |store| {
            let rows = store.list_workflows_after(&filter, page.cursor.as_ref())?;
            let next = page.next(&rows, |w| (w.created_at, w.id.as_str()));
            let page = WorkflowPage {
                workflows: rows.rows.iter().map(WorkflowItem::from).collect(),
                next_cursor: next,
            };
            Ok(Answer::Ok(to_json(&page)?))
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/workflows/{id}", operation_id = "get_workflow", tag = "workflows",
    params(("id" = String, Path, description = "A workflow id")),
    security(("api_key" = ["workflows:read"])),
    responses((status = 200, description = "The workflow with all its steps", body = WorkflowReport),
        (status = 404, description = "No such workflow in this tenant", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Answer, ApiV1Error> {
    caller.require("workflows:read")?;
    state
        .api
        .with_store(&caller.tenant, move |store| {
            let id = exact(store.resolve_workflow_id(&id), &id)?;
            let report = WorkflowReport::load(store, &id)?;
            Ok(Answer::Ok(to_json(&report)?))
        })
        .await
}

#[utoipa::path(post, path = "/api/v1/workflows/{id}/retry", operation_id = "retry_workflow", tag = "workflows",
    params(("id" = String, Path, description = "A failed workflow's id")),
    request_body(content = Option<RetryBody>, content_type = "application/json"),
    security(("api_key" = ["workflows:write"])),
    responses((status = 202, description = "Queued; a worker resumes it at its first unfinished step", body = RetryQueued),
        (status = 404, description = "No such workflow in this tenant", body = ErrorBody),
        (status = 409, description = "The workflow is not failed", body = ErrorBody)))]
pub async fn retry(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: OptionalBody<RetryBody>,
) -> Result<Answer, ApiV1Error> {
    caller.require("workflows:write")?;
    let actor = caller.actor(body.0.by.as_deref())?;
    state
        .api
        .with_store(&caller.tenant, move |store| {
            let id = exact(store.resolve_workflow_id(&id), &id)?;
            let workflow = store.get_workflow(&id)?;
            if workflow.status != WorkflowStatus::Failed {
                return Err(ApiV1Error::Conflict(format!(
                    "workflow {id} is {}, not failed: there is nothing to retry",
                    workflow.status
                )));
            }
            let now = now_ms();
            let mut entry = AuditEntry::new(&actor, "workflow.retry", now);
            entry.subject = Some(id.clone());
            store.append_audit(&entry)?;
            let job_id = match store.requeue_workflow(&id, "priority", now)? {
                WorkflowRequeue::Released { job_id }
                | WorkflowRequeue::Enqueued { job_id }
                | WorkflowRequeue::Leased { job_id, .. }
                | WorkflowRequeue::Waiting { job_id } => job_id,
            };
            Ok(Answer::Accepted(to_json(&RetryQueued {
                workflow_id: id,
                job_id,
                status: workflow.status.as_str().to_string(),
            })?))
        })
        .await
}
