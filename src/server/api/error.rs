//! `/api/v1`'s status codes and its one error shape, `{"error": {"code", "message"}}` (with
//! `field` for invalid input). With `server/error.rs`, the only place that knows HTTP statuses.
//! Bodies carry our own messages only: a store or connector failure is logged and answered with
//! a bare "internal error" (500) or "unavailable" (503).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{Error, ErrorClass};

/// A successful answer.
pub enum Answer {
    /// 200 with a JSON body.
    Ok(Value),
    /// 202: accepted (durable for a submission; queued for a retry).
    Accepted(Value),
    /// 202 again for a repeated `Idempotency-Key` with the same body: the first answer.
    Replayed(Value),
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::Ok(v) => (StatusCode::OK, Json(v)).into_response(),
            Answer::Accepted(v) => (StatusCode::ACCEPTED, Json(v)).into_response(),
            Answer::Replayed(v) => (
                StatusCode::ACCEPTED,
                [("idempotent-replayed", "true")],
                Json(v),
            )
                .into_response(),
        }
    }
}

#[derive(Debug)]
pub enum ApiV1Error {
    /// No key, a malformed or unknown key, a wrong secret, a revoked or expired key.
    Unauthorized(&'static str),
    /// A key in the query string: refused so that clients learn before it leaks further.
    KeyInQuery,
    /// The key lacks this scope.
    Forbidden(&'static str),
    /// Not found, or another tenant's (never told apart).
    NotFound,
    /// Invalid input, naming the field.
    Invalid {
        field: String,
        message: String,
    },
    /// A state rule refused (a lost race: "already approved by X at T").
    Conflict(String),
    /// The same Idempotency-Key came with a different body.
    IdempotencyConflict,
    /// Over the key's rate: wait this many seconds.
    RateLimited {
        retry_after_secs: u64,
    },
    UnsupportedMediaType,
    PayloadTooLarge {
        limit: usize,
    },
    /// Not ready (shutting down, the store cannot write now): logged with its context.
    Unavailable(String),
    /// Logged with its context; the client sees only "internal error".
    Internal(String),
}

impl ApiV1Error {
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiV1Error {
        ApiV1Error::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// A library error as the API answers it: our own refusals and bad-input messages are shown,
    /// anything from the store or a connector is not.
    pub fn from_error(e: Error) -> ApiV1Error {
        match e {
            Error::NotFound(_) => ApiV1Error::NotFound,
            Error::Refused(why) => ApiV1Error::Conflict(why),
            Error::InvalidInput(why) => ApiV1Error::invalid("body", why),
            other => match other.class() {
                ErrorClass::Transient | ErrorClass::Configuration => {
                    ApiV1Error::Unavailable(other.to_string())
                }
                _ => ApiV1Error::Internal(other.to_string()),
            },
        }
    }
}

impl From<Error> for ApiV1Error {
    fn from(e: Error) -> Self {
        ApiV1Error::from_error(e)
    }
}

const RETRY_AFTER_SECS: &str = "5";

impl IntoResponse for ApiV1Error {
    fn into_response(self) -> Response {
        let (status, code, message, field) = match self {
            ApiV1Error::Unauthorized(why) => (StatusCode::UNAUTHORIZED, "unauthorized", why.to_string(), None),
            ApiV1Error::KeyInQuery => (
                StatusCode::BAD_REQUEST,
                "key_in_query",
                "API keys are refused in the query string (it ends up in logs): send \
                 `Authorization: Bearer <key>`, and rotate the key if it was sent this way before"
                    .to_string(),
                None,
            ),
            ApiV1Error::Forbidden(scope) => (
                StatusCode::FORBIDDEN,
                "missing_scope",
                format!("this API key lacks the scope {scope}"),
                None,
            ),
            ApiV1Error::NotFound => (StatusCode::NOT_FOUND, "not_found", "not found".to_string(), None),
            ApiV1Error::Invalid { field, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                message,
                Some(field),
            ),
            ApiV1Error::Conflict(why) => (StatusCode::CONFLICT, "conflict", why, None),
            ApiV1Error::IdempotencyConflict => (
                StatusCode::CONFLICT,
                "idempotency_conflict",
                "this Idempotency-Key was used with a different body; use a new key for a new submission"
                    .to_string(),
                None,
            ),
            ApiV1Error::RateLimited { retry_after_secs } => {
                let mut response = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    &format!("too many requests for this API key; retry after {retry_after_secs} s"),
                    None,
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                return response;
            }
            ApiV1Error::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "content type must be application/json".to_string(),
                None,
            ),
            ApiV1Error::PayloadTooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("body larger than {limit} bytes"),
                None,
            ),
            ApiV1Error::Unavailable(context) => {
                tracing::warn!(%context, "api: unavailable; answering 503");
                let mut response = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "unavailable, try again",
                    None,
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
                return response;
            }
            ApiV1Error::Internal(context) => {
                tracing::error!(%context, "api: internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".to_string(),
                    None,
                )
            }
        };
        error_response(status, code, &message, field)
    }
}

/// The one error shape of `/api/v1`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable: unauthorized, key_in_query, missing_scope, not_found, invalid, conflict,
    /// idempotency_conflict, rate_limited, unsupported_media_type, too_large, unavailable, internal.
    pub code: String,
    /// For a person; never database or connector text.
    pub message: String,
    /// For `invalid`: the field (or parameter, or header) that is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

fn error_response(
    status: StatusCode,
    code: &str,
    message: &str,
    field: Option<String>,
) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_string(),
            message: message.to_string(),
            field,
        },
    };
    (status, Json(body)).into_response()
}

/// The `RateLimit-*` headers (IETF draft) every authenticated answer carries.
pub fn rate_limit_headers(response: &mut Response, limit: u32, remaining: u32, reset_secs: u64) {
    let h = response.headers_mut();
    h.insert("ratelimit-limit", HeaderValue::from(limit));
    h.insert("ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("ratelimit-reset", HeaderValue::from(reset_secs));
}
