//! `salesagent drafts review`: an interactive loop over pending drafts, oldest first, on a terminal
//! only: approve / reject (asks a reason) / edit (`$EDITOR` on subject and body) / skip / quit.

use clap::Args;

use super::super::Context;
use super::print_draft;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::operator::SendOutcome;
use crate::store::DraftFilter;

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
        status: Some("pending_review".into()),
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
    let (mut approved, mut rejected, mut skipped) = (0, 0, 0);
    'drafts: for (i, listed) in pending.iter().enumerate() {
        let mut d = app.store.get_draft(&listed.id)?;
        if d.status != "pending_review" {
            ctx.printer
                .status(&format!("{} was {} meanwhile; next", d.id, d.status));
            continue;
        }
        ctx.printer.line("")?;
        ctx.printer
            .line(&format!("── draft {} of {total} ──", i + 1))?;
        print_draft(ctx, &d)?;
        loop {
            let choice: String = dialoguer::Input::new()
                .with_prompt("[a]pprove, [r]eject, [e]dit, [s]kip, [q]uit")
                .interact_text()?;
            match choice.trim().to_lowercase().as_str() {
                "a" | "approve" => {
                    match op.approve(&d.id, &actor, None) {
                        Ok(a) => {
                            approved += 1;
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
                    continue 'drafts;
                }
                "r" | "reject" => {
                    let reason: String = dialoguer::Input::new()
                        .with_prompt("Reason")
                        .interact_text()?;
                    if reason.trim().is_empty() {
                        ctx.printer.warn("a rejection needs a reason");
                        continue;
                    }
                    match op.reject(&d.id, &actor, reason.trim()) {
                        Ok(r) => {
                            rejected += 1;
                            if let Some(w) = &r.mailbox_warning {
                                ctx.printer.warn(w);
                            }
                            ctx.printer.line(&format!("rejected {}", d.id))?;
                        }
                        Err(e) => ctx.printer.warn(&e.to_string()),
                    }
                    continue 'drafts;
                }
                "e" | "edit" => {
                    let original = to_editable(&d.subject, &d.body);
                    let edited = dialoguer::Editor::new()
                        .extension(".txt")
                        .require_save(false)
                        .edit(&original)?;
                    let Some(text) = edited.filter(|t| t.trim_end() != original.trim_end()) else {
                        ctx.printer.status("no change");
                        continue;
                    };
                    match from_editable(&text).and_then(|(s, b)| op.edit(&d.id, &s, &b, &actor)) {
                        Ok(new) => {
                            d = new;
                            ctx.printer.line(&format!("edited {}", d.id))?;
                            print_draft(ctx, &d)?;
                        }
                        Err(e) => ctx.printer.warn(&e.to_string()),
                    }
                }
                "s" | "skip" => {
                    skipped += 1;
                    continue 'drafts;
                }
                "q" | "quit" => break 'drafts,
                other => ctx
                    .printer
                    .warn(&format!("{other:?}: answer a, r, e, s or q")),
            }
        }
    }
    ctx.printer.status(&format!(
        "reviewed: {approved} approved, {rejected} rejected, {skipped} skipped"
    ));
    Ok(ExitStatus::Success)
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
