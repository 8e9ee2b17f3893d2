//! `GET /api/v1/usage`: what the key's tenant used per UTC day or month, with totals: the report
//! `usage --json` prints, from the same metering counters.

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::super::AppState;
use super::error::{Answer, ApiV1Error, ErrorBody};
use super::{Caller, state_param, to_json};
use crate::domain::time::now_ms;
use crate::store::{UsageBucket, UsageRange};
use crate::views::UsageReport;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageParams {
    /// From this UTC day on to today: a duration back from now (30d, 12w) or a date
    /// (2026-11-01); the default is 30d
    since: Option<String>,
    /// One calendar month (UTC), YYYY-MM, instead of since
    month: Option<String>,
    /// One row per day (the default) or per month: day, month
    by: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/usage", operation_id = "usage", tag = "usage", params(UsageParams),
    security(("api_key" = ["usage:read"])),
    responses((status = 200, description = "The tenant's usage per day or month, with totals", body = UsageReport),
        (status = 422, description = "A parameter is invalid", body = ErrorBody)))]
pub async fn report(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Answer, ApiV1Error> {
    caller.require("usage:read")?;
    let Query(p) = params.map_err(super::query_error)?;
    let names: Vec<_> = UsageBucket::ALL.iter().map(|b| b.as_str()).collect();
    let bucket =
        state_param("by", p.by.as_deref(), &names, UsageBucket::parse)?.unwrap_or(UsageBucket::Day);
    let now = now_ms();
    let range = range_of(p.since.as_deref(), p.month.as_deref(), now)?;
    state
        .api
        .with_store(&caller.tenant, move |store| {
            let rows = store.usage(&range, bucket)?;
            Ok(Answer::Ok(to_json(&UsageReport::new(
                &range, bucket, &rows, now,
            ))?))
        })
        .await
}

/// `month`, or `since` (default 30d); both at once is a contradiction, not a choice to guess.
fn range_of(since: Option<&str>, month: Option<&str>, now: i64) -> Result<UsageRange, ApiV1Error> {
    match (since, month) {
        (Some(_), Some(_)) => Err(ApiV1Error::invalid(
            "month",
            "give since or month, not both",
        )),
        (_, Some(month)) => {
            UsageRange::month(month).map_err(|why| ApiV1Error::invalid("month", why))
        }
        (since, None) => UsageRange::since(since.unwrap_or("30d"), now)
            .map_err(|why| ApiV1Error::invalid("since", why)),
    }
}
