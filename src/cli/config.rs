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
    #[serde(skip_serializing_if = "Option::is_none")]
    live: Option<&'a [LiveCheck]>,
}

pub fn run(ctx: &Context, cmd: ConfigCommand) -> anyhow::Result<ExitStatus> {
    let ConfigCommand::Check(args) = cmd;
    let config = ctx.config()?;
    let problems = config.validate();
    let config_ok = !problems.iter().any(|p| p.severity == Severity::Error);
    let live = args.live.then(|| live_checks(&config));
    let live_ok = live.as_ref().is_none_or(|l| l.iter().all(|c| c.ok));
    if ctx.printer.json() {
        ctx.printer.print_json(&Report {
            ok: config_ok && live_ok,
            config: &config,
            data_dir: config.data_dir().display().to_string(),
            problems: &problems,
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
        for p in &problems {
            let level = match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            eprintln!("{level}: {}: {}", p.key, p.message);
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
