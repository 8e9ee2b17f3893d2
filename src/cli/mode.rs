//! `salesagent mode show|set`: the mode (draft_only or send), who set it and why, and the gates
//! SEND mode needs. Setting it goes through `operator`, which checks the gates and audits.

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::Context;
use super::prompt::confirm;
use crate::domain::time::{rfc3339, short};
use crate::exit::ExitStatus;
use crate::operator::{Gate, send_gates};
use crate::store::{MODE_DRAFT_ONLY, MODE_SEND};

#[derive(Debug, Subcommand)]
pub enum ModeCommand {
    /// Show the mode, who set it, when and why, and which SEND gates pass
    Show,
    /// Switch the mode: `send` (only when every gate passes) or `draft-only` (always allowed)
    Set(SetArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Mode {
    Send,
    DraftOnly,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    pub mode: Mode,
    /// Why (kept in the audit log)
    #[arg(long)]
    pub reason: String,
    /// Who switches (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
    /// Do not ask before switching to send
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Serialize)]
struct ModeView {
    mode: String,
    set_by: Option<String>,
    reason: Option<String>,
    updated_at: Option<String>,
    send_allowed: bool,
    gates: Vec<Gate>,
}

pub fn run(ctx: &Context, cmd: ModeCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        ModeCommand::Show => show(ctx),
        ModeCommand::Set(args) => set(ctx, args),
    }
}

fn show(ctx: &Context) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let m = app.store.mode()?;
    let gates = send_gates(&app.config);
    let p = &ctx.printer;
    if p.json() {
        p.print_json(&ModeView {
            mode: m.mode,
            set_by: m.set_by,
            reason: m.reason,
            updated_at: m.updated_at.map(rfc3339),
            send_allowed: gates.iter().all(|g| g.passed),
            gates,
        })?;
        return Ok(ExitStatus::Success);
    }
    p.line(&format!("mode        {}", m.mode))?;
    match (&m.set_by, m.updated_at) {
        (Some(by), Some(at)) => p.line(&format!(
            "set by      {by} at {}: {}",
            short(at),
            m.reason.as_deref().unwrap_or("-")
        ))?,
        _ => p.line("set by      nobody (the default)")?,
    }
    p.line("")?;
    p.line("SEND gates:")?;
    for g in &gates {
        p.line(&format!(
            "  [{}] {}",
            if g.passed { "ok" } else { "--" },
            g.detail
        ))?;
    }
    if m.mode == MODE_SEND && !gates.iter().all(|g| g.passed) {
        p.warn("the mode is send but a gate fails: every send is refused until it passes");
    }
    Ok(ExitStatus::Success)
}

fn set(ctx: &Context, args: SetArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app_creating()?;
    let actor = ctx.actor(args.by.as_deref());
    let connectors = app.connectors()?;
    let op = app.operator(&connectors);
    let mode = match args.mode {
        Mode::Send => MODE_SEND,
        Mode::DraftOnly => MODE_DRAFT_ONLY,
    };
    if mode == MODE_SEND {
        // Gates first, so a refused switch never asks.
        let unmet: Vec<String> = send_gates(&app.config)
            .into_iter()
            .filter(|g| !g.passed)
            .map(|g| g.detail)
            .collect();
        if unmet.is_empty()
            && !confirm(
                ctx,
                args.yes,
                "switch to SEND mode: approved drafts will be emailed",
            )?
        {
            ctx.printer.status("mode unchanged");
            return Ok(ExitStatus::Success);
        }
    }
    let m = op.set_mode(mode, &actor, &args.reason)?;
    if ctx.printer.json() {
        ctx.printer.print_json(&ModeView {
            mode: m.mode,
            set_by: m.set_by,
            reason: m.reason,
            updated_at: m.updated_at.map(rfc3339),
            send_allowed: send_gates(&app.config).iter().all(|g| g.passed),
            gates: send_gates(&app.config),
        })?;
    } else {
        ctx.printer.line(&format!("mode is now {}", m.mode))?;
    }
    Ok(ExitStatus::Success)
}
