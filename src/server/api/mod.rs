//! `/api/v1`: the operations integrations need over HTTP (submissions, workflows, drafts, dead
//! letters, usage), authenticated by tenant-scoped API keys. The guard middleware refuses keys in query
//! strings, authenticates the bearer key, applies the key's rate limit and hands the handlers a
//! [`Caller`]; each handler checks its scope and runs its store work on the blocking pool with a
//! `Store` of the caller's tenant (never the tokio runtime's threads). Switching the mode is not
//! here: it stays an operator's act at a terminal.

mod dlq;
mod drafts;
pub(super) mod error;
mod limit;
pub mod openapi;
mod submissions;
mod usage;
mod workflows;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use self::error::{ApiV1Error, rate_limit_headers};
use super::AppState;
use crate::config::Config;
use crate::connectors::Connectors;
use crate::domain::api_key::{self, KeyEnvironment};
use crate::domain::tenant::TenantId;
use crate::domain::time::{now_ms, parse_since};
use crate::operator::Operator;
use crate::store::{ApiKeyRow, Cursor, KeyState, Slice, Store};

pub const PREFIX: &str = "/api/v1";

/// Largest body of a request other than a submission (decisions, edits).
const BODY_LIMIT: usize = 256 * 1024;

/// How often a key's `last_used_at` is written at most.
const TOUCH_EVERY_MS: i64 = 60_000;
/// Idle connections kept per tenant.
const IDLE_PER_TENANT: usize = 8;

/// What the API shares across requests.
pub struct ApiState {
    config: Arc<Config>,
    stores: Arc<StorePool>,
    limiter: limit::Limiter,
    env: KeyEnvironment,
    /// When each key's use was last written.
    touched: Mutex<HashMap<String, i64>>,
}

impl ApiState {
    pub fn new(config: Arc<Config>) -> ApiState {
        ApiState {
            env: KeyEnvironment::of(&config.environment),
            stores: Arc::new(StorePool {
                db: config.db.clone(),
                idle: Mutex::new(HashMap::new()),
            }),
            config,
            limiter: limit::Limiter::default(),
            touched: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `work` on the blocking pool with a store of `tenant` (an idle one, or a new one).
    async fn with_store<T, F>(&self, tenant: &TenantId, work: F) -> Result<T, ApiV1Error>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, ApiV1Error> + Send + 'static,
    {
        let pool = self.stores.clone();
        let tenant = tenant.clone();
        tokio::task::spawn_blocking(move || {
            let store = pool.take(&tenant)?;
            let out = work(&store);
            pool.give(store);
            out
        })
        .await
        .map_err(|e| ApiV1Error::Internal(format!("api: blocking task failed: {e}")))?
    }

    /// Runs `work` on the blocking pool with the operator actions of `tenant`: its store, its
    /// effective config and its connectors (built there: real connectors are blocking clients).
    async fn with_operator<T, F>(&self, tenant: &TenantId, work: F) -> Result<T, ApiV1Error>
    where
        T: Send + 'static,
        F: FnOnce(&Operator<'_>) -> Result<T, ApiV1Error> + Send + 'static,
    {
        let config = self.tenant_config(tenant)?;
        self.with_store(tenant, move |store| {
            let connectors = Connectors::from_config(&config)?;
            let op = Operator {
                store,
                config: &config,
                mailbox: connectors.mailbox.as_ref(),
                crm: connectors.crm.as_ref(),
            };
            work(&op)
        })
        .await
    }

    /// The effective configuration of a tenant (its overrides laid over the top level).
    fn tenant_config(&self, tenant: &TenantId) -> Result<Arc<Config>, ApiV1Error> {
        Ok(Arc::new(self.config.for_tenant(tenant)?.clone()))
    }

    /// Finds and checks the presented key: its secret, its state, its tenant.
    async fn authenticate(&self, text: String) -> Result<ApiKeyRow, ApiV1Error> {
        let presented = api_key::parse(&text).map_err(|e| {
            tracing::info!(reason = %e, "api: malformed key refused");
            ApiV1Error::Unauthorized("invalid API key")
        })?;
        if presented.env != self.env {
            tracing::info!(key_id = %presented.id, "api: key of another environment refused");
            return Err(ApiV1Error::Unauthorized(match self.env {
                KeyEnvironment::Live => "invalid API key: this deployment takes sa_live_ keys",
                KeyEnvironment::Test => "invalid API key: this deployment takes sa_test_ keys",
            }));
        }
        let lookup_tenant = self.config.tenant.clone();
        let id = presented.id.clone();
        let row = self
            .with_store(&lookup_tenant, move |store| {
                Ok(store.authenticate_api_key(&id)?)
            })
            .await?;
        let Some(row) = row.filter(|r| presented.matches(&r.secret_hash)) else {
            tracing::info!(key_id = %presented.id, "api: unknown key or wrong secret refused");
            return Err(ApiV1Error::Unauthorized("invalid API key"));
        };
        let now = now_ms();
        match row.state(now) {
            KeyState::Active => {}
            KeyState::Revoked => return Err(ApiV1Error::Unauthorized("this API key was revoked")),
            KeyState::Expired => return Err(ApiV1Error::Unauthorized("this API key has expired")),
        }
        if self.config.for_tenant(&row.tenant).is_err() {
            tracing::warn!(key_id = %row.id, tenant = %row.tenant, "api: key of a tenant no longer configured");
            return Err(ApiV1Error::Unauthorized(
                "this API key's tenant is not configured here",
            ));
        }
        self.touch(&row, now).await;
        Ok(row)
    }

    /// Writes `last_used_at` about once a minute per key; a failure only logs.
    async fn touch(&self, row: &ApiKeyRow, now: i64) {
        {
            let mut touched = self.touched.lock().unwrap_or_else(|p| p.into_inner());
            let last = touched
                .get(&row.id)
                .copied()
                .or(row.last_used_at)
                .unwrap_or(0);
            if now - last < TOUCH_EVERY_MS {
                return;
            }
            touched.insert(row.id.clone(), now);
        }
        let id = row.id.clone();
        if let Err(e) = self
            .with_store(&row.tenant, move |store| Ok(store.touch_api_key(&id, now)?))
            .await
        {
            tracing::warn!(key_id = %row.id, error = ?e, "api: could not record the key's use");
        }
    }
}

/// Connections per tenant, reused across requests.
struct StorePool {
    db: PathBuf,
    idle: Mutex<HashMap<TenantId, Vec<Store>>>,
}

impl StorePool {
    fn take(&self, tenant: &TenantId) -> Result<Store, ApiV1Error> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(tenant)
            .and_then(Vec::pop);
        match idle {
            Some(store) => Ok(store),
            None => Ok(Store::open(&self.db, tenant)?),
        }
    }

    fn give(&self, store: Store) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let slot = idle.entry(store.tenant().clone()).or_default();
        if slot.len() < IDLE_PER_TENANT {
            slot.push(store);
        }
    }
}

/// The authenticated key behind a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub key_id: String,
    pub tenant: TenantId,
    scopes: Vec<String>,
}

impl Caller {
    /// 403 unless the key holds `scope`.
    fn require(&self, scope: &'static str) -> Result<(), ApiV1Error> {
        if self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiV1Error::Forbidden(scope))
        }
    }

    /// Who the audit log names: always the key's id, with the person the integration says acted
    /// (`by`) when it gives one.
    fn actor(&self, by: Option<&str>) -> Result<String, ApiV1Error> {
        let key = format!("api_key:{}", self.key_id);
        match by.map(str::trim).filter(|b| !b.is_empty()) {
            None => Ok(key),
            Some(by) if by.chars().count() > 100 || by.chars().any(char::is_control) => Err(
                ApiV1Error::invalid("by", "must be one line of at most 100 characters"),
            ),
            Some(by) => Ok(format!("{by} via {key}")),
        }
    }
}

/// Parameter names that carry credentials by convention; any of them in a query is refused.
const KEY_PARAMETERS: [&str; 6] = [
    "api_key",
    "apikey",
    "key",
    "token",
    "access_token",
    "authorization",
];

/// Whether a query string carries something that looks like a key (by name or by value).
fn query_has_key(query: &str) -> bool {
    let lowered = query.to_ascii_lowercase().replace("%5f", "_");
    lowered.contains("sa_live_")
        || lowered.contains("sa_test_")
        || lowered.split('&').any(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            KEY_PARAMETERS.contains(&name)
        })
}

/// The bearer token of `Authorization`, if any.
fn bearer(headers: &HeaderMap) -> Result<String, ApiV1Error> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiV1Error::Unauthorized(
            "missing API key: send `Authorization: Bearer <key>`",
        ))?
        .to_str()
        .map_err(|_| ApiV1Error::Unauthorized("invalid API key"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(ApiV1Error::Unauthorized("invalid API key"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiV1Error::Unauthorized(
            "send the API key as `Authorization: Bearer <key>`",
        ));
    }
    Ok(token.trim().to_string())
}

/// Refuses keys in the query string, checks readiness, authenticates the key, applies its rate
/// limit, and passes the [`Caller`] on; every answer after authentication has `RateLimit-*`.
async fn guard(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    if req.uri().query().is_some_and(query_has_key) {
        tracing::warn!("api: a key in the query string was refused");
        return ApiV1Error::KeyInQuery.into_response();
    }
    if !state.ready.load(Ordering::SeqCst) {
        return ApiV1Error::Unavailable("shutting down".into()).into_response();
    }
    let key = match bearer(req.headers()) {
        Ok(text) => state.api.authenticate(text).await,
        Err(e) => Err(e),
    };
    let key = match key {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    let verdict = state.api.limiter.check(
        &key.id,
        key.rate_per_sec.unwrap_or(limit::DEFAULT_RATE_PER_SEC),
        key.burst.unwrap_or(limit::DEFAULT_BURST),
        Instant::now(),
    );
    let mut response = if verdict.allowed {
        tracing::debug!(key_id = %key.id, tenant = %key.tenant, "api: authenticated");
        req.extensions_mut().insert(Caller {
            key_id: key.id,
            tenant: key.tenant,
            scopes: key.scopes,
        });
        next.run(req).await
    } else {
        ApiV1Error::RateLimited {
            retry_after_secs: verdict.retry_after_secs,
        }
        .into_response()
    };
    rate_limit_headers(
        &mut response,
        verdict.limit,
        verdict.remaining,
        verdict.reset_secs,
    );
    response
}

/// The `/api/v1` routes (to nest under [`PREFIX`]), each behind the guard but the document.
pub(super) fn routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let max_body = state.max_body;
    Router::new()
        .route(
            "/submissions",
            post(submissions::create)
                .layer(DefaultBodyLimit::max(max_body))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    super::body_budget,
                )),
        )
        .route("/workflows", get(workflows::list))
        .route("/workflows/{id}", get(workflows::show))
        .route("/workflows/{id}/retry", post(workflows::retry))
        .route("/drafts", get(drafts::list))
        .route("/drafts/{id}", get(drafts::show).patch(drafts::edit))
        .route("/drafts/{id}/approve", post(drafts::approve))
        .route("/drafts/{id}/reject", post(drafts::reject))
        .route("/dlq", get(dlq::list))
        .route("/dlq/{id}/retry", post(dlq::retry))
        .route("/usage", get(usage::report))
        .route_layer(middleware::from_fn_with_state(state, guard))
        // Added after the guard's layer: the description of the API is public.
        .route("/openapi.json", get(openapi::serve))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .fallback(|| async { ApiV1Error::NotFound })
}

/// The exact id of the caller's tenant, or 404: another tenant's id, a prefix or a typo are all
/// "not found", never told apart.
fn exact(resolved: crate::error::Result<String>, id: &str) -> Result<String, ApiV1Error> {
    match resolved {
        Ok(found) if found == id => Ok(found),
        Ok(_) | Err(crate::error::Error::NotFound(_) | crate::error::Error::InvalidInput(_)) => {
            Err(ApiV1Error::NotFound)
        }
        Err(e) => Err(e.into()),
    }
}

/// Most rows one list request returns.
const MAX_LIMIT: usize = 500;
const DEFAULT_LIMIT: usize = 50;

/// A list request's limit and where it starts.
#[derive(Clone, Debug)]
struct ListPage {
    limit: usize,
    cursor: Option<Cursor>,
}

impl ListPage {
    fn new(limit: Option<usize>, cursor: Option<&str>) -> Result<ListPage, ApiV1Error> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiV1Error::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let cursor = cursor.map(decode_cursor).transpose()?;
        Ok(ListPage { limit, cursor })
    }

    /// The cursor of the next page when this one was cut at its limit.
    fn next<T>(&self, page: &Slice<T>, key: impl Fn(&T) -> (i64, &str)) -> Option<String> {
        if !page.more {
            return None;
        }
        let (at, id) = key(page.rows.last()?);
        Some(URL_SAFE_NO_PAD.encode(format!("{at}:{id}")))
    }
}

fn decode_cursor(text: &str) -> Result<Cursor, ApiV1Error> {
    let bad = || ApiV1Error::invalid("cursor", "is not a cursor this API gave out");
    let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (at, id) = raw.split_once(':').ok_or_else(bad)?;
    Ok(Cursor {
        created_at: at.parse().map_err(|_| bad())?,
        id: id.to_string(),
    })
}

/// A state parameter (`status=…`), checked against its names.
fn state_param<T>(
    name: &str,
    value: Option<&str>,
    names: &[&str],
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, ApiV1Error> {
    value
        .map(|v| {
            parse(v).ok_or_else(|| {
                ApiV1Error::invalid(name, format!("use one of: {}", names.join(", ")))
            })
        })
        .transpose()
}

/// The body of a retry: who asked, recorded beside the key's id in the audit log.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryBody {
    /// Who asked (recorded beside the key's id in the audit log)
    by: Option<String>,
}

/// `since`: a duration back from now or a date, as `--since` takes it.
fn since_param(value: Option<&str>) -> Result<Option<i64>, ApiV1Error> {
    value
        .map(|v| parse_since(v, now_ms()).map_err(|why| ApiV1Error::invalid("since", why)))
        .transpose()
}

/// A query string that does not fit the endpoint's parameters (serde names the parameter).
fn query_error(rejection: QueryRejection) -> ApiV1Error {
    ApiV1Error::invalid("query", rejection.body_text())
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, ApiV1Error> {
    serde_json::to_value(value).map_err(|e| ApiV1Error::Internal(format!("api: serialise: {e}")))
}

/// A JSON body that may be empty (then `T::default()`); one that does not fit is 422.
pub struct OptionalBody<T>(pub T);

impl<T, S> FromRequest<S> for OptionalBody<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiV1Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiV1Error::PayloadTooLarge { limit: BODY_LIMIT }
            } else {
                ApiV1Error::invalid("body", "could not be read")
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalBody(T::default()));
        }
        serde_json::from_slice(&bytes)
            .map(OptionalBody)
            .map_err(|e| ApiV1Error::invalid("body", e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_query_strings_are_spotted() {
        assert!(query_has_key("api_key=x"));
        assert!(query_has_key("status=failed&token=abc"));
        assert!(query_has_key("q=sa_live_abc"));
        assert!(query_has_key("q=sa%5Ftest%5Fabc"));
        assert!(!query_has_key("status=pending_review&limit=5"));
        assert!(!query_has_key("cursor=abc&since=7d"));
    }

    #[test]
    fn the_actor_always_names_the_key() {
        let caller = Caller {
            key_id: "abc".into(),
            tenant: TenantId::default_tenant(),
            scopes: vec!["drafts:read".into()],
        };
        assert_eq!(caller.actor(None).unwrap(), "api_key:abc");
        assert_eq!(caller.actor(Some("ann")).unwrap(), "ann via api_key:abc");
        assert!(caller.actor(Some("a\nb")).is_err());
        assert!(caller.require("drafts:read").is_ok());
        assert!(matches!(
            caller.require("drafts:review"),
            Err(ApiV1Error::Forbidden("drafts:review"))
        ));
    }
}
