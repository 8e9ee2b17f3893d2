//! Gmail as a `Mailbox`: OAuth 2.0 refresh-token flow with a cached access token (refreshed once on
//! a 401), drafts created from our RFC 5322 rendering (base64url `raw`), found again by their
//! Message-ID (`rfc822msgid:` search), updated, deleted and sent. Wire DTOs stay in this file.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use serde_json::{Value, json};

use super::http::{ApiError, Body, Call, HttpClient, encode};
use super::{Mailbox, MailboxDraft, OutgoingEmail, SentMessage, WORKFLOW_HEADER};
use crate::config::{GmailConfig, HttpConfig};
use crate::error::{ConnectorError, Error, ErrorClass, Result};

const SERVICE: &str = "gmail";
const OAUTH: &str = "gmail_oauth";
/// Refresh this long before the token's stated expiry.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// The header that names the workflow in every draft we create.
/// How many drafts to the same recipient a lookup inspects when the Message-ID search fails.
const FALLBACK_CANDIDATES: u32 = 20;

pub struct Gmail {
    api: HttpClient,
    oauth: HttpClient,
    client_id: String,
    client_secret: String,
    refresh_token: String,
    html: bool,
    /// When not empty, the only From addresses a draft may carry.
    sender_allowlist: Vec<String>,
    token: Mutex<Option<(String, Instant)>>,
}

/// Google API error bodies: `{"error": {"code", "message", "status"}}`; OAuth: `{"error", "error_description"}`.
pub fn describe(_status: u16, body: &str) -> ApiError {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let message = match v.get("error") {
        Some(Value::Object(e)) => e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        Some(Value::String(code)) => {
            let detail = v
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("");
            format!("{code} {detail}").trim().to_string()
        }
        _ => body.chars().take(200).collect(),
    };
    ApiError {
        message,
        daily_limit: false,
    }
}

fn err(class: ErrorClass, message: impl Into<String>) -> Error {
    ConnectorError::new(SERVICE, class, message).into()
}

fn render(email: &OutgoingEmail, html: bool) -> Result<String> {
    let html_body = html.then(|| text_to_html(&email.body));
    email
        .to_rfc5322(html_body.as_deref())
        .map_err(|e| err(ErrorClass::InvalidInput, e))
}

fn text_to_html(text: &str) -> String {
    let escaped = crate::domain::html::escape(text);
    let paragraphs: Vec<String> = escaped
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", p.replace('\n', "<br>")))
        .collect();
    paragraphs.join("\n")
}

fn draft_from(v: &Value) -> Result<MailboxDraft> {
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| err(ErrorClass::Transient, "the draft in the response has no id"))?;
    Ok(MailboxDraft {
        remote_draft_id: id.to_string(),
        remote_message_id: v
            .pointer("/message/id")
            .and_then(Value::as_str)
            .map(str::to_string),
        thread_id: v
            .pointer("/message/threadId")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

impl Gmail {
    pub fn new(config: &GmailConfig, http: &HttpConfig) -> Result<Gmail> {
        let missing =
            |var: &str| Error::Configuration(format!("connectors.mailbox = \"gmail\" needs {var}"));
        let client_id = config
            .client_id
            .clone()
            .ok_or_else(|| missing("SALESAGENT_GMAIL_CLIENT_ID"))?;
        let client_secret = config
            .client_secret
            .as_ref()
            .ok_or_else(|| missing("SALESAGENT_GMAIL_CLIENT_SECRET"))?
            .expose()
            .to_string();
        let refresh_token = config
            .refresh_token
            .as_ref()
            .ok_or_else(|| missing("SALESAGENT_GMAIL_REFRESH_TOKEN"))?
            .expose()
            .to_string();
        let secrets = [client_secret.clone(), refresh_token.clone()];
        let api = HttpClient::new(SERVICE, &config.api_base, http, describe)?
            .with_secrets(secrets.clone());
        // The token endpoint is a full URL; the client's base is it, the path empty.
        let oauth =
            HttpClient::new(OAUTH, &config.token_url, http, describe)?.with_secrets(secrets);
        Ok(Gmail {
            api,
            oauth,
            client_id,
            client_secret,
            refresh_token,
            html: config.html,
            sender_allowlist: Vec::new(),
            token: Mutex::new(None),
        })
    }

    /// Refuses drafts from senders not on this list (`send.sender_allowlist`; empty allows all).
    pub fn with_sender_allowlist(mut self, allowlist: &[String]) -> Self {
        self.sender_allowlist = allowlist.iter().map(|s| s.to_ascii_lowercase()).collect();
        self
    }

    pub fn http(&self) -> &HttpClient {
        &self.api
    }

    /// A valid access token: the cached one, or a fresh one from the refresh-token grant.
    fn access_token(&self, force: bool) -> Result<String> {
        let mut cached = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if !force
            && let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let call = Call::new(
            reqwest::Method::POST,
            "",
            Body::Form(vec![
                ("grant_type", "refresh_token".into()),
                ("client_id", self.client_id.clone()),
                ("client_secret", self.client_secret.clone()),
                ("refresh_token", self.refresh_token.clone()),
            ]),
            true,
        )
        .accept(&[400, 401]);
        let reply = self.oauth.send(&call)?;
        let v = reply.json(OAUTH)?;
        if reply.status != 200 {
            let code = v.get("error").and_then(Value::as_str).unwrap_or("");
            let message = if code == "invalid_grant" {
                "the refresh token was rejected (invalid_grant: expired or revoked); \
                 re-authorise the Gmail account and set a new SALESAGENT_GMAIL_REFRESH_TOKEN"
                    .to_string()
            } else {
                format!(
                    "token refresh failed ({}): check SALESAGENT_GMAIL_CLIENT_ID and SALESAGENT_GMAIL_CLIENT_SECRET",
                    describe(reply.status, &reply.body).message
                )
            };
            let mut e = ConnectorError::new(OAUTH, ErrorClass::Configuration, message);
            e.status = Some(reply.status);
            return Err(e.into());
        }
        let token = v
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                err(
                    ErrorClass::Transient,
                    "the token response has no access_token",
                )
            })?
            .to_string();
        let lifetime =
            Duration::from_secs(v.get("expires_in").and_then(Value::as_u64).unwrap_or(3600));
        let until = Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN);
        *cached = Some((token.clone(), until));
        Ok(token)
    }

    /// Sends with the access token; on a 401 refreshes once and tries again.
    fn send(&self, call: Call<'_>) -> Result<super::http::Reply> {
        let token = self.access_token(false)?;
        match self.api.send(&call.clone().bearer(&token)) {
            Err(e) if e.status == Some(401) => {
                tracing::info!("gmail access token rejected; refreshing once");
                let token = self.access_token(true)?;
                self.api.send(&call.bearer(&token)).map_err(|mut e| {
                    if e.status == Some(401) {
                        e.message = format!(
                            "{}; the refreshed token was rejected too: check the OAuth client and scope gmail.compose",
                            e.message
                        );
                    }
                    e.into()
                })
            }
            other => Ok(other?),
        }
    }

    /// One cheap read that proves the credentials work (for `config check --live`).
    pub fn check(&self) -> Result<()> {
        self.send(Call::get("/gmail/v1/users/me/profile"))?;
        Ok(())
    }

    /// Drafts matching a Gmail search query (`drafts.list?q=`), at most `max`.
    fn list_drafts(&self, query: &str, max: u32) -> Result<Vec<Value>> {
        let path = format!(
            "/gmail/v1/users/me/drafts?q={}&maxResults={max}",
            encode(query)
        );
        let v = self.send(Call::get(path))?.json(SERVICE)?;
        Ok(v.get("drafts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    fn message_body(&self, email: &OutgoingEmail) -> Result<Value> {
        if !self.sender_allowlist.is_empty()
            && !self
                .sender_allowlist
                .contains(&email.from.to_ascii_lowercase())
        {
            return Err(err(
                ErrorClass::InvalidInput,
                format!(
                    "sender {} is not on send.sender_allowlist; add it or change the routing",
                    email.from
                ),
            ));
        }
        let raw = URL_SAFE.encode(render(email, self.html)?.as_bytes());
        let mut message = json!({ "raw": raw });
        if let Some(thread) = &email.thread_id {
            message["threadId"] = json!(thread);
        }
        Ok(message)
    }
}

impl Mailbox for Gmail {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn find_draft(&self, email: &OutgoingEmail) -> Result<Option<MailboxDraft>> {
        let id = email.message_id.trim_matches(['<', '>']);
        if let Some(d) = self.list_drafts(&format!("rfc822msgid:{id}"), 1)?.first() {
            return draft_from(d).map(Some);
        }
        // Should Gmail have replaced our Message-ID, the workflow header still names the draft.
        for d in self.list_drafts(&format!("to:{}", email.to), FALLBACK_CANDIDATES)? {
            let Some(draft_id) = d.get("id").and_then(Value::as_str) else {
                continue;
            };
            let path = format!(
                "/gmail/v1/users/me/drafts/{}?format=metadata&metadataHeaders={WORKFLOW_HEADER}",
                encode(draft_id)
            );
            let full = self.send(Call::get(path).accept(&[404]))?;
            if full.status == 404 {
                continue;
            }
            let full = full.json(SERVICE)?;
            let ours = full
                .pointer("/message/payload/headers")
                .and_then(Value::as_array)
                .is_some_and(|headers| {
                    headers.iter().any(|h| {
                        h["name"]
                            .as_str()
                            .is_some_and(|n| n.eq_ignore_ascii_case(WORKFLOW_HEADER))
                            && h["value"].as_str() == Some(email.workflow_id.as_str())
                    })
                });
            if ours {
                return draft_from(&full).map(Some);
            }
        }
        Ok(None)
    }

    fn create_draft(&self, email: &OutgoingEmail) -> Result<MailboxDraft> {
        let body = json!({ "message": self.message_body(email)? });
        let v = self
            .send(Call::post("/gmail/v1/users/me/drafts", body))?
            .json(SERVICE)?;
        draft_from(&v)
    }

    fn draft_exists(&self, remote_draft_id: &str) -> Result<bool> {
        let path = format!(
            "/gmail/v1/users/me/drafts/{}?format=minimal",
            encode(remote_draft_id)
        );
        Ok(self.send(Call::get(path).accept(&[404]))?.status != 404)
    }

    fn update_draft(&self, remote_draft_id: &str, email: &OutgoingEmail) -> Result<MailboxDraft> {
        let path = format!("/gmail/v1/users/me/drafts/{}", encode(remote_draft_id));
        let body = json!({ "id": remote_draft_id, "message": self.message_body(email)? });
        let call = Call::new(reqwest::Method::PUT, path, Body::Json(body), true);
        draft_from(&self.send(call)?.json(SERVICE)?)
    }

    fn delete_draft(&self, remote_draft_id: &str) -> Result<()> {
        let path = format!("/gmail/v1/users/me/drafts/{}", encode(remote_draft_id));
        // Deleting twice is fine: the draft is gone either way.
        let call = Call::new(reqwest::Method::DELETE, path, Body::None, true).accept(&[404]);
        self.send(call)?;
        Ok(())
    }

    fn send_draft(&self, remote_draft_id: &str) -> Result<SentMessage> {
        // Never repeated blindly: a lost response here means the send state is unknown.
        let call = Call::post(
            "/gmail/v1/users/me/drafts/send",
            json!({ "id": remote_draft_id }),
        );
        let v = self.send(call)?.json(SERVICE)?;
        Ok(SentMessage {
            remote_message_id: v
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| err(ErrorClass::Transient, "the sent message has no id"))?
                .to_string(),
            thread_id: v
                .get("threadId")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_errors_read_both_shapes() {
        let api = describe(
            400,
            r#"{"error":{"code":400,"message":"Invalid value for ByteString","status":"INVALID_ARGUMENT"}}"#,
        );
        assert_eq!(api.message, "Invalid value for ByteString");
        let oauth = describe(
            400,
            r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
        );
        assert_eq!(
            oauth.message,
            "invalid_grant Token has been expired or revoked."
        );
    }

    #[test]
    fn html_alternative_escapes_text() {
        assert_eq!(text_to_html("a<b\n\nc"), "<p>a&lt;b</p>\n<p>c</p>");
    }
}
