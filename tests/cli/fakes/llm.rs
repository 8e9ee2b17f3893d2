//! A fake OpenAI-compatible chat-completions endpoint: checks the bearer key and the request shape,
//! answers with a configurable assistant message (JSON in a code fence by default) and usage.

use std::sync::{Arc, Mutex};

use serde_json::json;

use super::{Fault, Recorder, Reply, Request, Server, serve};

#[derive(Clone)]
pub struct FakeLlm {
    pub base_url: String,
    pub api_key: String,
    pub recorder: Recorder,
    /// The assistant message content the next completions get.
    pub content: Arc<Mutex<String>>,
}

impl FakeLlm {
    pub fn start(api_key: &str) -> FakeLlm {
        let fake = FakeLlm {
            base_url: String::new(),
            api_key: api_key.into(),
            recorder: Recorder::default(),
            content: Arc::new(Mutex::new(
                "```json\n{\"subject\": \"Picking automation for Northwind\", \"body\": \"Hi Dana,\\n\\nThanks for reaching out about automating picking across your 40 warehouses. Could we talk on Tuesday?\\n\\nBest regards,\\nSales\"}\n```".into(),
            )),
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

    fn handle(&self, req: &Request) -> Reply {
        if req.header("authorization") != Some(&format!("Bearer {}", self.api_key)) {
            return Reply::Json(
                401,
                json!({"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error", "code": "invalid_api_key"}}),
            );
        }
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/v1/models") => Reply::Json(
                200,
                json!({"object": "list", "data": [{"id": "fake-model", "object": "model"}]}),
            ),
            ("POST", "/v1/chat/completions") => {
                let body = req.json();
                let messages = body["messages"].as_array().cloned().unwrap_or_default();
                if body["model"].as_str().is_none()
                    || messages.is_empty()
                    || messages
                        .iter()
                        .any(|m| m["role"].as_str().is_none() || m["content"].as_str().is_none())
                {
                    return Reply::Json(
                        400,
                        json!({"error": {"message": "model and messages are required", "type": "invalid_request_error"}}),
                    );
                }
                Reply::Json(
                    200,
                    json!({
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": *self.content.lock().unwrap()}}],
                        "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200},
                    }),
                )
            }
            _ => Reply::Json(404, json!({"error": {"message": "not found"}})),
        }
    }
}
