//! API keys: creating, listing, revoking and rotating a tenant's keys (each audited in its own
//! transaction), and the one lookup by public id that authenticates a request. Only the hash of a
//! key's secret is ever written.

use super::sql;
use super::sql::{OptionalExtension, Row, params};

use super::Store;
use super::audit::{AuditEntry, append_audit};
use crate::domain::tenant::TenantId;
use crate::error::{Error, Result};

const COLUMNS: &str = "id, tenant_id, name, prefix, secret_hash, scopes, rate_per_sec, burst, \
    created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by, rotated_to";

/// A key as stored: never its secret, only the secret's hash.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiKeyRow {
    pub id: String,
    pub tenant: TenantId,
    pub name: String,
    pub prefix: String,
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub rate_per_sec: Option<f64>,
    pub burst: Option<u32>,
    pub created_at: i64,
    pub created_by: String,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
    /// The key that replaced this one by `keys rotate`.
    pub rotated_to: Option<String>,
}

/// Whether a key can be used at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    Active,
    Expired,
    Revoked,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Expired => "expired",
            KeyState::Revoked => "revoked",
        }
    }
}

impl ApiKeyRow {
    pub fn state(&self, now: i64) -> KeyState {
        if self.revoked_at.is_some() {
            KeyState::Revoked
        } else if self.expires_at.is_some_and(|t| t <= now) {
            KeyState::Expired
        } else {
            KeyState::Active
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// What a new key row holds (the hash and display prefix come from `domain::api_key::generate`).
#[derive(Clone, Debug)]
pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub name: &'a str,
    pub scopes: &'a [String],
    pub rate_per_sec: Option<f64>,
    pub burst: Option<u32>,
    pub expires_at: Option<i64>,
}

fn key_from_row(r: &Row<'_>) -> sql::Result<ApiKeyRow> {
    let tenant: String = r.get(1)?;
    let scopes: String = r.get(5)?;
    Ok(ApiKeyRow {
        id: r.get(0)?,
        tenant: TenantId::parse(&tenant)
            .map_err(|why| sql::Error::FromSqlConversionFailure(1, why.into()))?,
        name: r.get(2)?,
        prefix: r.get(3)?,
        secret_hash: r.get(4)?,
        scopes: scopes.split_whitespace().map(str::to_string).collect(),
        rate_per_sec: r.get(6)?,
        burst: r.get(7)?,
        created_at: r.get(8)?,
        created_by: r.get(9)?,
        expires_at: r.get(10)?,
        last_used_at: r.get(11)?,
        revoked_at: r.get(12)?,
        revoked_by: r.get(13)?,
        rotated_to: r.get(14)?,
    })
}

fn insert_key(
    tx: &sql::Transaction<'_>,
    tenant: &TenantId,
    key: &NewApiKey<'_>,
    actor: &str,
    at: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, scopes, rate_per_sec,
             burst, created_at, created_by, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            key.id,
            tenant,
            key.name,
            key.prefix,
            key.secret_hash,
            key.scopes.join(" "),
            key.rate_per_sec,
            key.burst,
            at,
            actor,
            key.expires_at
        ],
    )?;
    Ok(())
}

/// The audit entry of a key change: the key's id as subject, its name and scopes after (never the
/// secret or its hash).
fn key_audit(actor: &str, action: &str, key: &NewApiKey<'_>, at: i64) -> AuditEntry {
    let mut entry = AuditEntry::new(actor, action, at);
    entry.subject = Some(key.id.to_string());
    entry.after = Some(
        serde_json::json!({"name": key.name, "scopes": key.scopes, "expires_at": key.expires_at})
            .to_string(),
    );
    entry
}

impl Store {
    /// Stores a new key of this tenant, audited (`api_key.create`).
    pub fn create_api_key(&self, key: &NewApiKey<'_>, actor: &str, at: i64) -> Result<ApiKeyRow> {
        let tx = self.write_tx()?;
        insert_key(&tx, &self.tenant, key, actor, at)?;
        append_audit(
            &tx,
            &self.tenant,
            &key_audit(actor, "api_key.create", key, at),
        )?;
        tx.commit()?;
        self.get_api_key(key.id)
    }

    /// This tenant's keys, newest first.
    pub fn list_api_keys(&self) -> Result<Vec<ApiKeyRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE tenant_id = ?1 ORDER BY created_at DESC, id DESC"
        ))?;
        Ok(stmt
            .query_map([&self.tenant], key_from_row)?
            .collect::<sql::Result<_>>()?)
    }

    /// One of this tenant's keys; another tenant's is "not found".
    pub fn get_api_key(&self, id: &str) -> Result<ApiKeyRow> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM api_keys WHERE id = ?1 AND tenant_id = ?2"
            ))?
            .query_row((id, &self.tenant), key_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no API key with id {id}")))
    }

    /// The key with this public id, whatever its tenant: the one lookup that is not scoped by
    /// tenant, because a presented key is what names its tenant. Callers must check the secret
    /// (`PresentedKey::matches`) before trusting anything in the row.
    pub fn authenticate_api_key(&self, id: &str) -> Result<Option<ApiKeyRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"))?
            .query_row([id], key_from_row)
            .optional()?)
    }

    /// Records that a key was used (callers write this at most about once a minute per key).
    pub fn touch_api_key(&self, id: &str, at: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND tenant_id = ?3
                   AND (last_used_at IS NULL OR last_used_at < ?2)",
            )?
            .execute(params![id, at, self.tenant])?;
        Ok(())
    }

    /// Revokes a key at once, audited (`api_key.revoke`); a key revoked already is `Refused`.
    pub fn revoke_api_key(
        &self,
        id: &str,
        actor: &str,
        reason: Option<&str>,
        at: i64,
    ) -> Result<ApiKeyRow> {
        let tx = self.write_tx()?;
        let changed = tx.execute(
            "UPDATE api_keys SET revoked_at = ?2, revoked_by = ?3
             WHERE id = ?1 AND tenant_id = ?4 AND revoked_at IS NULL",
            params![id, at, actor, self.tenant],
        )?;
        if changed == 0 {
            drop(tx);
            let current = self.get_api_key(id)?;
            return Err(Error::Refused(format!(
                "API key {id} was revoked already by {} at {}",
                current.revoked_by.as_deref().unwrap_or("someone"),
                current
                    .revoked_at
                    .map(crate::domain::time::rfc3339)
                    .unwrap_or_default()
            )));
        }
        let mut entry = AuditEntry::new(actor, "api_key.revoke", at);
        entry.subject = Some(id.to_string());
        entry.reason = reason.map(str::to_string);
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        self.get_api_key(id)
    }

    /// Replaces a live key by `new` (same name, scopes and limits, given by the caller): the old
    /// one keeps working until `at + overlap_ms` (or its own earlier expiry), then stops. One
    /// transaction, audited (`api_key.rotate`); a revoked, expired or already rotated key is
    /// `Refused`.
    pub fn rotate_api_key(
        &self,
        id: &str,
        new: &NewApiKey<'_>,
        overlap_ms: i64,
        actor: &str,
        at: i64,
    ) -> Result<(ApiKeyRow, ApiKeyRow)> {
        let tx = self.write_tx()?;
        let until = at.saturating_add(overlap_ms.max(0));
        // The successor first: the old row points at it.
        insert_key(&tx, &self.tenant, new, actor, at)?;
        let changed = tx.execute(
            "UPDATE api_keys SET expires_at = CASE WHEN expires_at < ?2 THEN expires_at ELSE ?2 END, rotated_to = ?3
             WHERE id = ?1 AND tenant_id = ?4 AND revoked_at IS NULL AND rotated_to IS NULL
               AND (expires_at IS NULL OR expires_at > ?5)",
            params![id, until, new.id, self.tenant, at],
        )?;
        if changed == 0 {
            drop(tx);
            let current = self.get_api_key(id)?;
            let why = match (current.state(at), &current.rotated_to) {
                (_, Some(next)) => format!("it was rotated already (its successor is {next})"),
                (state, None) => format!("it is {}", state.as_str()),
            };
            return Err(Error::Refused(format!(
                "API key {id} cannot be rotated: {why}\nhint: create a new key with `salesagent keys create`"
            )));
        }
        let mut entry = key_audit(actor, "api_key.rotate", new, at);
        entry.subject = Some(id.to_string());
        entry.reason = Some(format!(
            "replaced by {}; old key works until {}",
            new.id,
            crate::domain::time::rfc3339(until)
        ));
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        Ok((self.get_api_key(id)?, self.get_api_key(new.id)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_key<'a>(id: &'a str, scopes: &'a [String]) -> NewApiKey<'a> {
        NewApiKey {
            id,
            prefix: "sa_test_x_",
            secret_hash: "0000000000000000000000000000000000000000000000000000000000000000",
            name: "zapier",
            scopes,
            rate_per_sec: None,
            burst: None,
            expires_at: None,
        }
    }

    #[test]
    fn rotate_sets_the_overlap_and_revoke_is_guarded() {
        let s = Store::open_in_memory().unwrap();
        let scopes = vec!["drafts:read".to_string()];
        s.create_api_key(&new_key("k1aaaaaaaaaa", &scopes), "ann", 1_000)
            .unwrap();
        let (old, new) = s
            .rotate_api_key(
                "k1aaaaaaaaaa",
                &new_key("k2aaaaaaaaaa", &scopes),
                500,
                "ann",
                2_000,
            )
            .unwrap();
        assert_eq!(old.expires_at, Some(2_500));
        assert_eq!(old.rotated_to.as_deref(), Some("k2aaaaaaaaaa"));
        assert_eq!(old.state(2_400), KeyState::Active);
        assert_eq!(old.state(2_500), KeyState::Expired);
        assert_eq!(new.scopes, scopes);
        let again = s.rotate_api_key(
            "k1aaaaaaaaaa",
            &new_key("k3aaaaaaaaaa", &scopes),
            0,
            "ann",
            2_100,
        );
        assert!(matches!(again, Err(Error::Refused(_))));
        s.revoke_api_key("k2aaaaaaaaaa", "bob", None, 3_000)
            .unwrap();
        assert!(matches!(
            s.revoke_api_key("k2aaaaaaaaaa", "bob", None, 3_001),
            Err(Error::Refused(_))
        ));
        assert_eq!(
            s.get_api_key("k2aaaaaaaaaa").unwrap().state(3_000),
            KeyState::Revoked
        );
    }
}
