//! A fake Google OAuth token endpoint and Gmail API: refresh-token grant (revocable), access tokens
//! that can be expired on demand, and drafts whose `raw` must be base64url RFC 5322 with the
//! headers a mail system needs; drafts are searchable by `rfc822msgid:`.

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::{Fault, Recorder, Reply, Request, Server, form_param, serve};

#[derive(Clone, Debug)]
pub struct Draft {
    pub id: String,
    pub message_id: String,
    pub thread_id: String,
    /// The decoded RFC 5322 message.
    pub raw: String,
}

#[derive(Default)]
pub struct State {
    pub drafts: Vec<Draft>,
    pub sent: Vec<Draft>,
    /// Access tokens currently valid.
    pub valid_tokens: Vec<String>,
    pub refresh_revoked: bool,
    /// Replace the Message-ID of every new draft with one of Gmail's own.
    pub rewrite_message_ids: bool,
    pub issued: u32,
    next_id: u64,
}

#[derive(Clone)]
pub struct FakeGmail {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    pub recorder: Recorder,
    pub state: Arc<Mutex<State>>,
}

fn google_error(status: u16, google_status: &str, message: &str) -> Reply {
    Reply::Json(
        status,
        json!({"error": {"code": status, "message": message, "status": google_status}}),
    )
}

/// The headers of an RFC 5322 message, or why it is not one.
fn parse_message(raw: &str) -> Result<Vec<(String, String)>, String> {
    let (head, _body) = raw
        .split_once("\r\n\r\n")
        .ok_or("no blank line between headers and body")?;
    let mut headers: Vec<(String, String)> = vec![];
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let Some(last) = headers.last_mut() else {
                return Err("continuation line before any header".into());
            };
            last.1.push_str(line);
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("not a header line: {line:?}"))?;
        if name.is_empty() || name.contains(' ') {
            return Err(format!("bad header name {name:?}"));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    for required in ["From", "To", "Subject", "Date", "Message-ID"] {
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(required))
        {
            return Err(format!("missing header {required}"));
        }
    }
    Ok(headers)
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl FakeGmail {
    pub fn start(client_id: &str, client_secret: &str, refresh_token: &str) -> FakeGmail {
        let fake = FakeGmail {
            base_url: String::new(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            refresh_token: refresh_token.into(),
            recorder: Recorder::default(),
            state: Arc::new(Mutex::new(State {
                next_id: 500,
                ..Default::default()
            })),
        };
        let handler_fake = fake.clone();
        let Server { base_url } = serve(Arc::new(move |req: &Request| {
            handler_fake
                .recorder
                .dispatch(req, |req| handler_fake.handle(req))
        }));
        FakeGmail { base_url, ..fake }
    }

    pub fn token_url(&self) -> String {
        format!("{}/token", self.base_url)
    }

    pub fn inject(&self, route: &str, times: usize, fault: Fault) {
        self.recorder.inject(route, times, fault);
    }

    pub fn drafts(&self) -> Vec<Draft> {
        self.state.lock().unwrap().drafts.clone()
    }

    pub fn sent(&self) -> Vec<Draft> {
        self.state.lock().unwrap().sent.clone()
    }

    /// The refresh token is revoked: the grant answers `invalid_grant`.
    pub fn revoke_refresh_token(&self) {
        self.state.lock().unwrap().refresh_revoked = true;
    }

    fn handle(&self, req: &Request) -> Reply {
        let mut s = self.state.lock().unwrap();
        if req.method == "POST" && req.path == "/token" {
            let form = req.text();
            if req.header("content-type") != Some("application/x-www-form-urlencoded") {
                return Reply::Json(400, json!({"error": "invalid_request"}));
            }
            let p = |k| form_param(&form, k).unwrap_or_default();
            if p("grant_type") != "refresh_token" {
                return Reply::Json(400, json!({"error": "unsupported_grant_type"}));
            }
            if p("client_id") != self.client_id || p("client_secret") != self.client_secret {
                return Reply::Json(
                    401,
                    json!({"error": "invalid_client", "error_description": "Unauthorized"}),
                );
            }
            if p("refresh_token") != self.refresh_token || s.refresh_revoked {
                return Reply::Json(
                    400,
                    json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
                );
            }
            s.issued += 1;
            let token = format!("ya29.fake-access-{}", s.issued);
            s.valid_tokens.push(token.clone());
            return Reply::Json(
                200,
                json!({"access_token": token, "expires_in": 3599, "scope": "https://www.googleapis.com/auth/gmail.compose", "token_type": "Bearer"}),
            );
        }
        let bearer = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        if !s.valid_tokens.iter().any(|t| t == bearer) {
            return google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials.",
            );
        }
        let segments: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
        match (req.method.as_str(), segments.as_slice()) {
            ("GET", ["gmail", "v1", "users", "me", "profile"]) => Reply::Json(
                200,
                json!({"emailAddress": "sales@example.com", "messagesTotal": 1, "threadsTotal": 1, "historyId": "1"}),
            ),
            ("POST", ["gmail", "v1", "users", "me", "drafts"]) => {
                let body = req.json();
                let (raw, thread) = match decode_raw(&body) {
                    Ok(x) => x,
                    Err(e) => return google_error(400, "INVALID_ARGUMENT", &e),
                };
                let headers = match parse_message(&raw) {
                    Ok(h) => h,
                    Err(e) => return google_error(400, "INVALID_ARGUMENT", &e),
                };
                s.next_id += 1;
                let n = s.next_id;
                let mut raw = raw;
                let mut message_id = header(&headers, "Message-ID").unwrap_or("").to_string();
                if s.rewrite_message_ids {
                    let gmail_id = format!("<CAfake{n}@mail.gmail.com>");
                    raw = raw.replacen(&message_id, &gmail_id, 1);
                    message_id = gmail_id;
                }
                let draft = Draft {
                    id: format!("r-{n}"),
                    message_id,
                    thread_id: thread.unwrap_or_else(|| format!("t-{n}")),
                    raw,
                };
                s.drafts.push(draft.clone());
                Reply::Json(200, draft_json(&draft, n))
            }
            ("GET", ["gmail", "v1", "users", "me", "drafts"]) => {
                let q = req.query_param("q").unwrap_or_default();
                let by_id = q
                    .strip_prefix("rfc822msgid:")
                    .map(|m| m.trim_matches(['<', '>']));
                let by_to = q.strip_prefix("to:");
                let drafts: Vec<Value> = s
                    .drafts
                    .iter()
                    .filter(|d| by_id.is_none_or(|w| d.message_id.trim_matches(['<', '>']) == w))
                    .filter(|d| {
                        by_to.is_none_or(|to| {
                            parse_message(&d.raw)
                                .ok()
                                .is_some_and(|h| header(&h, "To") == Some(to))
                        })
                    })
                    .map(|d| json!({"id": d.id, "message": {"id": format!("m-{}", d.id), "threadId": d.thread_id}}))
                    .collect();
                if drafts.is_empty() {
                    Reply::Json(200, json!({"resultSizeEstimate": 0}))
                } else {
                    Reply::Json(
                        200,
                        json!({"drafts": drafts, "resultSizeEstimate": drafts.len()}),
                    )
                }
            }
            ("GET", ["gmail", "v1", "users", "me", "drafts", id]) => {
                match s.drafts.iter().find(|d| d.id == *id) {
                    Some(d) => {
                        let mut v = draft_json(d, 0);
                        if req.query_param("format").as_deref() == Some("metadata") {
                            let headers: Vec<Value> = parse_message(&d.raw)
                                .unwrap_or_default()
                                .into_iter()
                                .map(|(name, value)| json!({"name": name, "value": value}))
                                .collect();
                            v["message"]["payload"] = json!({"headers": headers});
                        }
                        Reply::Json(200, v)
                    }
                    None => google_error(404, "NOT_FOUND", "Requested entity was not found."),
                }
            }
            ("PUT", ["gmail", "v1", "users", "me", "drafts", id]) => {
                let body = req.json();
                let (raw, _) = match decode_raw(&body) {
                    Ok(x) => x,
                    Err(e) => return google_error(400, "INVALID_ARGUMENT", &e),
                };
                if let Err(e) = parse_message(&raw) {
                    return google_error(400, "INVALID_ARGUMENT", &e);
                }
                match s.drafts.iter_mut().find(|d| d.id == *id) {
                    Some(d) => {
                        d.raw = raw;
                        let d = d.clone();
                        Reply::Json(200, draft_json(&d, 0))
                    }
                    None => google_error(404, "NOT_FOUND", "Requested entity was not found."),
                }
            }
            ("DELETE", ["gmail", "v1", "users", "me", "drafts", id]) => {
                let before = s.drafts.len();
                s.drafts.retain(|d| d.id != *id);
                if s.drafts.len() == before {
                    google_error(404, "NOT_FOUND", "Requested entity was not found.")
                } else {
                    Reply::Raw(204, vec![], String::new())
                }
            }
            ("POST", ["gmail", "v1", "users", "me", "drafts", "send"]) => {
                let id = req.json()["id"].as_str().unwrap_or("").to_string();
                match s.drafts.iter().position(|d| d.id == id) {
                    Some(i) => {
                        let d = s.drafts.remove(i);
                        s.sent.push(d.clone());
                        Reply::Json(
                            200,
                            json!({"id": format!("m-{}", d.id), "threadId": d.thread_id, "labelIds": ["SENT"]}),
                        )
                    }
                    None => google_error(404, "NOT_FOUND", "Requested entity was not found."),
                }
            }
            _ => google_error(404, "NOT_FOUND", &format!("no route {}", req.route())),
        }
    }
}

fn draft_json(d: &Draft, _n: u64) -> Value {
    json!({"id": d.id, "message": {"id": format!("m-{}", d.id), "threadId": d.thread_id, "labelIds": ["DRAFT"]}})
}

/// `message.raw` decoded: base64url (padded or not) of UTF-8 text; plain base64 is refused.
fn decode_raw(body: &Value) -> Result<(String, Option<String>), String> {
    let raw = body
        .pointer("/message/raw")
        .and_then(Value::as_str)
        .ok_or("message.raw is required")?;
    if raw.contains(['+', '/']) {
        return Err("Invalid value for ByteString: raw is not base64url".into());
    }
    let bytes = URL_SAFE
        .decode(raw)
        .or_else(|_| URL_SAFE_NO_PAD.decode(raw))
        .map_err(|_| "Invalid value for ByteString".to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| "raw is not UTF-8".to_string())?;
    let thread = body
        .pointer("/message/threadId")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok((text, thread))
}
