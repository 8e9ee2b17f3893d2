//! Everything that asks a person at the terminal: confirmation in proportion to the danger
//! (`--yes` acts, a terminal asks with dialoguer, anything else is refused with "pass --yes to
//! confirm"), one-line answers that end on Ctrl-D, and editing a text in `$EDITOR`. Prompts go to
//! stderr.

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

/// Asks for one line on the terminal (the prompt on stderr); None when the person ends the input
/// (Ctrl-D on an empty line). The terminal's own line editing applies.
pub fn ask_line(prompt: &str) -> std::io::Result<Option<String>> {
    use std::io::Write;
    let mut err = std::io::stderr();
    write!(err, "{prompt}: ")?;
    err.flush()?;
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line)? == 0 {
        // Ctrl-D: the cursor is still on the prompt line.
        writeln!(err)?;
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_string()))
}

/// Lets the person edit `text` in `$VISUAL` or `$EDITOR` (run through `sh`, so it may carry
/// arguments, as git does) and returns what they saved. A missing editor, one that cannot start or
/// one that exits with an error is an `Err` with one line saying so; the text is then unchanged.
pub fn edit_text(text: &str) -> Result<String, String> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty())
        .ok_or("no editor: set $EDITOR (or $VISUAL) to edit drafts")?;
    let path = std::env::temp_dir().join(format!(
        "salesagent-draft-{}-{}.txt",
        std::process::id(),
        crate::store::new_id()
    ));
    let result = edit_file(&editor, &path, text);
    let _ = std::fs::remove_file(&path);
    result
}

fn edit_file(editor: &str, path: &std::path::Path, text: &str) -> Result<String, String> {
    use std::io::Write;
    let failed = |why: String| format!("the editor failed ({editor}): {why}");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))?;
    drop(file);
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("salesagent-editor")
        .arg(path)
        .status()
        .map_err(|e| failed(format!("cannot start it: {e}")))?;
    match status.code() {
        Some(0) => {}
        Some(127) => return Err(failed("command not found".into())),
        Some(code) => return Err(failed(format!("it exited with status {code}"))),
        None => return Err(failed("it was killed by a signal".into())),
    }
    std::fs::read_to_string(path).map_err(|e| failed(format!("cannot read the edit back: {e}")))
}
