//! The one resilience layer every real connector sends through: timeouts, classification into the
//! five error classes, retry with exponential backoff and jitter (`Retry-After` wins), a circuit
//! breaker per service and a client-side rate limiter. It knows HTTP, not any provider's API; a
//! connector passes a `describe` function that turns its error bodies into a message. Secrets the
//! connector registers are scrubbed from every message this layer produces.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::HttpConfig;
use crate::domain::retry::{self, Policy, Verdict};
use crate::error::{ConnectorError, ErrorClass};

/// What a provider's error body says: a message for the operator (with any correlation id) and
/// whether the failure is a daily quota (which no short retry will fix).
#[derive(Clone, Debug, Default)]
pub struct ApiError {
    pub message: String,
    pub daily_limit: bool,
}

/// Turns a non-2xx body into an `ApiError`; one per provider.
pub type Describe = fn(status: u16, body: &str) -> ApiError;

/// The shortest wait after a daily quota stop.
pub const DAILY_LIMIT_MIN_WAIT: Duration = Duration::from_secs(60 * 60);

/// How long a daily quota stop waits: until the next UTC midnight (a minute after), at least an
/// hour. Accounts in other time zones reset later; the next attempt then simply waits again.
pub fn daily_reset_after(now: jiff::Timestamp) -> Duration {
    let day_ms = 86_400_000;
    let ms = now.as_millisecond();
    let next_midnight = (ms.div_euclid(day_ms) + 1) * day_ms + 60_000;
    Duration::from_millis((next_midnight - ms) as u64).max(DAILY_LIMIT_MIN_WAIT)
}

/// The class of an HTTP status that is not a success.
pub fn classify_status(status: u16) -> ErrorClass {
    match status {
        408 | 425 | 429 | 500..=599 => ErrorClass::Transient,
        401 | 403 => ErrorClass::Configuration,
        409 => ErrorClass::Recoverable,
        _ => ErrorClass::InvalidInput,
    }
}

/// A `Retry-After` value: delay seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let ms = at.as_millisecond() - now.as_millisecond();
    Some(Duration::from_millis(ms.max(0) as u64))
}

/// Circuit breaker states, as shown by `config check --live`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

#[derive(Debug)]
enum BreakerInner {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// Closed until `threshold` consecutive failures, then open for `cooldown`, then one probe
/// (half-open): its success closes the breaker, its failure opens it again.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    inner: Mutex<BreakerInner>,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            inner: Mutex::new(BreakerInner::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a request may go out now; `Err` carries how long the breaker stays open.
    pub fn allow(&self, now: Instant) -> Result<(), Duration> {
        let mut inner = self.lock();
        match *inner {
            BreakerInner::Closed { .. } => Ok(()),
            BreakerInner::Open { until } if now >= until => {
                *inner = BreakerInner::HalfOpen { probing: true };
                Ok(())
            }
            BreakerInner::Open { until } => Err(until - now),
            BreakerInner::HalfOpen { probing: false } => {
                *inner = BreakerInner::HalfOpen { probing: true };
                Ok(())
            }
            BreakerInner::HalfOpen { probing: true } => Err(self.cooldown),
        }
    }

    pub fn success(&self) {
        *self.lock() = BreakerInner::Closed { failures: 0 };
    }

    pub fn failure(&self, now: Instant) {
        let mut inner = self.lock();
        let open = BreakerInner::Open {
            until: now + self.cooldown,
        };
        *inner = match *inner {
            BreakerInner::Closed { failures } if failures + 1 >= self.threshold => open,
            BreakerInner::Closed { failures } => BreakerInner::Closed {
                failures: failures + 1,
            },
            BreakerInner::HalfOpen { .. } | BreakerInner::Open { .. } => open,
        };
    }

    /// Opens the breaker for `duration` at once (a quota that no retry will fix).
    pub fn trip(&self, now: Instant, duration: Duration) {
        *self.lock() = BreakerInner::Open {
            until: now + duration,
        };
    }

    pub fn state(&self, now: Instant) -> BreakerState {
        match *self.lock() {
            BreakerInner::Closed { .. } => BreakerState::Closed,
            BreakerInner::Open { until } if now >= until => BreakerState::HalfOpen,
            BreakerInner::Open { .. } => BreakerState::Open,
            BreakerInner::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

/// At most `limit` requests in any `window` (a sliding window of send times).
#[derive(Debug)]
pub struct RateLimiter {
    limit: usize,
    window: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            limit: limit.max(1) as usize,
            window,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// Records a send at `now` if the window has room, else says how long to wait.
    pub fn try_acquire(&self, now: Instant) -> Result<(), Duration> {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        while sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            sent.pop_front();
        }
        if sent.len() < self.limit {
            sent.push_back(now);
            return Ok(());
        }
        let oldest = *sent.front().expect("full window has a front");
        Err(self.window - now.duration_since(oldest))
    }

    /// Blocks until the window has room.
    pub fn acquire(&self) {
        while let Err(wait) = self.try_acquire(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}

/// A request body.
#[derive(Clone, Debug)]
pub enum Body {
    None,
    Json(Value),
    /// `application/x-www-form-urlencoded` pairs.
    Form(Vec<(&'static str, String)>),
}

/// One logical call; the layer may send it several times.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    pub method: reqwest::Method,
    /// Path and query, appended to the client's base URL.
    pub path: String,
    pub bearer: Option<&'a str>,
    pub body: Body,
    /// A repeat cannot create a second object (GET, PUT, DELETE, searches). Non-idempotent
    /// calls are repeated only when the request surely did not arrive (connect failure, 429).
    pub idempotent: bool,
    /// Extra statuses the caller handles itself (404 for lookups, 409 for create races).
    pub accept: &'a [u16],
    /// An extra limiter for this call (HubSpot's search limit).
    pub limiter: Option<&'a RateLimiter>,
    /// Which outcomes this layer counts in `salesagent_connector_calls_total`.
    pub metering: Metering,
}

/// Who counts a call's outcome. A caller that must judge a 2xx reply before it is a success
/// (the LLM's reply may be unusable) counts the success itself with `HttpClient::count_call`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metering {
    All,
    FailuresOnly,
    /// Capability probes: their expected refusals are not service errors.
    Nothing,
}

impl<'a> Call<'a> {
    pub fn get(path: impl Into<String>) -> Call<'a> {
        Call::new(reqwest::Method::GET, path, Body::None, true)
    }
    pub fn post(path: impl Into<String>, body: Value) -> Call<'a> {
        Call::new(reqwest::Method::POST, path, Body::Json(body), false)
    }
    pub fn new(
        method: reqwest::Method,
        path: impl Into<String>,
        body: Body,
        idempotent: bool,
    ) -> Call<'a> {
        Call {
            method,
            path: path.into(),
            bearer: None,
            body,
            idempotent,
            accept: &[],
            limiter: None,
            metering: Metering::All,
        }
    }
    pub fn bearer(mut self, token: &'a str) -> Self {
        self.bearer = Some(token);
        self
    }
    pub fn accept(mut self, statuses: &'a [u16]) -> Self {
        self.accept = statuses;
        self
    }
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }
    pub fn limiter(mut self, limiter: &'a RateLimiter) -> Self {
        self.limiter = Some(limiter);
        self
    }
    pub fn metering(mut self, metering: Metering) -> Self {
        self.metering = metering;
        self
    }
}

/// A response the caller handles: any 2xx, or one of the statuses it accepted.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn json(&self, service: &'static str) -> Result<Value, ConnectorError> {
        if self.body.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&self.body).map_err(|e| {
            ConnectorError::new(
                service,
                ErrorClass::Transient,
                format!("the response is not JSON ({e})"),
            )
        })
    }
}

/// The HTTP client of one service, with its breaker and limiter.
pub struct HttpClient {
    service: &'static str,
    base_url: String,
    inner: reqwest::blocking::Client,
    /// Repeats of one call: `max_attempts` is the retries plus the first try.
    policy: Policy,
    breaker: Breaker,
    limiter: Option<RateLimiter>,
    describe: Describe,
    secrets: Vec<String>,
}

impl HttpClient {
    pub fn new(
        service: &'static str,
        base_url: &str,
        config: &HttpConfig,
        describe: Describe,
    ) -> Result<HttpClient, ConnectorError> {
        let inner = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .timeout(Duration::from_millis(config.timeout_ms))
            .user_agent(concat!("salesagent/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ConnectorError::new(
                    service,
                    ErrorClass::Configuration,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        Ok(HttpClient {
            service,
            base_url: base_url.trim_end_matches('/').to_string(),
            inner,
            policy: Policy {
                max_attempts: config.retry_attempts.saturating_add(1),
                base: Duration::from_millis(config.retry_base_ms),
                max: Duration::from_millis(config.retry_max_ms),
            },
            breaker: Breaker::new(
                config.breaker_failures,
                Duration::from_secs(config.breaker_cooldown_secs),
            ),
            limiter: None,
            describe,
            secrets: Vec::new(),
        })
    }

    /// Every request of this client also waits for `limiter`.
    pub fn with_limiter(mut self, limiter: RateLimiter) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Values scrubbed from every message (tokens, client secrets); empty values are ignored.
    pub fn with_secrets(mut self, secrets: impl IntoIterator<Item = String>) -> Self {
        self.secrets
            .extend(secrets.into_iter().filter(|s| s.len() >= 4));
        self
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state(Instant::now())
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            out = out.replace(s.as_str(), "***");
        }
        out
    }

    /// Counts a failure against the breaker, logging when it opens.
    fn record_failure(&self) {
        let now = Instant::now();
        let before = self.breaker.state(now);
        self.breaker.failure(now);
        if before != BreakerState::Open && self.breaker.state(now) == BreakerState::Open {
            tracing::warn!(
                service = self.service,
                cooldown_secs = self.breaker.cooldown.as_secs(),
                "circuit breaker opened after repeated failures"
            );
        }
    }

    /// One call's outcome, and the breaker's state after it, for `/metrics`.
    fn record_metrics(&self, call: &Call<'_>, failure: Option<ErrorClass>) {
        match (call.metering, failure) {
            (Metering::Nothing, _) | (Metering::FailuresOnly, None) => {}
            (_, failure) => self.count_call(failure.map_or("ok", ErrorClass::as_str)),
        }
    }

    /// Counts one call with `outcome` (`ok`, an error class, or `unusable` for a reply the
    /// caller could not use), and the breaker's state after it.
    pub fn count_call(&self, outcome: &str) {
        crate::metrics::inc(
            "salesagent_connector_calls_total",
            &[("service", self.service), ("outcome", outcome)],
        );
        let state = match self.breaker_state() {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        };
        crate::metrics::set(
            "salesagent_circuit_breaker_state",
            &[("service", self.service)],
            state,
        );
    }

    fn error(&self, class: ErrorClass, message: String) -> ConnectorError {
        ConnectorError::new(self.service, class, self.redact(&message))
    }

    /// Sends `call` with retries; returns the reply or the classified error of the last attempt.
    pub fn send(&self, call: &Call<'_>) -> Result<Reply, ConnectorError> {
        let mut retry = 0;
        loop {
            let outcome = self.attempt(call);
            self.record_metrics(call, outcome.as_ref().err().map(|e| e.error.class));
            let err = match outcome {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            let safe = call.idempotent || err.not_sent || err.error.status == Some(429);
            // The job-level policy decides here too; this layer only repeats what is transient
            // (a 409 or an open circuit goes back to the step) and what surely did no harm, and
            // never waits longer than `retry_max` (a longer Retry-After is the job's to honour).
            let verdict = retry::decide(
                err.error.class,
                retry + 1,
                err.error.retry_after,
                &self.policy,
                retry::jitter_unit(),
            );
            match verdict {
                Verdict::Retry(wait)
                    if err.error.class == ErrorClass::Transient
                        && safe
                        && wait <= self.policy.max =>
                {
                    retry += 1;
                    tracing::info!(
                        service = self.service,
                        retry,
                        wait_ms = wait.as_millis() as u64,
                        error = %err.error.message,
                        "retrying"
                    );
                    std::thread::sleep(wait);
                }
                _ => return Err(err.error),
            }
        }
    }

    fn attempt(&self, call: &Call<'_>) -> Result<Reply, Attempt> {
        let what = format!("{} {}", call.method, path_only(&call.path));
        if let Err(open_for) = self.breaker.allow(Instant::now()) {
            let mut e = self.error(
                ErrorClass::ExternalService,
                format!(
                    "circuit open after repeated failures; not calling {what} for {}s",
                    open_for.as_secs().max(1)
                ),
            );
            e.retry_after = Some(open_for);
            return Err(Attempt {
                error: e,
                not_sent: true,
            });
        }
        if let Some(l) = &self.limiter {
            l.acquire();
        }
        if let Some(l) = call.limiter {
            l.acquire();
        }
        let url = format!("{}{}", self.base_url, call.path);
        let mut req = self.inner.request(call.method.clone(), &url);
        if let Some(token) = call.bearer {
            req = req.bearer_auth(token);
        }
        req = match &call.body {
            Body::None => req,
            Body::Json(v) => req.json(v),
            Body::Form(pairs) => req
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(form_encode(pairs)),
        };
        let response = match req.send() {
            Ok(r) => r,
            Err(e) => {
                let (message, not_sent) = if e.is_timeout() {
                    (format!("{what}: timed out waiting for a response"), false)
                } else if e.is_connect() {
                    (format!("{what}: cannot connect ({})", chain(&e)), true)
                } else {
                    (
                        format!(
                            "{what}: the connection was lost before a response ({}); \
                             the outcome is unknown",
                            chain(&e)
                        ),
                        false,
                    )
                };
                self.record_failure();
                return Err(Attempt {
                    error: self.error(ErrorClass::Transient, message),
                    not_sent,
                });
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, jiff::Timestamp::now()));
        let body = match response.text() {
            Ok(b) => b,
            Err(e) => {
                self.record_failure();
                return Err(Attempt {
                    error: self.error(
                        ErrorClass::Transient,
                        format!("{what}: reading the response failed ({})", chain(&e)),
                    ),
                    not_sent: false,
                });
            }
        };
        if (200..300).contains(&status) || call.accept.contains(&status) {
            self.breaker.success();
            return Ok(Reply { status, body });
        }
        let api = (self.describe)(status, &body);
        let mut class = classify_status(status);
        let mut retry_after = retry_after;
        if api.daily_limit {
            class = ErrorClass::ExternalService;
            let wait = retry_after
                .unwrap_or_default()
                .max(daily_reset_after(jiff::Timestamp::now()));
            retry_after = Some(wait);
            // Every later call in this process fails fast instead of spending more quota.
            self.breaker.trip(Instant::now(), wait);
            tracing::warn!(
                service = self.service,
                wait_secs = wait.as_secs(),
                "daily limit reached; circuit open until the reset"
            );
        }
        if class == ErrorClass::Transient {
            self.record_failure();
        } else if !api.daily_limit {
            self.breaker.success();
        }
        let detail = if api.message.is_empty() {
            String::new()
        } else {
            format!(": {}", api.message)
        };
        let mut error = self.error(class, format!("{what} returned {status}{detail}"));
        error.status = Some(status);
        error.retry_after = retry_after;
        Err(Attempt {
            error,
            not_sent: false,
        })
    }
}

struct Attempt {
    error: ConnectorError,
    /// The request surely never reached the server, so repeating it cannot duplicate anything.
    not_sent: bool,
}

/// The path without its query string (queries can carry addresses; keep messages short).
fn path_only(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![];
    let mut cur = e.source();
    while let Some(c) = cur {
        parts.push(c.to_string());
        cur = c.source();
    }
    if parts.is_empty() {
        "no detail".into()
    } else {
        parts.join(": ")
    }
}

/// Percent-encodes a value for a query string or form body.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form_encode(pairs: &[(&'static str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_five_classes() {
        for s in [429, 500, 502, 503, 504] {
            assert_eq!(classify_status(s), ErrorClass::Transient, "{s}");
        }
        assert_eq!(classify_status(401), ErrorClass::Configuration);
        assert_eq!(classify_status(403), ErrorClass::Configuration);
        assert_eq!(classify_status(409), ErrorClass::Recoverable);
        assert_eq!(classify_status(400), ErrorClass::InvalidInput);
        assert_eq!(classify_status(422), ErrorClass::InvalidInput);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = jiff::Timestamp::from_second(1_445_412_480).unwrap(); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn breaker_opens_after_consecutive_failures_and_probes_once() {
        let b = Breaker::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        b.failure(t0);
        b.failure(t0);
        b.success();
        b.failure(t0);
        b.failure(t0);
        assert_eq!(b.state(t0), BreakerState::Closed);
        b.failure(t0);
        assert_eq!(b.state(t0), BreakerState::Open);
        assert!(b.allow(t0 + Duration::from_secs(5)).is_err());
        let later = t0 + Duration::from_secs(11);
        assert_eq!(b.state(later), BreakerState::HalfOpen);
        assert!(b.allow(later).is_ok(), "one probe goes out");
        assert!(b.allow(later).is_err(), "only one probe at a time");
        b.failure(later);
        assert_eq!(b.state(later), BreakerState::Open);
        let much_later = later + Duration::from_secs(11);
        assert!(b.allow(much_later).is_ok());
        b.success();
        assert_eq!(b.state(much_later), BreakerState::Closed);
        assert!(b.allow(much_later).is_ok());
    }

    #[test]
    fn a_daily_limit_waits_for_the_next_utc_midnight() {
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        assert_eq!(
            daily_reset_after(at("2026-11-29T10:00:00Z")),
            Duration::from_secs(14 * 3600 + 60)
        );
        assert_eq!(
            daily_reset_after(at("2026-11-29T23:30:00Z")),
            DAILY_LIMIT_MIN_WAIT
        );
        let b = Breaker::new(5, Duration::from_secs(1));
        let t0 = Instant::now();
        b.trip(t0, Duration::from_secs(3600));
        assert!(b.allow(t0 + Duration::from_secs(60)).is_err());
        assert_eq!(b.state(t0), BreakerState::Open);
    }

    #[test]
    fn rate_limiter_holds_a_sliding_window() {
        let l = RateLimiter::new(2, Duration::from_secs(10));
        let t0 = Instant::now();
        assert!(l.try_acquire(t0).is_ok());
        assert!(l.try_acquire(t0 + Duration::from_secs(1)).is_ok());
        assert_eq!(
            l.try_acquire(t0 + Duration::from_secs(2)),
            Err(Duration::from_secs(8))
        );
        assert!(l.try_acquire(t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn secrets_are_scrubbed_from_messages() {
        let client = HttpClient::new(
            "test",
            "http://127.0.0.1:1",
            &HttpConfig::default(),
            |_, _| ApiError::default(),
        )
        .unwrap()
        .with_secrets(["pat-secret-123".to_string(), String::new()]);
        let e = client.error(ErrorClass::Configuration, "bad token pat-secret-123".into());
        assert_eq!(e.message, "bad token ***");
    }

    #[test]
    fn form_values_are_percent_encoded() {
        assert_eq!(
            form_encode(&[("a", "x y&z".into()), ("b", "1/2".into())]),
            "a=x%20y%26z&b=1%2F2"
        );
    }
}
