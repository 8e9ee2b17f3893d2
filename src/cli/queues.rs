//! `salesagent queues`: jobs per queue and state, the oldest waiting job, dead letters, live workers.

use clap::Args;
use serde_json::json;

use super::Context;
use crate::domain::time::now_ms;
use crate::exit::ExitStatus;

#[derive(Debug, Args)]
pub struct QueuesArgs {}

pub fn run(ctx: &Context, _args: QueuesArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let now = now_ms();
    let lease_ms = (app.config.worker.lease_secs.max(1) * 1000) as i64;
    let stats = app.store.queue_stats(now, now - lease_ms)?;
    if ctx.printer.json() {
        let mut queues = serde_json::Map::new();
        for c in &stats.counts {
            let entry = queues
                .entry(c.queue.clone())
                .or_insert_with(|| json!({"states": {}, "oldest_available_age_ms": null}));
            entry["states"][&c.state] = json!(c.count);
        }
        for (queue, age) in &stats.oldest_available_ms {
            if let Some(entry) = queues.get_mut(queue) {
                entry["oldest_available_age_ms"] = json!(age);
            }
        }
        ctx.printer.print_json(&json!({
            "queues": queues,
            "dead_letters": stats.dead_letters,
            "workers_alive": stats.workers_alive,
        }))?;
        return Ok(ExitStatus::Success);
    }
    let mut table = ctx.printer.table(&["queue", "state", "jobs"]);
    for c in &stats.counts {
        table.add_row(vec![c.queue.clone(), c.state.clone(), c.count.to_string()]);
    }
    if stats.counts.is_empty() {
        ctx.printer.line("no jobs")?;
    } else {
        ctx.printer.print_table(&table)?;
    }
    for (queue, age) in &stats.oldest_available_ms {
        ctx.printer.line(&format!(
            "oldest waiting job in {queue}: {:.1} s",
            *age as f64 / 1000.0
        ))?;
    }
    ctx.printer
        .line(&format!("dead letters: {}", stats.dead_letters))?;
    ctx.printer
        .line(&format!("workers alive: {}", stats.workers_alive))?;
    Ok(ExitStatus::Success)
}
