//! `salesagent drafts recompose ID…|--all-pending`: after a template or prompt change, pending
//! drafts are written again (compose and guard with the current configuration); the new text
//! replaces the draft in the store and in the mailbox, the earlier one is kept as `superseded`.

use clap::Args;

use super::super::Context;
use super::super::prompt::confirm;
use super::decide::{Item, Results, pending};
use crate::exit::ExitStatus;

#[derive(Debug, Args)]
pub struct RecomposeArgs {
    /// Draft ids (or unambiguous prefixes); each must be pending review
    #[arg(
        required_unless_present = "all_pending",
        conflicts_with = "all_pending"
    )]
    pub ids: Vec<String>,
    /// Every pending draft (narrow it with --sender and --min-score)
    #[arg(long)]
    pub all_pending: bool,
    /// With --all-pending: only drafts from this sender
    #[arg(long, requires = "all_pending")]
    pub sender: Option<String>,
    /// With --all-pending: only drafts whose lead scored at least this
    #[arg(long, requires = "all_pending")]
    pub min_score: Option<i64>,
    /// Who recomposes (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
    /// Do not ask before recomposing every pending draft
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(ctx: &Context, args: RecomposeArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let actor = ctx.actor(args.by.as_deref());
    let ids: Vec<String> = if args.all_pending {
        let drafts = pending(&app, args.sender.clone(), args.min_score)?;
        if drafts.is_empty() {
            ctx.printer.status("no pending drafts match");
            if ctx.printer.json() {
                ctx.printer.print_json(&Vec::<Item>::new())?;
            }
            return Ok(ExitStatus::Success);
        }
        if !confirm(
            ctx,
            args.yes,
            &format!("recompose {} pending draft(s)", drafts.len()),
        )? {
            ctx.printer.status("nothing recomposed");
            return Ok(ExitStatus::Success);
        }
        drafts.into_iter().map(|d| d.id).collect()
    } else {
        args.ids
    };
    let connectors = app.connectors()?;
    let op = app.operator(&connectors);
    let pipeline = app.pipeline(&connectors);
    let mut results = Results::new();
    for raw in &ids {
        let outcome = app
            .store
            .resolve_draft_id(raw)
            .and_then(|id| op.recompose(&id, &actor, &pipeline));
        match outcome {
            Ok(r) => {
                if !ctx.printer.json() {
                    ctx.printer.line(&format!(
                        "recomposed {} ({}): {:?}; the earlier text is kept as superseded draft {}",
                        r.draft.id, r.draft.recipient, r.draft.subject, r.superseded_id
                    ))?;
                }
                results
                    .items
                    .push(Item::superseding(&r.draft, r.superseded_id));
            }
            Err(e) => results.error(ctx, raw, e),
        }
    }
    results.finish(ctx)
}
