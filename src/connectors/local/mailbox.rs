//! The embedded mailbox: each draft is an RFC 5322 file `mail/drafts/<draft-id>.eml` under the data
//! directory (`mail/<tenant>/drafts/…` for a declared tenant, see `Config::mail_dir`); rejected
//! drafts move to `…/rejected/`, sent ones to `…/sent/`. A file is written whole or not at all
//! (temporary file, synced, renamed), and the rename itself is synced (the directory) before the
//! draft counts as durable. A new draft is synced by the process's syncing threads (`syncer`)
//! while the worker goes on; the pipeline waits for it before it commits the draft's row. The
//! directory syncs of drafts renamed at the same time are shared (`dir_sync`).

mod dir_sync;
mod syncer;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::connectors::{Durable, Mailbox, MailboxDraft, OutgoingEmail, SentMessage};
use crate::domain::email;
use crate::error::{ConnectorError, ErrorClass, Result, io_class};

const SERVICE: &str = "local_mailbox";

pub struct LocalMailbox {
    root: PathBuf,
}

fn io_error(what: String, e: std::io::Error) -> ConnectorError {
    ConnectorError::new(SERVICE, io_class(&e), format!("{what}: {e}"))
}

impl LocalMailbox {
    /// A mailbox in `mail_dir` (`Config::mail_dir`: the data directory's `mail/`, or
    /// `mail/<tenant>/`).
    pub fn new(mail_dir: &Path) -> LocalMailbox {
        LocalMailbox {
            root: mail_dir.to_path_buf(),
        }
    }

    pub fn draft_path(&self, draft_id: &str) -> PathBuf {
        self.root.join("drafts").join(format!("{draft_id}.eml"))
    }

    fn folder(&self, name: &str) -> Result<PathBuf> {
        let dir = self.root.join(name);
        make_folder(&dir).map_err(|e| io_error(format!("cannot create {}", dir.display()), e))?;
        Ok(dir)
    }

    /// Writes the file whole to a temporary name and hands it to the syncing threads, which
    /// sync it, rename it into place and sync the directory; the returned [`Durable`] is ready
    /// once the file is there under its name after a crash or a power loss (a workflow commits
    /// its draft's row only after that).
    fn start_write(&self, path: &Path, contents: &str) -> Result<Durable> {
        let tmp = path.with_extension("eml.tmp");
        let write = || -> std::io::Result<fs::File> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(contents.as_bytes())?;
            Ok(f)
        };
        // The folder is made when a file first finds it missing (or something else in its
        // place, which making it then reports), not looked for before each one: a `mkdir` per
        // draft that nearly always failed.
        let file = match write() {
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                let dir = tmp.parent().unwrap_or(Path::new("."));
                make_folder(dir)
                    .map_err(|e| io_error(format!("cannot create {}", dir.display()), e))?;
                write()
            }
            written => written,
        }
        .map_err(|e| io_error(format!("cannot write {}", tmp.display()), e))?;
        let (durable, done) = Durable::pending(SERVICE);
        syncer::shared().submit(syncer::Written {
            file,
            tmp,
            path: path.to_path_buf(),
            done,
        });
        Ok(durable)
    }

    /// A draft found under its name (an earlier attempt wrote it): it may have been renamed but
    /// not yet synced when that attempt died, so it is made durable before it is reported.
    fn make_durable(&self, path: &Path) -> Result<()> {
        fs::File::open(path)
            .and_then(|f| f.sync_data())
            .and_then(|()| dir_sync::sync_parent(path))
            .map_err(|e| io_error(format!("cannot sync {}", path.display()), e).into())
    }

    fn move_to(&self, remote_draft_id: &str, folder: &str) -> Result<PathBuf> {
        let from = self.draft_path(remote_draft_id);
        let to = self.folder(folder)?.join(format!("{remote_draft_id}.eml"));
        fs::rename(&from, &to)
            .and_then(|()| dir_sync::sync_parent(&to))
            .and_then(|()| dir_sync::sync_parent(&from))
            .map_err(|e| {
                let class = if e.kind() == std::io::ErrorKind::NotFound {
                    ErrorClass::InvalidInput
                } else {
                    io_class(&e)
                };
                ConnectorError::new(
                    SERVICE,
                    class,
                    format!("cannot move {}: {e}", from.display()),
                )
            })?;
        Ok(to)
    }
}

/// Creates `dir` (and its parents) if it is missing, and syncs its entry in its parent, so that
/// a file made durable in it is not lost with a folder the disk never recorded.
fn make_folder(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    dir_sync::sync_parent(dir)
}

fn draft_of(email: &OutgoingEmail, remote_draft_id: &str) -> MailboxDraft {
    MailboxDraft {
        remote_draft_id: remote_draft_id.to_string(),
        remote_message_id: Some(email.message_id.clone()),
        thread_id: email.thread_id.clone(),
    }
}

fn render(email: &OutgoingEmail) -> Result<String> {
    email
        .to_rfc5322(None)
        .map_err(|e| ConnectorError::new(SERVICE, ErrorClass::InvalidInput, e).into())
}

impl Mailbox for LocalMailbox {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn find_draft(&self, email: &OutgoingEmail) -> Result<Option<MailboxDraft>> {
        let path = self.draft_path(&email.draft_id);
        if !path.is_file() {
            return Ok(None);
        }
        self.make_durable(&path)?;
        Ok(Some(draft_of(email, &email.draft_id)))
    }

    fn create_draft(&self, email: &OutgoingEmail) -> Result<MailboxDraft> {
        let (draft, durable) = self.start_draft(email)?;
        durable.wait()?;
        Ok(draft)
    }

    fn start_draft(&self, email: &OutgoingEmail) -> Result<(MailboxDraft, Durable)> {
        let durable = self.start_write(&self.draft_path(&email.draft_id), &render(email)?)?;
        Ok((draft_of(email, &email.draft_id), durable))
    }

    fn draft_exists(&self, remote_draft_id: &str) -> Result<bool> {
        Ok(self.draft_path(remote_draft_id).is_file())
    }

    fn update_draft(&self, remote_draft_id: &str, email: &OutgoingEmail) -> Result<MailboxDraft> {
        if !self.draft_exists(remote_draft_id)? {
            return Err(ConnectorError::new(
                SERVICE,
                ErrorClass::InvalidInput,
                format!("draft {remote_draft_id} is no longer in the mailbox"),
            )
            .into());
        }
        self.start_write(&self.draft_path(remote_draft_id), &render(email)?)?
            .wait()?;
        Ok(draft_of(email, remote_draft_id))
    }

    fn delete_draft(&self, remote_draft_id: &str) -> Result<()> {
        self.move_to(remote_draft_id, "rejected").map(|_| ())
    }

    fn send_draft(&self, remote_draft_id: &str) -> Result<SentMessage> {
        let sent = self.move_to(remote_draft_id, "sent")?;
        let text = fs::read_to_string(&sent)
            .map_err(|e| io_error(format!("cannot read {}", sent.display()), e))?;
        let headers = email::parse_headers(&text);
        Ok(SentMessage {
            remote_message_id: email::header(&headers, "Message-ID")
                .unwrap_or(remote_draft_id)
                .to_string(),
            thread_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing() -> OutgoingEmail {
        OutgoingEmail {
            draft_id: "d1".into(),
            workflow_id: "w1".into(),
            message_id: "<wf-w1@example.com>".into(),
            from: "sales@example.com".into(),
            to: "dana@northwind.com".into(),
            subject: "Hello".into(),
            body: "Hi".into(),
            thread_id: None,
            in_reply_to: None,
            date: 1_764_412_800_000,
        }
    }

    #[test]
    fn drafts_are_files_that_move_when_rejected_or_sent() {
        let dir = tempfile::tempdir().unwrap();
        let mailbox = LocalMailbox::new(&dir.path().join("mail"));
        let email = outgoing();
        assert!(mailbox.find_draft(&email).unwrap().is_none());
        mailbox.create_draft(&email).unwrap();
        assert!(mailbox.find_draft(&email).unwrap().is_some());
        let text = fs::read_to_string(mailbox.draft_path("d1")).unwrap();
        assert!(text.contains("To: dana@northwind.com\r\n"));
        let sent = mailbox.send_draft("d1").unwrap();
        assert_eq!(sent.remote_message_id, "<wf-w1@example.com>");
        assert!(!mailbox.draft_exists("d1").unwrap());
        assert!(dir.path().join("mail/sent/d1.eml").is_file());
        assert!(mailbox.delete_draft("d1").is_err());
    }

    /// The drafts folder is made when a draft finds it missing: at first, and again if it was
    /// removed while the mailbox was in use.
    #[test]
    fn a_missing_drafts_folder_is_made_by_the_draft_that_needs_it() {
        let dir = tempfile::tempdir().unwrap();
        let mailbox = LocalMailbox::new(&dir.path().join("mail"));
        let mut email = outgoing();
        mailbox.create_draft(&email).unwrap();
        fs::remove_dir_all(dir.path().join("mail/drafts")).unwrap();
        email.draft_id = "d2".into();
        mailbox.create_draft(&email).unwrap();
        assert!(mailbox.draft_path("d2").is_file());
        assert!(!dir.path().join("mail/drafts/d2.eml.tmp").exists());
    }
}
