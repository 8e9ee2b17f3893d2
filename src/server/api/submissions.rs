//! `POST /api/v1/submissions`: a lead from any form, through the same group-commit writer as the
//! webhook (so a 202 is durable), idempotent under an `Idempotency-Key` header.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::super::AppState;
use super::super::intake::{Message, Submit};
use super::Caller;
use super::error::{Answer, ApiV1Error};
use crate::domain::api_submission::{check_idempotency_key, parse_api_lead};
use crate::store::Acceptance;

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The dedupe key of an API submission: the caller's Idempotency-Key (a repeat is a duplicate of
/// the first), else one of its own (every request is new).
fn dedupe_key(headers: &HeaderMap) -> Result<(String, bool), ApiV1Error> {
    match headers.get(IDEMPOTENCY_HEADER) {
        Some(value) => {
            let key = value
                .to_str()
                .map_err(|_| ApiV1Error::invalid("Idempotency-Key", "must be visible ASCII"))?;
            check_idempotency_key(key).map_err(|e| ApiV1Error::invalid(&e.field, e.message))?;
            Ok((format!("api:idem:{key}"), true))
        }
        None => Ok((format!("api:req:{}", uuid::Uuid::now_v7().simple()), false)),
    }
}

/// Whether two bodies say the same (as JSON values: key order and spacing do not matter).
fn same_body(a: &[u8], b: &[u8]) -> bool {
    match (
        serde_json::from_slice::<Value>(a),
        serde_json::from_slice::<Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Answer, ApiV1Error> {
    caller.require("submissions:write")?;
    if !super::super::webhook::is_json(&headers) {
        return Err(ApiV1Error::UnsupportedMediaType);
    }
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiV1Error::PayloadTooLarge {
                limit: state.max_body,
            }
        } else {
            ApiV1Error::invalid("body", "could not be read")
        }
    })?;
    let (dedupe, idempotent) = dedupe_key(&headers)?;
    let parsed =
        parse_api_lead(&body, dedupe).map_err(|e| ApiV1Error::invalid(&e.field, e.message))?;
    let trace_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    let (reply, rx) = oneshot::channel();
    state
        .send(Message::Submit(Submit {
            parsed: vec![parsed],
            raw: body.clone(),
            signature: None,
            trace_id,
            synthetic: false,
            tenants: vec![caller.tenant.clone()],
            reply,
        }))
        .await
        .map_err(|_| ApiV1Error::Unavailable("intake writer stopped".into()))?;
    let results = rx
        .await
        .map_err(|_| ApiV1Error::Unavailable("intake writer stopped".into()))??;
    match results.into_iter().next() {
        Some(Acceptance::Accepted {
            submission_id,
            workflow_id,
            ..
        }) => {
            state.counters.accepted.fetch_add(1, Ordering::Relaxed);
            tracing::info!(key_id = %caller.key_id, %workflow_id, "api: submission accepted");
            Ok(Answer::Accepted(
                json!({"submission_id": submission_id, "workflow_id": workflow_id}),
            ))
        }
        Some(Acceptance::Duplicate {
            submission_id,
            workflow_id,
        }) if idempotent => {
            state.counters.duplicates.fetch_add(1, Ordering::Relaxed);
            let id = submission_id.clone();
            let stored = state
                .api
                .with_store(&caller.tenant, move |store| {
                    Ok(store.get_submission(&id)?.raw_payload)
                })
                .await?;
            if !same_body(&stored, &body) {
                return Err(ApiV1Error::IdempotencyConflict);
            }
            Ok(Answer::Replayed(
                json!({"submission_id": submission_id, "workflow_id": workflow_id}),
            ))
        }
        Some(Acceptance::Duplicate { .. }) | None => Err(ApiV1Error::Internal(
            "api: intake answered a duplicate without an idempotency key".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_compare_as_json() {
        assert!(same_body(br#"{"a":1,"b":"x"}"#, br#"{ "b": "x", "a": 1 }"#));
        assert!(!same_body(br#"{"a":1}"#, br#"{"a":2}"#));
    }
}
