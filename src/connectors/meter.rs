//! Counts the operations made on the CRM and the mailbox, so the pipeline can commit what each
//! step spent with that step's record (usage metering). Counting only: every call goes through
//! to the wrapped connector unchanged, and nothing here is stored or printed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{
    Company, Contact, Crm, CrmHistory, Durable, Mailbox, MailboxDraft, NewTask, OutgoingEmail,
    SentMessage, Task,
};
use crate::domain::lead::Lead;
use crate::error::Result;

/// Operations made so far through one `Connectors` (each is one call of a trait method, however
/// many HTTP requests or retries the real connector needed for it).
#[derive(Debug, Default)]
pub struct CallMeter {
    crm: AtomicU64,
    mailbox: AtomicU64,
}

/// A reading of a `CallMeter`; the difference of two readings is what happened in between.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Calls {
    pub crm: u64,
    pub mailbox: u64,
}

impl Calls {
    pub fn since(self, earlier: Calls) -> Calls {
        Calls {
            crm: self.crm.saturating_sub(earlier.crm),
            mailbox: self.mailbox.saturating_sub(earlier.mailbox),
        }
    }
}

impl CallMeter {
    pub fn reading(&self) -> Calls {
        Calls {
            crm: self.crm.load(Ordering::Relaxed),
            mailbox: self.mailbox.load(Ordering::Relaxed),
        }
    }
}

/// A `Crm` that counts each operation in its meter.
pub struct MeteredCrm {
    pub inner: Box<dyn Crm>,
    pub meter: Arc<CallMeter>,
}

impl MeteredCrm {
    fn tick(&self) {
        self.meter.crm.fetch_add(1, Ordering::Relaxed);
    }
}

impl Crm for MeteredCrm {
    fn service(&self) -> &'static str {
        self.inner.service()
    }
    fn find_or_create_contact(&self, lead: &Lead) -> Result<Contact> {
        self.tick();
        self.inner.find_or_create_contact(lead)
    }
    fn get_contact(&self, id: &str) -> Result<Option<Contact>> {
        self.tick();
        self.inner.get_contact(id)
    }
    fn find_or_create_company(
        &self,
        domain: &str,
        name: Option<&str>,
        contact_id: &str,
    ) -> Result<Company> {
        self.tick();
        self.inner.find_or_create_company(domain, name, contact_id)
    }
    fn history(&self, contact_id: &str) -> Result<CrmHistory> {
        self.tick();
        self.inner.history(contact_id)
    }
    fn find_task(&self, reference: &str, contact_id: &str) -> Result<Option<Task>> {
        self.tick();
        self.inner.find_task(reference, contact_id)
    }
    fn create_task(&self, task: &NewTask) -> Result<Task> {
        self.tick();
        self.inner.create_task(task)
    }
    fn get_task(&self, id: &str) -> Result<Option<Task>> {
        self.tick();
        self.inner.get_task(id)
    }
    fn close_task(&self, id: &str, note: &str) -> Result<()> {
        self.tick();
        self.inner.close_task(id, note)
    }
    fn find_contact_id(&self, email: &str) -> Result<Option<String>> {
        self.tick();
        self.inner.find_contact_id(email)
    }
    fn erase_contact(&self, id: &str) -> Result<()> {
        self.tick();
        self.inner.erase_contact(id)
    }
}

/// A `Mailbox` that counts each operation in its meter.
pub struct MeteredMailbox {
    pub inner: Box<dyn Mailbox>,
    pub meter: Arc<CallMeter>,
}

impl MeteredMailbox {
    fn tick(&self) {
        self.meter.mailbox.fetch_add(1, Ordering::Relaxed);
    }
}

impl Mailbox for MeteredMailbox {
    fn service(&self) -> &'static str {
        self.inner.service()
    }
    fn find_draft(&self, email: &OutgoingEmail) -> Result<Option<MailboxDraft>> {
        self.tick();
        self.inner.find_draft(email)
    }
    fn create_draft(&self, email: &OutgoingEmail) -> Result<MailboxDraft> {
        self.tick();
        self.inner.create_draft(email)
    }
    fn start_draft(&self, email: &OutgoingEmail) -> Result<(MailboxDraft, Durable)> {
        self.tick();
        self.inner.start_draft(email)
    }
    fn draft_exists(&self, remote_draft_id: &str) -> Result<bool> {
        self.tick();
        self.inner.draft_exists(remote_draft_id)
    }
    fn update_draft(&self, remote_draft_id: &str, email: &OutgoingEmail) -> Result<MailboxDraft> {
        self.tick();
        self.inner.update_draft(remote_draft_id, email)
    }
    fn delete_draft(&self, remote_draft_id: &str) -> Result<()> {
        self.tick();
        self.inner.delete_draft(remote_draft_id)
    }
    fn send_draft(&self, remote_draft_id: &str) -> Result<SentMessage> {
        self.tick();
        self.inner.send_draft(remote_draft_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_difference_is_what_happened_in_between() {
        let meter = Arc::new(CallMeter::default());
        let mailbox = MeteredMailbox {
            inner: Box::new(crate::connectors::local::LocalMailbox::new(
                &tempfile::tempdir().unwrap().keep(),
            )),
            meter: meter.clone(),
        };
        let before = meter.reading();
        let _ = mailbox.draft_exists("nope");
        let after = meter.reading();
        assert_eq!(after.since(before).mailbox, 1);
        assert_eq!(after.since(before).crm, 0);
    }
}
