//! `salesagent serve`: the webhook intake and the worker pool in one process, until SIGTERM/SIGINT.

use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;

use super::{Context, count};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::server::{ServeOptions, WEBHOOK_PATH, check_signature_policy, serve_with};
use crate::worker::PoolOptions;
use crate::worker::shutdown::Signals;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: webhook.listen, 127.0.0.1:8080]; port 0 picks a free port
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Worker threads in this process [default: worker.workers]; 0 runs intake only
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Accept unsigned webhooks when no secret is set. Anyone who can reach the port can then
    /// inject leads: for a local trial only
    #[arg(long)]
    pub insecure_no_signature: bool,
}

pub fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.deployment_app("serve")?;
    let mut config = app.config;
    drop(app.store);
    if let Some(listen) = args.listen {
        config.webhook.listen = listen;
    }
    // Refuses a missing or empty secret, and unsigned intake outside development.
    check_signature_policy(&config, args.insecure_no_signature)?;
    // The policy passed without an app secret or --insecure-no-signature: every tenant has its
    // own secret and the shared URL stays closed.
    let shared_closed =
        config.webhook.secret.as_ref().is_none_or(|s| s.is_empty()) && !args.insecure_no_signature;
    if args.insecure_no_signature && config.webhook.secret.is_none() {
        ctx.printer.warn(
            "INSECURE: --insecure-no-signature is set and no webhook secret is configured; \
             every request is accepted WITHOUT signature verification. Never run this way in production.",
        );
    }
    let mut pool = PoolOptions::from_config(&config);
    if let Some(n) = args.workers {
        pool.workers = n;
    }
    let options = ServeOptions {
        insecure_no_signature: args.insecure_no_signature,
        pool,
    };
    let workers = options.pool.workers;
    let listen = config.webhook.listen.clone();
    let config = Arc::new(config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let printer = ctx.printer.clone();
    let result = runtime.block_on(async move {
        let signals = Signals::install()?;
        let listener = tokio::net::TcpListener::bind(&listen).await.map_err(|e| {
            Error::Configuration(format!(
                "cannot listen on {listen}: {e}\nhint: pass --listen HOST:PORT (port 0 picks a free one) \
                 or set webhook.listen"
            ))
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("cannot read the listening address", e))?;
        printer.status(&format!("listening on http://{addr}"));
        let webhook = if shared_closed {
            format!("http://{addr}{WEBHOOK_PATH}/<tenant> (the shared URL is closed)")
        } else {
            format!("http://{addr}{WEBHOOK_PATH}")
        };
        printer.status(&format!(
            "webhook: POST {webhook}  workers: {workers}  (stop with Ctrl-C or SIGTERM)"
        ));
        serve_with(listener, config, options, signals).await
    });
    runtime.shutdown_background();
    let summary = result?;
    if summary.forced {
        ctx.printer.warn(
            "second signal: stopped at once; running jobs will be retried when their leases expire",
        );
        return Ok(ExitStatus::Failure);
    }
    ctx.printer.status(&format!(
        "stopped: {} accepted, {}, {} quarantined, {} completed, {} released",
        summary.accepted,
        count(summary.duplicates, "duplicate"),
        summary.quarantined,
        count(summary.jobs_completed, "job"),
        count(summary.released as u64, "lease")
    ));
    Ok(ExitStatus::Success)
}
