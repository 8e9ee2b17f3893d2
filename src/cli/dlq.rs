//! `salesagent dlq list|show|retry|export`: jobs that used up their attempts, their error history,
//! requeueing them (audited) and exporting them for a spreadsheet without formula injection.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::prompt::confirm;
use super::{Context, count, list_limit, say_if_cut, since_arg};
use crate::domain::time::{rfc3339, short};
use crate::error::ErrorClass;
use crate::exit::ExitStatus;
use crate::outfile::{CsvOut, OutputFile, Policy};
use crate::store::{DeadLetterFilter, DeadLetterRow, JobState};
use crate::views::{SubmissionItem, dead_letter_item};

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead letters waiting for an operator, oldest first
    List(ListArgs),
    /// Show one dead letter: every attempt's error and the payload
    Show(ShowArgs),
    /// Requeue dead letters with a fresh set of attempts
    Retry(RetryArgs),
    /// Export dead letters as CSV or JSON lines
    Export(ExportArgs),
}

fn class_names() -> Vec<&'static str> {
    ErrorClass::ALL.iter().map(|c| c.as_str()).collect()
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this error class
    #[arg(long, value_parser = class_names())]
    pub class: Option<String>,
    /// Only dead letters since: a duration (24h, 7d) or a date
    #[arg(long, value_name = "DURATION|DATE")]
    pub since: Option<String>,
    /// Also those already retried or resolved
    #[arg(long)]
    pub all: bool,
    /// At most this many (0: no limit)
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A dead letter id (or an unambiguous prefix)
    pub id: String,
}

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// Dead letter ids (or unambiguous prefixes)
    #[arg(required_unless_present_any = ["class", "all"], conflicts_with_all = ["class", "all"])]
    pub ids: Vec<String>,
    /// Every waiting dead letter of this error class
    #[arg(long, value_parser = class_names(), conflicts_with = "all")]
    pub class: Option<String>,
    /// Every waiting dead letter
    #[arg(long)]
    pub all: bool,
    /// Say what would be retried, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Run each workflow here and now instead of leaving it to a worker
    #[arg(long)]
    pub now: bool,
    /// Who retries (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
    /// Do not ask before retrying several
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Write here instead of stdout (never over an existing file without --force)
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Replace the --output file if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
    /// Only this error class
    #[arg(long, value_parser = class_names())]
    pub class: Option<String>,
    /// Also those already retried or resolved
    #[arg(long)]
    pub all: bool,
}

pub fn run(ctx: &Context, cmd: DlqCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        DlqCommand::List(args) => list(ctx, args),
        DlqCommand::Show(args) => show(ctx, args),
        DlqCommand::Retry(args) => retry(ctx, args),
        DlqCommand::Export(args) => export(ctx, args),
    }
}

fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitStatus> {
    let filter = DeadLetterFilter {
        class: args.class,
        since: since_arg(args.since.as_deref())?,
        include_done: args.all,
        // `--all` already means "retried and resolved too" here, so `--limit 0` lifts the limit.
        limit: list_limit(args.limit, args.limit == 0),
    };
    let listed = super::scope::gather(
        ctx,
        filter.limit,
        |app| app.store.list_dead_letters_page(&filter),
        |a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)),
    )?;
    say_if_cut(
        &ctx.printer,
        &listed.page,
        "--limit N or --limit 0 for every one",
    );
    let rows = &listed.page.rows;
    let p = &ctx.printer;
    if p.json() {
        let items: Vec<_> = rows
            .iter()
            .map(|t| listed.item(t, dead_letter_item(&t.row, false, None)))
            .collect();
        p.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        p.status("no dead letters match");
        return Ok(ExitStatus::Success);
    }
    let mut header = vec!["ID"];
    if args.all {
        header.push("STATUS");
    }
    header.extend(["EMAIL", "CLASS", "WORKFLOW", "ATTEMPTS", "CREATED", "ERROR"]);
    let mut table = p.table(&listed.headers(&header));
    for t in rows {
        let d = &t.row;
        let mut row = vec![d.id.clone()];
        if args.all {
            row.push(d.status().to_string());
        }
        row.extend([
            d.email.clone().unwrap_or_default(),
            d.error_class.clone(),
            d.workflow_id.clone().unwrap_or_default(),
            d.attempts.to_string(),
            short(d.created_at),
            d.error.clone(),
        ]);
        table.add_row(listed.cells(t, row));
    }
    p.print_table(&table)?;
    Ok(ExitStatus::Success)
}

fn show(ctx: &Context, args: ShowArgs) -> anyhow::Result<ExitStatus> {
    let found = super::scope::find_in_tenants(ctx, "dead letter", &args.id, |app| {
        app.store.resolve_dead_letter_id(&args.id)
    })?;
    let app = &found.app;
    let d = app.store.get_dead_letter(&found.value)?;
    let history = app.store.dead_letter_attempts(&d)?;
    let submission = match &d.workflow_id {
        Some(wf) => {
            let workflow = app.store.get_workflow(wf)?;
            Some(app.store.get_submission(&workflow.submission_id)?)
        }
        None => None,
    };
    let p = &ctx.printer;
    if p.json() {
        let mut view = dead_letter_item(&d, true, Some(&history));
        view.submission = submission.map(SubmissionItem::new);
        p.print_json(&found.json(&view))?;
        return Ok(ExitStatus::Success);
    }
    if let Some(line) = found.tenant_line() {
        p.line(&line)?;
    }
    p.line(&format!("dead letter {}  ({})", d.id, d.status()))?;
    p.line(&format!(
        "lead        {}",
        d.email.as_deref().unwrap_or("-")
    ))?;
    p.line(&format!(
        "job         {} ({}, {})",
        d.job_id,
        d.job_kind.as_deref().unwrap_or("-"),
        d.job_state.map_or("-", JobState::as_str)
    ))?;
    p.line(&format!(
        "workflow    {}",
        d.workflow_id.as_deref().unwrap_or("-")
    ))?;
    p.line(&format!("error       {} ({})", d.error, d.error_class))?;
    p.line(&format!(
        "created     {}   attempts {}",
        short(d.created_at),
        d.attempts
    ))?;
    if let Some(t) = d.retried_at {
        p.line(&format!("retried     {}", short(t)))?;
    }
    if let Some(t) = d.resolved_at {
        p.line(&format!("resolved    {}", short(t)))?;
    }
    p.line("")?;
    let mut table = p.table(&["ATTEMPT", "STARTED", "WORKER", "CLASS", "ERROR"]);
    for a in &history {
        table.add_row(vec![
            a.attempt.to_string(),
            short(a.started_at),
            a.worker.clone().unwrap_or_default(),
            a.error_class.clone().unwrap_or_default(),
            a.error.clone().unwrap_or_default(),
        ]);
    }
    p.print_table(&table)?;
    p.line("")?;
    match submission {
        Some(s) => {
            let item = SubmissionItem::new(s);
            p.line(&format!(
                "submission {} ({}, received {}):",
                item.id, item.source, item.received_at
            ))?;
            p.line(&serde_json::to_string_pretty(&item.raw_payload)?)?;
        }
        None => {
            p.line("job payload:")?;
            p.line(&d.payload)?;
        }
    }
    Ok(ExitStatus::Success)
}

fn retry(ctx: &Context, args: RetryArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let actor = ctx.actor(args.by.as_deref());
    let targets: Vec<DeadLetterRow> = if args.ids.is_empty() {
        app.store.list_dead_letters(&DeadLetterFilter {
            class: args.class.clone(),
            since: None,
            include_done: false,
            limit: 100_000,
        })?
    } else {
        args.ids
            .iter()
            .map(|id| {
                app.store
                    .resolve_dead_letter_id(id)
                    .and_then(|id| app.store.get_dead_letter(&id))
            })
            .collect::<Result<_, _>>()?
    };
    if targets.is_empty() {
        if ctx.printer.json() {
            ctx.printer.print_json(&Vec::<serde_json::Value>::new())?;
        }
        ctx.printer.status("no dead letters to retry");
        return Ok(ExitStatus::Success);
    }
    if args.dry_run {
        if ctx.printer.json() {
            let would: Vec<_> = targets
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "id": d.id,
                        "job_id": d.job_id,
                        "workflow_id": d.workflow_id,
                        "error_class": d.error_class,
                    })
                })
                .collect();
            ctx.printer.print_json(&would)?;
        }
        for d in targets.iter().filter(|_| !ctx.printer.json()) {
            ctx.printer.line(&format!(
                "would retry {}  job {}  workflow {}  ({})",
                d.id,
                d.job_id,
                d.workflow_id.as_deref().unwrap_or("-"),
                d.error_class
            ))?;
        }
        ctx.printer.status(&format!(
            "dry run: {}, nothing changed",
            count(targets.len() as u64, "dead letter")
        ));
        return Ok(ExitStatus::Success);
    }
    if targets.len() > 1
        && !confirm(
            ctx,
            args.yes,
            &format!("retry {}", count(targets.len() as u64, "dead letter")),
        )?
    {
        ctx.printer.status("nothing retried");
        return Ok(ExitStatus::Success);
    }
    let connectors = app.connectors()?;
    let op = app.operator(&connectors);
    let pipeline = app.pipeline(&connectors);
    let mut status = ExitStatus::Success;
    let mut items = Vec::new();
    for d in &targets {
        match op.retry_dead_letter(&d.id, &actor, args.now.then_some(&pipeline)) {
            Ok(r) => {
                let line = match (&r.workflow_status, &r.error) {
                    (_, Some(e)) => {
                        status = ExitStatus::Failure;
                        format!("retried {}: failed again: {e}", d.id)
                    }
                    (Some(s), None) => format!("retried {}: workflow {s}", d.id),
                    (None, None) => format!("requeued {} (job {})", d.id, d.job_id),
                };
                if !ctx.printer.json() {
                    ctx.printer.line(&line)?;
                }
                items.push(serde_json::json!({
                    "id": d.id,
                    "job_id": d.job_id,
                    "workflow_id": d.workflow_id,
                    "workflow_status": r.workflow_status,
                    "error": r.error,
                }));
            }
            Err(e) => {
                let e = anyhow::Error::from(e);
                if status == ExitStatus::Success {
                    status = ExitStatus::for_error(&e);
                }
                ctx.printer.error(&format!("{e:#}"));
                items.push(serde_json::json!({ "id": d.id, "error": format!("{e:#}") }));
            }
        }
    }
    if ctx.printer.json() {
        ctx.printer.print_json(&items)?;
    }
    Ok(status)
}

fn export(ctx: &Context, args: ExportArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let rows = app.store.list_dead_letters(&DeadLetterFilter {
        class: args.class,
        since: None,
        include_done: args.all,
        limit: 1_000_000,
    })?;
    let mut file = match &args.output {
        Some(path) => Some(OutputFile::create(
            path,
            Policy {
                force: args.force,
                database: &app.config.db,
            },
        )?),
        None => None,
    };
    let mut stdout = std::io::stdout().lock();
    let out: &mut dyn Write = match &mut file {
        Some(f) => f,
        None => &mut stdout,
    };
    write_export(out, args.format, &rows)?;
    if let Some(file) = file {
        file.commit()?;
    }
    if let Some(path) = &args.output {
        ctx.printer.status(&format!(
            "exported {} to {}",
            count(rows.len() as u64, "dead letter"),
            path.display()
        ));
    }
    Ok(ExitStatus::Success)
}

fn write_export(
    mut out: &mut dyn Write,
    format: Format,
    rows: &[DeadLetterRow],
) -> anyhow::Result<()> {
    match format {
        Format::Jsonl => {
            for d in rows {
                serde_json::to_writer(&mut out, &dead_letter_item(d, true, None))?;
                out.write_all(b"\n")?;
            }
        }
        Format::Csv => {
            let mut w = CsvOut::new(&mut out);
            w.row([
                "id",
                "status",
                "email",
                "job_id",
                "workflow_id",
                "job_kind",
                "job_state",
                "error_class",
                "error",
                "attempts",
                "created_at",
                "retried_at",
                "resolved_at",
                "payload",
            ])?;
            for d in rows {
                let cells = [
                    d.id.clone(),
                    d.status().to_string(),
                    d.email.clone().unwrap_or_default(),
                    d.job_id.clone(),
                    d.workflow_id.clone().unwrap_or_default(),
                    d.job_kind.clone().unwrap_or_default(),
                    d.job_state
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    d.error_class.clone(),
                    d.error.clone(),
                    d.attempts.to_string(),
                    rfc3339(d.created_at),
                    d.retried_at.map(rfc3339).unwrap_or_default(),
                    d.resolved_at.map(rfc3339).unwrap_or_default(),
                    d.payload.clone(),
                ];
                w.row(&cells)?;
            }
            w.into_inner()?;
        }
    }
    out.flush()?;
    Ok(())
}
