//! A fake OpenAI-compatible chat-completions endpoint: checks the bearer key and the request shape,
//! answers with a configurable assistant message (JSON in a code fence by default) and usage.
//!
//! `Behaviour` plays the servers people run: one that ignores `response_format` (Ollama's
//! OpenAI-compatible endpoint, the default), one that enforces a strict schema (OpenAI, vLLM), one
//! that honours only `json_object` and answers `json_schema` with HTTP 500 (llama-cpp-python), and
//! one that refuses. Every behaviour cuts a reply off at `max_tokens` (about four characters a
//! token) with `finish_reason = "length"`, as a model does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::{Fault, Recorder, Reply, Request, Server, serve};

pub const COMPLETIONS: &str = "POST /v1/chat/completions";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers `content` as written whatever `response_format` says.
    IgnoresFormat,
    /// Validates `response_format.json_schema` (name, schema, strict) and answers the bare object.
    EnforcesSchema,
    /// `json_schema` → HTTP 500; `json_object` → the bare object; nothing → `content`.
    JsonObjectOnly,
    /// Every answer is a refusal (`content: null`, `refusal: "…"`).
    Refuses,
}

#[derive(Clone)]
pub struct FakeLlm {
    pub base_url: String,
    pub api_key: String,
    pub recorder: Recorder,
    /// The assistant message content the next completions get.
    pub content: Arc<Mutex<String>>,
    behaviour: Arc<Mutex<Behaviour>>,
    models: Arc<Mutex<Vec<String>>>,
    latency: Arc<Mutex<Duration>>,
}

/// The default reply: a short email in a code fence.
fn default_content() -> String {
    "```json\n{\"subject\": \"Picking automation for Northwind\", \"body\": \"Hi Dana,\\n\\nThanks for reaching out about automating picking across your 40 warehouses. Could we talk on Tuesday?\\n\\nBest regards,\\nSales\"}\n```".into()
}

impl FakeLlm {
    pub fn start(api_key: &str) -> FakeLlm {
        FakeLlm::start_as(api_key, Behaviour::IgnoresFormat)
    }

    pub fn start_as(api_key: &str, behaviour: Behaviour) -> FakeLlm {
        let fake = FakeLlm {
            base_url: String::new(),
            api_key: api_key.into(),
            recorder: Recorder::default(),
            content: Arc::new(Mutex::new(default_content())),
            behaviour: Arc::new(Mutex::new(behaviour)),
            models: Arc::new(Mutex::new(vec!["fake-model".into()])),
            latency: Arc::new(Mutex::new(Duration::ZERO)),
        };
        let handler_fake = fake.clone();
        let Server { base_url } = serve(Arc::new(move |req: &Request| {
            handler_fake
                .recorder
                .dispatch(req, |req| handler_fake.handle(req))
        }));
        FakeLlm { base_url, ..fake }
    }

    pub fn inject(&self, route: &str, times: usize, fault: Fault) {
        self.recorder.inject(route, times, fault);
    }

    pub fn set_content(&self, content: &str) {
        *self.content.lock().unwrap() = content.to_string();
    }

    /// Every completion waits this long before answering (a model's think time).
    pub fn set_latency(&self, latency: Duration) {
        *self.latency.lock().unwrap() = latency;
    }

    /// The completions requests that composed (not the structured-output probes).
    pub fn composes(&self) -> Vec<Value> {
        self.completions()
            .into_iter()
            .filter(|b| !is_probe(b))
            .collect()
    }

    /// The probes' `response_format` types, in order (`none` for a plain request).
    pub fn probes(&self) -> Vec<String> {
        self.completions()
            .iter()
            .filter(|b| is_probe(b))
            .map(|b| {
                b.pointer("/response_format/type")
                    .and_then(Value::as_str)
                    .unwrap_or("none")
                    .to_string()
            })
            .collect()
    }

    fn completions(&self) -> Vec<Value> {
        self.recorder
            .requests()
            .iter()
            .filter(|r| r.route() == COMPLETIONS)
            .map(Request::json)
            .collect()
    }

    fn handle(&self, req: &Request) -> Reply {
        if req.header("authorization") != Some(&format!("Bearer {}", self.api_key)) {
            return Reply::Json(
                401,
                json!({"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error", "code": "invalid_api_key"}}),
            );
        }
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/v1/models") => {
                let data: Vec<Value> = self
                    .models
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|id| json!({"id": id, "object": "model"}))
                    .collect();
                Reply::Json(200, json!({"object": "list", "data": data}))
            }
            ("POST", "/v1/chat/completions") => {
                let latency = *self.latency.lock().unwrap();
                if !latency.is_zero() {
                    std::thread::sleep(latency);
                }
                self.complete(&req.json())
            }
            _ => Reply::Json(404, json!({"error": {"message": "not found"}})),
        }
    }

    fn complete(&self, body: &Value) -> Reply {
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        if body["model"].as_str().is_none()
            || messages.is_empty()
            || messages
                .iter()
                .any(|m| m["role"].as_str().is_none() || m["content"].as_str().is_none())
        {
            return bad_request("model and messages are required");
        }
        let format = body
            .pointer("/response_format/type")
            .and_then(Value::as_str);
        let behaviour = *self.behaviour.lock().unwrap();
        if behaviour == Behaviour::Refuses {
            return answer(
                body,
                Value::Null,
                Some("I can't help with that request."),
                40,
            );
        }
        let structured = match (behaviour, format) {
            (_, None) | (Behaviour::IgnoresFormat, _) => false,
            (Behaviour::JsonObjectOnly, Some("json_schema")) => {
                return Reply::Json(
                    500,
                    json!({"error": {"message": "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\"}]", "type": "internal_server_error"}}),
                );
            }
            (Behaviour::EnforcesSchema, Some("json_schema")) => {
                let spec = &body["response_format"]["json_schema"];
                if spec["name"].as_str().is_none()
                    || !spec["schema"].is_object()
                    || spec["strict"] != json!(true)
                {
                    return bad_request(
                        "response_format.json_schema needs name, schema and strict: true",
                    );
                }
                true
            }
            (_, Some("json_object")) => true,
            (_, Some(other)) => {
                return bad_request(&format!("unknown response_format type {other}"));
            }
        };
        // The probe asks for a greeting without naming JSON: only a grammar makes it an object.
        let content = match (is_probe(body), structured) {
            (true, true) => "{\"subject\": \"ping\", \"body\": \"pong\"}".to_string(),
            (true, false) => "Subject: ping\n\npong".to_string(),
            (false, true) => bare_object(&self.content.lock().unwrap()),
            (false, false) => self.content.lock().unwrap().clone(),
        };
        answer(body, Value::String(content), None, 120)
    }
}

fn bad_request(message: &str) -> Reply {
    Reply::Json(
        400,
        json!({"error": {"message": message, "type": "invalid_request_error"}}),
    )
}

/// The object a schema-constrained model emits: the JSON inside `text`, bare; a model constrained
/// to an object never writes prose, so prose becomes an object of it.
fn bare_object(text: &str) -> String {
    let inner = text
        .find('{')
        .zip(text.rfind('}'))
        .and_then(|(s, e)| serde_json::from_str::<Value>(&text[s..=e]).ok());
    match inner {
        Some(v) => v.to_string(),
        None => json!({"subject": "", "body": text}).to_string(),
    }
}

fn is_probe(body: &Value) -> bool {
    body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .is_some_and(|c| c.contains("\"ping\""))
}

/// A completion, cut off at `max_tokens` (four characters a token) like a model's.
fn answer(body: &Value, content: Value, refusal: Option<&str>, prompt_tokens: u64) -> Reply {
    let max_tokens = body["max_tokens"].as_u64().unwrap_or(u64::MAX);
    let (content, finish, completion_tokens) = match content {
        Value::String(text) => {
            let tokens = (text.chars().count() as u64).div_ceil(4);
            if tokens > max_tokens {
                let cut: String = text.chars().take((max_tokens * 4) as usize).collect();
                (Value::String(cut), "length", max_tokens)
            } else {
                (Value::String(text), "stop", tokens)
            }
        }
        other => (other, "stop", 8),
    };
    Reply::Json(
        200,
        json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": content, "refusal": refusal}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens},
        }),
    )
}
