//! `salesagent probe --url U`: a synthetic end-to-end check for cron or a monitor. It posts a
//! signed submission marked synthetic, waits for its workflow to complete (intake, queue, worker,
//! every pure step; no CRM, mailbox or task side effects), deletes it, and exits 0 or 1.
//! It follows the workflow in the database, so it is a same-host check: it runs where `serve`
//! runs, against the same database (a probe from elsewhere says so instead of timing out).

use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;
use serde_json::json;

use super::Context;
use super::webhook::{check_url, secret};
use crate::connectors::webhook_client::post_json;
use crate::domain::time::{now_ms, parse_duration_ms};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::server::SYNTHETIC_HEADER;
use crate::webhook::signed_headers;

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The webhook URL of the deployment, exactly as HubSpot calls it
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// Give up after this long (e.g. 30s, 2m)
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub timeout: String,
    /// Keep the synthetic workflow instead of deleting it (to inspect it)
    #[arg(long)]
    pub keep: bool,
}

/// The probe's status when the server's workflow is not in the database the probe reads.
const NOT_HERE: &str = "not_in_this_database";

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

pub fn run(ctx: &Context, args: ProbeArgs) -> anyhow::Result<ExitStatus> {
    check_url(&args.url)?;
    let timeout = parse_duration_ms(&args.timeout)
        .filter(|ms| *ms > 0)
        .map(|ms| Duration::from_millis(ms as u64))
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "--timeout {:?} is not a duration; use e.g. 30s or 2m",
                args.timeout
            ))
        })?;
    let app = ctx.app()?;
    let secret = secret(&app.config)?;
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let body = serde_json::to_vec(&json!({
        "portalId": 0,
        "formId": "salesagent-probe",
        "formSubmissionId": format!("probe-{tag}"),
        "submittedAt": now_ms(),
        "fieldValues": [
            {"name": "email", "value": format!("probe-{tag}@probe.salesagent.invalid")},
            {"name": "firstname", "value": "Probe"},
            {"name": "company", "value": "salesagent probe"},
        ],
    }))?;
    let mut headers = signed_headers(&secret, "v3", &args.url, &body, now_ms());
    headers.push((SYNTHETIC_HEADER, "1".into()));
    let started = Instant::now();
    let mut report = ProbeReport {
        ok: false,
        url: args.url.clone(),
        http_status: 0,
        workflow_id: None,
        status: "not_accepted".into(),
        seconds: 0.0,
        cleaned_up: false,
        error: None,
    };
    match post_json(&args.url, &headers, body, timeout) {
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
    if let Some(id) = report
        .workflow_id
        .clone()
        .filter(|_| report.error.is_none())
    {
        loop {
            let status = match app.store.get_workflow(&id) {
                Ok(w) => w.status,
                Err(Error::NotFound(_)) => {
                    report.error = Some(format!(
                        "the server accepted the probe as workflow {id}, but the database here ({}) \
                         does not have it: probe is a same-host check; run it where serve runs, \
                         with the same database",
                        app.config.db.display()
                    ));
                    report.status = NOT_HERE.into();
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            if !matches!(status.as_str(), "pending" | "running") {
                report.status = status;
                break;
            }
            if started.elapsed() >= timeout {
                report.status = status;
                report.error = Some(format!(
                    "the workflow did not finish within {}: are workers running?",
                    args.timeout
                ));
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        report.seconds = started.elapsed().as_secs_f64();
        report.ok = report.status == "completed" && report.error.is_none();
        if !report.ok && report.error.is_none() {
            report.error = Some(format!("the workflow ended {}", report.status));
        }
        // A probe still pending stays for the worker to finish; purging it under the worker
        // would only turn the finish into an error.
        if !args.keep && !matches!(report.status.as_str(), "pending" | "running" | NOT_HERE) {
            app.store.purge_synthetic(&id)?;
            report.cleaned_up = true;
        }
    }
    let p = &ctx.printer;
    if p.json() {
        p.print_json(&report)?;
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
    Ok(if report.ok {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
