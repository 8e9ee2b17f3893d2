//! `salesagent crm contacts|add-contact|tasks`: a look into the embedded CRM's tables.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::scope::gather;
use super::{Context, MORE_FLAGS, list_limit, say_if_cut};
use crate::domain::lead::Lead;
use crate::domain::submission::validate_lead;
use crate::domain::time::{now_ms, rfc3339};
use crate::error::Error;
use crate::exit::ExitStatus;

#[derive(Debug, Subcommand)]
pub enum CrmCommand {
    /// List contacts in the embedded CRM
    Contacts(ListArgs),
    /// Add a contact to the embedded CRM (e.g. one a Webhooks API event will name)
    AddContact(AddArgs),
    /// List follow-up tasks in the embedded CRM
    Tasks(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, default_value_t = 100, value_parser = crate::cli::positive_limit)]
    pub limit: usize,
    /// Every match, however many
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub first_name: Option<String>,
    #[arg(long)]
    pub last_name: Option<String>,
    #[arg(long)]
    pub company: Option<String>,
    #[arg(long)]
    pub job_title: Option<String>,
    /// The contact's numeric id (as a HubSpot object id); assigned when omitted
    #[arg(long)]
    pub id: Option<i64>,
}

#[derive(Serialize)]
struct ContactItem {
    id: i64,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    job_title: Option<String>,
    company_id: Option<i64>,
    created_at: String,
}

#[derive(Serialize)]
struct TaskItem {
    id: i64,
    contact_id: i64,
    reference: String,
    subject: String,
    priority: String,
    owner_id: Option<String>,
    status: String,
    due_at: String,
}

pub fn run(ctx: &Context, cmd: CrmCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        CrmCommand::Contacts(args) => contacts(ctx, args),
        CrmCommand::AddContact(args) => add_contact(ctx, args),
        CrmCommand::Tasks(args) => tasks(ctx, args),
    }
}

/// Says when the tenant's CRM is not the embedded one these commands look into.
fn warn_unless_local(ctx: &Context, config: &crate::config::Config) {
    if config.connectors.crm != crate::config::CrmKind::Local {
        ctx.printer.warn(&format!(
            "{}connectors.crm is not \"local\": this shows the embedded CRM, not the one in use",
            if config.tenant.is_default() {
                String::new()
            } else {
                format!("tenant {}: ", config.tenant)
            }
        ));
    }
}

/// One embedded-CRM table of every tenant in scope, in id order (each tenant's ids are its own),
/// with the "showing N of M" line when cut.
fn gather_local<T>(
    ctx: &Context,
    args: &ListArgs,
    id: fn(&T) -> i64,
    fetch: impl Fn(&crate::store::Store, usize) -> crate::error::Result<crate::store::Page<T>>,
) -> anyhow::Result<super::scope::Gathered<T>> {
    let limit = list_limit(args.limit, args.all);
    let listed = gather(
        ctx,
        limit,
        |app| {
            warn_unless_local(ctx, &app.config);
            fetch(&app.store, limit)
        },
        |a, b| id(a).cmp(&id(b)),
    )?;
    say_if_cut(&ctx.printer, &listed.page, MORE_FLAGS);
    Ok(listed)
}

fn contacts(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitStatus> {
    let listed = gather_local(
        ctx,
        &args,
        |c: &crate::store::CrmContactRow| c.id,
        |store, limit| store.crm_contacts(limit),
    )?;
    let p = &ctx.printer;
    let rows = &listed.page.rows;
    if p.json() {
        let items: Vec<_> = rows
            .iter()
            .map(|t| {
                let c = &t.row;
                listed.item(
                    t,
                    ContactItem {
                        id: c.id,
                        email: c.email.clone(),
                        first_name: c.first_name.clone(),
                        last_name: c.last_name.clone(),
                        company: c.company.clone(),
                        job_title: c.job_title.clone(),
                        company_id: c.company_id,
                        created_at: rfc3339(c.created_at),
                    },
                )
            })
            .collect();
        p.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    let mut table = p.table(&listed.headers(&["ID", "EMAIL", "NAME", "COMPANY", "TITLE"]));
    for t in rows {
        let c = &t.row;
        let name = [c.first_name.clone(), c.last_name.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        table.add_row(listed.cells(
            t,
            vec![
                c.id.to_string(),
                c.email.clone(),
                name,
                c.company.clone().unwrap_or_default(),
                c.job_title.clone().unwrap_or_default(),
            ],
        ));
    }
    p.print_table(&table)?;
    Ok(ExitStatus::Success)
}

/// Adding a contact seeds a fresh install, so it may create the database.
fn add_contact(ctx: &Context, args: AddArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app_creating()?;
    warn_unless_local(ctx, &app.config);
    let p = &ctx.printer;
    let mut lead = Lead::default();
    lead.set("email", &args.email);
    for (field, value) in [
        ("first_name", &args.first_name),
        ("last_name", &args.last_name),
        ("company", &args.company),
        ("job_title", &args.job_title),
    ] {
        if let Some(v) = value {
            lead.set(field, v);
        }
    }
    let lead = lead.normalise();
    validate_lead(&lead).map_err(|e| Error::InvalidInput(format!("--email: {e}")))?;
    let (row, created) = app.store.crm_upsert_contact(&lead, args.id, now_ms())?;
    if !created {
        return Err(Error::Refused(format!(
            "{} is already contact {} in the embedded CRM",
            row.email, row.id
        ))
        .into());
    }
    if p.json() {
        p.print_json(&serde_json::json!({ "id": row.id, "email": row.email }))?;
    } else {
        p.line(&row.id.to_string())?;
    }
    Ok(ExitStatus::Success)
}

fn tasks(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitStatus> {
    let listed = gather_local(
        ctx,
        &args,
        |t: &crate::store::CrmTaskRow| t.id,
        |store, limit| store.crm_tasks(limit),
    )?;
    let p = &ctx.printer;
    let rows = &listed.page.rows;
    if p.json() {
        let items: Vec<_> = rows
            .iter()
            .map(|t| {
                let task = &t.row;
                listed.item(
                    t,
                    TaskItem {
                        id: task.id,
                        contact_id: task.contact_id,
                        reference: task.reference.clone(),
                        subject: task.subject.clone(),
                        priority: task.priority.clone(),
                        owner_id: task.owner_id.clone(),
                        status: task.status.clone(),
                        due_at: rfc3339(task.due_at),
                    },
                )
            })
            .collect();
        p.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    let mut table =
        p.table(&listed.headers(&["ID", "CONTACT", "PRIORITY", "STATUS", "DUE", "SUBJECT"]));
    for t in rows {
        let task = &t.row;
        table.add_row(listed.cells(
            t,
            vec![
                task.id.to_string(),
                task.contact_id.to_string(),
                task.priority.clone(),
                task.status.clone(),
                rfc3339(task.due_at),
                task.subject.clone(),
            ],
        ));
    }
    p.print_table(&table)?;
    Ok(ExitStatus::Success)
}
