//! The integration suite: one binary that drives the real `salesagent` CLI (ripgrep/just style).
//! Each module covers one command group; `env` holds the shared `TestEnv`.

mod basics;
mod connectors;
mod deploy;
mod env;
mod fakes;
mod inspect;
mod install;
mod maintenance;
mod run;
mod tidy;
