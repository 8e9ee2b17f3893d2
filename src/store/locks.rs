//! Named advisory locks in the `locks` table, so that two processes never run the same batch
//! (`reconcile`, one import) at once. A lock has an owner and an expiry; an expired lock, or one
//! whose owner the caller knows to be dead, may be taken over. Renewing a lock that is no longer
//! ours fails (`Error::LockLost`), and a write that must only happen under the lock checks it in
//! its own transaction ([`check_lock_in`]).

use super::sql::{OptionalExtension, Transaction, params};

use super::Store;
use crate::error::{Error, Result};

/// This machine's name, for lock owners and worker heartbeats.
pub(super) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// The owner name of a lock taken by this process: `host:pid`.
pub fn lock_owner() -> String {
    format!("{}:{}", hostname(), std::process::id())
}

/// Whether a lock owner `host:pid` on this host names a process that no longer exists (a run
/// killed with SIGKILL leaves its lock behind). Owners on other hosts are never presumed gone.
pub fn owner_is_gone(owner: &str) -> bool {
    match owner.rsplit_once(':') {
        Some((host, pid)) if host == hostname() && std::path::Path::new("/proc/self").exists() => {
            !std::path::Path::new("/proc").join(pid).exists()
        }
        _ => false,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockHolder {
    pub owner: String,
    pub acquired_at: i64,
    pub expires_at: i64,
}

impl Store {
    /// Takes the lock `name` for `owner` until `expires_at`. When someone else holds it, returns
    /// the holder, unless the lock has expired or `is_stale(owner)` says its owner is gone, in
    /// which case it is taken over.
    pub fn try_lock(
        &self,
        name: &str,
        owner: &str,
        now: i64,
        expires_at: i64,
        is_stale: &dyn Fn(&str) -> bool,
    ) -> Result<Option<LockHolder>> {
        let tx = self.write_tx()?;
        let holder = tx
            .prepare_cached("SELECT owner, acquired_at, expires_at FROM locks WHERE name = ?1")?
            .query_row([name], |r| {
                Ok(LockHolder {
                    owner: r.get(0)?,
                    acquired_at: r.get(1)?,
                    expires_at: r.get(2)?,
                })
            })
            .optional()?;
        if let Some(h) = holder
            && h.owner != owner
            && h.expires_at > now
            && !is_stale(&h.owner)
        {
            return Ok(Some(h));
        }
        tx.execute(
            "INSERT INTO locks (name, owner, acquired_at, expires_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner,
                 acquired_at = excluded.acquired_at, expires_at = excluded.expires_at",
            params![name, owner, now, expires_at],
        )?;
        tx.commit()?;
        Ok(None)
    }

    /// Extends a lock this owner holds; fails with `LockLost` when it is no longer theirs.
    pub fn renew_lock(&self, name: &str, owner: &str, expires_at: i64) -> Result<()> {
        let tx = self.write_tx()?;
        check_lock_in(&tx, name, owner, expires_at)?;
        tx.commit()?;
        Ok(())
    }

    /// Releases a lock this owner holds (someone else's is left alone).
    pub fn unlock(&self, name: &str, owner: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM locks WHERE name = ?1 AND owner = ?2",
            params![name, owner],
        )?;
        Ok(())
    }
}

/// Checks, inside a write transaction, that `owner` still holds lock `name`, and extends it to
/// `expires_at`. Fails with `LockLost` (the caller's transaction then commits nothing) when the
/// lock was taken over or released.
pub(super) fn check_lock_in(
    tx: &Transaction<'_>,
    name: &str,
    owner: &str,
    expires_at: i64,
) -> Result<()> {
    let held = tx
        .prepare_cached("UPDATE locks SET expires_at = ?3 WHERE name = ?1 AND owner = ?2")?
        .execute(params![name, owner, expires_at])?;
    if held == 0 {
        let holder: Option<String> = tx
            .prepare_cached("SELECT owner FROM locks WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        return Err(Error::LockLost {
            name: name.to_string(),
            owner: owner.to_string(),
            why: match holder {
                Some(h) => format!("{h} took it over after it expired"),
                None => "it was released".into(),
            },
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewing_a_lock_taken_over_fails() {
        let store = Store::open_in_memory().unwrap();
        let never = |_: &str| false;
        assert!(
            store
                .try_lock("import:x", "a", 0, 10, &never)
                .unwrap()
                .is_none()
        );
        store.renew_lock("import:x", "a", 20).unwrap();
        // Expired: b takes it over, and a's renewal must now fail.
        assert!(
            store
                .try_lock("import:x", "b", 30, 40, &never)
                .unwrap()
                .is_none()
        );
        let err = store.renew_lock("import:x", "a", 50).unwrap_err();
        assert!(matches!(err, Error::LockLost { .. }), "{err}");
        store.unlock("import:x", "b").unwrap();
        assert!(matches!(
            store.renew_lock("import:x", "b", 60),
            Err(Error::LockLost { .. })
        ));
    }
}
