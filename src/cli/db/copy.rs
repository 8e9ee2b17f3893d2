//! `salesagent db copy --to postgres://…`: moves the SQLite database `--db` names into an empty
//! PostgreSQL database (every table, in batches, dependency order), then compares row counts
//! table by table. Refuses a target with other rows; resumes an interrupted copy of the same
//! source, or (`--restart`) empties the target's tables and starts again.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::super::prompt::confirm;
use super::super::{Context, count};
use crate::config::database::{postgres_url, redacted};
use crate::domain::time::now_ms;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::store::{COPIED_TABLES, CopyProgress, CopyTarget, Store, TableRows};

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The PostgreSQL database to copy into: postgres://USER@HOST[:PORT]/DBNAME (its tables
    /// must be empty, or hold an interrupted copy of this same source)
    #[arg(long, value_name = "URL")]
    pub to: PathBuf,
    /// Empty the target's tables first and copy from the start (only when they hold an
    /// earlier copy of this same source)
    #[arg(long)]
    pub restart: bool,
    /// Rows per transaction
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
    /// Do not ask before --restart empties the target's tables
    #[arg(long)]
    pub yes: bool,
    /// Copy even while serve or worker processes are alive on the source (what they write
    /// meanwhile is not copied)
    #[arg(long)]
    pub force: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    source: &'a str,
    target: String,
    /// The copy went on from where an interrupted one stopped.
    resumed: bool,
    /// Rows copied by this run.
    copied: u64,
    /// Every table has as many rows in the target as in the source.
    equal: bool,
    tables: &'a [TableRows],
}

pub fn run(ctx: &Context, args: CopyArgs) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    let config = ctx.config()?;
    if config.db_url().is_some() {
        return Err(Error::InvalidInput(format!(
            "db copy reads a SQLite database; --db names PostgreSQL ({})\n\
             hint: pass --db with the SQLite file to copy from",
            config.db_shown()
        ))
        .into());
    }
    let Some(url) = postgres_url(&args.to) else {
        return Err(Error::InvalidInput(format!(
            "--to {} is not a PostgreSQL URL\nhint: pass --to postgres://USER@HOST[:PORT]/DBNAME",
            args.to.display()
        ))
        .into());
    };
    let shown = redacted(url);
    let source = Store::open_existing(&config.db, &config.tenant)?;
    let window = (config.worker.lease_secs.max(3) * 1000) as i64;
    let live = source.live_processes(now_ms() - window)?;
    if live > 0 && !args.force {
        return Err(Error::Refused(format!(
            "{} alive on {}: what they write during the copy would be missing from it\n\
             hint: stop serve and every worker first (or pass --force)",
            count(live, "serve/worker process"),
            config.db_shown()
        ))
        .into());
    }
    let source_name = std::fs::canonicalize(&config.db)
        .unwrap_or_else(|_| config.db.clone())
        .display()
        .to_string();
    let target = Store::open_postgres(url, &config.tenant, None)?;
    let start = match target.copy_target(&source_name)? {
        CopyTarget::Occupied { source, table } => {
            let whose = match source {
                Some(other) => format!("a copy of {other}"),
                None => "data that is no copy of this database".to_string(),
            };
            return Err(Error::Refused(format!(
                "{shown} already has rows ({table}, …): it holds {whose}\n\
                 hint: copy into an empty database (createdb a new one); nothing was written"
            ))
            .into());
        }
        CopyTarget::Completed(_) if !args.restart => {
            p.status(&format!(
                "{shown} already holds a finished copy of {source_name}; comparing counts \
                 (pass --restart to copy again)"
            ));
            return finish(ctx, &source, &target, &source_name, &shown, false, 0, false);
        }
        CopyTarget::Empty => Start::Fresh,
        CopyTarget::Interrupted(progress) if !args.restart => Start::Resume(progress),
        CopyTarget::Interrupted(_) | CopyTarget::Completed(_) => {
            let question = format!("Empty every table of {shown} and copy {source_name} again");
            if !confirm(ctx, args.yes, &question)? {
                p.status("copy cancelled");
                return Ok(ExitStatus::Refused);
            }
            Start::Restart
        }
    };
    target.copy_begin(&source_name, matches!(start, Start::Restart))?;
    let (first, mut after) = match &start {
        Start::Resume(progress) => resume_point(progress),
        _ => (0, None),
    };
    if let Start::Resume(progress) = &start {
        p.status(&format!(
            "resuming the interrupted copy at {}",
            progress.table.as_deref().unwrap_or(COPIED_TABLES[0])
        ));
    }
    let mut copied = 0u64;
    for &table in &COPIED_TABLES[first..] {
        let mut rows = 0u64;
        loop {
            let (n, last) =
                target.copy_batch(&source, table, after.as_deref(), args.batch as usize)?;
            rows += n as u64;
            if last.is_none() {
                break;
            }
            after = last;
        }
        after = None;
        copied += rows;
        if rows > 0 {
            p.status(&format!("copied {table}: {}", count(rows, "row")));
        }
    }
    target.copy_finish(&source)?;
    finish(
        ctx,
        &source,
        &target,
        &source_name,
        &shown,
        matches!(start, Start::Resume(_)),
        copied,
        true,
    )
}

enum Start {
    Fresh,
    Resume(CopyProgress),
    Restart,
}

/// The table to go on with and the key to go on after.
fn resume_point(progress: &CopyProgress) -> (usize, Option<String>) {
    match progress
        .table
        .as_deref()
        .and_then(|t| COPIED_TABLES.iter().position(|c| *c == t))
    {
        Some(at) => (at, progress.after.clone()),
        None => (0, None),
    }
}

/// Compares the counts table by table and prints them; a difference fails (exit 1).
#[allow(clippy::too_many_arguments)]
fn finish(
    ctx: &Context,
    source: &Store,
    target: &Store,
    source_name: &str,
    shown: &str,
    resumed: bool,
    copied: u64,
    ran: bool,
) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    let tables = target.copy_counts(source)?;
    let equal = tables.iter().all(|t| t.source == t.target);
    if p.json() {
        p.print_json(&Report {
            source: source_name,
            target: shown.to_string(),
            resumed,
            copied,
            equal,
            tables: &tables,
        })?;
    } else {
        let mut table = p.table(&["TABLE", "SOURCE", "TARGET", ""]);
        for t in &tables {
            table.add_row(vec![
                t.table.to_string(),
                t.source.to_string(),
                t.target.to_string(),
                if t.source == t.target { "" } else { "DIFFERS" }.to_string(),
            ]);
        }
        p.print_table(&table)?;
        if ran {
            p.status(&format!(
                "copied {} from {source_name} to {shown}",
                count(copied, "row")
            ));
        }
    }
    if equal {
        if ran {
            p.status(
                "every table has the same number of rows; point --db (SALESAGENT_DB) at the \
                 PostgreSQL URL and start serve and the workers",
            );
        }
        Ok(ExitStatus::Success)
    } else {
        p.error(
            "the row counts differ (marked DIFFERS)\nhint: was the source written to during the \
             copy? stop serve and the workers, then run `salesagent db copy --restart`",
        );
        Ok(ExitStatus::Failure)
    }
}
