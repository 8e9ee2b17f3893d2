//! `config check --live`: one cheap read per configured real service, reported with the reason
//! for any failure and the service's circuit-breaker state. Embedded connectors need no check.

use serde::Serialize;

use super::gmail::Gmail;
use super::hubspot::HubSpot;
use super::llm::Llm;
use crate::config::{ComposerKind, Config, CrmKind, MailboxKind};
use crate::error::{Error, ErrorClass};

/// The result of probing one connector.
#[derive(Clone, Debug, Serialize)]
pub struct LiveCheck {
    /// `crm`, `mailbox` or `composer`.
    pub role: &'static str,
    /// `local`, `hubspot`, `gmail`, `template`, `llm`.
    pub connector: &'static str,
    pub ok: bool,
    pub error_class: Option<ErrorClass>,
    /// What was checked, or why it failed (never a secret).
    pub detail: String,
    /// `closed`, `open` or `half-open`; none for embedded connectors.
    pub breaker: Option<&'static str>,
    /// For an LLM: the best structured-output mode the server honours (`json_schema`,
    /// `json_object`, `off`), when the probe got an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structured: Option<&'static str>,
}

fn reason(e: &Error) -> String {
    match e {
        Error::Connector(c) => c.message.clone(),
        other => other.to_string(),
    }
}

fn probe<C>(
    role: &'static str,
    connector: &'static str,
    build: impl FnOnce() -> Result<C, Error>,
    check: impl FnOnce(&C) -> Result<String, Error>,
    breaker: impl FnOnce(&C) -> &'static str,
) -> LiveCheck {
    let mut result = LiveCheck {
        role,
        connector,
        ok: false,
        error_class: None,
        detail: String::new(),
        breaker: None,
        structured: None,
    };
    match build() {
        Err(e) => {
            result.error_class = Some(e.class());
            result.detail = reason(&e);
        }
        Ok(c) => {
            match check(&c) {
                Ok(detail) => {
                    result.ok = true;
                    result.detail = detail;
                }
                Err(e) => {
                    result.error_class = Some(e.class());
                    result.detail = reason(&e);
                }
            }
            result.breaker = Some(breaker(&c));
        }
    }
    result
}

fn embedded(role: &'static str, connector: &'static str) -> LiveCheck {
    LiveCheck {
        role,
        connector,
        ok: true,
        error_class: None,
        detail: "embedded, no network".into(),
        breaker: None,
        structured: None,
    }
}

/// Probes each configured connector once. Checks do not retry: the answer should be quick.
pub fn live_checks(config: &Config) -> Vec<LiveCheck> {
    let mut http = config.http.clone();
    http.retry_attempts = 0;
    let crm = match config.connectors.crm {
        CrmKind::Local => embedded("crm", "local"),
        CrmKind::Hubspot => probe(
            "crm",
            "hubspot",
            || HubSpot::new(&config.hubspot, &http),
            |h| {
                h.check()
                    .map(|()| format!("token accepted by {}", config.hubspot.base_url))
            },
            |h| h.http().breaker_state().as_str(),
        ),
    };
    let mailbox = match config.connectors.mailbox {
        MailboxKind::Local => embedded("mailbox", "local"),
        MailboxKind::Gmail => probe(
            "mailbox",
            "gmail",
            || Gmail::new(&config.gmail, &http),
            |g| {
                g.check()
                    .map(|()| "token refreshed; profile readable".to_string())
            },
            |g| g.http().breaker_state().as_str(),
        ),
    };
    let composer = match config.connectors.composer {
        ComposerKind::Template => embedded("composer", "template"),
        ComposerKind::Llm => {
            let mut config = config.clone();
            config.http = http.clone();
            let structured = std::cell::Cell::new(None);
            let mut result = probe(
                "composer",
                "llm",
                || Llm::new(&config),
                |l| {
                    l.check_model()?;
                    let mode = l.check_structured()?;
                    structured.set(Some(mode.as_str()));
                    Ok(format!(
                        "{} serves model {}; structured output: {} (configured: {})",
                        config.llm.base_url,
                        config.llm.model,
                        mode.as_str(),
                        config.llm.structured.as_str()
                    ))
                },
                |l| l.http().breaker_state().as_str(),
            );
            result.structured = structured.get();
            result
        }
    };
    vec![crm, mailbox, composer]
}
