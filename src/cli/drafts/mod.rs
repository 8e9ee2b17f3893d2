//! `salesagent drafts list|show|approve|reject|send|review|recompose`: list lives here; the page
//! `show` and `review` print in `show.rs`, decisions in `decide.rs`, the interactive loop in
//! `review.rs`, regenerating pending drafts in `recompose.rs`.

mod decide;
mod recompose;
mod review;
mod show;

use super::{Context, since_arg};
use crate::domain::time::short;
use crate::exit::ExitStatus;
use crate::store::{DraftFilter, DraftStatus};
pub use crate::views::DraftItem;
use clap::{Args, Subcommand};

pub use crate::store::DRAFT_STATUSES;

#[derive(Debug, Subcommand)]
pub enum DraftsCommand {
    /// List drafts, newest first
    List(ListArgs),
    /// Show one draft in full: what the lead wrote, who they are, the draft, what approving does
    Show(ShowArgs),
    /// Approve drafts (in SEND mode this sends them)
    Approve(decide::ApproveArgs),
    /// Reject drafts: they leave the mailbox and are never sent
    Reject(decide::RejectArgs),
    /// Send approved drafts (SEND mode only; every gate is re-checked)
    Send(decide::SendArgs),
    /// Review pending drafts one by one, oldest first (needs a terminal)
    Review(review::ReviewArgs),
    /// Write pending drafts again with the current templates and prompts (the earlier text is
    /// kept as a superseded draft; the mailbox draft is updated in place)
    Recompose(recompose::RecomposeArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_parser = super::state_parser(DRAFT_STATUSES, DraftStatus::parse))]
    pub status: Option<DraftStatus>,
    /// Only drafts from this sender mailbox
    #[arg(long)]
    pub sender: Option<String>,
    /// Only drafts created since: a duration (24h, 7d) or a date
    #[arg(long, value_name = "DURATION|DATE")]
    pub since: Option<String>,
    /// Only drafts whose lead scored at least this
    #[arg(long)]
    pub min_score: Option<i64>,
    #[arg(long, default_value_t = 50, value_parser = crate::cli::positive_limit)]
    pub limit: usize,
    /// Every match, however many
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A draft id (or an unambiguous prefix)
    pub id: String,
}

pub fn run(ctx: &Context, cmd: DraftsCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        DraftsCommand::List(args) => list(ctx, args),
        DraftsCommand::Show(args) => show::run(ctx, args),
        DraftsCommand::Approve(args) => decide::approve(ctx, args),
        DraftsCommand::Reject(args) => decide::reject(ctx, args),
        DraftsCommand::Send(args) => decide::send(ctx, args),
        DraftsCommand::Review(args) => review::run(ctx, args),
        DraftsCommand::Recompose(args) => recompose::run(ctx, args),
    }
}

fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitStatus> {
    let filter = DraftFilter {
        status: args.status,
        sender: args.sender,
        since: since_arg(args.since.as_deref())?,
        min_score: args.min_score,
        limit: super::list_limit(args.limit, args.all),
        oldest_first: false,
    };
    let listed = super::scope::gather(
        ctx,
        filter.limit,
        |app| app.store.list_drafts_page(&filter),
        |a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)),
    )?;
    super::say_if_cut(&ctx.printer, &listed.page, super::MORE_FLAGS);
    let rows = &listed.page.rows;
    if ctx.printer.json() {
        let items: Vec<_> = rows
            .iter()
            .map(|t| listed.item(t, DraftItem::new(&t.row, false)))
            .collect();
        ctx.printer.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        ctx.printer.status("no drafts match");
        return Ok(ExitStatus::Success);
    }
    let mut table = ctx
        .printer
        .table(&listed.headers(&["ID", "STATUS", "TO", "FROM", "SCORE", "SUBJECT", "CREATED"]));
    for t in rows {
        let d = &t.row;
        table.add_row(listed.cells(
            t,
            vec![
                d.id.clone(),
                d.status.to_string(),
                d.recipient.clone(),
                d.sender.clone(),
                d.score.map(|s| s.to_string()).unwrap_or_default(),
                d.subject.clone(),
                short(d.created_at),
            ],
        ));
    }
    ctx.printer.print_table(&table)?;
    Ok(ExitStatus::Success)
}
