//! Suppressions: addresses and domains never to contact, and erased addresses kept only as hashes.

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::Store;
use super::audit::{AuditEntry, append_audit};
use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub value: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
}

/// The hashed form of an erased address, so it stays suppressed without being stored.
pub fn hashed(email: &str) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(email.trim().to_lowercase().as_bytes()))
    )
}

impl Store {
    /// The suppression that matches this address (exact, by domain, or by hash), if any.
    pub fn suppression_for(&self, email: &str) -> Result<Option<Suppression>> {
        let email = email.to_lowercase();
        let domain = email
            .rsplit_once('@')
            .map(|(_, d)| format!("@{d}"))
            .unwrap_or_default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT value, reason, created_by, created_at FROM suppressions
             WHERE tenant_id = ?1 AND value IN (?2, ?3, ?4) LIMIT 1",
        )?;
        Ok(stmt
            .query_row(params![self.tenant, email, domain, hashed(&email)], |r| {
                Ok(Suppression {
                    value: r.get(0)?,
                    reason: r.get(1)?,
                    created_by: r.get(2)?,
                    created_at: r.get(3)?,
                })
            })
            .optional()?)
    }

    /// Adds (or updates the reason of) a suppression, audited. Returns false when it existed.
    pub fn add_suppression(&self, value: &str, reason: &str, actor: &str, at: i64) -> Result<bool> {
        let tx = self.write_tx()?;
        let inserted = tx.execute(
            "INSERT INTO suppressions (tenant_id, value, reason, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            params![self.tenant, value, reason, actor, at],
        )?;
        let mut entry = AuditEntry::new(actor, "suppression.add", at);
        entry.subject = Some(value.to_string());
        entry.reason = Some(reason.to_string());
        if inserted > 0 {
            append_audit(&tx, &self.tenant, &entry)?;
        }
        tx.commit()?;
        Ok(inserted > 0)
    }

    pub fn remove_suppression(
        &self,
        value: &str,
        reason: Option<&str>,
        actor: &str,
        at: i64,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let removed = tx.execute(
            "DELETE FROM suppressions WHERE tenant_id = ?1 AND value = ?2",
            params![self.tenant, value],
        )?;
        if removed == 0 {
            return Err(Error::NotFound(format!("{value} is not suppressed")));
        }
        let mut entry = AuditEntry::new(actor, "suppression.remove", at);
        entry.subject = Some(value.to_string());
        entry.reason = reason.map(str::to_string);
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        Ok(())
    }

    pub fn list_suppressions(&self) -> Result<Vec<Suppression>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT value, reason, created_by, created_at FROM suppressions
             WHERE tenant_id = ?1 ORDER BY created_at, value",
        )?;
        let rows = stmt
            .query_map([&self.tenant], |r| {
                Ok(Suppression {
                    value: r.get(0)?,
                    reason: r.get(1)?,
                    created_by: r.get(2)?,
                    created_at: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_exact_domain_and_hashed_entries() {
        let store = Store::open_in_memory().unwrap();
        store
            .add_suppression("a@x.com", "unsubscribed", "ops", 1)
            .unwrap();
        store
            .add_suppression("@spam.biz", "bounces", "ops", 1)
            .unwrap();
        store
            .add_suppression(&hashed("gone@y.com"), "gdpr", "ops", 1)
            .unwrap();
        assert_eq!(
            store.suppression_for("A@X.com").unwrap().unwrap().reason,
            "unsubscribed"
        );
        assert_eq!(
            store
                .suppression_for("anyone@spam.biz")
                .unwrap()
                .unwrap()
                .reason,
            "bounces"
        );
        assert_eq!(
            store.suppression_for("gone@y.com").unwrap().unwrap().reason,
            "gdpr"
        );
        assert!(store.suppression_for("b@x.com").unwrap().is_none());
        assert!(!store.add_suppression("a@x.com", "again", "ops", 2).unwrap());
        store.remove_suppression("a@x.com", None, "ops", 3).unwrap();
        assert!(store.suppression_for("a@x.com").unwrap().is_none());
        assert!(matches!(
            store.remove_suppression("a@x.com", None, "ops", 3),
            Err(Error::NotFound(_))
        ));
    }
}
