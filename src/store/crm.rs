//! The embedded CRM's tables (`crm_*`): contacts, companies and tasks with HubSpot-like numeric ids.
//! Only the local CRM connector calls these. Ids are per tenant (each tenant is its own portal,
//! V14 keys the tables by `(tenant_id, id)`). An id not given is, on SQLite, the tenant's highest
//! plus one, read by the INSERT itself (SQLite's writers take turns, so two never read the same);
//! on PostgreSQL the next value of the table's identity sequence (V18), since concurrent creators
//! reading one highest id would pick the same one, the later waiting for the earlier's commit to
//! lose and try again. No write takes the global write lock: each is decided by a unique index
//! (`ON CONFLICT DO NOTHING … RETURNING`, then a lookup), contacts and tasks in one statement
//! outside any transaction, a company and its link in one statement on PostgreSQL (one
//! row-locked transaction on SQLite).

use super::sql;
use super::sql::{Conn, Dialect, OptionalExtension, Row, params};

use super::{ListQuery, Page, Store};
use crate::domain::lead::Lead;
use crate::domain::tenant::TenantId;
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

/// A contact's INSERT, on `conn` (the store's connection, or a transaction of it in tests):
/// the new row, or None when the tenant has a contact with this email or another has its id.
fn insert_contact(
    conn: &Conn,
    tenant: &TenantId,
    lead: &Lead,
    explicit_id: Option<i64>,
    at: i64,
) -> Result<Option<CrmContactRow>> {
    let text = match conn.dialect() {
        Dialect::Sqlite => format!(
            "INSERT INTO crm_contacts (id, tenant_id, email, first_name, last_name, company,
                 job_title, phone, created_at, updated_at)
             VALUES (COALESCE(?1, (SELECT COALESCE(MAX(id), 0) + 1 FROM crm_contacts
                                   WHERE tenant_id = ?2)),
                     ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) ON CONFLICT DO NOTHING
             RETURNING {CONTACT_COLUMNS}"
        ),
        // The sequence's value is taken only for a row the WHERE lets through, so a contact
        // found again leaves no gap in the ids.
        Dialect::Postgres => format!(
            "INSERT INTO crm_contacts (id, tenant_id, email, first_name, last_name, company,
                 job_title, phone, created_at, updated_at)
             SELECT COALESCE(?1, nextval('crm_contacts_id_seq')), ?2, ?3, ?4, ?5, ?6, ?7, ?8,
                    ?9, ?9
             WHERE NOT EXISTS (SELECT 1 FROM crm_contacts WHERE tenant_id = ?2 AND email = ?3)
             ON CONFLICT DO NOTHING RETURNING {CONTACT_COLUMNS}"
        ),
    };
    Ok(conn
        .prepare_cached(&text)?
        .query_row(
            params![
                explicit_id,
                tenant,
                lead.email.as_deref().unwrap_or_default(),
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
}

/// What a task is created with.
struct NewCrmTask<'a> {
    contact_id: i64,
    reference: &'a str,
    subject: &'a str,
    body: &'a str,
    priority: &'a str,
    owner_id: Option<&'a str>,
    due_at: i64,
}

/// A task's INSERT, as [`insert_contact`]'s: None when the tenant has a task with this
/// reference or another has its id.
fn insert_task(
    conn: &Conn,
    tenant: &TenantId,
    task: &NewCrmTask<'_>,
    at: i64,
) -> Result<Option<CrmTaskRow>> {
    let text = match conn.dialect() {
        Dialect::Sqlite => format!(
            "INSERT INTO crm_tasks (id, tenant_id, contact_id, reference, subject, body,
                 priority, task_type, owner_id, due_at, created_at)
             VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM crm_tasks WHERE tenant_id = ?1),
                     ?1, ?2, ?3, ?4, ?5, ?6, 'EMAIL', ?7, ?8, ?9) ON CONFLICT DO NOTHING
             RETURNING {TASK_COLUMNS}"
        ),
        Dialect::Postgres => format!(
            "INSERT INTO crm_tasks (id, tenant_id, contact_id, reference, subject, body,
                 priority, task_type, owner_id, due_at, created_at)
             SELECT nextval('crm_tasks_id_seq'), ?1, ?2, ?3, ?4, ?5, ?6, 'EMAIL', ?7, ?8, ?9
             WHERE NOT EXISTS (SELECT 1 FROM crm_tasks WHERE tenant_id = ?1 AND reference = ?3)
             ON CONFLICT DO NOTHING RETURNING {TASK_COLUMNS}"
        ),
    };
    Ok(conn
        .prepare_cached(&text)?
        .query_row(
            params![
                tenant,
                task.contact_id,
                task.reference,
                task.subject,
                task.body,
                task.priority,
                task.owner_id,
                task.due_at,
                at
            ],
            task_from_row,
        )
        .optional()?)
}

impl Store {
    /// Finds the contact by email or creates it; returns it and whether it was created.
    ///
    /// No transaction and no global write lock: each statement commits on its own, as a remote
    /// CRM's calls would, and each holds by itself. The email is unique per tenant (index
    /// `crm_contacts_email`), so two creators of one contact insert one row and the other finds
    /// it. An id not given that another contact has (SQLite: never; PostgreSQL: a sequence
    /// value that an explicit id took before it) inserts nothing and finds no row by its email,
    /// and the create tries again with a new id. An explicit id taken by another contact is not
    /// retried.
    pub fn crm_upsert_contact(
        &self,
        lead: &Lead,
        explicit_id: Option<i64>,
        at: i64,
    ) -> Result<(CrmContactRow, bool)> {
        let email = lead.email.as_deref().unwrap_or_default();
        let insert = || insert_contact(&self.conn, &self.tenant, lead, explicit_id, at);
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

    /// Finds or creates the company for a domain and links the contact to it, in one commit
    /// without the global write lock: the domain is unique per tenant (`crm_companies_domain`)
    /// and the id the database's own, so a second creator's INSERT waits on the index, inserts
    /// nothing and finds the first's row; the link is one UPDATE of the contact's own row. On
    /// PostgreSQL all of it is one statement (one round trip, where a transaction is five),
    /// unless the company was committed by another creator after the statement's snapshot
    /// (its INSERT waited for that one): the statement then finds nothing, links nothing, and
    /// the transaction below does it.
    pub fn crm_upsert_company(
        &self,
        domain: &str,
        name: Option<&str>,
        contact_id: i64,
        at: i64,
    ) -> Result<(i64, Option<String>, bool)> {
        if self.dialect() == Dialect::Postgres
            && let Some(found) = self
                .conn
                .prepare_cached(
                    "WITH made AS (
                         INSERT INTO crm_companies (tenant_id, domain, name, created_at)
                         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING RETURNING id, name
                     ), company AS (
                         SELECT id, name, TRUE AS created FROM made
                         UNION ALL
                         SELECT id, name, FALSE FROM crm_companies
                         WHERE tenant_id = ?1 AND domain = ?2 AND NOT EXISTS (SELECT 1 FROM made)
                     ), linked AS (
                         UPDATE crm_contacts SET company_id = (SELECT id FROM company),
                             updated_at = ?4
                         WHERE id = ?5 AND tenant_id = ?1 AND EXISTS (SELECT 1 FROM company)
                     )
                     SELECT id, name, created FROM company",
                )?
                .query_row(params![self.tenant, domain, name, at, contact_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?
        {
            return Ok(found);
        }
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
    /// per tenant (`crm_tasks_reference`), and the id is picked as a contact's is.
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
        let task = NewCrmTask {
            contact_id,
            reference,
            subject,
            body,
            priority,
            owner_id,
            due_at,
        };
        let insert = || insert_task(&self.conn, &self.tenant, &task, at);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::SharedDb;
    use std::sync::mpsc;
    use std::time::Duration;

    fn lead(email: &str) -> Lead {
        Lead {
            email: Some(email.to_string()),
            ..Lead::default()
        }
    }

    fn add_task(store: &Store, contact_id: i64, reference: &str) -> i64 {
        store
            .crm_insert_task(contact_id, reference, "s", "b", "HIGH", None, 5, 1)
            .unwrap()
            .id
    }

    /// A contact found again takes no id; an explicit id ahead of the next is stepped over.
    #[test]
    fn ids_count_up_from_one_and_a_contact_found_again_leaves_no_gap() {
        let db = SharedDb::new();
        let store = db.open("default");
        let (ann, created) = store
            .crm_upsert_contact(&lead("ann@x.example"), None, 1)
            .unwrap();
        assert_eq!((ann.id, created), (1, true));
        let (again, created) = store
            .crm_upsert_contact(&lead("ann@x.example"), None, 2)
            .unwrap();
        assert_eq!((again.id, created), (1, false));
        let (bob, _) = store
            .crm_upsert_contact(&lead("bob@x.example"), None, 3)
            .unwrap();
        assert_eq!(bob.id, 2);
        let (cy, _) = store
            .crm_upsert_contact(&lead("cy@x.example"), Some(3), 4)
            .unwrap();
        assert_eq!(cy.id, 3);
        let (dee, _) = store
            .crm_upsert_contact(&lead("dee@x.example"), None, 5)
            .unwrap();
        assert_eq!(dee.id, 4);
        assert_eq!(add_task(&store, 1, "r1"), 1);
        assert_eq!(
            add_task(&store, 1, "r1"),
            1,
            "a task found again by its reference"
        );
        assert_eq!(add_task(&store, 2, "r2"), 2);
    }

    /// Another connection's create that has not committed yet holds up no other create of the
    /// tenant (PostgreSQL: with the tenant's highest id plus one both would pick the same id, and
    /// the second would wait for the first's commit to lose it). SQLite's writers take turns:
    /// there a second writer waits by design, so this is PostgreSQL's alone.
    #[test]
    fn a_create_does_not_wait_for_another_connections_uncommitted_one() {
        let db = SharedDb::new();
        let a = db.open("default");
        if a.dialect() == Dialect::Sqlite {
            return;
        }
        let b = db.open("default");
        let (first, _) = a
            .crm_upsert_contact(&lead("first@x.example"), None, 1)
            .unwrap();
        let tx = a.conn.row_locked_tx().unwrap();
        insert_contact(&tx, &a.tenant, &lead("held@x.example"), None, 2)
            .unwrap()
            .unwrap();
        let held = NewCrmTask {
            contact_id: first.id,
            reference: "held",
            subject: "s",
            body: "b",
            priority: "HIGH",
            owner_id: None,
            due_at: 5,
        };
        insert_task(&tx, &a.tenant, &held, 2).unwrap().unwrap();
        let (send, made) = mpsc::channel();
        let other = std::thread::spawn(move || {
            let (contact, _) = b
                .crm_upsert_contact(&lead("other@x.example"), None, 3)
                .unwrap();
            let task = add_task(&b, first.id, "other");
            send.send((contact.id, task)).unwrap();
        });
        // Generous: the creates take milliseconds; on failure they wait for the rollback below.
        let made = made.recv_timeout(Duration::from_secs(30));
        tx.rollback().unwrap();
        other.join().unwrap();
        let (contact, task) = made.expect("the creates waited for the open transaction");
        assert_eq!((contact, task), (3, 2));
    }

    /// The company is created once and found by the next contact of its domain; each contact
    /// is linked to it.
    #[test]
    fn a_company_is_made_once_and_every_contact_of_its_domain_is_linked() {
        let db = SharedDb::new();
        let store = db.open("default");
        let (ann, _) = store
            .crm_upsert_contact(&lead("ann@acme.example"), None, 1)
            .unwrap();
        let (bob, _) = store
            .crm_upsert_contact(&lead("bob@acme.example"), None, 1)
            .unwrap();
        let (id, name, created) = store
            .crm_upsert_company("acme.example", Some("Acme"), ann.id, 2)
            .unwrap();
        assert!(created);
        assert_eq!(name.as_deref(), Some("Acme"));
        let again = store
            .crm_upsert_company("acme.example", Some("Other"), bob.id, 3)
            .unwrap();
        assert_eq!(again, (id, Some("Acme".to_string()), false));
        for contact in [ann.id, bob.id] {
            assert_eq!(
                store.crm_contact(contact).unwrap().unwrap().company_id,
                Some(id)
            );
        }
    }

    /// Many workers of one tenant create contacts and tasks at once, as `worker --concurrency`
    /// and several worker processes do: every creation succeeds, each with an id of its own. On
    /// PostgreSQL with the tenant's `MAX(id) + 1` some lost all their tries, and the workflow
    /// was dead-lettered ("task … is neither created nor found").
    #[test]
    fn concurrent_creators_of_one_tenant_all_get_ids_of_their_own() {
        const WORKERS: usize = 8;
        const EACH: usize = 60;
        let db = SharedDb::new();
        drop(db.open("acme"));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(WORKERS));
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let store = db.open("acme");
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut failures = Vec::new();
                    for i in 0..EACH {
                        let created = store
                            .crm_upsert_contact(&lead(&format!("w{w}-{i}@example.com")), None, 1)
                            .and_then(|(contact, _)| {
                                store.crm_insert_task(
                                    contact.id,
                                    &format!("wf-{w}-{i}"),
                                    "s",
                                    "b",
                                    "HIGH",
                                    None,
                                    2,
                                    1,
                                )
                            });
                        if let Err(e) = created {
                            failures.push(e.to_string());
                        }
                    }
                    failures
                })
            })
            .collect();
        let failures: Vec<String> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        assert_eq!(failures, Vec::<String>::new());
        let store = db.open("acme");
        let mut contacts: Vec<i64> = store
            .crm_contacts(10_000)
            .unwrap()
            .rows
            .iter()
            .map(|c| c.id)
            .collect();
        let mut tasks: Vec<i64> = store
            .crm_tasks(10_000)
            .unwrap()
            .rows
            .iter()
            .map(|t| t.id)
            .collect();
        contacts.dedup();
        tasks.dedup();
        assert_eq!(
            (contacts.len(), tasks.len()),
            (WORKERS * EACH, WORKERS * EACH)
        );
    }
}
