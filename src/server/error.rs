//! The only place that knows HTTP status codes. Handlers return [`Reply`] or [`ApiError`]; bodies
//! never carry database or connector text (internal failures are logged, then a bare 500).

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A successful (or health) answer.
pub enum Reply {
    /// 202: accepted and durable.
    Accepted(Value),
    /// 200: nothing new to do (a duplicate, or events that start no workflow).
    Ok(Value),
    /// 503: the readiness check failed.
    NotReady(Value),
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Accepted(v) => (StatusCode::ACCEPTED, Json(v)).into_response(),
            Reply::Ok(v) => (StatusCode::OK, Json(v)).into_response(),
            Reply::NotReady(v) => (StatusCode::SERVICE_UNAVAILABLE, Json(v)).into_response(),
        }
    }
}

#[derive(Debug)]
pub enum ApiError {
    /// Missing or bad signature: no detail on which part failed.
    Unauthorized,
    /// Authenticated, but a submission names a portal no tenant of this URL owns (or none, on
    /// the shared URL of a deployment with tenants): refused whole, nothing stored.
    UnknownPortal,
    UnsupportedMediaType,
    PayloadTooLarge {
        limit: usize,
    },
    /// The body could not be read.
    BadBody,
    /// Authenticated but unparsable; the payload was quarantined under `quarantine_id`.
    Unparsable {
        reason: String,
        quarantine_id: Option<String>,
    },
    /// Shutting down or overloaded: try again (with `Retry-After`).
    Unavailable,
    /// The store cannot take the write now (disk full, read-only, locked): logged with its
    /// context, answered 503 with `Retry-After` so the sender retries instead of giving up.
    StoreUnavailable(String),
    /// The request (body included) took longer than `server.body_timeout_secs`.
    RequestTimeout,
    /// HTTP/1.1 without a Host header.
    MissingHost,
    /// Logged with its context; the client sees only 500.
    Internal(String),
    NotFound,
}

impl ApiError {
    /// Turns a body-extraction failure into 413 (over the limit) or 400.
    pub fn from_body(rejection: &BytesRejection, limit: usize) -> ApiError {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::BadBody
        }
    }
}

/// What a connection over the cap gets before it is closed (written raw: no request was read).
pub const OVERLOADED_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 5\r\n\
content-type: application/json\r\ncontent-length: 35\r\nconnection: close\r\n\r\n\
{\"error\": \"unavailable, try again\"}";

/// How long a sender should wait before retrying a 503.
const RETRY_AFTER_SECS: &str = "5";

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(axum::http::header::RETRY_AFTER, RETRY_AFTER_SECS)],
        Json(json!({"error": "unavailable, try again"})),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, json!({"error": "unauthorized"})),
            ApiError::UnknownPortal => (
                StatusCode::FORBIDDEN,
                json!({"error": "a submission names a portal that is not served at this URL; nothing was stored"}),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({"error": "content type must be application/json"}),
            ),
            ApiError::PayloadTooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": format!("body larger than {limit} bytes")}),
            ),
            ApiError::BadBody => (
                StatusCode::BAD_REQUEST,
                json!({"error": "the body could not be read"}),
            ),
            ApiError::Unparsable {
                reason,
                quarantine_id,
            } => (
                StatusCode::BAD_REQUEST,
                json!({"error": "unparsable payload", "reason": reason, "quarantine_id": quarantine_id}),
            ),
            ApiError::Unavailable => return unavailable(),
            ApiError::StoreUnavailable(context) => {
                tracing::warn!(%context, "intake cannot write; answering 503");
                return unavailable();
            }
            ApiError::Internal(context) => {
                tracing::error!(%context, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "internal error"}),
                )
            }
            ApiError::NotFound => (StatusCode::NOT_FOUND, json!({"error": "not found"})),
            ApiError::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                json!({"error": "the request took too long"}),
            ),
            ApiError::MissingHost => (
                StatusCode::BAD_REQUEST,
                json!({"error": "HTTP/1.1 requests need a Host header"}),
            ),
        };
        (status, Json(body)).into_response()
    }
}
