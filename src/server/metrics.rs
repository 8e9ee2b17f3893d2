//! `GET /metrics`: the process's counters and histograms plus gauges sampled from the store (queue
//! depth and age, workers, dead letters, workflows and drafts by status, reconcile findings).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use super::error::ApiError;
use crate::domain::time::now_ms;
use crate::metrics::{Sample, render};

fn sample(name: &'static str, labels: &[(&'static str, &str)], value: f64) -> Sample {
    Sample {
        name,
        labels: labels.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        value,
    }
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    let probe = state.clone();
    let samples = tokio::task::spawn_blocking(move || -> crate::error::Result<Vec<Sample>> {
        let store = probe.probe.lock().unwrap_or_else(|e| e.into_inner());
        let now = now_ms();
        let queues = store.queue_stats(now, now - probe.heartbeat_window_ms)?;
        let gauges = store.gauge_snapshot()?;
        let mut out = Vec::new();
        for c in &queues.counts {
            out.push(sample(
                "salesagent_queue_jobs",
                &[("queue", &c.queue), ("state", &c.state)],
                c.count as f64,
            ));
        }
        for (queue, age_ms) in &queues.oldest_available_ms {
            out.push(sample(
                "salesagent_queue_oldest_job_age_seconds",
                &[("queue", queue)],
                *age_ms as f64 / 1000.0,
            ));
        }
        out.push(sample(
            "salesagent_workers_alive",
            &[],
            queues.workers_alive as f64,
        ));
        out.push(sample(
            "salesagent_dead_letters",
            &[],
            queues.dead_letters as f64,
        ));
        for (status, n) in &gauges.workflows_by_status {
            out.push(sample(
                "salesagent_workflows",
                &[("status", status)],
                *n as f64,
            ));
        }
        for (status, n) in &gauges.drafts_by_status {
            out.push(sample(
                "salesagent_drafts",
                &[("status", status)],
                *n as f64,
            ));
        }
        if let Some(n) = gauges.reconcile_findings {
            out.push(sample("salesagent_reconcile_findings", &[], n as f64));
        }
        let ready = probe.ready.load(Ordering::SeqCst) && !probe.intake.is_closed();
        out.push(sample(
            "salesagent_ready",
            &[],
            if ready { 1.0 } else { 0.0 },
        ));
        Ok(out)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("metrics: {e}")))?
    .map_err(|e| ApiError::Internal(format!("metrics: {e}")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&samples),
    ))
}
