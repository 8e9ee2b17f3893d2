//! `salesagent drafts show` and the page `drafts review` shows for each draft, in the order a
//! decision needs: what the lead wrote, who they are, the draft, and what approving does now.

use super::super::{Context, count};
use super::ShowArgs;
use crate::domain::time::short;
use crate::exit::ExitStatus;

use crate::orchestrator::{ComposerFacts, WorkflowReport};
use crate::store::{DraftContext, DraftRow, StepStatus};
use crate::views::{DraftDetail, crm_contact};

pub(super) use crate::operator::DraftPage as Page;

pub fn run(ctx: &Context, args: ShowArgs) -> anyhow::Result<ExitStatus> {
    let found = crate::cli::scope::find_in_tenants(ctx, "draft", &args.id, |app| {
        app.store.resolve_draft_id(&args.id)
    })?;
    let app = &found.app;
    let connectors = app.connectors()?;
    let op = app.operator(&connectors);
    let page = op.draft_page(&found.value)?;
    let report = WorkflowReport::load(&app.store, &page.draft.workflow_id)?;
    if ctx.printer.json() {
        print_json(ctx, found.tenant(), &page, &report)?;
        return Ok(ExitStatus::Success);
    }
    if let Some(line) = found.tenant_line() {
        ctx.printer.line(&line)?;
    }
    print_page(ctx, &page)?;
    let steps: Vec<String> = report
        .steps
        .iter()
        .map(|s| {
            if s.status == StepStatus::Completed.as_str() {
                s.name.clone()
            } else {
                format!("{} ({})", s.name, s.status)
            }
        })
        .collect();
    ctx.printer.line("")?;
    ctx.printer.line(&format!(
        "Workflow {} is {}: {}",
        page.draft.workflow_id,
        report.status,
        steps.join(" > ")
    ))?;
    Ok(ExitStatus::Success)
}

fn print_json(
    ctx: &Context,
    tenant: Option<&str>,
    page: &Page,
    report: &WorkflowReport,
) -> anyhow::Result<()> {
    let shown = DraftDetail::new(
        &page.draft,
        &page.context,
        page.on_approve.as_ref(),
        &page.superseded,
        report,
    );
    ctx.printer.print_json(&crate::cli::scope::WithTenant {
        tenant,
        item: shown,
    })?;
    Ok(())
}

/// The whole page: the lead's words, who they are, the draft, what approving does.
pub(super) fn print_page(ctx: &Context, page: &Page) -> std::io::Result<()> {
    print_words(ctx, &page.context)?;
    print_who(ctx, &page.context)?;
    print_draft(ctx, &page.draft)?;
    if !page.superseded.is_empty() {
        ctx.printer.line(&format!(
            "Recomposed: {} kept as superseded: {}",
            count(page.superseded.len() as u64, "earlier text"),
            page.superseded
                .iter()
                .map(|d| d.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
    }
    if let Some(on) = &page.on_approve {
        ctx.printer.line("")?;
        ctx.printer.line(&on.text)?;
    }
    Ok(())
}

fn heading(ctx: &Context, title: &str) -> std::io::Result<()> {
    ctx.printer.line(&format!("── {title} ──"))
}

/// What the lead wrote, in their own words, first.
fn print_words(ctx: &Context, c: &DraftContext) -> std::io::Result<()> {
    heading(ctx, "What they wrote")?;
    match c.lead.message.as_deref() {
        Some(message) => {
            for line in message.lines() {
                ctx.printer.line(&format!("  {line}"))?;
            }
        }
        None => ctx.printer.line("  (no message)")?,
    }
    ctx.printer.line("")
}

fn print_who(ctx: &Context, c: &DraftContext) -> std::io::Result<()> {
    heading(ctx, "Who they are")?;
    let lead = &c.lead;
    let name = match (&lead.first_name, &lead.last_name) {
        (None, None) => None,
        _ => Some(lead.display_name()),
    };
    let dash = |v: Option<&str>| v.unwrap_or("-").to_string();
    let rows = [
        ("Name", dash(name.as_deref())),
        ("Email", dash(lead.email.as_deref())),
        ("Job title", dash(lead.job_title.as_deref())),
        ("Company", dash(lead.company.as_deref())),
        ("Phone", dash(lead.phone.as_deref())),
        ("Form", dash(c.form_id.as_deref())),
        ("Page", dash(c.page_url.as_deref())),
        (
            "Received",
            format!("{} (via {})", short(c.received_at), c.source),
        ),
        ("Earlier", earlier(c.earlier_submissions)),
        ("CRM contact", contact_line(c)),
    ];
    for (label, value) in rows {
        ctx.printer
            .line(&format!("{:<13}{value}", format!("{label}:")))?;
    }
    for (k, v) in &lead.custom {
        ctx.printer.line(&format!("{:<13}{v}", format!("{k}:")))?;
    }
    ctx.printer.line("")
}

fn earlier(n: i64) -> String {
    match n {
        0 => "no earlier submissions from this address".into(),
        1 => "1 earlier submission from this address".into(),
        n => format!("{n} earlier submissions from this address"),
    }
}

fn contact_line(c: &DraftContext) -> String {
    match crm_contact(c) {
        None => "-".into(),
        Some(contact) => format!(
            "{} in {} ({})",
            contact.id,
            contact.crm.as_deref().unwrap_or("the CRM"),
            if contact.created {
                "created for this lead"
            } else {
                "already known"
            }
        ),
    }
}

/// The draft as a person reads it: status, headers, score, routing, review, body.
pub(super) fn print_draft(ctx: &Context, d: &DraftRow) -> std::io::Result<()> {
    let p = &ctx.printer;
    heading(ctx, "The draft")?;
    p.line(&format!("Draft:      {}  ({})", d.id, d.status))?;
    p.line(&format!("Workflow:   {}", d.workflow_id))?;
    p.line(&format!("From:       {}", d.sender))?;
    p.line(&format!("To:         {}", d.recipient))?;
    p.line(&format!("Subject:    {}", d.subject))?;
    p.line(&format!("Message-ID: {}", d.message_id))?;
    p.line(&format!("Created:    {}", short(d.created_at)))?;
    p.line(&format!(
        "Score:      {}",
        d.score.map(|s| s.to_string()).unwrap_or_else(|| "-".into())
    ))?;
    p.line(&format!(
        "Routed:     {}",
        d.route_reason.as_deref().unwrap_or("-")
    ))?;
    p.line(&format!("Composer:   {}", ComposerFacts::of(d).summary()))?;
    if let Some(r) = &d.reviewer {
        p.line(&format!(
            "Reviewed:   {} by {r} at {}{}",
            d.status,
            d.reviewed_at.map(short).unwrap_or_default(),
            d.review_note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ))?;
    }
    if let Some(t) = d.sent_at {
        p.line(&format!("Sent:       {}", short(t)))?;
    }
    if let Some(live) = &d.superseded_by {
        p.line(&format!(
            "Superseded: by the recomposed text of draft {live}"
        ))?;
    }
    p.line("")?;
    p.line(d.body.trim_end())
}
