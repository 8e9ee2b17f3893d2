//! The lead body of `POST /api/v1/submissions` (a form that is not HubSpot's): strict shape, the
//! same normalisation and validation as every other intake path, and errors that name the field.

use serde_json::{Map, Value};

use super::lead::{Lead, LeadField};
use super::submission::{ParsedSubmission, Shape, check_lead};

/// A field of the body that is wrong, and why (answered as 422 with `field`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Top-level fields the body may carry, each a string (or null); `fields` holds the rest.
pub const TEXT_FIELDS: [(&str, Option<LeadField>); 7] = [
    ("email", Some(LeadField::Email)),
    ("first_name", Some(LeadField::FirstName)),
    ("last_name", Some(LeadField::LastName)),
    ("company", Some(LeadField::Company)),
    ("job_title", Some(LeadField::JobTitle)),
    ("message", Some(LeadField::Message)),
    ("form_id", None),
];

/// Longest Idempotency-Key accepted, in bytes.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Checks an `Idempotency-Key` header: 1–255 visible ASCII characters.
pub fn check_idempotency_key(key: &str) -> Result<(), FieldError> {
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(FieldError::new(
            "Idempotency-Key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
        ));
    }
    Ok(())
}

/// Parses the body into one submission. `dedupe_key` is the caller's: derived from the
/// Idempotency-Key (so a repeat is a duplicate) or unique per request.
pub fn parse_api_lead(body: &[u8], dedupe_key: String) -> Result<ParsedSubmission, FieldError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| FieldError::new("body", format!("is not valid JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(FieldError::new("body", "must be a JSON object"));
    };
    let mut lead = Lead::default();
    let mut form_id = None;
    for (name, value) in &obj {
        if name == "fields" {
            continue;
        }
        let Some((_, field)) = TEXT_FIELDS.iter().find(|(n, _)| n == name) else {
            return Err(FieldError::new(
                name,
                format!(
                    "is not a known field; use {}, or put custom fields under \"fields\"",
                    TEXT_FIELDS.map(|(n, _)| n).join(", ")
                ),
            ));
        };
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s,
            _ => return Err(FieldError::new(name, "must be a string")),
        };
        match field {
            Some(f) => lead.set_field(*f, text),
            None => form_id = super::lead::single_line(text),
        }
    }
    if let Some(fields) = obj.get("fields") {
        custom_fields(fields, &mut lead)?;
    }
    let lead = lead.normalise();
    check_lead(&lead).map_err(|(field, why)| FieldError::new(field, why))?;
    if form_id.as_ref().is_some_and(|f| f.chars().count() > 200) {
        return Err(FieldError::new("form_id", "is longer than 200 characters"));
    }
    Ok(ParsedSubmission {
        shape: Shape::Api,
        portal_id: None,
        form_id,
        external_id: None,
        dedupe_key,
        lead,
        contact_object_id: None,
        submitted_at: None,
        page_url: None,
    })
}

/// `fields`: an object of strings, numbers or booleans; known names (phone, …) fill their field.
fn custom_fields(fields: &Value, lead: &mut Lead) -> Result<(), FieldError> {
    let Value::Object(map) = fields else {
        return Err(FieldError::new("fields", "must be an object of strings"));
    };
    check_custom(map)?;
    for (name, value) in map {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        lead.set(name, &text);
    }
    Ok(())
}

fn check_custom(map: &Map<String, Value>) -> Result<(), FieldError> {
    if map.len() > 100 {
        return Err(FieldError::new("fields", "has more than 100 entries"));
    }
    for (name, value) in map {
        let path = format!("fields.{name}");
        if name.is_empty() || name.chars().count() > 100 {
            return Err(FieldError::new(&path, "names must be 1 to 100 characters"));
        }
        match value {
            Value::String(s) if s.chars().count() > 500 => {
                return Err(FieldError::new(&path, "is longer than 500 characters"));
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => {}
            _ => {
                return Err(FieldError::new(
                    &path,
                    "must be a string, number or boolean",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<ParsedSubmission, FieldError> {
        parse_api_lead(body.as_bytes(), "api:k".into())
    }

    #[test]
    fn a_lead_is_normalised_like_every_other_path() {
        let s = parse(
            r#"{"email":" Ann@Example.COM ","first_name":"Ann\nBee","message":"hi\nthere",
                "form_id":"site","fields":{"phone":"+1 555","budget":5000,"newsletter":true}}"#,
        )
        .unwrap();
        assert_eq!(s.shape, Shape::Api);
        assert_eq!(s.lead.email.as_deref(), Some("ann@example.com"));
        assert_eq!(s.lead.first_name.as_deref(), Some("Ann Bee"));
        assert_eq!(s.lead.message.as_deref(), Some("hi\nthere"));
        assert_eq!(s.lead.phone.as_deref(), Some("+1 555"));
        assert_eq!(
            s.lead.custom.get("budget").map(String::as_str),
            Some("5000")
        );
        assert_eq!(s.form_id.as_deref(), Some("site"));
    }

    #[test]
    fn errors_name_the_field() {
        let field = |body: &str| parse(body).unwrap_err().field;
        assert_eq!(field(r#"{"first_name":"x"}"#), "email");
        assert_eq!(field(r#"{"email":"nope"}"#), "email");
        assert_eq!(field(r#"{"email":"a@b.co","first_name":7}"#), "first_name");
        assert_eq!(field(r#"{"email":"a@b.co","nickname":"x"}"#), "nickname");
        assert_eq!(
            field(r#"{"email":"a@b.co","fields":{"a":{"b":1}}}"#),
            "fields.a"
        );
        assert_eq!(field(r#"{"email":"a@b.co","fields":[]}"#), "fields");
        let long = "x".repeat(501);
        assert_eq!(
            field(&format!(r#"{{"email":"a@b.co","company":"{long}"}}"#)),
            "company"
        );
        assert_eq!(field("[1]"), "body");
        assert_eq!(field("{"), "body");
    }

    #[test]
    fn idempotency_keys_are_checked() {
        assert!(check_idempotency_key("order-42").is_ok());
        assert!(check_idempotency_key("").is_err());
        assert!(check_idempotency_key("has space").is_err());
        assert!(check_idempotency_key(&"k".repeat(256)).is_err());
    }
}
