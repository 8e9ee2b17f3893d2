//! `serve`: the axum intake server and the worker pool in one process, sharing one shutdown.
//! [`serve_with`] takes a pre-bound listener (tests bind port 0). The router is small: the webhook,
//! two health checks, and a middleware that adds request ids and security headers.

mod api;
mod conn;
mod error;
mod health;
mod intake;
mod metrics;
mod presence;
mod probe;
mod webhook;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use tokio::sync::mpsc;
use tracing::Instrument as _;

use crate::config::Config;
use crate::domain::tenant::TenantId;
use crate::error::{Error, Result};
use crate::store::{Durability, Store};
use crate::webhook::Verifier;
use crate::worker::shutdown::Signals;
use crate::worker::{Pool, PoolOptions};

pub use api::openapi::document as openapi_document;
pub use webhook::{PATH as WEBHOOK_PATH, SYNTHETIC_HEADER};

#[derive(Default, Debug)]
pub struct Counters {
    pub accepted: AtomicU64,
    pub duplicates: AtomicU64,
    pub ignored_events: AtomicU64,
    pub quarantined: AtomicU64,
}

/// What every handler shares.
pub struct AppState {
    /// How the shared URL authenticates.
    shared: SharedDoor,
    /// Each tenant with a webhook secret of its own: its own URL's verifier. A tenant without one
    /// has no URL of its own (404).
    tenant_verifiers: HashMap<TenantId, Verifier>,
    /// The deployment's config: which tenant owns which portal.
    config: Arc<Config>,
    public_url: Option<String>,
    max_body: usize,
    /// The host to assume when a request has no Host header.
    local_host: String,
    /// False once shutdown begins: readiness fails and intake refuses new work.
    ready: AtomicBool,
    intake: mpsc::Sender<intake::Message>,
    /// False readiness while intake commits fail.
    intake_health: Arc<intake::Health>,
    /// A connection for readiness probes (never the intake writer's, never the metrics sampler's).
    probe: std::sync::Mutex<Store>,
    /// Store gauges for `/metrics`, sampled on their own thread and connection.
    sampler: metrics::Sampler,
    expects_workers: bool,
    heartbeat_window_ms: i64,
    counters: Counters,
    /// Bytes of request bodies being read now, across connections (in KiB permits).
    inflight_body: Arc<tokio::sync::Semaphore>,
    /// The whole request must be read and answered within this.
    request_timeout: Duration,
    /// `/api/v1`: key lookups, rate limits, per-tenant stores.
    api: api::ApiState,
}

impl AppState {
    async fn send(&self, m: intake::Message) -> std::result::Result<(), ()> {
        self.intake.send(m).await.map_err(|_| ())
    }
}

#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Accept unsigned requests (no secret configured); for local trials only.
    pub insecure_no_signature: bool,
    /// Worker threads in this process (0: intake only).
    pub pool: PoolOptions,
}

/// How `serve` ended.
#[derive(Clone, Debug, Default)]
pub struct ServeSummary {
    pub accepted: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    pub jobs_completed: u64,
    /// Jobs whose lease was released because the grace period ran out.
    pub released: usize,
    /// A second signal cut the shutdown short.
    pub forced: bool,
}

pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.max_body;
    Router::new()
        .route(
            webhook::PATH,
            post(webhook::hubspot_forms).layer(DefaultBodyLimit::max(limit)),
        )
        .route(
            webhook::TENANT_PATH,
            post(webhook::hubspot_forms_for_tenant).layer(DefaultBodyLimit::max(limit)),
        )
        .route(probe::PATH, get(probe::status).delete(probe::remove))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(metrics::metrics))
        .nest(api::PREFIX, api::routes(state.clone()))
        .fallback(|| async { error::ApiError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), request_frame))
        .with_state(state)
}

/// KiB of in-flight body budget one request reserves: its Content-Length, or the most a body
/// may be when it does not say.
fn body_permits(headers: &axum::http::HeaderMap, max_body: usize) -> u32 {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(max_body)
        .min(max_body);
    (declared.div_ceil(1024).max(1)).min(u32::MAX as usize) as u32
}

/// Reserves the request's share of `server.max_inflight_body_bytes` before its body is read;
/// over the budget the request is answered 503 (Retry-After) instead of growing memory.
async fn body_budget(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    match reserve_body(&state, req.headers()) {
        Ok(_reserved) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// The request's share of `server.max_inflight_body_bytes`, held until it is dropped; over the
/// budget, the 503 (Retry-After) to answer instead of reading the body. The webhook handlers
/// call it themselves before they read the body, one layer fewer on the hottest route.
fn reserve_body(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> std::result::Result<tokio::sync::OwnedSemaphorePermit, error::ApiError> {
    let permits = body_permits(headers, state.max_body);
    state
        .inflight_body
        .clone()
        .try_acquire_many_owned(permits)
        .map_err(|_| {
            tracing::warn!("request bodies in flight are over budget; answering 503");
            error::ApiError::Unavailable
        })
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The security headers every response carries.
static SECURITY_HEADERS: [(HeaderName, HeaderValue); 6] = [
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    ),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ),
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    (
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=63072000"),
    ),
];

/// The request's id: the caller's `X-Request-Id` when sane (left in place), else a fresh
/// UUIDv7 put in its place, so that handlers read the same one.
fn request_id(req: &mut Request) -> HeaderValue {
    if let Some(v) = req.headers().get(&REQUEST_ID)
        && let Ok(text) = v.to_str()
        && !text.is_empty()
        && text.len() <= 128
        && text.bytes().all(|b| b.is_ascii_graphic())
    {
        return v.clone();
    }
    let mut buf = [0u8; uuid::fmt::Simple::LENGTH];
    let text = uuid::Uuid::now_v7().simple().encode_lower(&mut buf);
    let value = HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("invalid"));
    req.headers_mut().insert(REQUEST_ID.clone(), value.clone());
    value
}

/// What every request goes through, in one layer (each `from_fn` layer costs a boxed future and
/// a clone of the service below it per request): an id (the caller's `X-Request-Id` when sane)
/// that its log lines carry and its answer echoes; HTTP/1.1 without Host refused;
/// `server.body_timeout_secs` to read and answer it, body included; the security headers on
/// every answer.
async fn request_frame(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let id = request_id(&mut req);
    // At WARN so that the warnings a request logs carry its id under the default log level.
    let span = tracing::warn_span!(
        "request",
        request_id = id.to_str().unwrap_or("invalid"),
        method = req.method().as_str(),
        path = req.uri().path()
    );
    let mut response = if req.version() == axum::http::Version::HTTP_11
        && !req.headers().contains_key(header::HOST)
    {
        error::ApiError::MissingHost.into_response()
    } else {
        match tokio::time::timeout(state.request_timeout, next.run(req))
            .instrument(span.clone())
            .await
        {
            Ok(response) => response,
            Err(_) => error::ApiError::RequestTimeout.into_response(),
        }
    };
    span.in_scope(|| tracing::debug!(status = response.status().as_u16(), "answered"));
    let h = response.headers_mut();
    h.insert(REQUEST_ID.clone(), id);
    for (name, value) in &SECURITY_HEADERS {
        h.insert(name.clone(), value.clone());
    }
    response
}

/// How the shared URL (`WEBHOOK_PATH`) authenticates its requests.
pub(crate) enum SharedDoor {
    /// With the app's webhook secret (and the previous one during a rotation).
    Signed(Verifier),
    /// Not at all: an explicit `--insecure-no-signature` in development.
    Unsigned,
    /// Closed: no app secret, and every tenant posts to its own URL with its own secret; every
    /// request to the shared URL is refused 401.
    Closed,
}

/// The shared URL's door. An empty secret never makes a verifier (it would accept anything
/// signed with the empty key). Without an app secret, serve starts only when every tenant has a
/// secret of its own (the shared URL then stays closed), or unsigned in development on request.
fn shared_door(config: &Config, insecure_no_signature: bool) -> Result<SharedDoor> {
    let secret = config.webhook.secret.as_ref().filter(|s| !s.is_empty());
    match (secret, insecure_no_signature) {
        (Some(secret), _) => Ok(SharedDoor::Signed(
            webhook_verifier(config, secret).with_previous(
                config
                    .webhook
                    .previous_secret
                    .as_ref()
                    .filter(|s| !s.is_empty())
                    .map(|s| s.expose()),
            ),
        )),
        (None, true) if config.environment == "development" => Ok(SharedDoor::Unsigned),
        (None, true) => Err(Error::Configuration(format!(
            "--insecure-no-signature is refused in environment {:?}\n\
             hint: set a webhook secret; unsigned intake is for environment = \"development\" only",
            config.environment
        ))),
        (None, false) if config.is_multi_tenant() => {
            let open = tenant_verifiers(config);
            let without: Vec<&str> = config
                .tenants
                .keys()
                .filter(|t| !open.contains_key(*t))
                .map(|t| t.as_str())
                .collect();
            if without.is_empty() {
                return Ok(SharedDoor::Closed);
            }
            Err(Error::Configuration(format!(
                "no webhook secret for the shared URL, and tenant {} has no webhook secret of its \
                 own: its submissions could not be verified anywhere\n\
                 hint: set SALESAGENT_WEBHOOK_SECRET (or SALESAGENT_WEBHOOK_SECRET_FILE) to the \
                 HubSpot app's client secret, or give {} a webhook_secret_env (or \
                 webhook_secret_file) of its own",
                without.join(", "),
                without
                    .iter()
                    .map(|t| format!("tenants.{t}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
        (None, false) => Err(Error::Configuration(
            "no webhook secret: serve refuses to accept unsigned webhooks\n\
             hint: set SALESAGENT_WEBHOOK_SECRET (or SALESAGENT_WEBHOOK_SECRET_FILE) to the HubSpot \
             app's client secret; for a local trial only, pass --insecure-no-signature"
                .into(),
        )),
    }
}

/// A verifier of `secret` with the deployment's signature versions and clock skew.
fn webhook_verifier(config: &Config, secret: &crate::config::Secret) -> Verifier {
    Verifier::new(
        secret.expose(),
        &config.webhook.signature_versions,
        config.webhook.max_clock_skew_secs,
    )
}

/// The verifier of each tenant's own URL: only tenants with a webhook secret of their own get
/// one (an empty one never does: `validate` refuses it, and this fails closed regardless), and
/// `--insecure-no-signature` never opens a tenant's URL.
fn tenant_verifiers(config: &Config) -> HashMap<TenantId, Verifier> {
    config
        .tenants
        .iter()
        .filter(|(_, settings)| settings.has_own_webhook_secret())
        .filter_map(|(id, _)| {
            let own = config.for_tenant(id).ok()?;
            let secret = own.webhook.secret.as_ref().filter(|s| !s.is_empty())?;
            Some((id.clone(), webhook_verifier(config, secret)))
        })
        .collect()
}

/// Fails as `serve_with` would on its signature settings, before anything starts.
pub fn check_signature_policy(config: &Config, insecure_no_signature: bool) -> Result<()> {
    shared_door(config, insecure_no_signature).map(|_| ())
}

/// What serve holds on the database: the readiness probe's connection, the intake presence (no
/// workers), the metrics sampler and the intake writer.
struct Connected {
    probe: Store,
    presence: Option<presence::Presence>,
    sampler: metrics::Sampler,
    writer: intake::Writer,
}

/// Opens serve's connections and starts the threads that own them. Run through [`blocking`]:
/// a connection that fails half-way drops the others, and dropping one blocks too.
fn connect(
    config: &Config,
    without_workers: bool,
    pool_wal: Option<crate::store::WalReset>,
    heartbeat_window_ms: i64,
    on_commit: Arc<dyn Fn() + Send + Sync>,
    health: Arc<intake::Health>,
) -> Result<Connected> {
    let intake_store = Store::open_with(&config.db, &config.tenant, Durability::Full)?;
    let probe = Store::open(&config.db, &config.tenant)?;
    // Without workers nothing else says this process is alive (`db restore` must see it).
    let presence = if without_workers {
        Some(presence::Presence::start(
            Store::open(&config.db, &config.tenant)?,
            Duration::from_millis((config.worker.lease_secs.max(1) * 1000 / 3).max(50)),
        )?)
    } else {
        None
    };
    let sampler = metrics::Sampler::start(
        Store::open(&config.db, &config.tenant)?,
        metrics::Sampling {
            heartbeat_window_ms,
            tenant_labels: config.metrics.tenant_labels,
            tenants: config.tenant_ids().iter().map(|t| t.to_string()).collect(),
        },
    )?;
    // SQLite's WAL needs checkpointing beside the writer (the pool's checkpointer when this
    // process runs workers); PostgreSQL checkpoints itself.
    let checkpoints = match (intake_store.dialect(), pool_wal) {
        (crate::store::sql::Dialect::Postgres, _) => intake::Checkpoints::ByServer,
        (crate::store::sql::Dialect::Sqlite, Some(wal)) => intake::Checkpoints::Pool(wal),
        (crate::store::sql::Dialect::Sqlite, None) => {
            intake::Checkpoints::Own(Box::new(Store::open(&config.db, &config.tenant)?))
        }
    };
    let writer = intake::Writer::start(intake_store, checkpoints, on_commit, health)?;
    Ok(Connected {
        probe,
        presence,
        sampler,
        writer,
    })
}

/// Runs store work (opening connections, first samples) from serve's async setup: the
/// PostgreSQL driver blocks on a runtime of its own, which cannot start on a thread that is
/// driving this one; `block_in_place` hands this thread's tasks to another first (serve's
/// runtime is multi-threaded).
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(work)
}

/// Runs intake and workers until a signal: the first stops intake (readiness false), lets running
/// jobs finish within `worker.shutdown_grace_secs` and releases the leases of the rest; a second
/// returns at once.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    config: Arc<Config>,
    options: ServeOptions,
    signals: Signals,
) -> Result<ServeSummary> {
    let shared = shared_door(&config, options.insecure_no_signature)?;
    if matches!(shared, SharedDoor::Closed) {
        tracing::info!(
            path = WEBHOOK_PATH,
            "the shared webhook URL is closed (no app webhook secret): every request there is \
             refused 401; each tenant posts to its own URL ({WEBHOOK_PATH}/<tenant>) with its own secret"
        );
    }
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("cannot read the listening address", e))?;
    let pool = if options.pool.workers > 0 {
        Some(Pool::spawn(config.clone(), options.pool.clone()).await?)
    } else {
        None
    };
    let on_commit: Arc<dyn Fn() + Send + Sync> = match &pool {
        Some(p) => {
            let wake = p.wake();
            Arc::new(move || wake.notify())
        }
        None => Arc::new(|| {}),
    };
    let lease_ms = (config.worker.lease_secs.max(1) * 1000) as i64;
    let heartbeat_window_ms = lease_ms.max(3000);
    metrics::declare_series();
    let intake_health = Arc::new(intake::Health::default());
    let pool_wal = pool.as_ref().and_then(Pool::wal_reset);
    let Connected {
        probe,
        presence: _presence,
        sampler,
        writer,
    } = blocking(|| {
        connect(
            &config,
            pool.is_none(),
            pool_wal,
            heartbeat_window_ms,
            on_commit,
            intake_health.clone(),
        )
    })?;
    let state = Arc::new(AppState {
        shared,
        tenant_verifiers: tenant_verifiers(&config),
        config: config.clone(),
        public_url: config.webhook.public_url.clone(),
        max_body: config.webhook.max_body_bytes,
        local_host: local.to_string(),
        ready: AtomicBool::new(true),
        intake: writer.tx.clone(),
        intake_health,
        probe: std::sync::Mutex::new(probe),
        sampler,
        expects_workers: pool.is_some(),
        heartbeat_window_ms,
        counters: Counters::default(),
        inflight_body: Arc::new(tokio::sync::Semaphore::new(
            (config.server.max_inflight_body_bytes / 1024).max(1),
        )),
        request_timeout: Duration::from_secs(config.server.body_timeout_secs),
        api: api::ApiState::new(config.clone()),
    });
    let app = router(state.clone());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let grace = Duration::from_secs(config.worker.shutdown_grace_secs);
    // One grace period from the first signal covers both the HTTP requests in flight and the
    // running jobs, so shutdown ends within it (systemd's TimeoutStopSec), not within twice it.
    let stopping_since = Arc::new(std::sync::OnceLock::new());
    let first = {
        let mut s = signals.clone();
        let state = state.clone();
        let stopping_since = stopping_since.clone();
        let claims = pool.as_ref().map(Pool::claim_stop);
        async move {
            s.at_least(1).await;
            let _ = stopping_since.set(std::time::Instant::now());
            state.ready.store(false, Ordering::SeqCst);
            if let Some(claims) = claims {
                claims.stop();
            }
            tracing::info!("stopping: intake closed, finishing running jobs");
            let _ = stop_tx.send(true);
        }
    };
    tokio::spawn(first);
    let limits = conn::Limits::from_config(&config.server);
    let server = conn::serve(listener, app, limits, stop_rx, grace);
    let mut second = signals.clone();
    let mut summary = ServeSummary::default();
    tokio::select! {
        result = server => result.map_err(|e| Error::io("the HTTP server failed", e))?,
        _ = second.at_least(2) => {
            summary.forced = true;
            blocking(move || drop((state, _presence)));
            return Ok(summary);
        }
    }
    // Intake is closed: answer whatever is still queued for the writer, then stop it.
    tokio::task::spawn_blocking(move || writer.stop())
        .await
        .map_err(|e| Error::Configuration(format!("intake writer: {e}")))?;
    summary.accepted = state.counters.accepted.load(Ordering::Relaxed);
    summary.duplicates = state.counters.duplicates.load(Ordering::Relaxed);
    summary.quarantined = state.counters.quarantined.load(Ordering::Relaxed);
    if let Some(pool) = pool {
        let since = stopping_since
            .get()
            .copied()
            .unwrap_or_else(std::time::Instant::now);
        let drained = crate::worker::shutdown::drain(pool, since + grace, signals).await?;
        summary.released = drained.released;
        summary.forced = drained.forced;
        summary.jobs_completed = drained.completed;
    }
    // The connections these hold close by blocking too (PostgreSQL's driver), so not on a
    // thread that drives the runtime.
    blocking(move || drop((state, _presence)));
    Ok(summary)
}
