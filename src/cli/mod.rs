//! The command line: `Cli` (global flags), `Command` and its dispatch. Each command lives in its
//! own module, owns its `Args`, and returns an `ExitStatus`; only `main` turns that into an exit.

mod audit;
mod completions;
mod config;
mod crm;
mod db;
mod dlq;
mod drafts;
mod eval;
mod import;
mod keys;
mod manpage;
mod mode;
mod openapi;
mod privacy;
mod probe;
mod prompt;
mod purge;
mod quarantine;
mod queues;
mod reconcile;
mod run;
mod scope;
mod serve;
mod stats;
mod suppress;
mod tenants;
mod usage;
mod webhook;
mod worker;
mod workflows;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Overrides};
use crate::domain::tenant::TenantId;
use crate::exit::ExitStatus;
use crate::output::Printer;

#[derive(Debug, Parser)]
#[command(
    name = "salesagent",
    version,
    about = "Turn HubSpot form submissions into reviewed follow-up emails and CRM tasks",
    long_about = "Turn HubSpot form submissions into reviewed follow-up emails and CRM tasks.\n\n\
        Runs out of the box with embedded connectors (CRM tables in SQLite, drafts as .eml files, \
        template composer). Nothing is ever sent unless SEND mode is switched on.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require
    /// for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default:
    /// ./salesagent.db]
    #[arg(long, global = true, value_name = "PATH|URL")]
    pub db: Option<PathBuf>,
    /// The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file's directory;
    /// with PostgreSQL, the working directory]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The tenant to act on [default: the only one; reads show every tenant when there are
    /// several, changes refuse to guess]
    #[arg(long, global = true, env = "SALESAGENT_TENANT", value_name = "SLUG")]
    pub tenant: Option<String>,
    /// Print results as JSON (stable snake_case fields)
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output on stderr (-v info, -vv debug)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log format on stderr: human, json (one object per line), or auto (json for serve and
    /// worker when stderr is not a terminal, human otherwise)
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Auto,
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Process one payload file (or - for stdin) through the pipeline now
    Run(run::RunArgs),
    /// List, show and retry workflows
    #[command(subcommand)]
    Workflows(workflows::WorkflowsCommand),
    /// List, show, review, approve, reject and send drafts
    #[command(subcommand)]
    Drafts(drafts::DraftsCommand),
    /// Show or switch the mode (draft-only or send)
    #[command(subcommand)]
    Mode(mode::ModeCommand),
    /// Read the append-only audit log
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Dead letters: list, show, retry and export jobs that used up their attempts
    #[command(subcommand)]
    Dlq(dlq::DlqCommand),
    /// Authenticated webhooks that could not be parsed: list, show, replay, discard
    #[command(subcommand)]
    Quarantine(quarantine::QuarantineCommand),
    /// Manage the suppression list (never contact these)
    #[command(subcommand)]
    Suppress(suppress::SuppressCommand),
    /// Inspect the configuration
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Look into the embedded CRM (contacts and tasks in the local database)
    #[command(subcommand)]
    Crm(crm::CrmCommand),
    /// Throughput, success rate, latency to draft, approvals and errors over a window
    Stats(stats::StatsArgs),
    /// Back up or restore the database, or copy it to PostgreSQL
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Print a shell completion script
    Completions(completions::CompletionsArgs),
    /// Print the man page, or write one page per command with --dir
    Man(completions::ManArgs),
    /// Import leads from a CSV file; list, inspect, pause, resume and cancel imports
    Import(import::ImportArgs),
    /// Find (and with --fix, safely repair) drift between the store, the mailbox and the CRM
    Reconcile(reconcile::ReconcileArgs),
    /// Print the OpenAPI 3.1 document of /api/v1 (what GET /api/v1/openapi.json serves)
    Openapi,
    /// Tenant-scoped API keys for /api/v1: create, list, revoke, rotate
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Receive signed HubSpot webhooks and run workers until SIGTERM/SIGINT
    Serve(serve::ServeArgs),
    /// Run workers only, sharing the queue with `serve` and other workers
    Worker(worker::WorkerArgs),
    /// Sign a payload as HubSpot would, or sign and send it to a deployment
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Post a signed synthetic submission, wait for its workflow, clean up; for cron or a monitor
    ///
    /// The probe follows its workflow through the server (GET /api/probe/ID, then DELETE once it
    /// finished), so it works from any host that reaches --url; it opens no database.
    Probe(probe::ProbeArgs),
    /// Jobs per queue and state, dead letters and live workers
    Queues(queues::QueuesArgs),
    /// Re-compose past leads with a candidate prompt/model/templates and compare the drafts
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// The tenants of this deployment: portals, connectors, mode and counts
    #[command(subcommand)]
    Tenants(tenants::TenantsCommand),
    /// What each tenant used per UTC day or month, with totals; CSV for a billing system
    Usage(usage::UsageArgs),
    /// Forget a person: erase an address everywhere in a tenant (GDPR Art. 17)
    #[command(subcommand)]
    Privacy(privacy::PrivacyCommand),
    /// Delete what is older than [retention] allows, in small batches (for cron)
    Purge(purge::PurgeArgs),
}

/// Which tenants a command acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantScope {
    /// `--tenant` named this one.
    Chosen(TenantId),
    /// None was named: every tenant of the deployment.
    Every(Vec<TenantId>),
}

impl TenantScope {
    pub fn ids(&self) -> Vec<TenantId> {
        match self {
            TenantScope::Chosen(id) => vec![id.clone()],
            TenantScope::Every(ids) => ids.clone(),
        }
    }

    /// True when results of more than one tenant are shown together (a TENANT column).
    pub fn is_several(&self) -> bool {
        matches!(self, TenantScope::Every(ids) if ids.len() > 1)
    }
}

/// What every command gets: the printer and the layered configuration.
pub struct Context {
    pub printer: Printer,
    pub global: GlobalArgs,
}

impl Context {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config_file: self.global.config.clone(),
            db: self.global.db.clone(),
            data_dir: self.global.data_dir.clone(),
        }
    }

    pub fn config(&self) -> crate::error::Result<Config> {
        Config::load(&self.overrides())
    }

    /// The tenants this command acts on: `--tenant` (or `SALESAGENT_TENANT`) when given (it must
    /// be declared), else every tenant of the deployment (`default` alone when none is declared).
    pub fn tenant_scope(&self, config: &Config) -> crate::error::Result<TenantScope> {
        match self.global.tenant.as_deref() {
            Some(slug) => {
                let id = TenantId::parse(slug)
                    .map_err(|why| crate::error::Error::InvalidInput(format!("--tenant: {why}")))?;
                config.for_tenant(&id)?;
                Ok(TenantScope::Chosen(id))
            }
            None => Ok(TenantScope::Every(config.tenant_ids())),
        }
    }

    /// The one tenant a command that changes something acts on: the chosen one, or the only one.
    /// With several tenants and none chosen it refuses (exit 2) rather than guess.
    pub fn tenant(&self, config: &Config) -> crate::error::Result<TenantId> {
        match self.tenant_scope(config)? {
            TenantScope::Chosen(id) => Ok(id),
            TenantScope::Every(mut ids) if ids.len() == 1 => Ok(ids.remove(0)),
            TenantScope::Every(_) => Err(crate::error::Error::InvalidInput(format!(
                "which tenant? this deployment has several ({}); a command that changes \
                 something acts on one\nhint: pass --tenant SLUG (or set SALESAGENT_TENANT)",
                config.tenant_list()
            ))),
        }
    }

    /// The validated configuration of the one tenant (see [`Context::tenant`]) with an open
    /// store; the database must exist (a typo in `--db` never creates an empty one).
    pub fn app(&self) -> anyhow::Result<crate::app::App> {
        let config = self.config()?;
        let tenant = self.tenant(&config)?;
        Ok(crate::app::App::open_existing(
            config.for_tenant(&tenant)?.clone(),
        )?)
    }

    /// The same, creating the database when it is missing: only for the commands that bring data
    /// in or must work on a fresh install (serve, worker, run, import, mode set, suppress add,
    /// crm add-contact).
    pub fn app_creating(&self) -> anyhow::Result<crate::app::App> {
        let config = self.config()?;
        let tenant = self.tenant(&config)?;
        Ok(crate::app::App::open(config.for_tenant(&tenant)?.clone())?)
    }

    /// The deployment's validated top-level configuration (every tenant's section with it) and
    /// an open store, creating the database when missing: for `serve` and `worker`, which serve
    /// every tenant (intake routes each submission to its tenant; each job runs with its own).
    /// A `--tenant` (or `SALESAGENT_TENANT`, perhaps set for the operator's other commands) is
    /// checked like anywhere else, then said to change nothing.
    pub fn deployment_app(&self, command: &str) -> anyhow::Result<crate::app::App> {
        let config = self.config()?;
        if let TenantScope::Chosen(id) = self.tenant_scope(&config)? {
            self.printer.warn(&format!(
                "`{command}` serves every tenant of the deployment; --tenant {id} changes nothing here"
            ));
        }
        Ok(crate::app::App::open(config)?)
    }

    /// One app per tenant in scope, for commands that read: all tenants (in slug order) unless
    /// `--tenant` chose one. Callers print a TENANT column when [`TenantScope::is_several`].
    pub fn apps(&self) -> anyhow::Result<(TenantScope, Vec<crate::app::App>)> {
        self.apps_of(&self.config()?)
    }

    /// [`Context::apps`] for a configuration already loaded.
    pub fn apps_of(&self, config: &Config) -> anyhow::Result<(TenantScope, Vec<crate::app::App>)> {
        let scope = self.tenant_scope(config)?;
        let apps = scope
            .ids()
            .iter()
            .map(|id| crate::app::App::open_existing(config.for_tenant(id)?.clone()))
            .collect::<crate::error::Result<Vec<_>>>()?;
        Ok((scope, apps))
    }

    /// Who is acting: `--by`, else `$USER` (or `$LOGNAME`), else the name the OS has for the
    /// process's user (cron and systemd set no `$USER`).
    pub fn actor(&self, by: Option<&str>) -> String {
        by.map(str::to_string)
            .or_else(|| {
                ["USER", "LOGNAME"]
                    .iter()
                    .find_map(|k| std::env::var(k).ok().filter(|u| !u.trim().is_empty()))
            })
            .unwrap_or_else(os_user_name)
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    ExitStatus::Success
                }
                _ => ExitStatus::Usage,
            }
            .into();
        }
    };
    let long_running = matches!(cli.command, Command::Serve(_) | Command::Worker(_));
    let format = match cli.global.log_format {
        LogFormat::Auto if long_running && !std::io::stderr().is_terminal() => LogFormat::Json,
        LogFormat::Auto => LogFormat::Human,
        chosen => chosen,
    };
    init_logging(cli.global.verbose, cli.global.quiet, format, long_running);
    let ctx = Context {
        printer: Printer::new(cli.global.json, cli.global.quiet),
        global: cli.global,
    };
    match dispatch(&ctx, cli.command) {
        Ok(status) => status.into(),
        Err(err) if is_broken_pipe(&err) => ExitStatus::Success.into(),
        Err(err) => {
            if ctx.global.verbose > 0 {
                ctx.printer.error(&format!("{err:?}"));
            } else {
                ctx.printer.error(&error_text(&err));
            }
            ExitStatus::for_error(&err).into()
        }
    }
}

fn dispatch(ctx: &Context, command: Command) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Run(args) => run::run(ctx, args),
        Command::Workflows(cmd) => workflows::run(ctx, cmd),
        Command::Drafts(cmd) => drafts::run(ctx, cmd),
        Command::Mode(cmd) => mode::run(ctx, cmd),
        Command::Audit(cmd) => audit::run(ctx, cmd),
        Command::Dlq(cmd) => dlq::run(ctx, cmd),
        Command::Quarantine(cmd) => quarantine::run(ctx, cmd),
        Command::Suppress(cmd) => suppress::run(ctx, cmd),
        Command::Config(cmd) => config::run(ctx, cmd),
        Command::Crm(cmd) => crm::run(ctx, cmd),
        Command::Stats(args) => stats::run(ctx, args),
        Command::Db(cmd) => db::run(ctx, cmd),
        Command::Completions(args) => completions::completions(ctx, args),
        Command::Man(args) => completions::man(ctx, args),
        Command::Import(args) => import::run(ctx, args),
        Command::Reconcile(args) => reconcile::run(ctx, args),
        Command::Keys(cmd) => keys::run(ctx, cmd),
        Command::Openapi => openapi::run(ctx),
        Command::Serve(args) => serve::run(ctx, args),
        Command::Worker(args) => worker::run(ctx, args),
        Command::Webhook(cmd) => webhook::run(ctx, cmd),
        Command::Queues(args) => queues::run(ctx, args),
        Command::Probe(args) => probe::run(ctx, args),
        Command::Eval(cmd) => eval::run(ctx, cmd),
        Command::Tenants(cmd) => tenants::run(ctx, cmd),
        Command::Usage(args) => usage::run(ctx, args),
        Command::Privacy(cmd) => privacy::run(ctx, cmd),
        Command::Purge(args) => purge::run(ctx, args),
    }
}

/// The error and its causes, each once: our errors already put their cause in their own text
/// (`cannot create a file in DIR: No such file…`), so a cause that text already ends with is not
/// repeated (anyhow's `{:#}` would print it twice).
fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.is_empty() {
            text = part;
        } else if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    text
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Commands log warnings and errors by default; `serve` and `worker` also log at info (one line
/// per finished workflow, start and stop), because their stderr is the operator's journal.
fn init_logging(verbose: u8, quiet: bool, format: LogFormat, long_running: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) if long_running => "info",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = std::env::var("SALESAGENT_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(format!("salesagent={default},warn")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Human | LogFormat::Auto => builder
            .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
            .try_init(),
    };
}

/// The process's user as the OS names it: its uid looked up in `/etc/passwd`, else `uid N`.
fn os_user_name() -> String {
    use std::os::unix::fs::MetadataExt;
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return "unknown".into();
    };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                (fields.nth(1)? == uid.to_string()).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// `--all` lifts a list's `--limit`.
/// `--limit N` of a list: 0 would print an empty list under "showing 0 of 3,000", so it is a
/// usage error that names `--all`.
pub(crate) fn positive_limit(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (pass --all for every match)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a whole number")),
    }
}

pub(crate) fn list_limit(limit: usize, all: bool) -> usize {
    if all { usize::MAX } else { limit }
}

/// Says on stderr (so `--json` and pipes keep their shape) that a list stopped at its limit:
/// "showing 50 of 12,034; --limit N or --all". `flags` names how to see more.
pub(crate) fn say_if_cut<T>(printer: &Printer, page: &crate::store::Page<T>, flags: &str) {
    if let Some(total) = page.total {
        printer.status(&format!(
            "showing {} of {}{}; {flags}",
            thousands(page.rows.len() as u64),
            if total.at_least { "at least " } else { "" },
            thousands(total.count)
        ));
    }
}

/// 12034 → "12,034".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` and `noun`, the noun in the plural unless `n` is one: "1 duplicate", "6 duplicates",
/// "2 processes". Every count a person reads goes through this, so none says "1 rows".
pub(crate) fn count(n: impl Into<i128>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        return format!("1 {noun}");
    }
    let es = ["s", "x", "ch", "sh"].iter().any(|end| noun.ends_with(end));
    format!("{n} {noun}{}", if es { "es" } else { "s" })
}

/// The flags that show more of a cut list, for `say_if_cut`.
pub(crate) const MORE_FLAGS: &str = "--limit N or --all";

/// A progress bar on stderr drawn with `template`, only when a person watches a terminal (hidden
/// when piped or with `-q`).
pub(crate) fn progress_bar(ctx: &Context, template: &str) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressStyle};
    if !ctx.printer.stderr_is_tty() || ctx.printer.is_quiet() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// `--status`/`--state` values: the stored spellings of a state enum, parsed into the enum
/// (clap lists the spellings in `--help` and refuses others with exit 2).
pub(crate) fn state_parser<T: Clone + Send + Sync + 'static>(
    names: impl IntoIterator<Item = &'static str>,
    parse: fn(&str) -> Option<T>,
) -> impl clap::builder::TypedValueParser<Value = T> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(names)
        .try_map(move |text| parse(&text).ok_or("not a known state"))
}

/// Parses `--since`, turning a bad value into a usage error.
pub(crate) fn since_arg(value: Option<&str>) -> crate::error::Result<Option<i64>> {
    value
        .map(|v| {
            crate::domain::time::parse_since(v, crate::domain::time::now_ms())
                .map_err(|e| crate::error::Error::InvalidInput(format!("--since {e}")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::{count, thousands};

    #[test]
    fn counts_are_singular_only_for_one() {
        assert_eq!(count(1u64, "duplicate"), "1 duplicate");
        assert_eq!(count(0u64, "duplicate"), "0 duplicates");
        assert_eq!(count(6u64, "dead letter"), "6 dead letters");
        assert_eq!(count(1i64, "process"), "1 process");
        assert_eq!(count(2i64, "process"), "2 processes");
    }

    #[test]
    fn thousands_are_separated() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (12_034, "12,034"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), text);
        }
    }
}
