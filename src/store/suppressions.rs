//! Suppressions: addresses and domains never to contact, and erased addresses kept only as hashes.
//! Each tenant has its own list; the global list (stored under the tenant value `*`, which no
//! slug can spell) is honoured by every tenant, at intake and at the send point alike.

use super::sql;
use super::sql::params;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

use super::Store;
use super::audit::{AuditEntry, append_audit};
use super::submissions::{DuplicateQuery, recent_duplicate_sql};
use crate::domain::tenant::TenantId;
use crate::error::{Error, Result};

/// The `tenant_id` of the global suppression list: not a slug, so no tenant's rows can be it.
const GLOBAL: &str = "*";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub value: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
    /// On the global list (every tenant honours it) rather than the tenant's own.
    pub global: bool,
}

/// The same entry in each tenant's log (each row its own id).
fn audit_in_each(
    tx: &sql::Transaction<'_>,
    tenants: &[TenantId],
    entry: &AuditEntry,
) -> Result<()> {
    for tenant in tenants {
        let mut entry = entry.clone();
        entry.id = super::new_id();
        append_audit(tx, tenant, &entry)?;
    }
    Ok(())
}

/// The suppression check's statement (the tenant `?1`, the address `?2`, its domain `?3`, hash
/// `?4` and keyed reference `?6`, the global list `?5`), with `also` as one more column when
/// given (a scalar subquery: the dedupe step's).
fn suppression_sql(also: Option<&str>) -> String {
    let also = also.map(|q| format!(", ({q})")).unwrap_or_default();
    format!(
        "SELECT s.value, s.reason, s.created_by, s.created_at, s.tenant_id,
                (SELECT subject_key FROM privacy_keys WHERE tenant_id = ?1){also}
         FROM (SELECT 1 AS one) AS one
         LEFT JOIN (SELECT value, reason, created_by, created_at, tenant_id
                    FROM suppressions
                    WHERE tenant_id IN (?1, ?5) AND value IN (?2, ?3, ?4, ?6)
                    ORDER BY tenant_id = ?5 LIMIT 1) AS s ON 1 = 1"
    )
}

fn suppression_from_row(r: &sql::Row<'_>) -> sql::Result<Suppression> {
    Ok(Suppression {
        value: r.get(0)?,
        reason: r.get(1)?,
        created_by: r.get(2)?,
        created_at: r.get(3)?,
        global: r.get::<_, String>(4)? == GLOBAL,
    })
}

/// The hashed form of an erased address, so it stays suppressed without being stored.
pub fn hashed(email: &str) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(email.trim().to_lowercase().as_bytes()))
    )
}

impl Store {
    /// The suppression that matches this address (exact, by domain, or by hash) on the tenant's
    /// list or the global one, if any (the tenant's own first).
    pub fn suppression_for(&self, email: &str) -> Result<Option<Suppression>> {
        Ok(self.check_suppression(email, None)?.0)
    }

    /// [`Store::suppression_for`], and what the dedupe step would find
    /// ([`Store::find_recent_duplicate`]), in one statement: the pipeline's suppression check
    /// reads its dedupe step's answer with it (a round trip fewer on PostgreSQL).
    pub fn suppression_and_duplicate(
        &self,
        email: &str,
        duplicate: &DuplicateQuery<'_>,
    ) -> Result<(Option<Suppression>, Option<String>)> {
        self.check_suppression(email, Some(duplicate))
    }

    fn check_suppression(
        &self,
        email: &str,
        duplicate: Option<&DuplicateQuery<'_>>,
    ) -> Result<(Option<Suppression>, Option<String>)> {
        static ALONE: LazyLock<String> = LazyLock::new(|| suppression_sql(None));
        static WITH_DUPLICATE: LazyLock<String> =
            LazyLock::new(|| suppression_sql(Some(&recent_duplicate_sql(1, 7))));
        let email = email.to_lowercase();
        let domain = email
            .rsplit_once('@')
            .map(|(_, d)| format!("@{d}"))
            .unwrap_or_default();
        // An erased address is suppressed as its keyed reference (no key yet: nobody erased).
        // The key is read in the same statement until the connection has it (see
        // `existing_subject_key`): one statement per check, where it was two.
        let known = self.subject_key.get();
        let keyed = known.map(|key| crate::domain::privacy::subject_ref(key, &email));
        let hashed = hashed(&email);
        let mut values: Vec<&dyn sql::ToSql> =
            vec![&self.tenant, &email, &domain, &hashed, &GLOBAL, &keyed];
        if let Some(d) = duplicate {
            values.extend(d.values());
        }
        let text: &str = if duplicate.is_some() {
            &WITH_DUPLICATE
        } else {
            &ALONE
        };
        let (found, key, earlier) =
            self.conn
                .prepare_cached(text)?
                .query_row(&values[..], |r| {
                    let found = match r.get::<_, Option<String>>(0)? {
                        Some(_) => Some(suppression_from_row(r)?),
                        None => None,
                    };
                    let earlier = match duplicate {
                        Some(_) => r.get::<_, Option<String>>(6)?,
                        None => None,
                    };
                    Ok((found, r.get::<_, Option<Vec<u8>>>(5)?, earlier))
                })?;
        match key {
            // A key this check did not know (created since, or never read): learnt, and the
            // address checked again with its keyed reference.
            Some(key) if known.is_none() => {
                let _ = self.subject_key.set(key);
                Ok((self.suppression_for(&email)?, earlier))
            }
            _ => Ok((found, earlier)),
        }
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
        entry.subject = Some(self.audit_subject_in(&tx, value, at)?);
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
        entry.subject = Some(self.audit_subject_in(&tx, value, at)?);
        entry.reason = reason.map(str::to_string);
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        Ok(())
    }

    /// How an audit entry names a suppressed value: an address as its pseudonymous reference
    /// (the audit log outlives an erasure), a domain or a reference as it is.
    fn audit_subject_in(&self, tx: &sql::Transaction<'_>, value: &str, at: i64) -> Result<String> {
        if value.starts_with('@') || !value.contains('@') {
            return Ok(value.to_string());
        }
        let key = self.subject_key_in(tx, at)?;
        Ok(crate::domain::privacy::subject_ref(&key, value))
    }

    /// The tenant's own list.
    pub fn list_suppressions(&self) -> Result<Vec<Suppression>> {
        self.suppressions_of(self.tenant.as_str())
    }

    /// The global list, which every tenant honours.
    pub fn list_global_suppressions(&self) -> Result<Vec<Suppression>> {
        self.suppressions_of(GLOBAL)
    }

    fn suppressions_of(&self, tenant: &str) -> Result<Vec<Suppression>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT value, reason, created_by, created_at, tenant_id FROM suppressions
             WHERE tenant_id = ?1 ORDER BY created_at, value",
        )?;
        let rows = stmt
            .query_map([tenant], suppression_from_row)?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Adds a value to the global list (or updates nothing when it is there), with an audit entry
    /// in the log of each tenant of `audited_in` (every tenant honours it, so each log says so),
    /// in one transaction. Returns false when it existed.
    pub fn add_global_suppression(
        &self,
        value: &str,
        reason: &str,
        actor: &str,
        at: i64,
        audited_in: &[TenantId],
    ) -> Result<bool> {
        let tx = self.write_tx()?;
        let inserted = tx.execute(
            "INSERT INTO suppressions (tenant_id, value, reason, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            params![GLOBAL, value, reason, actor, at],
        )?;
        if inserted > 0 {
            let mut entry = AuditEntry::new(actor, "suppression.add", at);
            entry.subject = Some(value.to_string());
            entry.reason = Some(reason.to_string());
            entry.after = Some(r#"{"scope":"global"}"#.to_string());
            audit_in_each(&tx, audited_in, &entry)?;
        }
        tx.commit()?;
        Ok(inserted > 0)
    }

    /// Takes a value off the global list, audited in each tenant of `audited_in`.
    pub fn remove_global_suppression(
        &self,
        value: &str,
        reason: Option<&str>,
        actor: &str,
        at: i64,
        audited_in: &[TenantId],
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let removed = tx.execute(
            "DELETE FROM suppressions WHERE tenant_id = ?1 AND value = ?2",
            params![GLOBAL, value],
        )?;
        if removed == 0 {
            return Err(Error::NotFound(format!(
                "{value} is not on the global suppression list"
            )));
        }
        let mut entry = AuditEntry::new(actor, "suppression.remove", at);
        entry.subject = Some(value.to_string());
        entry.reason = reason.map(str::to_string);
        entry.before = Some(r#"{"scope":"global"}"#.to_string());
        audit_in_each(&tx, audited_in, &entry)?;
        tx.commit()?;
        Ok(())
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

    #[test]
    fn every_tenant_honours_the_global_list_and_only_its_own() {
        let db = crate::store::test_support::SharedDb::new();
        let (acme, globex) = (db.open("acme"), db.open("globex"));
        acme.add_suppression("a@x.com", "asked", "ops", 1).unwrap();
        assert!(globex.suppression_for("a@x.com").unwrap().is_none());
        let both = [acme.tenant().clone(), globex.tenant().clone()];
        assert!(
            globex
                .add_global_suppression("@spam.biz", "spam", "ops", 2, &both)
                .unwrap()
        );
        for store in [&acme, &globex] {
            let hit = store.suppression_for("x@spam.biz").unwrap().unwrap();
            assert!(hit.global);
            assert!(store.list_suppressions().unwrap().iter().all(|s| !s.global));
        }
        assert_eq!(acme.list_global_suppressions().unwrap().len(), 1);
        acme.remove_global_suppression("@spam.biz", None, "ops", 3, &both)
            .unwrap();
        assert!(globex.suppression_for("x@spam.biz").unwrap().is_none());
        assert!(matches!(
            acme.remove_global_suppression("@spam.biz", None, "ops", 4, &both),
            Err(Error::NotFound(_))
        ));
    }

    /// A connection that checked addresses before the tenant had a subject key finds an
    /// address suppressed by its keyed reference once another connection made the key, and
    /// keeps finding it (the key kept).
    #[test]
    fn a_key_made_by_another_connection_is_learnt_by_the_next_check() {
        let db = crate::store::test_support::SharedDb::new();
        let worker = db.open("default");
        assert!(worker.suppression_for("gone@y.com").unwrap().is_none());
        // The pipeline's check, which reads the dedupe step's answer with it, learns it too.
        let pipeline = db.open("default");
        let nothing_earlier = DuplicateQuery {
            submission_id: "none",
            email: "gone@y.com",
            form_id: None,
            received_at: 1,
            window_ms: 1,
        };
        let check = |email: &str| {
            pipeline
                .suppression_and_duplicate(email, &nothing_earlier)
                .unwrap()
        };
        assert_eq!(check("gone@y.com"), (None, None));
        let operator = db.open("default");
        let keyed = operator.subject_ref("gone@y.com").unwrap();
        operator
            .add_suppression(&keyed, "erased", "ops", 1)
            .unwrap();
        for _ in 0..2 {
            let hit = worker.suppression_for("Gone@y.com").unwrap().unwrap();
            assert_eq!(
                (hit.value.as_str(), hit.reason.as_str()),
                (keyed.as_str(), "erased")
            );
        }
        assert!(worker.suppression_for("other@y.com").unwrap().is_none());
        for _ in 0..2 {
            let (hit, earlier) = check("Gone@y.com");
            assert_eq!((hit.map(|h| h.value), earlier), (Some(keyed.clone()), None));
        }
    }
}
