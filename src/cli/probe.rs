//! `salesagent probe --url U`: a synthetic end-to-end check for cron or a monitor. It posts a
//! signed submission marked synthetic, waits through HTTP (`GET /api/probe/{id}`) for its
//! workflow to complete (intake, queue, worker, every pure step; no CRM, mailbox or task side
//! effects), deletes it (`DELETE /api/probe/{id}`), and exits 0 or 1. It needs no database, so
//! it works from any host that reaches the server. With `--tenant T` it probes that tenant: to
//! T's own URL with T's secret when T has one, else to the shared URL with the app's secret and
//! a portal T owns (see `webhook::target`).

use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;
use serde_json::json;

use super::Context;
use super::webhook::{Target, target};
use crate::connectors::webhook_client::{self, post_json};
use crate::domain::time::{now_ms, parse_duration_ms};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::server::{SYNTHETIC_HEADER, WEBHOOK_PATH};
use crate::store::WorkflowStatus;
use crate::webhook::signed_headers;

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The webhook URL of the deployment, exactly as HubSpot calls it (with --tenant, the
    /// shared URL: a tenant with its own secret is probed at its own URL beside it)
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// Give up after this long (e.g. 30s, 2m)
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub timeout: String,
    /// Keep the synthetic workflow instead of deleting it (to inspect it)
    #[arg(long)]
    pub keep: bool,
}

#[derive(Serialize)]
struct ProbeReport {
    ok: bool,
    url: String,
    http_status: u16,
    workflow_id: Option<String>,
    status: String,
    /// From sending the request to the workflow's end.
    seconds: f64,
    cleaned_up: bool,
    error: Option<String>,
}

/// Where the server answers for probe workflows: beside the webhook path, behind the same
/// proxy prefix (`https://h/prefix/api/webhooks/hubspot/forms` → `https://h/prefix/api/probe/ID`).
fn status_url(webhook_url: &str, workflow_id: &str) -> String {
    let url = webhook_url.split(['?', '#']).next().unwrap_or(webhook_url);
    let base = url
        .strip_suffix(WEBHOOK_PATH)
        .map(str::to_string)
        .or_else(|| origin(url))
        .unwrap_or_else(|| url.trim_end_matches('/').to_string());
    format!("{base}/api/probe/{workflow_id}")
}

/// `scheme://host[:port]` of a URL (only `connectors/` may use the HTTP client's URL parser).
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    Some(format!("{scheme}://{host}"))
}

pub fn run(ctx: &Context, args: ProbeArgs) -> anyhow::Result<ExitStatus> {
    let timeout = parse_duration_ms(&args.timeout)
        .filter(|ms| *ms > 0)
        .map(|ms| Duration::from_millis(ms as u64))
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "--timeout {:?} is not a duration; use e.g. 30s or 2m",
                args.timeout
            ))
        })?;
    // Only the secret (and with --tenant the tenant's portal) is needed: the probe follows its
    // workflow over HTTP, not in a database.
    let config = ctx.config()?;
    let target = target(ctx, &config, &args.url)?;
    let started = Instant::now();
    let mut report = ProbeReport {
        ok: false,
        url: target.url.clone(),
        http_status: 0,
        workflow_id: None,
        status: "not_accepted".into(),
        seconds: 0.0,
        cleaned_up: false,
        error: None,
    };
    post_probe(&target, timeout, &mut report);
    if let Some(id) = report
        .workflow_id
        .clone()
        .filter(|_| report.error.is_none())
    {
        let url = status_url(&target.shared_url, &id);
        wait_for_end(&url, &args.timeout, timeout, started, &mut report);
        report.seconds = started.elapsed().as_secs_f64();
        report.ok = WorkflowStatus::parse(&report.status) == Some(WorkflowStatus::Completed)
            && report.error.is_none();
        if !report.ok && report.error.is_none() {
            report.error = Some(format!("the workflow ended {}", report.status));
        }
        if !args.keep && WorkflowStatus::parse(&report.status).is_some_and(|s| !s.is_under_way()) {
            clean_up(&url, timeout, &mut report);
        }
    }
    print_report(ctx, &report)?;
    Ok(if report.ok {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// Posts the signed synthetic submission; records the workflow id, or what went wrong.
fn post_probe(target: &Target, timeout: Duration, report: &mut ProbeReport) {
    let Target {
        secret,
        url,
        portal_id,
        ..
    } = target;
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let body = serde_json::to_vec(&json!({
        "portalId": portal_id,
        "formId": "salesagent-probe",
        "formSubmissionId": format!("probe-{tag}"),
        "submittedAt": now_ms(),
        "fieldValues": [
            {"name": "email", "value": format!("probe-{tag}@probe.salesagent.invalid")},
            {"name": "firstname", "value": "Probe"},
            {"name": "company", "value": "salesagent probe"},
        ],
    }))
    .unwrap_or_default();
    let mut headers = signed_headers(secret, "v3", url, &body, now_ms());
    headers.push((SYNTHETIC_HEADER, "1".into()));
    match post_json(url, &headers, body, timeout) {
        Err(e) => report.error = Some(e.to_string()),
        Ok(response) => {
            report.http_status = response.status;
            let answer: serde_json::Value =
                serde_json::from_str(&response.body).unwrap_or_default();
            report.workflow_id = answer["workflow_id"].as_str().map(str::to_string);
            if response.status != 202 || report.workflow_id.is_none() {
                report.error = Some(format!(
                    "the server answered {} {}",
                    response.status,
                    response.body.trim()
                ));
            }
        }
    }
}

/// Polls the probe's status until its workflow ends or `timeout` runs out.
fn wait_for_end(
    url: &str,
    shown_timeout: &str,
    timeout: Duration,
    started: Instant,
    report: &mut ProbeReport,
) {
    loop {
        let left = timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_secs(1));
        match webhook_client::get(url, left) {
            Ok(r) if r.status == 200 => {
                let answer: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
                report.status = answer["status"].as_str().unwrap_or("unknown").to_string();
                if !WorkflowStatus::parse(&report.status).is_some_and(WorkflowStatus::is_under_way)
                {
                    return;
                }
            }
            Ok(r) => {
                report.status = "unknown".into();
                report.error = Some(format!(
                    "GET {url} answered {} {}: does the server run a salesagent that serves \
                     /api/probe?",
                    r.status,
                    r.body.trim()
                ));
                return;
            }
            Err(e) => {
                report.status = "unknown".into();
                report.error = Some(e.to_string());
                return;
            }
        }
        if started.elapsed() >= timeout {
            report.error = Some(format!(
                "the workflow did not finish within {shown_timeout}: are workers running?"
            ));
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Deletes the finished synthetic workflow on the server.
fn clean_up(url: &str, timeout: Duration, report: &mut ProbeReport) {
    match webhook_client::delete(url, timeout) {
        Ok(r) if r.status == 200 => {
            let answer: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
            report.cleaned_up = answer["cleaned_up"].as_bool().unwrap_or(false);
        }
        Ok(r) => {
            report.error.get_or_insert(format!(
                "DELETE {url} answered {}; the synthetic workflow was left behind",
                r.status
            ));
        }
        Err(e) => {
            report.error.get_or_insert(e.to_string());
        }
    }
}

fn print_report(ctx: &Context, report: &ProbeReport) -> anyhow::Result<()> {
    let p = &ctx.printer;
    if p.json() {
        p.print_json(report)?;
    } else if report.ok {
        p.line(&format!(
            "ok: workflow {} completed in {:.3} s",
            report.workflow_id.as_deref().unwrap_or("-"),
            report.seconds
        ))?;
    } else {
        p.line(&format!(
            "FAILED: {}",
            report.error.as_deref().unwrap_or("unknown")
        ))?;
        if report.http_status == 401 {
            p.status("hint: the signature was refused: SALESAGENT_WEBHOOK_SECRET must match the server's, and --url must be the URL the server sees");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::status_url;

    #[test]
    fn the_status_url_sits_beside_the_webhook_path() {
        assert_eq!(
            status_url("http://127.0.0.1:8080/api/webhooks/hubspot/forms", "W"),
            "http://127.0.0.1:8080/api/probe/W"
        );
        assert_eq!(
            status_url("https://h.example/sa/api/webhooks/hubspot/forms?x=1", "W"),
            "https://h.example/sa/api/probe/W"
        );
        assert_eq!(
            status_url("https://h.example/hooks/custom", "W"),
            "https://h.example/api/probe/W"
        );
    }
}
