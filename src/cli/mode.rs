//! `salesagent mode show|set`: the mode (draft_only or send), who set it and why, and the gates
//! SEND mode needs. Setting it goes through `operator`, which checks the gates and audits.

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::Context;
use super::prompt::confirm;
use crate::domain::time::{SendWindow, now_ms, rfc3339, short};
use crate::exit::ExitStatus;
use crate::operator::{Gate, day_start, send_gates};
use crate::store::{MODE_DRAFT_ONLY, MODE_SEND};

#[derive(Debug, Subcommand)]
pub enum ModeCommand {
    /// Show the mode, who set it, when and why, and which SEND gates pass
    Show,
    /// Switch the mode: `send` (only when every gate passes) or `draft-only` (always allowed)
    Set(SetArgs),
}

/// `draft-only` is how the flag reads; `draft_only` is how `mode show` and `--json` print it,
/// so both are accepted.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Mode {
    Send,
    #[value(alias = "draft_only")]
    DraftOnly,
}

/// Recorded when `mode set draft-only` (the kill switch) is given no `--reason`.
const NO_REASON: &str = "no reason given";

#[derive(Debug, Args)]
pub struct SetArgs {
    pub mode: Mode,
    /// Why (kept in the audit log); required for send, optional for draft-only
    #[arg(long, required_if_eq("mode", "send"))]
    pub reason: Option<String>,
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
    #[serde(skip)]
    updated_ms: Option<i64>,
    send_allowed: bool,
    gates: Vec<Gate>,
    /// `send.daily_cap`: sends per sender per day (in the send window's zone, else UTC).
    daily_cap: u32,
    /// Sends claimed today, per sender.
    sent_today: Vec<SenderCount>,
    /// `send.window`, when sends are limited to one; `send_window_open` says whether it is now.
    send_window: Option<String>,
    send_window_open: Option<bool>,
}

#[derive(Serialize)]
struct SenderCount {
    sender: String,
    sent: i64,
}

fn mode_view(app: &crate::app::App, m: crate::store::ModeSetting) -> anyhow::Result<ModeView> {
    let gates = send_gates(&app.config);
    let now = now_ms();
    let window = match &app.config.send.window {
        Some(text) => Some(SendWindow::parse(text).map_err(crate::error::Error::Configuration)?),
        None => None,
    };
    let sent_today = app
        .store
        .sends_per_sender_since(day_start(now, window.as_ref()))?
        .into_iter()
        .map(|(sender, sent)| SenderCount { sender, sent })
        .collect();
    Ok(ModeView {
        mode: m.mode,
        set_by: m.set_by,
        reason: m.reason,
        updated_at: m.updated_at.map(rfc3339),
        updated_ms: m.updated_at,
        send_allowed: gates.iter().all(|g| g.passed),
        gates,
        daily_cap: app.config.send.daily_cap,
        sent_today,
        send_window: app.config.send.window.clone(),
        send_window_open: window.map(|w| w.contains(now)),
    })
}

pub fn run(ctx: &Context, cmd: ModeCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        ModeCommand::Show => show(ctx),
        ModeCommand::Set(args) => set(ctx, args),
    }
}

fn show(ctx: &Context) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let view = mode_view(&app, app.store.mode()?)?;
    let p = &ctx.printer;
    if p.json() {
        p.print_json(&view)?;
        return Ok(ExitStatus::Success);
    }
    p.line(&format!("mode        {}", view.mode))?;
    match (&view.set_by, view.updated_ms) {
        (Some(by), Some(at)) => p.line(&format!(
            "set by      {by} at {}: {}",
            short(at),
            view.reason.as_deref().unwrap_or("-")
        ))?,
        _ => p.line("set by      nobody (the default)")?,
    }
    let used = if view.sent_today.is_empty() {
        "none sent today".to_string()
    } else {
        view.sent_today
            .iter()
            .map(|s| format!("{} {}/{}", s.sender, s.sent, view.daily_cap))
            .collect::<Vec<_>>()
            .join(", ")
    };
    p.line(&format!(
        "daily cap   {} per sender; used today: {used}",
        view.daily_cap
    ))?;
    p.line(&match (&view.send_window, view.send_window_open) {
        (Some(w), Some(open)) => format!(
            "send window {w} ({} now)",
            if open { "open" } else { "closed" }
        ),
        _ => "send window none (sends go out at any time)".to_string(),
    })?;
    p.line("")?;
    p.line("SEND gates:")?;
    for g in &view.gates {
        p.line(&format!(
            "  [{}] {}",
            if g.passed { "ok" } else { "--" },
            g.detail
        ))?;
    }
    if view.mode == MODE_SEND && !view.send_allowed {
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
    let reason = args
        .reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .unwrap_or(NO_REASON);
    let m = op.set_mode(mode, &actor, reason)?;
    if ctx.printer.json() {
        ctx.printer.print_json(&mode_view(&app, m)?)?;
    } else {
        ctx.printer.line(&format!("mode is now {}", m.mode))?;
    }
    Ok(ExitStatus::Success)
}
