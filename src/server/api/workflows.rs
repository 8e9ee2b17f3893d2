//! `GET /api/v1/workflows` (the filters of `workflows list`, cursor pagination),
//! `GET /api/v1/workflows/{id}` (every step, as `workflows show --json`) and
//! `POST /api/v1/workflows/{id}/retry` (a failed workflow back on the queue, audited).

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::json;

use super::super::AppState;
use super::error::{Answer, ApiV1Error};
use super::{Caller, ListPage, OptionalBody, exact, since_param};
use crate::domain::time::now_ms;
use crate::orchestrator::WorkflowReport;
use crate::store::{AuditEntry, WorkflowFilter, WorkflowRequeue, WorkflowStatus};
use crate::views::WorkflowItem;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    status: Option<String>,
    email: Option<String>,
    since: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryBody {
    by: Option<String>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Answer, ApiV1Error> {
    caller.require("workflows:read")?;
    let Query(p) = params.map_err(super::query_error)?;
    let status = match p.status.as_deref() {
        Some(s) => Some(WorkflowStatus::parse(s).ok_or_else(|| {
            ApiV1Error::invalid(
                "status",
                format!("use one of: {}", WorkflowStatus::NAMES.join(", ")),
            )
        })?),
        None => None,
    };
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
            let items: Vec<WorkflowItem<'_>> = rows.rows.iter().map(WorkflowItem::from).collect();
            Ok(Answer::Ok(json!({"workflows": items, "next_cursor": next})))
        })
        .await
}

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
            Ok(Answer::Ok(super::to_json(&report)?))
        })
        .await
}

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
            Ok(Answer::Accepted(
                json!({"workflow_id": id, "job_id": job_id, "status": workflow.status.as_str()}),
            ))
        })
        .await
}
