//! `salesagent stats`: throughput, success rate, latency to draft, approvals, errors.

use clap::Args;
use serde::Serialize;

use super::{Context, since_arg};
use crate::domain::stats::{Latency, latency, rate};
use crate::domain::time::{human_duration, now_ms, rfc3339};
use crate::exit::ExitStatus;
use crate::store::WorkflowStatus;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The window: a duration (24h, 7d) or a date
    #[arg(long, default_value = "24h", value_name = "DURATION|DATE")]
    pub since: String,
}

#[derive(Serialize)]
struct Stats {
    since: String,
    workflows: i64,
    workflows_per_hour: f64,
    by_status: std::collections::BTreeMap<String, i64>,
    success_rate: Option<f64>,
    received_to_draft: Latency,
    approved: i64,
    rejected: i64,
    approval_rate: Option<f64>,
    time_to_approval: Latency,
    sent: i64,
    /// Dead letters created in the window.
    dead_letters: i64,
    /// Of those, the ones still waiting: neither retried nor resolved.
    dead_letters_open: i64,
    error_classes: std::collections::BTreeMap<String, i64>,
    top_failing_steps: Vec<FailingStep>,
}

#[derive(Serialize)]
struct FailingStep {
    step: String,
    failures: i64,
}

pub fn run(ctx: &Context, args: StatsArgs) -> anyhow::Result<ExitStatus> {
    let since = since_arg(Some(&args.since))?.unwrap_or_default();
    let scope = super::scope::open_scope(ctx)?;
    let reports = scope
        .apps
        .iter()
        .map(|app| Ok((app.store.tenant().clone(), stats_of(app, since)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    super::scope::print_per_tenant(ctx, scope.several, scope.multi_tenant, &reports, |_, s| {
        print_human(ctx, s)
    })?;
    Ok(ExitStatus::Success)
}

/// One tenant's figures since `since`.
fn stats_of(app: &crate::app::App, since: i64) -> anyhow::Result<Stats> {
    let raw = app.store.stats(since)?;
    let by_status: std::collections::BTreeMap<String, i64> =
        raw.workflows_by_status.iter().cloned().collect();
    let workflows: i64 = by_status.values().sum();
    let hours = ((now_ms() - since).max(1) as f64) / 3_600_000.0;
    let completed = by_status
        .get(WorkflowStatus::Completed.as_str())
        .copied()
        .unwrap_or(0);
    let failed = by_status
        .get(WorkflowStatus::Failed.as_str())
        .copied()
        .unwrap_or(0);
    let stats = Stats {
        since: rfc3339(since),
        workflows,
        workflows_per_hour: (workflows as f64 / hours * 10.0).round() / 10.0,
        success_rate: rate(completed, completed + failed),
        received_to_draft: latency(&raw.received_to_draft_ms),
        approved: raw.approved,
        rejected: raw.rejected,
        approval_rate: rate(raw.approved, raw.approved + raw.rejected),
        time_to_approval: latency(&raw.draft_to_approval_ms),
        sent: raw.sent,
        dead_letters: raw.dead_letters,
        dead_letters_open: raw.dead_letters_open,
        error_classes: raw.errors_by_class.iter().cloned().collect(),
        top_failing_steps: raw
            .failing_steps
            .iter()
            .map(|(step, n)| FailingStep {
                step: step.clone(),
                failures: *n,
            })
            .collect(),
        by_status,
    };
    Ok(stats)
}

fn print_human(ctx: &Context, stats: &Stats) -> anyhow::Result<()> {
    let p = &ctx.printer;
    let pct = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0));
    let ms = |l: &Latency| {
        let f = |v: Option<i64>| v.map_or("-".to_string(), human_duration);
        format!(
            "p50 {}  p95 {}  p99 {}  (n={})",
            f(l.p50_ms),
            f(l.p95_ms),
            f(l.p99_ms),
            l.count
        )
    };
    p.line(&format!("since               {}", stats.since))?;
    p.line(&format!(
        "workflows           {}  ({:.1}/h)",
        stats.workflows, stats.workflows_per_hour
    ))?;
    let statuses: Vec<String> = stats
        .by_status
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    p.line(&format!("  by status         {}", statuses.join(", ")))?;
    p.line(&format!("success rate        {}", pct(stats.success_rate)))?;
    p.line(&format!(
        "received → draft    {}",
        ms(&stats.received_to_draft)
    ))?;
    p.line(&format!(
        "approvals           {} approved, {} rejected  ({})",
        stats.approved,
        stats.rejected,
        pct(stats.approval_rate)
    ))?;
    p.line(&format!(
        "time to approval    {}",
        ms(&stats.time_to_approval)
    ))?;
    p.line(&format!("sent                {}", stats.sent))?;
    p.line(&format!(
        "dead letters        {} created in the window, {} still open",
        stats.dead_letters, stats.dead_letters_open
    ))?;
    if !stats.error_classes.is_empty() {
        let classes: Vec<String> = stats
            .error_classes
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        p.line(&format!("error classes       {}", classes.join(", ")))?;
    }
    if !stats.top_failing_steps.is_empty() {
        let steps: Vec<String> = stats
            .top_failing_steps
            .iter()
            .map(|s| format!("{} {}", s.step, s.failures))
            .collect();
        p.line(&format!("top failing steps   {}", steps.join(", ")))?;
    }
    Ok(())
}
