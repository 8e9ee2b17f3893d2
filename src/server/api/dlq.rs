//! `GET /api/v1/dlq` (dead letters waiting, as `dlq list --json`) and
//! `POST /api/v1/dlq/{id}/retry` (back on the queue with a fresh set of attempts, audited).

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::AppState;
use super::error::{Answer, ApiV1Error, ErrorBody};
use super::{Caller, ListPage, OptionalBody, RetryBody, exact, since_param, state_param, to_json};
use crate::error::ErrorClass;
use crate::views::{DeadLetterItem, dead_letter_item};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this error class: transient, recoverable, configuration, invalid_input,
    /// external_service, internal
    class: Option<String>,
    /// A duration back from now (24h, 7d) or a date (2026-11-01)
    since: Option<String>,
    /// Also those already retried or resolved
    all: Option<bool>,
    /// At most this many (1–500, default 50)
    limit: Option<usize>,
}

/// Dead letters, oldest first.
#[derive(Serialize, ToSchema)]
pub struct DeadLetterPage<'a> {
    pub dead_letters: Vec<DeadLetterItem<'a>>,
    /// True when more match than `limit`.
    pub more: bool,
}

#[utoipa::path(get, path = "/api/v1/dlq", operation_id = "list_dead_letters", tag = "dlq", params(ListParams),
    security(("api_key" = ["dlq:read"])),
    responses((status = 200, description = "Dead letters waiting for a person", body = DeadLetterPage),
        (status = 422, description = "A parameter is invalid", body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Answer, ApiV1Error> {
    caller.require("dlq:read")?;
    let Query(p) = params.map_err(super::query_error)?;
    let names: Vec<_> = ErrorClass::ALL.iter().map(|c| c.as_str()).collect();
    state_param("class", p.class.as_deref(), &names, ErrorClass::parse)?;
    let page = ListPage::new(p.limit, None)?;
    let filter = crate::store::DeadLetterFilter {
        class: p.class,
        since: since_param(p.since.as_deref())?,
        include_done: p.all.unwrap_or(false),
        limit: page.limit,
    };
    state
        .api
        .with_store(&caller.tenant, move |store| {
            let rows = store.list_dead_letters_page(&filter)?;
            let page = DeadLetterPage {
                dead_letters: rows
                    .rows
                    .iter()
                    .map(|d| dead_letter_item(d, false, None))
                    .collect(),
                more: rows.total.is_some(),
            };
            Ok(Answer::Ok(to_json(&page)?))
        })
        .await
}

#[utoipa::path(post, path = "/api/v1/dlq/{id}/retry", operation_id = "retry_dead_letter", tag = "dlq",
    params(("id" = String, Path, description = "A dead letter id")),
    request_body(content = Option<RetryBody>, content_type = "application/json"),
    security(("api_key" = ["dlq:write"])),
    responses((status = 202, description = "Back on the queue with a fresh set of attempts", body = DeadLetterItem),
        (status = 404, description = "No such dead letter in this tenant", body = ErrorBody),
        (status = 409, description = "Retried or resolved already", body = ErrorBody)))]
pub async fn retry(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: OptionalBody<RetryBody>,
) -> Result<Answer, ApiV1Error> {
    caller.require("dlq:write")?;
    let actor = caller.actor(body.0.by.as_deref())?;
    state
        .api
        .with_operator(&caller.tenant, move |op| {
            let id = exact(op.store.resolve_dead_letter_id(&id), &id)?;
            let outcome = op.retry_dead_letter(&id, &actor, None)?;
            Ok(Answer::Accepted(to_json(&dead_letter_item(
                &outcome.dead_letter,
                false,
                None,
            ))?))
        })
        .await
}
