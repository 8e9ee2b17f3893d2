//! `salesagent worker`: workers only, against the same database as `serve`, so more processes can
//! share the queue. Runs until SIGTERM/SIGINT (a second one stops at once).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::{Context, count};
use crate::exit::ExitStatus;
use crate::worker::shutdown::{Signals, drain};
use crate::worker::{Pool, PoolOptions, QueueSpec};

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Worker threads [default: worker.workers]
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Queues to serve, comma-separated, each optionally with a concurrency cap:
    /// `priority,normal,batch=1` [default: all four]
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub queues: Vec<String>,
}

pub fn run(ctx: &Context, args: WorkerArgs) -> anyhow::Result<ExitStatus> {
    let queues = args
        .queues
        .iter()
        .filter(|q| !q.trim().is_empty())
        .map(|q| QueueSpec::parse(q))
        .collect::<Result<Vec<_>, _>>()?;
    if args.workers == Some(0) {
        return Err(
            crate::error::Error::InvalidInput("--workers must be at least 1".into()).into(),
        );
    }
    let app = ctx.deployment_app("worker")?;
    let config = Arc::new(app.config);
    drop(app.store);
    let mut options = PoolOptions::from_config(&config);
    if let Some(n) = args.workers {
        options.workers = n;
    }
    if !queues.is_empty() {
        options.queues = queues;
    }
    let grace = Duration::from_secs(config.worker.shutdown_grace_secs);
    let names: Vec<String> = options
        .queues
        .iter()
        .map(|q| match q.limit {
            Some(l) => format!("{}={l}", q.name),
            None => q.name.clone(),
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let printer = ctx.printer.clone();
    let workers = options.workers;
    let result = runtime.block_on(async move {
        let mut signals = Signals::install()?;
        let pool = Pool::spawn(config, options).await?;
        printer.status(&format!(
            "worker {}: {} on queues {} (stop with Ctrl-C or SIGTERM)",
            pool.owner(),
            count(workers as u64, "thread"),
            names.join(",")
        ));
        signals.at_least(1).await;
        printer.status("stopping: finishing running jobs");
        drain(pool, std::time::Instant::now() + grace, signals).await
    });
    runtime.shutdown_background();
    let drained = result?;
    if drained.forced {
        ctx.printer.warn(
            "second signal: stopped at once; running jobs will be retried when their leases expire",
        );
        return Ok(ExitStatus::Failure);
    }
    ctx.printer.status(&format!(
        "stopped: {} completed, {} released",
        count(drained.completed, "job"),
        count(drained.released as u64, "lease")
    ));
    Ok(ExitStatus::Success)
}
