//! The JSON shapes of workflows, drafts, dead letters and usage, shared by the CLI's `--json` and the
//! HTTP API (`/api/v1`), so both print the same fields. Views only: no I/O, no printing.

use serde::Serialize;

use crate::domain::time::rfc3339;
use crate::orchestrator::ComposerFacts;
use serde_json::Value;

use crate::domain::lead::Lead;
use crate::operator::{OnApprove, SendOutcome, TaskClosing};
use crate::orchestrator::WorkflowReport;
use crate::store::{
    DeadLetterRow, DraftContext, DraftRow, DraftStatus, JobAttempt, JobState, Metric,
    SubmissionRow, UsageBucket, UsageCounts, UsageRange, UsageRow, WorkflowRow,
};

/// A workflow as `workflows list --json` prints it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WorkflowItem<'a> {
    pub id: &'a str,
    pub status: &'a str,
    pub email: Option<&'a str>,
    pub current_step: Option<&'a str>,
    pub score: Option<i64>,
    pub attempts: i64,
    pub mode: &'a str,
    pub last_error: Option<&'a str>,
    pub created_at: String,
    pub updated_at: String,
}

impl<'a> From<&'a WorkflowRow> for WorkflowItem<'a> {
    fn from(w: &'a WorkflowRow) -> Self {
        WorkflowItem {
            id: &w.id,
            status: w.status.as_str(),
            email: w.email.as_deref(),
            current_step: w.current_step.as_deref(),
            score: w.score,
            attempts: w.attempts,
            mode: &w.mode,
            last_error: w.last_error.as_deref(),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        }
    }
}

/// A draft as `--json` prints it; `body` only in `show`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DraftItem<'a> {
    pub id: &'a str,
    pub workflow_id: &'a str,
    pub status: &'a str,
    pub to: &'a str,
    pub from: &'a str,
    pub subject: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<&'a str>,
    pub score: Option<i64>,
    pub route_reason: Option<&'a str>,
    pub model: Option<&'a str>,
    pub fallback_used: bool,
    /// Prompt version, tokens, latency and structured-output mode (`show` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub composer: Option<ComposerFacts>,
    pub message_id: &'a str,
    pub mailbox: &'a str,
    pub remote_draft_id: Option<&'a str>,
    pub reviewer: Option<&'a str>,
    pub review_note: Option<&'a str>,
    pub reviewed_at: Option<String>,
    pub sent_at: Option<String>,
    pub created_at: String,
    /// For a superseded draft: the draft whose recomposed text replaced it.
    pub superseded_by: Option<&'a str>,
}

impl<'a> DraftItem<'a> {
    pub fn new(d: &'a DraftRow, with_body: bool) -> Self {
        DraftItem {
            id: &d.id,
            workflow_id: &d.workflow_id,
            status: d.status.as_str(),
            to: &d.recipient,
            from: &d.sender,
            subject: &d.subject,
            body: with_body.then_some(d.body.as_str()),
            score: d.score,
            route_reason: d.route_reason.as_deref(),
            model: d.model.as_deref(),
            fallback_used: d.fallback_used,
            composer: with_body.then(|| ComposerFacts::of(d)),
            message_id: &d.message_id,
            mailbox: &d.mailbox,
            remote_draft_id: d.remote_draft_id.as_deref(),
            reviewer: d.reviewer.as_deref(),
            review_note: d.review_note.as_deref(),
            reviewed_at: d.reviewed_at.map(rfc3339),
            sent_at: d.sent_at.map(rfc3339),
            created_at: rfc3339(d.created_at),
            superseded_by: d.superseded_by.as_deref(),
        }
    }
}

/// A dead letter as `dlq list|show|export --json` prints it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeadLetterItem<'a> {
    pub id: &'a str,
    /// waiting, retried or resolved
    pub status: &'static str,
    pub email: Option<&'a str>,
    pub job_id: &'a str,
    pub workflow_id: Option<&'a str>,
    pub job_kind: Option<&'a str>,
    pub job_state: Option<&'a str>,
    pub error_class: &'a str,
    pub error: &'a str,
    pub attempts: i64,
    pub created_at: String,
    pub retried_at: Option<String>,
    pub resolved_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<AttemptItem<'a>>>,
    /// The submission the dead job was working on, as it arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submission: Option<SubmissionItem>,
}

/// One attempt, with RFC 3339 times like every other JSON we print.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AttemptItem<'a> {
    pub attempt: i64,
    pub worker: Option<&'a str>,
    pub error: Option<&'a str>,
    pub error_class: Option<&'a str>,
    pub started_at: String,
    pub finished_at: Option<String>,
}

impl<'a> From<&'a JobAttempt> for AttemptItem<'a> {
    fn from(a: &'a JobAttempt) -> Self {
        AttemptItem {
            attempt: a.attempt,
            worker: a.worker.as_deref(),
            error: a.error.as_deref(),
            error_class: a.error_class.as_deref(),
            started_at: rfc3339(a.started_at),
            finished_at: a.finished_at.map(rfc3339),
        }
    }
}

/// The lead behind a dead letter: who they are and the payload exactly as it was received.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubmissionItem {
    pub id: String,
    pub source: String,
    pub form_id: Option<String>,
    pub received_at: String,
    pub lead: crate::domain::lead::Lead,
    pub raw_payload: serde_json::Value,
}

impl SubmissionItem {
    pub fn new(s: SubmissionRow) -> SubmissionItem {
        let raw_payload = serde_json::from_slice(&s.raw_payload).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&s.raw_payload).into_owned())
        });
        SubmissionItem {
            id: s.id,
            source: s.source,
            form_id: s.form_id,
            received_at: rfc3339(s.received_at),
            lead: s.lead,
            raw_payload,
        }
    }
}

pub fn dead_letter_item<'a>(
    d: &'a DeadLetterRow,
    with_payload: bool,
    history: Option<&'a [JobAttempt]>,
) -> DeadLetterItem<'a> {
    DeadLetterItem {
        id: &d.id,
        status: d.status(),
        email: d.email.as_deref(),
        job_id: &d.job_id,
        workflow_id: d.workflow_id.as_deref(),
        job_kind: d.job_kind.as_deref(),
        job_state: d.job_state.map(JobState::as_str),
        error_class: &d.error_class,
        error: &d.error,
        attempts: d.attempts,
        created_at: rfc3339(d.created_at),
        retried_at: d.retried_at.map(rfc3339),
        resolved_at: d.resolved_at.map(rfc3339),
        payload: with_payload.then(|| {
            serde_json::from_str(&d.payload)
                .unwrap_or_else(|_| serde_json::Value::String(d.payload.clone()))
        }),
        history: history.map(|h| h.iter().map(AttemptItem::from).collect()),
        submission: None,
    }
}

/// The CRM contact the pipeline found or created, from the contact step's output.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CrmContact {
    pub id: String,
    pub crm: Option<String>,
    /// True when this workflow created it.
    pub created: bool,
}

pub fn crm_contact(context: &DraftContext) -> Option<CrmContact> {
    let v: Value = serde_json::from_str(context.contact_step.as_deref()?).ok()?;
    Some(CrmContact {
        id: v.pointer("/contact/id")?.as_str()?.to_string(),
        crm: v.get("crm").and_then(Value::as_str).map(str::to_string),
        created: v
            .pointer("/contact/created")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// One step's name and status, as `drafts show --json` lists them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StepStatusItem<'a> {
    pub name: &'a str,
    pub status: &'a str,
}

/// A draft with what is shown beside it (`drafts show --json`, `GET /api/v1/drafts/{id}`): the
/// lead's own words and who they are, what approving does now, and the workflow's steps.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DraftDetail<'a> {
    #[serde(flatten)]
    pub draft: DraftItem<'a>,
    pub lead: &'a Lead,
    pub source: &'a str,
    pub form_id: Option<&'a str>,
    pub page_url: Option<&'a str>,
    pub submitted_at: Option<String>,
    pub received_at: String,
    pub earlier_submissions: i64,
    pub crm_contact: Option<CrmContact>,
    pub on_approve: Option<&'a OnApprove>,
    pub superseded: Vec<&'a str>,
    pub workflow_status: &'a str,
    pub steps: Vec<StepStatusItem<'a>>,
}

impl<'a> DraftDetail<'a> {
    pub fn new(
        draft: &'a DraftRow,
        c: &'a DraftContext,
        on_approve: Option<&'a OnApprove>,
        superseded: &'a [DraftRow],
        report: &'a WorkflowReport,
    ) -> Self {
        DraftDetail {
            draft: DraftItem::new(draft, true),
            lead: &c.lead,
            source: &c.source,
            form_id: c.form_id.as_deref(),
            page_url: c.page_url.as_deref(),
            submitted_at: c.submitted_at.map(rfc3339),
            received_at: rfc3339(c.received_at),
            earlier_submissions: c.earlier_submissions,
            crm_contact: crm_contact(c),
            on_approve,
            superseded: superseded.iter().map(|d| d.id.as_str()).collect(),
            workflow_status: report.status.as_str(),
            steps: report
                .steps
                .iter()
                .map(|s| StepStatusItem {
                    name: &s.name,
                    status: &s.status,
                })
                .collect(),
        }
    }
}

/// One draft's decision (or recompose) result, as `drafts approve|reject|recompose --json` and
/// `POST /api/v1/drafts/{id}/approve|reject` print it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionItem {
    pub id: String,
    #[schema(value_type = Option<String>)]
    pub status: Option<DraftStatus>,
    pub reviewer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send: Option<SendOutcome>,
    /// A rejection: what happened to the CRM follow-up task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskClosing>,
    /// A recompose: the draft that keeps the earlier text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl DecisionItem {
    pub fn of(d: &DraftRow, send: Option<SendOutcome>) -> DecisionItem {
        DecisionItem {
            id: d.id.clone(),
            status: Some(d.status),
            reviewer: d.reviewer.clone(),
            send,
            task: None,
            superseded_id: None,
            error: None,
        }
    }

    pub fn superseding(d: &DraftRow, superseded_id: String) -> DecisionItem {
        DecisionItem {
            superseded_id: Some(superseded_id),
            ..DecisionItem::of(d, None)
        }
    }
}

/// Usage as `usage --json` prints it and `GET /api/v1/usage` answers: one row per tenant and day
/// or month, and the totals over the range.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UsageReport<'a> {
    /// The range's first UTC day (ISO 8601), inclusive.
    pub first_day: &'a str,
    /// The range's last UTC day, inclusive.
    pub last_day: &'a str,
    /// `day` or `month`: what one row covers.
    pub by: &'static str,
    pub generated_at: String,
    pub rows: Vec<UsageRowItem<'a>>,
    pub totals: UsageTotalsItem<'a>,
}

/// One tenant's usage in one day or month.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UsageRowItem<'a> {
    pub tenant: &'a str,
    /// `2026-11-30` by day, `2026-11` by month.
    pub period: &'a str,
    /// The period's days inside the range asked for.
    pub period_start: &'a str,
    pub period_end: &'a str,
    #[serde(flatten)]
    pub counts: UsageCounts,
}

/// Every row's counts added up.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UsageTotalsItem<'a> {
    pub period_start: &'a str,
    pub period_end: &'a str,
    #[serde(flatten)]
    pub counts: UsageCounts,
}

impl<'a> UsageReport<'a> {
    /// The report of `rows` (of one tenant or several) over `range`, made at `now`.
    pub fn new(
        range: &'a UsageRange,
        bucket: UsageBucket,
        rows: &'a [UsageRow],
        now: i64,
    ) -> UsageReport<'a> {
        let totals = usage_totals(rows);
        UsageReport {
            first_day: &range.first_day,
            last_day: &range.last_day,
            by: bucket.as_str(),
            generated_at: rfc3339(now),
            rows: rows
                .iter()
                .map(|r| UsageRowItem {
                    tenant: &r.tenant,
                    period: &r.period,
                    period_start: &r.first_day,
                    period_end: &r.last_day,
                    counts: r.counts,
                })
                .collect(),
            totals: UsageTotalsItem {
                period_start: &range.first_day,
                period_end: &range.last_day,
                counts: totals,
            },
        }
    }
}

/// Every row's counts added up.
pub fn usage_totals(rows: &[UsageRow]) -> UsageCounts {
    let mut totals = UsageCounts::default();
    for row in rows {
        totals.add_all(&row.counts);
    }
    totals
}

/// `UsageCounts` serialises as one integer field per metric (its own `Serialize`, in `store/`);
/// the schema says the same, from the same `Metric::ALL`.
impl utoipa::PartialSchema for UsageCounts {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        let mut object = ObjectBuilder::new().description(Some(
            "One count per metric, every metric present (zeros included)",
        ));
        for metric in Metric::ALL {
            object = object
                .property(
                    metric.as_str(),
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .minimum(Some(0)),
                )
                .required(metric.as_str());
        }
        utoipa::openapi::RefOr::T(object.into())
    }
}

impl utoipa::ToSchema for UsageCounts {}
