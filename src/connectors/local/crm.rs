//! The embedded CRM: find-or-create contacts and companies, tasks by reference, all in SQLite.

use crate::domain::tenant::TenantId;
use std::path::Path;
use std::sync::Mutex;

use crate::connectors::{Company, Contact, Crm, CrmHistory, NewTask, Task};
use crate::domain::lead::Lead;
use crate::domain::time::now_ms;
use crate::error::{ConnectorError, ErrorClass, Result};
use crate::store::{CrmContactRow, CrmTaskRow, Store};

const SERVICE: &str = "local_crm";

/// Holds its own connection to the database, as a remote CRM would hold its own state.
pub struct LocalCrm {
    store: Mutex<Store>,
}

impl LocalCrm {
    pub fn open(db: &Path, tenant: &TenantId) -> Result<LocalCrm> {
        let store = Store::open(db, tenant)?;
        store.keep_plans()?;
        Ok(LocalCrm {
            store: Mutex::new(store),
        })
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave SQLite half-written: keep going.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn parse_id(id: &str, what: &str) -> Result<i64> {
    id.parse().map_err(|_| {
        ConnectorError::new(
            SERVICE,
            ErrorClass::InvalidInput,
            format!("{what} id {id:?} is not a number"),
        )
        .into()
    })
}

fn contact(row: CrmContactRow, created: bool) -> Contact {
    Contact {
        id: row.id.to_string(),
        email: row.email,
        first_name: row.first_name,
        last_name: row.last_name,
        company: row.company,
        job_title: row.job_title,
        phone: row.phone,
        created,
    }
}

fn task(row: CrmTaskRow) -> Task {
    Task {
        id: row.id.to_string(),
        contact_id: row.contact_id.to_string(),
        subject: row.subject,
        status: row.status,
        due_at: row.due_at,
    }
}

impl Crm for LocalCrm {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn find_or_create_contact(&self, lead: &Lead) -> Result<Contact> {
        let (row, created) = self.store().crm_upsert_contact(lead, None, now_ms())?;
        Ok(contact(row, created))
    }

    fn get_contact(&self, id: &str) -> Result<Option<Contact>> {
        let id = parse_id(id, "contact")?;
        Ok(self.store().crm_contact(id)?.map(|row| contact(row, false)))
    }

    fn find_or_create_company(
        &self,
        domain: &str,
        name: Option<&str>,
        contact_id: &str,
    ) -> Result<Company> {
        let contact_id = parse_id(contact_id, "contact")?;
        let (id, name, created) =
            self.store()
                .crm_upsert_company(domain, name, contact_id, now_ms())?;
        Ok(Company {
            id: id.to_string(),
            domain: domain.to_string(),
            name,
            created,
        })
    }

    fn history(&self, contact_id: &str) -> Result<CrmHistory> {
        let (open, total, last) = self
            .store()
            .crm_task_counts(parse_id(contact_id, "contact")?)?;
        Ok(CrmHistory {
            open_tasks: open as u32,
            total_tasks: total as u32,
            last_activity_at: last,
        })
    }

    fn find_task(&self, reference: &str, _contact_id: &str) -> Result<Option<Task>> {
        Ok(self.store().crm_task_by_reference(reference)?.map(task))
    }

    fn create_task(&self, new: &NewTask) -> Result<Task> {
        let row = self.store().crm_insert_task(
            parse_id(&new.contact_id, "contact")?,
            &new.reference,
            &new.subject,
            &new.body,
            &new.priority,
            new.owner_id.as_deref(),
            new.due_at,
            now_ms(),
        )?;
        Ok(task(row))
    }

    fn get_task(&self, id: &str) -> Result<Option<Task>> {
        Ok(self.store().crm_task(parse_id(id, "task")?)?.map(task))
    }

    fn close_task(&self, id: &str, note: &str) -> Result<()> {
        let store = self.store();
        let id = parse_id(id, "task")?;
        let Some(row) = store.crm_task(id)? else {
            return Err(crate::error::Error::NotFound(format!(
                "task {id} is not in the local CRM"
            )));
        };
        if row.status == "COMPLETED" && row.body.contains(note) {
            return Ok(());
        }
        store.crm_complete_task(id, note)?;
        Ok(())
    }

    /// The embedded CRM lives in the store: `privacy erase` deletes its rows there with the rest.
    fn find_contact_id(&self, _email: &str) -> Result<Option<String>> {
        Ok(None)
    }

    fn erase_contact(&self, _id: &str) -> Result<()> {
        Ok(())
    }
}
