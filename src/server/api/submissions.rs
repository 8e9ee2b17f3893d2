//! `POST /api/v1/submissions`: a lead from any form, through the same group-commit writer as the
//! webhook (so a 202 is durable), idempotent under an `Idempotency-Key` header.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::oneshot;
use utoipa::ToSchema;

use super::super::AppState;
use super::super::intake::{Message, Submit};
use super::Caller;
use super::error::{Answer, ApiV1Error, ErrorBody};
use crate::domain::api_submission::{check_idempotency_key, parse_api_lead};
use crate::store::Acceptance;

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The body of `POST /api/v1/submissions` as the document describes it; the parser is
/// `domain::api_submission` (a test keeps the two in step).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LeadBody {
    /// Required; normalised (trimmed, lowercased) and checked like every intake path.
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    job_title: Option<String>,
    /// The lead's own words (line breaks kept).
    message: Option<String>,
    /// Which form on your site this came from.
    form_id: Option<String>,
    /// Custom fields: strings, numbers or booleans (phone and other known names fill their field).
    fields: Option<std::collections::BTreeMap<String, Value>>,
}

/// A durable submission (also the answer to a repeat with the same Idempotency-Key and body).
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    pub submission_id: String,
    pub workflow_id: Option<String>,
}

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

#[utoipa::path(post, path = "/api/v1/submissions", operation_id = "create_submission", tag = "submissions",
    request_body(content = LeadBody, content_type = "application/json"),
    params(("Idempotency-Key" = Option<String>, Header,
        description = "The same key and body give the same answer; another body with it is 409")),
    security(("api_key" = ["submissions:write"])),
    responses(
        (status = 202, description = "Stored durably with its workflow and job", body = Accepted,
            headers(("idempotent-replayed" = String, description = "true on a repeat"))),
        (status = 409, description = "The Idempotency-Key came with another body", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid (`field` names it)", body = ErrorBody)))]
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
            audit_actor: Some(caller.actor(None)?),
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
            Ok(Answer::Accepted(super::to_json(&Accepted {
                submission_id,
                workflow_id: Some(workflow_id),
            })?))
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
            Ok(Answer::Replayed(super::to_json(&Accepted {
                submission_id,
                workflow_id,
            })?))
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
    fn the_documented_body_is_the_parsed_one() {
        let schema = serde_json::to_value(<LeadBody as utoipa::PartialSchema>::schema()).unwrap();
        let mut documented: Vec<_> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut parsed: Vec<String> = crate::domain::api_submission::TEXT_FIELDS
            .iter()
            .map(|(n, _)| n.to_string())
            .chain(["fields".to_string()])
            .collect();
        documented.sort();
        parsed.sort();
        assert_eq!(documented, parsed);
    }

    #[test]
    fn bodies_compare_as_json() {
        assert!(same_body(br#"{"a":1,"b":"x"}"#, br#"{ "b": "x", "a": 1 }"#));
        assert!(!same_body(br#"{"a":1}"#, br#"{"a":2}"#));
    }
}
