//! `eval report --html`: one self-contained page (inline style, no script, no external asset) with
//! the run's figures and, per lead, the operator's draft and the candidate's side by side with a
//! word diff. Every piece of text is escaped: leads type what they like.

use std::fmt::Write;

use super::diff::{sides, word_diff};
use super::summary::Summary;
use crate::domain::html::escape;
use crate::domain::time::rfc3339;
use crate::store::{EvalItemRow, EvalRunRow};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1d1d1f;background:#fff}\
h1{font-size:1.4rem}h2{font-size:1.05rem;margin:0 0 .5rem}\
table.figures{border-collapse:collapse;margin:1rem 0}\
table.figures td,table.figures th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}\
section.lead{border:1px solid #ddd;border-radius:6px;padding:1rem;margin:1rem 0}\
.meta{color:#555;font-size:.85rem;margin-bottom:.5rem}\
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem}\
.draft{background:#fafafa;border:1px solid #eee;padding:.6rem;white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:.85rem}\
.label{font-weight:600;font-size:.8rem;text-transform:uppercase;color:#666}\
del{background:#fdd;text-decoration:line-through}ins{background:#dfd;text-decoration:none}\
.fail{color:#b00}.pass{color:#070}";

fn figure_rows(summary: &Summary) -> Vec<(&'static str, String)> {
    let ms = |v: Option<i64>| v.map_or("-".into(), |v| format!("{v} ms"));
    vec![
        ("Leads", summary.leads.to_string()),
        ("Composed", summary.composed.to_string()),
        (
            "Guard passed",
            format!("{} of {}", summary.guard_passed, summary.composed),
        ),
        ("Errors", summary.errors.to_string()),
        (
            "Fallback rate",
            format!("{:.1}%", summary.fallback_rate * 100.0),
        ),
        (
            "Repair rate",
            format!("{:.1}%", summary.repair_rate * 100.0),
        ),
        ("Tokens", summary.tokens.to_string()),
        (
            "Cost",
            summary.cost.map_or("-".into(), |c| format!("{c:.4}")),
        ),
        ("Latency p50", ms(summary.latency_p50_ms)),
        ("Latency p95", ms(summary.latency_p95_ms)),
        (
            "Differs from approved",
            format!(
                "{} of {} ({:.1}%)",
                summary.differs_from_approved,
                summary.approved,
                summary.differs_rate * 100.0
            ),
        ),
    ]
}

/// The draft text both sides are built from: subject line, blank line, body.
pub fn draft_text(subject: &str, body: &str) -> String {
    format!("Subject: {subject}\n\n{body}")
}

fn lead_section(out: &mut String, item: &EvalItemRow) {
    let i = &item.item;
    let o = &item.outcome;
    let verdict = if o.error.is_some() {
        "<span class=\"fail\">error</span>"
    } else if o.guard_passed {
        "<span class=\"pass\">guard passed</span>"
    } else {
        "<span class=\"fail\">guard refused</span>"
    };
    let _ = write!(
        out,
        "<section class=\"lead\"><h2>#{} {}</h2><div class=\"meta\">{} · decision: {}{} · \
         mode: {} · tokens: {} · latency: {}{}{}</div>",
        item.seq,
        escape(&i.recipient),
        verdict,
        escape(&i.decision),
        i.review_note
            .as_deref()
            .map(|n| format!(" ({})", escape(n)))
            .unwrap_or_default(),
        escape(o.structured_mode.as_deref().unwrap_or("template")),
        o.tokens.map_or("-".into(), |t| t.to_string()),
        o.latency_ms.map_or("-".into(), |t| format!("{t} ms")),
        if o.repaired { " · repaired" } else { "" },
        match (&o.candidate_subject, &o.candidate_body) {
            (Some(subject), Some(body)) => format!(
                " · {} / {} characters",
                subject.chars().count(),
                body.chars().count()
            ),
            _ => String::new(),
        },
    );
    let operator = draft_text(&i.final_subject, &i.final_body);
    let candidate = match (&o.candidate_subject, &o.candidate_body) {
        (Some(s), Some(b)) => draft_text(s, b),
        _ => format!(
            "(no draft: {})",
            o.error.as_deref().unwrap_or("not composed yet")
        ),
    };
    // Every piece is escaped on its own; only the marks around changes are markup.
    let (left, right) = sides(&word_diff(&operator, &candidate), escape, |t, added| {
        if added {
            format!("<ins>{}</ins>", escape(t))
        } else {
            format!("<del>{}</del>", escape(t))
        }
    });
    let _ = write!(
        out,
        "<div class=\"pair\"><div><div class=\"label\">Operator ({})</div><div class=\"draft\">{left}</div></div>\
         <div><div class=\"label\">Candidate</div><div class=\"draft\">{right}</div></div></div>",
        escape(&i.decision)
    );
    let violations: Vec<String> = serde_json::from_str(&o.guard_violations).unwrap_or_default();
    if !violations.is_empty() {
        out.push_str("<ul class=\"fail\">");
        for v in violations {
            let _ = write!(out, "<li>{}</li>", escape(&v));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}

pub fn report(run: &EvalRunRow, summary: &Summary, items: &[EvalItemRow]) -> String {
    let mut out = String::with_capacity(4096 + items.len() * 2048);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Eval {}: {}</title><style>{STYLE}</style></head><body>\
         <h1>Eval run {} — candidate {}</h1><p class=\"meta\">started {} · {} · {} of {} leads composed</p>\
         <table class=\"figures\">",
        escape(&run.id),
        escape(&run.candidate_name),
        escape(&run.id),
        escape(&run.candidate_name),
        rfc3339(run.created_at),
        escape(&run.state),
        run.done,
        run.total
    );
    for (name, value) in figure_rows(summary) {
        let _ = write!(out, "<tr><th>{name}</th><td>{}</td></tr>", escape(&value));
    }
    out.push_str("</table>");
    for item in items {
        lead_section(&mut out, item);
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EvalOutcome, NewEvalItem};

    #[test]
    fn lead_text_never_becomes_markup() {
        let hostile = "<ins><script>alert(1)</script></ins> & <b>";
        let item = EvalItemRow {
            seq: 1,
            item: NewEvalItem {
                workflow_id: "w".into(),
                draft_id: "d".into(),
                recipient: "<a>@b.com".into(),
                source: "{}".into(),
                original_subject: "S".into(),
                original_body: hostile.into(),
                original_model: None,
                decision: "approved".into(),
                final_subject: "S".into(),
                final_body: hostile.into(),
                review_note: Some("<i>".into()),
            },
            state: "done".into(),
            outcome: EvalOutcome {
                candidate_subject: Some("S".into()),
                candidate_body: Some(format!("{hostile} new")),
                guard_violations: "[\"<u>\"]".into(),
                ..EvalOutcome::default()
            },
        };
        let mut out = String::new();
        lead_section(&mut out, &item);
        assert!(!out.contains("<script") && !out.contains("<b>") && !out.contains("<a>"));
        assert!(!out.contains("<i>") && !out.contains("<u>"), "{out}");
        assert!(out.contains("&lt;script&gt;"));
        assert!(
            out.contains("<ins> new</ins>") || out.contains("<ins>new</ins>"),
            "{out}"
        );
    }
}
