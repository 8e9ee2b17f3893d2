//! Payload shapes: every body HubSpot (or a forwarder) sends becomes [`ParsedSubmission`]s with a
//! normalised lead and a dedupe key. Errors name the field and the problem.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::lead::{Lead, LeadField};

mod typed;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// In-house forwarder: `fieldValues[{name, value}]`, `portalId`, `formId`, `formSubmissionId`.
    Seed,
    /// Forms API v3 submission body: `fields[{objectTypeId, name, value}]`.
    FormsV3,
    /// Workflow "Send a webhook" on a contact: `properties.NAME.value`, `form-submissions[]`.
    WorkflowContact,
    /// Webhooks API subscription: a JSON array of events naming contacts by id.
    WebhookEvent,
    /// A row of a CSV import.
    Csv,
    /// A lead posted to `POST /api/v1/submissions`.
    Api,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Seed => "seed",
            Shape::FormsV3 => "forms_v3",
            Shape::WorkflowContact => "workflow_contact",
            Shape::WebhookEvent => "webhook_event",
            Shape::Csv => "csv",
            Shape::Api => "api",
        }
    }
}

/// One submission, ready to be stored. Event submissions carry no lead yet: the pipeline fetches the
/// contact named by `contact_object_id` from the CRM.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedSubmission {
    pub shape: Shape,
    pub portal_id: Option<String>,
    pub form_id: Option<String>,
    pub external_id: Option<String>,
    pub dedupe_key: String,
    pub lead: Lead,
    pub contact_object_id: Option<String>,
    /// Epoch milliseconds, as the sender stated it.
    pub submitted_at: Option<i64>,
    pub page_url: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedPayload {
    pub submissions: Vec<ParsedSubmission>,
    /// Webhooks API events acknowledged but not processed (property changes and the like).
    pub ignored_events: usize,
    /// `contact.privacyDeletion` events: HubSpot erased these contacts; we erase them too.
    pub privacy_deletions: Vec<PrivacyDeletion>,
}

/// A HubSpot `contact.privacyDeletion` event: the contact (by id only) was GDPR-deleted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrivacyDeletion {
    pub portal_id: String,
    pub contact_id: String,
    pub occurred_at: i64,
}

/// The Webhooks API event that asks us to erase a contact.
const PRIVACY_DELETION_EVENT: &str = "contact.privacyDeletion";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    #[error("the payload is empty")]
    Empty,
    #[error("the payload is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("the payload is not valid JSON: {message} at line {line}, column {column}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "unknown payload shape (top-level {found}); expected `fieldValues` (forwarder), `fields` \
         (Forms API v3), `properties` (workflow contact) or an array of Webhooks API events"
    )]
    UnknownShape { found: String },
    #[error("{0}")]
    Field(String),
}

/// Longest value accepted for each kind of field, in characters.
const MAX_FIELD_CHARS: usize = 500;
const MAX_MESSAGE_CHARS: usize = 10_000;
/// Subscription types that start work; every other event is acknowledged and ignored.
const STARTING_EVENTS: [&str; 3] = ["contact.creation", "form.submission", "form.submitted"];

/// Parses any supported body, validating each lead that the body carries.
/// The portal a body names even when it does not parse as a submission (for quarantining it
/// under its tenant): `portalId`/`portal-id` of the object, or of every event of an array when
/// they all name the same one. `None` when there is none, or several.
pub fn portal_hint(bytes: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let of = |v: &Value| {
        let obj = v.as_object()?;
        ["portalId", "portal-id"]
            .iter()
            .find_map(|k| id_field(obj, k).ok().flatten())
    };
    match &value {
        Value::Array(events) => {
            let mut portals = events.iter().map(of);
            let first = portals.next()??;
            portals.all(|p| p.as_ref() == Some(&first)).then_some(first)
        }
        other => of(other),
    }
}

pub fn parse_payload(bytes: &[u8]) -> Result<ParsedPayload, PayloadError> {
    let text = std::str::from_utf8(bytes).map_err(|e| PayloadError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(PayloadError::Empty);
    }
    // The forwarder's shape, the common one, without a `Value` tree; anything the typed parse is
    // not sure of (another shape, a field of an unexpected type, bad JSON) is parsed again below,
    // which owns every error message.
    if let Some(parsed) = typed::seed(text, bytes) {
        return parsed.map(|submission| ParsedPayload {
            submissions: vec![submission],
            ..ParsedPayload::default()
        });
    }
    parse_tree(text, bytes)
}

/// [`parse_payload`] through a `serde_json::Value` tree: every shape, every error.
fn parse_tree(text: &str, bytes: &[u8]) -> Result<ParsedPayload, PayloadError> {
    let value: Value = serde_json::from_str(text).map_err(|e| PayloadError::Json {
        line: e.line(),
        column: e.column(),
        message: json_message(&e),
    })?;
    match value {
        Value::Array(events) => parse_events(&events),
        Value::Object(obj) => {
            let submission = if obj.contains_key("fieldValues") {
                parse_seed(&obj, bytes)?
            } else if obj.contains_key("fields") {
                parse_forms_v3(&obj, bytes)?
            } else if obj.contains_key("properties") {
                parse_contact(&obj, bytes)?
            } else {
                let mut keys: Vec<&str> = obj.keys().map(String::as_str).take(8).collect();
                keys.sort_unstable();
                let found = if keys.is_empty() {
                    "an empty object".to_string()
                } else {
                    format!("keys: {}", keys.join(", "))
                };
                return Err(PayloadError::UnknownShape { found });
            };
            Ok(ParsedPayload {
                submissions: vec![submission],
                ..ParsedPayload::default()
            })
        }
        other => Err(PayloadError::UnknownShape {
            found: format!("a JSON {}", json_kind(&other)),
        }),
    }
}

/// Checks a lead the way every intake path does: email required and valid, fields not too long.
pub fn validate_lead(lead: &Lead) -> Result<(), String> {
    check_lead(lead).map_err(|(_, why)| why)
}

/// [`validate_lead`], naming the field that failed (for answers that point at it, like a 422).
pub fn check_lead(lead: &Lead) -> Result<(), (&'static str, String)> {
    lead.validate().map_err(|why| ("email", why))?;
    let fields = [
        ("first_name", &lead.first_name, MAX_FIELD_CHARS),
        ("last_name", &lead.last_name, MAX_FIELD_CHARS),
        ("company", &lead.company, MAX_FIELD_CHARS),
        ("job_title", &lead.job_title, MAX_FIELD_CHARS),
        ("phone", &lead.phone, MAX_FIELD_CHARS),
        ("message", &lead.message, MAX_MESSAGE_CHARS),
    ];
    for (name, value, max) in fields {
        if let Some(v) = value {
            let n = v.chars().count();
            if n > max {
                return Err((
                    name,
                    format!("field `{name}` is {n} characters long; at most {max} are allowed"),
                ));
            }
        }
    }
    Ok(())
}

/// The dedupe key of a lead that came without an id of its own (forms without a submission id,
/// CSV rows): the same person on the same form at the same moment.
pub fn content_key(prefix: &str, form_id: Option<&str>, lead: &Lead, at: Option<i64>) -> String {
    format!(
        "{prefix}:{}:{}:{}",
        form_id.unwrap_or("-"),
        lead.email.as_deref().unwrap_or("-"),
        at.map(|t| t.to_string()).unwrap_or_else(|| "-".into())
    )
}

fn finish(mut sub: ParsedSubmission) -> Result<ParsedSubmission, PayloadError> {
    sub.lead = std::mem::take(&mut sub.lead).normalise();
    validate_lead(&sub.lead).map_err(PayloadError::Field)?;
    Ok(sub)
}

fn parse_seed(obj: &Map<String, Value>, raw: &[u8]) -> Result<ParsedSubmission, PayloadError> {
    let mut lead = Lead::default();
    let values = array_field(obj, "fieldValues")?;
    for (i, item) in values.iter().enumerate() {
        let name = string_at(item, "name").ok_or_else(|| {
            field_err(
                &format!("fieldValues[{i}].name"),
                "is missing or not a string",
            )
        })?;
        let value = scalar_at(item, "value").ok_or_else(|| {
            field_err(
                &format!("fieldValues[{i}].value"),
                "is missing or not a string",
            )
        })?;
        lead.set(&name, &value);
    }
    seed_submission(
        SeedIds {
            portal_id: id_field(obj, "portalId")?,
            form_id: id_field(obj, "formId")?,
            external_id: id_field(obj, "formSubmissionId")?,
            submitted_at: time_field(obj, "submittedAt")?,
            page_url: string_at_obj(obj, "pageUrl"),
        },
        lead,
        raw,
    )
}

/// What a seed body says besides its fields, read by either parse (the `Value` tree's or
/// [`typed`]'s).
struct SeedIds {
    portal_id: Option<String>,
    form_id: Option<String>,
    external_id: Option<String>,
    submitted_at: Option<i64>,
    page_url: Option<String>,
}

/// A seed body's submission from its fields (already set on `lead`) and ids: one builder for
/// both parses, so they cannot disagree on the dedupe key or the validation.
fn seed_submission(ids: SeedIds, lead: Lead, raw: &[u8]) -> Result<ParsedSubmission, PayloadError> {
    let dedupe_key = match &ids.external_id {
        Some(id) => format!(
            "seed:{}:{}:{id}",
            ids.portal_id.as_deref().unwrap_or("-"),
            ids.form_id.as_deref().unwrap_or("-")
        ),
        None => body_key("seed", raw),
    };
    finish(ParsedSubmission {
        shape: Shape::Seed,
        portal_id: ids.portal_id,
        form_id: ids.form_id,
        external_id: ids.external_id,
        dedupe_key,
        lead,
        contact_object_id: None,
        submitted_at: ids.submitted_at,
        page_url: ids.page_url,
    })
}

fn parse_forms_v3(obj: &Map<String, Value>, raw: &[u8]) -> Result<ParsedSubmission, PayloadError> {
    let mut lead = Lead::default();
    for (i, item) in array_field(obj, "fields")?.iter().enumerate() {
        let name = string_at(item, "name")
            .ok_or_else(|| field_err(&format!("fields[{i}].name"), "is missing or not a string"))?;
        let value = scalar_at(item, "value").ok_or_else(|| {
            field_err(&format!("fields[{i}].value"), "is missing or not a string")
        })?;
        let object_type = string_at(item, "objectTypeId").unwrap_or_else(|| "0-1".into());
        // Company properties arrive on object 0-2: its `name` is the company's name.
        if object_type == "0-2" && name.eq_ignore_ascii_case("name") {
            lead.set_field(LeadField::Company, &value);
        } else {
            lead.set(&name, &value);
        }
    }
    let form_id = match id_field(obj, "formId")? {
        Some(id) => Some(id),
        None => id_field(obj, "formGuid")?,
    };
    let portal_id = id_field(obj, "portalId")?;
    let submitted_at = time_field(obj, "submittedAt")?;
    let page_url = obj
        .get("context")
        .and_then(|c| c.get("pageUri"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut sub = finish(ParsedSubmission {
        shape: Shape::FormsV3,
        portal_id,
        form_id,
        external_id: None,
        dedupe_key: String::new(),
        lead,
        contact_object_id: None,
        submitted_at,
        page_url,
    })?;
    sub.dedupe_key = match submitted_at {
        Some(at) => content_key("forms_v3", sub.form_id.as_deref(), &sub.lead, Some(at)),
        None => body_key("forms_v3", raw),
    };
    Ok(sub)
}

fn parse_contact(obj: &Map<String, Value>, raw: &[u8]) -> Result<ParsedSubmission, PayloadError> {
    let Some(Value::Object(props)) = obj.get("properties") else {
        return Err(field_err("properties", "must be an object"));
    };
    let mut lead = Lead::default();
    for (name, value) in props {
        // Legacy v1 contacts wrap each value as {"value": …}; CRM v3 objects give it plainly.
        let value = match value {
            Value::Object(inner) => inner.get("value").and_then(scalar),
            other => scalar(other),
        };
        if let Some(v) = value {
            lead.set(name, &v);
        }
    }
    let portal_id = id_field(obj, "portal-id")?.or(id_field(obj, "portalId")?);
    let vid = id_field(obj, "canonical-vid")?
        .or(id_field(obj, "vid")?)
        .or(id_field(obj, "id")?);
    // The submission that triggered the workflow is the latest one on the contact.
    let latest = match obj.get("form-submissions") {
        Some(Value::Array(subs)) => subs
            .iter()
            .filter(|s| s.is_object())
            .max_by_key(|s| s.get("timestamp").and_then(Value::as_i64).unwrap_or(0)),
        Some(Value::Null) | None => None,
        Some(_) => return Err(field_err("form-submissions", "must be an array")),
    };
    let conversion_id = latest.and_then(|s| string_at(s, "conversion-id"));
    let form_id = latest.and_then(|s| string_at(s, "form-id"));
    let submitted_at = latest
        .and_then(|s| s.get("timestamp"))
        .and_then(Value::as_i64);
    let page_url = latest.and_then(|s| string_at(s, "page-url"));
    let dedupe_key = match &conversion_id {
        Some(id) => format!("contact:{}:{id}", portal_id.as_deref().unwrap_or("-")),
        None => body_key("contact", raw),
    };
    finish(ParsedSubmission {
        shape: Shape::WorkflowContact,
        portal_id,
        form_id,
        external_id: conversion_id.or(vid.clone()),
        dedupe_key,
        lead,
        contact_object_id: vid,
        submitted_at,
        page_url,
    })
}

fn parse_events(events: &[Value]) -> Result<ParsedPayload, PayloadError> {
    if events.is_empty() {
        return Err(PayloadError::Field("the event array is empty".into()));
    }
    let mut parsed = ParsedPayload::default();
    for (i, event) in events.iter().enumerate() {
        let at = |field: &str| format!("[{i}].{field}");
        let Some(obj) = event.as_object() else {
            return Err(field_err(&format!("[{i}]"), "is not an event object"));
        };
        let kind = string_at(event, "subscriptionType")
            .ok_or_else(|| field_err(&at("subscriptionType"), "is missing or not a string"))?;
        let object_id =
            id_field(obj, "objectId")?.ok_or_else(|| field_err(&at("objectId"), "is missing"))?;
        let portal_id =
            id_field(obj, "portalId")?.ok_or_else(|| field_err(&at("portalId"), "is missing"))?;
        let occurred_at = time_field(obj, "occurredAt")?
            .ok_or_else(|| field_err(&at("occurredAt"), "is missing"))?;
        if kind == PRIVACY_DELETION_EVENT {
            parsed.privacy_deletions.push(PrivacyDeletion {
                portal_id,
                contact_id: object_id,
                occurred_at,
            });
            continue;
        }
        if !STARTING_EVENTS.contains(&kind.as_str()) {
            parsed.ignored_events += 1;
            continue;
        }
        // eventId is not unique across deliveries: this tuple is.
        let dedupe_key = format!("event:{portal_id}:{kind}:{object_id}:{occurred_at}");
        let form_id = (string_at(event, "changeSource").as_deref() == Some("FORM"))
            .then(|| id_field(obj, "sourceId").ok().flatten())
            .flatten();
        parsed.submissions.push(ParsedSubmission {
            shape: Shape::WebhookEvent,
            portal_id: Some(portal_id),
            form_id,
            external_id: id_field(obj, "eventId")?,
            dedupe_key,
            lead: Lead::default(),
            contact_object_id: Some(object_id),
            submitted_at: Some(occurred_at),
            page_url: None,
        });
    }
    Ok(parsed)
}

fn field_err(field: &str, problem: &str) -> PayloadError {
    PayloadError::Field(format!("field `{field}` {problem}"))
}

fn array_field<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a Vec<Value>, PayloadError> {
    match obj.get(name) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(field_err(name, "must be an array")),
    }
}

/// An id that may come as a number or a string; other types are an error naming the field.
fn id_field(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, PayloadError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(field_err(name, "must be a string or a number")),
    }
}

/// Epoch milliseconds given as a number or a numeric string (Forms API v3 sends strings).
fn time_field(obj: &Map<String, Value>, name: &str) -> Result<Option<i64>, PayloadError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| field_err(name, "must be epoch milliseconds")),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| field_err(name, &format!("({s:?}) must be epoch milliseconds"))),
        Some(_) => Err(field_err(name, "must be epoch milliseconds")),
    }
}

fn string_at(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn string_at_obj(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_string)
}

fn scalar_at(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(scalar)
}

/// Strings as they are; numbers and booleans as text (some forwarders unquote them).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// A dedupe key from the exact bytes, for bodies that carry no id of their own.
fn body_key(prefix: &str, raw: &[u8]) -> String {
    format!("{prefix}:sha256:{}", hex::encode(Sha256::digest(raw)))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// serde_json's message without its trailing " at line L column C" (we say where ourselves).
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_portal_of_a_body_that_does_not_parse() {
        assert_eq!(
            portal_hint(br#"{"portalId": 7, "fieldValues": "oops"}"#).as_deref(),
            Some("7")
        );
        assert_eq!(portal_hint(br#"{"portal-id": "8"}"#).as_deref(), Some("8"));
        assert_eq!(
            portal_hint(br#"[{"portalId": 9}, {"portalId": 9, "x": 1}]"#).as_deref(),
            Some("9")
        );
        assert_eq!(portal_hint(br#"[{"portalId": 9}, {"portalId": 10}]"#), None);
        assert_eq!(portal_hint(br#"[{"portalId": 9}, {}]"#), None);
        assert_eq!(portal_hint(b"not json"), None);
        assert_eq!(portal_hint(b"{}"), None);
    }

    const SEED: &str = r#"{"portalId": 4411223, "formId": "f-1", "formSubmissionId": "s-1",
        "submittedAt": 1764412800000, "pageUrl": "https://x.test/demo",
        "fieldValues": [{"name": "email", "value": " Dana@Northwind.com "},
                        {"name": "firstname", "value": "Dana"}, {"name": "jobtitle", "value": "VP Ops"},
                        {"name": "message", "value": "hi"}]}"#;

    fn one(body: &str) -> ParsedSubmission {
        let mut parsed = parse_payload(body.as_bytes()).unwrap();
        assert_eq!(parsed.submissions.len(), 1);
        parsed.submissions.remove(0)
    }

    #[test]
    fn privacy_deletion_events_are_kept_apart_from_submissions() {
        let body = br#"[{"eventId":1,"portalId":77,"occurredAt":1764412980000,
            "subscriptionType":"contact.privacyDeletion","objectId":3234588},
            {"eventId":2,"portalId":77,"occurredAt":1764412981000,
            "subscriptionType":"contact.propertyChange","objectId":3234588}]"#;
        let parsed = parse_payload(body).unwrap();
        assert!(parsed.submissions.is_empty());
        assert_eq!(parsed.ignored_events, 1);
        assert_eq!(
            parsed.privacy_deletions,
            vec![PrivacyDeletion {
                portal_id: "77".into(),
                contact_id: "3234588".into(),
                occurred_at: 1_764_412_980_000,
            }]
        );
    }

    #[test]
    fn seed_shape() {
        let s = one(SEED);
        assert_eq!(s.shape, Shape::Seed);
        assert_eq!(s.lead.email.as_deref(), Some("dana@northwind.com"));
        assert_eq!(s.lead.job_title.as_deref(), Some("VP Ops"));
        assert_eq!(s.dedupe_key, "seed:4411223:f-1:s-1");
        assert_eq!(s.submitted_at, Some(1764412800000));
    }

    #[test]
    fn forms_v3_shape_takes_company_from_object_0_2() {
        let s = one(r#"{"submittedAt": "1764412860000", "fields": [
                {"objectTypeId": "0-1", "name": "email", "value": "lee@brightline.io"},
                {"objectTypeId": "0-2", "name": "name", "value": "Brightline"}],
                "context": {"pageUri": "https://x.test/pricing"}}"#);
        assert_eq!(s.shape, Shape::FormsV3);
        assert_eq!(s.lead.company.as_deref(), Some("Brightline"));
        assert_eq!(s.submitted_at, Some(1764412860000));
        assert_eq!(s.dedupe_key, "forms_v3:-:lee@brightline.io:1764412860000");
        assert_eq!(s.page_url.as_deref(), Some("https://x.test/pricing"));
    }

    #[test]
    fn workflow_contact_shape_uses_the_latest_form_submission() {
        let s = one(
            r#"{"vid": 7, "portal-id": 44, "properties": {"email": {"value": "sam@harbor.com"},
                "firstname": {"value": "Sam"}},
                "form-submissions": [{"conversion-id": "old", "timestamp": 1, "form-id": "a"},
                                     {"conversion-id": "new", "timestamp": 2, "form-id": "b"}]}"#,
        );
        assert_eq!(s.shape, Shape::WorkflowContact);
        assert_eq!(s.dedupe_key, "contact:44:new");
        assert_eq!(s.form_id.as_deref(), Some("b"));
        assert_eq!(s.contact_object_id.as_deref(), Some("7"));
    }

    #[test]
    fn event_arrays_yield_contact_ids_and_ignore_other_events() {
        let parsed = parse_payload(
            br#"[{"eventId": 1, "portalId": 44, "occurredAt": 100, "subscriptionType": "contact.creation",
                  "objectId": 3234588, "changeSource": "FORM", "sourceId": "form-9"},
                 {"eventId": 1, "portalId": 44, "occurredAt": 101, "subscriptionType": "contact.propertyChange",
                  "objectId": 3234588}]"#,
        )
        .unwrap();
        assert_eq!(parsed.ignored_events, 1);
        let s = &parsed.submissions[0];
        assert_eq!(s.contact_object_id.as_deref(), Some("3234588"));
        assert_eq!(s.dedupe_key, "event:44:contact.creation:3234588:100");
        assert_eq!(s.form_id.as_deref(), Some("form-9"));
        assert_eq!(s.lead.email, None);
    }

    #[test]
    fn bad_input_names_the_problem() {
        let err = |body: &[u8]| parse_payload(body).unwrap_err().to_string();
        assert_eq!(err(b"  \n"), "the payload is empty");
        assert!(
            err(b"{\"a\": ").contains("not valid JSON"),
            "{}",
            err(b"{\"a\": ")
        );
        assert!(err(b"{\"a\": \n 1,}").contains("line 2"));
        assert!(err(b"{\"foo\": 1}").contains("unknown payload shape (top-level keys: foo)"));
        assert!(err(b"[]").contains("empty"));
        assert!(err(b"\"text\"").contains("a JSON string"));
        assert_eq!(
            parse_payload(b"{\"fieldValues\": [], \"x\": \xff}").unwrap_err(),
            PayloadError::NotUtf8 { offset: 25 }
        );
        let missing = err(br#"{"fieldValues": [{"name": "firstname", "value": "A"}]}"#);
        assert_eq!(missing, "field `email` is missing");
        let invalid = err(br#"{"fieldValues": [{"name": "email", "value": "nope"}]}"#);
        assert_eq!(invalid, "field `email` (\"nope\") has no @");
        let shape = err(br#"{"fieldValues": [{"value": "x"}]}"#);
        assert_eq!(
            shape,
            "field `fieldValues[0].name` is missing or not a string"
        );
        let event = err(br#"[{"portalId": 1, "occurredAt": 1, "objectId": 2}]"#);
        assert_eq!(
            event,
            "field `[0].subscriptionType` is missing or not a string"
        );
    }

    #[test]
    fn overlong_fields_are_refused() {
        let long = "x".repeat(600);
        let body = format!(
            r#"{{"fieldValues": [{{"name": "email", "value": "a@b.co"}}, {{"name": "company", "value": "{long}"}}]}}"#
        );
        let err = parse_payload(body.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("`company` is 600 characters"), "{err}");
    }

    #[test]
    fn bodies_without_ids_dedupe_on_their_bytes() {
        let body = br#"{"fieldValues": [{"name": "email", "value": "a@b.co"}]}"#;
        let a = parse_payload(body).unwrap().submissions[0]
            .dedupe_key
            .clone();
        assert!(a.starts_with("seed:sha256:"));
        assert_eq!(a, parse_payload(body).unwrap().submissions[0].dedupe_key);
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::domain::lead::props::check_normalised;
    use crate::props::{awkward_text, config};

    /// Keys the parser looks at, so generated objects reach its deeper branches.
    const KEYS: &[&str] = &[
        "fieldValues",
        "fields",
        "properties",
        "name",
        "value",
        "email",
        "firstname",
        "company",
        "message",
        "portalId",
        "portal-id",
        "formId",
        "formSubmissionId",
        "submittedAt",
        "objectTypeId",
        "form-submissions",
        "timestamp",
        "conversion-id",
        "vid",
        "context",
        "pageUri",
        "subscriptionType",
        "objectId",
        "occurredAt",
        "eventId",
        "changeSource",
        "sourceId",
    ];

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            awkward_text(12).prop_map(Value::from),
            Just(json!("a@b.co")),
            Just(json!("contact.creation")),
            any::<i64>().prop_map(|n| Value::from(n.to_string())),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec(
                    (
                        prop_oneof![
                            proptest::sample::select(KEYS).prop_map(str::to_string),
                            "[a-z]{1,4}"
                        ],
                        inner,
                    ),
                    0..6,
                )
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    /// A well-formed seed, Forms API v3 or workflow-contact payload with awkward field values:
    /// it parses, or names a field.
    fn known_shape_payload() -> impl Strategy<Value = Vec<u8>> {
        let name = prop_oneof![
            proptest::sample::select(
                &[
                    "email",
                    "firstname",
                    "lastname",
                    "company",
                    "jobtitle",
                    "phone",
                    "message",
                    "full name",
                    "favourite",
                ][..]
            )
            .prop_map(str::to_string),
            awkward_text(6),
        ];
        let email = prop_oneof![
            awkward_text(12).prop_map(|local| format!("{local}@Example.COM")),
            Just(" Dana@Northwind.com\r\n".to_string()),
            awkward_text(20),
        ];
        (
            0..3u8,
            email,
            proptest::collection::vec((name, awkward_text(30)), 0..6),
        )
            .prop_map(|(shape, email, fields)| {
                let mut fields = fields;
                fields.insert(0, ("email".to_string(), email));
                let body = match shape {
                    0 => {
                        let values: Vec<Value> = fields
                            .into_iter()
                            .map(|(n, v)| json!({"name": n, "value": v}))
                            .collect();
                        json!({"portalId": 1, "formId": "f", "fieldValues": values})
                    }
                    1 => {
                        let values: Vec<Value> = fields
                            .into_iter()
                            .enumerate()
                            .map(|(i, (n, v))| {
                                let object = if i % 3 == 2 { "0-2" } else { "0-1" };
                                json!({"objectTypeId": object, "name": n, "value": v})
                            })
                            .collect();
                        json!({"submittedAt": "1764412860000", "fields": values})
                    }
                    _ => {
                        let props: Map<String, Value> = fields
                            .into_iter()
                            .map(|(n, v)| (n, json!({"value": v})))
                            .collect();
                        json!({"vid": 7, "portal-id": 44, "properties": props})
                    }
                };
                serde_json::to_vec(&body).unwrap()
            })
    }

    /// What every successful parse promises.
    fn check_parsed(parsed: &ParsedPayload) -> Result<(), TestCaseError> {
        for sub in &parsed.submissions {
            prop_assert!(!sub.dedupe_key.is_empty());
            if sub.shape == Shape::WebhookEvent {
                prop_assert!(sub.contact_object_id.is_some());
                continue;
            }
            check_normalised(&sub.lead)?;
            prop_assert!(validate_lead(&sub.lead).is_ok(), "{:?}", sub.lead);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(config(256))]

        /// Invariant: any bytes give a parse or a typed error, never a panic.
        #[test]
        fn any_bytes_parse_or_fail_with_a_typed_error(
            bytes in proptest::collection::vec(any::<u8>(), 0..256)
        ) {
            if let Ok(parsed) = parse_payload(&bytes) {
                check_parsed(&parsed)?;
            }
        }

        /// Invariant: any JSON, shaped near the payloads we know, parses into clean leads or a
        /// typed error.
        #[test]
        fn any_json_parses_into_normalised_leads_or_fails(value in any_json()) {
            let bytes = serde_json::to_vec(&value).unwrap();
            if let Ok(parsed) = parse_payload(&bytes) {
                check_parsed(&parsed)?;
            }
        }

        /// Invariant: the typed parse of the seed shape gives what the `Value` parse gives, for
        /// any JSON near the payloads we know (it declines what it is not sure of).
        #[test]
        fn the_typed_parse_agrees_with_the_value_tree(value in any_json()) {
            let bytes = serde_json::to_vec(&value).unwrap();
            let text = std::str::from_utf8(&bytes).unwrap();
            prop_assert_eq!(parse_payload(&bytes), parse_tree(text, &bytes));
        }

        /// Invariant: the same for well-formed bodies of each shape with awkward values.
        #[test]
        fn the_typed_parse_agrees_on_each_shape(bytes in known_shape_payload()) {
            let text = std::str::from_utf8(&bytes).unwrap();
            prop_assert_eq!(parse_payload(&bytes), parse_tree(text, &bytes));
        }

        /// Invariant: a payload of each shape with awkward values round-trips through normalisation.
        #[test]
        fn payloads_of_each_shape_with_awkward_values_round_trip(bytes in known_shape_payload()) {
            match parse_payload(&bytes) {
                Ok(parsed) => {
                    prop_assert_eq!(parsed.submissions.len(), 1);
                    check_parsed(&parsed)?;
                }
                Err(e) => prop_assert!(matches!(e, PayloadError::Field(_)), "{e}"),
            }
        }
    }
}
