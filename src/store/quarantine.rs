//! Quarantined payloads: authenticated webhook bodies we could not parse, kept as received. Listing
//! and reading them, replaying one (its submissions, workflows and jobs committed together with
//! the resolution and its audit entry) and discarding one (audited). Parsing is the caller's.

use super::sql;
use super::sql::{OptionalExtension, Row, params};

use super::audit::{AuditEntry, append_audit};
use super::submissions::accept_all_in;
use super::{Acceptance, ListQuery, NewSubmission, Page, Store, resolve_id};
use crate::error::{Error, Result};

/// What became of a quarantined payload, as stored in `quarantined_payloads.resolution`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    Replayed,
    Discarded,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Replayed => "replayed",
            Resolution::Discarded => "discarded",
        }
    }

    fn parse(text: &str) -> Option<Resolution> {
        match text {
            "replayed" => Some(Resolution::Replayed),
            "discarded" => Some(Resolution::Discarded),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuarantineRow {
    pub id: String,
    pub reason: String,
    pub content_type: Option<String>,
    pub raw_payload: Vec<u8>,
    pub received_at: i64,
    pub resolution: Option<Resolution>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    /// The workflows a replay created, as a JSON array of ids.
    pub workflow_ids: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct QuarantineFilter {
    /// Also those already replayed or discarded.
    pub include_done: bool,
    pub limit: usize,
}

const COLUMNS: &str = "id, reason, content_type, raw_payload, received_at, resolution, resolved_by, \
     resolved_at, workflow_ids";

fn from_row(r: &Row<'_>) -> sql::Result<QuarantineRow> {
    let resolution: Option<String> = r.get(5)?;
    Ok(QuarantineRow {
        id: r.get(0)?,
        reason: r.get(1)?,
        content_type: r.get(2)?,
        raw_payload: r.get(3)?,
        received_at: r.get(4)?,
        resolution: resolution.as_deref().and_then(Resolution::parse),
        resolved_by: r.get(6)?,
        resolved_at: r.get(7)?,
        workflow_ids: r.get(8)?,
    })
}

impl Store {
    pub fn resolve_quarantine_id(&self, id: &str) -> Result<String> {
        resolve_id(&self.conn, "quarantined_payloads", &self.tenant, id).map_err(|e| match e {
            Error::NotFound(_) => Error::NotFound(format!("no quarantined payload with id {id}")),
            other => other,
        })
    }

    /// Quarantined payloads, oldest first; by default only those nobody has dealt with.
    pub fn list_quarantine(&self, filter: &QuarantineFilter) -> Result<Page<QuarantineRow>> {
        ListQuery::new(
            &format!("SELECT {COLUMNS} FROM quarantined_payloads WHERE tenant_id = ?1"),
            &self.tenant,
        )
        .when(!filter.include_done, "resolution IS NULL")
        .fetch_page(&self.conn, "received_at, id", filter.limit, from_row)
    }

    pub fn get_quarantine(&self, id: &str) -> Result<QuarantineRow> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM quarantined_payloads WHERE id = ?1 AND tenant_id = ?2"
            ))?
            .query_row((id, &self.tenant), from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no quarantined payload with id {id}")))
    }

    /// Accepts the submissions a replay parsed out of quarantined payload `id` (each with its
    /// workflow and a job on `normal`), marks the payload replayed and audits it, in one
    /// transaction. Refuses a payload already replayed or discarded.
    pub fn replay_quarantined(
        &self,
        id: &str,
        items: &[NewSubmission<'_>],
        actor: &str,
        at: i64,
    ) -> Result<Vec<Acceptance>> {
        let tx = self.write_tx()?;
        refuse_if_resolved(&tx, &self.tenant, id)?;
        let out = accept_all_in(&tx, &self.tenant, items)?;
        let workflows: Vec<&str> = out
            .iter()
            .filter_map(|a| match a {
                Acceptance::Accepted { workflow_id, .. } => Some(workflow_id.as_str()),
                Acceptance::Duplicate { .. } => None,
            })
            .collect();
        let workflow_ids = serde_json::to_string(&workflows).unwrap_or_else(|_| "[]".into());
        resolve_in(
            &tx,
            &self.tenant,
            id,
            Resolution::Replayed,
            actor,
            Some(&workflow_ids),
            at,
        )?;
        let mut entry = AuditEntry::new(actor, "quarantine.replay", at);
        entry.subject = Some(id.to_string());
        entry.after = Some(
            serde_json::json!({
                "submissions": out.len(),
                "workflow_ids": workflows,
                "duplicates": out.len() - workflows.len(),
            })
            .to_string(),
        );
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        Ok(out)
    }

    /// Marks quarantined payload `id` discarded (nobody will replay it) and audits why.
    pub fn discard_quarantined(&self, id: &str, actor: &str, reason: &str, at: i64) -> Result<()> {
        let tx = self.write_tx()?;
        let before = refuse_if_resolved(&tx, &self.tenant, id)?;
        resolve_in(
            &tx,
            &self.tenant,
            id,
            Resolution::Discarded,
            actor,
            None,
            at,
        )?;
        let mut entry = AuditEntry::new(actor, "quarantine.discard", at);
        entry.subject = Some(id.to_string());
        entry.reason = Some(reason.to_string());
        entry.before = Some(serde_json::json!({ "reason": before }).to_string());
        append_audit(&tx, &self.tenant, &entry)?;
        tx.commit()?;
        Ok(())
    }
}

/// The payload's quarantine reason, unless someone already replayed or discarded it.
fn refuse_if_resolved(tx: &sql::Transaction<'_>, tenant: &str, id: &str) -> Result<String> {
    let (reason, resolution, by): (String, Option<String>, Option<String>) = tx
        .prepare_cached(
            "SELECT reason, resolution, resolved_by FROM quarantined_payloads
             WHERE id = ?1 AND tenant_id = ?2",
        )?
        .query_row(params![id, tenant], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no quarantined payload with id {id}")))?;
    match resolution {
        Some(done) => Err(Error::Refused(format!(
            "quarantined payload {id} was already {done} by {}",
            by.as_deref().unwrap_or("someone")
        ))),
        None => Ok(reason),
    }
}

fn resolve_in(
    tx: &sql::Transaction<'_>,
    tenant: &str,
    id: &str,
    resolution: Resolution,
    actor: &str,
    workflow_ids: Option<&str>,
    at: i64,
) -> Result<()> {
    // Guarded: of two operators acting at once, the second changes nothing and is refused above.
    tx.prepare_cached(
        "UPDATE quarantined_payloads SET resolution = ?2, resolved_by = ?3, resolved_at = ?4,
             workflow_ids = ?5
         WHERE id = ?1 AND tenant_id = ?6 AND resolution IS NULL",
    )?
    .execute(params![
        id,
        resolution.as_str(),
        actor,
        at,
        workflow_ids,
        tenant
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::new_id;
    use crate::store::sql::params;

    #[test]
    fn a_quarantined_payload_is_discarded_once_and_then_listed_only_with_the_done_ones() {
        let store = Store::open_in_memory().unwrap();
        let id = new_id();
        store
            .conn
            .execute(
                "INSERT INTO quarantined_payloads (id, tenant_id, reason, content_type, raw_payload,
                     received_at)
                 VALUES (?1, 'default', 'not json', 'text/plain', ?2, 10)",
                params![id, b"\x00\xffnot json".to_vec()],
            )
            .unwrap();
        let open = QuarantineFilter {
            include_done: false,
            limit: 10,
        };
        assert_eq!(store.list_quarantine(&open).unwrap().rows.len(), 1);
        assert_eq!(
            store.get_quarantine(&id).unwrap().raw_payload,
            b"\x00\xffnot json"
        );
        store.discard_quarantined(&id, "op", "spam", 20).unwrap();
        let again = store.discard_quarantined(&id, "op", "spam", 21);
        assert!(matches!(again, Err(Error::Refused(_))), "{again:?}");
        assert!(store.list_quarantine(&open).unwrap().rows.is_empty());
        let all = QuarantineFilter {
            include_done: true,
            limit: 10,
        };
        let row = store.list_quarantine(&all).unwrap().rows.remove(0);
        assert_eq!(
            (row.resolution, row.resolved_by.as_deref(), row.resolved_at),
            (Some(Resolution::Discarded), Some("op"), Some(20))
        );
    }
}
