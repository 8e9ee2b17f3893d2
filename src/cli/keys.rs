//! `salesagent keys create|list|revoke|rotate`: a tenant's API keys for `/api/v1`. A key is shown
//! once, when it is made; the store keeps only the hash of its secret.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Context;
use crate::domain::api_key::{self, KeyEnvironment, NewKey};
use crate::domain::time::{now_ms, parse_duration_ms, rfc3339, short};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::store::{ApiKeyRow, NewApiKey};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a key for one tenant and print it once
    Create(CreateArgs),
    /// List keys: id, name, prefix, scopes, created, expires, last used, revoked
    List,
    /// Revoke a key at once: every request with it gets 401 from then on
    Revoke(RevokeArgs),
    /// Replace a key by a new one; the old one keeps working until the overlap ends
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// What the key is for (shown in lists): "zapier", "slack-bot"
    #[arg(long)]
    pub name: String,
    /// What the key may do; repeat or separate with commas (submissions:write, workflows:read,
    /// workflows:write, drafts:read, drafts:review, dlq:read, dlq:write, usage:read)
    #[arg(
        long = "scope",
        required = true,
        value_delimiter = ',',
        value_name = "SCOPE"
    )]
    pub scopes: Vec<String>,
    /// The key stops working after this long (90d, 12h); no expiry when absent
    #[arg(long, value_name = "DURATION")]
    pub expires: Option<String>,
    /// Requests per second the key may make on average [default: 10]
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// Requests the key may make at once before the rate applies [default: 50]
    #[arg(long, value_name = "N")]
    pub burst: Option<u32>,
    /// Who is creating it (default: $USER)
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The key's id (the part after sa_live_ / sa_test_)
    pub id: String,
    /// Why (left the company, leaked…)
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The key's id
    pub id: String,
    /// How long the old key keeps working (0 stops it at once)
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub overlap: String,
    #[arg(long)]
    pub by: Option<String>,
}

/// A key as `keys list --json` prints it: never the secret or its hash.
#[derive(Serialize)]
struct KeyItem<'a> {
    id: &'a str,
    tenant: &'a str,
    name: &'a str,
    prefix: &'a str,
    scopes: &'a [String],
    state: &'static str,
    rate_per_sec: Option<f64>,
    burst: Option<u32>,
    created_at: String,
    created_by: &'a str,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
    rotated_to: Option<&'a str>,
}

impl<'a> KeyItem<'a> {
    fn new(k: &'a ApiKeyRow, now: i64) -> Self {
        KeyItem {
            id: &k.id,
            tenant: &k.tenant,
            name: &k.name,
            prefix: &k.prefix,
            scopes: &k.scopes,
            state: k.state(now).as_str(),
            rate_per_sec: k.rate_per_sec,
            burst: k.burst,
            created_at: rfc3339(k.created_at),
            created_by: &k.created_by,
            expires_at: k.expires_at.map(rfc3339),
            last_used_at: k.last_used_at.map(rfc3339),
            revoked_at: k.revoked_at.map(rfc3339),
            rotated_to: k.rotated_to.as_deref(),
        }
    }
}

/// The new key as `create` and `rotate` print it: the only time the whole key is shown.
#[derive(Serialize)]
struct Created<'a> {
    #[serde(flatten)]
    item: KeyItem<'a>,
    key: &'a str,
}

pub fn run(ctx: &Context, cmd: KeysCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        KeysCommand::Create(args) => create(ctx, args),
        KeysCommand::List => list(ctx),
        KeysCommand::Revoke(args) => revoke(ctx, args),
        KeysCommand::Rotate(args) => rotate(ctx, args),
    }
}

/// A key from the OS's random source.
fn make_key(environment: &str) -> anyhow::Result<NewKey> {
    let mut random = [0u8; api_key::RANDOM_BYTES];
    getrandom::fill(&mut random)
        .map_err(|e| Error::Internal(format!("the OS random source failed: {e}")))?;
    Ok(api_key::generate(KeyEnvironment::of(environment), &random)
        .ok_or_else(|| Error::Internal("the OS random source gave too little entropy".into()))?)
}

fn duration_arg(flag: &str, value: &str) -> Result<i64, Error> {
    parse_duration_ms(value.trim())
        .filter(|ms| *ms >= 0)
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "{flag} {value:?} is not a duration; write it like 90d, 24h or 30m"
            ))
        })
}

fn create(ctx: &Context, args: CreateArgs) -> anyhow::Result<ExitStatus> {
    let name = args.name.trim();
    if name.is_empty() {
        return Err(Error::InvalidInput("--name must not be empty".into()).into());
    }
    let mut scopes: Vec<String> = Vec::new();
    for s in &args.scopes {
        let scope = api_key::parse_scope(s.trim()).map_err(Error::InvalidInput)?;
        if !scopes.iter().any(|x| x == scope) {
            scopes.push(scope.to_string());
        }
    }
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) || args.burst == Some(0) {
        return Err(Error::InvalidInput("--rate and --burst must be greater than 0".into()).into());
    }
    let now = now_ms();
    let expires_at = match args.expires.as_deref() {
        Some(v) => Some(now.saturating_add(duration_arg("--expires", v)?)),
        None => None,
    };
    let app = ctx.app_creating()?;
    let key = make_key(&app.config.environment)?;
    let actor = ctx.actor(args.by.as_deref());
    let row = app.store.create_api_key(
        &NewApiKey {
            id: &key.id,
            prefix: &key.display_prefix,
            secret_hash: &key.secret_hash,
            name,
            scopes: &scopes,
            rate_per_sec: args.rate,
            burst: args.burst,
            expires_at,
        },
        &actor,
        now,
    )?;
    print_created(ctx, &row, &key, now)?;
    Ok(ExitStatus::Success)
}

fn print_created(ctx: &Context, row: &ApiKeyRow, key: &NewKey, now: i64) -> std::io::Result<()> {
    if ctx.printer.json() {
        return ctx.printer.print_json(&Created {
            item: KeyItem::new(row, now),
            key: &key.text,
        });
    }
    ctx.printer.line(&key.text)?;
    ctx.printer.status(&format!(
        "API key {} ({}) for tenant {} with {}; it is shown only now: store it in your secret manager",
        row.id,
        row.name,
        row.tenant,
        row.scopes.join(", ")
    ));
    Ok(())
}

fn list(ctx: &Context) -> anyhow::Result<ExitStatus> {
    let (scope, apps) = ctx.apps()?;
    let now = now_ms();
    let mut rows = Vec::new();
    for app in &apps {
        rows.extend(app.store.list_api_keys()?);
    }
    if ctx.printer.json() {
        let items: Vec<_> = rows.iter().map(|k| KeyItem::new(k, now)).collect();
        ctx.printer.print_json(&items)?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        ctx.printer
            .status("no API keys\nhint: make one with `salesagent keys create --name N --scope S`");
        return Ok(ExitStatus::Success);
    }
    let mut header = Vec::new();
    if scope.is_several() {
        header.push("TENANT");
    }
    header.extend([
        "ID",
        "NAME",
        "PREFIX",
        "SCOPES",
        "STATE",
        "CREATED",
        "EXPIRES",
        "LAST USED",
        "REVOKED",
    ]);
    let mut table = ctx.printer.table(&header);
    let when = |t: Option<i64>| t.map(short).unwrap_or_else(|| "-".into());
    for k in &rows {
        let mut row = Vec::new();
        if scope.is_several() {
            row.push(k.tenant.to_string());
        }
        row.extend([
            k.id.clone(),
            k.name.clone(),
            k.prefix.clone(),
            k.scopes.join(","),
            k.state(now).as_str().to_string(),
            short(k.created_at),
            when(k.expires_at),
            when(k.last_used_at),
            when(k.revoked_at),
        ]);
        table.add_row(row);
    }
    ctx.printer.print_table(&table)?;
    Ok(ExitStatus::Success)
}

fn revoke(ctx: &Context, args: RevokeArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let actor = ctx.actor(args.by.as_deref());
    let row = app
        .store
        .revoke_api_key(args.id.trim(), &actor, args.reason.as_deref(), now_ms())?;
    if ctx.printer.json() {
        ctx.printer.print_json(&KeyItem::new(&row, now_ms()))?;
    } else {
        ctx.printer
            .status(&format!("API key {} ({}) is revoked", row.id, row.name));
    }
    Ok(ExitStatus::Success)
}

fn rotate(ctx: &Context, args: RotateArgs) -> anyhow::Result<ExitStatus> {
    let overlap = duration_arg("--overlap", &args.overlap)?;
    let app = ctx.app()?;
    let now = now_ms();
    let old = app.store.get_api_key(args.id.trim())?;
    let key = make_key(&app.config.environment)?;
    // The successor lives as long as the old key was meant to, counted from now.
    let expires_at = old
        .expires_at
        .map(|t| now.saturating_add(t.saturating_sub(old.created_at)));
    let actor = ctx.actor(args.by.as_deref());
    let (old, new) = app.store.rotate_api_key(
        &old.id,
        &NewApiKey {
            id: &key.id,
            prefix: &key.display_prefix,
            secret_hash: &key.secret_hash,
            name: &old.name,
            scopes: &old.scopes,
            rate_per_sec: old.rate_per_sec,
            burst: old.burst,
            expires_at,
        },
        overlap,
        &actor,
        now,
    )?;
    print_created(ctx, &new, &key, now)?;
    ctx.printer.status(&format!(
        "the old key {} keeps working until {}",
        old.id,
        old.expires_at.map(rfc3339).unwrap_or_default()
    ));
    Ok(ExitStatus::Success)
}
