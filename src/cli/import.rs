//! `salesagent import FILE.csv` and `import list|status|errors|pause|resume|cancel`: the CLI face
//! of `crate::import`, with a progress bar on a terminal and a summary (or `--json`) at the end.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use indicatif::ProgressBar;
use serde::Serialize;

use super::{Context, MORE_FLAGS, count, list_limit, say_if_cut, thousands};
use crate::domain::time::{now_ms, rfc3339, short};
use crate::exit::ExitStatus;
use crate::import::{self, ImportOptions, Progress, Summary, header};
use crate::outfile::{CsvOut, OutputFile, Policy};
use crate::store::{ImportRow, Store, WorkflowStatus, import_state, owner_is_gone};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub command: Option<ImportCommand>,
    /// A CSV file with a header line: email, firstName, lastName, company, formId
    #[arg(value_name = "FILE.csv", required = true)]
    pub file: Option<PathBuf>,
    /// The form id for rows without one (files with no formId column need it)
    #[arg(long, value_name = "ID")]
    pub form_id: Option<String>,
    /// Read COLUMN as FIELD (email, first_name, last_name, full_name, company, job_title, phone,
    /// message, form_id, custom, ignore); repeatable
    #[arg(long, value_name = "COLUMN=FIELD")]
    pub map: Vec<String>,
    /// Validate every row and report, writing nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// List imports, newest first
    List(ListArgs),
    /// Rows read, accepted and rejected, and how far the import's workflows have got
    Status(IdArgs),
    /// The rejected rows of an import (`--format csv`: ready to fix and import again)
    Errors(ErrorsArgs),
    /// Hold the import's queued jobs (workers skip them) and stop reading its file
    Pause(IdArgs),
    /// Release held (or cancelled) jobs, and continue reading the file from the checkpoint if it
    /// was not finished
    Resume(ResumeArgs),
    /// Cancel the import's queued jobs; finished work is kept (`import resume` undoes it)
    Cancel(IdArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, default_value_t = 50, value_parser = crate::cli::positive_limit)]
    pub limit: usize,
    /// Every match, however many
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// An import id (or an unambiguous prefix)
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ErrorsArgs {
    pub id: String,
    /// table (default), csv (the rows plus error_row, error_column, error_reason,
    /// error_extra_fields), or json
    #[arg(long, value_parser = ["table", "csv", "json"], default_value = "table")]
    pub format: String,
    /// Write the csv or json here instead of stdout (never over an existing file without --force)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the --output file if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    pub id: String,
    /// Where the file is now, if it moved since the import started
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: ImportArgs) -> anyhow::Result<ExitStatus> {
    match args.command {
        Some(ImportCommand::List(a)) => list(ctx, a),
        Some(ImportCommand::Status(a)) => status(ctx, a),
        Some(ImportCommand::Errors(a)) => errors(ctx, a),
        Some(ImportCommand::Pause(a)) => pause(ctx, a),
        Some(ImportCommand::Resume(a)) => resume(ctx, a),
        Some(ImportCommand::Cancel(a)) => cancel(ctx, a),
        None => import_file(ctx, args),
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn import_file(ctx: &Context, args: ImportArgs) -> anyhow::Result<ExitStatus> {
    let file = args.file.expect("clap requires FILE");
    let mut options = ImportOptions {
        path: absolute(&file),
        form_id: args.form_id,
        map: header::parse_maps(&args.map)?,
        ..ImportOptions::default()
    };
    let bar = super::progress_bar(
        ctx,
        "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}%  {msg}  ETA {eta}",
    );
    let mut on_progress = |p: &Progress| update(&bar, p);
    if args.dry_run {
        // A dry run reads the database only if it exists: it must not even create the file.
        let config = ctx.config()?;
        let tenant = ctx.tenant(&config)?;
        options.portals = config.for_tenant(&tenant)?.portal_policy();
        let app = if config.has_database() {
            Some(ctx.app()?)
        } else {
            None
        };
        let summary = import::dry_run(app.as_ref().map(|a| &a.store), &options, &mut on_progress)?;
        bar.finish_and_clear();
        report(ctx, &summary, None)
    } else {
        let app = ctx.app_creating()?;
        options.lock_ms = app.config.import.lock_ms();
        options.portals = app.config.portal_policy();
        let summary = import::import_file(&app.store, options, &mut on_progress)?;
        bar.finish_and_clear();
        report(ctx, &summary, Some(&app.store))
    }
}

fn update(bar: &ProgressBar, p: &Progress) {
    if bar.is_hidden() {
        return;
    }
    bar.set_length(p.total_bytes.max(1));
    bar.set_position(p.bytes_read.min(p.total_bytes));
    let secs = bar.elapsed().as_secs_f64().max(0.001);
    bar.set_message(format!(
        "{}  {:.0} rows/s  {} rejected",
        count(p.rows_read, "row"),
        p.rows_read as f64 / secs,
        p.rejected
    ));
}

/// The summary of an import run. With the store, the headline says what the import is doing now
/// (`processing` while its workflows are queued), as `import list` and `import status` do.
fn report(ctx: &Context, s: &Summary, store: Option<&Store>) -> anyhow::Result<ExitStatus> {
    // A file imported before was not rejected now: its old rejects are history, not news.
    let status = if s.rows_rejected > 0 && !s.already_imported {
        ExitStatus::RowsRejected
    } else {
        ExitStatus::Success
    };
    if ctx.printer.json() {
        ctx.printer.print_json(s)?;
        return Ok(status);
    }
    let id = s.import_id.as_deref().unwrap_or("-");
    if s.already_imported {
        ctx.printer.status(&format!(
            "{} was already imported (import {id}, {} accepted, {} rejected then); nothing new to import",
            s.file, s.rows_accepted, s.rows_rejected
        ));
        ctx.printer.status(&format!(
            "hint: `salesagent import status {id}` shows its progress, `salesagent import errors {id}` its rejected rows"
        ));
        return Ok(status);
    }
    for note in &s.notes {
        ctx.printer.warn(note);
    }
    if let Some(row) = s.resumed_after_row {
        ctx.printer
            .status(&format!("resumed import {id} after row {row}"));
    }
    let verb = if s.dry_run {
        "dry run: would import"
    } else {
        "imported"
    };
    ctx.printer.line(&format!(
        "{verb} {} of {} from {}; {} rejected{}",
        s.rows_accepted,
        count(s.rows_read, "row"),
        s.file,
        s.rows_rejected,
        if s.dry_run {
            String::new()
        } else {
            format!("  (import {id}, {})", status_now(store, s)?)
        }
    ))?;
    for e in &s.errors {
        ctx.printer.line(&format!(
            "  row {}{}: {}",
            e.row,
            e.column
                .as_deref()
                .map(|c| format!(", column {c}"))
                .unwrap_or_default(),
            e.reason
        ))?;
    }
    if (s.rows_rejected as usize) > s.errors.len() {
        // A resumed run lists only the rows it rejected itself; the others are in the store.
        let more = s.rows_rejected as usize - s.errors.len();
        let which = if s.errors.is_empty() { "" } else { " more" };
        ctx.printer.line(&format!(
            "  {more}{which} rejected {}: `salesagent import errors {id}` lists them",
            if more == 1 { "row" } else { "rows" }
        ))?;
    }
    match s.state.as_str() {
        import_state::PAUSED => ctx.printer.status(&format!(
            "import {id} is paused; continue with `salesagent import resume {id}`"
        )),
        import_state::CANCELLED => ctx.printer.status(&format!("import {id} was cancelled")),
        _ if s.rows_rejected > 0 && !s.dry_run => ctx.printer.status(&format!(
            "hint: `salesagent import errors {id} --format csv > fix.csv`, fix the rows, and import fix.csv"
        )),
        _ => {}
    }
    Ok(status)
}

/// The import's status for a summary's headline: what it is doing now when the store is at hand,
/// else its stored state.
fn status_now(store: Option<&Store>, s: &Summary) -> anyhow::Result<String> {
    match (store, s.import_id.as_deref()) {
        (Some(store), Some(id)) if s.state == import_state::COMPLETED => {
            Ok(ImportStatus::of(store, &store.get_import(id)?)?
                .as_str()
                .to_string())
        }
        _ => Ok(s.state.clone()),
    }
}

/// What an import is doing, as the operator needs to know it: the stored state says whether its
/// file was read; this also says whether the process reading it is gone and whether its
/// workflows are still being worked on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum ImportStatus {
    /// A live process is reading the file.
    Reading,
    /// The file was not read to the end and no process is reading it (killed): resume it.
    Interrupted,
    Paused,
    Cancelled,
    /// The file was read; some of its workflows are not finished yet.
    Processing,
    /// The file was read and every workflow finished.
    Completed,
}

impl ImportStatus {
    fn of(store: &Store, import: &ImportRow) -> anyhow::Result<ImportStatus> {
        Ok(match import.state.as_str() {
            import_state::RUNNING => {
                let alive = store.import_runner(&import.id)?.is_some_and(|holder| {
                    holder.expires_at > now_ms() && !owner_is_gone(&holder.owner)
                });
                if alive {
                    ImportStatus::Reading
                } else {
                    ImportStatus::Interrupted
                }
            }
            import_state::PAUSED => ImportStatus::Paused,
            import_state::CANCELLED => ImportStatus::Cancelled,
            _ if store.import_unfinished_jobs(&import.id)? > 0 => ImportStatus::Processing,
            _ => ImportStatus::Completed,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Reading => "reading",
            ImportStatus::Interrupted => "interrupted",
            ImportStatus::Paused => "paused",
            ImportStatus::Cancelled => "cancelled",
            ImportStatus::Processing => "processing",
            ImportStatus::Completed => "completed",
        }
    }

    /// What to do next, when there is something to do.
    fn hint(self, id: &str) -> Option<String> {
        match self {
            ImportStatus::Interrupted => Some(format!(
                "hint: the process reading it is gone; continue with `salesagent import resume {id}`"
            )),
            ImportStatus::Paused => Some(format!(
                "hint: continue with `salesagent import resume {id}`"
            )),
            ImportStatus::Cancelled => Some(format!(
                "hint: `salesagent import resume {id}` runs what was cancelled and reads the rest"
            )),
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct ImportItem<'a> {
    id: &'a str,
    file_name: &'a str,
    /// As stored: running (reading the file), paused, cancelled or completed (file read).
    state: &'a str,
    /// What is happening now: reading, interrupted, paused, cancelled, processing, completed.
    status: ImportStatus,
    rows_read: i64,
    rows_accepted: i64,
    rows_rejected: i64,
    checkpoint_row: i64,
    created_at: String,
    finished_at: Option<String>,
}

impl<'a> ImportItem<'a> {
    fn new(i: &'a ImportRow, status: ImportStatus) -> Self {
        ImportItem {
            id: &i.id,
            file_name: &i.file_name,
            state: &i.state,
            status,
            rows_read: i.rows_read,
            rows_accepted: i.rows_accepted,
            rows_rejected: i.rows_rejected,
            checkpoint_row: i.checkpoint_row,
            created_at: rfc3339(i.created_at),
            finished_at: i.finished_at.map(rfc3339),
        }
    }
}

fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitStatus> {
    let limit = list_limit(args.limit, args.all);
    let listed = super::scope::gather(
        ctx,
        limit,
        |app| -> anyhow::Result<_> {
            let page = app.store.list_imports(limit)?;
            let rows = page
                .rows
                .into_iter()
                .map(|i| Ok((ImportStatus::of(&app.store, &i)?, i)))
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok(crate::store::Page {
                rows,
                total: page.total,
            })
        },
        |(_, a), (_, b)| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)),
    )?;
    say_if_cut(&ctx.printer, &listed.page, MORE_FLAGS);
    let rows = &listed.page.rows;
    if ctx.printer.json() {
        let items: Vec<_> = rows
            .iter()
            .map(|t| listed.item(t, ImportItem::new(&t.row.1, t.row.0)))
            .collect();
        ctx.printer.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        ctx.printer.status("no imports yet");
        return Ok(ExitStatus::Success);
    }
    let mut table = ctx.printer.table(&listed.headers(&[
        "ID", "FILE", "STATUS", "READ", "ACCEPTED", "REJECTED", "STARTED",
    ]));
    for t in rows {
        let (s, i) = &t.row;
        table.add_row(listed.cells(
            t,
            vec![
                i.id.clone(),
                i.file_name.clone(),
                s.as_str().to_string(),
                i.rows_read.to_string(),
                i.rows_accepted.to_string(),
                i.rows_rejected.to_string(),
                short(i.created_at),
            ],
        ));
    }
    ctx.printer.print_table(&table)?;
    if rows.iter().any(|t| t.row.0 == ImportStatus::Interrupted) {
        ctx.printer.status(
            "hint: an interrupted import's process is gone; continue it with `salesagent import resume ID`",
        );
    }
    Ok(ExitStatus::Success)
}

#[derive(Serialize)]
struct StatusView<'a> {
    #[serde(flatten)]
    import: ImportItem<'a>,
    workflows_completed: i64,
    workflows: std::collections::BTreeMap<String, i64>,
    jobs: std::collections::BTreeMap<String, i64>,
}

fn resolve(store: &Store, id: &str) -> anyhow::Result<ImportRow> {
    Ok(store.get_import(&store.resolve_import_id(id)?)?)
}

fn status(ctx: &Context, args: IdArgs) -> anyhow::Result<ExitStatus> {
    let found = super::scope::find_in_tenants(ctx, "import", &args.id, |app| {
        app.store.resolve_import_id(&args.id)
    })?;
    let app = &found.app;
    let import = app.store.get_import(&found.value)?;
    let progress = app.store.import_progress(&import.id)?;
    let import_status = ImportStatus::of(&app.store, &import)?;
    let workflows: std::collections::BTreeMap<String, i64> =
        progress.workflows.into_iter().collect();
    let view = StatusView {
        import: ImportItem::new(&import, import_status),
        workflows_completed: workflows
            .get(WorkflowStatus::Completed.as_str())
            .copied()
            .unwrap_or(0),
        workflows,
        jobs: progress.jobs.into_iter().collect(),
    };
    if ctx.printer.json() {
        ctx.printer.print_json(&found.json(&view))?;
        return Ok(ExitStatus::Success);
    }
    let p = &ctx.printer;
    if let Some(tenant) = found.tenant() {
        p.line(&format!("tenant    {tenant}"))?;
    }
    p.line(&format!("import    {}", import.id))?;
    p.line(&format!("file      {}", import.file_name))?;
    let total: i64 = view.workflows.values().sum();
    let unfinished: i64 = view
        .workflows
        .iter()
        .filter(|(s, _)| WorkflowStatus::parse(s).is_some_and(WorkflowStatus::is_under_way))
        .map(|(_, n)| n)
        .sum();
    let state = match import_status {
        ImportStatus::Processing => format!(
            "processing: file read, {} of {} {} not finished yet",
            thousands(unfinished as u64),
            thousands(total as u64),
            if total == 1 { "workflow" } else { "workflows" }
        ),
        ImportStatus::Reading => "reading the file".to_string(),
        ImportStatus::Interrupted => format!(
            "interrupted: the file was read up to row {} and no process is reading it",
            import.checkpoint_row
        ),
        other => other.as_str().to_string(),
    };
    p.line(&format!("status    {state}"))?;
    p.line(&format!(
        "rows      {} read, {} accepted, {} rejected",
        import.rows_read, import.rows_accepted, import.rows_rejected
    ))?;
    let join = |m: &std::collections::BTreeMap<String, i64>| {
        if m.is_empty() {
            "none".to_string()
        } else {
            m.iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    p.line(&format!(
        "workflows {}: {}",
        thousands(total as u64),
        join(&view.workflows)
    ))?;
    p.line(&format!("jobs      {}", join(&view.jobs)))?;
    p.line(&format!("started   {}", short(import.created_at)))?;
    if let Some(f) = import.finished_at {
        p.line(&format!("finished  {}", short(f)))?;
    }
    if let Some(hint) = import_status.hint(&import.id) {
        p.status(&hint);
    }
    Ok(ExitStatus::Success)
}

fn errors(ctx: &Context, args: ErrorsArgs) -> anyhow::Result<ExitStatus> {
    let found = super::scope::find_in_tenants(ctx, "import", &args.id, |app| {
        app.store.resolve_import_id(&args.id)
    })?;
    let app = &found.app;
    let import = app.store.get_import(&found.value)?;
    let rows = app.store.import_errors(&import.id)?;
    let format = if ctx.printer.json() {
        "json"
    } else {
        args.format.as_str()
    };
    let document = match format {
        "json" => {
            let items: Vec<import::SummaryError> =
                rows.iter().map(import::SummaryError::from).collect();
            if args.output.is_none() {
                ctx.printer.print_json(&items)?;
                return Ok(ExitStatus::Success);
            }
            Some(serde_json::to_vec(&items)?)
        }
        "csv" => {
            let options: ImportOptions = serde_json::from_str(&import.options).unwrap_or_default();
            Some(errors_csv(&original_header(&options), &rows)?)
        }
        _ => None,
    };
    match (document, &args.output) {
        (Some(bytes), Some(path)) => {
            let mut file = OutputFile::create(
                path,
                Policy {
                    force: args.force,
                    database: &app.config.db,
                },
            )?;
            file.write_all(&bytes)?;
            file.write_all(b"\n")?;
            file.commit()?;
            ctx.printer.status(&format!(
                "wrote {} to {}",
                count(rows.len() as u64, "rejected row"),
                path.display()
            ));
        }
        (Some(bytes), None) => ctx
            .printer
            .line(String::from_utf8_lossy(&bytes).trim_end())?,
        _ => {
            if rows.is_empty() {
                ctx.printer.status("no rejected rows");
                return Ok(ExitStatus::Success);
            }
            let mut table = ctx.printer.table(&["ROW", "COLUMN", "REASON"]);
            for e in &rows {
                table.add_row(vec![
                    e.row_number.to_string(),
                    e.column.clone().unwrap_or_default(),
                    e.message.clone(),
                ]);
            }
            ctx.printer.print_table(&table)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// The rejected rows as a CSV to fix and import again: the file's own columns, then the error
/// columns. A row that had more fields than the header keeps its columns aligned: the surplus
/// goes into `error_extra_fields` (one CSV line), never under the error columns.
fn errors_csv(header: &[String], rows: &[crate::store::RowError]) -> anyhow::Result<Vec<u8>> {
    let mut w = CsvOut::new(Vec::new());
    w.row(
        header
            .iter()
            .map(String::as_str)
            .chain(header::ERROR_COLUMNS),
    )?;
    for e in rows {
        let mut fields: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(e.raw_row.as_bytes())
            .records()
            .next()
            .and_then(|r| r.ok())
            .map(|r| r.iter().map(str::to_string).collect())
            .unwrap_or_default();
        let surplus = if fields.len() > header.len() {
            fields.split_off(header.len())
        } else {
            Vec::new()
        };
        fields.resize(header.len(), String::new());
        fields.push(e.row_number.to_string());
        fields.push(e.column.clone().unwrap_or_default());
        fields.push(e.message.clone());
        fields.push(one_csv_line(&surplus)?);
        w.row(&fields)?;
    }
    Ok(w.into_inner()?)
}

/// `fields` as one CSV line (no terminator), or "" when there are none.
fn one_csv_line(fields: &[String]) -> anyhow::Result<String> {
    if fields.is_empty() {
        return Ok(String::new());
    }
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(fields)?;
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(String::from_utf8_lossy(&bytes).trim_end().to_string())
}

/// The header of the imported file as the import recorded it.
fn original_header(options: &ImportOptions) -> Vec<String> {
    if options.header.is_empty() {
        header::EXPECTED.split(", ").map(str::to_string).collect()
    } else {
        options
            .header
            .iter()
            .filter(|h| !header::ERROR_COLUMNS.contains(&h.as_str()))
            .cloned()
            .collect()
    }
}

fn pause(ctx: &Context, args: IdArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let import = resolve(&app.store, &args.id)?;
    let held = app.store.pause_import(&import.id, now_ms())?;
    if ctx.printer.json() {
        ctx.printer.print_json(
            &serde_json::json!({ "import_id": import.id, "state": "paused", "jobs_held": held }),
        )?;
    } else {
        ctx.printer.line(&format!(
            "import {} paused: {} held",
            import.id,
            count(held as u64, "queued job")
        ))?;
        ctx.printer.status(&format!(
            "hint: `salesagent import resume {}` releases them",
            import.id
        ));
    }
    Ok(ExitStatus::Success)
}

fn resume(ctx: &Context, args: ResumeArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let import = resolve(&app.store, &args.id)?;
    let path = args.file.as_deref().map(absolute);
    let bar = super::progress_bar(
        ctx,
        "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}%  {msg}  ETA {eta}",
    );
    let mut on_progress = |p: &Progress| update(&bar, p);
    let (released, summary) = import::resume(
        &app.store,
        &import.id,
        path.as_deref(),
        app.config.portal_policy(),
        &mut on_progress,
    )?;
    bar.finish_and_clear();
    let which = if import.state == import_state::CANCELLED {
        "cancelled job(s) requeued"
    } else {
        "held job(s) released"
    };
    ctx.printer
        .status(&format!("import {}: {released} {which}", import.id));
    report(ctx, &summary, Some(&app.store))
}

fn cancel(ctx: &Context, args: IdArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let import = resolve(&app.store, &args.id)?;
    let cancelled = app.store.cancel_import(&import.id, now_ms())?;
    if ctx.printer.json() {
        ctx.printer.print_json(&serde_json::json!({
            "import_id": import.id, "state": "cancelled", "jobs_cancelled": cancelled
        }))?;
    } else {
        ctx.printer.line(&format!(
            "import {} cancelled: {} cancelled; finished work is kept",
            import.id,
            count(cancelled as u64, "queued job")
        ))?;
        ctx.printer.status(&format!(
            "hint: `salesagent import resume {}` undoes the cancel; importing the file again also works \
             (rows never processed do not count as duplicates)",
            import.id
        ));
    }
    Ok(ExitStatus::Success)
}
