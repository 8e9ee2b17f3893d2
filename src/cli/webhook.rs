//! `salesagent webhook sign|send`: sign a payload as HubSpot would (print the headers), or sign and
//! post it to a deployment. Operators use them to test a deployment; the tests use them too.
//! With `--tenant T` they sign as HubSpot signs for T: with T's own secret to T's own URL, or
//! (T has no secret of its own) with the app's secret to the shared URL.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::json;

use super::Context;
use super::run::read_input;
use crate::config::Config;
use crate::connectors::webhook_client::post_json;
use crate::domain::time::now_ms;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::server::WEBHOOK_PATH;
use crate::webhook::signed_headers;

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Print the signature headers for a payload file
    Sign(SignArgs),
    /// Sign a payload file and POST it to a running `serve`
    Send(SendArgs),
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The payload, exactly as it will be sent (- for stdin)
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
    /// The full URL the signature covers [default: webhook.public_url, else http://LISTEN/api/webhooks/hubspot/forms]
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    #[command(flatten)]
    pub signing: Signing,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The payload, exactly as it will be sent (- for stdin)
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
    /// The full URL to post to (the signature covers it)
    #[arg(long, value_name = "URL")]
    pub url: String,
    #[command(flatten)]
    pub signing: Signing,
}

#[derive(Debug, Args)]
pub struct Signing {
    /// Signature version
    #[arg(long = "signature-version", default_value = "v3", value_parser = ["v1", "v2", "v3"])]
    pub signature_version: String,
    /// Request timestamp in epoch milliseconds [default: now] (for testing stale requests)
    #[arg(long, value_name = "MS", hide = true)]
    pub timestamp: Option<i64>,
}

pub fn run(ctx: &Context, cmd: WebhookCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        WebhookCommand::Sign(args) => sign(ctx, args),
        WebhookCommand::Send(args) => send(ctx, args),
    }
}

pub(super) fn secret(config: &Config) -> Result<String, Error> {
    config
        .webhook
        .secret
        .as_ref()
        .map(|s| s.expose().to_string())
        .ok_or_else(|| {
            Error::Configuration(
                "no webhook secret to sign with\nhint: set SALESAGENT_WEBHOOK_SECRET (or \
                 SALESAGENT_WEBHOOK_SECRET_FILE) to the secret the server uses"
                    .into(),
            )
        })
}

/// Who signs a request and where it goes (`webhook sign|send`, `probe`).
pub(super) struct Target {
    pub secret: String,
    /// Where to post (and what the signature covers).
    pub url: String,
    /// The deployment's shared webhook URL (the probe's status URL sits beside it).
    pub shared_url: String,
    /// The portal a probe submission names: one the tenant owns, else 0.
    pub portal_id: u64,
}

/// With `--tenant T` and a webhook secret of T's own: T's secret and T's own URL (`<shared
/// URL>/T`; `url` may be either). With `--tenant T` without one: the app's secret and the shared
/// URL, which routes by T's portal. Without `--tenant`: the app's secret and `url` as given.
pub(super) fn target(ctx: &Context, config: &Config, url: &str) -> Result<Target, Error> {
    check_url(url)?;
    if ctx.global.tenant.is_none() {
        return Ok(Target {
            secret: secret(config)?,
            url: url.to_string(),
            shared_url: url.to_string(),
            portal_id: 0,
        });
    }
    let tenant = ctx.tenant(config)?;
    let settings = config.tenant_settings(&tenant);
    let portal_id = settings.and_then(|s| s.portal_ids.first().copied());
    // The tenant's own URL is the shared one plus `/T` (behind a proxy too: `webhook.public_url`
    // names the shared endpoint); either may be given.
    let shared_url = url
        .trim_end_matches('/')
        .strip_suffix(&format!("/{tenant}"))
        .unwrap_or(url.trim_end_matches('/'))
        .to_string();
    if settings.is_some_and(|s| s.has_own_webhook_secret()) {
        let secret = config
            .for_tenant(&tenant)?
            .webhook
            .secret
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| s.expose().to_string())
            .ok_or_else(|| {
                Error::Configuration(format!(
                    "tenant {tenant}'s own webhook secret is empty\nhint: set the variable or \
                     file that tenants.{tenant}.webhook_secret_env/_file names"
                ))
            })?;
        return Ok(Target {
            secret,
            url: format!("{shared_url}/{tenant}"),
            shared_url,
            portal_id: portal_id.unwrap_or(0),
        });
    }
    let portal_id = portal_id.ok_or_else(|| {
        Error::Configuration(format!(
            "tenant {tenant} has neither a webhook secret of its own nor a portal id, so no \
             request can reach it\nhint: set tenants.{tenant}.portal_ids (or its \
             webhook_secret_env)"
        ))
    })?;
    Ok(Target {
        secret: secret(config)?,
        url: shared_url.clone(),
        shared_url,
        portal_id,
    })
}

pub(super) fn check_url(url: &str) -> Result<(), Error> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "--url {url:?} is not an http(s) URL\nhint: give the full URL, e.g. \
             http://127.0.0.1:8080{WEBHOOK_PATH}"
        )))
    }
}

fn sign(ctx: &Context, args: SignArgs) -> anyhow::Result<ExitStatus> {
    let (body, _) = read_input(&args.file)?;
    let config = ctx.config()?;
    let url = args
        .url
        .unwrap_or_else(|| match &config.webhook.public_url {
            Some(u) => u.clone(),
            None => format!("http://{}{WEBHOOK_PATH}", config.webhook.listen),
        });
    let Target { secret, url, .. } = target(ctx, &config, &url)?;
    let ts = args.signing.timestamp.unwrap_or_else(now_ms);
    let mut headers = signed_headers(&secret, &args.signing.signature_version, &url, &body, ts);
    headers.push(("Content-Type", "application/json".into()));
    if ctx.printer.json() {
        let map: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        ctx.printer
            .print_json(&json!({"url": url, "method": "POST", "headers": map}))?;
    } else {
        for (k, v) in &headers {
            ctx.printer.line(&format!("{k}: {v}"))?;
        }
    }
    Ok(ExitStatus::Success)
}

fn send(ctx: &Context, args: SendArgs) -> anyhow::Result<ExitStatus> {
    let (body, source) = read_input(&args.file)?;
    let config = ctx.config()?;
    let Target { secret, url, .. } = target(ctx, &config, &args.url)?;
    let ts = args.signing.timestamp.unwrap_or_else(now_ms);
    let headers = signed_headers(&secret, &args.signing.signature_version, &url, &body, ts);
    let response = post_json(&url, &headers, body, Duration::from_secs(30))?;
    let ok = (200..300).contains(&response.status);
    if ctx.printer.json() {
        let parsed: serde_json::Value =
            serde_json::from_str(&response.body).unwrap_or(json!(response.body));
        ctx.printer
            .print_json(&json!({"status": response.status, "body": parsed}))?;
    } else {
        ctx.printer
            .line(&format!("{} {}", response.status, response.body.trim()))?;
    }
    if !ok {
        ctx.printer.error(&format!(
            "{source}: the server answered {}",
            response.status
        ));
        ctx.printer
            .status(&failure_hint(response.status, &response.body));
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}

/// What to do about a refused webhook. A 400 of ours names the quarantined copy, so the hint
/// gives the command that shows it; other 400s (a request without `Host`) come from the request.
fn failure_hint(status: u16, body: &str) -> String {
    let quarantine_id = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("quarantine_id")?.as_str().map(str::to_string));
    match (status, quarantine_id) {
        (401, _) => "hint: the signature was refused: check that both sides use the same secret and that --url is exactly the URL the server sees (webhook.public_url behind a proxy)".to_string(),
        (413, _) => "hint: the payload is larger than webhook.max_body_bytes".to_string(),
        (400, Some(id)) => format!(
            "hint: the payload could not be parsed and the server kept it: `salesagent quarantine show {id}` (on the server's database) says why; after a fix, `salesagent quarantine replay {id}`"
        ),
        (400, None) => "hint: the server refused the request itself (not the payload): see the reason above".to_string(),
        _ => "hint: see the server's log for this request id".to_string(),
    }
}
