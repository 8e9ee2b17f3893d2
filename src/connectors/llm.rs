//! An OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, LM Studio) as a `Composer`:
//! prompts from template files rendered with the lead's fields, a JSON `{subject, body}` reply
//! parsed robustly, and the route's template as the fallback when the LLM stays unavailable.

use serde_json::{Value, json};
use sha2::Digest;

use super::http::{ApiError, Call, HttpClient};
use super::local::TemplateComposer;
use super::{ComposeRequest, ComposedEmail, Composer};
use crate::config::Config;
use crate::domain::template;
use crate::error::{ConnectorError, Error, ErrorClass, Result};

const SERVICE: &str = "llm";

const DEFAULT_SYSTEM: &str = "You write short, friendly, professional follow-up emails for a \
sales team. Reply with JSON only: {\"subject\": \"...\", \"body\": \"...\"}. Plain text body, no \
placeholders, no links you were not given, signed by the sender.";

const DEFAULT_USER: &str = "Write a follow-up email to {{first_name_or_there}} ({{job_title}} at \
{{company_or_you}}, {{email}}) who filled in our form.\nTheir message: {{message}}\nLead score: \
{{score}}.\nEarlier dealings: {{history_summary}}\nSender: {{sender}}\nUse this template as a \
guide for tone and length:\nSubject: {{template_subject}}\n{{template_body}}";

pub struct Llm {
    http: HttpClient,
    api_key: Option<String>,
    model: String,
    max_tokens: u32,
    temperature: f64,
    system: String,
    user: String,
    prompt_version: String,
    fallback_to_template: bool,
}

/// OpenAI-style error bodies: `{"error": {"message", "type", "code"}}`.
pub fn describe(status: u16, body: &str) -> ApiError {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let mut message = v
        .pointer("/error/message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| body.chars().take(200).collect());
    if status == 401 {
        message = format!("key rejected: check SALESAGENT_LLM_API_KEY ({message})");
    }
    ApiError {
        message,
        daily_limit: false,
    }
}

fn read_prompt(path: Option<&std::path::Path>, default: &str) -> Result<String> {
    match path {
        None => Ok(default.to_string()),
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| Error::Configuration(format!("llm prompt file {}: {e}", p.display()))),
    }
}

/// The `{subject, body}` in a model's reply: bare JSON, JSON in a code fence, or JSON with text
/// around it. Anything else is `None`.
pub fn parse_reply(content: &str) -> Option<(String, String)> {
    let text = content.trim();
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    if end < start {
        return None;
    }
    let v: Value = serde_json::from_str(&text[start..=end]).ok()?;
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some((field("subject")?, field("body")?))
}

impl Llm {
    pub fn new(config: &Config) -> Result<Llm> {
        let llm = &config.llm;
        let system = read_prompt(llm.system_prompt.as_deref(), DEFAULT_SYSTEM)?;
        let user = read_prompt(llm.user_prompt.as_deref(), DEFAULT_USER)?;
        let digest = sha2::Sha256::digest(format!("{system}\u{0}{user}").as_bytes());
        let prompt_version = format!("sha256:{}", &hex::encode(digest)[..12]);
        let api_key = llm.api_key.as_ref().map(|k| k.expose().to_string());
        let http = HttpClient::new(SERVICE, &llm.base_url, &config.http, describe)?
            .with_secrets(api_key.clone());
        Ok(Llm {
            http,
            api_key,
            model: llm.model.clone(),
            max_tokens: llm.max_tokens,
            temperature: llm.temperature,
            system,
            user,
            prompt_version,
            fallback_to_template: llm.fallback == "template",
        })
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    fn call<'a>(&'a self, call: Call<'a>) -> Call<'a> {
        match &self.api_key {
            Some(k) => call.bearer(k),
            None => call,
        }
    }

    /// One cheap read that proves the endpoint answers (for `config check --live`).
    pub fn check(&self) -> Result<()> {
        self.http.send(&self.call(Call::get("/v1/models")))?;
        Ok(())
    }

    fn ask(&self, request: &ComposeRequest<'_>) -> Result<ComposedEmail> {
        let mut vars = template::variables(request.lead, request.sender);
        vars.insert("score".into(), request.score.to_string());
        vars.insert(
            "history_summary".into(),
            request.history_summary.to_string(),
        );
        vars.insert("template_name".into(), request.template_name.to_string());
        vars.insert("template_subject".into(), request.template.subject.clone());
        vars.insert("template_body".into(), request.template.body.clone());
        let body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": template::render(&self.system, &vars)},
                {"role": "user", "content": template::render(&self.user, &vars)},
            ],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        });
        // Composing twice creates nothing remote: safe to repeat.
        let call = self.call(Call::post("/v1/chat/completions", body).idempotent(true));
        let v = self.http.send(&call)?.json(SERVICE)?;
        let content = v
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .unwrap_or("");
        let (subject, body) = parse_reply(content).ok_or_else(|| {
            ConnectorError::new(
                SERVICE,
                ErrorClass::InvalidInput,
                format!(
                    "the model's reply has no usable {{subject, body}} JSON: {:?}",
                    content.chars().take(120).collect::<String>()
                ),
            )
        })?;
        Ok(ComposedEmail {
            subject,
            body,
            model: v
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or(&self.model)
                .to_string(),
            prompt_version: Some(self.prompt_version.clone()),
            tokens_used: v
                .pointer("/usage/total_tokens")
                .and_then(Value::as_u64)
                .map(|n| n as u32),
            fallback_used: false,
        })
    }
}

impl Composer for Llm {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn compose(&self, request: &ComposeRequest<'_>) -> Result<ComposedEmail> {
        match self.ask(request) {
            Ok(email) => Ok(email),
            Err(e)
                if self.fallback_to_template
                    && matches!(
                        e.class(),
                        ErrorClass::Transient | ErrorClass::ExternalService
                    ) =>
            {
                tracing::warn!(error = %e, "LLM unavailable; composing from the template");
                let mut email = TemplateComposer::render(request);
                email.fallback_used = true;
                Ok(email)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_parse_bare_fenced_and_wrapped() {
        let want = Some(("Hi".to_string(), "Body".to_string()));
        assert_eq!(parse_reply(r#"{"subject":"Hi","body":"Body"}"#), want);
        assert_eq!(
            parse_reply("```json\n{\"subject\": \"Hi\", \"body\": \"Body\"}\n```"),
            want
        );
        assert_eq!(
            parse_reply(
                "Sure! Here it is:\n{\"subject\":\"Hi\",\"body\":\"Body\"}\nHope it helps."
            ),
            want
        );
    }

    #[test]
    fn unusable_replies_are_none() {
        assert_eq!(parse_reply("I cannot help with that."), None);
        assert_eq!(parse_reply(r#"{"subject":"Hi"}"#), None);
        assert_eq!(parse_reply(r#"{"subject":"","body":"x"}"#), None);
        assert_eq!(parse_reply("} {"), None);
    }
}
