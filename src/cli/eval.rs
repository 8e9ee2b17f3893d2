//! `salesagent eval run|show|report|list|compare`: re-compose past leads with a candidate
//! configuration and read the results (figures, side-by-side drafts with a word diff, an HTML
//! page to share, two candidates compared).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{Context, count, since_arg};
use crate::domain::time::{rfc3339, short};
use crate::error::Error;
use crate::eval::diff::{sides, word_diff};
use crate::eval::html::draft_text;
use crate::eval::{Candidate, Comparison, Summary, compare, run_candidate, summarise};
use crate::exit::ExitStatus;
use crate::outfile::{OutputFile, Policy};
use crate::store::{EvalItemRow, EvalRunRow, EvalSelection, Store};

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Re-compose past leads with a candidate (only validate, score, route, compose and guard
    /// run: no CRM or mailbox call, no draft, nothing in the workflow tables)
    Run(RunArgs),
    /// A run's figures and, per lead, the operator's draft beside the candidate's with a word diff
    Show(ShowArgs),
    /// Write a run as one self-contained HTML page, for sharing
    Report(ReportArgs),
    /// Eval runs, newest first
    List(ListArgs),
    /// Two runs (two candidates) over the same leads
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The candidate: a TOML overlay of [llm], [prompts] (system, user), [templates], [routing]
    /// and [connectors] composer
    #[arg(long, value_name = "FILE", required_unless_present = "resume")]
    pub candidate: Option<PathBuf>,
    /// Past drafts created within this window (e.g. 30d, 12h, or an RFC 3339 time) [default: 30d]
    #[arg(long, conflicts_with_all = ["ids", "sample", "resume"])]
    pub since: Option<String>,
    /// These workflows or drafts (ids or prefixes, comma-separated)
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["sample", "resume"])]
    pub ids: Vec<String>,
    /// A random sample of this many past drafts
    #[arg(long, value_name = "N", conflicts_with = "resume")]
    pub sample: Option<usize>,
    /// Continue a run that was interrupted (its stored candidate and leads)
    #[arg(long, value_name = "RUN", conflicts_with = "candidate")]
    pub resume: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// An eval run id (or an unambiguous prefix)
    pub run: String,
    /// Only the figures, not each lead
    #[arg(long)]
    pub summary_only: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// An eval run id (or an unambiguous prefix)
    pub run: String,
    /// Where to write the page
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    pub run_a: String,
    pub run_b: String,
}

pub fn run(ctx: &Context, cmd: EvalCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        EvalCommand::Run(args) => run_eval(ctx, args),
        EvalCommand::Show(args) => show(ctx, args),
        EvalCommand::Report(args) => report(ctx, args),
        EvalCommand::List(args) => list(ctx, args),
        EvalCommand::Compare(args) => compare_runs(ctx, args),
    }
}

/// A run as `--json` prints it.
#[derive(Serialize)]
struct RunView<'a> {
    id: &'a str,
    candidate: &'a str,
    state: &'a str,
    leads: i64,
    composed: i64,
    selection: serde_json::Value,
    created_at: String,
    finished_at: Option<String>,
}

impl<'a> RunView<'a> {
    fn new(r: &'a EvalRunRow) -> Self {
        RunView {
            id: &r.id,
            candidate: &r.candidate_name,
            state: &r.state,
            leads: r.total,
            composed: r.done,
            selection: serde_json::from_str(&r.selection).unwrap_or_default(),
            created_at: rfc3339(r.created_at),
            finished_at: r.finished_at.map(rfc3339),
        }
    }
}

/// Workflow ids for `--ids`: each a workflow id or a draft id (or a prefix of either).
fn resolve_ids(store: &Store, ids: &[String]) -> crate::error::Result<Vec<String>> {
    ids.iter()
        .map(|id| match store.resolve_workflow_id(id) {
            Err(Error::NotFound(_)) => {
                let draft = store
                    .resolve_draft_id(id)
                    .map_err(|_| Error::NotFound(format!("no workflow or draft with id {id}")))?;
                Ok(store.get_draft(&draft)?.workflow_id)
            }
            other => other,
        })
        .collect()
}

fn run_eval(ctx: &Context, args: RunArgs) -> anyhow::Result<ExitStatus> {
    let app = ctx.app()?;
    let store = &app.store;
    let run_id = match (&args.resume, &args.candidate) {
        (Some(id), _) => store.resolve_eval_run_id(id)?,
        (None, Some(file)) => {
            let candidate = Candidate::load(file, &app.config)?;
            let selection = EvalSelection {
                since: match (&args.since, args.ids.is_empty(), args.sample) {
                    (None, true, None) => since_arg(Some("30d"))?,
                    (since, _, _) => since_arg(since.as_deref())?,
                },
                workflow_ids: resolve_ids(store, &args.ids)?,
                sample: args.sample,
            };
            let (id, leads) = crate::eval::start(store, &app.config, &candidate, &selection)?;
            ctx.printer.status(&format!(
                "eval run {id}: {} with candidate {:?}; if interrupted, continue with `salesagent eval run --resume {id}`",
                count(leads as u64, "lead"),
                candidate.name
            ));
            id
        }
        (None, None) => unreachable!("clap requires --candidate or --resume"),
    };
    let bar = super::progress_bar(
        ctx,
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} leads  ETA {eta}",
    );
    crate::eval::resume(store, &app.config, &run_id, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    print_run(ctx, store, &app.config, &run_id, true)?;
    ctx.printer.status(&format!(
        "each lead beside the operator's draft: `salesagent eval show {run_id}`; a page to share: `salesagent eval report {run_id} --html FILE`"
    ));
    Ok(ExitStatus::Success)
}

/// The figures of a run, with the price of the run's own candidate.
fn run_summary(
    store: &Store,
    base: &crate::config::Config,
    run_id: &str,
    items: &[EvalItemRow],
) -> anyhow::Result<Summary> {
    let price = run_candidate(store, run_id)?
        .config(base)
        .ok()
        .and_then(|c| c.llm.cost_per_1k_tokens);
    Ok(summarise(items, price))
}

fn print_run(
    ctx: &Context,
    store: &Store,
    base: &crate::config::Config,
    run_id: &str,
    summary_only: bool,
) -> anyhow::Result<()> {
    let run = store.get_eval_run(run_id)?;
    let items = store.eval_items(run_id, false)?;
    let summary = run_summary(store, base, run_id, &items)?;
    let p = &ctx.printer;
    if p.json() {
        #[derive(Serialize)]
        struct Shown<'a> {
            run: RunView<'a>,
            summary: &'a Summary,
            #[serde(skip_serializing_if = "Option::is_none")]
            leads: Option<Vec<ItemView<'a>>>,
        }
        p.print_json(&Shown {
            run: RunView::new(&run),
            summary: &summary,
            leads: (!summary_only).then(|| items.iter().map(ItemView::new).collect()),
        })?;
        return Ok(());
    }
    print_summary(ctx, &run, &summary)?;
    if !summary_only {
        let width = terminal_width(ctx);
        for item in &items {
            print_item(ctx, item, width)?;
        }
    }
    Ok(())
}

/// One lead as `--json` prints it.
#[derive(Serialize)]
struct ItemView<'a> {
    seq: i64,
    workflow_id: &'a str,
    draft_id: &'a str,
    recipient: &'a str,
    decision: &'a str,
    review_note: Option<&'a str>,
    original: DraftText<'a>,
    #[serde(rename = "final")]
    final_draft: DraftText<'a>,
    candidate: Option<DraftText<'a>>,
    state: &'a str,
    guard_passed: bool,
    guard_violations: Vec<String>,
    error: Option<&'a str>,
    error_class: Option<&'a str>,
    model: Option<&'a str>,
    prompt_version: Option<&'a str>,
    structured_mode: Option<&'a str>,
    repaired: bool,
    fallback_used: bool,
    tokens: Option<i64>,
    latency_ms: Option<i64>,
    subject_chars: Option<usize>,
    body_chars: Option<usize>,
    differs_from_final: Option<bool>,
}

#[derive(Serialize)]
struct DraftText<'a> {
    subject: &'a str,
    body: &'a str,
}

impl<'a> ItemView<'a> {
    fn new(i: &'a EvalItemRow) -> Self {
        let o = &i.outcome;
        let candidate = match (&o.candidate_subject, &o.candidate_body) {
            (Some(subject), Some(body)) => Some(DraftText { subject, body }),
            _ => None,
        };
        ItemView {
            seq: i.seq,
            workflow_id: &i.item.workflow_id,
            draft_id: &i.item.draft_id,
            recipient: &i.item.recipient,
            decision: &i.item.decision,
            review_note: i.item.review_note.as_deref(),
            original: DraftText {
                subject: &i.item.original_subject,
                body: &i.item.original_body,
            },
            final_draft: DraftText {
                subject: &i.item.final_subject,
                body: &i.item.final_body,
            },
            subject_chars: candidate.as_ref().map(|c| c.subject.chars().count()),
            body_chars: candidate.as_ref().map(|c| c.body.chars().count()),
            candidate,
            state: &i.state,
            guard_passed: o.guard_passed,
            guard_violations: serde_json::from_str(&o.guard_violations).unwrap_or_default(),
            error: o.error.as_deref(),
            error_class: o.error_class.as_deref(),
            model: o.model.as_deref(),
            prompt_version: o.prompt_version.as_deref(),
            structured_mode: o.structured_mode.as_deref(),
            repaired: o.repaired,
            fallback_used: o.fallback_used,
            tokens: o.tokens,
            latency_ms: o.latency_ms,
            differs_from_final: crate::eval::summary::differs_from_final(i),
        }
    }
}

fn print_summary(ctx: &Context, run: &EvalRunRow, s: &Summary) -> std::io::Result<()> {
    let p = &ctx.printer;
    let ms = |v: Option<i64>| v.map_or("-".into(), |v| format!("{v} ms"));
    p.line(&format!(
        "eval run {}  candidate {}  {}  {}/{} leads  started {}",
        run.id,
        run.candidate_name,
        run.state,
        run.done,
        run.total,
        short(run.created_at)
    ))?;
    p.line(&format!(
        "guard passed      {} of {} composed ({})",
        s.guard_passed,
        s.composed,
        count(s.errors as u64, "error")
    ))?;
    p.line(&format!(
        "fallback rate     {:.1}%   repair rate {:.1}%",
        s.fallback_rate * 100.0,
        s.repair_rate * 100.0
    ))?;
    p.line(&format!(
        "tokens            {}{}",
        s.tokens,
        s.cost
            .map(|c| format!("   cost {c:.4}"))
            .unwrap_or_default()
    ))?;
    p.line(&format!(
        "latency           p50 {}   p95 {}",
        ms(s.latency_p50_ms),
        ms(s.latency_p95_ms)
    ))?;
    let modes: Vec<String> = s.modes.iter().map(|(m, n)| format!("{m} {n}")).collect();
    p.line(&format!("structured output {}", modes.join(", ")))?;
    p.line(&format!(
        "differs from approved  {} of {} ({:.1}%)",
        s.differs_from_approved,
        s.approved,
        s.differs_rate * 100.0
    ))
}

/// The terminal's width, else `$COLUMNS`, else 120 (a pipe gets the side-by-side view too).
fn terminal_width(ctx: &Context) -> usize {
    ctx.printer
        .terminal_width()
        .map(usize::from)
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .filter(|w: &usize| *w >= 40)
        .unwrap_or(120)
}

/// Lines of at most `width` characters, broken at spaces where possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![];
    for raw in text.lines() {
        let mut line = String::new();
        for word in raw.split(' ') {
            let len = line.chars().count();
            if len > 0 && len + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            while line.chars().count() > width {
                let head: String = line.chars().take(width).collect();
                line = line.chars().skip(width).collect();
                lines.push(head);
            }
        }
        lines.push(line);
    }
    lines
}

fn print_item(ctx: &Context, item: &EvalItemRow, width: usize) -> std::io::Result<()> {
    let p = &ctx.printer;
    let o = &item.outcome;
    let verdict = match (&o.error, o.guard_passed) {
        (Some(_), _) => "error",
        (None, true) => "guard passed",
        (None, false) => "guard refused",
    };
    p.line("")?;
    p.line(&format!(
        "── #{} {}  {}{}  {}  {}  {} tokens  {}{}",
        item.seq,
        item.item.recipient,
        item.item.decision,
        item.item
            .review_note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default(),
        verdict,
        o.structured_mode.as_deref().unwrap_or("template"),
        o.tokens.map_or("-".into(), |t| t.to_string()),
        o.latency_ms.map_or("-".into(), |t| format!("{t} ms")),
        if o.repaired { "  repaired" } else { "" }
    ))?;
    let operator = draft_text(&item.item.final_subject, &item.item.final_body);
    let candidate = match (&o.candidate_subject, &o.candidate_body) {
        (Some(s), Some(b)) => draft_text(s, b),
        _ => format!(
            "(no draft: {})",
            o.error.as_deref().unwrap_or("not composed yet")
        ),
    };
    let (left, right) = sides(
        &word_diff(&operator, &candidate),
        str::to_string,
        |t, added| {
            if added {
                format!("{{+{t}+}}")
            } else {
                format!("[-{t}-]")
            }
        },
    );
    let column = (width.saturating_sub(3) / 2).max(20);
    let (left, right) = (wrap(&left, column), wrap(&right, column));
    p.line(&format!(
        "{:<column$} │ {}",
        format!("OPERATOR ({})", item.item.decision),
        "CANDIDATE"
    ))?;
    for i in 0..left.len().max(right.len()) {
        let l = left.get(i).map_or("", String::as_str);
        let r = right.get(i).map_or("", String::as_str);
        let pad = column.saturating_sub(l.chars().count());
        p.line(format!("{l}{} │ {r}", " ".repeat(pad)).trim_end())?;
    }
    let violations: Vec<String> = serde_json::from_str(&o.guard_violations).unwrap_or_default();
    for v in violations {
        p.line(&format!("  guard: {v}"))?;
    }
    if let Some(e) = &o.error {
        p.line(&format!("  error: {e}"))?;
    }
    Ok(())
}

/// The eval run `run` (an id or prefix), in the tenant that has it.
fn find_run(ctx: &Context, run: &str) -> anyhow::Result<super::scope::Found<String>> {
    super::scope::find_in_tenants(ctx, "eval run", run, |app| {
        app.store.resolve_eval_run_id(run)
    })
}

fn show(ctx: &Context, args: ShowArgs) -> anyhow::Result<ExitStatus> {
    let found = find_run(ctx, &args.run)?;
    let app = &found.app;
    if !ctx.printer.json()
        && let Some(line) = found.tenant_line()
    {
        ctx.printer.line(&line)?;
    }
    print_run(
        ctx,
        &app.store,
        &app.config,
        &found.value,
        args.summary_only,
    )?;
    Ok(ExitStatus::Success)
}

fn report(ctx: &Context, args: ReportArgs) -> anyhow::Result<ExitStatus> {
    let found = find_run(ctx, &args.run)?;
    let (app, id) = (&found.app, &found.value);
    let run = app.store.get_eval_run(id)?;
    let items = app.store.eval_items(id, false)?;
    let summary = run_summary(&app.store, &app.config, id, &items)?;
    let page = crate::eval::html::report(&run, &summary, &items);
    let mut out = OutputFile::create(
        &args.html,
        Policy {
            force: args.force,
            database: &app.config.db,
        },
    )?;
    out.write_all(page.as_bytes())
        .map_err(|e| Error::io(format!("writing {}", args.html.display()), e))?;
    out.commit()?;
    ctx.printer.status(&format!(
        "wrote {} ({}, {})",
        args.html.display(),
        count(items.len() as u64, "lead"),
        count(page.len() as u64, "byte")
    ));
    Ok(ExitStatus::Success)
}

fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitStatus> {
    let listed = super::scope::gather(
        ctx,
        args.limit,
        |app| -> anyhow::Result<_> {
            let rows = app
                .store
                .list_eval_runs(args.limit)?
                .into_iter()
                .map(|run| {
                    let items = app.store.eval_items(&run.id, false)?;
                    Ok((summarise(&items, None), run))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok(crate::store::Page { rows, total: None })
        },
        |(_, a), (_, b)| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)),
    )?;
    let runs = &listed.page.rows;
    let p = &ctx.printer;
    if p.json() {
        let views: Vec<_> = runs
            .iter()
            .map(|t| listed.item(t, RunView::new(&t.row.1)))
            .collect();
        p.print_json(&views)?;
        return Ok(ExitStatus::Success);
    }
    if runs.is_empty() {
        p.status("no eval runs yet; start one with `salesagent eval run --candidate FILE`");
        return Ok(ExitStatus::Success);
    }
    let mut table = p.table(&listed.headers(&[
        "ID",
        "CANDIDATE",
        "STATE",
        "LEADS",
        "GUARD PASSED",
        "CREATED",
    ]));
    for t in runs {
        let (s, r) = &t.row;
        table.add_row(listed.cells(
            t,
            vec![
                r.id.clone(),
                r.candidate_name.clone(),
                r.state.clone(),
                format!("{}/{}", r.done, r.total),
                format!("{}/{}", s.guard_passed, s.composed),
                short(r.created_at),
            ],
        ));
    }
    p.print_table(&table)?;
    Ok(ExitStatus::Success)
}

fn compare_runs(ctx: &Context, args: CompareArgs) -> anyhow::Result<ExitStatus> {
    // Both runs are of one tenant: the first one's, where the second is looked up too.
    let found = find_run(ctx, &args.run_a)?;
    let app = &found.app;
    let store = &app.store;
    let ids = [found.value.clone(), store.resolve_eval_run_id(&args.run_b)?];
    let runs = [store.get_eval_run(&ids[0])?, store.get_eval_run(&ids[1])?];
    let items = [
        store.eval_items(&ids[0], false)?,
        store.eval_items(&ids[1], false)?,
    ];
    let summaries = [
        run_summary(store, &app.config, &ids[0], &items[0])?,
        run_summary(store, &app.config, &ids[1], &items[1])?,
    ];
    let comparison = compare(&items[0], &items[1]);
    let p = &ctx.printer;
    if p.json() {
        #[derive(Serialize)]
        struct Compared<'a> {
            a: RunView<'a>,
            b: RunView<'a>,
            a_summary: &'a Summary,
            b_summary: &'a Summary,
            comparison: &'a Comparison,
        }
        p.print_json(&Compared {
            a: RunView::new(&runs[0]),
            b: RunView::new(&runs[1]),
            a_summary: &summaries[0],
            b_summary: &summaries[1],
            comparison: &comparison,
        })?;
        return Ok(ExitStatus::Success);
    }
    let mut table = p.table(&[
        "",
        &format!("A {}", runs[0].candidate_name),
        &format!("B {}", runs[1].candidate_name),
    ]);
    let ms = |v: Option<i64>| v.map_or("-".into(), |v| format!("{v} ms"));
    let [a, b] = &summaries;
    for (name, x, y) in [
        (
            "guard passed",
            format!("{}/{}", a.guard_passed, a.composed),
            format!("{}/{}", b.guard_passed, b.composed),
        ),
        (
            "fallback rate",
            format!("{:.1}%", a.fallback_rate * 100.0),
            format!("{:.1}%", b.fallback_rate * 100.0),
        ),
        (
            "repair rate",
            format!("{:.1}%", a.repair_rate * 100.0),
            format!("{:.1}%", b.repair_rate * 100.0),
        ),
        ("tokens", a.tokens.to_string(), b.tokens.to_string()),
        ("latency p50", ms(a.latency_p50_ms), ms(b.latency_p50_ms)),
        ("latency p95", ms(a.latency_p95_ms), ms(b.latency_p95_ms)),
        (
            "differs from approved",
            format!("{:.1}%", a.differs_rate * 100.0),
            format!("{:.1}%", b.differs_rate * 100.0),
        ),
    ] {
        table.add_row(vec![name.to_string(), x, y]);
    }
    p.print_table(&table)?;
    let c = &comparison;
    p.line(&format!(
        "{}: both pass {}, only A {}, only B {}, neither {}; same text {}",
        count(c.common as u64, "common lead"),
        c.both_pass,
        c.only_a_passes,
        c.only_b_passes,
        c.neither_passes,
        c.same_text
    ))?;
    for w in &c.verdict_differs {
        p.line(&format!("  guard verdict differs: workflow {w}"))?;
    }
    Ok(ExitStatus::Success)
}
