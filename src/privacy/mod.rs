//! `privacy erase`: a person's every trace in one tenant (store rows, mail files, then the remote
//! copies we made: Gmail drafts, the HubSpot contact when `privacy.erase_in_crm`), and the retry
//! of remote erasures that failed. Retention purges live in `purge`.
//!
//! Order matters: the local erasure commits first (with the remote erasures recorded as
//! `pending_erasures` in the same transaction), then the mail files go, then the WAL is truncated
//! so no old page image keeps the address, and only then are the remote services called. A
//! remote failure leaves the local erasure done and its record open for `privacy erase --retry`.

pub mod purge;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::app::App;
use crate::config::{Config, CrmKind};
use crate::connectors::Connectors;
use crate::domain::privacy::{blank_ci, contains_ci};
use crate::domain::submission::PrivacyDeletion;
use crate::domain::time::now_ms;
use crate::error::{Error, Result};
use crate::store::{
    AuditEntry, ErasureRequest, PendingErasure, RemoteService, Store, SubjectErasure,
};

/// What `privacy erase` was asked to do.
pub struct EraseOptions<'a> {
    pub emails: &'a [String],
    pub actor: &'a str,
    pub reason: &'a str,
    pub dry_run: bool,
}

#[derive(Debug, Serialize)]
pub struct EraseReport {
    pub tenant: String,
    pub dry_run: bool,
    pub subjects: Vec<SubjectReport>,
    /// The WAL was truncated after the erasure (false: another process held it; the old pages
    /// go at the next TRUNCATE checkpoint, e.g. `db backup` or the next erase).
    pub wal_truncated: bool,
}

#[derive(Debug, Serialize)]
pub struct SubjectReport {
    #[serde(flatten)]
    pub erasure: SubjectErasure,
    pub files: Vec<FileAction>,
    pub remote_outcomes: Vec<RemoteOutcome>,
}

/// One mail file an erasure deleted or blanked.
#[derive(Clone, Debug, Serialize)]
pub struct FileAction {
    pub path: PathBuf,
    pub action: FileDisposition,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileDisposition {
    Deleted,
    Blanked,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    Done,
    Failed,
    /// A dry run: the call the real run makes.
    WouldCall,
}

impl CallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Done => "done",
            CallOutcome::Failed => "failed",
            CallOutcome::WouldCall => "would_call",
        }
    }
}

/// What one remote erasure call did.
#[derive(Clone, Debug, Serialize)]
pub struct RemoteOutcome {
    pub id: String,
    pub service: RemoteService,
    pub remote_id: String,
    pub outcome: CallOutcome,
    pub error: Option<String>,
}

impl RemoteOutcome {
    pub fn failed(&self) -> bool {
        self.outcome == CallOutcome::Failed
    }
}

/// Erases every address of `opts` from the app's tenant (see the module doc for the order).
pub fn erase(app: &App, connectors: &Connectors, opts: &EraseOptions<'_>) -> Result<EraseReport> {
    let crm = app.config.privacy.erase_in_crm && app.config.connectors.crm == CrmKind::Hubspot;
    erase_with(&app.store, &app.config.mail_dir(), connectors, opts, crm)
}

/// The erasure over a store and mail directory; `crm`: also GDPR-delete the HubSpot contact.
fn erase_with(
    store: &Store,
    mail_dir: &Path,
    connectors: &Connectors,
    opts: &EraseOptions<'_>,
    crm: bool,
) -> Result<EraseReport> {
    let gmail = connectors.mailbox.service() == "gmail";
    // HubSpot ids the store does not know (contacts made by others), asked before we forget.
    let mut found = BTreeMap::new();
    if crm && !opts.dry_run {
        for email in opts.emails {
            let email = crate::domain::privacy::normalise_address(email);
            let ids: Vec<String> = connectors
                .crm
                .find_contact_id(&email)?
                .into_iter()
                .collect();
            found.insert(email, ids);
        }
    }
    let request = ErasureRequest {
        emails: opts.emails,
        actor: opts.actor,
        reason: opts.reason,
        gmail,
        hubspot: crm.then_some(&found),
        dry_run: opts.dry_run,
        at: now_ms(),
    };
    let erasures = store.erase_subjects(&request)?;
    let mut subjects = Vec::new();
    for erasure in erasures {
        let files = mail_files(mail_dir, &erasure, opts.dry_run)?;
        subjects.push(SubjectReport {
            erasure,
            files,
            remote_outcomes: vec![],
        });
    }
    let wal_truncated = if opts.dry_run {
        false
    } else {
        store.try_truncate_wal()?
    };
    for subject in &mut subjects {
        subject.remote_outcomes = if opts.dry_run {
            subject
                .erasure
                .remote
                .iter()
                .map(|p| outcome(p, CallOutcome::WouldCall, None))
                .collect()
        } else {
            run_remote(store, connectors, &subject.erasure.remote, opts.actor)?
        };
    }
    Ok(EraseReport {
        tenant: store.tenant().to_string(),
        dry_run: opts.dry_run,
        subjects,
        wal_truncated,
    })
}

/// Erases the person behind a HubSpot `contact.privacyDeletion` event (a worker's
/// `privacy_erase` job), audited as actor `hubspot`: every address the store links to the
/// contact id. HubSpot deleted the contact itself, so no GDPR delete is sent back. None: the
/// store knows no address for the contact (nothing of theirs is kept).
pub fn erase_deleted_contact(
    store: &Store,
    config: &Config,
    connectors: &Connectors,
    event: &PrivacyDeletion,
) -> Result<Option<EraseReport>> {
    let emails = store.addresses_of_contact(&event.contact_id)?;
    if emails.is_empty() {
        return Ok(None);
    }
    let reason = format!(
        "HubSpot contact.privacyDeletion for contact {} (portal {})",
        event.contact_id, event.portal_id
    );
    let opts = EraseOptions {
        emails: &emails,
        actor: "hubspot",
        reason: &reason,
        dry_run: false,
    };
    erase_with(store, &config.mail_dir(), connectors, &opts, false).map(Some)
}

/// Calls the remote services again for every open pending erasure of the tenant.
pub fn retry_pending(
    app: &App,
    connectors: &Connectors,
    actor: &str,
) -> Result<Vec<RemoteOutcome>> {
    let pending = app.store.pending_erasures()?;
    run_remote(&app.store, connectors, &pending, actor)
}

fn outcome(p: &PendingErasure, what: CallOutcome, error: Option<String>) -> RemoteOutcome {
    RemoteOutcome {
        id: p.id.clone(),
        service: p.service,
        remote_id: p.remote_id.clone(),
        outcome: what,
        error,
    }
}

/// Each pending erasure called once; its outcome recorded on its row and, when it succeeded,
/// in the audit log (`privacy.erase_remote`, by subject reference).
fn run_remote(
    store: &Store,
    connectors: &Connectors,
    pending: &[PendingErasure],
    actor: &str,
) -> Result<Vec<RemoteOutcome>> {
    let mut outcomes = Vec::new();
    for p in pending {
        let result = match p.service {
            RemoteService::Gmail => connectors.mailbox.delete_draft(&p.remote_id),
            RemoteService::Hubspot => connectors.crm.erase_contact(&p.remote_id),
        };
        let at = now_ms();
        match result {
            Ok(()) => {
                store.finish_pending_erasure(&p.id, Ok(()), at)?;
                let mut entry = AuditEntry::new(actor, "privacy.erase_remote", at);
                entry.subject = Some(p.subject_ref.clone());
                entry.after = Some(
                    serde_json::json!({ "service": p.service, "remote_id": p.remote_id })
                        .to_string(),
                );
                store.append_audit(&entry)?;
                outcomes.push(outcome(p, CallOutcome::Done, None));
            }
            Err(e) => {
                let message = e.to_string();
                store.finish_pending_erasure(&p.id, Err(&message), at)?;
                outcomes.push(outcome(p, CallOutcome::Failed, Some(message)));
            }
        }
    }
    Ok(outcomes)
}

/// Deletes the person's mail files and blanks the address in other drafts' files, anywhere under
/// the tenant's mail directory (every status folder). Files are named by draft id, and only this
/// tenant's draft ids are looked for, so another tenant's files are never touched.
fn mail_files(mail_dir: &Path, erasure: &SubjectErasure, dry_run: bool) -> Result<Vec<FileAction>> {
    let delete: BTreeSet<&str> = erasure.files_to_delete.iter().map(String::as_str).collect();
    let blank: BTreeSet<&str> = erasure.files_to_blank.iter().map(String::as_str).collect();
    let mut actions = Vec::new();
    if delete.is_empty() && blank.is_empty() {
        return Ok(actions);
    }
    let needle = erasure.email.as_bytes();
    for path in eml_files(mail_dir)? {
        let Some(id) = draft_id_of(&path) else {
            continue;
        };
        if delete.contains(id) {
            if !dry_run {
                std::fs::remove_file(&path)
                    .map_err(|e| Error::io(format!("cannot delete {}", path.display()), e))?;
            }
            actions.push(FileAction {
                path,
                action: FileDisposition::Deleted,
            });
        } else if blank.contains(id) {
            let bytes = std::fs::read(&path)
                .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
            if !contains_ci(&bytes, needle) {
                continue;
            }
            if !dry_run {
                rewrite(&path, &blank_ci(&bytes, needle).0)?;
            }
            actions.push(FileAction {
                path,
                action: FileDisposition::Blanked,
            });
        }
    }
    if !dry_run && !actions.is_empty() {
        sync_dirs(&actions);
    }
    Ok(actions)
}

/// `mail/**/<id>.eml` (and a leftover `<id>.eml.tmp`) → the draft id.
fn draft_id_of(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    name.strip_suffix(".eml")
        .or_else(|| name.strip_suffix(".eml.tmp"))
}

/// Every regular file under `dir` whose name ends in `.eml` or `.eml.tmp` (a few levels deep:
/// `mail/<status>/` or `mail/<tenant>/<status>/`); none when the directory does not exist.
fn eml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(format!("cannot read {}", dir.display()), e)),
        };
        for entry in entries {
            let entry =
                entry.map_err(|e| Error::io(format!("cannot read {}", dir.display()), e))?;
            let kind = entry
                .file_type()
                .map_err(|e| Error::io(format!("cannot read {}", dir.display()), e))?;
            let path = entry.path();
            if kind.is_dir() && depth < 4 {
                stack.push((path, depth + 1));
            } else if kind.is_file() && draft_id_of(&path).is_some() {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Replaces a file's content whole (temporary file, synced, renamed), so no half-blanked file
/// is ever left.
fn rewrite(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("erase.tmp");
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| Error::io(format!("cannot rewrite {}", path.display()), e))
}

/// Syncs the directories whose entries changed, so a deletion survives a power cut.
fn sync_dirs(actions: &[FileAction]) {
    let dirs: BTreeSet<&Path> = actions.iter().filter_map(|a| a.path.parent()).collect();
    for dir in dirs {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}
