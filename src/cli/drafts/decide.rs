//! `salesagent drafts approve|reject|send`: decisions and sends, one line per draft (or `--json`);
//! the rules live in `operator`, the guarded state changes in the store.

use clap::Args;

use super::super::prompt::confirm;
use super::super::{Context, count};
use crate::exit::ExitStatus;
use crate::operator::{Rejection, SendOutcome, TaskClosing};
use crate::store::{DraftFilter, DraftRow, DraftStatus, MODE_SEND};

/// Which drafts a bulk-capable command acts on: ids, or every pending draft (narrowed).
#[derive(Debug, Args)]
pub struct Selection {
    /// Draft ids (or unambiguous prefixes)
    #[arg(
        required_unless_present = "all_pending",
        conflicts_with = "all_pending"
    )]
    pub ids: Vec<String>,
    /// Every pending draft, oldest first (narrow it with --sender and --min-score)
    #[arg(long)]
    pub all_pending: bool,
    /// With --all-pending: only drafts from this sender
    #[arg(long, requires = "all_pending")]
    pub sender: Option<String>,
    /// With --all-pending: only drafts whose lead scored at least this
    #[arg(long, requires = "all_pending")]
    pub min_score: Option<i64>,
    /// Do not ask before acting on every pending draft
    #[arg(long, short = 'y')]
    pub yes: bool,
}

impl Selection {
    /// The draft ids to act on; None when there is nothing to do (no pending draft matches, or
    /// the person said no). Asks "`verb` N pending draft(s)`consequence`?".
    pub(super) fn resolve(
        self,
        ctx: &Context,
        app: &crate::app::App,
        verb: &str,
        consequence: &str,
    ) -> anyhow::Result<Option<Vec<String>>> {
        if !self.all_pending {
            return Ok(Some(self.ids));
        }
        let drafts = app.store.list_drafts(&DraftFilter {
            status: Some(DraftStatus::PendingReview),
            sender: self.sender,
            since: None,
            min_score: self.min_score,
            limit: 100_000,
            oldest_first: true,
        })?;
        if drafts.is_empty() {
            ctx.printer.status("no pending drafts match");
            if ctx.printer.json() {
                ctx.printer.print_json(&Vec::<Item>::new())?;
            }
            return Ok(None);
        }
        ctx.printer.status(&format!(
            "{} match",
            count(drafts.len() as u64, "pending draft")
        ));
        let question = format!(
            "{verb} {}{consequence}",
            count(drafts.len() as u64, "pending draft")
        );
        if !confirm(ctx, self.yes, &question)? {
            ctx.printer.status(&format!("nothing {verb}d"));
            return Ok(None);
        }
        Ok(Some(drafts.into_iter().map(|d| d.id).collect()))
    }
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Who approves (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
    /// A note kept with the decision
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    /// Draft ids (or unambiguous prefixes)
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Why (kept in the audit log)
    #[arg(long)]
    pub reason: String,
    /// Who rejects (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Draft ids (or unambiguous prefixes)
    #[arg(required_unless_present = "approved", conflicts_with = "approved")]
    pub ids: Vec<String>,
    /// Every approved draft (oldest first)
    #[arg(long)]
    pub approved: bool,
    /// Who sends (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
    /// Do not ask first
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub(super) use crate::views::DecisionItem as Item;

/// Collects per-draft results and the exit status: the first failure's, or success.
pub(super) struct Results {
    pub(super) items: Vec<Item>,
    status: ExitStatus,
}

impl Results {
    pub(super) fn new() -> Results {
        Results {
            items: vec![],
            status: ExitStatus::Success,
        }
    }

    fn worse(&mut self, status: ExitStatus) {
        if self.status == ExitStatus::Success {
            self.status = status;
        }
    }

    pub(super) fn error(&mut self, ctx: &Context, id: &str, err: crate::error::Error) {
        let err = anyhow::Error::from(err);
        self.worse(ExitStatus::for_error(&err));
        if !ctx.printer.json() {
            eprintln!("error: {err:#}");
        }
        self.items.push(Item {
            id: id.to_string(),
            status: None,
            reviewer: None,
            send: None,
            task: None,
            superseded_id: None,
            error: Some(format!("{err:#}")),
        });
    }

    pub(super) fn finish(self, ctx: &Context) -> anyhow::Result<ExitStatus> {
        if ctx.printer.json() {
            ctx.printer.print_json(&self.items)?;
        }
        Ok(self.status)
    }
}

/// Prints what a send did, and notes its exit status.
fn report_send(ctx: &Context, results: &mut Results, d: &DraftRow, send: &SendOutcome) {
    let line = match send {
        SendOutcome::Sent { .. } => format!("sent {} to {}", d.id, d.recipient),
        SendOutcome::Waiting { window } => format!(
            "waiting {}: outside the send window ({window}); it stays approved, run `salesagent drafts send --approved` inside the window",
            d.id
        ),
        SendOutcome::Refused { reason } => {
            results.worse(ExitStatus::Refused);
            format!("not sent {}: {reason}", d.id)
        }
        SendOutcome::Failed { error } => {
            results.worse(ExitStatus::Failure);
            format!(
                "send failed {}: {error}\nhint: the draft is send_failed and is never retried automatically; check the mailbox before doing anything",
                d.id
            )
        }
    };
    if !ctx.printer.json() {
        let _ = ctx.printer.line(&line);
    }
}

pub fn approve(ctx: &Context, args: ApproveArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let actor = ctx.actor(args.by.as_deref());
    let sending = if app.store.mode()?.mode == MODE_SEND {
        " and send them (the mode is send)"
    } else {
        ""
    };
    let Some(ids) = args.selection.resolve(ctx, &app, "approve", sending)? else {
        return Ok(ExitStatus::Success);
    };
    let connectors = app.connectors()?;
    let op = app.operator(&connectors);
    let mut results = Results::new();
    let mut any_approved = false;
    for raw in &ids {
        let outcome = app
            .store
            .resolve_draft_id(raw)
            .and_then(|id| op.approve(&id, &actor, args.note.as_deref()));
        match outcome {
            Ok(a) => {
                any_approved = true;
                if !ctx.printer.json() {
                    ctx.printer
                        .line(&format!("approved {} ({})", a.draft.id, a.draft.recipient))?;
                }
                if let Some(send) = &a.send {
                    report_send(ctx, &mut results, &a.draft, send);
                }
                results.items.push(Item::of(&a.draft, a.send));
            }
            Err(e) => results.error(ctx, raw, e),
        }
    }
    if any_approved && app.store.mode()?.mode != MODE_SEND {
        ctx.printer.status(
            "the mode is draft_only: approved drafts are not sent (see `salesagent mode show`)",
        );
    }
    results.finish(ctx)
}

pub fn reject(ctx: &Context, args: RejectArgs) -> anyhow::Result<ExitStatus> {
    if args.reason.trim().is_empty() {
        return Err(crate::error::Error::InvalidInput(
            "--reason must say why the draft is rejected".into(),
        )
        .into());
    }
    let app = ctx.app()?;
    let actor = ctx.actor(args.by.as_deref());
    let connectors = app.connectors()?;
    let op = app.operator(&connectors);
    let mut results = Results::new();
    for raw in &args.ids {
        let outcome = app
            .store
            .resolve_draft_id(raw)
            .and_then(|id| op.reject(&id, &actor, &args.reason));
        match outcome {
            Ok(r) => {
                report_rejection(ctx, &r)?;
                results.items.push(Item {
                    task: Some(r.task.clone()),
                    ..Item::of(&r.draft, None)
                });
            }
            Err(e) => results.error(ctx, raw, e),
        }
    }
    results.finish(ctx)
}

/// What a rejection did: the draft line, then its follow-up task (or why it stays open).
pub(super) fn report_rejection(ctx: &Context, r: &Rejection) -> std::io::Result<()> {
    if let Some(w) = &r.mailbox_warning {
        ctx.printer.warn(w);
    }
    if let TaskClosing::Failed {
        crm,
        remote_task_id,
        error,
    } = &r.task
    {
        ctx.printer.warn(&format!(
            "draft {} is rejected, but its follow-up task {remote_task_id} in {crm} stays open: {error}\nhint: close the task in the CRM by hand",
            r.draft.id
        ));
    }
    if ctx.printer.json() {
        return Ok(());
    }
    ctx.printer
        .line(&format!("rejected {} ({})", r.draft.id, r.draft.recipient))?;
    match &r.task {
        TaskClosing::Completed {
            crm,
            remote_task_id,
        } => ctx.printer.line(&format!(
            "  its follow-up task {remote_task_id} in {crm} is marked completed (the rejection is noted in the task)"
        )),
        TaskClosing::NoTask => ctx.printer.line(
            "  it has no follow-up task yet; the task its workflow creates later is marked completed at once",
        ),
        TaskClosing::Failed { .. } => Ok(()),
    }
}

pub fn send(ctx: &Context, args: SendArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let actor = ctx.actor(args.by.as_deref());
    let ids: Vec<String> = if args.approved {
        app.store
            .list_drafts(&DraftFilter {
                status: Some(DraftStatus::Approved),
                limit: 100_000,
                oldest_first: true,
                ..Default::default()
            })?
            .into_iter()
            .map(|d| d.id)
            .collect()
    } else {
        args.ids
            .iter()
            .map(|id| app.store.resolve_draft_id(id))
            .collect::<Result<_, _>>()?
    };
    if ids.is_empty() {
        ctx.printer.status("no approved drafts to send");
        if ctx.printer.json() {
            ctx.printer.print_json(&Vec::<Item>::new())?;
        }
        return Ok(ExitStatus::Success);
    }
    if app.store.mode()?.mode != MODE_SEND {
        return Err(crate::error::Error::Refused(
            "the mode is draft_only: nothing is sent\nhint: an operator switches it with `salesagent mode set send --reason …` once every gate passes".into(),
        )
        .into());
    }
    if !confirm(
        ctx,
        args.yes,
        &format!("send {}", count(ids.len() as u64, "draft")),
    )? {
        ctx.printer.status("nothing sent");
        return Ok(ExitStatus::Success);
    }
    let connectors = app.connectors()?;
    let op = app.operator(&connectors);
    let mut results = Results::new();
    for id in &ids {
        match op.send(id, &actor) {
            Ok(send) => {
                let d = app.store.get_draft(id)?;
                report_send(ctx, &mut results, &d, &send);
                results.items.push(Item::of(&d, Some(send)));
            }
            Err(e) => results.error(ctx, id, e),
        }
    }
    results.finish(ctx)
}
