//! The integration suite: one binary that drives the real `salesagent` CLI (ripgrep/just style).
//! Each module covers one command group; `env` holds the shared `TestEnv`.

mod env;
mod run;
mod serve;
mod server_support;
mod tidy;
mod webhook;
mod worker;
