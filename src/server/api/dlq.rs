//! `GET /api/v1/dlq` (dead letters waiting, as `dlq list --json`) and
//! `POST /api/v1/dlq/{id}/retry` (back on the queue with a fresh set of attempts, audited).

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::json;

use super::super::AppState;
use super::error::{Answer, ApiV1Error};
use super::{Caller, ListPage, OptionalBody, exact, since_param, to_json};
use crate::error::ErrorClass;
use crate::views::dead_letter_item;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    class: Option<String>,
    since: Option<String>,
    /// Also those already retried or resolved.
    all: Option<bool>,
    limit: Option<usize>,
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
    caller.require("dlq:read")?;
    let Query(p) = params.map_err(super::query_error)?;
    if let Some(class) = p.class.as_deref()
        && ErrorClass::parse(class).is_none()
    {
        let names: Vec<_> = ErrorClass::ALL.iter().map(|c| c.as_str()).collect();
        return Err(ApiV1Error::invalid(
            "class",
            format!("use one of: {}", names.join(", ")),
        ));
    }
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
            let items: Vec<_> = rows
                .rows
                .iter()
                .map(|d| dead_letter_item(d, false, None))
                .collect();
            Ok(Answer::Ok(
                json!({"dead_letters": items, "more": rows.total.is_some()}),
            ))
        })
        .await
}

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
