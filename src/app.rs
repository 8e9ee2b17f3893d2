//! The command-level facade: loads nothing itself, but turns a validated `Config` into an open store
//! and connectors, and runs the operations that several commands share.

use crate::config::Config;
use crate::connectors::Connectors;
use crate::domain::submission::{ParsedPayload, parse_payload};
use crate::domain::time::now_ms;
use crate::error::{Error, Result};
use crate::orchestrator::{Pipeline, WorkflowReport};
use crate::store::{Acceptance, NewSubmission, Source, Store};

pub struct App {
    pub config: Config,
    pub store: Store,
}

impl App {
    /// Validates the configuration, then opens (and migrates) the database, creating it if needed.
    pub fn open(config: Config) -> Result<App> {
        config.ensure_valid()?;
        let store = Store::open(&config.db, &config.tenant)?;
        Ok(App { config, store })
    }

    /// The same for a database that must exist already (every command that reads or changes
    /// what is there): a mistyped path fails instead of creating an empty database.
    pub fn open_existing(config: Config) -> Result<App> {
        config.ensure_valid()?;
        let store = Store::open_existing(&config.db, &config.tenant)?;
        Ok(App { config, store })
    }

    pub fn connectors(&self) -> Result<Connectors> {
        Connectors::from_config(&self.config)
    }

    /// The operator actions (decisions, sends, retries) over this app's store and mailbox.
    pub fn operator<'a>(&'a self, connectors: &'a Connectors) -> crate::operator::Operator<'a> {
        crate::operator::Operator {
            store: &self.store,
            config: &self.config,
            mailbox: connectors.mailbox.as_ref(),
            crm: connectors.crm.as_ref(),
        }
    }

    pub fn pipeline<'a>(&'a self, connectors: &'a Connectors) -> Pipeline<'a> {
        Pipeline {
            store: &self.store,
            connectors,
            config: &self.config,
        }
    }

    /// Stores every submission in `payload` and runs each through the pipeline, synchronously.
    /// A submission whose portal belongs to another tenant is refused (bad input, exit 2) before
    /// anything is written.
    pub fn run_payload(&self, payload: &ParsedPayload, raw: &[u8]) -> Result<Vec<WorkflowReport>> {
        for (i, parsed) in payload.submissions.iter().enumerate() {
            self.config
                .check_portal(parsed.portal_id.as_deref())
                .map_err(|why| {
                    Error::InvalidInput(format!(
                        "submission {} of the payload: {why}; nothing was stored\n\
                         hint: run it with --tenant set to the tenant that owns the portal",
                        i + 1
                    ))
                })?;
        }
        let connectors = self.connectors()?;
        let pipeline = self.pipeline(&connectors);
        let received_at = now_ms();
        let items: Vec<NewSubmission<'_>> = payload
            .submissions
            .iter()
            .map(|parsed| NewSubmission::received(Source::Run, parsed, raw, received_at))
            .collect();
        let mut reports = Vec::new();
        for acceptance in self.store.accept_submissions(&items)? {
            match acceptance {
                Acceptance::Accepted { workflow_id, .. } => {
                    pipeline.run(&workflow_id)?;
                    self.operator(&connectors).auto_send(&workflow_id)?;
                    reports.push(WorkflowReport::load(&self.store, &workflow_id)?);
                }
                Acceptance::Duplicate {
                    submission_id,
                    workflow_id,
                } => reports.push(WorkflowReport::duplicate(submission_id, workflow_id)),
            }
        }
        Ok(reports)
    }
}

/// Parses a payload for `run`, turning every problem into a bad-input error that says where.
pub fn parse_input(bytes: &[u8], source: &str) -> Result<ParsedPayload> {
    parse_payload(bytes).map_err(|e| Error::InvalidInput(format!("{source}: {e}")))
}
