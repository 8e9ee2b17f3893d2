//! `salesagent quarantine list|show|replay|discard`: authenticated webhook bodies the server could
//! not parse. `replay` parses them again with this version's code and turns what it reads into
//! workflows (for a worker); `discard` sets one aside for good. Both are audited.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::prompt::confirm;
use super::{Context, MORE_FLAGS, count, list_limit, say_if_cut};
use crate::domain::submission::parse_payload;
use crate::domain::time::{now_ms, rfc3339, short};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::store::{Acceptance, NewSubmission, QuarantineFilter, QuarantineRow, Source};

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List quarantined payloads nobody has replayed or discarded, oldest first
    List(ListArgs),
    /// Show one quarantined payload: why it was kept, and the body as received
    Show(ShowArgs),
    /// Parse quarantined payloads again with this version and queue workflows for what it reads
    Replay(ReplayArgs),
    /// Set quarantined payloads aside for good (audited; the body is kept for the record)
    Discard(DiscardArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Also those already replayed or discarded
    #[arg(long)]
    pub done: bool,
    #[arg(long, default_value_t = 100, value_parser = crate::cli::positive_limit)]
    pub limit: usize,
    /// Every match, however many
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A quarantine id (or an unambiguous prefix)
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Quarantine ids (or unambiguous prefixes)
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub ids: Vec<String>,
    /// Every payload waiting in quarantine
    #[arg(long)]
    pub all: bool,
    /// Say what each payload would become, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Who replays (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
    /// Do not ask before replaying several
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct DiscardArgs {
    /// Quarantine ids (or unambiguous prefixes)
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Why (kept in the audit log)
    #[arg(long)]
    pub reason: String,
    /// Who discards (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Serialize)]
struct Item {
    id: String,
    reason: String,
    content_type: Option<String>,
    received_at: String,
    bytes: usize,
    /// waiting, replayed or discarded
    status: &'static str,
    resolved_by: Option<String>,
    resolved_at: Option<String>,
    workflow_ids: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
}

impl Item {
    fn new(q: &QuarantineRow, with_body: bool) -> Item {
        Item {
            id: q.id.clone(),
            reason: q.reason.clone(),
            content_type: q.content_type.clone(),
            received_at: rfc3339(q.received_at),
            bytes: q.raw_payload.len(),
            status: q.resolution.map_or("waiting", |r| r.as_str()),
            resolved_by: q.resolved_by.clone(),
            resolved_at: q.resolved_at.map(rfc3339),
            workflow_ids: q
                .workflow_ids
                .as_deref()
                .and_then(|w| serde_json::from_str(w).ok()),
            body: with_body.then(|| String::from_utf8_lossy(&q.raw_payload).into_owned()),
        }
    }
}

pub fn run(ctx: &Context, cmd: QuarantineCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        QuarantineCommand::List(args) => list(ctx, args),
        QuarantineCommand::Show(args) => show(ctx, args),
        QuarantineCommand::Replay(args) => replay(ctx, args),
        QuarantineCommand::Discard(args) => discard(ctx, args),
    }
}

fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitStatus> {
    let filter = QuarantineFilter {
        include_done: args.done,
        limit: list_limit(args.limit, args.all),
    };
    let listed = super::scope::gather(
        ctx,
        filter.limit,
        |app| app.store.list_quarantine(&filter),
        |a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)),
    )?;
    say_if_cut(&ctx.printer, &listed.page, MORE_FLAGS);
    let rows = &listed.page.rows;
    let p = &ctx.printer;
    if p.json() {
        let items: Vec<_> = rows
            .iter()
            .map(|t| listed.item(t, Item::new(&t.row, false)))
            .collect();
        p.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        p.status("nothing in quarantine");
        return Ok(ExitStatus::Success);
    }
    let mut table = p.table(&listed.headers(&["ID", "STATUS", "RECEIVED", "BYTES", "REASON"]));
    for t in rows {
        let q = &t.row;
        let item = Item::new(q, false);
        table.add_row(listed.cells(
            t,
            vec![
                item.id,
                item.status.to_string(),
                short(q.received_at),
                item.bytes.to_string(),
                item.reason,
            ],
        ));
    }
    p.print_table(&table)?;
    p.status("hint: `salesagent quarantine replay ID` parses one again with this version");
    Ok(ExitStatus::Success)
}

fn resolve(app: &crate::app::App, id: &str) -> anyhow::Result<QuarantineRow> {
    let id = app.store.resolve_quarantine_id(id)?;
    Ok(app.store.get_quarantine(&id)?)
}

fn show(ctx: &Context, args: ShowArgs) -> anyhow::Result<ExitStatus> {
    let found = super::scope::find_in_tenants(ctx, "quarantined payload", &args.id, |app| {
        app.store.resolve_quarantine_id(&args.id)
    })?;
    let q = found.app.store.get_quarantine(&found.value)?;
    let item = Item::new(&q, true);
    let p = &ctx.printer;
    if p.json() {
        p.print_json(&found.json(&item))?;
        return Ok(ExitStatus::Success);
    }
    if let Some(line) = found.tenant_line() {
        p.line(&line)?;
    }
    p.line(&format!("quarantined {}  ({})", item.id, item.status))?;
    p.line(&format!("received    {}", short(q.received_at)))?;
    p.line(&format!("reason      {}", item.reason))?;
    p.line(&format!(
        "type        {}  ({} bytes)",
        item.content_type.as_deref().unwrap_or("-"),
        item.bytes
    ))?;
    if let (Some(by), Some(at)) = (&q.resolved_by, q.resolved_at) {
        p.line(&format!("{}    by {by} at {}", item.status, short(at)))?;
    }
    p.line("")?;
    p.line(item.body.as_deref().unwrap_or_default())?;
    Ok(ExitStatus::Success)
}

/// What replaying one payload did (or, in a dry run, would do).
#[derive(Serialize)]
struct Replayed {
    id: String,
    submissions: usize,
    workflow_ids: Vec<String>,
    duplicates: usize,
    ignored_events: usize,
    error: Option<String>,
}

fn replay(ctx: &Context, args: ReplayArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let actor = ctx.actor(args.by.as_deref());
    let targets: Vec<QuarantineRow> = if args.all {
        app.store
            .list_quarantine(&QuarantineFilter {
                include_done: false,
                limit: usize::MAX,
            })?
            .rows
    } else {
        args.ids
            .iter()
            .map(|id| resolve(&app, id))
            .collect::<anyhow::Result<_>>()?
    };
    if targets.is_empty() {
        ctx.printer.status("nothing in quarantine to replay");
        return Ok(ExitStatus::Success);
    }
    if !args.dry_run
        && targets.len() > 1
        && !confirm(
            ctx,
            args.yes,
            &format!("replay {} quarantined payloads", targets.len()),
        )?
    {
        ctx.printer.status("nothing replayed");
        return Ok(ExitStatus::Success);
    }
    let mut status = ExitStatus::Success;
    let mut results = Vec::new();
    for q in &targets {
        let result = replay_one(&app, q, &actor, args.dry_run);
        if let Err(e) = &result
            && status == ExitStatus::Success
        {
            status = ExitStatus::for_error(e);
        }
        let r = result.unwrap_or_else(|e| Replayed {
            id: q.id.clone(),
            submissions: 0,
            workflow_ids: vec![],
            duplicates: 0,
            ignored_events: 0,
            error: Some(format!("{e:#}")),
        });
        if !ctx.printer.json() {
            print_replayed(ctx, &r, args.dry_run)?;
        }
        results.push(r);
    }
    if ctx.printer.json() {
        ctx.printer.print_json(&results)?;
    } else if !args.dry_run && results.iter().any(|r| !r.workflow_ids.is_empty()) {
        ctx.printer.status(
            "hint: workers run the new workflows (`salesagent serve` or `salesagent worker`)",
        );
    }
    Ok(status)
}

fn replay_one(
    app: &crate::app::App,
    q: &QuarantineRow,
    actor: &str,
    dry_run: bool,
) -> anyhow::Result<Replayed> {
    if let Some(done) = q.resolution {
        return Err(Error::Refused(format!(
            "quarantined payload {} was already {}",
            q.id,
            done.as_str()
        ))
        .into());
    }
    let payload = parse_payload(&q.raw_payload).map_err(|e| {
        Error::InvalidInput(format!(
            "quarantined payload {} still cannot be parsed: {e}\nhint: keep it for a later \
             version, or set it aside with `salesagent quarantine discard {} --reason …`",
            q.id, q.id
        ))
    })?;
    let mut out = Replayed {
        id: q.id.clone(),
        submissions: payload.submissions.len(),
        workflow_ids: vec![],
        duplicates: 0,
        ignored_events: payload.ignored_events,
        error: None,
    };
    if dry_run {
        return Ok(out);
    }
    let at = now_ms();
    let items: Vec<NewSubmission<'_>> = payload
        .submissions
        .iter()
        .map(|parsed| NewSubmission {
            queue: Some("normal"),
            ..NewSubmission::received(Source::Webhook, parsed, &q.raw_payload, at)
        })
        .collect();
    for acceptance in app.store.replay_quarantined(&q.id, &items, actor, at)? {
        match acceptance {
            Acceptance::Accepted { workflow_id, .. } => out.workflow_ids.push(workflow_id),
            Acceptance::Duplicate { .. } => out.duplicates += 1,
        }
    }
    Ok(out)
}

fn print_replayed(ctx: &Context, r: &Replayed, dry_run: bool) -> anyhow::Result<()> {
    let p = &ctx.printer;
    if let Some(e) = &r.error {
        p.error(e);
        return Ok(());
    }
    if dry_run {
        p.line(&format!(
            "would replay {}: {}, {}",
            r.id,
            count(r.submissions as u64, "submission"),
            count(r.ignored_events as u64, "other event")
        ))?;
        return Ok(());
    }
    p.line(&format!(
        "replayed {}: {} queued{}{}",
        r.id,
        count(r.workflow_ids.len() as u64, "workflow"),
        if r.duplicates > 0 {
            format!(
                ", {} of earlier submissions",
                count(r.duplicates as u64, "duplicate")
            )
        } else {
            String::new()
        },
        if r.workflow_ids.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.workflow_ids.join(", "))
        }
    ))?;
    Ok(())
}

fn discard(ctx: &Context, args: DiscardArgs) -> anyhow::Result<ExitStatus> {
    if args.reason.trim().is_empty() {
        return Err(Error::InvalidInput("--reason must say why it is discarded".into()).into());
    }
    let app = ctx.app()?;
    let actor = ctx.actor(args.by.as_deref());
    let targets: Vec<QuarantineRow> = args
        .ids
        .iter()
        .map(|id| resolve(&app, id))
        .collect::<anyhow::Result<_>>()?;
    let mut done = Vec::new();
    for q in &targets {
        app.store
            .discard_quarantined(&q.id, &actor, &args.reason, now_ms())?;
        done.push(q.id.clone());
        if !ctx.printer.json() {
            ctx.printer.line(&format!("discarded {}", q.id))?;
        }
    }
    if ctx.printer.json() {
        ctx.printer
            .print_json(&serde_json::json!({ "discarded": done }))?;
    }
    Ok(ExitStatus::Success)
}
