//! `salesagent queues`: jobs per queue and state, the oldest waiting job, dead letters, and the
//! worker processes and threads alive; warns when jobs wait and no worker runs.

use clap::Args;
use serde_json::json;

use super::{Context, count};
use crate::domain::time::{human_duration, now_ms};
use crate::exit::ExitStatus;
use crate::store::{JobState, QueueStats};

#[derive(Debug, Args)]
pub struct QueuesArgs {}

/// The job state a worker's lease puts a job in. A worker thread claims a few jobs at a time and
/// runs them one after the other, so these are "claimed", not all running at this moment.
const LEASED: JobState = JobState::Running;

pub fn run(ctx: &Context, _args: QueuesArgs) -> anyhow::Result<ExitStatus> {
    let scope = super::scope::open_scope(ctx)?;
    let now = now_ms();
    let mut reports = Vec::with_capacity(scope.apps.len());
    let mut stats_of = Vec::with_capacity(scope.apps.len());
    for app in &scope.apps {
        let lease_ms = (app.config.worker.lease_secs.max(1) * 1000) as i64;
        let stats = app.store.queue_stats(now, now - lease_ms)?;
        reports.push((app.store.tenant().clone(), json_of(&stats)));
        stats_of.push(stats);
    }
    super::scope::print_per_tenant(ctx, scope.several, scope.multi_tenant, &reports, |n, _| {
        print_human(ctx, &stats_of[n])
    })?;
    let waiting: i64 = stats_of
        .iter()
        .map(|s| s.oldest_available_ms.len() as i64)
        .sum();
    let worker_threads = stats_of.first().map_or(0, |s| s.worker_threads);
    if worker_threads == 0 && waiting > 0 {
        let jobs: i64 = stats_of
            .iter()
            .flat_map(|s| &s.counts)
            .filter(|c| matches!(c.state, JobState::Available | JobState::Retryable))
            .map(|c| c.count)
            .sum();
        ctx.printer.warn(&format!(
            "{} wait{} and no worker is running: start `salesagent serve` or `salesagent worker`",
            count(jobs, "job"),
            if jobs == 1 { "s" } else { "" }
        ));
    }
    Ok(ExitStatus::Success)
}

/// The `--json` form of one tenant's queues.
fn json_of(stats: &QueueStats) -> serde_json::Value {
    let mut queues = serde_json::Map::new();
    for c in &stats.counts {
        let entry = queues
            .entry(c.queue.clone())
            .or_insert_with(|| json!({"states": {}, "oldest_available_age_ms": null}));
        entry["states"][c.state.as_str()] = json!(c.count);
    }
    for (queue, age) in &stats.oldest_available_ms {
        if let Some(entry) = queues.get_mut(queue) {
            entry["oldest_available_age_ms"] = json!(age);
        }
    }
    json!({
        "queues": queues,
        "dead_letters": stats.dead_letters,
        "worker_processes": stats.workers_alive,
        "worker_threads": stats.worker_threads,
        "workers_alive": stats.workers_alive,
    })
}

fn print_human(ctx: &Context, stats: &QueueStats) -> anyhow::Result<()> {
    let p = &ctx.printer;
    let mut table = p.table(&["QUEUE", "STATE", "JOBS"]);
    for c in &stats.counts {
        let state = if c.state == LEASED {
            "claimed"
        } else {
            c.state.as_str()
        };
        table.add_row(vec![
            c.queue.clone(),
            state.to_string(),
            c.count.to_string(),
        ]);
    }
    if stats.counts.is_empty() {
        p.line("no jobs")?;
    } else {
        p.print_table(&table)?;
    }
    let claimed: i64 = stats
        .counts
        .iter()
        .filter(|c| c.state == LEASED)
        .map(|c| c.count)
        .sum();
    if claimed > stats.worker_threads {
        p.line(&format!(
            "claimed: {} held by workers; each of the {} runs one at a time \
             and claims a few ahead",
            count(claimed, "job"),
            count(stats.worker_threads, "thread")
        ))?;
    }
    for (queue, age) in &stats.oldest_available_ms {
        p.line(&format!(
            "oldest waiting job in {queue}: {}",
            human_duration(*age)
        ))?;
    }
    p.line(&format!("dead letters: {}", stats.dead_letters))?;
    p.line(&format!(
        "workers: {}, {}",
        count(stats.workers_alive, "process"),
        count(stats.worker_threads, "thread"),
    ))?;
    Ok(())
}
