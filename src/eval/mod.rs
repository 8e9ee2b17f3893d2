//! `eval`: past leads re-composed with a candidate configuration (a TOML overlay of `[llm]`,
//! prompts, `[templates]`, `[routing]`). Only the pure steps (validate, score, route) plus compose
//! and guard run: no CRM, no mailbox, no draft, no workflow row. Each run stores its candidate and
//! a snapshot of every lead's original draft and the operator's decision, so a killed run resumes
//! with exactly what it started with.

pub mod diff;
pub mod html;
pub mod summary;

use std::path::Path;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{ComposerKind, Config, Severity};
use crate::connectors::llm::{Llm, prompt_texts};
use crate::connectors::local::TemplateComposer;
use crate::connectors::{ComposedEmail, Composer};
use crate::domain::lead::Lead;
use crate::domain::submission::validate_lead;
use crate::domain::time::now_ms;
use crate::domain::{routing, scoring};
use crate::error::{Error, Result};
use crate::orchestrator::{compose_request, guard_verdict};
use crate::store::{
    DraftRow, DraftStatus, EvalItemRow, EvalOutcome, EvalSelection, NewEvalItem, NewEvalRun,
    StepStatus, Store, new_id,
};

pub use summary::{Comparison, Summary, compare, summarise};

/// Top-level keys a candidate may carry.
const CANDIDATE_KEYS: [&str; 6] = [
    "name",
    "llm",
    "prompts",
    "templates",
    "routing",
    "connectors",
];

/// A candidate as a run stores it: the overlay and the prompt texts, resolved when the run began.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Candidate {
    pub name: String,
    /// The overlay's TOML text, prompt file paths removed (their texts are below).
    pub overlay: String,
    pub system_prompt: String,
    pub user_prompt: String,
}

fn candidate_err(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("candidate {}: {message}", path.display()))
}

impl Candidate {
    /// Reads a candidate file; prompt files it names are read relative to it, and prompts it
    /// leaves out are the base configuration's.
    pub fn load(path: &Path, base: &Config) -> Result<Candidate> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading candidate {}", path.display()), e))?;
        let mut table: toml::Table = text.parse().map_err(|e| candidate_err(path, e))?;
        if let Some(key) = table.keys().find(|k| !CANDIDATE_KEYS.contains(&k.as_str())) {
            return Err(candidate_err(
                path,
                format!(
                    "unknown section {key:?}; a candidate overlays {}",
                    CANDIDATE_KEYS.join(", ")
                ),
            ));
        }
        let name = match table.remove("name") {
            Some(toml::Value::String(n)) => n,
            Some(_) => return Err(candidate_err(path, "name must be a string")),
            None => path
                .file_stem()
                .map_or("candidate".into(), |s| s.to_string_lossy().into_owned()),
        };
        let (mut system, mut user) = prompt_texts(base)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        if let Some(toml::Value::Table(llm)) = table.get_mut("llm") {
            if llm.contains_key("api_key") {
                return Err(candidate_err(
                    path,
                    "[llm] api_key is not read from a candidate: keys come from the environment",
                ));
            }
            for (key, prompt) in [("system_prompt", &mut system), ("user_prompt", &mut user)] {
                if let Some(file) = llm.remove(key) {
                    let file = file
                        .as_str()
                        .ok_or_else(|| candidate_err(path, format!("[llm] {key} is a path")))?;
                    let file = dir.join(file);
                    *prompt = std::fs::read_to_string(&file)
                        .map_err(|e| Error::io(format!("reading prompt {}", file.display()), e))?;
                }
            }
        }
        if let Some(prompts) = table.remove("prompts") {
            let prompts = prompts
                .as_table()
                .ok_or_else(|| candidate_err(path, "[prompts] must be a table"))?;
            for (key, value) in prompts {
                let slot = match key.as_str() {
                    "system" => &mut system,
                    "user" => &mut user,
                    other => {
                        return Err(candidate_err(
                            path,
                            format!("[prompts] {other:?} is unknown; use system or user"),
                        ));
                    }
                };
                *slot = value
                    .as_str()
                    .ok_or_else(|| candidate_err(path, format!("[prompts] {key} is text")))?
                    .to_string();
            }
        }
        if let Some(connectors) = table.get("connectors").and_then(toml::Value::as_table)
            && connectors.keys().any(|k| k != "composer")
        {
            return Err(candidate_err(
                path,
                "[connectors] may only set composer: an eval never calls the CRM or the mailbox",
            ));
        }
        let candidate = Candidate {
            name,
            overlay: toml::to_string(&table).map_err(|e| candidate_err(path, e))?,
            system_prompt: system,
            user_prompt: user,
        };
        candidate.config(base).map_err(|e| candidate_err(path, e))?;
        Ok(candidate)
    }

    /// The base configuration with this candidate laid over it, validated.
    pub fn config(&self, base: &Config) -> Result<Config> {
        let overlay: toml::Table = self
            .overlay
            .parse()
            .map_err(|e| Error::InvalidInput(format!("stored candidate: {e}")))?;
        let mut config = base.clone();
        if let Some(llm) = overlay.get("llm") {
            config.llm = merged(&base.llm, llm, "llm")?;
            // Secrets do not survive a round trip through text, and prompts are texts here.
            config.llm.api_key = base.llm.api_key.clone();
            config.llm.system_prompt = None;
            config.llm.user_prompt = None;
        }
        if let Some(routing) = overlay.get("routing") {
            config.routing = merged(&base.routing, routing, "routing")?;
        }
        if let Some(toml::Value::Table(templates)) = overlay.get("templates") {
            for (name, template) in templates {
                let template = template
                    .clone()
                    .try_into()
                    .map_err(|e| Error::InvalidInput(format!("[templates.{name}]: {e}")))?;
                config.templates.insert(name.clone(), template);
            }
        }
        if let Some(kind) = overlay
            .get("connectors")
            .and_then(|c| c.get("composer"))
            .cloned()
        {
            config.connectors.composer = kind
                .try_into()
                .map_err(|e| Error::InvalidInput(format!("[connectors] composer: {e}")))?;
        }
        let errors: Vec<String> = config
            .validate()
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| format!("{}: {}", p.key, p.message))
            .collect();
        if !errors.is_empty() {
            return Err(Error::InvalidInput(errors.join("; ")));
        }
        Ok(config)
    }

    /// The composer this candidate writes with.
    fn composer(&self, config: &Config) -> Result<Box<dyn Composer>> {
        Ok(match config.connectors.composer {
            ComposerKind::Template => Box::new(TemplateComposer),
            ComposerKind::Llm => Box::new(Llm::with_prompts(
                config,
                self.system_prompt.clone(),
                self.user_prompt.clone(),
            )?),
        })
    }
}

/// `base` with the keys of `overlay` laid over it (tables merge, everything else is replaced).
fn merged<T>(base: &T, overlay: &toml::Value, section: &str) -> Result<T>
where
    T: Serialize + serde::de::DeserializeOwned,
{
    let mut value = toml::Value::try_from(base)
        .map_err(|e| Error::InvalidInput(format!("[{section}]: {e}")))?;
    merge(&mut value, overlay);
    value
        .try_into()
        .map_err(|e| Error::InvalidInput(format!("[{section}]: {e}")))
}

fn merge(base: &mut toml::Value, overlay: &toml::Value) {
    match (base, overlay) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// What compose needs of a past lead, as a run stores it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Source {
    lead: Lead,
    form_id: Option<String>,
    history_summary: String,
}

/// The output of a workflow's last completed run of step `name`.
fn step_output(steps: &[crate::store::StepRecord], name: &str) -> Option<Value> {
    steps
        .iter()
        .rev()
        .find(|s| s.name == name && s.status == StepStatus::Completed)
        .and_then(|s| s.output.as_deref())
        .and_then(|o| serde_json::from_str(o).ok())
}

fn same_text(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// The operator's decision on a draft: approved as composed, edited (then approved or sent),
/// rejected, or still pending.
fn decision(draft: &DraftRow, original_subject: &str, original_body: &str) -> &'static str {
    match draft.status {
        DraftStatus::PendingReview | DraftStatus::Orphaned => "pending",
        DraftStatus::Rejected => "rejected",
        _ if same_text(&draft.subject, original_subject)
            && same_text(&draft.body, original_body) =>
        {
            "approved"
        }
        _ => "edited",
    }
}

/// The text the operator was shown before deciding: the last recomposed text if the draft was
/// recomposed (from the audit log), else the compose step's output; an edit comes after it.
fn shown_text(
    store: &Store,
    draft: &DraftRow,
    steps: &[crate::store::StepRecord],
) -> Result<(String, String, Option<String>)> {
    let changes = store.draft_text_changes(&draft.id)?;
    let recomposed = changes
        .iter()
        .rev()
        .find(|(action, _)| action == "draft.recompose")
        .and_then(|(_, after)| after.as_deref())
        .and_then(|a| serde_json::from_str::<Value>(a).ok());
    if let Some(v) = recomposed {
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        return Ok((
            text("subject"),
            text("body"),
            v["model"].as_str().map(str::to_string),
        ));
    }
    let composed: Option<ComposedEmail> =
        step_output(steps, "compose").and_then(|v| serde_json::from_value(v["email"].clone()).ok());
    Ok(match composed {
        Some(c) => (c.subject, c.body, Some(c.model)),
        None => (
            draft.subject.clone(),
            draft.body.clone(),
            draft.model.clone(),
        ),
    })
}

/// One past lead as the operator saw it, read from the workflow tables (read only).
fn snapshot(store: &Store, workflow_id: &str) -> Result<NewEvalItem> {
    let draft = store
        .draft_for_workflow(workflow_id)?
        .ok_or_else(|| Error::NotFound(format!("workflow {workflow_id} has no draft")))?;
    let workflow = store.get_workflow(workflow_id)?;
    let submission = store.get_submission(&workflow.submission_id)?;
    let steps = store.workflow_steps(workflow_id)?;
    let lead = step_output(&steps, "validate")
        .and_then(|v| serde_json::from_value(v["lead"].clone()).ok())
        .unwrap_or_else(|| submission.lead.clone());
    let history_summary = step_output(&steps, "history")
        .and_then(|v| v["history"]["summary"].as_str().map(str::to_string))
        .unwrap_or_else(|| "first contact".into());
    let (subject, body, model) = shown_text(store, &draft, &steps)?;
    let source = Source {
        lead,
        form_id: submission.form_id,
        history_summary,
    };
    Ok(NewEvalItem {
        workflow_id: workflow_id.to_string(),
        draft_id: draft.id.clone(),
        recipient: draft.recipient.clone(),
        source: serde_json::to_string(&source).unwrap_or_default(),
        decision: decision(&draft, &subject, &body).into(),
        original_subject: subject,
        original_body: body,
        original_model: model,
        final_subject: draft.subject.clone(),
        final_body: draft.body.clone(),
        review_note: draft.review_note.clone(),
    })
}

/// Starts a run over the past drafts `selection` names: its items are stored pending, nothing is
/// composed yet. Returns the run id and how many leads it holds.
pub fn start(
    store: &Store,
    base: &Config,
    candidate: &Candidate,
    selection: &EvalSelection,
) -> Result<(String, usize)> {
    let workflows = store.eval_workflows(selection)?;
    if workflows.is_empty() {
        return Err(Error::NotFound(
            "no past drafts match the selection\nhint: widen --since, or check the ids".into(),
        ));
    }
    candidate.config(base)?;
    let items = workflows
        .iter()
        .map(|w| snapshot(store, w))
        .collect::<Result<Vec<_>>>()?;
    let id = new_id();
    let run = NewEvalRun {
        id: id.clone(),
        candidate_name: candidate.name.clone(),
        candidate: serde_json::to_string(candidate).unwrap_or_default(),
        selection: serde_json::json!({
            "since": selection.since.map(crate::domain::time::rfc3339),
            "ids": selection.workflow_ids,
            "sample": selection.sample,
        })
        .to_string(),
        created_at: now_ms(),
    };
    store.create_eval_run(&run, &items)?;
    Ok((id, items.len()))
}

/// The candidate a stored run composes with.
pub fn run_candidate(store: &Store, run_id: &str) -> Result<Candidate> {
    let run = store.get_eval_run(run_id)?;
    serde_json::from_str(&run.candidate)
        .map_err(|e| Error::InvalidInput(format!("eval run {run_id}: stored candidate: {e}")))
}

/// Composes every pending item of a run, `[llm] concurrency` at a time on plain threads; each
/// result is committed as it arrives, so a killed run resumes where it stopped. `progress` gets
/// (done, total) after each item.
pub fn resume(
    store: &Store,
    base: &Config,
    run_id: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    let run = store.get_eval_run(run_id)?;
    let candidate = run_candidate(store, run_id)?;
    let config = candidate.config(base)?;
    let pending = store.eval_items(run_id, true)?;
    let composer = candidate.composer(&config)?;
    let total = run.total as u64;
    let mut done = run.done as u64;
    progress(done, total);
    let threads = config.llm.concurrency.clamp(1, pending.len().max(1));
    let queue = Mutex::new(pending.into_iter());
    let mut failure = None;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let tx = tx.clone();
            let (queue, config, composer) = (&queue, &config, composer.as_ref());
            s.spawn(move || {
                loop {
                    let next = queue.lock().unwrap().next();
                    let Some(item) = next else { break };
                    let outcome = evaluate(config, composer, &item);
                    if tx.send((item.seq, outcome)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (seq, outcome) in rx {
            match store.finish_eval_item(run_id, seq, &outcome, now_ms()) {
                Ok(_) => {
                    done += 1;
                    progress(done, total);
                }
                Err(e) => {
                    failure = Some(e);
                    // Dropping the receiver stops the composers at their next item.
                    break;
                }
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    store.complete_eval_run(run_id, now_ms())?;
    Ok(())
}

/// The pure steps, compose and guard for one past lead.
fn evaluate(config: &Config, composer: &dyn Composer, item: &EvalItemRow) -> EvalOutcome {
    let failed = |e: Error| EvalOutcome {
        error: Some(e.to_string()),
        error_class: Some(e.class().as_str().to_string()),
        guard_violations: "[]".into(),
        ..EvalOutcome::default()
    };
    let source: Source = match serde_json::from_str(&item.item.source) {
        Ok(s) => s,
        Err(e) => return failed(Error::InvalidInput(format!("stored lead: {e}"))),
    };
    if let Err(e) = validate_lead(&source.lead) {
        return failed(Error::InvalidInput(e));
    }
    let form_id = source.form_id.as_deref();
    let score = scoring::score(&config.scoring, &source.lead, form_id);
    let route = routing::route(&config.routing, &source.lead, form_id, score.value);
    let composed = compose_request(
        config,
        &source.lead,
        &route,
        score.value,
        &source.history_summary,
    )
    .and_then(|request| composer.compose(&request));
    let composed = match composed {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let violations = guard_verdict(
        &config.guard,
        &route,
        &source.lead,
        &item.item.recipient,
        &composed,
    )
    .err()
    .unwrap_or_default();
    EvalOutcome {
        guard_passed: violations.is_empty(),
        guard_violations: serde_json::to_string(&violations).unwrap_or_else(|_| "[]".into()),
        error: None,
        error_class: None,
        model: Some(composed.model),
        prompt_version: composed.prompt_version,
        structured_mode: composed.structured_mode,
        repaired: composed.repaired,
        fallback_used: composed.fallback_used,
        tokens: composed.tokens_used.map(i64::from),
        latency_ms: composed.latency_ms.map(|ms| ms as i64),
        candidate_subject: Some(composed.subject),
        candidate_body: Some(composed.body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlay_merges_into_its_section_and_keeps_the_rest() {
        let mut base = Config::default();
        base.llm.api_key = Some(crate::config::Secret::new("sk-base"));
        let candidate = Candidate {
            name: "c".into(),
            overlay: "[llm]\nmodel = \"other\"\n\n[templates.fresh]\nsubject = \"S\"\nbody = \"B\"\n\n[connectors]\ncomposer = \"llm\"\n".into(),
            system_prompt: "s".into(),
            user_prompt: "u".into(),
        };
        let config = candidate.config(&base).unwrap();
        assert_eq!(config.llm.model, "other");
        assert_eq!(config.llm.temperature, base.llm.temperature);
        assert_eq!(config.llm.api_key.unwrap().expose(), "sk-base");
        assert!(config.templates.contains_key("fresh") && config.templates.contains_key("default"));
        assert_eq!(config.connectors.composer, ComposerKind::Llm);
        assert_eq!(config.routing.default_sender, base.routing.default_sender);
    }
}
