//! The integration suite: one binary that drives the real `salesagent` CLI (ripgrep/just style).
//! Each module covers one command group; `env` holds the shared `TestEnv`.

mod connectors;
mod env;
mod fakes;
mod run;
mod tidy;
