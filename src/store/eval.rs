//! Eval runs (`eval_runs`, `eval_items`): past leads re-composed with a candidate configuration.
//! Nothing here writes a workflow table; an item moves `pending → done` once, by a guarded UPDATE.

use super::sql;
use super::sql::{OptionalExtension, Row, params};

use super::{Store, resolve_id};
use crate::error::{Error, Result};

/// Which past leads a run takes: drafts created since a time, named ones, or a random sample.
#[derive(Clone, Debug, Default)]
pub struct EvalSelection {
    pub since: Option<i64>,
    /// Workflow or draft ids (or unambiguous prefixes), already resolved to workflow ids.
    pub workflow_ids: Vec<String>,
    pub sample: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct NewEvalRun {
    pub id: String,
    pub candidate_name: String,
    /// The resolved candidate (overlay and prompt texts) as JSON.
    pub candidate: String,
    /// The selection as given, as JSON (for `eval list`).
    pub selection: String,
    pub created_at: i64,
}

/// One lead as the run found it: the original draft and the operator's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvalItem {
    pub workflow_id: String,
    pub draft_id: String,
    pub recipient: String,
    /// What compose needs (lead, form id, history summary) as JSON.
    pub source: String,
    pub original_subject: String,
    pub original_body: String,
    pub original_model: Option<String>,
    /// `pending`, `approved`, `edited` or `rejected`.
    pub decision: String,
    pub final_subject: String,
    pub final_body: String,
    pub review_note: Option<String>,
}

/// What the candidate made of one lead.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvalOutcome {
    pub candidate_subject: Option<String>,
    pub candidate_body: Option<String>,
    pub guard_passed: bool,
    /// JSON array of the guard's violations.
    pub guard_violations: String,
    pub error: Option<String>,
    pub error_class: Option<String>,
    pub model: Option<String>,
    pub prompt_version: Option<String>,
    pub structured_mode: Option<String>,
    pub repaired: bool,
    pub fallback_used: bool,
    pub tokens: Option<i64>,
    pub latency_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalRunRow {
    pub id: String,
    pub candidate_name: String,
    pub candidate: String,
    pub selection: String,
    /// `running` or `completed`.
    pub state: String,
    pub total: i64,
    pub done: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalItemRow {
    pub seq: i64,
    pub item: NewEvalItem,
    /// `pending` or `done`.
    pub state: String,
    pub outcome: EvalOutcome,
}

const RUN_COLUMNS: &str = "r.id, r.candidate_name, r.candidate, r.selection, r.state, r.total, \
     (SELECT COUNT(*) FROM eval_items i \
      WHERE i.run_id = r.id AND i.tenant_id = r.tenant_id AND i.state = 'done'), \
     r.created_at, r.finished_at";

fn run_from_row(r: &Row<'_>) -> sql::Result<EvalRunRow> {
    Ok(EvalRunRow {
        id: r.get(0)?,
        candidate_name: r.get(1)?,
        candidate: r.get(2)?,
        selection: r.get(3)?,
        state: r.get(4)?,
        total: r.get(5)?,
        done: r.get(6)?,
        created_at: r.get(7)?,
        finished_at: r.get(8)?,
    })
}

const ITEM_COLUMNS: &str = "seq, workflow_id, draft_id, recipient, source, original_subject, \
     original_body, original_model, decision, final_subject, final_body, review_note, state, \
     candidate_subject, candidate_body, guard_passed, guard_violations, error, error_class, model, \
     prompt_version, structured_mode, repaired, fallback_used, tokens, latency_ms";

fn item_from_row(r: &Row<'_>) -> sql::Result<EvalItemRow> {
    Ok(EvalItemRow {
        seq: r.get(0)?,
        item: NewEvalItem {
            workflow_id: r.get(1)?,
            draft_id: r.get(2)?,
            recipient: r.get(3)?,
            source: r.get(4)?,
            original_subject: r.get(5)?,
            original_body: r.get(6)?,
            original_model: r.get(7)?,
            decision: r.get(8)?,
            final_subject: r.get(9)?,
            final_body: r.get(10)?,
            review_note: r.get(11)?,
        },
        state: r.get(12)?,
        outcome: EvalOutcome {
            candidate_subject: r.get(13)?,
            candidate_body: r.get(14)?,
            guard_passed: r.get::<_, Option<bool>>(15)?.unwrap_or(false),
            guard_violations: r
                .get::<_, Option<String>>(16)?
                .unwrap_or_else(|| "[]".into()),
            error: r.get(17)?,
            error_class: r.get(18)?,
            model: r.get(19)?,
            prompt_version: r.get(20)?,
            structured_mode: r.get(21)?,
            repaired: r.get(22)?,
            fallback_used: r.get(23)?,
            tokens: r.get(24)?,
            latency_ms: r.get(25)?,
        },
    })
}

impl Store {
    /// The workflows with a draft that `selection` names, oldest first (a sample is random).
    pub fn eval_workflows(&self, selection: &EvalSelection) -> Result<Vec<String>> {
        let mut sql = String::from(
            "SELECT workflow_id FROM drafts
             WHERE tenant_id = ?1 AND created_at >= ?2 AND status != 'superseded'",
        );
        if !selection.workflow_ids.is_empty() {
            sql.push_str(&format!(
                " AND workflow_id IN (SELECT value FROM {})",
                self.dialect().json_values("?3")
            ));
        }
        match selection.sample {
            Some(n) => sql.push_str(&format!(" ORDER BY random() LIMIT {n}")),
            None => sql.push_str(" ORDER BY created_at, id"),
        }
        let ids = serde_json::to_string(&selection.workflow_ids).unwrap_or_default();
        let mut stmt = self.conn.prepare(&sql)?;
        let since = selection.since.unwrap_or(0);
        let rows = if selection.workflow_ids.is_empty() {
            stmt.query_map(params![self.tenant, since], |r| r.get(0))?
                .collect::<sql::Result<Vec<String>>>()?
        } else {
            stmt.query_map(params![self.tenant, since, ids], |r| r.get(0))?
                .collect::<sql::Result<Vec<String>>>()?
        };
        let mut rows = rows;
        if selection.sample.is_some() {
            rows.sort();
        }
        Ok(rows)
    }

    /// A draft's text changes, oldest first: (`draft.edit` or `draft.recompose`, the audited
    /// `after` text as JSON), for telling what the operator saw from what they changed.
    pub fn draft_text_changes(&self, draft_id: &str) -> Result<Vec<(String, Option<String>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT action, after FROM audit_log
             WHERE tenant_id = ?1 AND subject = ?2 AND action IN ('draft.edit', 'draft.recompose')
             ORDER BY created_at, id",
        )?;
        let rows = stmt
            .query_map(params![self.tenant, draft_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Creates a run with all its items pending, in one transaction.
    pub fn create_eval_run(&self, run: &NewEvalRun, items: &[NewEvalItem]) -> Result<()> {
        let tx = self.write_tx()?;
        tx.execute(
            "INSERT INTO eval_runs (id, tenant_id, candidate_name, candidate, selection, state,
                 total, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7)",
            params![
                run.id,
                self.tenant,
                run.candidate_name,
                run.candidate,
                run.selection,
                items.len() as i64,
                run.created_at
            ],
        )?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO eval_items (run_id, tenant_id, seq, workflow_id, draft_id, recipient,
                     source, original_subject, original_body, original_model, decision,
                     final_subject, final_body, review_note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            for (i, item) in items.iter().enumerate() {
                insert.execute(params![
                    run.id,
                    self.tenant,
                    i as i64 + 1,
                    item.workflow_id,
                    item.draft_id,
                    item.recipient,
                    item.source,
                    item.original_subject,
                    item.original_body,
                    item.original_model,
                    item.decision,
                    item.final_subject,
                    item.final_body,
                    item.review_note
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn resolve_eval_run_id(&self, id: &str) -> Result<String> {
        resolve_id(&self.conn, "eval_runs", &self.tenant, id)
    }

    pub fn get_eval_run(&self, id: &str) -> Result<EvalRunRow> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {RUN_COLUMNS} FROM eval_runs r WHERE r.id = ?1 AND r.tenant_id = ?2"
        ))?;
        stmt.query_row((id, &self.tenant), run_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no eval run with id {id}")))
    }

    pub fn list_eval_runs(&self, limit: usize) -> Result<Vec<EvalRunRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {RUN_COLUMNS} FROM eval_runs r WHERE r.tenant_id = ?1
             ORDER BY r.created_at DESC, r.id DESC LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(params![self.tenant, limit as i64], run_from_row)?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every item of a run, in order; with `pending_only`, the ones still to compose.
    pub fn eval_items(&self, run_id: &str, pending_only: bool) -> Result<Vec<EvalItemRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM eval_items
             WHERE run_id = ?1 AND tenant_id = ?2 AND (?3 = 0 OR state = 'pending')
             ORDER BY seq"
        ))?;
        let rows = stmt
            .query_map(params![run_id, self.tenant, pending_only], item_from_row)?
            .collect::<sql::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records one item's outcome; an item already done is left as it is (false).
    pub fn finish_eval_item(
        &self,
        run_id: &str,
        seq: i64,
        outcome: &EvalOutcome,
        at: i64,
    ) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE eval_items SET state = 'done', candidate_subject = ?1, candidate_body = ?2,
                 guard_passed = ?3, guard_violations = ?4, error = ?5, error_class = ?6,
                 model = ?7, prompt_version = ?8, structured_mode = ?9, repaired = ?10,
                 fallback_used = ?11, tokens = ?12, latency_ms = ?13, finished_at = ?14
             WHERE run_id = ?15 AND tenant_id = ?16 AND seq = ?17 AND state = 'pending'",
            params![
                outcome.candidate_subject,
                outcome.candidate_body,
                outcome.guard_passed,
                outcome.guard_violations,
                outcome.error,
                outcome.error_class,
                outcome.model,
                outcome.prompt_version,
                outcome.structured_mode,
                outcome.repaired,
                outcome.fallback_used,
                outcome.tokens,
                outcome.latency_ms,
                at,
                run_id,
                self.tenant,
                seq
            ],
        )?;
        Ok(changed == 1)
    }

    /// Marks a run completed once no item is pending.
    pub fn complete_eval_run(&self, run_id: &str, at: i64) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE eval_runs SET state = 'completed', finished_at = ?1
             WHERE id = ?2 AND tenant_id = ?3 AND state = 'running'
               AND NOT EXISTS (SELECT 1 FROM eval_items
                               WHERE run_id = ?2 AND state = 'pending')",
            params![at, run_id, self.tenant],
        )?;
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuditEntry;
    use crate::store::ops_fixtures::workflow;

    #[test]
    fn named_sampled_and_dated_selections_and_a_drafts_text_changes_in_order() {
        let store = Store::open_in_memory().unwrap();
        let a = workflow(&store, "a@x.com", "completed", "completed", "sent", "gmail");
        let b = workflow(&store, "b@x.com", "completed", "completed", "sent", "gmail");
        let select = |workflow_ids: Vec<String>, sample| {
            store
                .eval_workflows(&EvalSelection {
                    since: None,
                    workflow_ids,
                    sample,
                })
                .unwrap()
        };
        let mut both = vec![a.workflow.clone(), b.workflow.clone()];
        both.sort();
        assert_eq!(select(vec![], None), both);
        assert_eq!(
            select(vec![b.workflow.clone()], None),
            vec![b.workflow.clone()]
        );
        assert_eq!(select(vec![], Some(1)).len(), 1);
        for (action, at) in [
            ("draft.edit", 10),
            ("draft.approve", 11),
            ("draft.recompose", 12),
        ] {
            let actor = "op";
            let mut entry = AuditEntry::new(actor, action, at);
            entry.subject = Some(a.draft.clone());
            entry.after = Some(format!("{{\"at\":{at}}}"));
            store.append_audit(&entry).unwrap();
        }
        let changes = store.draft_text_changes(&a.draft).unwrap();
        let actions: Vec<&str> = changes.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(actions, ["draft.edit", "draft.recompose"]);
    }

    fn item(workflow: &str) -> NewEvalItem {
        NewEvalItem {
            workflow_id: workflow.into(),
            draft_id: format!("d-{workflow}"),
            recipient: "dana@northwind.com".into(),
            source: "{}".into(),
            original_subject: "Hi".into(),
            original_body: "Body".into(),
            original_model: None,
            decision: "approved".into(),
            final_subject: "Hi".into(),
            final_body: "Body".into(),
            review_note: None,
        }
    }

    #[test]
    fn an_item_finishes_once_and_the_run_completes_when_none_is_pending() {
        let store = Store::open_in_memory().unwrap();
        let run = NewEvalRun {
            id: "run-1".into(),
            candidate_name: "c".into(),
            candidate: "{}".into(),
            selection: "{}".into(),
            created_at: 1,
        };
        store
            .create_eval_run(&run, &[item("w1"), item("w2")])
            .unwrap();
        let outcome = EvalOutcome {
            guard_passed: true,
            guard_violations: "[]".into(),
            ..EvalOutcome::default()
        };
        assert!(store.finish_eval_item("run-1", 1, &outcome, 2).unwrap());
        assert!(!store.finish_eval_item("run-1", 1, &outcome, 3).unwrap());
        assert!(!store.complete_eval_run("run-1", 3).unwrap());
        assert_eq!(store.eval_items("run-1", true).unwrap().len(), 1);
        assert!(store.finish_eval_item("run-1", 2, &outcome, 4).unwrap());
        assert!(store.complete_eval_run("run-1", 5).unwrap());
        let row = store.get_eval_run("run-1").unwrap();
        assert_eq!(
            (row.state.as_str(), row.done, row.total),
            ("completed", 2, 2)
        );
    }
}
