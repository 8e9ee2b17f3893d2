//! `salesagent completions SHELL` and `salesagent man`: generated from the clap definitions, so they
//! can never describe a command that does not exist.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Context};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::outfile::{OutputFile, Policy};

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
    /// Replace pages that already exist in --dir
    #[arg(long, requires = "dir")]
    pub force: bool,
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
            // The database is never a page, even when --dir is its directory.
            let database = ctx.config().map(|c| c.db).unwrap_or_default();
            let policy = Policy {
                force: args.force,
                database: &database,
            };
            let written = write_pages(&cmd, &dir, "salesagent", policy)?;
            ctx.printer
                .status(&format!("wrote {written} man pages to {}", dir.display()));
        }
    }
    Ok(ExitStatus::Success)
}

/// One page for the command and one for each subcommand, named like `git`'s (`salesagent-drafts-list.1`).
fn write_pages(
    cmd: &clap::Command,
    dir: &std::path::Path,
    name: &str,
    policy: Policy<'_>,
) -> anyhow::Result<usize> {
    let page = super::manpage::render(cmd.clone(), name)?;
    let path = dir.join(format!("{name}.1"));
    let mut file = OutputFile::create(&path, policy)?;
    file.write_all(page.as_bytes())
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    file.commit()?;
    let mut count = 1;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        count += write_pages(sub, dir, &format!("{name}-{}", sub.get_name()), policy)?;
    }
    Ok(count)
}
