//! The integration suite: one binary that drives the real `salesagent` CLI (ripgrep/just style).
//! Each module covers one command group; `env` holds the shared `TestEnv`.

mod audit;
mod dlq;
mod drafts;
mod env;
mod mode;
mod review;
mod run;
mod tidy;
mod workflows_retry;
