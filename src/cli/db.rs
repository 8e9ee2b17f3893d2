//! `salesagent db backup|restore`: online, consistent backups for cron, and restores that check the
//! file before it replaces anything.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Context;
use super::prompt::confirm;
use crate::domain::time::now_ms;
use crate::exit::ExitStatus;
use crate::store::{AuditEntry, DatabaseFacts, Store, inspect_database};

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Write a consistent copy of the database while it is in use
    Backup(BackupArgs),
    /// Replace the database's content with a backup (stop `serve` first)
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to create; it must not exist
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `salesagent db backup`
    pub file: PathBuf,
    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Serialize)]
struct Facts {
    file: String,
    schema_version: i64,
    workflows: i64,
    bytes: u64,
}

fn facts(file: &std::path::Path, f: &DatabaseFacts) -> Facts {
    Facts {
        file: file.display().to_string(),
        schema_version: f.schema_version,
        workflows: f.workflows,
        bytes: f.bytes,
    }
}

pub fn run(ctx: &Context, cmd: DbCommand) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    match cmd {
        DbCommand::Backup(args) => {
            let app = ctx.app()?;
            let written = app.store.backup_to(&args.file)?;
            if p.json() {
                p.print_json(&facts(&args.file, &written))?;
            } else {
                p.line(&format!(
                    "backup {}: {} bytes, {} workflows, schema version {}",
                    args.file.display(),
                    written.bytes,
                    written.workflows,
                    written.schema_version
                ))?;
            }
            Ok(ExitStatus::Success)
        }
        DbCommand::Restore(args) => {
            // Check the backup before asking anything: a bad file never gets near the live data.
            let candidate = inspect_database(&args.file)?;
            let config = ctx.config()?;
            let question = format!(
                "Replace {} with {} ({} workflows)",
                config.db.display(),
                args.file.display(),
                candidate.workflows
            );
            if !confirm(ctx, args.yes, &question)? {
                p.status("restore cancelled");
                return Ok(ExitStatus::Refused);
            }
            let mut store = Store::open(&config.db, &config.tenant)?;
            let restored = store.restore_from(&args.file)?;
            let mut entry = AuditEntry::new(&ctx.actor(args.by.as_deref()), "db.restore", now_ms());
            entry.subject = Some(args.file.display().to_string());
            store.append_audit(&entry)?;
            if p.json() {
                p.print_json(&facts(&args.file, &restored))?;
            } else {
                p.line(&format!(
                    "restored {} from {} ({} workflows)",
                    config.db.display(),
                    args.file.display(),
                    restored.workflows
                ))?;
            }
            Ok(ExitStatus::Success)
        }
    }
}
