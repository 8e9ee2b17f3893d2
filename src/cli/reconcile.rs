//! `salesagent reconcile` (placeholder).
use clap::Args;

use super::Context;
use crate::exit::ExitStatus;

#[derive(Debug, Args)]
pub struct ReconcileArgs {}

pub fn run(_ctx: &Context, _args: ReconcileArgs) -> anyhow::Result<ExitStatus> {
    Ok(ExitStatus::Success)
}
