//! Settings (the mode above all) and the append-only audit log that records every change to them.

use super::sql;
use super::sql::{OptionalExtension, Transaction, params};

use super::{ListQuery, Page, Store, new_id};
use crate::domain::lead::mask_emails;
use crate::error::Result;

pub const MODE_DRAFT_ONLY: &str = "draft_only";
pub const MODE_SEND: &str = "send";

/// Every action the audit log records; `audit list --action` accepts these (a test checks that
/// every `AuditEntry::new` in the code names one of them).
pub const AUDIT_ACTIONS: &[&str] = &[
    "api_key.create",
    "api_key.revoke",
    "api_key.rotate",
    "db.restore",
    "dlq.retry",
    "draft.approve",
    "draft.edit",
    "draft.recompose",
    "draft.reject",
    "draft.send",
    "draft.send_failed",
    "mode.set",
    "mode.set_refused",
    "privacy.erase",
    "privacy.erase_remote",
    "purge.run",
    "quarantine.discard",
    "quarantine.replay",
    "submission.create",
    "suppression.add",
    "suppression.remove",
    "workflow.retry",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeSetting {
    pub mode: String,
    pub set_by: Option<String>,
    pub reason: Option<String>,
    pub updated_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: String,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub reason: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub since: Option<i64>,
    pub limit: usize,
}

pub(super) fn current_mode(conn: &sql::Conn, tenant: &str) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE tenant_id = ?1 AND key = 'mode'")?
        .query_row([tenant], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| MODE_DRAFT_ONLY.to_string()))
}

/// Appends `entry`. The audit log outlives every erasure, so no address is ever written to it in
/// clear: callers name a person by their pseudonymous reference (`Store::subject_ref`), and any
/// address left in free text (a reason, a draft's text before and after an edit, an error) is
/// masked here (`j…@example.com`), where the row is written.
pub(super) fn append_audit(tx: &Transaction<'_>, tenant: &str, entry: &AuditEntry) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO audit_log (id, tenant_id, actor, action, subject, reason, before, after, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        entry.id,
        tenant,
        entry.actor,
        entry.action,
        entry.subject.as_deref().map(mask_emails),
        entry.reason.as_deref().map(mask_emails),
        entry.before.as_deref().map(mask_emails),
        entry.after.as_deref().map(mask_emails),
        entry.created_at
    ])?;
    Ok(())
}

impl AuditEntry {
    pub fn new(actor: &str, action: &str, at: i64) -> AuditEntry {
        AuditEntry {
            id: new_id(),
            actor: actor.to_string(),
            action: action.to_string(),
            subject: None,
            reason: None,
            before: None,
            after: None,
            created_at: at,
        }
    }
}

impl Store {
    /// The mode, read from the store every time: never cached, so a switch takes effect at once.
    pub fn mode(&self) -> Result<ModeSetting> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT value, set_by, reason, updated_at FROM settings WHERE tenant_id = ?1 AND key = 'mode'",
            )?
            .query_row([&self.tenant], |r| {
                Ok(ModeSetting {
                    mode: r.get(0)?,
                    set_by: r.get(1)?,
                    reason: r.get(2)?,
                    updated_at: r.get(3)?,
                })
            })
            .optional()?;
        Ok(row.unwrap_or(ModeSetting {
            mode: MODE_DRAFT_ONLY.into(),
            set_by: None,
            reason: None,
            updated_at: None,
        }))
    }

    /// Changes the mode and records it in the audit log, atomically. The time is taken inside the
    /// transaction (never before the write lock) and never earlier than the setting it replaces,
    /// so the newest `mode.set` entry (strictly later than the last) describes the mode in force.
    pub fn set_mode(&self, mode: &str, actor: &str, reason: &str) -> Result<ModeSetting> {
        let tx = self.write_tx()?;
        let before = current_mode(&tx, &self.tenant)?;
        let previous: Option<i64> = tx.query_row(
            "SELECT MAX(updated_at) FROM settings WHERE tenant_id = ?1 AND key = 'mode'",
            [&self.tenant],
            |r| r.get(0),
        )?;
        let at = crate::domain::time::now_ms().max(previous.map_or(0, |p| p + 1));
        tx.prepare_cached(
            "INSERT INTO settings (tenant_id, key, value, set_by, reason, updated_at)
             VALUES (?1, 'mode', ?2, ?3, ?4, ?5)
             ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value,
                 set_by = excluded.set_by, reason = excluded.reason, updated_at = excluded.updated_at",
        )?
        .execute(params![self.tenant, mode, actor, reason, at])?;
        let mut entry = AuditEntry::new(actor, "mode.set", at);
        entry.subject = Some("mode".into());
        entry.reason = Some(reason.into());
        entry.before = Some(before);
        entry.after = Some(mode.into());
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        self.mode()
    }

    pub fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        let tx = self.write_tx()?;
        append_audit(&tx, &self.tenant, entry)?;
        tx.commit()?;
        Ok(())
    }

    pub fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        Ok(self.list_audit_page(filter)?.rows)
    }

    /// The list, and how many match in all when it was cut at `filter.limit`.
    pub fn list_audit_page(&self, filter: &AuditFilter) -> Result<Page<AuditEntry>> {
        ListQuery::new(
            "SELECT id, actor, action, subject, reason, before, after, created_at FROM audit_log
             WHERE tenant_id = ?1",
            &self.tenant,
        )
        .filter("action = ?", filter.action.clone())
        .filter("actor = ?", filter.actor.clone())
        .filter("subject = ?", filter.subject.clone())
        .filter("created_at >= ?", filter.since)
        .fetch_page(&self.conn, "created_at DESC, id DESC", filter.limit, |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                actor: r.get(1)?,
                action: r.get(2)?,
                subject: r.get(3)?,
                reason: r.get(4)?,
                before: r.get(5)?,
                after: r.get(6)?,
                created_at: r.get(7)?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_log_refuses_updates_and_deletes() {
        let store = Store::open_in_memory().unwrap();
        store.set_mode(MODE_DRAFT_ONLY, "ops", "test").unwrap();
        let update = store
            .conn
            .execute("UPDATE audit_log SET actor = 'mallory'", ());
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = store.conn.execute("DELETE FROM audit_log", ());
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        let entries = store
            .list_audit(&AuditFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].actor, "ops");
    }

    #[test]
    fn mode_defaults_to_draft_only_and_records_changes() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.mode().unwrap().mode, MODE_DRAFT_ONLY);
        let set = store.set_mode(MODE_SEND, "ops", "launch").unwrap();
        assert_eq!(set.mode, MODE_SEND);
        assert_eq!(set.set_by.as_deref(), Some("ops"));
        let audit = store
            .list_audit(&AuditFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(audit[0].before.as_deref(), Some(MODE_DRAFT_ONLY));
        assert_eq!(audit[0].after.as_deref(), Some(MODE_SEND));
    }
}
