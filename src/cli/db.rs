//! `salesagent db backup|restore|copy`: online, consistent backups for cron, restores that check
//! the file before it replaces anything, and the move of a SQLite database to PostgreSQL
//! (`copy.rs`).

mod copy;

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde::Serialize;

use super::prompt::confirm;
use super::{Context, count};
use crate::domain::time::now_ms;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::outfile::{OutputFile, Policy};
use crate::store::{AuditEntry, DatabaseFacts, Store, inspect_database, prepare_restore, swap_in};

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Write a consistent copy of the database while it is in use
    Backup(BackupArgs),
    /// Replace the database with a checked backup (refused while serve or workers run)
    Restore(RestoreArgs),
    /// Copy the SQLite database into an empty PostgreSQL one, then compare row counts
    Copy(copy::CopyArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to create; it must not exist (its directory is created if missing)
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `salesagent db backup`
    pub file: PathBuf,
    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
    /// Restore even while serve or worker processes are alive (their in-flight work is lost)
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Serialize)]
struct Facts {
    file: String,
    schema_version: i64,
    workflows: i64,
    bytes: u64,
    /// The copy of the live database taken before a restore.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<String>,
}

fn facts(file: &Path, f: &DatabaseFacts, previous: Option<&Path>) -> Facts {
    Facts {
        file: file.display().to_string(),
        schema_version: f.schema_version,
        workflows: f.workflows,
        bytes: f.bytes,
        previous: previous.map(|p| p.display().to_string()),
    }
}

pub fn run(ctx: &Context, cmd: DbCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        DbCommand::Backup(args) => backup(ctx, args),
        DbCommand::Restore(args) => restore(ctx, args),
        DbCommand::Copy(args) => copy::run(ctx, args),
    }
}

fn backup(ctx: &Context, args: BackupArgs) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    let config = ctx.config()?;
    sqlite_only(&config, "db backup")?;
    // The whole file, every tenant's rows: no tenant to choose.
    let app = crate::app::App::open_existing(config)?;
    if let Some(dir) = args.file.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create directory {}", dir.display()), e))?;
        p.status(&format!("created directory {}", dir.display()));
    }
    let written = write_backup(&app.store, &app.config.db, &args.file)?;
    if p.json() {
        p.print_json(&facts(&args.file, &written, None))?;
    } else {
        p.line(&format!(
            "backup {}: {}, {}, schema version {}",
            args.file.display(),
            count(written.bytes, "byte"),
            count(written.workflows, "workflow"),
            written.schema_version
        ))?;
    }
    let mail = app.config.data_dir().join("mail");
    if mail.is_dir() {
        p.warn(&format!(
            "the draft files under {} are not in the backup; copy them too (e.g. `cp -a {} BACKUP_DIR/`)",
            mail.display(),
            mail.display()
        ));
    }
    Ok(ExitStatus::Success)
}

/// A backup through the one output writer: never over an existing file, never the database.
fn write_backup(store: &Store, database: &Path, target: &Path) -> anyhow::Result<DatabaseFacts> {
    if std::fs::symlink_metadata(target).is_ok() {
        return Err(Error::Refused(format!(
            "{} already exists (backups never overwrite)\nhint: choose a new file name, or move the \
             old file away first",
            target.display()
        ))
        .into());
    }
    let out = OutputFile::create(
        target,
        Policy {
            force: false,
            database,
        },
    )?;
    let written = store.backup_to(out.temp_path())?;
    out.commit()?;
    Ok(written)
}

fn restore(ctx: &Context, args: RestoreArgs) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    let config = ctx.config()?;
    sqlite_only(&config, "db restore")?;
    // Check the backup completely before anything else: a bad file never gets near live data.
    let candidate = inspect_database(&args.file)?;
    let live_workers = live_worker_processes(&config)?;
    if live_workers > 0 && !args.force {
        return Err(Error::Refused(format!(
            "{live_workers} serve/worker process(es) are alive on {}: a restore now would lose \
             what they accept and leave their mail files orphaned\n\
             hint: stop serve and every worker first, or pass --force",
            config.db.display()
        ))
        .into());
    }
    let question = format!(
        "Replace {} with {} ({})",
        config.db.display(),
        args.file.display(),
        count(candidate.workflows, "workflow")
    );
    if !confirm(ctx, args.yes, &question)? {
        p.status("restore cancelled");
        return Ok(ExitStatus::Refused);
    }
    let previous = keep_previous(&config)?;
    if let Some(path) = &previous {
        p.status(&format!(
            "kept a copy of the live database: {}",
            path.display()
        ));
    }
    let restored = if live_workers > 0 {
        // Others have the file open: replace the content in place, so they see it.
        let mut store = Store::open(&config.db, &config.tenant)?;
        store.restore_in_place(&args.file)?
    } else {
        let prepared = OutputFile::create(
            &sibling(&config.db, "restore"),
            Policy {
                force: false,
                database: &config.db,
            },
        )?;
        let restored = prepare_restore(&args.file, prepared.temp_path(), &config.tenant)?;
        swap_in(&config.db, prepared.temp_path(), &config.tenant)?;
        restored
    };
    // Every tenant's data was replaced, so every tenant's log says so.
    let actor = ctx.actor(args.by.as_deref());
    let at = now_ms();
    for tenant in config.tenant_ids() {
        let mut entry = AuditEntry::new(&actor, "db.restore", at);
        entry.subject = Some(args.file.display().to_string());
        Store::open(&config.db, &tenant)?.append_audit(&entry)?;
    }
    if p.json() {
        p.print_json(&facts(&args.file, &restored, previous.as_deref()))?;
    } else {
        p.line(&format!(
            "restored {} from {} ({})",
            config.db.display(),
            args.file.display(),
            count(restored.workflows, "workflow")
        ))?;
    }
    Ok(ExitStatus::Success)
}

/// Backups and restores copy a SQLite file; PostgreSQL has its own tools for both, which the
/// refusal names (bad input, exit 2), before anything is opened or written.
fn sqlite_only(config: &crate::config::Config, what: &str) -> anyhow::Result<()> {
    match config.db_url() {
        None => Ok(()),
        Some(_) => Err(Error::InvalidInput(format!(
            "`salesagent {what}` copies a SQLite file; --db names a PostgreSQL database ({})\n\
             hint: use PostgreSQL's own tools: pg_dump (and pg_restore) for a logical backup, \
             pg_basebackup (with WAL archiving) for a physical one; copy the data directory's \
             mail/ too",
            config.db_shown()
        ))
        .into()),
    }
}

/// serve/worker processes (intake-only serve included) whose heartbeat is fresh (within a
/// lease, at least 3 s).
fn live_worker_processes(config: &crate::config::Config) -> anyhow::Result<i64> {
    if !config.db.exists() {
        return Ok(0);
    }
    let store = Store::open(&config.db, &config.tenant)?;
    let window = (config.worker.lease_secs.max(3) * 1000) as i64;
    Ok(store.live_processes(now_ms() - window)?)
}

/// `DB.before-restore-<time>` beside the database, a consistent copy taken before it is replaced.
fn keep_previous(config: &crate::config::Config) -> anyhow::Result<Option<PathBuf>> {
    if !config.db.exists() {
        return Ok(None);
    }
    let store = Store::open(&config.db, &config.tenant)?;
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let path = sibling(&config.db, &format!("before-restore-{stamp}"));
    write_backup(&store, &config.db, &path)?;
    Ok(Some(path))
}

/// `DB.suffix` in the database's directory.
fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(format!(".{suffix}"));
    PathBuf::from(name)
}
