//! `salesagent audit list`: the append-only record of mode changes, decisions, edits, sends,
//! retries and suppression changes, newest first.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{Context, since_arg};
use crate::domain::time::{rfc3339, short};
use crate::exit::ExitStatus;
use crate::store::AuditFilter;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List audit entries, newest first
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this action (mode.set, draft.approve, draft.reject, draft.edit, draft.send, dlq.retry…)
    #[arg(long)]
    pub action: Option<String>,
    /// Only this actor
    #[arg(long)]
    pub actor: Option<String>,
    /// Only entries since: a duration (24h, 7d) or a date
    #[arg(long, value_name = "DURATION|DATE")]
    pub since: Option<String>,
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    created_at: String,
    actor: &'a str,
    action: &'a str,
    subject: Option<&'a str>,
    reason: Option<&'a str>,
    before: Option<&'a str>,
    after: Option<&'a str>,
}

pub fn run(ctx: &Context, cmd: AuditCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        AuditCommand::List(args) => list(ctx, args),
    }
}

fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitStatus> {
    let filter = AuditFilter {
        action: args.action,
        actor: args.actor,
        since: since_arg(args.since.as_deref())?,
        limit: args.limit,
    };
    let app = ctx.app()?;
    let rows = app.store.list_audit(&filter)?;
    let p = &ctx.printer;
    if p.json() {
        let items: Vec<Item<'_>> = rows
            .iter()
            .map(|e| Item {
                id: &e.id,
                created_at: rfc3339(e.created_at),
                actor: &e.actor,
                action: &e.action,
                subject: e.subject.as_deref(),
                reason: e.reason.as_deref(),
                before: e.before.as_deref(),
                after: e.after.as_deref(),
            })
            .collect();
        p.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        p.status("no audit entries match");
        return Ok(ExitStatus::Success);
    }
    let mut table = p.table(&["TIME", "ACTOR", "ACTION", "SUBJECT", "CHANGE", "REASON"]);
    for e in &rows {
        let change = match (&e.before, &e.after) {
            (Some(b), Some(a)) if b.len() + a.len() < 60 => format!("{b} -> {a}"),
            (None, Some(a)) if a.len() < 60 => a.clone(),
            (None, None) => String::new(),
            _ => "(see --json)".into(),
        };
        table.add_row(vec![
            short(e.created_at),
            e.actor.clone(),
            e.action.clone(),
            e.subject.clone().unwrap_or_default(),
            change,
            e.reason.clone().unwrap_or_default(),
        ]);
    }
    p.print_table(&table)?;
    Ok(ExitStatus::Success)
}
