//! External systems behind small traits: `Crm`, `Mailbox`, `Composer`. The orchestrator sees only
//! these; embedded implementations live in `local/`, real ones (HubSpot, Gmail, LLM) beside them.
//! Only this module talks to the network.

pub mod check;
mod durable;
pub mod gmail;
pub mod http;
pub mod hubspot;
pub mod llm;
pub mod local;
pub mod meter;
#[cfg(test)]
mod props;
pub mod webhook_client;

pub use durable::{Completion, Durable};

use serde::{Deserialize, Serialize};

use crate::config::TemplateConfig;
use crate::domain::lead::Lead;
use crate::error::Result;

/// A contact as the CRM holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub phone: Option<String>,
    /// True when this call created it (false when it already existed).
    #[serde(default)]
    pub created: bool,
}

impl Contact {
    /// The contact's details as a lead, for submissions that only named the contact by id.
    pub fn to_lead(&self) -> Lead {
        Lead {
            email: Some(self.email.clone()),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            company: self.company.clone(),
            job_title: self.job_title.clone(),
            phone: self.phone.clone(),
            message: None,
            custom: Default::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub id: String,
    pub domain: String,
    pub name: Option<String>,
    #[serde(default)]
    pub created: bool,
}

/// What the CRM knows of earlier dealings with a contact.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmHistory {
    pub open_tasks: u32,
    pub total_tasks: u32,
    pub last_activity_at: Option<i64>,
}

/// A follow-up task to create. `reference` is deterministic per workflow: a retry finds the task
/// by it instead of creating a second one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTask {
    pub reference: String,
    pub contact_id: String,
    pub subject: String,
    pub body: String,
    /// HIGH, MEDIUM or LOW.
    pub priority: String,
    pub owner_id: Option<String>,
    /// Epoch milliseconds.
    pub due_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub contact_id: String,
    pub subject: String,
    pub status: String,
    pub due_at: i64,
}

pub trait Crm: Send + Sync {
    /// The service name used in errors and metrics (`local_crm`, `hubspot`).
    fn service(&self) -> &'static str;
    /// Finds the contact by email, or creates it; a race with another creator is not an error.
    fn find_or_create_contact(&self, lead: &Lead) -> Result<Contact>;
    /// The contact with this CRM id, for submissions that name a contact (Webhooks API events).
    fn get_contact(&self, id: &str) -> Result<Option<Contact>>;
    /// Finds the company by domain, or creates it, and associates the contact with it.
    fn find_or_create_company(
        &self,
        domain: &str,
        name: Option<&str>,
        contact_id: &str,
    ) -> Result<Company>;
    fn history(&self, contact_id: &str) -> Result<CrmHistory>;
    /// The task created earlier with this reference, if any.
    fn find_task(&self, reference: &str, contact_id: &str) -> Result<Option<Task>>;
    fn create_task(&self, task: &NewTask) -> Result<Task>;
    /// The task with this id, or None when the CRM no longer has it.
    fn get_task(&self, id: &str) -> Result<Option<Task>>;
    /// Closes a follow-up task that is no longer needed (its draft was rejected): marks it
    /// COMPLETED and appends `note` to its body, keeping the workflow reference. Repeating it
    /// changes nothing more. NotFound when the CRM no longer has the task.
    fn close_task(&self, id: &str, note: &str) -> Result<()>;
    /// The id of the contact with this address, if the CRM has one (to erase it by id).
    fn find_contact_id(&self, email: &str) -> Result<Option<String>>;
    /// Deletes the contact for good (a GDPR erasure; HubSpot also blocks the address from
    /// coming back). Repeating it for a contact already gone is not an error.
    fn erase_contact(&self, id: &str) -> Result<()>;
}

/// A draft to put in the mailbox. `message_id` is deterministic per workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub draft_id: String,
    pub workflow_id: String,
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub thread_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// Epoch milliseconds, for the Date header.
    pub date: i64,
}

/// The header that carries the workflow id on every draft (Gmail finds a draft by it when it
/// replaced our Message-ID).
pub const WORKFLOW_HEADER: &str = "X-Salesagent-Workflow";

impl OutgoingEmail {
    /// The RFC 5322 message every mailbox stores (the embedded `.eml` file, Gmail's `raw`): one
    /// builder, so what the two connectors write is the same bytes.
    pub fn to_rfc5322(&self, html_body: Option<&str>) -> std::result::Result<String, String> {
        let date =
            jiff::Timestamp::from_millisecond(self.date).unwrap_or_else(|_| jiff::Timestamp::now());
        crate::domain::email::render(&crate::domain::email::Message {
            from: &self.from,
            to: &self.to,
            subject: &self.subject,
            body: &self.body,
            html_body,
            message_id: &self.message_id,
            date,
            in_reply_to: self.in_reply_to.as_deref(),
            extra_headers: &[
                (WORKFLOW_HEADER, &self.workflow_id),
                ("X-Salesagent-Draft", &self.draft_id),
            ],
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxDraft {
    pub remote_draft_id: String,
    pub remote_message_id: Option<String>,
    pub thread_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    pub remote_message_id: String,
    pub thread_id: Option<String>,
}

pub trait Mailbox: Send + Sync {
    fn service(&self) -> &'static str;
    /// The draft created earlier for this email (found by its Message-ID), if any.
    fn find_draft(&self, email: &OutgoingEmail) -> Result<Option<MailboxDraft>>;
    fn create_draft(&self, email: &OutgoingEmail) -> Result<MailboxDraft>;
    /// Creates the draft like `create_draft`, but may return before it is durable: the caller
    /// waits on the [`Durable`] before it commits anything that records the draft, and does other
    /// work meanwhile. By default the draft is durable when this returns.
    fn start_draft(&self, email: &OutgoingEmail) -> Result<(MailboxDraft, Durable)> {
        Ok((self.create_draft(email)?, Durable::done()))
    }
    /// Whether the mailbox still holds this draft.
    fn draft_exists(&self, remote_draft_id: &str) -> Result<bool>;
    /// Replaces the draft's content (after an operator's edit).
    fn update_draft(&self, remote_draft_id: &str, email: &OutgoingEmail) -> Result<MailboxDraft>;
    /// Removes a rejected draft from the mailbox.
    fn delete_draft(&self, remote_draft_id: &str) -> Result<()>;
    /// Sends the draft. Callers must have passed every send gate first.
    fn send_draft(&self, remote_draft_id: &str) -> Result<SentMessage>;
}

/// What the composer gets to write an email.
#[derive(Clone, Debug)]
pub struct ComposeRequest<'a> {
    pub lead: &'a Lead,
    pub sender: &'a str,
    pub template_name: &'a str,
    pub template: &'a TemplateConfig,
    pub score: i64,
    /// A short, human-readable summary of earlier dealings with the lead.
    pub history_summary: &'a str,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComposedEmail {
    pub subject: String,
    pub body: String,
    /// `template:<name>` for templates, the model name for an LLM.
    pub model: String,
    pub prompt_version: Option<String>,
    pub tokens_used: Option<u32>,
    /// Of `tokens_used`, those of the prompts and of the completions (repairs included), as the
    /// server reported them; none for templates.
    #[serde(default)]
    pub prompt_tokens: Option<u32>,
    #[serde(default)]
    pub completion_tokens: Option<u32>,
    /// True when an LLM was configured but the template had to stand in.
    pub fallback_used: bool,
    /// How the object was asked for (`json_schema`, `json_object`, `off`); none for templates.
    #[serde(default)]
    pub structured_mode: Option<String>,
    /// The first reply was unusable and one repair was asked for.
    #[serde(default)]
    pub repaired: bool,
    /// Wall time of the model's calls, repairs included.
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// Why the template stood in (the model unavailable, or its reply unusable).
    #[serde(default)]
    pub fallback_reason: Option<String>,
}

pub trait Composer: Send + Sync {
    fn service(&self) -> &'static str;
    fn compose(&self, request: &ComposeRequest<'_>) -> Result<ComposedEmail>;
}

/// The three connectors a pipeline runs with.
pub struct Connectors {
    pub crm: Box<dyn Crm>,
    pub mailbox: Box<dyn Mailbox>,
    pub composer: Box<dyn Composer>,
    /// Counts the operations on `crm` and `mailbox` (both go through it).
    pub meter: std::sync::Arc<meter::CallMeter>,
}

impl Connectors {
    /// The connectors the configuration asks for: embedded by default, real services by config.
    pub fn from_config(config: &crate::config::Config) -> Result<Connectors> {
        use crate::config::{ComposerKind, CrmKind, MailboxKind};
        let crm: Box<dyn Crm> = match config.connectors.crm {
            CrmKind::Local => Box::new(local::LocalCrm::open(&config.db, &config.tenant)?),
            CrmKind::Hubspot => Box::new(hubspot::HubSpot::new(&config.hubspot, &config.http)?),
        };
        let mailbox: Box<dyn Mailbox> = match config.connectors.mailbox {
            MailboxKind::Local => Box::new(local::LocalMailbox::new(&config.mail_dir())),
            MailboxKind::Gmail => Box::new(
                gmail::Gmail::new(&config.gmail, &config.http)?
                    .with_sender_allowlist(&config.send.sender_allowlist),
            ),
        };
        let composer: Box<dyn Composer> = match config.connectors.composer {
            ComposerKind::Template => Box::new(local::TemplateComposer),
            ComposerKind::Llm => Box::new(llm::Llm::new(config)?),
        };
        let meter = std::sync::Arc::new(meter::CallMeter::default());
        Ok(Connectors {
            crm: Box::new(meter::MeteredCrm {
                inner: crm,
                meter: meter.clone(),
            }),
            mailbox: Box::new(meter::MeteredMailbox {
                inner: mailbox,
                meter: meter.clone(),
            }),
            composer,
            meter,
        })
    }
}
