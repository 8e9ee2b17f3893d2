//! `salesagent reconcile [--fix] [--since D] [--check NAME…]`, `reconcile reports` and
//! `reconcile report ID`: the cron face of `crate::reconcile`. Exit 0 clean, 10 findings remain.

use clap::{Args, Subcommand};

use super::{Context, MORE_FLAGS, count, list_limit, say_if_cut, since_arg};
use crate::domain::time::{parse_duration_ms, short};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::reconcile::{self, Check, Options, Report};

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Checks: orphan-drafts, missing-drafts, missing-tasks, duplicate-drafts, \
        stuck-workflows, dead-letters.\n\
        Exit status: 0 clean, 10 findings remain after the run, 4 another run holds the lock.\n\
        Cron: */15 * * * * salesagent reconcile --fix --quiet --since 7d"
)]
pub struct ReconcileArgs {
    #[command(subcommand)]
    pub command: Option<ReconcileCommand>,
    /// Apply safe repairs: re-create missing tasks, requeue stuck workflows, mark orphan drafts
    #[arg(long)]
    pub fix: bool,
    /// Only drafts and workflows created since: a duration (24h, 7d) or a date (2026-11-01)
    #[arg(long, value_name = "DURATION|DATE")]
    pub since: Option<String>,
    /// Run only these checks (repeatable; default: all)
    #[arg(long = "check", value_name = "NAME", num_args = 1..)]
    pub checks: Vec<String>,
    /// A running workflow without progress for this long is stuck
    #[arg(long, value_name = "DURATION", default_value = "15m")]
    pub stuck_after: String,
}

#[derive(Debug, Subcommand)]
pub enum ReconcileCommand {
    /// List stored reports, newest first
    Reports(ReportsArgs),
    /// Show one stored report with its findings and fixes
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ReportsArgs {
    #[arg(long, default_value_t = 20, value_parser = crate::cli::positive_limit)]
    pub limit: usize,
    /// Every match, however many
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A report id (or an unambiguous prefix)
    pub id: String,
}

pub fn run(ctx: &Context, args: ReconcileArgs) -> anyhow::Result<ExitStatus> {
    match args.command {
        Some(ReconcileCommand::Reports(a)) => reports(ctx, a),
        Some(ReconcileCommand::Report(a)) => report(ctx, a),
        None => reconcile(ctx, args),
    }
}

fn reconcile(ctx: &Context, args: ReconcileArgs) -> anyhow::Result<ExitStatus> {
    let checks = if args.checks.is_empty() {
        Check::ALL.to_vec()
    } else {
        args.checks
            .iter()
            .flat_map(|c| c.split(','))
            .map(|c| Check::parse(c.trim()))
            .collect::<Result<Vec<_>, _>>()?
    };
    let stuck_after_ms = parse_duration_ms(args.stuck_after.trim()).ok_or_else(|| {
        Error::InvalidInput(format!(
            "--stuck-after {:?} is not a duration; use e.g. 10m or 1h",
            args.stuck_after
        ))
    })?;
    let options = Options {
        fix: args.fix,
        since: since_arg(args.since.as_deref())?,
        checks,
        stuck_after_ms,
    };
    let app = ctx.app()?;
    let connectors = app.connectors()?;
    let report = reconcile::run(&app.store, &connectors, &app.config, &options)?;
    let status = if report.remaining > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    };
    if ctx.printer.json() {
        ctx.printer.print_json(&report)?;
    } else if report.found > 0 || !ctx.printer.is_quiet() {
        print_report(ctx, &report)?;
    }
    Ok(status)
}

fn print_report(ctx: &Context, r: &Report) -> anyhow::Result<()> {
    let p = &ctx.printer;
    let duration = r
        .duration_ms
        .map(|d| format!(" in {d} ms"))
        .unwrap_or_default();
    if r.found == 0 {
        p.line(&format!(
            "reconcile {}: clean ({}{duration})",
            r.id,
            count(r.checks.len() as u64, "check")
        ))?;
        return Ok(());
    }
    p.line(&format!(
        "reconcile {}: {}, {} fixed, {} remaining{duration}",
        r.id,
        count(r.found as u64, "finding"),
        r.fixed,
        r.remaining
    ))?;
    let mut table = p.table(&["CHECK", "ID", "DETAIL", "FIX"]);
    for f in &r.findings {
        let id = f
            .draft_id
            .as_ref()
            .or(f.workflow_id.as_ref())
            .or(f.task_id.as_ref())
            .cloned()
            .unwrap_or_default();
        table.add_row(vec![
            f.check.clone(),
            id,
            f.detail.clone(),
            f.fix.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    p.print_table(&table)?;
    if r.remaining > 0 && !r.fix_mode {
        p.status("hint: `salesagent reconcile --fix` applies the safe repairs (tasks, stuck workflows, orphan drafts)");
    }
    Ok(())
}

fn reports(ctx: &Context, args: ReportsArgs) -> anyhow::Result<ExitStatus> {
    let limit = list_limit(args.limit, args.all);
    let listed = super::scope::gather(
        ctx,
        limit,
        |app| app.store.list_reports(limit),
        |a, b| (b.started_at, &b.id).cmp(&(a.started_at, &a.id)),
    )?;
    say_if_cut(&ctx.printer, &listed.page, MORE_FLAGS);
    let rows = &listed.page.rows;
    let reports: Vec<Report> = rows.iter().map(|t| Report::from_row(&t.row)).collect();
    if ctx.printer.json() {
        let items: Vec<_> = rows
            .iter()
            .zip(&reports)
            .map(|(t, r)| listed.item(t, r))
            .collect();
        ctx.printer.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    if reports.is_empty() {
        ctx.printer.status("no reconcile reports yet");
        return Ok(ExitStatus::Success);
    }
    let mut table = ctx.printer.table(&listed.headers(&[
        "ID",
        "STARTED",
        "MS",
        "FIX",
        "FOUND",
        "FIXED",
        "REMAINING",
        "CHECKS",
    ]));
    for (r, t) in reports.iter().zip(rows) {
        let row = &t.row;
        let by = reconcile::by_check(&r.findings)
            .into_iter()
            .map(|(k, (n, _))| format!("{k}:{n}"))
            .collect::<Vec<_>>()
            .join(" ");
        table.add_row(listed.cells(
            t,
            vec![
                r.id.clone(),
                short(row.started_at),
                r.duration_ms.map(|d| d.to_string()).unwrap_or_default(),
                if r.fix_mode { "yes" } else { "no" }.into(),
                r.found.to_string(),
                r.fixed.to_string(),
                r.remaining.to_string(),
                by,
            ],
        ));
    }
    ctx.printer.print_table(&table)?;
    Ok(ExitStatus::Success)
}

fn report(ctx: &Context, args: ReportArgs) -> anyhow::Result<ExitStatus> {
    let found = super::scope::find_in_tenants(ctx, "reconcile report", &args.id, |app| {
        app.store.get_report(&args.id)
    })?;
    let row = &found.value;
    let report = Report::from_row(row);
    if ctx.printer.json() {
        ctx.printer.print_json(&found.json(&report))?;
        return Ok(ExitStatus::Success);
    }
    if let Some(line) = found.tenant_line() {
        ctx.printer.line(&line)?;
    }
    ctx.printer.line(&format!(
        "started {}  checks {}  fix {}",
        short(row.started_at),
        report.checks.join(", "),
        if report.fix_mode { "yes" } else { "no" }
    ))?;
    print_report(ctx, &report)?;
    for fix in &report.fixes {
        ctx.printer.line(&format!("fixed: {fix}"))?;
    }
    Ok(ExitStatus::Success)
}
