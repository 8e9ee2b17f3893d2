//! `salesagent audit list`: the append-only record of mode changes, decisions, edits, sends,
//! retries and suppression changes, newest first.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{Context, MORE_FLAGS, list_limit, say_if_cut, since_arg};
use crate::domain::time::{rfc3339, short};
use crate::exit::ExitStatus;
use crate::store::{AUDIT_ACTIONS, AuditFilter};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List audit entries, newest first
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this action (mode.set, draft.approve, draft.reject, draft.edit, draft.send, dlq.retry…)
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(AUDIT_ACTIONS))]
    pub action: Option<String>,
    /// Only this actor
    #[arg(long)]
    pub actor: Option<String>,
    /// Only entries since: a duration (24h, 7d) or a date
    #[arg(long, value_name = "DURATION|DATE")]
    pub since: Option<String>,
    /// Only entries about this subject (a draft, dead letter, workflow or quarantine id, or
    /// `mode`)
    #[arg(long, value_name = "ID")]
    pub subject: Option<String>,
    #[arg(long, default_value_t = 100, value_parser = crate::cli::positive_limit)]
    pub limit: usize,
    /// Every match, however many
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    created_at: String,
    actor: &'a str,
    action: &'a str,
    subject: Option<&'a str>,
    reason: Option<&'a str>,
    /// JSON values where the log holds JSON (objects stay objects), else the text.
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

/// An audit value as JSON: what it holds when that is JSON, else the plain text as a string.
fn as_json(value: Option<&str>) -> Option<serde_json::Value> {
    value.map(|v| {
        serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()))
    })
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
        subject: args.subject,
        since: since_arg(args.since.as_deref())?,
        limit: list_limit(args.limit, args.all),
    };
    let listed = super::scope::gather(
        ctx,
        filter.limit,
        |app| app.store.list_audit_page(&filter),
        |a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)),
    )?;
    say_if_cut(&ctx.printer, &listed.page, MORE_FLAGS);
    let rows = &listed.page.rows;
    let p = &ctx.printer;
    if p.json() {
        let items: Vec<_> = rows
            .iter()
            .map(|t| (t, &t.row))
            .map(|(t, e)| {
                listed.item(
                    t,
                    Item {
                        id: &e.id,
                        created_at: rfc3339(e.created_at),
                        actor: &e.actor,
                        action: &e.action,
                        subject: e.subject.as_deref(),
                        reason: e.reason.as_deref(),
                        before: as_json(e.before.as_deref()),
                        after: as_json(e.after.as_deref()),
                    },
                )
            })
            .collect();
        p.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        p.status("no audit entries match");
        return Ok(ExitStatus::Success);
    }
    let mut table =
        p.table(&listed.headers(&["TIME", "ACTOR", "ACTION", "SUBJECT", "CHANGE", "REASON"]));
    for t in rows {
        let e = &t.row;
        let change = match (&e.before, &e.after) {
            (Some(b), Some(a)) if b.len() + a.len() < 60 => format!("{b} -> {a}"),
            (None, Some(a)) if a.len() < 60 => a.clone(),
            (None, None) => String::new(),
            _ => "(see --json)".into(),
        };
        table.add_row(listed.cells(
            t,
            vec![
                short(e.created_at),
                e.actor.clone(),
                e.action.clone(),
                e.subject.clone().unwrap_or_default(),
                change,
                e.reason.clone().unwrap_or_default(),
            ],
        ));
    }
    p.print_table(&table)?;
    Ok(ExitStatus::Success)
}
