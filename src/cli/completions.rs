//! `salesagent completions SHELL` and `salesagent man`: generated from the clap definitions, so they
//! can never describe a command that does not exist.

use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Context};
use crate::error::Error;
use crate::exit::ExitStatus;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command into this directory instead of printing the main page
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn completions(ctx: &Context, args: CompletionsArgs) -> anyhow::Result<ExitStatus> {
    let mut cmd = Cli::command();
    // Into a buffer first: `generate` panics when its writer fails (a closed pipe), while the
    // Printer's error reaches `main`, which ends quietly on a broken pipe.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "salesagent", &mut script);
    ctx.printer.write_raw(&script)?;
    Ok(ExitStatus::Success)
}

pub fn man(ctx: &Context, args: ManArgs) -> anyhow::Result<ExitStatus> {
    let cmd = Cli::command();
    match args.dir {
        None => {
            let page = super::manpage::render(cmd, "salesagent")?;
            ctx.printer.line(page.trim_end())?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
            let written = write_pages(&cmd, &dir, "salesagent")?;
            ctx.printer
                .status(&format!("wrote {written} man pages to {}", dir.display()));
        }
    }
    Ok(ExitStatus::Success)
}

/// One page for the command and one for each subcommand, named like `git`'s (`salesagent-drafts-list.1`).
fn write_pages(cmd: &clap::Command, dir: &std::path::Path, name: &str) -> anyhow::Result<usize> {
    let page = super::manpage::render(cmd.clone(), name)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, page)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    let mut count = 1;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        count += write_pages(sub, dir, &format!("{name}-{}", sub.get_name()))?;
    }
    Ok(count)
}
