//! `salesagent config check [--live]`: the effective configuration (secrets redacted) and its
//! problems; with `--live`, one cheap read per configured service and its circuit-breaker state.
//! With tenants declared it also shows each tenant's effective configuration; `--tenant T` shows
//! only T's, with the problems that concern it (its own `tenants.T.…` and the top level's).

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
    /// The tenant `--tenant` chose, whose effective configuration `config` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a str>,
    config: &'a Config,
    /// Every declared tenant's effective configuration (without `--tenant`).
    #[serde(skip_serializing_if = "Option::is_none")]
    tenants: Option<std::collections::BTreeMap<&'a str, &'a Config>>,
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
    let top = ctx.config()?;
    let chosen = match ctx.tenant_scope(&top)? {
        super::TenantScope::Chosen(id) if top.is_multi_tenant() => Some(id),
        _ => None,
    };
    let config = match &chosen {
        Some(id) => top.for_tenant(id)?,
        None => &top,
    };
    let problems: Vec<Problem> = top
        .validate()
        .into_iter()
        .filter(|p| chosen.as_ref().is_none_or(|id| concerns(p, id)))
        .collect();
    let tenants = (chosen.is_none() && top.is_multi_tenant()).then(|| {
        top.tenant_ids()
            .into_iter()
            .filter_map(|id| top.for_tenant(&id).ok().map(|c| (id, c)))
            .collect::<Vec<_>>()
    });
    let notes = deployment_notes(config);
    let config_ok = !problems.iter().any(|p| p.severity == Severity::Error);
    let live = args.live.then(|| live_checks(config));
    let live_ok = live.as_ref().is_none_or(|l| l.iter().all(|c| c.ok));
    if ctx.printer.json() {
        ctx.printer.print_json(&Report {
            ok: config_ok && live_ok,
            tenant: chosen.as_ref().map(|id| id.as_str()),
            config,
            tenants: tenants
                .as_ref()
                .map(|t| t.iter().map(|(id, c)| (id.as_str(), *c)).collect()),
            data_dir: config.data_dir().display().to_string(),
            problems: &problems,
            notes: &notes,
            live: live.as_deref(),
        })?;
    } else {
        match &live {
            None => {
                if let Some(id) = &chosen {
                    ctx.printer
                        .line(&format!("# tenant {id}: its effective configuration"))?;
                }
                ctx.printer.line(toml_text(config).trim_end())?;
                for (id, tenant) in tenants.iter().flatten() {
                    ctx.printer.line("")?;
                    ctx.printer.line(&format!(
                        "# tenant {id}: its effective configuration (the top level with \
                         [tenants.{id}] laid over it)"
                    ))?;
                    ctx.printer.line(toml_text(tenant).trim_end())?;
                }
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

/// A configuration as TOML, secrets redacted (as `Config` serializes them).
fn toml_text(config: &Config) -> String {
    toml::to_string(config).unwrap_or_else(|e| format!("# cannot show: {e}\n"))
}

/// Whether a problem concerns tenant `id`: its own (`tenants.<id>.…`) or the top level's, which
/// every tenant inherits; another tenant's problems do not.
fn concerns(problem: &Problem, id: &crate::domain::tenant::TenantId) -> bool {
    match problem.key.strip_prefix("tenants.") {
        Some(rest) => rest
            .strip_prefix(id.as_str())
            .is_some_and(|r| r.is_empty() || r.starts_with('.')),
        None => true,
    }
}

/// What `config check` says beyond the settings' own validity: a configuration that checks out
/// must not hide that `serve` will refuse to start, or that `--db` names no database yet. Notes,
/// not problems: `run` and `import` need neither.
fn deployment_notes(config: &Config) -> Vec<String> {
    let mut notes = Vec::new();
    if config.webhook.secret.is_none() {
        // Every tenant has a secret of its own exactly when serve would start without the app's.
        let note = match crate::server::check_signature_policy(config, false) {
            Ok(()) => {
                "webhook.secret is not set: `salesagent serve` keeps the shared URL closed (every \
                 request there is refused 401); each tenant posts to its own URL with its own secret"
            }
            Err(_) => {
                "webhook.secret is not set: `salesagent serve` refuses to start without it \
                 (SALESAGENT_WEBHOOK_SECRET or SALESAGENT_WEBHOOK_SECRET_FILE), unless every \
                 tenant has a webhook secret of its own; `run` and `import` work without it"
            }
        };
        notes.push(note.to_string());
    }
    if !config.has_database() {
        notes.push(format!(
            "database {} does not exist yet: `serve`, `run` or `import` create it (check --db or \
             SALESAGENT_DB if it should exist)",
            config.db_shown()
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
