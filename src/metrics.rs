//! Process metrics in Prometheus text format: counters and histograms recorded in memory by the
//! services, plus gauges read from the store at scrape time. Names follow Prometheus conventions
//! (`_total`, `_seconds`, base units); labels are low-cardinality (never an email or an id).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Every metric this process exposes: name, type, help. Rendering refuses unknown names so a typo
/// cannot silently create a new series.
pub const CATALOGUE: &[(&str, &str, &str)] = &[
    (
        "salesagent_webhooks_received_total",
        "counter",
        "Webhook requests by result (accepted, duplicate, ignored_event, unauthorized, invalid, too_large, unsupported_media_type, unavailable, error).",
    ),
    (
        "salesagent_workflows_finished_total",
        "counter",
        "Workflows that reached a final status in this process, by status.",
    ),
    (
        "salesagent_step_duration_seconds",
        "histogram",
        "Duration of pipeline step executions, by step.",
    ),
    (
        "salesagent_connector_calls_total",
        "counter",
        "Calls to external services, by service and outcome (ok, transient, recoverable, configuration, invalid_input, external_service).",
    ),
    (
        "salesagent_retries_total",
        "counter",
        "Job attempts rescheduled after a retryable failure, by queue.",
    ),
    (
        "salesagent_dead_letters_total",
        "counter",
        "Jobs moved to the dead-letter queue in this process, by error class.",
    ),
    (
        "salesagent_draft_decisions_total",
        "counter",
        "Operator decisions on drafts, by decision (approved, rejected, edited).",
    ),
    (
        "salesagent_sends_total",
        "counter",
        "Send attempts, by outcome (sent, send_failed, refused).",
    ),
    (
        "salesagent_import_rows_total",
        "counter",
        "CSV import rows, by result (accepted, rejected).",
    ),
    (
        "salesagent_circuit_breaker_state",
        "gauge",
        "Circuit breaker state per service: 0 closed, 1 half-open, 2 open.",
    ),
    (
        "salesagent_queue_jobs",
        "gauge",
        "Jobs per queue and state, over every tenant; also by tenant with [metrics] tenant_labels = true.",
    ),
    (
        "salesagent_queue_oldest_job_age_seconds",
        "gauge",
        "Age of the oldest available job per queue, over every tenant; also by tenant with [metrics] tenant_labels = true.",
    ),
    (
        "salesagent_worker_processes",
        "gauge",
        "Worker processes (serve or worker) whose heartbeat is recent.",
    ),
    (
        "salesagent_workers_alive",
        "gauge",
        "Worker threads in the processes whose heartbeat is recent.",
    ),
    (
        "salesagent_dead_letters",
        "gauge",
        "Dead letters not yet retried or resolved, over every tenant; also by tenant with [metrics] tenant_labels = true.",
    ),
    (
        "salesagent_workflows",
        "gauge",
        "Workflows in the store, by status (and tenant with [metrics] tenant_labels = true).",
    ),
    (
        "salesagent_drafts",
        "gauge",
        "Drafts in the store, by status (and tenant with [metrics] tenant_labels = true).",
    ),
    (
        "salesagent_reconcile_findings",
        "gauge",
        "Findings left by the latest reconcile run of each tenant, added (by tenant with [metrics] tenant_labels = true).",
    ),
    (
        "salesagent_ready",
        "gauge",
        "1 when the process is ready to accept webhooks.",
    ),
    (
        "salesagent_usage_total",
        "counter",
        "Usage counted with the work itself (the store's usage table, every process), by metric; also by tenant with [metrics] tenant_labels = true.",
    ),
];

/// Upper bounds of the duration histograms, in seconds: up to a minute, because an LLM compose
/// takes 12–30 s and a p95 capped at the last bucket hides exactly the slow calls.
pub const BUCKETS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Registry {
    /// Shared with the [`Counter`] handles, which add to them without the registry's lock.
    counters: BTreeMap<(&'static str, Labels), Arc<AtomicU64>>,
    gauges: BTreeMap<(&'static str, Labels), f64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

fn with<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
    let mut guard = registry().lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

/// Bumped by every change, so a rendered exposition can be reused until the next one.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// [`with`] for changes: counts them in [`GENERATION`].
fn update(f: impl FnOnce(&mut Registry)) {
    with(|r| {
        GENERATION.fetch_add(1, Ordering::Relaxed);
        f(r);
    });
}

/// Changes so far: equal generations render the same in-process series.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

/// One counter series, looked up once: adding to it takes neither the registry's lock nor an
/// allocation for its labels (for the counters a request bumps).
#[derive(Clone, Debug)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
        GENERATION.fetch_add(1, Ordering::Relaxed);
    }
}

/// The handle of a counter series, created at 0 unless it exists (see [`declare_counter`]).
pub fn counter(name: &'static str, pairs: &[(&'static str, &str)]) -> Counter {
    let mut handle = None;
    update(|r| handle = Some(r.counters.entry((name, labels(pairs))).or_default().clone()));
    Counter(handle.expect("set by update"))
}

/// Adds one to a counter.
pub fn inc(name: &'static str, pairs: &[(&'static str, &str)]) {
    inc_by(name, pairs, 1);
}

pub fn inc_by(name: &'static str, pairs: &[(&'static str, &str)], n: u64) {
    update(|r| {
        r.counters
            .entry((name, labels(pairs)))
            .or_default()
            .fetch_add(n, Ordering::Relaxed);
    });
}

/// Creates a counter at 0 unless it exists: a series that appears only at its first increment
/// hides that increment from `rate()` and `increase()`, so services declare their known label
/// values at start.
pub fn declare_counter(name: &'static str, pairs: &[(&'static str, &str)]) {
    update(|r| {
        r.counters.entry((name, labels(pairs))).or_default();
    });
}

/// Creates an empty histogram unless it exists (see [`declare_counter`]).
pub fn declare_histogram(name: &'static str, pairs: &[(&'static str, &str)]) {
    update(|r| {
        r.histograms.entry((name, labels(pairs))).or_default();
    });
}

/// Sets a gauge kept in process (e.g. a circuit breaker's state).
pub fn set(name: &'static str, pairs: &[(&'static str, &str)], value: f64) {
    update(|r| {
        r.gauges.insert((name, labels(pairs)), value);
    });
}

/// Records one observation in a histogram, in seconds.
pub fn observe(name: &'static str, pairs: &[(&'static str, &str)], seconds: f64) {
    update(|r| {
        let h = r.histograms.entry((name, labels(pairs))).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.buckets[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    });
}

/// The in-process values of a gauge, e.g. every service's breaker state, for readiness checks.
pub fn gauge_values(name: &'static str) -> Vec<(Vec<(&'static str, String)>, f64)> {
    with(|r| {
        r.gauges
            .iter()
            .filter(|((n, _), _)| *n == name)
            .map(|((_, l), v)| (l.clone(), *v))
            .collect()
    })
}

/// A value read at scrape time (from the store), rendered with the in-process series.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub name: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn label_text(labels: &[(&'static str, String)], extra: Option<(&str, String)>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{v}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The whole exposition: in-process series plus `samples`, grouped by metric with HELP and TYPE.
pub fn render(samples: &[Sample]) -> String {
    let mut out = String::new();
    with(|r| {
        for (name, kind, help) in CATALOGUE {
            let mut lines = Vec::new();
            for ((n, l), v) in &r.counters {
                if n == name {
                    let v = v.load(Ordering::Relaxed);
                    lines.push(format!("{name}{} {v}", label_text(l, None)));
                }
            }
            for ((n, l), v) in &r.gauges {
                if n == name {
                    lines.push(format!("{name}{} {}", label_text(l, None), number(*v)));
                }
            }
            for s in samples.iter().filter(|s| s.name == *name) {
                lines.push(format!(
                    "{name}{} {}",
                    label_text(&s.labels, None),
                    number(s.value)
                ));
            }
            for ((n, l), h) in &r.histograms {
                if n == name {
                    for (i, bound) in BUCKETS.iter().enumerate() {
                        let le = Some(("le", number(*bound)));
                        lines.push(format!(
                            "{name}_bucket{} {}",
                            label_text(l, le),
                            h.buckets[i]
                        ));
                    }
                    let inf = Some(("le", "+Inf".to_string()));
                    lines.push(format!("{name}_bucket{} {}", label_text(l, inf), h.count));
                    lines.push(format!("{name}_sum{} {}", label_text(l, None), h.sum));
                    lines.push(format!("{name}_count{} {}", label_text(l, None), h.count));
                }
            }
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_samples() {
        inc(
            "salesagent_webhooks_received_total",
            &[("result", "accepted")],
        );
        inc(
            "salesagent_webhooks_received_total",
            &[("result", "accepted")],
        );
        observe(
            "salesagent_step_duration_seconds",
            &[("step", "draft")],
            0.003,
        );
        let text = render(&[Sample {
            name: "salesagent_queue_jobs",
            labels: vec![("queue", "normal".into()), ("state", "available".into())],
            value: 7.0,
        }]);
        assert!(text.contains("# TYPE salesagent_webhooks_received_total counter"));
        assert!(
            text.contains("salesagent_webhooks_received_total{result=\"accepted\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "salesagent_step_duration_seconds_bucket{step=\"draft\",le=\"0.0025\"} 0"
            )
        );
        assert!(
            text.contains("salesagent_step_duration_seconds_bucket{step=\"draft\",le=\"0.005\"} 1")
        );
        assert!(
            text.contains("salesagent_step_duration_seconds_bucket{step=\"draft\",le=\"+Inf\"} 1")
        );
        assert!(text.contains("salesagent_queue_jobs{queue=\"normal\",state=\"available\"} 7"));
        for (name, _, _) in CATALOGUE {
            assert!(name.starts_with("salesagent_"));
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
