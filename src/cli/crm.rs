//! `salesagent crm contacts|add-contact|tasks`: a look into the embedded CRM's tables.

use clap::{Args, Subcommand};
use serde::Serialize;

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
    // Adding a contact seeds a fresh install; reading needs the database to exist.
    let app = match cmd {
        CrmCommand::AddContact(_) => ctx.app_creating()?,
        _ => ctx.app()?,
    };
    if app.config.connectors.crm != crate::config::CrmKind::Local {
        ctx.printer.warn(
            "connectors.crm is not \"local\": this shows the embedded CRM, not the one in use",
        );
    }
    let p = &ctx.printer;
    match cmd {
        CrmCommand::Contacts(args) => {
            let page = app.store.crm_contacts(list_limit(args.limit, args.all))?;
            say_if_cut(p, &page, MORE_FLAGS);
            let rows = page.rows;
            if p.json() {
                let items: Vec<_> = rows
                    .into_iter()
                    .map(|c| ContactItem {
                        id: c.id,
                        email: c.email,
                        first_name: c.first_name,
                        last_name: c.last_name,
                        company: c.company,
                        job_title: c.job_title,
                        company_id: c.company_id,
                        created_at: rfc3339(c.created_at),
                    })
                    .collect();
                p.print_json(&items)?;
            } else {
                let mut table = p.table(&["ID", "EMAIL", "NAME", "COMPANY", "TITLE"]);
                for c in rows {
                    let name = [c.first_name, c.last_name]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                    table.add_row(vec![
                        c.id.to_string(),
                        c.email,
                        name,
                        c.company.unwrap_or_default(),
                        c.job_title.unwrap_or_default(),
                    ]);
                }
                p.print_table(&table)?;
            }
        }
        CrmCommand::AddContact(args) => {
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
        }
        CrmCommand::Tasks(args) => {
            let page = app.store.crm_tasks(list_limit(args.limit, args.all))?;
            say_if_cut(p, &page, MORE_FLAGS);
            let rows = page.rows;
            if p.json() {
                let items: Vec<_> = rows
                    .into_iter()
                    .map(|t| TaskItem {
                        id: t.id,
                        contact_id: t.contact_id,
                        reference: t.reference,
                        subject: t.subject,
                        priority: t.priority,
                        owner_id: t.owner_id,
                        status: t.status,
                        due_at: rfc3339(t.due_at),
                    })
                    .collect();
                p.print_json(&items)?;
            } else {
                let mut table = p.table(&["ID", "CONTACT", "PRIORITY", "STATUS", "DUE", "SUBJECT"]);
                for t in rows {
                    table.add_row(vec![
                        t.id.to_string(),
                        t.contact_id.to_string(),
                        t.priority,
                        t.status,
                        rfc3339(t.due_at),
                        t.subject,
                    ]);
                }
                p.print_table(&table)?;
            }
        }
    }
    Ok(ExitStatus::Success)
}
