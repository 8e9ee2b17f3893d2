//! `salesagent suppress add|list|remove`: addresses and domains never to contact.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Context;
use crate::domain::lead::check_email;
use crate::domain::time::{now_ms, rfc3339, short};
use crate::error::Error;
use crate::exit::ExitStatus;

#[derive(Debug, Subcommand)]
pub enum SuppressCommand {
    /// Never contact this address (or every address at @DOMAIN)
    Add(AddArgs),
    /// List suppressed addresses and domains
    List,
    /// Allow an address or domain again
    Remove(RemoveArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(value_name = "EMAIL|@DOMAIN")]
    pub value: String,
    /// Why (unsubscribed, bounced, asked by phone…)
    #[arg(long)]
    pub reason: String,
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[arg(value_name = "EMAIL|@DOMAIN")]
    pub value: String,
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Serialize)]
struct Item<'a> {
    value: &'a str,
    reason: &'a str,
    created_by: &'a str,
    created_at: String,
}

/// Lowercases and checks an address or `@domain`, naming what is wrong.
fn normalise(value: &str) -> Result<String, Error> {
    let v = value.trim().to_lowercase();
    if let Some(domain) = v.strip_prefix('@') {
        if check_email(&format!("x@{domain}")).is_ok() {
            return Ok(v);
        }
        return Err(Error::InvalidInput(format!(
            "{value:?} is not a domain; write it as @example.com"
        )));
    }
    check_email(&v).map_err(|why| {
        Error::InvalidInput(format!("{value:?} {why}; give an email address or @domain"))
    })?;
    Ok(v)
}

pub fn run(ctx: &Context, cmd: SuppressCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        SuppressCommand::Add(args) => {
            let value = normalise(&args.value)?;
            if args.reason.trim().is_empty() {
                return Err(Error::InvalidInput("--reason must not be empty".into()).into());
            }
            let app = ctx.app_creating()?;
            let actor = ctx.actor(args.by.as_deref());
            if app
                .store
                .add_suppression(&value, args.reason.trim(), &actor, now_ms())?
            {
                ctx.printer.status(&format!("suppressed {value}"));
            } else {
                ctx.printer
                    .status(&format!("{value} was already suppressed"));
            }
            Ok(ExitStatus::Success)
        }
        SuppressCommand::Remove(args) => {
            let value = normalise(&args.value)?;
            let app = ctx.app()?;
            let actor = ctx.actor(args.by.as_deref());
            app.store
                .remove_suppression(&value, args.reason.as_deref(), &actor, now_ms())?;
            ctx.printer
                .status(&format!("{value} is no longer suppressed"));
            Ok(ExitStatus::Success)
        }
        SuppressCommand::List => {
            let app = ctx.app()?;
            let rows = app.store.list_suppressions()?;
            if ctx.printer.json() {
                let items: Vec<_> = rows
                    .iter()
                    .map(|s| Item {
                        value: &s.value,
                        reason: &s.reason,
                        created_by: &s.created_by,
                        created_at: rfc3339(s.created_at),
                    })
                    .collect();
                ctx.printer.print_json(&items)?;
            } else if rows.is_empty() {
                ctx.printer.status("the suppression list is empty");
            } else {
                let mut table = ctx.printer.table(&["VALUE", "REASON", "BY", "SINCE"]);
                for s in &rows {
                    table.add_row(vec![
                        s.value.clone(),
                        s.reason.clone(),
                        s.created_by.clone(),
                        short(s.created_at),
                    ]);
                }
                ctx.printer.print_table(&table)?;
            }
            Ok(ExitStatus::Success)
        }
    }
}
