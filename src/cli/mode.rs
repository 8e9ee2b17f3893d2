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
    /// Every tenant at once: the global kill switch (`draft-only` only; SEND is switched on one
    /// tenant at a time, with that tenant's gates)
    #[arg(long)]
    pub all_tenants: bool,
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
    let scope = super::scope::open_scope(ctx)?;
    let views = scope
        .apps
        .iter()
        .map(|app| {
            Ok((
                app.store.tenant().clone(),
                mode_view(app, app.store.mode()?)?,
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    super::scope::print_per_tenant(ctx, scope.several, scope.multi_tenant, &views, |_, view| {
        print_view(ctx, view)
    })?;
    Ok(ExitStatus::Success)
}

fn print_view(ctx: &Context, view: &ModeView) -> anyhow::Result<()> {
    let p = &ctx.printer;
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
    Ok(())
}

fn set(ctx: &Context, args: SetArgs) -> anyhow::Result<ExitStatus> {
    if args.all_tenants {
        return kill_switch(ctx, args);
    }
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

/// `mode set draft-only --all-tenants`: every tenant back to draft-only, each switch audited in
/// its own tenant's log. Always allowed: draft-only needs no gate, so it goes straight to each
/// tenant's store, and neither a tenant's invalid settings nor its connectors can stop it.
fn kill_switch(ctx: &Context, args: SetArgs) -> anyhow::Result<ExitStatus> {
    use crate::error::Error;
    if matches!(args.mode, Mode::Send) {
        return Err(Error::InvalidInput(
            "--all-tenants switches every tenant to draft-only; SEND is switched on one tenant \
             at a time\nhint: salesagent mode set send --tenant SLUG --reason TEXT"
                .into(),
        )
        .into());
    }
    if ctx.global.tenant.is_some() {
        return Err(Error::InvalidInput(
            "--all-tenants acts on every tenant; leave out --tenant (or SALESAGENT_TENANT)".into(),
        )
        .into());
    }
    #[derive(Serialize)]
    struct Switched {
        tenant: String,
        mode: String,
        set_by: Option<String>,
        reason: Option<String>,
        updated_at: Option<String>,
    }
    let config = ctx.config()?;
    let actor = ctx.actor(args.by.as_deref());
    let reason = args
        .reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .unwrap_or(NO_REASON);
    let mut switched = Vec::new();
    for tenant in config.tenant_ids() {
        let store = crate::store::Store::open(&config.db, &tenant)?;
        let m = store.set_mode(MODE_DRAFT_ONLY, &actor, reason)?;
        if !ctx.printer.json() {
            ctx.printer
                .line(&format!("tenant {tenant}: mode is now {}", m.mode))?;
        }
        switched.push(Switched {
            tenant: tenant.to_string(),
            mode: m.mode,
            set_by: m.set_by,
            reason: m.reason,
            updated_at: m.updated_at.map(rfc3339),
        });
    }
    if ctx.printer.json() {
        ctx.printer.print_json(&switched)?;
    }
    Ok(ExitStatus::Success)
}
