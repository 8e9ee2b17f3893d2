//! `GET /health/live` (the process answers) and `GET /health/ready` (accepting, store writable,
//! intake writer alive, migrations current, workers heartbeating, circuit breakers): JSON, 503 when not ready.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::State;
use serde_json::json;

use super::AppState;
use super::error::{ApiError, Reply};
use crate::domain::time::now_ms;

/// Each service's breaker state as last seen by this process (`closed`, `half_open`, `open`).
fn breakers() -> serde_json::Map<String, serde_json::Value> {
    crate::metrics::gauge_values("salesagent_circuit_breaker_state")
        .into_iter()
        .filter_map(|(labels, value)| {
            let service = labels.into_iter().find(|(k, _)| *k == "service")?.1;
            let state = match value as i64 {
                0 => "closed",
                1 => "half_open",
                _ => "open",
            };
            Some((service, json!(state)))
        })
        .collect()
}

/// How recent an intake commit must be to stand in for the readiness probe's own write.
const RECENT_COMMIT_MS: i64 = 2_000;

pub async fn live() -> Reply {
    Reply::Ok(json!({"status": "live"}))
}

pub async fn ready(State(state): State<Arc<AppState>>) -> Result<Reply, ApiError> {
    let accepting = state.ready.load(Ordering::SeqCst);
    let probe = state.clone();
    // Under intake the writer's own commits prove the store writable; only an idle store gets
    // the probe's write, so readiness never queues behind a busy writer.
    let wrote_recently = state
        .intake_health
        .committed_since(now_ms() - RECENT_COMMIT_MS);
    let (writable, current, workers) = tokio::task::spawn_blocking(move || {
        let store = probe.probe.lock().unwrap_or_else(|e| e.into_inner());
        let writable = wrote_recently || store.probe_writable(now_ms()).is_ok();
        let current = store.schema_is_current().unwrap_or(false);
        let since = now_ms() - probe.heartbeat_window_ms;
        let workers = store.workers_alive(since).unwrap_or(0);
        (writable, current, workers)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("readiness probe: {e}")))?;
    let workers_ok = !state.expects_workers || workers > 0;
    let writer_alive = !state.intake.is_closed();
    let commits_ok = !state.intake_health.is_failing();
    let ready = accepting && writer_alive && commits_ok && writable && current && workers_ok;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": {
            "accepting": accepting,
            "intake_writer": writer_alive,
            "intake_commits": if commits_ok { "ok" } else { "failing" },
            "store_writable": writable,
            "migrations_current": current,
            "workers_alive": workers,
            "workers_required": state.expects_workers,
            // Breakers of the real connectors this process has called; the embedded ones have none.
            "circuit_breakers": breakers(),
        },
        "accepted": state.counters.accepted.load(Ordering::Relaxed),
        "duplicates": state.counters.duplicates.load(Ordering::Relaxed),
        "ignored_events": state.counters.ignored_events.load(Ordering::Relaxed),
        "quarantined": state.counters.quarantined.load(Ordering::Relaxed),
    });
    Ok(if ready {
        Reply::Ok(body)
    } else {
        Reply::NotReady(body)
    })
}
