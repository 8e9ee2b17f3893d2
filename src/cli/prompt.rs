//! Confirmation in proportion to the danger: `--yes` acts, a terminal asks (dialoguer), anything
//! else is refused with "pass --yes to confirm". Prompts go to stderr.

use super::Context;
use crate::error::Error;

/// Whether to go ahead with `what`: true with `--yes`, the person's answer on a terminal, and an
/// error (exit 2) without a terminal.
pub fn confirm(ctx: &Context, yes: bool, what: &str) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !ctx.printer.interactive() {
        return Err(Error::InvalidInput(format!(
            "{what}: this needs confirmation and there is no terminal to ask on\nhint: pass --yes to confirm"
        ))
        .into());
    }
    Ok(dialoguer::Confirm::new()
        .with_prompt(format!("{what}?"))
        .default(false)
        .interact()?)
}
