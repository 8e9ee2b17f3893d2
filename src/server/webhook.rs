//! `POST /api/webhooks/hubspot/forms` (the shared URL, the app's secret, each submission routed
//! to its tenant by portal) and `POST /api/webhooks/hubspot/forms/{tenant}` (a tenant's own URL,
//! its own secret): verify, parse, route, hand to the group-commit writer, answer.
//! The handler only verifies and enqueues; the pipeline runs in the workers.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::{FromRequest as _, Path, Request, State};
use axum::http::{HeaderMap, header};
use serde_json::json;
use tokio::sync::oneshot;

use super::error::{ApiError, Reply};
use super::intake::{Message, Quarantine, Submit};
use super::{AppState, SharedDoor};
use crate::config::Config;
use crate::domain::submission::{ParsedSubmission, parse_payload, portal_hint};
use crate::domain::tenant::TenantId;
use crate::domain::time::now_ms;
use crate::store::Acceptance;
use crate::webhook::{
    HEADER_SIGNATURE, HEADER_TIMESTAMP, HEADER_V3, HEADER_VERSION, SignedRequest, full_uri,
    tenant_public_url,
};

pub const PATH: &str = "/api/webhooks/hubspot/forms";

/// Marks a `salesagent probe` submission: it runs through intake, queue and worker without any
/// external side effect, and the probe deletes it afterwards.
pub const SYNTHETIC_HEADER: &str = "x-salesagent-synthetic";

pub(super) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("application/json")
                || (v.len() > 17
                    && v[..12].eq_ignore_ascii_case("application/")
                    && v.to_ascii_lowercase().ends_with("+json"))
        })
}

/// Every `result` label of `salesagent_webhooks_received_total` (declared at 0 at start).
pub const RESULTS: [&str; 10] = [
    "accepted",
    "duplicate",
    "ignored_event",
    "unauthorized",
    "unknown_portal",
    "unsupported_media_type",
    "too_large",
    "invalid",
    "unavailable",
    "error",
];

/// The per-tenant URL's path (axum syntax).
pub const TENANT_PATH: &str = "/api/webhooks/hubspot/forms/{tenant}";

/// Which URL a request came in on.
enum Door {
    /// The shared URL: the app's secret; each submission goes to the tenant that owns its portal.
    Shared,
    /// A tenant's own URL: its own secret; everything goes to it.
    Tenant(TenantId),
}

/// The shared URL.
pub async fn hubspot_forms(state: State<Arc<AppState>>, req: Request) -> Result<Reply, ApiError> {
    let _reserved = super::reserve_body(&state, req.headers())?;
    counted(handle(state, Door::Shared, req).await)
}

/// A tenant's own URL. An undeclared tenant and one without a webhook secret of its own answer
/// 404, exactly as an unknown route does (and, like one, are not counted as webhooks): the
/// answer never tells which tenants exist.
pub async fn hubspot_forms_for_tenant(
    state: State<Arc<AppState>>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Reply, ApiError> {
    let _reserved = super::reserve_body(&state, req.headers())?;
    let Some(tenant) = TenantId::parse(&slug)
        .ok()
        .filter(|t| state.tenant_verifiers.contains_key(t))
    else {
        tracing::warn!(
            tenant = %slug.chars().take(64).collect::<String>(),
            "webhook for a tenant that is not declared or has no webhook secret of its own: 404"
        );
        return Err(ApiError::NotFound);
    };
    counted(handle(state, Door::Tenant(tenant), req).await)
}

/// Counts the answer in `salesagent_webhooks_received_total{result}`.
fn counted(result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    let label = match &result {
        Ok(Reply::Accepted(_)) => "accepted",
        Ok(Reply::Ok(v)) if v.get("duplicate").is_some() => "duplicate",
        Ok(_) => "ignored_event",
        Err(ApiError::Unauthorized) => "unauthorized",
        Err(ApiError::UnknownPortal) => "unknown_portal",
        Err(ApiError::UnsupportedMediaType) => "unsupported_media_type",
        Err(ApiError::PayloadTooLarge { .. }) => "too_large",
        Err(ApiError::Unparsable { .. } | ApiError::BadBody) => "invalid",
        Err(ApiError::Unavailable) => "unavailable",
        Err(_) => "error",
    };
    received_counter(label).inc();
    result
}

/// The `salesagent_webhooks_received_total` series of `label` (one of [`RESULTS`]), looked up
/// once per process.
fn received_counter(label: &str) -> &'static crate::metrics::Counter {
    static COUNTERS: std::sync::OnceLock<Vec<crate::metrics::Counter>> = std::sync::OnceLock::new();
    let counters = COUNTERS.get_or_init(|| {
        RESULTS
            .iter()
            .map(|r| {
                crate::metrics::counter("salesagent_webhooks_received_total", &[("result", r)])
            })
            .collect()
    });
    let i = RESULTS
        .iter()
        .position(|r| *r == label)
        .unwrap_or(RESULTS.len() - 1);
    &counters[i]
}

/// Takes the request whole rather than through extractors: a `HeaderMap` extractor copies the
/// headers, and the body is read here as the `Bytes` extractor would (the route's
/// `DefaultBodyLimit` travels in the extensions).
async fn handle(
    State(state): State<Arc<AppState>>,
    door: Door,
    req: Request,
) -> Result<Reply, ApiError> {
    let (mut parts, body) = req.into_parts();
    let mut body_req = Request::new(body);
    *body_req.extensions_mut() = std::mem::take(&mut parts.extensions);
    let body = Bytes::from_request(body_req, &()).await;
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    if !state.ready.load(Ordering::SeqCst) {
        return Err(ApiError::Unavailable);
    }
    if matches!((&door, &state.shared), (Door::Shared, SharedDoor::Closed)) {
        tracing::warn!(
            "webhook refused: the shared URL is closed (no app webhook secret); tenants post to their own URLs"
        );
        return Err(ApiError::Unauthorized);
    }
    if !is_json(&headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = body.map_err(|r| ApiError::from_body(&r, state.max_body))?;
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let mut replay_key = None;
    let verifier = match (&door, &state.shared) {
        (Door::Shared, SharedDoor::Signed(v)) => Some(v),
        (Door::Shared, SharedDoor::Unsigned) => None,
        (Door::Shared, SharedDoor::Closed) => return Err(ApiError::Unauthorized),
        (Door::Tenant(t), _) => state.tenant_verifiers.get(t),
    };
    if let Some(verifier) = verifier {
        let host = text(header::HOST.as_str()).unwrap_or(&state.local_host);
        let path = uri.path_and_query().map_or(PATH, |p| p.as_str());
        let public = match &door {
            Door::Shared => state.public_url.clone(),
            Door::Tenant(t) => state.public_url.as_deref().map(|p| tenant_public_url(p, t)),
        };
        let full = full_uri(public.as_deref(), host, path);
        let request = SignedRequest {
            method: method.as_str(),
            uri: &full,
            body: &body,
            v3_signature: text(HEADER_V3),
            timestamp: text(HEADER_TIMESTAMP),
            signature: text(HEADER_SIGNATURE),
            version: text(HEADER_VERSION),
        };
        match verifier.verify(&request, now_ms()) {
            Ok(v) => replay_key = v.replay_key,
            Err(e) => {
                // At WARN: a wrong secret in a deployment must show at the default level. The
                // error names the header or the time, never the secret.
                tracing::warn!(reason = e.reason(), detail = %e, uri = %full, "webhook refused: signature");
                return Err(ApiError::Unauthorized);
            }
        }
    }
    let payload = match parse_payload(&body) {
        Ok(p) => p,
        Err(e) => {
            let reason = e.to_string();
            let tenant = quarantine_tenant(&state.config, &door, &body)?;
            let (reply, rx) = oneshot::channel();
            let message = Message::Quarantine(Quarantine {
                tenant,
                reason: reason.clone(),
                content_type: text(header::CONTENT_TYPE.as_str()).map(str::to_string),
                raw: body,
                reply,
            });
            state
                .send(message)
                .await
                .map_err(|_| ApiError::Unavailable)?;
            let id = rx
                .await
                .map_err(|_| ApiError::Unavailable)?
                .map_err(commit_error)?;
            state.counters.quarantined.fetch_add(1, Ordering::Relaxed);
            let logged = crate::domain::lead::mask_emails(&reason);
            tracing::warn!(quarantine_id = %id, reason = %logged, "authenticated payload quarantined");
            return Err(ApiError::Unparsable {
                reason,
                quarantine_id: Some(id),
            });
        }
    };
    let ignored = payload.ignored_events;
    state
        .counters
        .ignored_events
        .fetch_add(ignored as u64, Ordering::Relaxed);
    let erasures = if payload.privacy_deletions.is_empty() {
        0
    } else {
        let own = match &door {
            Door::Shared => None,
            Door::Tenant(t) => Some(state.config.for_tenant(t).map_err(|_| ApiError::NotFound)?),
        };
        let routed = payload
            .privacy_deletions
            .into_iter()
            .map(|e| Ok((tenant_of_portal(&state.config, own, Some(&e.portal_id))?, e)))
            .collect::<Result<Vec<_>, ApiError>>()?;
        queue_privacy_deletions(&state, routed).await?
    };
    if payload.submissions.is_empty() {
        let mut body = json!({"accepted": 0, "ignored_events": ignored});
        if erasures > 0 {
            body["erasures_queued"] = json!(erasures);
            return Ok(Reply::Accepted(body));
        }
        return Ok(Reply::Ok(body));
    }
    let tenants = route(&state.config, &door, &payload.submissions)?;
    let (reply, rx) = oneshot::channel();
    let trace_id = text("x-request-id")
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    state
        .send(Message::Submit(Submit {
            parsed: payload.submissions,
            tenants,
            raw: body,
            signature: replay_key,
            trace_id,
            synthetic: text(SYNTHETIC_HEADER) == Some("1"),
            audit_actor: None,
            reply,
        }))
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let results = rx
        .await
        .map_err(|_| ApiError::Unavailable)?
        .map_err(commit_error)?;
    let accepted: Vec<_> = results
        .iter()
        .filter_map(|a| match a {
            Acceptance::Accepted {
                submission_id,
                workflow_id,
                ..
            } => Some(json!({"submission_id": submission_id, "workflow_id": workflow_id})),
            Acceptance::Duplicate { .. } => None,
        })
        .collect();
    let duplicates = results.len() - accepted.len();
    state
        .counters
        .accepted
        .fetch_add(accepted.len() as u64, Ordering::Relaxed);
    state
        .counters
        .duplicates
        .fetch_add(duplicates as u64, Ordering::Relaxed);
    if let Some(first) = accepted.first() {
        let mut body = first.clone();
        if results.len() > 1 {
            body["submissions"] = json!(accepted);
            body["duplicates"] = json!(duplicates);
            body["ignored_events"] = json!(ignored);
        }
        return Ok(Reply::Accepted(body));
    }
    let Some(Acceptance::Duplicate {
        submission_id,
        workflow_id,
    }) = results.first()
    else {
        return Err(ApiError::Internal("intake commit answered nothing".into()));
    };
    Ok(Reply::Ok(json!({
        "duplicate": true,
        "submission_id": submission_id,
        "workflow_id": workflow_id,
    })))
}

/// Whose quarantine an authenticated body that does not parse goes to: the URL's tenant; on the
/// shared URL the tenant of the portal it names (`None`: the store's own, `default`, when no
/// tenants are declared). One whose tenant cannot be told is refused like an unknown portal: it
/// would otherwise sit in no tenant's quarantine.
fn quarantine_tenant(
    config: &Config,
    door: &Door,
    body: &[u8],
) -> Result<Option<TenantId>, ApiError> {
    match door {
        Door::Tenant(t) => Ok(Some(t.clone())),
        Door::Shared if !config.is_multi_tenant() => Ok(None),
        Door::Shared => {
            let portal = portal_hint(body);
            match config.tenant_for_portal(portal.as_deref()) {
                Some(t) => Ok(Some(t)),
                None => {
                    tracing::warn!(
                        portal_id = portal.as_deref().unwrap_or("(none)"),
                        "unparsable webhook refused: no tenant of this URL owns the portal; nothing stored"
                    );
                    Err(ApiError::UnknownPortal)
                }
            }
        }
    }
}

/// The tenant of each submission, or the whole request refused (nothing is stored) when one of
/// them has none: on the shared URL, a portal no tenant owns (or none named); on a tenant's own
/// URL, a portal that is not one of its own. Without declared tenants everything is `default`.
fn route(
    config: &Config,
    door: &Door,
    submissions: &[ParsedSubmission],
) -> Result<Vec<TenantId>, ApiError> {
    let own = match door {
        Door::Shared => None,
        Door::Tenant(t) => Some(config.for_tenant(t).map_err(|_| ApiError::NotFound)?),
    };
    submissions
        .iter()
        .map(|s| tenant_of_portal(config, own, s.portal_id.as_deref()))
        .collect()
}

/// The tenant a portal's item goes to through this door (`own`: the tenant's own URL), or the
/// refusal of the whole request.
fn tenant_of_portal(
    config: &Config,
    own: Option<&Config>,
    portal: Option<&str>,
) -> Result<TenantId, ApiError> {
    let tenant = match own {
        None => config.tenant_for_portal(portal),
        Some(own) => own.check_portal(portal).ok().map(|()| own.tenant.clone()),
    };
    tenant.ok_or_else(|| {
        tracing::warn!(
            portal_id = portal.unwrap_or("(none)"),
            "webhook refused: no tenant of this URL owns the portal; nothing stored"
        );
        ApiError::UnknownPortal
    })
}

/// A store that cannot take the write now is a 503 the sender retries; anything else is a bug.
fn commit_error(e: crate::error::Error) -> ApiError {
    use crate::error::ErrorClass;
    let context = format!("intake commit: {e}");
    match e.class() {
        ErrorClass::Transient | ErrorClass::Configuration => ApiError::StoreUnavailable(context),
        _ => ApiError::Internal(context),
    }
}

/// Hands HubSpot's `contact.privacyDeletion` events to the writer, which queues one
/// `privacy_erase` job each (a worker erases the person); answers how many were queued.
async fn queue_privacy_deletions(
    state: &AppState,
    events: Vec<(TenantId, crate::domain::submission::PrivacyDeletion)>,
) -> Result<usize, ApiError> {
    let (reply, rx) = oneshot::channel();
    state
        .send(Message::PrivacyDeletions(
            crate::server::intake::PrivacyDeletions { events, reply },
        ))
        .await
        .map_err(|_| ApiError::Unavailable)?;
    rx.await
        .map_err(|_| ApiError::Unavailable)?
        .map_err(commit_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            is_json(&h)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/vnd.hubspot+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
