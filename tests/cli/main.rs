//! The integration suite: one binary that drives the real `salesagent` CLI (ripgrep/just style).
//! Each module covers one command group; `env` holds the shared `TestEnv`.

mod audit;
mod basics;
mod connectors;
mod counters;
mod dead_ends;
mod deploy;
mod dlq;
mod drafts;
mod env;
mod fakes;
mod import;
mod inspect;
mod install;
mod lead_input;
mod logs;
mod maintenance;
mod mime;
mod mode;
mod observability;
mod packaging;
mod recompose;
mod reconcile;
mod review;
mod run;
mod serve;
mod server_support;
mod signing;
mod small_things;
mod terminal;
mod tidy;
mod webhook;
mod worker;
mod workflows_retry;
