//! `salesagent config check [--live]`: the effective configuration (secrets redacted) and its
//! problems; with `--live`, one cheap read per configured service and its circuit-breaker state.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Context;
use crate::config::{Config, Problem, Severity};
use crate::connectors::check::{LiveCheck, live_checks};
use crate::error::ErrorClass;
use crate::exit::ExitStatus;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Show the effective configuration and every problem found
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also call each configured service once (HubSpot, Gmail, LLM) and report OK or the reason
    #[arg(long)]
    pub live: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    config: &'a Config,
    data_dir: String,
    problems: &'a [Problem],
    /// What the configuration does not forbid but an operator should know (no webhook secret
    /// yet, no database yet).
    notes: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    live: Option<&'a [LiveCheck]>,
}

pub fn run(ctx: &Context, cmd: ConfigCommand) -> anyhow::Result<ExitStatus> {
    let ConfigCommand::Check(args) = cmd;
    let config = ctx.config()?;
    let problems = config.validate();
    let notes = deployment_notes(&config);
    let config_ok = !problems.iter().any(|p| p.severity == Severity::Error);
    let live = args.live.then(|| live_checks(&config));
    let live_ok = live.as_ref().is_none_or(|l| l.iter().all(|c| c.ok));
    if ctx.printer.json() {
        ctx.printer.print_json(&Report {
            ok: config_ok && live_ok,
            config: &config,
            data_dir: config.data_dir().display().to_string(),
            problems: &problems,
            notes: &notes,
            live: live.as_deref(),
        })?;
    } else {
        match &live {
            None => {
                let text =
                    toml::to_string(&config).unwrap_or_else(|e| format!("# cannot show: {e}\n"));
                ctx.printer.line(text.trim_end())?;
                if problems.is_empty() {
                    ctx.printer.status("configuration OK");
                }
            }
            Some(checks) => print_live(ctx, checks)?,
        }
        for note in &notes {
            ctx.printer.status(&format!("note: {note}"));
        }
        for p in &problems {
            let text = format!("{}: {}", p.key, p.message);
            match p.severity {
                Severity::Error => ctx.printer.error(&text),
                Severity::Warning => ctx.printer.warn(&text),
            }
        }
    }
    let live_class =
        live.iter()
            .flatten()
            .filter_map(|c| c.error_class)
            .fold(None, |worst, class| match (worst, class) {
                (_, ErrorClass::Configuration) | (Some(ErrorClass::Configuration), _) => {
                    Some(ErrorClass::Configuration)
                }
                _ => Some(class),
            });
    Ok(match (config_ok, live_class) {
        (false, _) | (_, Some(ErrorClass::Configuration)) => ExitStatus::Configuration,
        (true, Some(_)) => ExitStatus::Failure,
        (true, None) => ExitStatus::Success,
    })
}

/// What `config check` says beyond the settings' own validity: a configuration that checks out
/// must not hide that `serve` will refuse to start, or that `--db` names no database yet. Notes,
/// not problems: `run` and `import` need neither.
fn deployment_notes(config: &Config) -> Vec<String> {
    let mut notes = Vec::new();
    if config.webhook.secret.is_none() {
        notes.push(
            "webhook.secret is not set: `salesagent serve` refuses to start without it \
             (SALESAGENT_WEBHOOK_SECRET or SALESAGENT_WEBHOOK_SECRET_FILE); `run` and `import` \
             work without it"
                .to_string(),
        );
    }
    if !config.db.exists() {
        notes.push(format!(
            "database {} does not exist yet: `serve`, `run` or `import` create it (check --db or \
             SALESAGENT_DB if it should exist)",
            config.db.display()
        ));
    }
    notes
}

fn print_live(ctx: &Context, checks: &[LiveCheck]) -> std::io::Result<()> {
    let mut table = ctx
        .printer
        .table(&["ROLE", "CONNECTOR", "RESULT", "BREAKER", "DETAIL"]);
    for c in checks {
        let result = match (c.ok, c.error_class) {
            (true, _) => "OK".to_string(),
            (false, Some(class)) => format!("error ({class})"),
            (false, None) => "error".to_string(),
        };
        table.add_row(vec![
            c.role.to_string(),
            c.connector.to_string(),
            result,
            c.breaker.unwrap_or("-").to_string(),
            c.detail.clone(),
        ]);
    }
    ctx.printer.print_table(&table)
}
