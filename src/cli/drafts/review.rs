//! `salesagent drafts review`: an interactive loop over pending drafts, oldest first, on a terminal
//! only: approve / reject (asks a reason) / edit (`$EDITOR` on subject and body) / skip / quit
//! (or Ctrl-D). An editor that fails is reported in one line and the draft stays as it was.

use clap::Args;

use super::super::Context;
use super::super::prompt::{ask_line, edit_text};
use super::decide::report_rejection;
use super::show::{print_draft, print_page};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::operator::SendOutcome;
use crate::store::{DraftFilter, DraftStatus};

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Only drafts from this sender
    #[arg(long)]
    pub sender: Option<String>,
    /// Who reviews (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
}

/// The text the editor gets, and how an edit comes back: a `Subject:` line, a blank line, the body.
fn to_editable(subject: &str, body: &str) -> String {
    format!("Subject: {subject}\n\n{body}")
}

fn from_editable(text: &str) -> Result<(String, String), Error> {
    let text = text.replace("\r\n", "\n");
    let (first, rest) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let subject = first
        .strip_prefix("Subject:")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::InvalidInput("the edit must start with a non-empty `Subject:` line".into())
        })?;
    let body = rest.strip_prefix('\n').unwrap_or(rest).trim_end();
    if body.is_empty() {
        return Err(Error::InvalidInput("the edit left the body empty".into()));
    }
    Ok((subject.to_string(), format!("{body}\n")))
}

pub fn run(ctx: &Context, args: ReviewArgs) -> anyhow::Result<ExitStatus> {
    if !ctx.printer.interactive() || ctx.printer.json() {
        return Err(Error::InvalidInput(
            "drafts review is interactive and needs a terminal\nhint: use `salesagent drafts approve ID…` or `salesagent drafts reject ID… --reason TEXT` in scripts".into(),
        )
        .into());
    }
    let app = ctx.app()?;
    let actor = ctx.actor(args.by.as_deref());
    let connectors = app.connectors()?;
    let op = app.operator(&connectors);
    let pending = app.store.list_drafts(&DraftFilter {
        status: Some(DraftStatus::PendingReview),
        sender: args.sender,
        limit: 100_000,
        oldest_first: true,
        ..Default::default()
    })?;
    if pending.is_empty() {
        ctx.printer.status("no drafts wait for review");
        return Ok(ExitStatus::Success);
    }
    let total = pending.len();
    let mut tally = Tally::default();
    for (i, listed) in pending.iter().enumerate() {
        let page = op.draft_page(&listed.id)?;
        if page.draft.status != DraftStatus::PendingReview {
            ctx.printer.status(&format!(
                "{} was {} meanwhile; next",
                page.draft.id, page.draft.status
            ));
            continue;
        }
        ctx.printer.line("")?;
        ctx.printer
            .line(&format!("══ draft {} of {total} ══", i + 1))?;
        print_page(ctx, &page)?;
        if review_one(ctx, &op, page.draft, &actor, &mut tally)? == Next::Quit {
            break;
        }
    }
    ctx.printer.status(&format!(
        "reviewed: {} approved, {} rejected, {} edited, {} skipped",
        tally.approved, tally.rejected, tally.edited, tally.skipped
    ));
    Ok(ExitStatus::Success)
}

/// What the loop did, for the closing line.
#[derive(Default)]
struct Tally {
    approved: usize,
    rejected: usize,
    edited: usize,
    skipped: usize,
}

#[derive(PartialEq, Eq)]
enum Next {
    Draft,
    Quit,
}

/// Asks about one draft until it is decided, skipped, or the person quits.
fn review_one(
    ctx: &Context,
    op: &crate::operator::Operator<'_>,
    mut d: crate::store::DraftRow,
    actor: &str,
    tally: &mut Tally,
) -> anyhow::Result<Next> {
    loop {
        let Some(choice) = ask_line("[a]pprove, [r]eject, [e]dit, [s]kip, [q]uit")? else {
            return Ok(Next::Quit);
        };
        match choice.trim().to_lowercase().as_str() {
            "a" | "approve" => {
                match op.approve(&d.id, actor, None) {
                    Ok(a) => {
                        tally.approved += 1;
                        ctx.printer.line(&format!("approved {}", d.id))?;
                        match a.send {
                            Some(SendOutcome::Sent { .. }) => {
                                ctx.printer.line(&format!("sent {}", d.id))?
                            }
                            Some(other) => ctx.printer.warn(&format!("not sent: {other:?}")),
                            None => {}
                        }
                    }
                    Err(e) => ctx.printer.warn(&e.to_string()),
                }
                return Ok(Next::Draft);
            }
            "r" | "reject" => {
                let Some(reason) = ask_line("Reason")? else {
                    return Ok(Next::Quit);
                };
                if reason.trim().is_empty() {
                    ctx.printer.warn("a rejection needs a reason");
                    continue;
                }
                match op.reject(&d.id, actor, reason.trim()) {
                    Ok(r) => {
                        tally.rejected += 1;
                        report_rejection(ctx, &r)?;
                    }
                    Err(e) => ctx.printer.warn(&e.to_string()),
                }
                return Ok(Next::Draft);
            }
            "e" | "edit" => {
                let original = to_editable(&d.subject, &d.body);
                let text = match edit_text(&original) {
                    Ok(text) => text,
                    Err(why) => {
                        ctx.printer.warn(&format!("{why}; the draft is unchanged"));
                        continue;
                    }
                };
                if text.trim_end() == original.trim_end() {
                    ctx.printer.status("no change");
                    continue;
                }
                match from_editable(&text).and_then(|(s, b)| op.edit(&d.id, &s, &b, actor)) {
                    Ok(new) => {
                        d = new;
                        tally.edited += 1;
                        ctx.printer.line(&format!("edited {}", d.id))?;
                        print_draft(ctx, &d)?;
                    }
                    Err(e) => ctx.printer.warn(&e.to_string()),
                }
            }
            "s" | "skip" => {
                tally.skipped += 1;
                return Ok(Next::Draft);
            }
            "q" | "quit" => return Ok(Next::Quit),
            other => ctx
                .printer
                .warn(&format!("{other:?}: answer a, r, e, s or q")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_round_trip() {
        let text = to_editable("Hello", "Body\nline 2\n");
        assert_eq!(
            from_editable(&text).unwrap(),
            ("Hello".into(), "Body\nline 2\n".into())
        );
        assert!(from_editable("no subject\n\nbody").is_err());
        assert!(from_editable("Subject: x\n\n").is_err());
    }
}
