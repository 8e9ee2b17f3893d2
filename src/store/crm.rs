//! The embedded CRM's tables (`crm_*`): contacts, companies and tasks with HubSpot-like numeric ids.
//! Only the local CRM connector calls these. Ids are per tenant (each tenant is its own portal,
//! V14 keys the tables by `(tenant_id, id)`): an id not given is the tenant's highest plus one,
//! read by the INSERT itself. No write takes the global write lock: each is decided by a unique
//! index (`ON CONFLICT DO NOTHING … RETURNING`, then a lookup), contacts and tasks in one
//! statement outside any transaction, a company and its link in one row-locked transaction.

use super::sql;
use super::sql::{OptionalExtension, Row, params};

use super::{ListQuery, Page, Store};
use crate::domain::lead::Lead;
use crate::error::{Error, Result};

/// How often a create whose next id was taken meanwhile tries again: each try follows another
/// creator's commit, so this bounds a burst of concurrent creators of one tenant.
const ID_TRIES: usize = 16;

/// `insert` (Some: created), else `find` (Some: it existed), `tries` times at most: neither
/// means the INSERT lost the race for its id (it inserts nothing on any conflict), and a new
/// statement reads the new highest id. None when every try lost.
fn insert_or_find<T>(
    tries: usize,
    insert: impl Fn() -> Result<Option<T>>,
    find: impl Fn() -> Result<Option<T>>,
) -> Option<Result<(T, bool)>> {
    for _ in 0..tries {
        match insert() {
            Ok(Some(row)) => return Some(Ok((row, true))),
            Ok(None) => {}
            Err(e) => return Some(Err(e)),
        }
        match find() {
            Ok(Some(row)) => return Some(Ok((row, false))),
            Ok(None) => {}
            Err(e) => return Some(Err(e)),
        }
    }
    None
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmContactRow {
    pub id: i64,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub phone: Option<String>,
    pub company_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmTaskRow {
    pub id: i64,
    pub contact_id: i64,
    pub reference: String,
    pub subject: String,
    pub body: String,
    pub priority: String,
    pub owner_id: Option<String>,
    pub status: String,
    pub due_at: i64,
}

const CONTACT_COLUMNS: &str =
    "id, email, first_name, last_name, company, job_title, phone, company_id, created_at";

fn contact_from_row(r: &Row<'_>) -> sql::Result<CrmContactRow> {
    Ok(CrmContactRow {
        id: r.get(0)?,
        email: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        company: r.get(4)?,
        job_title: r.get(5)?,
        phone: r.get(6)?,
        company_id: r.get(7)?,
        created_at: r.get(8)?,
    })
}

const TASK_COLUMNS: &str =
    "id, contact_id, reference, subject, body, priority, owner_id, status, due_at";

fn task_from_row(r: &Row<'_>) -> sql::Result<CrmTaskRow> {
    Ok(CrmTaskRow {
        id: r.get(0)?,
        contact_id: r.get(1)?,
        reference: r.get(2)?,
        subject: r.get(3)?,
        body: r.get(4)?,
        priority: r.get(5)?,
        owner_id: r.get(6)?,
        status: r.get(7)?,
        due_at: r.get(8)?,
    })
}

impl Store {
    /// Finds the contact by email or creates it; returns it and whether it was created.
    ///
    /// No transaction and no global write lock: each statement commits on its own, as a remote
    /// CRM's calls would, and each holds by itself. The email is unique per tenant (index
    /// `crm_contacts_email`), so two creators of one contact insert one row and the other finds
    /// it; the id is the tenant's highest plus one, read in the INSERT, so two creators of
    /// different contacts may pick the same id: the later one's INSERT (which waits for the
    /// first on the primary key) inserts nothing and finds no row by its email, and it tries
    /// again with the new highest id. An explicit id taken by another contact is not retried.
    pub fn crm_upsert_contact(
        &self,
        lead: &Lead,
        explicit_id: Option<i64>,
        at: i64,
    ) -> Result<(CrmContactRow, bool)> {
        let email = lead.email.as_deref().unwrap_or_default();
        let insert = || {
            Ok(self
                .conn
                .prepare_cached(&format!(
                    "INSERT INTO crm_contacts (id, tenant_id, email, first_name, last_name, company,
                         job_title, phone, created_at, updated_at)
                     VALUES (COALESCE(?1, (SELECT COALESCE(MAX(id), 0) + 1 FROM crm_contacts
                                           WHERE tenant_id = ?2)),
                             ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) ON CONFLICT DO NOTHING
                     RETURNING {CONTACT_COLUMNS}"
                ))?
                .query_row(
                    params![
                        explicit_id,
                        self.tenant,
                        email,
                        lead.first_name,
                        lead.last_name,
                        lead.company,
                        lead.job_title,
                        lead.phone,
                        at
                    ],
                    contact_from_row,
                )
                .optional()?)
        };
        let find = || {
            Ok(self
                .conn
                .prepare_cached(&format!(
                    "SELECT {CONTACT_COLUMNS} FROM crm_contacts WHERE tenant_id = ?1 AND email = ?2"
                ))?
                .query_row((&self.tenant, email), contact_from_row)
                .optional()?)
        };
        let tries = if explicit_id.is_some() { 1 } else { ID_TRIES };
        insert_or_find(tries, insert, find).ok_or_else(|| {
            Error::Refused(format!(
                "contact {email} cannot be created in the embedded CRM: its id {} is another \
                 contact's",
                explicit_id.map_or_else(|| "(the next)".to_string(), |id| id.to_string())
            ))
        })?
    }

    pub fn crm_contact(&self, id: i64) -> Result<Option<CrmContactRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CONTACT_COLUMNS} FROM crm_contacts WHERE tenant_id = ?1 AND id = ?2"
            ))?
            .query_row((&self.tenant, id), contact_from_row)
            .optional()?)
    }

    pub fn crm_contacts(&self, limit: usize) -> Result<Page<CrmContactRow>> {
        ListQuery::new(
            &format!("SELECT {CONTACT_COLUMNS} FROM crm_contacts WHERE tenant_id = ?1"),
            &self.tenant,
        )
        .fetch_page(&self.conn, "id", limit, contact_from_row)
    }

    /// Finds or creates the company for a domain and links the contact to it, in one
    /// transaction (one commit to flush, not two) without the global write lock: the domain is
    /// unique per tenant (`crm_companies_domain`) and the id the database's own, so a second
    /// creator's INSERT waits on the index, inserts nothing and finds the first's row; the link
    /// is one UPDATE of the contact's own row.
    pub fn crm_upsert_company(
        &self,
        domain: &str,
        name: Option<&str>,
        contact_id: i64,
        at: i64,
    ) -> Result<(i64, Option<String>, bool)> {
        let tx = self.conn.row_locked_tx()?;
        let insert = || {
            Ok(tx
                .prepare_cached(
                    "INSERT INTO crm_companies (tenant_id, domain, name, created_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING RETURNING id, name",
                )?
                .query_row(params![self.tenant, domain, name, at], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?)
        };
        let find = || {
            Ok(tx
                .prepare_cached(
                    "SELECT id, name FROM crm_companies WHERE tenant_id = ?1 AND domain = ?2",
                )?
                .query_row((&self.tenant, domain), |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?)
        };
        // One try: the id is not ours to pick, so the INSERT conflicts only on the domain.
        let ((id, name), inserted): ((i64, Option<String>), bool) = insert_or_find(1, insert, find)
            .ok_or_else(|| {
                Error::Internal(format!("company {domain} is neither created nor found"))
            })??;
        tx.prepare_cached(
            "UPDATE crm_contacts SET company_id = ?2, updated_at = ?3 WHERE id = ?1 AND tenant_id = ?4",
        )?
        .execute(params![contact_id, id, at, self.tenant])?;
        tx.commit()?;
        Ok((id, name, inserted))
    }

    /// (open, total, newest created_at) of the contact's tasks.
    pub fn crm_task_counts(&self, contact_id: i64) -> Result<(i64, i64, Option<i64>)> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FILTER (WHERE status != 'COMPLETED'), COUNT(*), MAX(created_at)
             FROM crm_tasks WHERE tenant_id = ?1 AND contact_id = ?2",
            )?
            .query_row(params![self.tenant, contact_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?)
    }

    pub fn crm_task_by_reference(&self, reference: &str) -> Result<Option<CrmTaskRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM crm_tasks WHERE tenant_id = ?1 AND reference = ?2"
            ))?
            .query_row((&self.tenant, reference), task_from_row)
            .optional()?)
    }

    pub fn crm_task(&self, id: i64) -> Result<Option<CrmTaskRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM crm_tasks WHERE tenant_id = ?1 AND id = ?2"
            ))?
            .query_row((&self.tenant, id), task_from_row)
            .optional()?)
    }

    /// Creates the task unless one with the same reference exists; returns the task either way.
    /// No transaction, for the reasons of [`Store::crm_upsert_contact`]: the reference is unique
    /// per tenant (`crm_tasks_reference`), and an id taken meanwhile by another task is tried
    /// again with the new highest.
    #[allow(clippy::too_many_arguments)]
    pub fn crm_insert_task(
        &self,
        contact_id: i64,
        reference: &str,
        subject: &str,
        body: &str,
        priority: &str,
        owner_id: Option<&str>,
        due_at: i64,
        at: i64,
    ) -> Result<CrmTaskRow> {
        let insert = || {
            Ok(self
                .conn
                .prepare_cached(&format!(
                    "INSERT INTO crm_tasks (id, tenant_id, contact_id, reference, subject, body,
                         priority, task_type, owner_id, due_at, created_at)
                     VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM crm_tasks WHERE tenant_id = ?1),
                             ?1, ?2, ?3, ?4, ?5, ?6, 'EMAIL', ?7, ?8, ?9) ON CONFLICT DO NOTHING
                     RETURNING {TASK_COLUMNS}"
                ))?
                .query_row(
                    params![
                        self.tenant,
                        contact_id,
                        reference,
                        subject,
                        body,
                        priority,
                        owner_id,
                        due_at,
                        at
                    ],
                    task_from_row,
                )
                .optional()?)
        };
        let find = || self.crm_task_by_reference(reference);
        let (row, _) = insert_or_find(ID_TRIES, insert, find).ok_or_else(|| {
            Error::Internal(format!(
                "task {reference} is neither created nor found in the embedded CRM"
            ))
        })??;
        Ok(row)
    }

    /// Marks a task COMPLETED and appends `note` to its body; false when there is no such task.
    pub fn crm_complete_task(&self, id: i64, note: &str) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE crm_tasks SET status = 'COMPLETED', body = body || char(10) || char(10) || ?3
                 WHERE tenant_id = ?1 AND id = ?2",
            )?
            .execute(params![self.tenant, id, note])?;
        Ok(changed > 0)
    }

    pub fn crm_tasks(&self, limit: usize) -> Result<Page<CrmTaskRow>> {
        ListQuery::new(
            &format!("SELECT {TASK_COLUMNS} FROM crm_tasks WHERE tenant_id = ?1"),
            &self.tenant,
        )
        .fetch_page(&self.conn, "id", limit, task_from_row)
    }
}
