//! Bulk CSV import: streams a file row by row, validates each row, and hands valid rows to the
//! store in chunks whose transaction also holds the checkpoint, so a killed import resumes where it
//! stopped and never imports a row twice. Prints nothing: progress goes to a caller's callback.

pub mod header;

use std::collections::HashMap;
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use header::{Plan, Role};

use crate::config::PortalPolicy;
use crate::domain::lead::{Lead, LeadField};
use crate::domain::submission::{ParsedSubmission, Shape, content_key, validate_lead};
use crate::domain::time::now_ms;
use crate::error::{Error, Result};
use crate::store::{
    ChunkFence, ChunkOutcome, ChunkRow, ImportChunk, ImportRow, NewSubmission, RowError, Source,
    Store, import_lock_name, import_state, lock_owner, owner_is_gone,
};

/// Rows per transaction: large enough to amortise the commit, small enough to lose little on a kill.
pub const CHUNK_ROWS: usize = 1000;
/// Longest form id and custom value accepted, in characters.
const MAX_FORM_ID_CHARS: usize = 200;
const MAX_CUSTOM_CHARS: usize = 500;
/// How many rejected rows a summary carries (all of them are in the store).
const SUMMARY_ERRORS: usize = 20;

/// What the caller asked for; stored with the import so a resume reads the file the same way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOptions {
    /// The file, as an absolute path when it could be made one.
    pub path: PathBuf,
    pub form_id: Option<String>,
    #[serde(default)]
    pub map: Vec<(String, String)>,
    /// The file's header as read (filled in by the import), for `import errors --format csv`.
    #[serde(default)]
    pub header: Vec<String>,
    /// How long the import's lock lasts past its last chunk (`import.lock_secs`); a dead owner's
    /// lock is taken over sooner. Not stored: each run uses its own setting.
    #[serde(skip, default = "default_lock_ms")]
    pub lock_ms: i64,
    /// Which portals the importing tenant takes: a row whose portal column names another
    /// tenant's portal is rejected. Not stored: each run uses the deployment's current config.
    #[serde(skip)]
    pub portals: PortalPolicy,
}

fn default_lock_ms() -> i64 {
    crate::config::ImportConfig::default().lock_ms()
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            path: PathBuf::new(),
            form_id: None,
            map: vec![],
            header: vec![],
            lock_ms: default_lock_ms(),
            portals: PortalPolicy::default(),
        }
    }
}

/// Counts so far, for a progress bar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub rows_read: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub bytes_read: u64,
    pub total_bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryError {
    pub row: i64,
    pub column: Option<String>,
    pub reason: String,
}

impl From<&RowError> for SummaryError {
    fn from(e: &RowError) -> Self {
        SummaryError {
            row: e.row_number,
            column: e.column.clone(),
            reason: e.message.clone(),
        }
    }
}

/// The outcome of an import run (or of a dry run).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub import_id: Option<String>,
    pub file: String,
    pub dry_run: bool,
    /// running (stopped by a crash), paused, cancelled or completed; `validated` for a dry run.
    pub state: String,
    pub rows_read: i64,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
    /// The row this run started after, when it resumed an earlier run.
    pub resumed_after_row: Option<i64>,
    /// The file had been imported completely before: nothing was done.
    pub already_imported: bool,
    /// The first rejected rows (all are listed by `import errors`).
    pub errors: Vec<SummaryError>,
    /// Things the operator should know (options of the original run reused on a resume).
    pub notes: Vec<String>,
}

/// Reads the whole file once for its SHA-256: a re-run of the same content finds its import.
pub fn hash_file(path: &Path) -> Result<String> {
    let mut file = open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|e| read_error(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn read_error(path: &Path, e: std::io::Error) -> Error {
    Error::InvalidInput(format!("cannot read {}: {e}", path.display()))
}

fn open(path: &Path) -> Result<File> {
    if path.is_dir() {
        return Err(Error::InvalidInput(format!(
            "{} is a directory; give a CSV file",
            path.display()
        )));
    }
    File::open(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            _ => e.to_string(),
        };
        Error::InvalidInput(format!("cannot read {}: {why}", path.display()))
    })
}

/// An open file positioned for reading records, with the header already planned.
struct CsvInput {
    reader: csv::Reader<File>,
    /// File offset of the reader's byte 0 (after a BOM, or the resume point).
    base: u64,
    plan: Plan,
    total_bytes: u64,
}

/// Opens the file, plans its header, and positions the reader at `resume_offset` (0: the first
/// data row).
fn open_source(options: &ImportOptions, resume_offset: u64) -> Result<CsvInput> {
    let path = &options.path;
    let mut file = open(path)?;
    let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bom = [0u8; 3];
    let mut got = 0;
    while got < 3 {
        let n = file
            .read(&mut bom[got..])
            .map_err(|e| read_error(path, e))?;
        if n == 0 {
            break;
        }
        got += n;
    }
    if got >= 2 && matches!(bom[..2], [0xFF, 0xFE] | [0xFE, 0xFF]) {
        return Err(Error::InvalidInput(format!(
            "{} is UTF-16 text; save it as CSV UTF-8 (with or without BOM) and import that",
            path.display()
        )));
    }
    let start = if got == 3 && bom == [0xEF, 0xBB, 0xBF] {
        3
    } else {
        0
    };
    file.seek(SeekFrom::Start(start))
        .map_err(|e| read_error(path, e))?;
    let mut reader = builder().from_reader(file);
    let mut record = csv::ByteRecord::new();
    let has_header = reader
        .read_byte_record(&mut record)
        .map_err(|e| Error::InvalidInput(format!("{}: {}", path.display(), csv_message(&e))))?;
    if !has_header {
        return Err(Error::InvalidInput(format!(
            "{} is empty; expected a header line ({}) and rows",
            path.display(),
            header::EXPECTED
        )));
    }
    let names = record
        .iter()
        .map(|f| {
            std::str::from_utf8(f).map(str::to_string).map_err(|_| {
                Error::InvalidInput(format!(
                    "{}: the header is not UTF-8 text; save the file as UTF-8 (with or without BOM)",
                    path.display()
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let plan = header::plan(&names, &options.map, options.form_id.as_deref())?;
    let base = if resume_offset > 0 {
        let mut file = reader.into_inner();
        file.seek(SeekFrom::Start(resume_offset))
            .map_err(|e| read_error(path, e))?;
        reader = builder().from_reader(file);
        resume_offset
    } else {
        start
    };
    Ok(CsvInput {
        reader,
        base,
        plan,
        total_bytes,
    })
}

fn builder() -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(false)
        .flexible(true)
        .buffer_capacity(64 * 1024);
    b
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => e.to_string(),
    }
}

/// A row that passed validation.
struct ValidRow {
    row_number: i64,
    parsed: ParsedSubmission,
    raw_payload: Vec<u8>,
    raw_row: String,
}

/// The row as CSV text, as it would be written back for fixing.
fn raw_csv(record: &csv::ByteRecord) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = w.write_byte_record(record);
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\n')
        .to_string()
}

/// Validates one record into a submission, or says which column is wrong and why.
fn validate_row(
    plan: &Plan,
    record: &csv::ByteRecord,
    row_number: i64,
) -> std::result::Result<ValidRow, RowError> {
    let raw_row = raw_csv(record);
    let reject = |column: Option<&str>, message: String| RowError {
        row_number,
        column: column.map(str::to_string),
        message,
        raw_row: raw_row.clone(),
    };
    if record.len() != plan.header.len() {
        return Err(reject(
            None,
            format!(
                "has {} field(s); the header has {}",
                record.len(),
                plan.header.len()
            ),
        ));
    }
    let mut lead = Lead::default();
    let mut form_id: Option<String> = None;
    let mut portal_id: Option<String> = None;
    let mut fields = serde_json::Map::new();
    let mut column_of: HashMap<&'static str, &str> = HashMap::new();
    for ((role, name), bytes) in plan.roles.iter().zip(&plan.header).zip(record.iter()) {
        let value = std::str::from_utf8(bytes)
            .map_err(|_| reject(Some(name), "is not valid UTF-8 text".into()))?;
        fields.insert(name.clone(), value.into());
        match role {
            Role::Field(field) => {
                lead.set_field(*field, value);
                column_of.insert(lead_field_key(*field), name);
            }
            Role::FormId => {
                let v = value.trim();
                if !v.is_empty() {
                    form_id = Some(v.to_string());
                }
                column_of.insert("form_id", name);
            }
            Role::Custom(key) => {
                let v = value.trim();
                if v.chars().count() > MAX_CUSTOM_CHARS {
                    return Err(reject(
                        Some(name),
                        format!(
                            "is {} characters long; at most {MAX_CUSTOM_CHARS} are allowed",
                            v.chars().count()
                        ),
                    ));
                }
                if !v.is_empty() {
                    lead.custom.insert(key.clone(), v.to_string());
                    // Still a custom field as ever; also the row's portal, for its tenant check.
                    if header::is_portal_id(name) {
                        portal_id = Some(v.to_string());
                    }
                }
            }
            Role::Ignore => {}
        }
    }
    let lead = lead.normalise();
    if let Err(message) = validate_lead(&lead) {
        // validate_lead names the field as `name`: point at the file's column for it.
        let field = message.split('`').nth(1).unwrap_or("email").to_string();
        let column = column_of.get(field.as_str()).copied().unwrap_or(&field);
        return Err(reject(Some(column), message.clone()));
    }
    let form_column = column_of.get("form_id").copied().unwrap_or("formId");
    let Some(form_id) = form_id.or_else(|| plan.default_form_id.clone()) else {
        return Err(reject(
            Some(form_column),
            "is empty; fill it in, or pass --form-id for rows without one".into(),
        ));
    };
    if form_id.chars().count() > MAX_FORM_ID_CHARS {
        return Err(reject(
            Some(form_column),
            format!("is longer than {MAX_FORM_ID_CHARS} characters"),
        ));
    }
    let dedupe_key = content_key("csv", Some(&form_id), &lead, None);
    let raw_payload = serde_json::to_vec(&fields).unwrap_or_default();
    Ok(ValidRow {
        row_number,
        parsed: ParsedSubmission {
            shape: Shape::Csv,
            portal_id,
            form_id: Some(form_id),
            // Where it came from: a later duplicate in the same file can name this row.
            external_id: Some(format!("row:{row_number}")),
            dedupe_key,
            lead,
            contact_object_id: None,
            submitted_at: None,
            page_url: None,
        },
        raw_payload,
        raw_row,
    })
}

/// Rejects a valid row whose portal column names a portal of another tenant (or of none, in a
/// deployment with tenants).
fn check_portal(
    options: &ImportOptions,
    plan: &Plan,
    row: ValidRow,
) -> std::result::Result<ValidRow, RowError> {
    match options.portals.check(row.parsed.portal_id.as_deref()) {
        Ok(()) => Ok(row),
        Err(why) => Err(RowError {
            row_number: row.row_number,
            column: plan
                .header
                .iter()
                .find(|h| header::is_portal_id(h))
                .cloned(),
            message: why,
            raw_row: row.raw_row,
        }),
    }
}

/// Rejects a valid row whose address is suppressed. A store failure is an error, not a bad row.
fn check_suppression(
    store: &Store,
    plan: &Plan,
    row: ValidRow,
) -> Result<std::result::Result<ValidRow, RowError>> {
    let email = row.parsed.lead.email.as_deref().unwrap_or_default();
    Ok(match store.suppression_for(email)? {
        None => Ok(row),
        Some(s) => {
            let column = plan
                .roles
                .iter()
                .position(|r| *r == Role::Field(LeadField::Email))
                .map(|i| plan.header[i].clone());
            Err(RowError {
                row_number: row.row_number,
                column,
                message: format!("{email} is suppressed ({}: {})", s.value, s.reason),
                raw_row: row.raw_row,
            })
        }
    })
}

fn lead_field_key(field: LeadField) -> &'static str {
    match field {
        LeadField::Email => "email",
        LeadField::FirstName | LeadField::FullName => "first_name",
        LeadField::LastName => "last_name",
        LeadField::Company => "company",
        LeadField::JobTitle => "job_title",
        LeadField::Phone => "phone",
        LeadField::Message => "message",
    }
}

fn push_error(errors: &mut Vec<SummaryError>, e: &RowError) {
    if errors.len() < SUMMARY_ERRORS {
        errors.push(e.into());
    }
}

/// Validates the whole file without writing anything. `store` (when the database exists) is only
/// read: suppressions and earlier submissions. Duplicates inside the file are found with an
/// in-memory map of key hashes (8 bytes per row plus the map's overhead).
pub fn dry_run(
    store: Option<&Store>,
    options: &ImportOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Summary> {
    let mut src = open_source(options, 0)?;
    let mut seen: HashMap<u64, i64> = HashMap::new();
    let mut summary = new_summary(options, None, true);
    summary.state = "validated".into();
    let mut record = csv::ByteRecord::new();
    let mut row_number = 1;
    let mut p = Progress {
        total_bytes: src.total_bytes,
        ..Progress::default()
    };
    while read_record(&mut src, &mut record, options)? {
        row_number += 1;
        p.rows_read += 1;
        let outcome = match validate_row(&src.plan, &record, row_number)
            .and_then(|row| check_portal(options, &src.plan, row))
        {
            Ok(row) => match store {
                Some(store) => check_suppression(store, &src.plan, row)?,
                None => Ok(row),
            },
            Err(e) => Err(e),
        };
        let outcome = match outcome {
            Ok(row) => {
                let mut h = DefaultHasher::new();
                row.parsed.dedupe_key.hash(&mut h);
                let existing = match store {
                    Some(store) => store.find_submission_by_key(&row.parsed.dedupe_key)?,
                    None => None,
                };
                if let Some(first) = seen.insert(h.finish(), row.row_number) {
                    Err(RowError {
                        row_number,
                        column: None,
                        message: format!("duplicate of row {first} (same email and form)"),
                        raw_row: row.raw_row,
                    })
                } else if let Some((id, _)) = existing {
                    Err(RowError {
                        row_number,
                        column: None,
                        message: format!(
                            "duplicate of existing submission {id} (same email and form)"
                        ),
                        raw_row: row.raw_row,
                    })
                } else {
                    Ok(row)
                }
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(_) => p.accepted += 1,
            Err(e) => {
                p.rejected += 1;
                push_error(&mut summary.errors, &e);
            }
        }
        if p.rows_read % CHUNK_ROWS as i64 == 0 {
            p.bytes_read = src.base + src.reader.position().byte();
            progress(&p);
        }
    }
    p.bytes_read = p.total_bytes;
    progress(&p);
    summary.rows_read = p.rows_read;
    summary.rows_accepted = p.accepted;
    summary.rows_rejected = p.rejected;
    Ok(summary)
}

fn read_record(
    src: &mut CsvInput,
    record: &mut csv::ByteRecord,
    options: &ImportOptions,
) -> Result<bool> {
    src.reader.read_byte_record(record).map_err(|e| {
        Error::InvalidInput(format!(
            "{}: {}; the rows before it were imported",
            options.path.display(),
            csv_message(&e)
        ))
    })
}

fn new_summary(options: &ImportOptions, import: Option<&ImportRow>, dry_run: bool) -> Summary {
    Summary {
        import_id: import.map(|i| i.id.clone()),
        file: options.path.display().to_string(),
        dry_run,
        state: import.map_or_else(String::new, |i| i.state.clone()),
        rows_read: import.map_or(0, |i| i.rows_read),
        rows_accepted: import.map_or(0, |i| i.rows_accepted),
        rows_rejected: import.map_or(0, |i| i.rows_rejected),
        resumed_after_row: None,
        already_imported: false,
        errors: vec![],
        notes: vec![],
    }
}

/// Imports a file: a new import, or the continuation of an earlier run of the same content that
/// was killed. A completed earlier import is reported, not repeated.
pub fn import_file(
    store: &Store,
    options: ImportOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Summary> {
    // The header is checked before anything is written or hashed.
    let mut options = options;
    options.header = open_source(&options, 0)?.plan.header;
    let hash = hash_file(&options.path)?;
    if let Some(earlier) = store.import_by_hash(&hash)? {
        match earlier.state.as_str() {
            import_state::COMPLETED => {
                let mut summary = new_summary(&options, Some(&earlier), false);
                summary.already_imported = true;
                summary.errors = store
                    .import_errors(&earlier.id)?
                    .iter()
                    .take(SUMMARY_ERRORS)
                    .map(SummaryError::from)
                    .collect();
                return Ok(summary);
            }
            import_state::PAUSED => {
                return Err(Error::Refused(format!(
                    "this file is import {}, which is paused\nhint: continue it with `salesagent import resume {}`",
                    earlier.id, earlier.id
                )));
            }
            import_state::RUNNING => {
                let mut stored: ImportOptions =
                    serde_json::from_str(&earlier.options).unwrap_or_default();
                stored.path = options.path.clone();
                stored.lock_ms = options.lock_ms;
                let differs = stored.form_id != options.form_id || stored.map != options.map;
                let mut summary = continue_import(store, &earlier, &stored, progress)?;
                if differs {
                    summary.notes.push(format!(
                        "import {} was started with other --form-id/--map options; its own were used \
                         so that the rows before the checkpoint and after it are read alike",
                        earlier.id
                    ));
                }
                return Ok(summary);
            }
            _ => {}
        }
    }
    let file_name = options
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| options.path.display().to_string());
    let stored = serde_json::to_string(&options).unwrap_or_else(|_| "{}".into());
    let import = store.create_import(&file_name, &hash, &stored, now_ms())?;
    continue_import(store, &import, &options, progress)
}

/// Continues an import from its checkpoint (the start, for a new one) to the end of the file, or
/// until an operator pauses or cancels it.
pub fn continue_import(
    store: &Store,
    import: &ImportRow,
    options: &ImportOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Summary> {
    let owner = lock_owner();
    let lock = import_lock_name(&import.id);
    let now = now_ms();
    let lock_ms = options.lock_ms;
    if let Some(holder) = store.try_lock(&lock, &owner, now, now + lock_ms, &owner_is_gone)? {
        return Err(Error::Refused(format!(
            "import {} is being run by another process ({}); wait for it, or pause it with `salesagent import pause {}`",
            import.id, holder.owner, import.id
        )));
    }
    // Read again under the lock: another run may have moved the checkpoint since.
    let result = store
        .get_import(&import.id)
        .and_then(|import| run_chunks(store, &import, options, progress, &lock, &owner));
    let _ = store.unlock(&lock, &owner);
    result
}

fn run_chunks(
    store: &Store,
    import: &ImportRow,
    options: &ImportOptions,
    progress: &mut dyn FnMut(&Progress),
    lock: &str,
    owner: &str,
) -> Result<Summary> {
    if store.get_import(&import.id)?.state != import_state::RUNNING {
        return Ok(new_summary(options, Some(import), false));
    }
    let hash = hash_file(&options.path)?;
    if hash != import.file_hash {
        return Err(Error::Refused(format!(
            "{} has changed since import {} started (its content hash differs); import it as a new file",
            options.path.display(),
            import.id
        )));
    }
    let mut src = open_source(options, import.checkpoint_offset as u64)?;
    let mut summary = new_summary(options, Some(import), false);
    if import.checkpoint_offset > 0 {
        summary.resumed_after_row = Some(import.checkpoint_row);
    }
    let mut row_number = import.checkpoint_row.max(1);
    let mut rows_read = import.rows_read;
    let mut p = Progress {
        rows_read,
        accepted: import.rows_accepted,
        rejected: import.rows_rejected,
        bytes_read: src.base,
        total_bytes: src.total_bytes,
    };
    // The checkpoint each chunk commit expects to find (it moves only with our own commits).
    let mut checkpoint = (import.checkpoint_row, import.checkpoint_offset);
    let mut record = csv::ByteRecord::new();
    let mut valid: Vec<ValidRow> = Vec::with_capacity(CHUNK_ROWS);
    let mut errors: Vec<RowError> = Vec::new();
    loop {
        let more = read_record(&mut src, &mut record, options)?;
        if more {
            row_number += 1;
            rows_read += 1;
            let checked = match validate_row(&src.plan, &record, row_number)
                .and_then(|row| check_portal(options, &src.plan, row))
            {
                Ok(row) => check_suppression(store, &src.plan, row)?,
                Err(e) => Err(e),
            };
            match checked {
                Ok(row) => valid.push(row),
                Err(e) => errors.push(e),
            }
        }
        if more && valid.len() + errors.len() < CHUNK_ROWS {
            continue;
        }
        let offset = src.base + src.reader.position().byte();
        let at = now_ms();
        let rows: Vec<ChunkRow<'_>> = valid
            .iter()
            .map(|v| ChunkRow {
                row_number: v.row_number,
                raw_row: &v.raw_row,
                submission: NewSubmission {
                    source: Source::Import,
                    parsed: &v.parsed,
                    raw_payload: &v.raw_payload,
                    signature: None,
                    import_job_id: Some(&import.id),
                    synthetic: false,
                    queue: Some("batch"),
                    trace_id: None,
                    received_at: at,
                },
            })
            .collect();
        let chunk = ImportChunk {
            import_id: &import.id,
            fence: ChunkFence {
                lock,
                owner,
                lock_until: at + options.lock_ms,
                after_row: checkpoint.0,
                after_offset: checkpoint.1,
            },
            rows,
            errors: std::mem::take(&mut errors),
            rows_read,
            checkpoint_row: row_number,
            checkpoint_offset: offset as i64,
            last: !more,
            at,
        };
        match store.commit_import_chunk(&chunk)? {
            ChunkOutcome::Committed {
                accepted,
                duplicates,
            } => {
                let rejected = (chunk.errors.len() + duplicates.len()) as i64;
                p.accepted += accepted;
                p.rejected += rejected;
                let count = |result, n: i64| {
                    crate::metrics::inc_by(
                        "salesagent_import_rows_total",
                        &[("result", result)],
                        n.max(0) as u64,
                    )
                };
                count("accepted", accepted);
                count("rejected", rejected);
                for e in chunk.errors.iter().chain(&duplicates) {
                    push_error(&mut summary.errors, e);
                }
            }
            ChunkOutcome::Stopped { state } => {
                let now = store.get_import(&import.id)?;
                let mut summary = new_summary(options, Some(&now), false);
                summary.state = state;
                return Ok(summary);
            }
        }
        checkpoint = (chunk.checkpoint_row, chunk.checkpoint_offset);
        drop(chunk);
        valid.clear();
        p.rows_read = rows_read;
        p.bytes_read = offset;
        progress(&p);
        if !more {
            break;
        }
    }
    let done = store.get_import(&import.id)?;
    let mut final_summary = new_summary(options, Some(&done), false);
    final_summary.resumed_after_row = summary.resumed_after_row;
    final_summary.errors = summary.errors;
    final_summary.notes = summary.notes;
    Ok(final_summary)
}

/// `import resume ID`: releases a paused import's held jobs and, when its file was not read to the
/// end (paused or killed mid-way), continues reading from the checkpoint.
pub fn resume(
    store: &Store,
    import_id: &str,
    path: Option<&Path>,
    portals: PortalPolicy,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(usize, Summary)> {
    let released = store.release_import(import_id, now_ms())?;
    let import = store.get_import(import_id)?;
    let mut options: ImportOptions = serde_json::from_str(&import.options).unwrap_or_default();
    options.portals = portals;
    if let Some(p) = path {
        options.path = p.to_path_buf();
    }
    if import.finished_at.is_some() {
        return Ok((released, new_summary(&options, Some(&import), false)));
    }
    Ok((
        released,
        continue_import(store, &import, &options, progress)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, text: &[u8]) -> ImportOptions {
        let path = dir.path().join("f.csv");
        std::fs::write(&path, text).unwrap();
        ImportOptions {
            path,
            ..ImportOptions::default()
        }
    }

    fn rows(options: &ImportOptions) -> Vec<(i64, String)> {
        let mut src = open_source(options, 0).unwrap();
        let mut rec = csv::ByteRecord::new();
        let mut out = vec![];
        let mut n = 1;
        while read_record(&mut src, &mut rec, options).unwrap() {
            n += 1;
            out.push((n, String::from_utf8_lossy(&rec[0]).into_owned()));
        }
        out
    }

    #[test]
    fn bom_crlf_and_quoted_newlines() {
        let dir = tempfile::tempdir().unwrap();
        let opts = write(
            &dir,
            b"\xEF\xBB\xBFemail,company,formId\r\na@b.co,\"x,\r\n\"\"y\"\"\",f\r\nc@d.co,z,f\r\n",
        );
        assert_eq!(
            rows(&opts),
            vec![(2, "a@b.co".to_string()), (3, "c@d.co".to_string())]
        );
        let src = open_source(&opts, 0).unwrap();
        assert_eq!(src.plan.header[0], "email");
    }

    #[test]
    fn seeking_to_a_checkpoint_reads_the_next_row() {
        let dir = tempfile::tempdir().unwrap();
        let opts = write(
            &dir,
            b"\xEF\xBB\xBFemail,formId\na@b.co,f\nc@d.co,f\ne@f.co,f\n",
        );
        let mut src = open_source(&opts, 0).unwrap();
        let mut rec = csv::ByteRecord::new();
        assert!(read_record(&mut src, &mut rec, &opts).unwrap());
        let offset = src.base + src.reader.position().byte();
        let mut src = open_source(&opts, offset).unwrap();
        assert!(read_record(&mut src, &mut rec, &opts).unwrap());
        assert_eq!(&rec[0], b"c@d.co");
    }

    #[test]
    fn rows_are_rejected_with_column_and_reason() {
        let plan = header::plan(
            &["email".into(), "First Name".into(), "formId".into()],
            &[],
            None,
        )
        .unwrap();
        let bad = |fields: &[&str]| {
            let rec = csv::ByteRecord::from(fields.to_vec());
            validate_row(&plan, &rec, 7).err().unwrap()
        };
        let e = bad(&["nope", "A", "f"]);
        assert_eq!(e.column.as_deref(), Some("email"));
        assert!(e.message.contains("has no @"), "{}", e.message);
        let long = "x".repeat(501);
        let e = bad(&["a@b.co", &long, "f"]);
        assert_eq!(e.column.as_deref(), Some("First Name"));
        let e = bad(&["a@b.co", "A", ""]);
        assert_eq!(e.column.as_deref(), Some("formId"));
        let e = bad(&["a@b.co", "A"]);
        assert!(e.message.contains("has 2 field(s)"), "{}", e.message);
        assert_eq!(e.raw_row, "a@b.co,A");
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::lead::is_valid_email;
    use crate::domain::lead::props::check_normalised;
    use crate::import::header::props::known_header;
    use crate::props::{awkward_text, config};

    /// A cell: awkward text, an address-like value, or bytes that need not be UTF-8.
    fn cell() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            3 => awkward_text(20).prop_map(String::into_bytes),
            2 => (awkward_text(6), prop_oneof![Just("@acme.com"), Just("@Müller.de"), Just("@x")])
                .prop_map(|(l, d)| format!("{l}{d}").into_bytes()),
            1 => Just(b" Dana@Northwind.COM\r\n".to_vec()),
            1 => proptest::collection::vec(any::<u8>(), 0..12),
        ]
    }

    proptest! {
        #![proptest_config(config(256))]

        /// Invariant: any row under any accepted header is a valid submission or a row error,
        /// never a panic; an accepted row has a valid, normalised email and a form id.
        #[test]
        fn accepted_rows_have_a_valid_email(
            (columns, cells) in known_header().prop_flat_map(|columns| {
                let n = columns.len();
                let cells = prop_oneof![
                    9 => proptest::collection::vec(cell(), n),
                    1 => proptest::collection::vec(cell(), 0..10),
                ];
                (Just(columns), cells)
            }),
            default_form_id in proptest::option::of(Just("f-1")),
        ) {
            let header: Vec<String> = columns.into_iter().map(|(n, _)| n).collect();
            let plan = header::plan(&header, &[], default_form_id).unwrap();
            let record = csv::ByteRecord::from(cells);
            match validate_row(&plan, &record, 7) {
                Ok(row) => {
                    let lead = &row.parsed.lead;
                    prop_assert!(lead.email.as_deref().is_some_and(is_valid_email), "{lead:?}");
                    check_normalised(lead)?;
                    let form_id = row.parsed.form_id.as_deref().unwrap_or_default();
                    prop_assert!(!form_id.is_empty() && form_id.chars().count() <= MAX_FORM_ID_CHARS);
                    prop_assert_eq!(row.parsed.external_id.as_deref(), Some("row:7"));
                }
                Err(e) => {
                    prop_assert_eq!(e.row_number, 7);
                    if record.len() == plan.header.len() {
                        let column = e.column.as_deref().unwrap_or_default();
                        prop_assert!(plan.header.iter().any(|h| h == column), "{column:?} for {:?}", e.message);
                    }
                }
            }
        }
    }
}
