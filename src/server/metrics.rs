//! `GET /metrics`: the process's counters and histograms plus gauges sampled from the store (queue
//! depth and age, workers, dead letters, workflows and drafts by status, reconcile findings) and
//! the usage counters the store keeps (per tenant only with `[metrics] tenant_labels`).
//!
//! Store gauges come from a [`Sampler`]: one thread with its own connection that reads the store
//! at most once per [`MAX_AGE`], however many scrapers ask. A scrape never touches the readiness
//! probe's connection, so readiness never waits for one; a scrape whose snapshot is older than
//! [`MAX_AGE`] asks for a new one and waits for it at most [`MAX_WAIT`], then answers with what
//! it has.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use tokio::sync::watch;

use super::AppState;
use crate::domain::time::now_ms;
use crate::error::{Error, ErrorClass, Result};
use crate::metrics::{Sample, declare_counter, declare_histogram, render};
use crate::store::{
    DRAFT_STATUSES, JOB_STATES, QUEUES, Store, TenantGauges, UsageCounts, WORKFLOW_STATUSES,
};

/// How old a store snapshot may be before a scrape asks for a new one.
pub const MAX_AGE: Duration = Duration::from_secs(2);
/// How long a scrape waits for a new snapshot before answering with the previous one.
pub const MAX_WAIT: Duration = Duration::from_secs(1);

/// Store gauges as of `taken`.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub samples: Vec<Sample>,
    pub taken: Instant,
}

/// What the sampler reads besides the store.
#[derive(Clone, Debug)]
pub struct Sampling {
    /// A worker whose heartbeat is older than this is not alive.
    pub heartbeat_window_ms: i64,
    /// `[metrics] tenant_labels`: one usage and store-gauge series per tenant.
    pub tenant_labels: bool,
    /// The declared tenants (`default` without any): each has its gauges, 0 when empty.
    pub tenants: Vec<String>,
}

/// What a rendered exposition depends on: the snapshot, the registry's generation, readiness.
type RenderKey = (Instant, u64, bool);

/// The sampling thread and the latest snapshot it published.
pub struct Sampler {
    latest: watch::Receiver<Arc<Snapshot>>,
    /// The last exposition, reused while nothing it shows has changed (a burst of scrapers
    /// costs one render, not one each).
    rendered: Mutex<Option<(RenderKey, Arc<String>)>>,
    wanted: Arc<(Mutex<bool>, Condvar)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Sampler {
    /// Takes the first snapshot now (so the first scrape has data), then waits for requests.
    pub fn start(store: Store, sampling: Sampling) -> Result<Sampler> {
        let first = Snapshot {
            samples: sample_store(&store, &sampling)?,
            taken: Instant::now(),
        };
        let (tx, latest) = watch::channel(Arc::new(first));
        let wanted = Arc::new((Mutex::new(false), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (wanted, stop) = (wanted.clone(), stop.clone());
            std::thread::Builder::new()
                .name("metrics-sampler".into())
                .spawn(move || sample_loop(&store, &sampling, &tx, &wanted, &stop))
                .map_err(|e| Error::io("cannot start the metrics sampler", e))?
        };
        Ok(Sampler {
            latest,
            rendered: Mutex::new(None),
            wanted,
            stop,
            thread: Some(thread),
        })
    }

    /// The latest snapshot, refreshed first (within [`MAX_WAIT`]) when it is older than [`MAX_AGE`].
    /// Concurrent scrapes share one refresh.
    pub async fn snapshot(&self) -> Arc<Snapshot> {
        let mut rx = self.latest.clone();
        let current = rx.borrow_and_update().clone();
        if current.taken.elapsed() <= MAX_AGE {
            return current;
        }
        self.request();
        match tokio::time::timeout(MAX_WAIT, rx.changed()).await {
            Ok(Ok(())) => rx.borrow().clone(),
            _ => current,
        }
    }

    /// The exposition of `snapshot` plus the in-process series and readiness.
    pub fn render(&self, snapshot: &Snapshot, ready: bool) -> Arc<String> {
        let key = (snapshot.taken, crate::metrics::generation(), ready);
        let mut cache = self.rendered.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((k, text)) = cache.as_ref()
            && *k == key
        {
            return text.clone();
        }
        let mut samples = snapshot.samples.clone();
        samples.push(sample(
            "salesagent_ready",
            &[],
            if ready { 1.0 } else { 0.0 },
        ));
        let text = Arc::new(render(&samples));
        *cache = Some((key, text.clone()));
        text
    }

    fn request(&self) {
        let (flag, cv) = &*self.wanted;
        *flag.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_one();
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wanted.1.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop();
    }
}

fn sample_loop(
    store: &Store,
    sampling: &Sampling,
    tx: &watch::Sender<Arc<Snapshot>>,
    wanted: &(Mutex<bool>, Condvar),
    stop: &AtomicBool,
) {
    let (flag, cv) = wanted;
    while !stop.load(Ordering::SeqCst) {
        {
            let guard = flag.lock().unwrap_or_else(|e| e.into_inner());
            let (mut guard, _) = cv
                .wait_timeout_while(guard, Duration::from_secs(1), |w| {
                    !*w && !stop.load(Ordering::SeqCst)
                })
                .unwrap_or_else(|e| e.into_inner());
            if !*guard {
                continue;
            }
            *guard = false;
        }
        if tx.borrow().taken.elapsed() <= MAX_AGE / 2 {
            // A burst of scrapes right after a refresh: what is there is fresh enough.
            tx.send_modify(|_| {});
            continue;
        }
        match sample_store(store, sampling) {
            Ok(samples) => {
                tx.send_replace(Arc::new(Snapshot {
                    samples,
                    taken: Instant::now(),
                }));
            }
            Err(e) => {
                tracing::warn!(error = %e, "sampling the store for /metrics failed; serving the last snapshot");
                tx.send_modify(|_| {});
            }
        }
    }
}

fn sample(name: &'static str, labels: &[(&'static str, &str)], value: f64) -> Sample {
    Sample {
        name,
        labels: labels.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        value,
    }
}

/// `(value, count)` pairs with every value of `all` present, 0 when the store has none.
fn every<'a>(all: &[&'a str], counted: &[(String, i64)]) -> Vec<(&'a str, i64)> {
    all.iter()
        .map(|v| {
            let n = counted.iter().find(|(k, _)| k == v).map_or(0, |(_, n)| *n);
            (*v, n)
        })
        .collect()
}

/// Store gauges: every queue × state and every status, 0 when empty (so a panel shows 0, not
/// "No data", and an alert on `< 1` has a series to match). Every tenant's jobs count: summed,
/// or one series per tenant with `[metrics] tenant_labels` (the alerts aggregate by queue).
fn sample_store(store: &Store, sampling: &Sampling) -> Result<Vec<Sample>> {
    let now = now_ms();
    let since = now - sampling.heartbeat_window_ms;
    let per_tenant = store.gauges_of_every_tenant(&sampling.tenants, now)?;
    let workers = store.live_workers(since)?;
    let mut out = Vec::new();
    if sampling.tenant_labels {
        for (tenant, gauges) in &per_tenant {
            push_tenant_gauges(&mut out, Some(tenant), gauges);
        }
    } else {
        push_tenant_gauges(&mut out, None, &summed(per_tenant.values()));
    }
    out.push(sample(
        "salesagent_worker_processes",
        &[],
        workers.processes as f64,
    ));
    out.push(sample(
        "salesagent_workers_alive",
        &[],
        workers.threads as f64,
    ));
    out.extend(usage_samples(store, sampling.tenant_labels)?);
    Ok(out)
}

/// Every tenant's gauges as one: counts added, the oldest job's age the largest, the findings of
/// each tenant's latest reconcile run added.
fn summed<'a>(all: impl Iterator<Item = &'a TenantGauges>) -> TenantGauges {
    let mut sum = TenantGauges::default();
    let add = |into: &mut Vec<(String, i64)>, key: &str, n: i64, max: bool| match into
        .iter_mut()
        .find(|(k, _)| k == key)
    {
        Some((_, v)) if max => *v = (*v).max(n),
        Some((_, v)) => *v += n,
        None => into.push((key.to_string(), n)),
    };
    for g in all {
        for c in &g.queue_counts {
            match sum
                .queue_counts
                .iter_mut()
                .find(|s| s.queue == c.queue && s.state == c.state)
            {
                Some(s) => s.count += c.count,
                None => sum.queue_counts.push(c.clone()),
            }
        }
        for (queue, ms) in &g.oldest_available_ms {
            add(&mut sum.oldest_available_ms, queue, *ms, true);
        }
        sum.dead_letters += g.dead_letters;
        let s = &g.snapshot;
        for (status, n) in &s.workflows_by_status {
            add(&mut sum.snapshot.workflows_by_status, status, *n, false);
        }
        for (status, n) in &s.drafts_by_status {
            add(&mut sum.snapshot.drafts_by_status, status, *n, false);
        }
        if let Some(n) = s.reconcile_findings {
            sum.snapshot.reconcile_findings =
                Some(sum.snapshot.reconcile_findings.unwrap_or(0) + n);
        }
    }
    sum
}

/// The queue, dead-letter, workflow, draft and reconcile gauges of `gauges`, labelled with
/// `tenant` first when there is one.
fn push_tenant_gauges(out: &mut Vec<Sample>, tenant: Option<&str>, gauges: &TenantGauges) {
    let labelled = |name: &'static str, rest: &[(&'static str, &str)], value: f64| {
        let mut labels: Vec<(&'static str, &str)> =
            tenant.map(|t| ("tenant", t)).into_iter().collect();
        labels.extend_from_slice(rest);
        sample(name, &labels, value)
    };
    for queue in QUEUES {
        for state in JOB_STATES {
            let n = gauges
                .queue_counts
                .iter()
                .find(|c| c.queue == queue && c.state.as_str() == state)
                .map_or(0, |c| c.count);
            out.push(labelled(
                "salesagent_queue_jobs",
                &[("queue", queue), ("state", state)],
                n as f64,
            ));
        }
        let age_ms = gauges
            .oldest_available_ms
            .iter()
            .find(|(q, _)| q == queue)
            .map_or(0, |(_, ms)| *ms);
        out.push(labelled(
            "salesagent_queue_oldest_job_age_seconds",
            &[("queue", queue)],
            age_ms as f64 / 1000.0,
        ));
    }
    out.push(labelled(
        "salesagent_dead_letters",
        &[],
        gauges.dead_letters as f64,
    ));
    let s = &gauges.snapshot;
    for (status, n) in every(&WORKFLOW_STATUSES, &s.workflows_by_status) {
        out.push(labelled(
            "salesagent_workflows",
            &[("status", status)],
            n as f64,
        ));
    }
    for (status, n) in every(&DRAFT_STATUSES, &s.drafts_by_status) {
        out.push(labelled(
            "salesagent_drafts",
            &[("status", status)],
            n as f64,
        ));
    }
    out.push(labelled(
        "salesagent_reconcile_findings",
        &[],
        s.reconcile_findings.unwrap_or(0) as f64,
    ));
}

/// `salesagent_usage_total{metric}` summed over tenants, or `{tenant, metric}` per tenant when
/// the operator asked for tenant labels; every metric present (0 when nothing was counted).
/// Read from the store, so they count every process's work exactly once, across restarts.
fn usage_samples(store: &Store, tenant_labels: bool) -> Result<Vec<Sample>> {
    const NAME: &str = "salesagent_usage_total";
    let per_tenant = store.usage_totals_of_every_tenant()?;
    if !tenant_labels {
        let mut all = UsageCounts::default();
        for (_, counts) in &per_tenant {
            all.add_all(counts);
        }
        return Ok(all
            .iter()
            .map(|(m, n)| sample(NAME, &[("metric", m.as_str())], n as f64))
            .collect());
    }
    Ok(per_tenant
        .iter()
        .flat_map(|(tenant, counts)| {
            counts.iter().map(move |(m, n)| {
                sample(
                    NAME,
                    &[("tenant", tenant.as_str()), ("metric", m.as_str())],
                    n as f64,
                )
            })
        })
        .collect())
}

/// Services that call out through `connectors::http` (their breaker and call counters).
const SERVICES: [&str; 4] = ["hubspot", "gmail", "gmail_oauth", "llm"];

/// Creates every counter of the catalogue at 0 for its known label values, so the first event
/// of each is visible to `rate()` and `increase()`.
pub fn declare_series() {
    for result in super::webhook::RESULTS {
        declare_counter("salesagent_webhooks_received_total", &[("result", result)]);
    }
    for status in crate::orchestrator::status::FINAL {
        declare_counter("salesagent_workflows_finished_total", &[("status", status)]);
    }
    for step in crate::orchestrator::STEPS {
        declare_histogram("salesagent_step_duration_seconds", &[("step", step.name())]);
    }
    let outcomes = std::iter::once("ok").chain(ErrorClass::ALL.iter().map(|c| c.as_str()));
    for outcome in outcomes {
        for service in SERVICES {
            declare_counter(
                "salesagent_connector_calls_total",
                &[("service", service), ("outcome", outcome)],
            );
        }
    }
    for queue in QUEUES {
        declare_counter("salesagent_retries_total", &[("queue", queue)]);
    }
    for class in ErrorClass::ALL {
        declare_counter(
            "salesagent_dead_letters_total",
            &[("class", class.as_str())],
        );
    }
    for decision in crate::operator::DECISIONS {
        declare_counter(
            "salesagent_draft_decisions_total",
            &[("decision", decision)],
        );
    }
    for outcome in crate::operator::SEND_OUTCOMES {
        declare_counter("salesagent_sends_total", &[("outcome", outcome)]);
    }
    for result in ["accepted", "rejected"] {
        declare_counter("salesagent_import_rows_total", &[("result", result)]);
    }
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let snapshot = state.sampler.snapshot().await;
    let ready = state.ready.load(Ordering::SeqCst) && !state.intake.is_closed();
    let text = state.sampler.render(&snapshot, ready);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text.as_str().to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_store_exports_every_queue_state_and_status_as_zero() {
        let store = Store::open_in_memory().unwrap();
        let sampling = Sampling {
            heartbeat_window_ms: 3000,
            tenant_labels: false,
            tenants: vec!["default".into()],
        };
        let samples = sample_store(&store, &sampling).unwrap();
        let count = |name: &str| samples.iter().filter(|s| s.name == name).count();
        assert_eq!(
            count("salesagent_queue_jobs"),
            QUEUES.len() * JOB_STATES.len()
        );
        assert_eq!(
            count("salesagent_queue_oldest_job_age_seconds"),
            QUEUES.len()
        );
        assert_eq!(count("salesagent_workflows"), WORKFLOW_STATUSES.len());
        assert_eq!(count("salesagent_drafts"), DRAFT_STATUSES.len());
        assert_eq!(
            count("salesagent_usage_total"),
            crate::store::Metric::ALL.len()
        );
        for name in [
            "salesagent_worker_processes",
            "salesagent_workers_alive",
            "salesagent_dead_letters",
            "salesagent_reconcile_findings",
        ] {
            assert_eq!(count(name), 1, "{name}");
        }
        assert!(samples.iter().all(|s| s.value == 0.0));
    }
}
