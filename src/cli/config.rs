//! `salesagent config check`: the effective configuration (secrets redacted) and its problems.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Context;
use crate::config::{Config, Problem, Severity};
use crate::exit::ExitStatus;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Show the effective configuration and every problem found
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {}

#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    config: &'a Config,
    data_dir: String,
    problems: &'a [Problem],
}

pub fn run(ctx: &Context, cmd: ConfigCommand) -> anyhow::Result<ExitStatus> {
    let ConfigCommand::Check(_args) = cmd;
    let config = ctx.config()?;
    let problems = config.validate();
    let ok = !problems.iter().any(|p| p.severity == Severity::Error);
    if ctx.printer.json() {
        ctx.printer.print_json(&Report {
            ok,
            config: &config,
            data_dir: config.data_dir().display().to_string(),
            problems: &problems,
        })?;
    } else {
        let text = toml::to_string(&config).unwrap_or_else(|e| format!("# cannot show: {e}\n"));
        ctx.printer.line(text.trim_end())?;
        if problems.is_empty() {
            ctx.printer.status("configuration OK");
        }
        for p in &problems {
            let level = match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            eprintln!("{level}: {}: {}", p.key, p.message);
        }
    }
    Ok(if ok {
        ExitStatus::Success
    } else {
        ExitStatus::Configuration
    })
}
