//! `salesagent suppress add|list|remove`: addresses and domains never to contact, on a tenant's
//! own list or (`--global`) on the list every tenant honours.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Context;
use crate::domain::lead::check_email;
use crate::domain::tenant::TenantId;
use crate::domain::time::{now_ms, rfc3339, short};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::store::Suppression;

#[derive(Debug, Subcommand)]
pub enum SuppressCommand {
    /// Never contact this address (or every address at @DOMAIN)
    Add(AddArgs),
    /// List suppressed addresses and domains: the tenant's own and the global ones
    List(ListArgs),
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
    /// On the global list, which every tenant honours (instead of one tenant's)
    #[arg(long)]
    pub global: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the global list
    #[arg(long)]
    pub global: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[arg(value_name = "EMAIL|@DOMAIN")]
    pub value: String,
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub by: Option<String>,
    /// From the global list
    #[arg(long)]
    pub global: bool,
}

#[derive(Serialize)]
struct Item<'a> {
    /// The tenant whose list it is on (only when tenants are declared; none for global ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a str>,
    /// On the global list (only said when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    global: bool,
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
        SuppressCommand::Add(args) => add(ctx, args),
        SuppressCommand::Remove(args) => remove(ctx, args),
        SuppressCommand::List(args) => list(ctx, args),
    }
}

/// The global list belongs to no tenant: `--tenant` with `--global` is a contradiction.
fn refuse_tenant_with_global(ctx: &Context) -> Result<(), Error> {
    if ctx.global.tenant.is_some() {
        return Err(Error::InvalidInput(
            "--global is the list every tenant honours; leave out --tenant (or SALESAGENT_TENANT)"
                .into(),
        ));
    }
    Ok(())
}

/// A store on the database (the global list is in every tenant's reach) and every tenant, whose
/// audit logs record a change of the global list. Creates the database, like `suppress add`.
fn global_store(ctx: &Context) -> anyhow::Result<(crate::store::Store, Vec<TenantId>)> {
    refuse_tenant_with_global(ctx)?;
    let config = ctx.config()?;
    config.ensure_valid()?;
    let tenants = config.tenant_ids();
    let store = crate::store::Store::open(&config.db, &tenants[0])?;
    Ok((store, tenants))
}

fn add(ctx: &Context, args: AddArgs) -> anyhow::Result<ExitStatus> {
    let value = normalise(&args.value)?;
    if args.reason.trim().is_empty() {
        return Err(Error::InvalidInput("--reason must not be empty".into()).into());
    }
    let actor = ctx.actor(args.by.as_deref());
    let reason = args.reason.trim();
    let (added, list) = if args.global {
        let (store, tenants) = global_store(ctx)?;
        let added = store.add_global_suppression(&value, reason, &actor, now_ms(), &tenants)?;
        (added, "the global list".to_string())
    } else {
        let app = ctx.app_creating()?;
        let added = app
            .store
            .add_suppression(&value, reason, &actor, now_ms())?;
        (added, list_name(&app))
    };
    ctx.printer.status(&match (added, list.is_empty()) {
        (true, true) => format!("suppressed {value}"),
        (true, false) => format!("suppressed {value} on {list}"),
        (false, true) => format!("{value} was already suppressed"),
        (false, false) => format!("{value} was already on {list}"),
    });
    Ok(ExitStatus::Success)
}

/// "tenant acme's list" when tenants are declared; nothing in a single-tenant deployment.
fn list_name(app: &crate::app::App) -> String {
    if app.store.tenant().is_default() {
        String::new()
    } else {
        format!("tenant {}'s list", app.store.tenant())
    }
}

fn remove(ctx: &Context, args: RemoveArgs) -> anyhow::Result<ExitStatus> {
    let value = normalise(&args.value)?;
    let actor = ctx.actor(args.by.as_deref());
    if args.global {
        let (store, tenants) = global_store(ctx)?;
        store.remove_global_suppression(
            &value,
            args.reason.as_deref(),
            &actor,
            now_ms(),
            &tenants,
        )?;
        ctx.printer
            .status(&format!("{value} is off the global list"));
        return Ok(ExitStatus::Success);
    }
    let app = ctx.app()?;
    app.store
        .remove_suppression(&value, args.reason.as_deref(), &actor, now_ms())?;
    ctx.printer
        .status(&format!("{value} is no longer suppressed"));
    Ok(ExitStatus::Success)
}

/// The tenant's own entries (every tenant's, when several are shown), then the global ones.
fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitStatus> {
    if args.global {
        refuse_tenant_with_global(ctx)?;
    }
    let scope = super::scope::open_scope(ctx)?;
    let mut rows: Vec<(Option<TenantId>, Suppression)> = Vec::new();
    if !args.global {
        for app in &scope.apps {
            let tenant = app.store.tenant().clone();
            rows.extend(
                app.store
                    .list_suppressions()?
                    .into_iter()
                    .map(|s| (Some(tenant.clone()), s)),
            );
        }
    }
    if let Some(app) = scope.apps.first() {
        rows.extend(
            app.store
                .list_global_suppressions()?
                .into_iter()
                .map(|s| (None, s)),
        );
    }
    if ctx.printer.json() {
        let items: Vec<_> = rows
            .iter()
            .map(|(tenant, s)| Item {
                tenant: tenant
                    .as_ref()
                    .filter(|_| scope.multi_tenant)
                    .map(|t| t.as_str()),
                global: s.global,
                value: &s.value,
                reason: &s.reason,
                created_by: &s.created_by,
                created_at: rfc3339(s.created_at),
            })
            .collect();
        ctx.printer.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        ctx.printer.status("the suppression list is empty");
        return Ok(ExitStatus::Success);
    }
    // A LIST column once the global list or several tenants' lists are shown together.
    let labelled = scope.several || rows.iter().any(|(_, s)| s.global);
    let mut headers = vec!["VALUE", "REASON", "BY", "SINCE"];
    if labelled {
        headers.insert(0, "LIST");
    }
    let mut table = ctx.printer.table(&headers);
    for (tenant, s) in &rows {
        let mut cells = vec![
            s.value.clone(),
            s.reason.clone(),
            s.created_by.clone(),
            short(s.created_at),
        ];
        if labelled {
            let list = tenant
                .as_ref()
                .map_or("global".to_string(), |t| t.to_string());
            cells.insert(0, list);
        }
        table.add_row(cells);
    }
    ctx.printer.print_table(&table)?;
    Ok(ExitStatus::Success)
}
