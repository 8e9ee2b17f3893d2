//! `salesagent run FILE|-`: one payload through the whole pipeline, now, with the outcome printed.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::{Context, count};
use crate::app::parse_input;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::orchestrator::WorkflowReport;
use crate::output::Printer;
use crate::store::WorkflowStatus;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A payload in any supported shape (JSON), or - to read standard input
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
}

pub fn run(ctx: &Context, args: RunArgs) -> anyhow::Result<ExitStatus> {
    let (bytes, source) = read_input(&args.file)?;
    // Parse before the database is even opened: bad input must leave the store untouched.
    let payload = parse_input(&bytes, &source)?;
    if payload.submissions.is_empty() {
        ctx.printer.status(&format!(
            "{source}: {} acknowledged; none starts a workflow (only contact.creation and form events do)",
            count(payload.ignored_events as u64, "event")
        ));
        return Ok(ExitStatus::Success);
    }
    let app = ctx.app_creating()?;
    let reports = app
        .run_payload(&payload, &bytes)
        .with_context(|| format!("processing {source}"))?;
    if payload.ignored_events > 0 {
        ctx.printer.status(&format!(
            "{} acknowledged without a workflow",
            count(payload.ignored_events as u64, "other event")
        ));
    }
    let mut failed = false;
    for report in &reports {
        if ctx.printer.json() {
            ctx.printer.print_json(report)?;
        } else {
            print_outcome(&ctx.printer, report, &app.config.mail_dir())?;
        }
        if report.status == WorkflowStatus::Failed {
            failed = true;
            if let Some(id) = &report.workflow_id {
                ctx.printer.status(&format!(
                    "hint: fix the cause, then resume with `salesagent workflows retry {id}`"
                ));
            }
        }
    }
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Reads the file or stdin whole; a missing or unreadable file is bad input (exit 2).
pub fn read_input(path: &std::path::Path) -> Result<(Vec<u8>, String), Error> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::InvalidInput(format!("cannot read standard input: {e}")))?;
        return Ok((bytes, "<stdin>".into()));
    }
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(Error::InvalidInput(format!(
            "{shown} is a directory; give a payload file"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            _ => e.to_string(),
        };
        Error::InvalidInput(format!("cannot read {shown}: {why}"))
    })?;
    Ok((bytes, shown))
}

fn print_outcome(
    printer: &Printer,
    report: &WorkflowReport,
    mail_dir: &std::path::Path,
) -> std::io::Result<()> {
    let Some(workflow_id) = &report.workflow_id else {
        return printer.line(&format!(
            "duplicate: this submission was seen before (workflow {})",
            report.duplicate_of.as_deref().unwrap_or("unknown")
        ));
    };
    let email = report.email.as_deref().unwrap_or("-");
    let score = report
        .score
        .map(|s| format!("  score {s}"))
        .unwrap_or_default();
    printer.line(&format!(
        "workflow {workflow_id}  {}  {email}{score}",
        report.status
    ))?;
    if let Some(d) = &report.draft {
        let path = mail_dir.join("drafts").join(format!("{}.eml", d.id));
        printer.line(&format!(
            "  draft  {}  {}  from {}  {:?}",
            d.id, d.status, d.from, d.subject
        ))?;
        if path.exists() {
            printer.line(&format!("         {}", path.display()))?;
        }
    }
    if let Some(t) = &report.task {
        printer.line(&format!("  task   {}  due {}", t.id, t.due_at))?;
    }
    if let Some(err) = &report.error {
        printer.line(&format!(
            "  failed at {} ({}): {}",
            report.current_step.as_deref().unwrap_or("?"),
            err.class.as_deref().unwrap_or("error"),
            err.message
        ))?;
    }
    if matches!(
        report.status,
        WorkflowStatus::Duplicate | WorkflowStatus::Suppressed
    ) {
        let step = report.steps.iter().find(|s| {
            s.name
                == if report.status == WorkflowStatus::Duplicate {
                    "dedupe"
                } else {
                    "suppression"
                }
        });
        if let Some(s) = step {
            printer.line(&format!("  stopped at {}: no draft, no task", s.name))?;
        }
    }
    Ok(())
}
