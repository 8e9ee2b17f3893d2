//! `salesagent tenants list|show SLUG`: each declared tenant's portals, connectors (kinds and
//! where each credential comes from, never its value), mode and counts, and its last submission.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Context;
use crate::config::Config;
use crate::domain::tenant::TenantId;
use crate::domain::time::{rfc3339, short};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::store::{Store, TenantCounts};

#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// Every tenant: portals, mode, workflows, drafts waiting, dead letters, last submission
    List,
    /// One tenant in full, with its connectors and credential sources
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The tenant's slug
    pub slug: String,
}

#[derive(Serialize)]
struct Connectors<'a> {
    crm: crate::config::CrmKind,
    mailbox: crate::config::MailboxKind,
    composer: crate::config::ComposerKind,
    /// Each credential's config key and where it comes from (a variable or a file), redacted.
    credentials: Vec<Credential<'a>>,
}

#[derive(Serialize)]
struct Credential<'a> {
    key: &'static str,
    source: &'a str,
}

#[derive(Serialize)]
struct Counts {
    workflows: i64,
    drafts_waiting: i64,
    dead_letters: i64,
}

#[derive(Serialize)]
struct TenantView<'a> {
    slug: &'a str,
    name: &'a str,
    portal_ids: &'a [u64],
    max_concurrent_jobs: Option<u32>,
    /// Whether the tenant has its own webhook secret (its per-tenant intake URL).
    own_webhook_secret: bool,
    connectors: Connectors<'a>,
    /// `draft_only` or `send`; null before the database exists.
    mode: Option<String>,
    /// Null before the database exists.
    counts: Option<Counts>,
    last_submission_at: Option<String>,
    #[serde(skip)]
    last_submission_ms: Option<i64>,
}

/// One tenant's view: its settings from the config, its numbers from the store (when the
/// database exists; `tenants` works on a fresh install too).
fn view<'a>(top: &'a Config, id: &'a TenantId) -> anyhow::Result<TenantView<'a>> {
    let config = top.for_tenant(id)?;
    let settings = top.tenant_settings(id);
    let (mode, counts): (Option<String>, Option<TenantCounts>) = if top.has_database() {
        let store = Store::open_existing(&top.db, id)?;
        (Some(store.mode()?.mode), Some(store.tenant_counts()?))
    } else {
        (None, None)
    };
    Ok(TenantView {
        slug: id.as_str(),
        name: settings.map_or(id.as_str(), |s| s.display_name(id)),
        portal_ids: settings.map_or(&[], |s| s.portal_ids.as_slice()),
        max_concurrent_jobs: settings.and_then(|s| s.max_concurrent_jobs),
        own_webhook_secret: settings.is_some_and(|s| s.has_own_webhook_secret()),
        connectors: Connectors {
            crm: config.connectors.crm,
            mailbox: config.connectors.mailbox,
            composer: config.connectors.composer,
            credentials: config
                .secrets()
                .into_iter()
                .map(|(key, secret)| Credential {
                    key,
                    source: secret.source(),
                })
                .collect(),
        },
        mode,
        last_submission_at: counts
            .as_ref()
            .and_then(|c| c.last_submission_at)
            .map(rfc3339),
        last_submission_ms: counts.as_ref().and_then(|c| c.last_submission_at),
        counts: counts.map(|c| Counts {
            workflows: c.workflows,
            drafts_waiting: c.drafts_waiting,
            dead_letters: c.dead_letters,
        }),
    })
}

pub fn run(ctx: &Context, cmd: TenantsCommand) -> anyhow::Result<ExitStatus> {
    let top = ctx.config()?;
    match cmd {
        TenantsCommand::List => list(ctx, &top),
        TenantsCommand::Show(args) => show(ctx, &top, &args.slug),
    }
}

fn list(ctx: &Context, top: &Config) -> anyhow::Result<ExitStatus> {
    let ids = top.tenant_ids();
    let views = ids
        .iter()
        .map(|id| view(top, id))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let p = &ctx.printer;
    if p.json() {
        p.print_json(&views)?;
        return Ok(ExitStatus::Success);
    }
    let mut table = p.table(&[
        "TENANT",
        "NAME",
        "PORTALS",
        "MODE",
        "WORKFLOWS",
        "WAITING",
        "DEAD",
        "LAST SUBMISSION",
    ]);
    for v in &views {
        let number =
            |f: fn(&Counts) -> i64| v.counts.as_ref().map_or("-".into(), |c| f(c).to_string());
        table.add_row(vec![
            v.slug.to_string(),
            v.name.to_string(),
            portals(v.portal_ids),
            v.mode.clone().unwrap_or_else(|| "-".into()),
            number(|c| c.workflows),
            number(|c| c.drafts_waiting),
            number(|c| c.dead_letters),
            last_submission(v),
        ]);
    }
    p.print_table(&table)?;
    if !top.is_multi_tenant() {
        p.status("no [tenants] declared: everything is tenant \"default\"");
    }
    Ok(ExitStatus::Success)
}

fn show(ctx: &Context, top: &Config, slug: &str) -> anyhow::Result<ExitStatus> {
    let id =
        TenantId::parse(slug).map_err(|why| Error::InvalidInput(format!("{slug:?}: {why}")))?;
    if !top.tenant_ids().contains(&id) {
        return Err(Error::NotFound(format!(
            "no tenant {slug:?}; the config declares: {}\nhint: `salesagent tenants list`",
            top.tenant_list()
        ))
        .into());
    }
    let v = view(top, &id)?;
    let p = &ctx.printer;
    if p.json() {
        p.print_json(&v)?;
        return Ok(ExitStatus::Success);
    }
    p.line(&format!("tenant      {}  ({})", v.slug, v.name))?;
    p.line(&format!("portals     {}", portals(v.portal_ids)))?;
    p.line(&format!(
        "mode        {}",
        v.mode.as_deref().unwrap_or("- (no database yet)")
    ))?;
    if let Some(c) = &v.counts {
        p.line(&format!(
            "workflows   {}   drafts waiting {}   dead letters {}",
            c.workflows, c.drafts_waiting, c.dead_letters
        ))?;
    }
    p.line(&format!("last        {}", last_submission(&v)))?;
    if let Some(n) = v.max_concurrent_jobs {
        p.line(&format!("concurrency at most {n} jobs at once"))?;
    }
    p.line(&format!(
        "intake      {}",
        if v.own_webhook_secret {
            format!(
                "its own webhook secret (/api/webhooks/hubspot/forms/{})",
                v.slug
            )
        } else {
            "the shared webhook secret".to_string()
        }
    ))?;
    p.line(&format!(
        "connectors  crm {}, mailbox {}, composer {}",
        kind(&v.connectors.crm),
        kind(&v.connectors.mailbox),
        kind(&v.connectors.composer)
    ))?;
    for c in &v.connectors.credentials {
        p.line(&format!("  {:<22} from {}", c.key, c.source))?;
    }
    Ok(ExitStatus::Success)
}

fn portals(ids: &[u64]) -> String {
    if ids.is_empty() {
        return "-".into();
    }
    ids.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn last_submission(v: &TenantView<'_>) -> String {
    v.last_submission_ms.map_or("never".into(), short)
}

/// A connector kind as the config spells it.
fn kind<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
