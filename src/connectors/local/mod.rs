//! Embedded connectors: a CRM in the store's `crm_*` tables, a mailbox of `.eml` files, and a
//! template composer. A fresh checkout runs the whole pipeline with these, no network needed.

mod composer;
mod crm;
mod mailbox;

pub use composer::TemplateComposer;
pub use crm::LocalCrm;
pub use mailbox::LocalMailbox;
