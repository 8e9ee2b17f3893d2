//! Settings: defaults < `salesagent.toml` < `SALESAGENT_*` environment < flags, validated once.
//! Secrets live in [`Secret`], whose `Debug`, `Display` and `Serialize` never show the value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::tenant::TenantId;
use crate::error::{Error, Result};

pub mod database;
mod tenants;
pub use tenants::{PortalPolicy, TenantSettings};

/// A credential. It can be used (`expose`) but never printed. Every source (the config file, a
/// `SALESAGENT_*` variable, a `*_FILE` path) goes through [`Secret::from_source`], which trims
/// surrounding whitespace, so an empty value is caught the same way wherever it came from.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub struct Secret {
    value: String,
    /// Where the value came from, for messages ("SALESAGENT_WEBHOOK_SECRET_FILE (/run/s)").
    source: String,
}

/// Secrets shorter than this are warned about (HubSpot client secrets are 36 characters).
pub const MIN_SECRET_BYTES: usize = 16;

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret::from_source(value, "a value given in code")
    }
    /// The one constructor every source goes through: trims, and remembers `source`.
    pub fn from_source(value: impl Into<String>, source: impl Into<String>) -> Self {
        Secret {
            value: value.into().trim().to_string(),
            source: source.into(),
        }
    }
    pub fn expose(&self) -> &str {
        &self.value
    }
    /// True when nothing but whitespace was given: never a usable key.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::from_source(value, "the config file")
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `development` or `production`; SEND mode needs `production`.
    pub environment: String,
    /// The tenant this config is for: `default` at the top level, the slug in a tenant's own
    /// effective config ([`Config::for_tenant`]). Not a file key: `--tenant` chooses.
    #[serde(skip)]
    pub tenant: TenantId,
    /// `[tenants.<slug>]` as declared; empty means one tenant, `default`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tenants: BTreeMap<TenantId, TenantSettings>,
    /// Each declared tenant's effective config (top level overlaid with its section), resolved at load.
    #[serde(skip)]
    tenant_configs: BTreeMap<TenantId, Config>,
    /// Which tenant owns each portal, in the top level and in every tenant's effective config;
    /// `None` when no tenants are declared (then this config's tenant takes every portal).
    #[serde(skip)]
    portal_owners: Option<BTreeMap<u64, TenantId>>,
    /// A SQLite file, or a `postgres://` URL (shown without its password).
    #[serde(serialize_with = "database::serialize_shown")]
    pub db: PathBuf,
    /// Where mail files and other artefacts go; defaults to the database's directory.
    pub data_dir: Option<PathBuf>,
    pub connectors: ConnectorsConfig,
    pub dedupe: DedupeConfig,
    pub scoring: ScoringConfig,
    pub routing: RoutingConfig,
    pub templates: BTreeMap<String, TemplateConfig>,
    pub guard: GuardConfig,
    pub task: TaskConfig,
    pub send: SendConfig,
    pub webhook: WebhookConfig,
    pub server: ServerConfig,
    pub metrics: MetricsConfig,
    pub worker: WorkerConfig,
    pub import: ImportConfig,
    pub http: HttpConfig,
    pub hubspot: HubspotConfig,
    pub gmail: GmailConfig,
    pub llm: LlmConfig,
    pub privacy: PrivacyConfig,
    pub retention: RetentionConfig,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrmKind {
    Local,
    Hubspot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailboxKind {
    Local,
    Gmail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComposerKind {
    Template,
    Llm,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectorsConfig {
    pub crm: CrmKind,
    pub mailbox: MailboxKind,
    pub composer: ComposerKind,
}

impl Default for ConnectorsConfig {
    fn default() -> Self {
        ConnectorsConfig {
            crm: CrmKind::Local,
            mailbox: MailboxKind::Local,
            composer: ComposerKind::Template,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DedupeConfig {
    /// The same email on the same form within this many seconds is a duplicate.
    pub window_secs: u64,
}

impl Default for DedupeConfig {
    fn default() -> Self {
        DedupeConfig { window_secs: 300 }
    }
}

/// Lead scoring: `base` plus the points of every rule that matches, clamped to 0..=100.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringConfig {
    pub base: i64,
    pub free_mail_domains: Vec<String>,
    pub rules: Vec<ScoreRule>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRule {
    /// A lead field: email, email_domain, first_name, last_name, company, job_title, phone, message, form_id.
    pub field: String,
    /// What to test: `present`, `free_mail`, `contains_any` (needs `values`), `equals_any` (needs `values`).
    pub test: String,
    #[serde(default)]
    pub values: Vec<String>,
    pub points: i64,
    /// Shown to the operator as the reason for the score.
    pub reason: String,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        let rule = |field: &str, test: &str, values: &[&str], points, reason: &str| ScoreRule {
            field: field.into(),
            test: test.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            points,
            reason: reason.into(),
        };
        ScoringConfig {
            base: 50,
            free_mail_domains: crate::domain::scoring::DEFAULT_FREE_MAIL
                .iter()
                .map(|d| d.to_string())
                .collect(),
            rules: vec![
                rule("email_domain", "free_mail", &[], -30, "free-mail address"),
                rule(
                    "job_title",
                    "contains_any",
                    &[
                        "vp",
                        "vice president",
                        "head",
                        "director",
                        "chief",
                        "founder",
                        "owner",
                        "ceo",
                        "cto",
                        "coo",
                        "cfo",
                    ],
                    30,
                    "senior job title",
                ),
                rule("company", "present", &[], 10, "company given"),
                rule("message", "present", &[], 10, "wrote a message"),
            ],
        }
    }
}

/// A sender is `address` or `Name <address>` with a valid address.
fn check_sender(sender: &str) -> std::result::Result<(), String> {
    let mailbox = crate::domain::email::parse_mailbox(sender)?;
    crate::domain::lead::check_email(&mailbox.address)
        .map_err(|why| format!("{sender:?}: the address {why} (use `address` or `Name <address>`)"))
}

/// Routing: the first rule that matches picks sender, template and owner; else the defaults.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingConfig {
    pub default_sender: String,
    pub default_template: String,
    pub default_owner_id: Option<String>,
    pub rules: Vec<RouteRule>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    pub name: String,
    #[serde(default)]
    pub min_score: Option<i64>,
    #[serde(default)]
    pub form_ids: Vec<String>,
    #[serde(default)]
    pub email_domains: Vec<String>,
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub owner_id: Option<String>,
}

impl RoutingConfig {
    /// Every configured sender, as written (`address` or `Name <address>`).
    pub fn senders(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.default_sender.as_str())
            .chain(self.rules.iter().filter_map(|r| r.sender.as_deref()))
    }

    /// The configured sender with this address, display name included; the address itself
    /// when no configured sender has it (a draft keeps its address, the name comes from here).
    pub fn sender_for(&self, address: &str) -> String {
        self.senders()
            .find(|s| {
                crate::domain::email::parse_mailbox(s)
                    .is_ok_and(|m| m.address.eq_ignore_ascii_case(address))
            })
            .map_or_else(|| address.to_string(), str::to_string)
    }
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            default_sender: "sales@example.com".into(),
            default_template: "default".into(),
            default_owner_id: None,
            rules: vec![RouteRule {
                name: "high-intent".into(),
                min_score: Some(80),
                form_ids: vec![],
                email_domains: vec![],
                sender: None,
                template: Some("high_intent".into()),
                owner_id: None,
            }],
        }
    }
}

/// An email template; `{{field}}` placeholders are filled from the lead and the route.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateConfig {
    pub subject: String,
    pub body: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardConfig {
    /// When set, every body must contain this line (e.g. an unsubscribe sentence).
    pub unsubscribe_line: Option<String>,
    pub max_subject_chars: usize,
    pub max_body_chars: usize,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            unsubscribe_line: None,
            max_subject_chars: 200,
            max_body_chars: 10_000,
        }
    }
}

/// `[metrics]`: what `/metrics` exposes beyond the defaults.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Label the usage counters and the store gauges (queue jobs and age, dead letters,
    /// workflows, drafts, reconcile findings) by tenant (`{tenant=…}`): one series per tenant,
    /// so it is the operator's choice for a deployment with few tenants. Off: summed over
    /// tenants (the oldest job's age is the oldest of any tenant).
    pub tenant_labels: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskConfig {
    /// The follow-up task is due this many business days after the submission.
    pub due_business_days: u32,
}

impl Default for TaskConfig {
    fn default() -> Self {
        TaskConfig {
            due_business_days: 2,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SendConfig {
    pub allow: bool,
    pub sender_allowlist: Vec<String>,
    pub daily_cap: u32,
    /// e.g. `08:00-18:00 Europe/Berlin`; outside it, sends wait.
    pub window: Option<String>,
    pub auto_send_domains: Vec<String>,
}

impl Default for SendConfig {
    fn default() -> Self {
        SendConfig {
            allow: false,
            sender_allowlist: vec![],
            daily_cap: 50,
            window: None,
            auto_send_domains: vec![],
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    pub secret: Option<Secret>,
    /// The secret before a rotation, still accepted until removed (see docs/runbooks.md).
    pub previous_secret: Option<Secret>,
    /// The URL HubSpot calls, when we sit behind a proxy (signatures cover it).
    pub public_url: Option<String>,
    /// Which signature versions are accepted: v3 always; v1 and v2 only when listed.
    pub signature_versions: Vec<String>,
    pub max_body_bytes: usize,
    pub listen: String,
    /// Allowed clock difference, in seconds, for timestamps from the future.
    pub max_clock_skew_secs: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            secret: None,
            previous_secret: None,
            public_url: None,
            signature_versions: vec!["v3".into()],
            max_body_bytes: 1024 * 1024,
            listen: "127.0.0.1:8080".into(),
            max_clock_skew_secs: 30,
        }
    }
}

/// How `serve` treats slow, idle and numerous clients.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// A request's head (line and headers) must arrive within this, from its first byte.
    pub header_read_timeout_secs: u64,
    /// The whole request (body included) must be read and answered within this.
    pub body_timeout_secs: u64,
    /// A connection waiting for its (next) request is closed after this.
    pub idle_timeout_secs: u64,
    /// Open connections at most; more are answered 503 at once [default: from the fd limit].
    pub max_connections: Option<usize>,
    /// Bytes of request bodies being read at once, across connections; over it, 503.
    pub max_inflight_body_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            header_read_timeout_secs: 10,
            body_timeout_secs: 30,
            idle_timeout_secs: 60,
            max_connections: None,
            max_inflight_body_bytes: 256 * 1024 * 1024,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    pub workers: usize,
    pub lease_secs: u64,
    pub max_attempts: u32,
    pub backoff_base_ms: u64,
    pub shutdown_grace_secs: u64,
    /// How long an idle worker thread waits before it looks for jobs again when no wake-up
    /// comes (its own process's intake, or PostgreSQL's LISTEN/NOTIFY, wake it sooner).
    pub poll_ms: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            workers: 2,
            lease_secs: 30,
            max_attempts: 5,
            backoff_base_ms: 1000,
            shutdown_grace_secs: 30,
            poll_ms: 200,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportConfig {
    /// An import's lock lasts this long past its last chunk; after it, another run of the same
    /// file may take the import over (a run whose owner process is gone, sooner).
    pub lock_secs: u64,
}

impl Default for ImportConfig {
    fn default() -> Self {
        ImportConfig { lock_secs: 60 }
    }
}

impl ImportConfig {
    pub fn lock_ms(&self) -> i64 {
        // Bounded by `Config::validate` (at most a day).
        (self.lock_secs.clamp(1, MAX_SECS) * 1000) as i64
    }
}

/// `[privacy]`: what `privacy erase` does beyond this deployment's own store and mail files.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacyConfig {
    /// Also ask HubSpot to delete the contact for good (`gdpr-delete`) when the CRM is HubSpot.
    pub erase_in_crm: bool,
}

/// `[retention]`: how long `purge` keeps each kind of record, in days (usage rows in months).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// The raw bodies of submissions (the normalised lead stays with its workflow).
    pub raw_payload_days: u64,
    /// Jobs that completed or were cancelled.
    pub finished_jobs_days: u64,
    /// Finished workflows with their submission, steps, jobs, drafts, tasks and mail files.
    pub workflows_days: u64,
    /// The `.eml` files of rejected drafts.
    pub rejected_draft_files_days: u64,
    pub reconcile_reports_days: u64,
    /// Quarantined payloads (resolved or not).
    pub quarantine_days: u64,
    /// Usage rows, kept for billing.
    pub usage_months: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            raw_payload_days: 90,
            finished_jobs_days: 7,
            workflows_days: 365,
            rejected_draft_files_days: 30,
            reconcile_reports_days: 90,
            quarantine_days: 30,
            usage_months: 25,
        }
    }
}

/// The longest duration, in seconds, any setting may have (a day for leases and timeouts, a year
/// for windows): bounds keep every millisecond computation far from overflowing.
const MAX_SECS: u64 = 86_400;
const MAX_WINDOW_SECS: u64 = 366 * 86_400;

/// One numeric setting's allowed range, checked by `Config::validate`.
struct Bound {
    key: &'static str,
    value: u64,
    min: u64,
    max: u64,
}

/// The resilience layer shared by every real connector.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub connect_timeout_ms: u64,
    pub timeout_ms: u64,
    pub retry_attempts: u32,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    pub breaker_failures: u32,
    pub breaker_cooldown_secs: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout_ms: 5_000,
            timeout_ms: 30_000,
            retry_attempts: 4,
            retry_base_ms: 1_000,
            retry_max_ms: 30_000,
            breaker_failures: 5,
            breaker_cooldown_secs: 30,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubspotConfig {
    pub base_url: String,
    pub token: Option<Secret>,
    pub requests_per_10s: u32,
    pub searches_per_second: u32,
}

impl Default for HubspotConfig {
    fn default() -> Self {
        HubspotConfig {
            base_url: "https://api.hubapi.com".into(),
            token: None,
            requests_per_10s: 100,
            searches_per_second: 4,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GmailConfig {
    pub api_base: String,
    pub token_url: String,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub refresh_token: Option<Secret>,
    /// Also send an HTML alternative part.
    pub html: bool,
}

impl Default for GmailConfig {
    fn default() -> Self {
        GmailConfig {
            api_base: "https://gmail.googleapis.com".into(),
            token_url: "https://oauth2.googleapis.com/token".into(),
            client_id: None,
            client_secret: None,
            refresh_token: None,
            html: false,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    pub base_url: String,
    pub model: String,
    pub api_key: Option<Secret>,
    /// The reply's token budget; by default sized from the guard's length limits, so a reply the
    /// guard would accept is never cut off.
    pub max_tokens: Option<u32>,
    pub temperature: f64,
    /// How the `{subject, body}` object is asked for: `auto` probes the server once per process
    /// and model (json_schema, then json_object, then plain text).
    pub structured: StructuredOutput,
    /// How many composes `eval run` keeps in flight at once.
    pub concurrency: usize,
    /// The price of 1,000 tokens (prompt and reply), for the cost `eval show` reports.
    pub cost_per_1k_tokens: Option<f64>,
    /// Prompt template files; relative paths are read from the config file's directory.
    pub system_prompt: Option<PathBuf>,
    pub user_prompt: Option<PathBuf>,
    /// `template` composes from the route's template when the LLM stays unavailable; `none` fails.
    pub fallback: String,
}

/// `[llm] structured`: which structured-output request an OpenAI-compatible server gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructuredOutput {
    /// Probe the server once per process and model and use the best mode that works.
    Auto,
    /// `response_format: {"type": "json_schema", ...}` with a strict schema.
    JsonSchema,
    /// `response_format: {"type": "json_object"}` with the schema in the prompt.
    JsonObject,
    /// No `response_format`: plain text, the object extracted from the reply.
    Off,
}

impl StructuredOutput {
    pub fn as_str(self) -> &'static str {
        match self {
            StructuredOutput::Auto => "auto",
            StructuredOutput::JsonSchema => "json_schema",
            StructuredOutput::JsonObject => "json_object",
            StructuredOutput::Off => "off",
        }
    }
}

impl LlmConfig {
    /// Prompt files named relative to the config file are found next to it.
    fn resolve_prompt_paths(&mut self, config_dir: &Path) {
        for prompt in [&mut self.system_prompt, &mut self.user_prompt]
            .into_iter()
            .flatten()
        {
            if prompt.is_relative() {
                *prompt = config_dir.join(&*prompt);
            }
        }
    }
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            base_url: "https://api.openai.com".into(),
            model: "gpt-4o-mini".into(),
            api_key: None,
            max_tokens: None,
            temperature: 0.4,
            structured: StructuredOutput::Auto,
            concurrency: 4,
            cost_per_1k_tokens: None,
            system_prompt: None,
            user_prompt: None,
            fallback: "template".into(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            environment: "development".into(),
            tenant: TenantId::default_tenant(),
            tenants: BTreeMap::new(),
            tenant_configs: BTreeMap::new(),
            portal_owners: None,
            db: PathBuf::from("salesagent.db"),
            data_dir: None,
            connectors: ConnectorsConfig::default(),
            dedupe: DedupeConfig::default(),
            scoring: ScoringConfig::default(),
            routing: RoutingConfig::default(),
            templates: crate::domain::template::default_templates(),
            guard: GuardConfig::default(),
            task: TaskConfig::default(),
            send: SendConfig::default(),
            webhook: WebhookConfig::default(),
            server: ServerConfig::default(),
            metrics: MetricsConfig::default(),
            worker: WorkerConfig::default(),
            import: ImportConfig::default(),
            privacy: PrivacyConfig::default(),
            retention: RetentionConfig::default(),
            http: HttpConfig::default(),
            hubspot: HubspotConfig::default(),
            gmail: GmailConfig::default(),
            llm: LlmConfig::default(),
        }
    }
}

/// What the command line says about where configuration comes from.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub db: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
}

/// A problem `validate` found: the key it is about, and what to do.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    pub key: String,
    pub severity: Severity,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Keys whose values are secrets: a parse error on their line never shows the line.
pub(crate) const SECRET_KEYS: [&str; 6] = [
    "secret",
    "previous_secret",
    "token",
    "client_secret",
    "refresh_token",
    "api_key",
];

/// A TOML error as "line L, column C: reason". toml's own text quotes the offending line, which
/// for `secret = "…` would print the secret: on a line that sets a secret key, neither the line nor
/// the reason (it can quote the value) is shown.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else {
        return format!("TOML parse error: {}", e.message().trim_end());
    };
    let start = span.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..start].matches('\n').count() + 1;
    let column = text[line_start..start].chars().count() + 1;
    // The span is end-exclusive: one that ends just after a line break (an unclosed `[table`)
    // touches only its own line, not the next one (which may set a secret the error is not about).
    let end = span.end.clamp(start, text.len());
    let last = if end > start { end - 1 } else { end };
    let touched_end = text[last..].find('\n').map_or(text.len(), |i| last + i);
    let sets_a_secret = text[line_start..touched_end].lines().any(|l| {
        let key = l.split('=').next().unwrap_or("").trim().trim_matches('"');
        l.contains('=') && SECRET_KEYS.contains(&key)
    });
    if sets_a_secret {
        format!(
            "TOML parse error at line {line}, column {column}: the value of a secret key is not \
             valid TOML (the line is not shown, to keep the secret out of logs)\n\
             hint: quote the value on one line: key = \"...\""
        )
    } else {
        format!(
            "TOML parse error at line {line}, column {column}: {}",
            e.message().trim_end()
        )
    }
}

/// A secret from the environment: `NAME` (an empty variable counts as unset), else the file named
/// by `NAME_FILE`. Whatever it holds is trimmed by [`Secret::from_source`]; `validate` then refuses
/// an empty one, so a file holding only a newline never becomes an empty key.
fn read_secret(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Secret>> {
    if let Some(v) = env(name).filter(|v| !v.is_empty()) {
        return Ok(Some(Secret::from_source(v, name)));
    }
    let file_var = format!("{name}_FILE");
    let Some(path) = env(&file_var).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    std::fs::read_to_string(&path)
        .map(|s| Some(Secret::from_source(s, format!("{file_var} ({path})"))))
        .map_err(|e| Error::Configuration(format!("{file_var}: cannot read {path}: {e}")))
}

impl Config {
    /// Layers defaults, the config file, the environment and flags, in that order.
    pub fn load(overrides: &Overrides) -> Result<Config> {
        Config::load_with_env(overrides, &|key| std::env::var(key).ok())
    }

    pub fn load_with_env(
        overrides: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        let explicit = overrides
            .config_file
            .clone()
            .or_else(|| env("SALESAGENT_CONFIG").map(PathBuf::from));
        let mut config = match &explicit {
            Some(path) => Config::from_file(path)?,
            None if Path::new("salesagent.toml").exists() => {
                Config::from_file(Path::new("salesagent.toml"))?
            }
            None => Config::default(),
        };
        let config_dir = explicit
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .filter(|d| !d.as_os_str().is_empty());
        config.apply_env(env)?;
        if let Some(db) = &overrides.db {
            config.db = db.clone();
        }
        if let Some(dir) = &overrides.data_dir {
            config.data_dir = Some(dir.clone());
        }
        if let Some(dir) = &config_dir {
            config.llm.resolve_prompt_paths(dir);
        }
        config.resolve_tenants(env, config_dir.as_deref())?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Configuration(format!(
                "cannot read config file {}: {e}\nhint: pass --config PATH or unset SALESAGENT_CONFIG",
                path.display()
            ))
        })?;
        Config::from_toml(&text).map_err(|e| match e {
            Error::Configuration(msg) => {
                Error::Configuration(format!("config file {}: {msg}", path.display()))
            }
            other => other,
        })
    }

    pub fn from_toml(text: &str) -> Result<Config> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| Error::Configuration(toml_error(text, &e)))?;
        // Templates named in the file add to the built-in ones rather than replacing them all.
        let mut templates = crate::domain::template::default_templates();
        templates.append(&mut config.templates);
        config.templates = templates;
        Ok(config)
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<()> {
        let secret = |name: &str| read_secret(name, env);
        if let Some(v) = env("SALESAGENT_DB") {
            self.db = PathBuf::from(v);
        }
        if let Some(v) = env("SALESAGENT_DATA_DIR") {
            self.data_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = env("SALESAGENT_ENVIRONMENT") {
            self.environment = v;
        }
        let kind_err = |var: &str, v: &str, allowed: &str| {
            Error::Configuration(format!("{var}={v:?} is not valid; use one of: {allowed}"))
        };
        if let Some(v) = env("SALESAGENT_CONNECTORS_CRM") {
            self.connectors.crm = match v.as_str() {
                "local" => CrmKind::Local,
                "hubspot" => CrmKind::Hubspot,
                _ => return Err(kind_err("SALESAGENT_CONNECTORS_CRM", &v, "local, hubspot")),
            };
        }
        if let Some(v) = env("SALESAGENT_CONNECTORS_MAILBOX") {
            self.connectors.mailbox = match v.as_str() {
                "local" => MailboxKind::Local,
                "gmail" => MailboxKind::Gmail,
                _ => {
                    return Err(kind_err(
                        "SALESAGENT_CONNECTORS_MAILBOX",
                        &v,
                        "local, gmail",
                    ));
                }
            };
        }
        if let Some(v) = env("SALESAGENT_CONNECTORS_COMPOSER") {
            self.connectors.composer = match v.as_str() {
                "template" => ComposerKind::Template,
                "llm" => ComposerKind::Llm,
                _ => {
                    return Err(kind_err(
                        "SALESAGENT_CONNECTORS_COMPOSER",
                        &v,
                        "template, llm",
                    ));
                }
            };
        }
        if let Some(v) = env("SALESAGENT_HUBSPOT_BASE_URL") {
            self.hubspot.base_url = v;
        }
        if let Some(v) = env("SALESAGENT_GMAIL_API_BASE") {
            self.gmail.api_base = v;
        }
        if let Some(v) = env("SALESAGENT_GMAIL_TOKEN_URL") {
            self.gmail.token_url = v;
        }
        if let Some(v) = env("SALESAGENT_GMAIL_CLIENT_ID") {
            self.gmail.client_id = Some(v);
        }
        if let Some(v) = env("SALESAGENT_LLM_BASE_URL") {
            self.llm.base_url = v;
        }
        if let Some(v) = env("SALESAGENT_LLM_MODEL") {
            self.llm.model = v;
        }
        if let Some(v) = env("SALESAGENT_LLM_STRUCTURED") {
            self.llm.structured = serde_json::from_value(serde_json::Value::String(v.clone()))
                .map_err(|_| {
                    kind_err(
                        "SALESAGENT_LLM_STRUCTURED",
                        &v,
                        "auto, json_schema, json_object, off",
                    )
                })?;
        }
        if let Some(s) = secret("SALESAGENT_WEBHOOK_SECRET")? {
            self.webhook.secret = Some(s);
        }
        if let Some(s) = secret("SALESAGENT_WEBHOOK_SECRET_PREVIOUS")? {
            self.webhook.previous_secret = Some(s);
        }
        if let Some(s) = secret("SALESAGENT_HUBSPOT_TOKEN")? {
            self.hubspot.token = Some(s);
        }
        if let Some(s) = secret("SALESAGENT_GMAIL_CLIENT_SECRET")? {
            self.gmail.client_secret = Some(s);
        }
        if let Some(s) = secret("SALESAGENT_GMAIL_REFRESH_TOKEN")? {
            self.gmail.refresh_token = Some(s);
        }
        if let Some(s) = secret("SALESAGENT_LLM_API_KEY")? {
            self.llm.api_key = Some(s);
        }
        Ok(())
    }

    /// The embedded mailbox's directory: `mail/` under the data directory, or `mail/<tenant>/`
    /// for a declared tenant (a deployment without tenants keeps the layout it always had).
    pub fn mail_dir(&self) -> PathBuf {
        let mail = self.data_dir().join("mail");
        if self.tenant.is_default() {
            mail
        } else {
            mail.join(self.tenant.as_str())
        }
    }

    /// The directory for mail files and other artefacts: `data_dir`, else the SQLite file's
    /// directory; a PostgreSQL database has none, so the working directory.
    pub fn data_dir(&self) -> PathBuf {
        match &self.data_dir {
            Some(dir) => dir.clone(),
            None if self.db_url().is_some() => PathBuf::from("."),
            None => match self.db.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            },
        }
    }

    /// Every secret that is set, with its config key: the one list `validate` checks.
    pub fn secrets(&self) -> Vec<(&'static str, &Secret)> {
        [
            ("webhook.secret", &self.webhook.secret),
            ("webhook.previous_secret", &self.webhook.previous_secret),
            ("hubspot.token", &self.hubspot.token),
            ("gmail.client_secret", &self.gmail.client_secret),
            ("gmail.refresh_token", &self.gmail.refresh_token),
            ("llm.api_key", &self.llm.api_key),
        ]
        .into_iter()
        .filter_map(|(key, secret)| secret.as_ref().map(|s| (key, s)))
        .collect()
    }

    /// An empty secret is an error wherever it is set (it would turn a check off or send an empty
    /// credential); a short one is a warning.
    fn secret_problems(&self) -> Vec<Problem> {
        self.secrets()
            .into_iter()
            .filter_map(|(key, secret)| {
                let len = secret.expose().len();
                if secret.is_empty() {
                    Some(Problem {
                        key: key.into(),
                        severity: Severity::Error,
                        message: format!(
                            "is empty (from {}): an empty or whitespace-only secret is never accepted; \
                             put the real value there, or remove the setting",
                            secret.source()
                        ),
                    })
                } else if len < MIN_SECRET_BYTES {
                    Some(Problem {
                        key: key.into(),
                        severity: Severity::Warning,
                        message: format!(
                            "is only {len} bytes (from {}); use at least {MIN_SECRET_BYTES}",
                            secret.source()
                        ),
                    })
                } else {
                    None
                }
            })
            .collect()
    }

    pub fn is_production(&self) -> bool {
        self.environment == "production"
    }

    /// Every problem with the settings, each tenant's included; errors stop the commands that
    /// depend on them.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = self.validate_own();
        problems.extend(self.tenant_problems());
        problems
    }

    /// The problems of this config's own settings (the top level, or one tenant's effective ones).
    fn validate_own(&self) -> Vec<Problem> {
        let mut problems = self.secret_problems();
        let mut error = |key: &str, message: String| {
            problems.push(Problem {
                key: key.into(),
                severity: Severity::Error,
                message,
            })
        };
        if !matches!(
            self.environment.as_str(),
            "development" | "production" | "test"
        ) {
            error(
                "environment",
                format!(
                    "{:?} is not valid; use development, test or production",
                    self.environment
                ),
            );
        }
        if !self.templates.contains_key(&self.routing.default_template) {
            error(
                "routing.default_template",
                format!(
                    "template {:?} is not defined under [templates]",
                    self.routing.default_template
                ),
            );
        }
        for (name, template) in &self.templates {
            for (part, text) in [("subject", &template.subject), ("body", &template.body)] {
                if let Err(msg) = crate::domain::template::check(text) {
                    error(&format!("templates.{name}.{part}"), msg);
                }
            }
        }
        for (i, rule) in self.routing.rules.iter().enumerate() {
            if let Some(t) = &rule.template
                && !self.templates.contains_key(t)
            {
                error(
                    &format!("routing.rules[{i}].template"),
                    format!("template {t:?} is not defined under [templates]"),
                );
            }
        }
        for (i, rule) in self.scoring.rules.iter().enumerate() {
            if let Err(msg) = crate::domain::scoring::check_rule(rule) {
                error(&format!("scoring.rules[{i}]"), msg);
            }
        }
        let rule_senders = self.routing.rules.iter().enumerate().filter_map(|(i, r)| {
            r.sender
                .as_deref()
                .map(|s| (format!("routing.rules[{i}].sender"), s))
        });
        let senders = std::iter::once((
            "routing.default_sender".to_string(),
            self.routing.default_sender.as_str(),
        ))
        .chain(rule_senders);
        for (key, sender) in senders {
            if let Err(why) = check_sender(sender) {
                error(&key, why);
            }
        }
        if let Some(window) = &self.send.window
            && let Err(msg) = crate::domain::time::SendWindow::parse(window)
        {
            error("send.window", msg);
        }
        if self.connectors.crm == CrmKind::Hubspot && self.hubspot.token.is_none() {
            error(
                "hubspot.token",
                "connectors.crm = \"hubspot\" needs a token: set SALESAGENT_HUBSPOT_TOKEN".into(),
            );
        }
        if self.connectors.mailbox == MailboxKind::Gmail {
            if self.gmail.client_id.is_none() {
                error(
                    "gmail.client_id",
                    "connectors.mailbox = \"gmail\" needs SALESAGENT_GMAIL_CLIENT_ID".into(),
                );
            }
            if self.gmail.client_secret.is_none() {
                error(
                    "gmail.client_secret",
                    "connectors.mailbox = \"gmail\" needs SALESAGENT_GMAIL_CLIENT_SECRET".into(),
                );
            }
            if self.gmail.refresh_token.is_none() {
                error(
                    "gmail.refresh_token",
                    "connectors.mailbox = \"gmail\" needs SALESAGENT_GMAIL_REFRESH_TOKEN".into(),
                );
            }
        }
        if !matches!(self.llm.fallback.as_str(), "template" | "none") {
            error(
                "llm.fallback",
                format!("{:?} is not valid; use template or none", self.llm.fallback),
            );
        }
        if !(1..=64).contains(&self.llm.concurrency) {
            error(
                "llm.concurrency",
                format!("{} is out of range; use 1 to 64", self.llm.concurrency),
            );
        }
        if let Some(n) = self.llm.max_tokens
            && !(16..=100_000).contains(&n)
        {
            error(
                "llm.max_tokens",
                format!(
                    "{n} is out of range; use 16 to 100000, or leave it out to size it from [guard]"
                ),
            );
        }
        for v in &self.webhook.signature_versions {
            if !matches!(v.as_str(), "v1" | "v2" | "v3") {
                error(
                    "webhook.signature_versions",
                    format!("{v:?} is not a HubSpot signature version; use v1, v2 or v3"),
                );
            }
        }
        for b in self.bounds() {
            if b.value < b.min || b.value > b.max {
                error(
                    b.key,
                    format!(
                        "{} is out of range; use a value from {} to {}",
                        b.value, b.min, b.max
                    ),
                );
            }
        }
        if self.server.max_connections == Some(0) {
            error("server.max_connections", "must be at least 1".into());
        }
        if self.server.max_inflight_body_bytes < self.webhook.max_body_bytes {
            error(
                "server.max_inflight_body_bytes",
                format!(
                    "must be at least webhook.max_body_bytes ({})",
                    self.webhook.max_body_bytes
                ),
            );
        }
        if self.send.allow && self.send.sender_allowlist.is_empty() {
            problems.push(Problem {
                key: "send.sender_allowlist".into(),
                severity: Severity::Warning,
                message: "send.allow is true but no sender is allowed: SEND mode stays off".into(),
            });
        }
        if self.db_url().is_some()
            && self.connectors.mailbox == MailboxKind::Local
            && self.data_dir.is_none()
        {
            problems.push(Problem {
                key: "data_dir".into(),
                severity: Severity::Warning,
                message: "the database is PostgreSQL, shared by every host, but the embedded \
                          mailbox writes drafts under ./mail on this host alone: drafts written \
                          on one host would be invisible on another; set data_dir (or --data-dir, \
                          SALESAGENT_DATA_DIR) to a directory every host shares, or use the Gmail \
                          mailbox"
                    .into(),
            });
        }
        problems
    }

    /// Every setting that feeds arithmetic (times multiplied into milliseconds, counts that size
    /// loops and caps), with the range that keeps it meaningful and overflow-free.
    fn bounds(&self) -> Vec<Bound> {
        let b = |key, value: u64, min, max| Bound {
            key,
            value,
            min,
            max,
        };
        let ms = MAX_SECS * 1000;
        vec![
            b(
                "dedupe.window_secs",
                self.dedupe.window_secs,
                0,
                MAX_WINDOW_SECS,
            ),
            b("worker.workers", self.worker.workers as u64, 1, 256),
            b("worker.lease_secs", self.worker.lease_secs, 1, MAX_SECS),
            b(
                "worker.max_attempts",
                u64::from(self.worker.max_attempts),
                1,
                100,
            ),
            b(
                "worker.backoff_base_ms",
                self.worker.backoff_base_ms,
                1,
                3_600_000,
            ),
            b(
                "worker.shutdown_grace_secs",
                self.worker.shutdown_grace_secs,
                0,
                MAX_SECS,
            ),
            b("worker.poll_ms", self.worker.poll_ms, 10, 3_600_000),
            b("import.lock_secs", self.import.lock_secs, 1, MAX_SECS),
            // Retention: at least a day (a zero would purge what was just written), at most
            // about thirty years (epoch-millisecond arithmetic stays far from overflow).
            b(
                "retention.raw_payload_days",
                self.retention.raw_payload_days,
                1,
                10_000,
            ),
            b(
                "retention.finished_jobs_days",
                self.retention.finished_jobs_days,
                1,
                10_000,
            ),
            b(
                "retention.workflows_days",
                self.retention.workflows_days,
                1,
                10_000,
            ),
            b(
                "retention.rejected_draft_files_days",
                self.retention.rejected_draft_files_days,
                1,
                10_000,
            ),
            b(
                "retention.reconcile_reports_days",
                self.retention.reconcile_reports_days,
                1,
                10_000,
            ),
            b(
                "retention.quarantine_days",
                self.retention.quarantine_days,
                1,
                10_000,
            ),
            b(
                "retention.usage_months",
                self.retention.usage_months,
                1,
                360,
            ),
            b(
                "http.connect_timeout_ms",
                self.http.connect_timeout_ms,
                1,
                600_000,
            ),
            b("http.timeout_ms", self.http.timeout_ms, 1, 600_000),
            b(
                "http.retry_attempts",
                u64::from(self.http.retry_attempts),
                0,
                20,
            ),
            b("http.retry_base_ms", self.http.retry_base_ms, 0, ms),
            b("http.retry_max_ms", self.http.retry_max_ms, 0, ms),
            b(
                "http.breaker_failures",
                u64::from(self.http.breaker_failures),
                1,
                10_000,
            ),
            b(
                "http.breaker_cooldown_secs",
                self.http.breaker_cooldown_secs,
                0,
                MAX_SECS,
            ),
            b(
                "hubspot.requests_per_10s",
                u64::from(self.hubspot.requests_per_10s),
                1,
                100_000,
            ),
            b(
                "hubspot.searches_per_second",
                u64::from(self.hubspot.searches_per_second),
                1,
                10_000,
            ),
            b(
                "task.due_business_days",
                u64::from(self.task.due_business_days),
                0,
                3650,
            ),
            b(
                "send.daily_cap",
                u64::from(self.send.daily_cap),
                0,
                1_000_000,
            ),
            b(
                "webhook.max_clock_skew_secs",
                self.webhook.max_clock_skew_secs,
                0,
                MAX_SECS,
            ),
            b(
                "webhook.max_body_bytes",
                self.webhook.max_body_bytes as u64,
                1,
                64 << 20,
            ),
            b(
                "guard.max_subject_chars",
                self.guard.max_subject_chars as u64,
                1,
                100_000,
            ),
            b(
                "guard.max_body_chars",
                self.guard.max_body_chars as u64,
                1,
                10_000_000,
            ),
        ]
    }

    /// Fails with every error-level problem, for commands that cannot run misconfigured.
    pub fn ensure_valid(&self) -> Result<()> {
        let errors: Vec<String> = self
            .validate()
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| format!("{}: {}", p.key, p.message))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Configuration(format!(
                "invalid configuration:\n  {}\nhint: run `salesagent config check` for the effective settings",
                errors.join("\n  ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_are_valid() {
        assert!(Config::default().validate().is_empty());
    }

    #[test]
    fn environment_overrides_file_and_flags_override_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.toml");
        std::fs::write(
            &file,
            "db = \"from-file.db\"\nenvironment = \"production\"\n",
        )
        .unwrap();
        let overrides = Overrides {
            config_file: Some(file.clone()),
            ..Default::default()
        };
        let env = env_of(&[("SALESAGENT_DB", "from-env.db")]);
        let config = Config::load_with_env(&overrides, &env).unwrap();
        assert_eq!(config.db, PathBuf::from("from-env.db"));
        assert!(config.is_production());
        let overrides = Overrides {
            config_file: Some(file),
            db: Some("from-flag.db".into()),
            ..Default::default()
        };
        assert_eq!(
            Config::load_with_env(&overrides, &env).unwrap().db,
            PathBuf::from("from-flag.db")
        );
    }

    #[test]
    fn a_toml_error_on_a_secret_line_hides_the_line() {
        let err = Config::from_toml("[webhook]\nsecret = \"TOMLSECRET-1234\nlisten = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("TOMLSECRET"), "{err}");
        let err = Config::from_toml("[llm]\napi_key = 12345678\n")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("12345678"), "{err}");
        let err = Config::from_toml("db = 5\n").unwrap_err().to_string();
        assert!(
            err.contains("line 1, column 6") && err.contains("expected"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::from_toml("[send]\nalow = true\n").unwrap_err();
        assert!(err.to_string().contains("alow"), "{err}");
    }

    #[test]
    fn secrets_never_print() {
        let env = env_of(&[("SALESAGENT_HUBSPOT_TOKEN", "pat-na1-very-secret")]);
        let config = Config::load_with_env(&Overrides::default(), &env).unwrap();
        assert_eq!(
            config.hubspot.token.as_ref().unwrap().expose(),
            "pat-na1-very-secret"
        );
        let shown = format!("{config:?} {}", serde_json::to_string(&config).unwrap());
        assert!(!shown.contains("very-secret"));
    }

    #[test]
    fn the_previous_webhook_secret_comes_from_the_environment() {
        let env = env_of(&[("SALESAGENT_WEBHOOK_SECRET_PREVIOUS", "old")]);
        let config = Config::load_with_env(&Overrides::default(), &env).unwrap();
        assert_eq!(config.webhook.previous_secret.unwrap().expose(), "old");
    }

    #[test]
    fn secrets_can_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "s3cret\n").unwrap();
        let env = env_of(&[("SALESAGENT_WEBHOOK_SECRET_FILE", path.to_str().unwrap())]);
        let config = Config::load_with_env(&Overrides::default(), &env).unwrap();
        assert_eq!(config.webhook.secret.unwrap().expose(), "s3cret");
    }

    #[test]
    fn data_dir_defaults_to_the_database_directory() {
        let config = Config {
            db: PathBuf::from("/var/lib/salesagent/sa.db"),
            ..Config::default()
        };
        assert_eq!(config.data_dir(), PathBuf::from("/var/lib/salesagent"));
    }

    #[test]
    fn settings_that_feed_arithmetic_are_bounded() {
        let config = Config::from_toml(
            "[worker]\nlease_secs = 9223372036854775807\n[dedupe]\nwindow_secs = 99999999999\n",
        )
        .unwrap();
        let keys: Vec<String> = config.validate().into_iter().map(|p| p.key).collect();
        assert!(keys.contains(&"worker.lease_secs".to_string()), "{keys:?}");
        assert!(keys.contains(&"dedupe.window_secs".to_string()), "{keys:?}");
        let err = config.ensure_valid().unwrap_err().to_string();
        assert!(
            err.contains("out of range; use a value from 1 to 86400"),
            "{err}"
        );
    }

    #[test]
    fn missing_credentials_are_problems() {
        let mut config = Config::default();
        config.connectors.crm = CrmKind::Hubspot;
        let problems = config.validate();
        assert!(problems.iter().any(|p| p.key == "hubspot.token"));
        assert!(config.ensure_valid().is_err());
    }
}
