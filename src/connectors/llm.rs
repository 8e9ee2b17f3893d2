//! An OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, llama.cpp) as a
//! `Composer`: the lead's template rendered into the prompt, the `{subject, body}` object asked for
//! with the best structured-output mode the server honours (probed once per process and model),
//! every reply validated locally with one bounded repair, and the route's template as the fallback
//! when the model stays unavailable or unusable.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde_json::{Value, json};
use sha2::Digest;

use super::http::{ApiError, Call, HttpClient, Metering};
use super::local::TemplateComposer;
use super::{ComposeRequest, ComposedEmail, Composer};
use crate::config::{Config, GuardConfig, StructuredOutput};
use crate::domain::lead::Lead;
use crate::domain::template;
use crate::error::{ConnectorError, Error, ErrorClass, Result};

const SERVICE: &str = "llm";

const DEFAULT_SYSTEM: &str = "You write short, friendly, professional follow-up emails for a \
sales team. Plain text body, no placeholders, no links you were not given, signed by the sender.";

const DEFAULT_USER: &str = "Write a follow-up email to a lead who filled in our form.\n\
Name: {{first_name}} {{last_name}}\nJob title: {{job_title}}\nCompany: {{company}}\n\
Email: {{email}}\nTheir message: {{message}}\nLead score: {{score}}\n\
Earlier dealings: {{history_summary}}\nSender: {{sender}} (sign as {{sender_name}})\n\
Use this draft as a guide for tone and length:\nSubject: {{template_subject}}\n{{template_body}}";

/// Stands in the user message whatever the mode: some servers' chat formats drop the system
/// message.
const JSON_INSTRUCTION: &str = "Answer with one JSON object only, no other text: \
{\"subject\": \"...\", \"body\": \"...\"}.";

/// A structured-output mode a request is sent with, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    JsonSchema,
    JsonObject,
    /// No `response_format`; the object is extracted from plain text.
    Off,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::JsonSchema => "json_schema",
            Mode::JsonObject => "json_object",
            Mode::Off => "off",
        }
    }

    fn configured(setting: StructuredOutput) -> Option<Mode> {
        match setting {
            StructuredOutput::Auto => None,
            StructuredOutput::JsonSchema => Some(Mode::JsonSchema),
            StructuredOutput::JsonObject => Some(Mode::JsonObject),
            StructuredOutput::Off => Some(Mode::Off),
        }
    }
}

/// The modes probed per process: (base URL, model) → the best mode that worked.
fn probed() -> &'static Mutex<HashMap<String, Mode>> {
    static PROBED: OnceLock<Mutex<HashMap<String, Mode>>> = OnceLock::new();
    PROBED.get_or_init(Default::default)
}

pub struct Llm {
    http: HttpClient,
    /// No retries and its own breaker: a probe's expected refusals must not open the main one.
    probe_http: HttpClient,
    api_key: Option<String>,
    base_url: String,
    model: String,
    max_tokens: u32,
    temperature: f64,
    structured: StructuredOutput,
    limits: GuardConfig,
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

/// The system and user prompt texts `[llm]` names (the built-in ones when it names none).
pub fn prompt_texts(config: &Config) -> Result<(String, String)> {
    Ok((
        read_prompt(config.llm.system_prompt.as_deref(), DEFAULT_SYSTEM)?,
        read_prompt(config.llm.user_prompt.as_deref(), DEFAULT_USER)?,
    ))
}

/// The `{subject, body}` in a model's reply: bare JSON, JSON in a code fence, or JSON with text
/// around it. Anything else is `None`. The first `{` that opens such an object wins: each is
/// tried with a streaming parse that stops at the object's end, so braces in the prose before
/// or after it (or a stray closing brace) do not hide it.
pub fn parse_reply(content: &str) -> Option<(String, String)> {
    content.match_indices('{').find_map(|(start, _)| {
        let mut objects =
            serde_json::Deserializer::from_str(&content[start..]).into_iter::<Value>();
        fields(&objects.next()?.ok()?)
    })
}

fn fields(v: &Value) -> Option<(String, String)> {
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some((field("subject")?, field("body")?))
}

/// The schema of the reply, for `json_schema` requests and for the prompt of the other modes.
fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "subject": {"type": "string"},
            "body": {"type": "string"},
        },
        "required": ["subject", "body"],
        "additionalProperties": false,
    })
}

/// The `response_format` a mode sends. llama-cpp-python reads a schema beside `json_object`.
fn response_format(mode: Mode) -> Option<Value> {
    match mode {
        Mode::JsonSchema => Some(json!({
            "type": "json_schema",
            "json_schema": {"name": "email", "schema": schema(), "strict": true},
        })),
        Mode::JsonObject => Some(json!({"type": "json_object", "schema": schema()})),
        Mode::Off => None,
    }
}

/// The reply's token budget: enough for the longest subject and body the guard accepts (about
/// three characters a token, plus the JSON around them), unless `[llm] max_tokens` says otherwise.
pub fn reply_budget(limits: &GuardConfig, configured: Option<u32>) -> u32 {
    configured.unwrap_or_else(|| {
        let chars = limits.max_subject_chars + limits.max_body_chars;
        ((chars / 3 + 64) as u32).clamp(256, 8192)
    })
}

/// Why a reply cannot become a draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// `finish_reason = "length"`: cut off at `max_tokens`.
    Truncated,
    /// The server's `refusal` field.
    Refused(String),
    /// No `{subject, body}` object in it.
    NoObject(String),
    /// An object, but one the guard would refuse for its shape.
    Invalid(String),
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::Truncated => f.write_str("the reply was cut off at max_tokens"),
            Unusable::Refused(r) => write!(f, "the model refused: {r}"),
            Unusable::NoObject(excerpt) => {
                write!(
                    f,
                    "the reply has no {{subject, body}} JSON object: {excerpt:?}"
                )
            }
            Unusable::Invalid(why) => f.write_str(why),
        }
    }
}

/// Judges one chat-completions response: the email in it, or why there is none.
pub fn judge(response: &Value, limits: &GuardConfig) -> Result<(String, String), Unusable> {
    let choice = response.pointer("/choices/0").unwrap_or(&Value::Null);
    if let Some(refusal) = choice
        .pointer("/message/refusal")
        .and_then(Value::as_str)
        .filter(|r| !r.trim().is_empty())
    {
        return Err(Unusable::Refused(refusal.chars().take(200).collect()));
    }
    if choice.get("finish_reason").and_then(Value::as_str) == Some("length") {
        return Err(Unusable::Truncated);
    }
    let content = choice
        .pointer("/message/content")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (subject, body) = parse_reply(content)
        .ok_or_else(|| Unusable::NoObject(content.chars().take(120).collect()))?;
    let subject_chars = subject.chars().count();
    let body_chars = body.chars().count();
    if subject.contains(['\r', '\n']) {
        Err(Unusable::Invalid("the subject spans several lines".into()))
    } else if subject_chars > limits.max_subject_chars {
        Err(Unusable::Invalid(format!(
            "the subject is {subject_chars} characters; at most {} allowed",
            limits.max_subject_chars
        )))
    } else if body_chars > limits.max_body_chars {
        Err(Unusable::Invalid(format!(
            "the body is {body_chars} characters; at most {} allowed",
            limits.max_body_chars
        )))
    } else {
        Ok((subject, body))
    }
}

/// One completion as the composer needs it.
struct Completion {
    response: Value,
    content: String,
    tokens: Tokens,
}

/// What one or more completions cost, as the server's `usage` reported it.
#[derive(Clone, Copy, Debug, Default)]
struct Tokens {
    total: u32,
    prompt: u32,
    completion: u32,
}

impl Tokens {
    fn of(response: &Value) -> Tokens {
        let read = |key: &str| {
            response
                .pointer(&format!("/usage/{key}"))
                .and_then(Value::as_u64)
                .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        Tokens {
            total: read("total_tokens"),
            prompt: read("prompt_tokens"),
            completion: read("completion_tokens"),
        }
    }

    fn plus(self, other: Tokens) -> Tokens {
        Tokens {
            total: self.total.saturating_add(other.total),
            prompt: self.prompt.saturating_add(other.prompt),
            completion: self.completion.saturating_add(other.completion),
        }
    }
}

/// What a capability probe of one mode showed.
enum ProbeResult {
    Works,
    /// The server answered, but ignored the format (prose, a code fence, a cut-off reply).
    Ignored,
    /// The server refused the request with an error status (llama-cpp-python's 500 for
    /// json_schema); alone it proves nothing, since a server that is down refuses everything.
    Refused(ConnectorError),
    /// No answer at all (down, unreachable): nothing can be concluded.
    NoAnswer(ConnectorError),
}

impl Llm {
    pub fn new(config: &Config) -> Result<Llm> {
        let (system, user) = prompt_texts(config)?;
        Llm::with_prompts(config, system, user)
    }

    /// An LLM composer with these prompt texts (an eval candidate's, stored with its run).
    pub fn with_prompts(config: &Config, system: String, user: String) -> Result<Llm> {
        let llm = &config.llm;
        let digest = sha2::Sha256::digest(format!("{system}\u{0}{user}").as_bytes());
        let prompt_version = format!("sha256:{}", &hex::encode(digest)[..12]);
        let api_key = llm.api_key.as_ref().map(|k| k.expose().to_string());
        let http = HttpClient::new(SERVICE, &llm.base_url, &config.http, describe)?
            .with_secrets(api_key.clone());
        let mut probe_config = config.http.clone();
        probe_config.retry_attempts = 0;
        let probe_http = HttpClient::new(SERVICE, &llm.base_url, &probe_config, describe)?
            .with_secrets(api_key.clone());
        Ok(Llm {
            http,
            probe_http,
            api_key,
            base_url: llm.base_url.clone(),
            model: llm.model.clone(),
            max_tokens: reply_budget(&config.guard, llm.max_tokens),
            temperature: llm.temperature,
            structured: llm.structured,
            limits: config.guard.clone(),
            system,
            user,
            prompt_version,
            fallback_to_template: llm.fallback == "template",
        })
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub fn prompt_version(&self) -> &str {
        &self.prompt_version
    }

    fn call<'a>(&'a self, call: Call<'a>) -> Call<'a> {
        match &self.api_key {
            Some(k) => call.bearer(k),
            None => call,
        }
    }

    /// For `config check --live`: the endpoint answers and lists the configured model.
    pub fn check_model(&self) -> Result<()> {
        let v = self
            .http
            .send(&self.call(Call::get("/v1/models")))?
            .json(SERVICE)?;
        let served: Vec<&str> = v
            .get("data")
            .and_then(Value::as_array)
            .map(|models| {
                models
                    .iter()
                    .filter_map(|m| m.get("id").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        // Ollama lists `name:tag` and serves `name` as `name:latest`.
        let latest = format!("{}:latest", self.model);
        if served.contains(&self.model.as_str()) || served.contains(&latest.as_str()) {
            return Ok(());
        }
        Err(Error::Configuration(format!(
            "model {:?} is not served by {}; it serves: {}\nhint: set [llm] model (or SALESAGENT_LLM_MODEL) to one of them",
            self.model,
            self.base_url,
            if served.is_empty() {
                "nothing".to_string()
            } else {
                served.join(", ")
            }
        )))
    }

    /// For `config check --live`: the best mode the server honours, probed afresh, and whether
    /// the configured `[llm] structured` is within it.
    pub fn check_structured(&self) -> Result<Mode> {
        let best = self.probe()?;
        probed().lock().unwrap().insert(self.cache_key(), best);
        match Mode::configured(self.structured) {
            Some(wanted) if wanted < best => Err(Error::Configuration(format!(
                "[llm] structured = {:?}, but the server only honours {}\nhint: set structured = \"auto\" or \"{}\"",
                wanted.as_str(),
                best.as_str(),
                best.as_str()
            ))),
            _ => Ok(best),
        }
    }

    fn cache_key(&self) -> String {
        format!("{}\u{0}{}", self.base_url, self.model)
    }

    /// The mode this compose uses: the configured one, or the probed one (probed once per process
    /// and model; a probe that got no answer is not cached, and the compose asks in plain text).
    fn mode(&self) -> Mode {
        if let Some(mode) = Mode::configured(self.structured) {
            return mode;
        }
        let mut cache = probed().lock().unwrap();
        if let Some(mode) = cache.get(&self.cache_key()) {
            return *mode;
        }
        match self.probe() {
            Ok(mode) => {
                tracing::info!(model = %self.model, mode = mode.as_str(), "structured output probed");
                cache.insert(self.cache_key(), mode);
                mode
            }
            Err(e) => {
                tracing::warn!(error = %e, "structured-output probe got no answer; asking in plain text");
                Mode::Off
            }
        }
    }

    /// Tries json_schema, then json_object, with a tiny request; the first that comes back as a
    /// bare, valid object is the mode. Off when neither does.
    /// Off needs one answered request: when every probe was refused, the server is down or
    /// refuses everything, and nothing is concluded.
    fn probe(&self) -> Result<Mode> {
        let mut refusal = None;
        let mut answered = false;
        for mode in [Mode::JsonSchema, Mode::JsonObject] {
            match self.probe_mode(mode) {
                ProbeResult::Works => return Ok(mode),
                ProbeResult::Ignored => answered = true,
                ProbeResult::Refused(e) => refusal = Some(e),
                ProbeResult::NoAnswer(e) => return Err(e.into()),
            }
        }
        match refusal {
            Some(e) if !answered => Err(e.into()),
            _ => Ok(Mode::Off),
        }
    }

    /// The probe does not ask for JSON in words (only json_object's "json" hint, which OpenAI
    /// requires): a server that ignores the format answers in prose, one that honours it with the
    /// object its grammar forces.
    fn probe_mode(&self, mode: Mode) -> ProbeResult {
        let hint = if mode == Mode::JsonObject {
            " (json)"
        } else {
            ""
        };
        let messages = vec![json!({"role": "user", "content": format!(
            "Greet me with the subject \"ping\" and the body \"pong\"{hint}."
        )})];
        let body = self.request_body(&messages, mode, 64);
        let call = self
            .call(Call::post("/v1/chat/completions", body).idempotent(true))
            .metering(Metering::Nothing);
        match self.probe_http.send(&call) {
            Err(e) if e.status.is_some() => ProbeResult::Refused(e),
            Err(e) => ProbeResult::NoAnswer(e),
            Ok(reply) => {
                let v: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
                let choice = v.pointer("/choices/0").unwrap_or(&Value::Null);
                let content = choice
                    .pointer("/message/content")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                // A server that ignored the format answers with prose or a code fence.
                let bare = serde_json::from_str::<Value>(content.trim())
                    .ok()
                    .and_then(|o| fields(&o));
                let cut = choice.get("finish_reason").and_then(Value::as_str) == Some("length");
                if bare.is_some() && !cut {
                    ProbeResult::Works
                } else {
                    ProbeResult::Ignored
                }
            }
        }
    }

    fn request_body(&self, messages: &[Value], mode: Mode, max_tokens: u32) -> Value {
        let mut body = json!({
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": self.temperature,
        });
        if let Some(format) = response_format(mode) {
            body["response_format"] = format;
        }
        body
    }

    /// The prompt's values: the lead's fields (empty when missing), the route's template rendered
    /// for the lead, score and history.
    fn prompt_vars(&self, request: &ComposeRequest<'_>) -> BTreeMap<String, String> {
        let mut vars = template::variables(request.lead, request.sender);
        // Every lead field (the lead's own field names) is named, empty when the lead left it out.
        if let Ok(Value::Object(fields)) = serde_json::to_value(Lead::default()) {
            for field in fields.keys() {
                vars.entry(field.clone()).or_default();
            }
        }
        let subject = template::render(&request.template.subject, &vars);
        let body = template::render(&request.template.body, &vars);
        vars.insert("score".into(), request.score.to_string());
        vars.insert(
            "history_summary".into(),
            request.history_summary.to_string(),
        );
        vars.insert("template_name".into(), request.template_name.to_string());
        vars.insert("template_subject".into(), subject);
        vars.insert("template_body".into(), body);
        vars
    }

    fn messages(&self, request: &ComposeRequest<'_>, mode: Mode) -> Vec<Value> {
        let vars = self.prompt_vars(request);
        let mut user = template::render(&self.user, &vars);
        user.push_str("\n\n");
        user.push_str(JSON_INSTRUCTION);
        user.push_str(&format!(
            " The subject is one line of at most {} characters; the body at most {} characters.",
            self.limits.max_subject_chars, self.limits.max_body_chars
        ));
        if mode != Mode::JsonSchema {
            user.push_str(&format!(
                " The object matches this JSON Schema: {}",
                schema()
            ));
        }
        vec![
            json!({"role": "system", "content": template::render(&self.system, &vars)}),
            json!({"role": "user", "content": user}),
        ]
    }

    fn complete(&self, messages: &[Value], mode: Mode) -> Result<Completion> {
        let body = self.request_body(messages, mode, self.max_tokens);
        // Composing twice creates nothing remote: safe to repeat. Success is counted once the
        // reply is judged.
        let call = self
            .call(Call::post("/v1/chat/completions", body).idempotent(true))
            .metering(Metering::FailuresOnly);
        let response = self.http.send(&call)?.json(SERVICE)?;
        let content = response
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let tokens = Tokens::of(&response);
        Ok(Completion {
            response,
            content,
            tokens,
        })
    }

    fn judged(&self, completion: &Completion) -> Result<(String, String), Unusable> {
        let verdict = judge(&completion.response, &self.limits);
        self.http
            .count_call(if verdict.is_ok() { "ok" } else { "unusable" });
        verdict
    }

    fn repair_prompt(&self, problem: &Unusable) -> String {
        format!(
            "Your reply could not be used: {problem}. {JSON_INSTRUCTION} Keep the subject to one \
             line of at most {} characters and the body under {} characters.",
            self.limits.max_subject_chars, self.limits.max_body_chars
        )
    }

    /// Asks, judges, repairs once. `Err` only when the service could not be reached; an unusable
    /// reply comes back as `Ok` with the reason in `fallback_reason` and no text.
    fn ask(&self, request: &ComposeRequest<'_>) -> Result<(ComposedEmail, Option<Unusable>)> {
        let started = Instant::now();
        let mode = self.mode();
        let mut messages = self.messages(request, mode);
        let first = self.complete(&messages, mode)?;
        let mut tokens = first.tokens;
        let mut repaired = false;
        let verdict = match self.judged(&first) {
            Ok(email) => Ok(email),
            Err(problem) => {
                tracing::warn!(reason = %problem, "the model's reply is unusable; asking once more");
                repaired = true;
                let excerpt: String = first.content.chars().take(4000).collect();
                messages.push(json!({"role": "assistant", "content": excerpt}));
                messages.push(json!({"role": "user", "content": self.repair_prompt(&problem)}));
                let second = self.complete(&messages, mode)?;
                tokens = tokens.plus(second.tokens);
                self.judged(&second)
            }
        };
        let model = first
            .response
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(&self.model)
            .to_string();
        let (subject, body, problem) = match verdict {
            Ok((s, b)) => (s, b, None),
            Err(problem) => (String::new(), String::new(), Some(problem)),
        };
        Ok((
            ComposedEmail {
                subject,
                body,
                model,
                prompt_version: Some(self.prompt_version.clone()),
                tokens_used: Some(tokens.total),
                prompt_tokens: Some(tokens.prompt),
                completion_tokens: Some(tokens.completion),
                fallback_used: false,
                structured_mode: Some(mode.as_str().to_string()),
                repaired,
                latency_ms: Some(started.elapsed().as_millis() as u64),
                fallback_reason: None,
            },
            problem,
        ))
    }

    /// The template stands in for the model, with what the model cost and why it failed.
    fn fallback(
        &self,
        request: &ComposeRequest<'_>,
        spent: Option<&ComposedEmail>,
        reason: String,
    ) -> ComposedEmail {
        tracing::warn!(reason = %reason, "composing from the template instead of the LLM");
        let mut email = TemplateComposer::render(request);
        email.fallback_used = true;
        email.fallback_reason = Some(reason);
        email.prompt_version = Some(self.prompt_version.clone());
        if let Some(spent) = spent {
            email.tokens_used = spent.tokens_used;
            email.prompt_tokens = spent.prompt_tokens;
            email.completion_tokens = spent.completion_tokens;
            email.latency_ms = spent.latency_ms;
            email.structured_mode = spent.structured_mode.clone();
            email.repaired = spent.repaired;
        }
        email
    }
}

impl Composer for Llm {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn compose(&self, request: &ComposeRequest<'_>) -> Result<ComposedEmail> {
        match self.ask(request) {
            Ok((email, None)) => Ok(email),
            Ok((spent, Some(problem))) => {
                let reason = format!("the model's reply was unusable after one repair: {problem}");
                if self.fallback_to_template {
                    Ok(self.fallback(request, Some(&spent), reason))
                } else {
                    Err(ConnectorError::new(
                        SERVICE,
                        ErrorClass::InvalidInput,
                        format!("{reason}\nhint: set [llm] fallback = \"template\" to draft from the template instead"),
                    )
                    .into())
                }
            }
            Err(e)
                if self.fallback_to_template
                    && matches!(
                        e.class(),
                        ErrorClass::Transient | ErrorClass::ExternalService
                    ) =>
            {
                Ok(self.fallback(request, None, format!("LLM unavailable: {e}")))
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

    /// Found by `props::the_object_reads_back_through_any_prose`: the object was cut from the
    /// first `{` to the last `}`, so a brace in the prose around it (or a model's stray
    /// closing brace) lost a good reply.
    #[test]
    fn braces_in_the_prose_around_the_object_do_not_hide_it() {
        let want = Some(("Hi".to_string(), "Body".to_string()));
        let object = r#"{"subject":"Hi","body":"Body"}"#;
        assert_eq!(parse_reply(&format!("{object}}}")), want);
        assert_eq!(
            parse_reply(&format!("{object}\nFill in {{first_name}} :}}")),
            want
        );
        assert_eq!(
            parse_reply(&format!("Here it is {{as asked}}:\n{object}")),
            want
        );
        assert_eq!(
            parse_reply(r#"{"note": 1} {"subject":"Hi","body":"Body"}"#),
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

    fn response(content: &str, finish: &str) -> Value {
        json!({"choices": [{"finish_reason": finish, "message": {"content": content}}]})
    }

    #[test]
    fn judging_spots_truncation_refusal_and_overlong_parts() {
        let limits = GuardConfig {
            max_subject_chars: 10,
            max_body_chars: 20,
            ..GuardConfig::default()
        };
        let ok = r#"{"subject":"Hi","body":"Body"}"#;
        assert!(judge(&response(ok, "stop"), &limits).is_ok());
        assert_eq!(
            judge(&response(r#"{"subject":"Hi","bo"#, "length"), &limits),
            Err(Unusable::Truncated)
        );
        let refused = json!({"choices": [{"finish_reason": "stop", "message": {"content": null, "refusal": "I can't help with that."}}]});
        assert!(matches!(
            judge(&refused, &limits),
            Err(Unusable::Refused(_))
        ));
        let long = r#"{"subject":"A very long subject","body":"x"}"#;
        assert!(matches!(
            judge(&response(long, "stop"), &limits),
            Err(Unusable::Invalid(_))
        ));
        let two_lines = r#"{"subject":"a\nb","body":"x"}"#;
        assert!(judge(&response(two_lines, "stop"), &limits).is_err());
    }

    /// A one-shot HTTP server on 127.0.0.1 that answers every request with `content`.
    fn canned_server(content: &'static str) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten().take(8) {
                let mut buf = [0u8; 65536];
                let _ = stream.read(&mut buf);
                let body = json!({"model": "m", "choices": [{"finish_reason": "stop", "message": {"content": content}}], "usage": {"total_tokens": 10}}).to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn an_unusable_reply_is_counted_as_unusable_not_ok() {
        let mut config = Config::default();
        config.llm.base_url = canned_server("I would rather not.");
        config.llm.structured = StructuredOutput::Off;
        let llm = Llm::new(&config).unwrap();
        let lead = crate::domain::lead::Lead {
            email: Some("dana@northwind.com".into()),
            ..Default::default()
        };
        let request = ComposeRequest {
            lead: &lead,
            sender: "sales@example.com",
            template_name: "default",
            template: &config.templates["default"],
            score: 10,
            history_summary: "first contact",
        };
        let email = llm.compose(&request).unwrap();
        assert!(email.fallback_used && email.repaired);
        let text = crate::metrics::render(&[]);
        assert!(
            text.contains(
                "salesagent_connector_calls_total{service=\"llm\",outcome=\"unusable\"} 2"
            ),
            "{text}"
        );
        assert!(
            !text.contains("salesagent_connector_calls_total{service=\"llm\",outcome=\"ok\"}"),
            "{text}"
        );
    }

    #[test]
    fn the_budget_fits_the_guard() {
        let limits = GuardConfig::default();
        let budget = reply_budget(&limits, None);
        assert!(budget as usize * 3 >= limits.max_body_chars, "{budget}");
        assert_eq!(reply_budget(&limits, Some(900)), 900);
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::props::{awkward_text, config};

    /// Text a model puts around its JSON: prose, code fences, braces of its own.
    fn prose() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("```json\n".to_string()),
            Just("Sure! Here it is:\n".to_string()),
            awkward_text(16),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        awkward_text(40).prop_filter("not blank", |t| !t.trim().is_empty())
    }

    proptest! {
        #![proptest_config(config(256))]

        /// Invariant: any reply text is an email or None, never a panic.
        #[test]
        fn any_reply_text_parses_or_is_none(content in prop_oneof![awkward_text(60), any::<String>()]) {
            if let Some((subject, body)) = parse_reply(&content) {
                prop_assert!(!subject.is_empty() && subject.trim() == subject);
                prop_assert!(!body.is_empty() && body.trim() == body);
            }
        }

        /// The `{subject, body}` object a model wrote reads back (trimmed) with any prose
        /// around it.
        #[test]
        fn the_object_reads_back_through_any_prose(
            subject in text(),
            body in text(),
            before in prose(),
            after in prose(),
        ) {
            let object = serde_json::to_string(&json!({"subject": subject, "body": body})).unwrap();
            let reply = format!("{before}{object}{after}");
            let parsed = parse_reply(&reply);
            prop_assert_eq!(parsed, Some((subject.trim().to_string(), body.trim().to_string())), "{}", reply);
        }

        /// Invariant: any response is judged without a panic, and an accepted email has a
        /// one-line subject and both parts within the guard's limits.
        #[test]
        fn an_accepted_reply_fits_the_guard(
            content in prop_oneof![
                awkward_text(60),
                (text(), text()).prop_map(|(s, b)| json!({"subject": s, "body": b}).to_string()),
            ],
            finish in proptest::sample::select(&["stop", "length", ""][..]),
            refusal in proptest::option::of(awkward_text(8)),
            max_subject_chars in 0usize..50,
            max_body_chars in 0usize..50,
        ) {
            let response = json!({"choices": [{"finish_reason": finish,
                "message": {"content": content, "refusal": refusal}}]});
            let limits = GuardConfig { max_subject_chars, max_body_chars, ..GuardConfig::default() };
            if let Ok((subject, body)) = judge(&response, &limits) {
                prop_assert!(!subject.contains(['\r', '\n']));
                prop_assert!(subject.chars().count() <= max_subject_chars);
                prop_assert!(body.chars().count() <= max_body_chars);
            }
        }
    }
}
