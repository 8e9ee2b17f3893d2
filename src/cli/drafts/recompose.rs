//! `salesagent drafts recompose ID…|--all-pending`: after a template or prompt change, pending
//! drafts are written again (compose and guard with the current configuration); the new text
//! replaces the draft in the store and in the mailbox, the earlier one is kept as `superseded`.

use clap::Args;

use super::super::Context;
use super::decide::{Item, Results, Selection};
use crate::exit::ExitStatus;

#[derive(Debug, Args)]
pub struct RecomposeArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Who recomposes (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
}

pub fn run(ctx: &Context, args: RecomposeArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let actor = ctx.actor(args.by.as_deref());
    let Some(ids) = args.selection.resolve(ctx, &app, "recompose", "")? else {
        return Ok(ExitStatus::Success);
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
