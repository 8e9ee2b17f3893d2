//! salesagent: HubSpot form submissions in, reviewed follow-up emails and CRM tasks out.
//!
//! Layers point down only: `cli` → `app` → services → `orchestrator` → `connectors` / `store` →
//! `domain`, `error`, `config`. See ARCHITECTURE.md for the map and its invariants.

pub mod app;
pub mod cli;
pub mod config;
pub mod connectors;
pub mod domain;
pub mod error;
pub mod eval;
pub mod exit;
pub mod import;
pub mod metrics;
pub mod operator;
pub mod orchestrator;
pub mod outfile;
pub mod output;
pub mod privacy;
#[cfg(test)]
mod props;
pub mod reconcile;
pub mod server;
pub mod store;
pub mod views;
pub mod webhook;
pub mod worker;
