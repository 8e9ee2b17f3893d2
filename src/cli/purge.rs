//! `salesagent purge`: delete what is older than `[retention]` says, in small batches; for cron.

use std::time::Duration;

use clap::Args;

use super::{Context, thousands};
use crate::domain::time::{now_ms, parse_since};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::privacy::purge::{DEFAULT_BATCH, PurgeOptions, PurgeReport};

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Count what would be purged, per kind, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Rows per transaction (smaller batches hold the write lock for less time)
    #[arg(long, default_value_t = DEFAULT_BATCH as u32, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
    /// Milliseconds to pause between batches, so intake and workers get the lock
    #[arg(long, default_value_t = 2)]
    pub pause_ms: u64,
    /// Purge as if it were this time (a date, RFC 3339, or a duration ago such as 7d): with
    /// --dry-run, what a later run will purge
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    #[arg(long)]
    pub by: Option<String>,
}

/// Purges every tenant in scope (all of them unless `--tenant` names one), each with its own
/// `[retention]`.
pub fn run(ctx: &Context, args: PurgeArgs) -> anyhow::Result<ExitStatus> {
    let as_of = args
        .as_of
        .as_deref()
        .map(|v| parse_since(v, now_ms()).map_err(|e| Error::InvalidInput(format!("--as-of {e}"))))
        .transpose()?;
    let (_, apps) = ctx.apps()?;
    let opts = PurgeOptions {
        dry_run: args.dry_run,
        batch: args.batch as usize,
        pause: Duration::from_millis(args.pause_ms),
        actor: ctx.actor(args.by.as_deref()),
        as_of,
    };
    let mut reports = Vec::new();
    for app in &apps {
        let mail_dir = app.config.mail_dir();
        reports.push(crate::privacy::purge::run(
            &app.store,
            &app.config.retention,
            &mail_dir,
            &opts,
        )?);
    }
    if ctx.printer.json() {
        ctx.printer.print_json(&reports)?;
    } else {
        print(ctx, &reports)?;
    }
    Ok(ExitStatus::Success)
}

fn print(ctx: &Context, reports: &[PurgeReport]) -> anyhow::Result<()> {
    let mut table =
        ctx.printer
            .table(&["TENANT", "KIND", "OLDER THAN", "ROWS", "FILES", "BATCHES"]);
    for r in reports {
        for k in &r.kinds {
            table.add_row(vec![
                r.tenant.clone(),
                k.kind.as_str().to_string(),
                format!("{} days", k.older_than_days),
                thousands(k.rows),
                thousands(k.files),
                thousands(k.batches),
            ]);
        }
    }
    ctx.printer.print_table(&table)?;
    if reports.iter().any(|r| r.dry_run) {
        ctx.printer.status("dry run: nothing was purged");
    }
    Ok(())
}
