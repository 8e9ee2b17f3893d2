//! `salesagent workflows list|show|retry`.

use clap::{Args, Subcommand};

use super::scope::{find_in_tenants, gather};
use super::{Context, MORE_FLAGS, list_limit, say_if_cut, since_arg, state_parser};
use crate::domain::time::{short, short_rfc3339};
use crate::exit::ExitStatus;
use crate::orchestrator::WorkflowReport;
use crate::store::{AuditEntry, DraftStatus, WorkflowFilter, WorkflowStatus};
use crate::views::WorkflowItem;

#[derive(Debug, Subcommand)]
pub enum WorkflowsCommand {
    /// List workflows, newest first
    List(ListArgs),
    /// Show one workflow with all 13 steps
    Show(ShowArgs),
    /// Resume failed workflows at their first unfinished step
    Retry(RetryArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this status: pending, running, completed, duplicate, suppressed, failed
    #[arg(long, value_parser = state_parser(WorkflowStatus::NAMES, WorkflowStatus::parse))]
    pub status: Option<WorkflowStatus>,
    /// Only workflows for this email address
    #[arg(long)]
    pub email: Option<String>,
    /// Only workflows created since: a duration (24h, 7d) or a date (2026-11-01)
    #[arg(long, value_name = "DURATION|DATE")]
    pub since: Option<String>,
    /// At most this many
    #[arg(long, default_value_t = 50, value_parser = crate::cli::positive_limit)]
    pub limit: usize,
    /// Every match, however many
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A workflow id (or an unambiguous prefix of it)
    pub id: String,
}

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// Workflow ids (or unambiguous prefixes)
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Who is retrying (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
    /// Redo a failed workflow from this step (validate, suppression, …, task, finalize), rerunning
    /// the steps after it that had completed; side-effect steps look their object up first, so
    /// nothing is created twice. Completed workflows are not retried: to write a pending draft
    /// again, use `salesagent drafts recompose ID`
    #[arg(long, value_name = "STEP")]
    pub from_step: Option<String>,
}

pub fn run(ctx: &Context, cmd: WorkflowsCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        WorkflowsCommand::List(args) => list(ctx, args),
        WorkflowsCommand::Show(args) => show(ctx, args),
        WorkflowsCommand::Retry(args) => retry(ctx, args),
    }
}

fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitStatus> {
    let filter = WorkflowFilter {
        status: args.status,
        email: args.email,
        since: since_arg(args.since.as_deref())?,
        limit: list_limit(args.limit, args.all),
    };
    let listed = gather(
        ctx,
        filter.limit,
        |app| app.store.list_workflows_page(&filter),
        |a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)),
    )?;
    say_if_cut(&ctx.printer, &listed.page, MORE_FLAGS);
    let rows = &listed.page.rows;
    if ctx.printer.json() {
        let items: Vec<_> = rows
            .iter()
            .map(|t| listed.item(t, WorkflowItem::from(&t.row)))
            .collect();
        ctx.printer.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        ctx.printer.status("no workflows match");
        return Ok(ExitStatus::Success);
    }
    let mut table = ctx
        .printer
        .table(&listed.headers(&["ID", "STATUS", "EMAIL", "STEP", "SCORE", "CREATED"]));
    for t in rows {
        let w = &t.row;
        table.add_row(listed.cells(
            t,
            vec![
                w.id.clone(),
                w.status.to_string(),
                w.email.clone().unwrap_or_default(),
                w.current_step.clone().unwrap_or_default(),
                w.score.map(|s| s.to_string()).unwrap_or_default(),
                short(w.created_at),
            ],
        ));
    }
    ctx.printer.print_table(&table)?;
    Ok(ExitStatus::Success)
}

fn show(ctx: &Context, args: ShowArgs) -> anyhow::Result<ExitStatus> {
    let found = find_in_tenants(ctx, "workflow", &args.id, |app| {
        app.store.resolve_workflow_id(&args.id)
    })?;
    let report = WorkflowReport::load(&found.app.store, &found.value)?;
    let p = &ctx.printer;
    if p.json() {
        p.print_json(&found.json(&report))?;
        return Ok(ExitStatus::Success);
    }
    if let Some(line) = found.tenant_line() {
        p.line(&line)?;
    }
    print_report(ctx, &report)?;
    Ok(ExitStatus::Success)
}

pub(super) fn print_report(ctx: &Context, report: &WorkflowReport) -> std::io::Result<()> {
    let p = &ctx.printer;
    if p.json() {
        return p.print_json(report);
    }
    let id = report.workflow_id.as_deref().unwrap_or("-");
    p.line(&format!("workflow    {id}"))?;
    p.line(&format!("status      {}", report.status))?;
    p.line(&format!(
        "email       {}",
        report.email.as_deref().unwrap_or("-")
    ))?;
    p.line(&format!("submission  {}", report.submission_id))?;
    p.line(&format!(
        "mode        {}   attempts {}   score {}",
        report.mode.as_deref().unwrap_or("-"),
        report.attempts,
        report
            .score
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into())
    ))?;
    p.line(&format!(
        "created     {}",
        report
            .created_at
            .as_deref()
            .map_or("-".into(), short_rfc3339)
    ))?;
    if let Some(err) = &report.error {
        p.line(&format!(
            "error       {} ({})",
            err.message,
            err.class.as_deref().unwrap_or("-")
        ))?;
    }
    if let Some(d) = &report.draft {
        p.line(&format!(
            "draft       {}  {}  {:?}",
            d.id, d.status, d.subject
        ))?;
        p.line(&format!("composer    {}", d.composer.summary()))?;
    }
    if let Some(t) = &report.task {
        p.line(&format!(
            "task        {}  due {}",
            t.id,
            short_rfc3339(&t.due_at)
        ))?;
    }
    p.line("")?;
    let mut table = p.table(&[
        "#",
        "STEP",
        "STATUS",
        "ATTEMPTS",
        "MS",
        "REMOTE ID",
        "ERROR",
    ]);
    for (i, s) in report.steps.iter().enumerate() {
        table.add_row(vec![
            (i + 1).to_string(),
            s.name.clone(),
            s.status.clone(),
            s.attempts.to_string(),
            s.duration_ms.map(|d| d.to_string()).unwrap_or_default(),
            s.remote_id.clone().unwrap_or_default(),
            s.error.clone().unwrap_or_default(),
        ]);
    }
    p.print_table(&table)
}

fn retry(ctx: &Context, args: RetryArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let actor = ctx.actor(args.by.as_deref());
    let from_step = match args.from_step.as_deref() {
        Some(name) => Some(crate::orchestrator::Step::from_name(name).ok_or_else(|| {
            let names: Vec<_> = crate::orchestrator::STEPS
                .iter()
                .map(|s| s.name())
                .collect();
            crate::error::Error::InvalidInput(format!(
                "--from-step {name:?} is not a step; use one of: {}",
                names.join(", ")
            ))
        })?),
        None => None,
    };
    let ids = args
        .ids
        .iter()
        .map(|id| app.store.resolve_workflow_id(id))
        .collect::<Result<Vec<_>, _>>()?;
    for id in &ids {
        let workflow = app.store.get_workflow(id)?;
        if workflow.status != WorkflowStatus::Failed {
            let hint = if workflow.status == WorkflowStatus::Completed {
                match app.store.draft_for_workflow(id)? {
                    Some(d) if d.status == DraftStatus::PendingReview => format!(
                        "\nhint: to write its pending draft again with the current templates and prompts, run `salesagent drafts recompose {}`",
                        d.id
                    ),
                    Some(d) => format!(
                        "\nhint: its draft {} is {}: decided drafts are not recomposed",
                        d.id, d.status
                    ),
                    None => String::new(),
                }
            } else {
                String::new()
            };
            return Err(crate::error::Error::Refused(format!(
                "workflow {id} is {}, not failed: there is nothing to retry{hint}",
                workflow.status
            ))
            .into());
        }
    }
    let connectors = app.connectors()?;
    let pipeline = app.pipeline(&connectors);
    let mut still_failed = false;
    for id in &ids {
        let now = crate::domain::time::now_ms();
        if let Some(step) = from_step {
            app.store
                .supersede_steps(id, step.seq(), step.name(), &actor, now)?;
        } else {
            let mut entry = AuditEntry::new(&actor, "workflow.retry", now);
            entry.subject = Some(id.clone());
            app.store.append_audit(&entry)?;
        }
        let outcome = pipeline.run(id)?;
        still_failed |= outcome.status == crate::store::WorkflowStatus::Failed;
        let report = WorkflowReport::load(&app.store, id)?;
        if ctx.printer.json() {
            ctx.printer.print_json(&report)?;
        } else {
            let tail = match &report.error {
                Some(e) => format!(
                    " at {}: {}",
                    report.current_step.as_deref().unwrap_or("?"),
                    e.message
                ),
                None => String::new(),
            };
            ctx.printer
                .line(&format!("workflow {id}  {}{tail}", report.status))?;
        }
    }
    Ok(if still_failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
