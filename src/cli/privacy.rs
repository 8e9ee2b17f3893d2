//! `salesagent privacy erase`: forget a person everywhere in one tenant (GDPR Art. 17), and
//! `--retry` the remote erasures that failed.

use clap::{Args, Subcommand};

use super::{Context, count, prompt};
use crate::domain::lead::check_email;
use crate::domain::privacy::normalise_address;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::privacy::{EraseOptions, EraseReport, FileDisposition, RemoteOutcome};

#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Erase every trace of these addresses: rows, mail files, Gmail drafts, the HubSpot contact
    ///
    /// Deletes the person's submissions, workflows (steps, jobs, dead letters, drafts, tasks),
    /// CRM contact, eval items and rejected import rows, and blanks the address wherever else it
    /// appears (another lead's message, quarantined payloads, reports). The address is then
    /// suppressed as a keyed hash, so the person is never contacted again, and the audit log
    /// records `privacy.erase` with a pseudonymous reference, never the address.
    Erase(EraseArgs),
}

#[derive(Debug, Args)]
pub struct EraseArgs {
    /// The addresses to erase (case does not matter)
    #[arg(value_name = "EMAIL", required_unless_present = "retry")]
    pub emails: Vec<String>,
    /// Why (the request's ticket, "asked by email on 2026-11-30"…); recorded in the audit log
    #[arg(long, required_unless_present = "retry")]
    pub reason: Option<String>,
    /// List what would be erased, per table and file, and change nothing
    #[arg(long, conflicts_with = "retry")]
    pub dry_run: bool,
    /// Call the remote services again for erasures that failed before
    #[arg(long, conflicts_with = "emails")]
    pub retry: bool,
    /// Do not ask for confirmation (needed without a terminal)
    #[arg(long)]
    pub yes: bool,
    #[arg(long)]
    pub by: Option<String>,
}

pub fn run(ctx: &Context, cmd: PrivacyCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        PrivacyCommand::Erase(args) if args.retry => retry(ctx, &args),
        PrivacyCommand::Erase(args) => erase(ctx, &args),
    }
}

/// The addresses, checked and normalised, each once; a bad one names itself (exit 2).
fn addresses(args: &EraseArgs) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for raw in &args.emails {
        let email = normalise_address(raw);
        check_email(&email).map_err(|why| {
            Error::InvalidInput(format!("{raw:?} {why}; give the address to erase"))
        })?;
        if !out.contains(&email) {
            out.push(email);
        }
    }
    Ok(out)
}

fn erase(ctx: &Context, args: &EraseArgs) -> anyhow::Result<ExitStatus> {
    let emails = addresses(args)?;
    let reason = args.reason.as_deref().unwrap_or("").trim().to_string();
    if reason.is_empty() {
        return Err(Error::InvalidInput("--reason must say why (the request)".into()).into());
    }
    let app = ctx.app()?;
    if !args.dry_run
        && !prompt::confirm(
            ctx,
            args.yes,
            &format!(
                "erase {} from tenant {} for good (rows, mail files, remote copies)",
                count(emails.len() as u64, "address"),
                app.store.tenant()
            ),
        )?
    {
        ctx.printer.status("nothing erased");
        return Ok(ExitStatus::Success);
    }
    let connectors = app.connectors()?;
    let actor = ctx.actor(args.by.as_deref());
    let report = crate::privacy::erase(
        &app,
        &connectors,
        &EraseOptions {
            emails: &emails,
            actor: &actor,
            reason: &reason,
            dry_run: args.dry_run,
        },
    )?;
    print_report(ctx, &report)?;
    let failed: Vec<&RemoteOutcome> = report
        .subjects
        .iter()
        .flat_map(|s| &s.remote_outcomes)
        .filter(|o| o.failed())
        .collect();
    Ok(say_failed(ctx, &failed))
}

fn retry(ctx: &Context, args: &EraseArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let connectors = app.connectors()?;
    let actor = ctx.actor(args.by.as_deref());
    let outcomes = crate::privacy::retry_pending(&app, &connectors, &actor)?;
    if ctx.printer.json() {
        ctx.printer.print_json(&outcomes)?;
    } else if outcomes.is_empty() {
        ctx.printer.status("no remote erasure is pending");
    } else {
        print_outcomes(ctx, &outcomes)?;
    }
    let failed: Vec<&RemoteOutcome> = outcomes.iter().filter(|o| o.failed()).collect();
    Ok(say_failed(ctx, &failed))
}

fn say_failed(ctx: &Context, failed: &[&RemoteOutcome]) -> ExitStatus {
    if failed.is_empty() {
        return ExitStatus::Success;
    }
    ctx.printer.error(&format!(
        "{} failed; the local erasure is done and each is kept for a retry\nhint: run `salesagent \
         privacy erase --retry` once the service is reachable",
        count(failed.len() as u64, "remote erasure")
    ));
    ExitStatus::Failure
}

fn print_report(ctx: &Context, report: &EraseReport) -> anyhow::Result<()> {
    if ctx.printer.json() {
        ctx.printer.print_json(report)?;
        return Ok(());
    }
    let verb = if report.dry_run {
        "would erase"
    } else {
        "erased"
    };
    for subject in &report.subjects {
        let e = &subject.erasure;
        ctx.printer.status(&format!(
            "{verb} {} in tenant {} (reference {})",
            e.email, report.tenant, e.subject_ref
        ));
        let mut table = ctx.printer.table(&["WHAT", "DELETED", "BLANKED"]);
        for t in &e.tables {
            table.add_row(vec![
                t.table.to_string(),
                t.deleted.to_string(),
                t.blanked.to_string(),
            ]);
        }
        for f in &subject.files {
            let (deleted, blanked) = match f.action {
                FileDisposition::Deleted => ("1", "0"),
                FileDisposition::Blanked => ("0", "1"),
            };
            table.add_row(vec![
                f.path.display().to_string(),
                deleted.to_string(),
                blanked.to_string(),
            ]);
        }
        if e.tables.is_empty() && subject.files.is_empty() {
            ctx.printer.status("  nothing of this address is stored");
        } else {
            ctx.printer.print_table(&table)?;
        }
        if !subject.remote_outcomes.is_empty() {
            print_outcomes(ctx, &subject.remote_outcomes)?;
        }
        if e.audit_rows_in_clear > 0 {
            ctx.printer.warn(&format!(
                "{} from before pseudonymous references name the address; the audit log is \
                 append-only, so they stay",
                count(e.audit_rows_in_clear, "audit row")
            ));
        }
    }
    if report.dry_run {
        ctx.printer.status("dry run: nothing was changed");
    } else {
        ctx.printer
            .status("each address is now suppressed as a keyed hash");
        if !report.wal_truncated {
            ctx.printer.warn(
                "the WAL could not be truncated now (another process is reading); old pages \
                 leave it at the next checkpoint\nhint: run `salesagent db backup` or this \
                 command again when it is quiet",
            );
        }
    }
    Ok(())
}

fn print_outcomes(ctx: &Context, outcomes: &[RemoteOutcome]) -> anyhow::Result<()> {
    let mut table = ctx
        .printer
        .table(&["SERVICE", "REMOTE ID", "OUTCOME", "ERROR"]);
    for o in outcomes {
        table.add_row(vec![
            o.service.as_str().to_string(),
            o.remote_id.clone(),
            o.outcome.as_str().to_string(),
            o.error.clone().unwrap_or_default(),
        ]);
    }
    ctx.printer.print_table(&table)?;
    Ok(())
}
