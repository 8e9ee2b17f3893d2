//! The figures of an eval run (guard passes, fallback and repair rates, tokens and cost, latency
//! percentiles, how often the candidate differs from what the operator approved) and the
//! comparison of two runs over the same leads. Pure: computed from stored items.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::EvalItemRow;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub leads: usize,
    pub composed: usize,
    pub pending: usize,
    pub guard_passed: usize,
    pub guard_failed: usize,
    /// Composes that ended in an error (no candidate draft).
    pub errors: usize,
    pub fallbacks: usize,
    pub repairs: usize,
    pub fallback_rate: f64,
    pub repair_rate: f64,
    pub tokens: i64,
    /// `tokens` priced by `[llm] cost_per_1k_tokens`, when it is set.
    pub cost: Option<f64>,
    pub latency_p50_ms: Option<i64>,
    pub latency_p95_ms: Option<i64>,
    /// Leads the operator approved (as composed or edited).
    pub approved: usize,
    /// Of those, how many candidate drafts differ from what the operator finally approved.
    pub differs_from_approved: usize,
    pub differs_rate: f64,
    /// Composes per structured-output mode (`json_schema`, `json_object`, `off`, `template`).
    pub modes: BTreeMap<String, usize>,
}

fn rate(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        ((n as f64 / of as f64) * 1000.0).round() / 1000.0
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn same_text(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// Whether the candidate's draft differs from what the operator finally approved.
pub fn differs_from_final(item: &EvalItemRow) -> Option<bool> {
    let (Some(subject), Some(body)) = (
        item.outcome.candidate_subject.as_deref(),
        item.outcome.candidate_body.as_deref(),
    ) else {
        return None;
    };
    Some(!(same_text(subject, &item.item.final_subject) && same_text(body, &item.item.final_body)))
}

pub fn summarise(items: &[EvalItemRow], cost_per_1k_tokens: Option<f64>) -> Summary {
    let mut s = Summary {
        leads: items.len(),
        ..Summary::default()
    };
    let mut latencies = vec![];
    for item in items {
        if item.state != "done" {
            s.pending += 1;
            continue;
        }
        let o = &item.outcome;
        if o.error.is_some() {
            s.errors += 1;
            continue;
        }
        s.composed += 1;
        if o.guard_passed {
            s.guard_passed += 1;
        } else {
            s.guard_failed += 1;
        }
        s.fallbacks += o.fallback_used as usize;
        s.repairs += o.repaired as usize;
        s.tokens += o.tokens.unwrap_or(0);
        if let Some(ms) = o.latency_ms {
            latencies.push(ms);
        }
        let mode = o
            .structured_mode
            .clone()
            .unwrap_or_else(|| "template".into());
        *s.modes.entry(mode).or_default() += 1;
        if matches!(item.item.decision.as_str(), "approved" | "edited") {
            s.approved += 1;
            s.differs_from_approved += (differs_from_final(item) == Some(true)) as usize;
        }
    }
    latencies.sort_unstable();
    s.latency_p50_ms = percentile(&latencies, 50.0);
    s.latency_p95_ms = percentile(&latencies, 95.0);
    s.fallback_rate = rate(s.fallbacks, s.composed);
    s.repair_rate = rate(s.repairs, s.composed);
    s.differs_rate = rate(s.differs_from_approved, s.approved);
    s.cost = cost_per_1k_tokens.map(|price| (s.tokens as f64 / 1000.0 * price * 1e4).round() / 1e4);
    s
}

/// Two candidates on the same leads.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Comparison {
    /// Leads both runs composed.
    pub common: usize,
    pub both_pass: usize,
    pub only_a_passes: usize,
    pub only_b_passes: usize,
    pub neither_passes: usize,
    /// Leads where both candidates wrote the same text.
    pub same_text: usize,
    /// Workflow ids whose guard verdict differs between the runs.
    pub verdict_differs: Vec<String>,
}

pub fn compare(a: &[EvalItemRow], b: &[EvalItemRow]) -> Comparison {
    let by_workflow: BTreeMap<&str, &EvalItemRow> = b
        .iter()
        .filter(|i| i.state == "done")
        .map(|i| (i.item.workflow_id.as_str(), i))
        .collect();
    let mut c = Comparison::default();
    for x in a.iter().filter(|i| i.state == "done") {
        let Some(y) = by_workflow.get(x.item.workflow_id.as_str()) else {
            continue;
        };
        c.common += 1;
        let (pa, pb) = (x.outcome.guard_passed, y.outcome.guard_passed);
        match (pa, pb) {
            (true, true) => c.both_pass += 1,
            (true, false) => c.only_a_passes += 1,
            (false, true) => c.only_b_passes += 1,
            (false, false) => c.neither_passes += 1,
        }
        if pa != pb {
            c.verdict_differs.push(x.item.workflow_id.clone());
        }
        let text = |i: &EvalItemRow| {
            (
                i.outcome.candidate_subject.clone().unwrap_or_default(),
                i.outcome.candidate_body.clone().unwrap_or_default(),
            )
        };
        let ((sa, ba), (sb, bb)) = (text(x), text(y));
        if same_text(&sa, &sb) && same_text(&ba, &bb) {
            c.same_text += 1;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EvalOutcome, NewEvalItem};

    fn item(decision: &str, passed: bool, latency: i64, text: &str) -> EvalItemRow {
        EvalItemRow {
            seq: 1,
            item: NewEvalItem {
                workflow_id: format!("w-{latency}"),
                draft_id: "d".into(),
                recipient: "a@b.com".into(),
                source: "{}".into(),
                original_subject: "S".into(),
                original_body: "B".into(),
                original_model: None,
                decision: decision.into(),
                final_subject: "S".into(),
                final_body: "B".into(),
                review_note: None,
            },
            state: "done".into(),
            outcome: EvalOutcome {
                candidate_subject: Some("S".into()),
                candidate_body: Some(text.into()),
                guard_passed: passed,
                guard_violations: "[]".into(),
                structured_mode: Some("json_schema".into()),
                tokens: Some(100),
                latency_ms: Some(latency),
                ..EvalOutcome::default()
            },
        }
    }

    #[test]
    fn figures_count_passes_differences_and_percentiles() {
        let items: Vec<_> = (1..=20)
            .map(|i| {
                item(
                    "approved",
                    i != 3,
                    i * 10,
                    if i % 2 == 0 { "B" } else { "other" },
                )
            })
            .collect();
        let s = summarise(&items, Some(0.5));
        assert_eq!((s.guard_passed, s.guard_failed), (19, 1));
        assert_eq!(s.approved, 20);
        assert_eq!(s.differs_from_approved, 10);
        assert_eq!(s.latency_p50_ms, Some(100));
        assert_eq!(s.latency_p95_ms, Some(190));
        assert_eq!(s.tokens, 2000);
        assert_eq!(s.cost, Some(1.0));
        assert_eq!(s.modes["json_schema"], 20);
    }

    #[test]
    fn comparison_matches_leads_by_workflow() {
        let a = vec![
            item("approved", true, 1, "x"),
            item("approved", false, 2, "y"),
        ];
        let b = vec![
            item("approved", true, 1, "x"),
            item("approved", true, 2, "z"),
        ];
        let c = compare(&a, &b);
        assert_eq!(
            (c.common, c.both_pass, c.only_b_passes, c.same_text),
            (2, 1, 1, 1)
        );
        assert_eq!(c.verdict_differs, vec!["w-2".to_string()]);
    }
}
