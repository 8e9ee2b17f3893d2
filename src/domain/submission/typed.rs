//! The forwarder's (seed) shape parsed straight from the bytes into what the submission needs,
//! without building a `serde_json::Value` tree first: intake's common case (issue 16). It
//! answers only for bodies it is sure of; anything else (another shape, a field of an
//! unexpected type, a repeated key, bad JSON) is `None`, and the `Value` parse, which owns
//! every error message, parses the body again. Both read each value with the same rules, and
//! both build the submission with `seed_submission`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use super::{ParsedSubmission, PayloadError, SeedIds, seed_submission};
use crate::domain::lead::Lead;

/// The seed body's submission (`Some(Err)`: it is one, and its lead is invalid), or `None` when
/// this parse is not sure of it.
pub(super) fn seed(text: &str, raw: &[u8]) -> Option<Result<ParsedSubmission, PayloadError>> {
    // A struct visitor would take `[…]` positionally too; only an object is a seed body.
    if !text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let body = Deserializer::deserialize_map(&mut de, SeedVisitor).ok()?;
    de.end().ok()?;
    let mut lead = Lead::default();
    for field in body.field_values? {
        lead.set(&field.name?, &field.value?);
    }
    let ids = SeedIds {
        portal_id: body.portal_id.0,
        form_id: body.form_id.0,
        external_id: body.form_submission_id.0,
        submitted_at: body.submitted_at.0,
        page_url: body.page_url.0,
    };
    Some(seed_submission(ids, lead, raw))
}

#[derive(Default)]
struct SeedBody<'a> {
    field_values: Option<Vec<Field<'a>>>,
    portal_id: Id,
    form_id: Id,
    form_submission_id: Id,
    submitted_at: Time,
    page_url: Loose,
}

/// A repeated key: the `Value` parse keeps the last one; this one declines.
fn once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    seen: &mut bool,
    map: &mut A,
) -> Result<T, A::Error> {
    if std::mem::replace(seen, true) {
        return Err(de::Error::custom("repeated key"));
    }
    map.next_value()
}

struct SeedVisitor;

impl<'de> Visitor<'de> for SeedVisitor {
    type Value = SeedBody<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a seed body")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SeedBody<'de>, A::Error> {
        let mut body = SeedBody::default();
        let mut seen = [false; 6];
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "fieldValues" => body.field_values = Some(once(&mut seen[0], &mut map)?),
                "portalId" => body.portal_id = once(&mut seen[1], &mut map)?,
                "formId" => body.form_id = once(&mut seen[2], &mut map)?,
                "formSubmissionId" => body.form_submission_id = once(&mut seen[3], &mut map)?,
                "submittedAt" => body.submitted_at = once(&mut seen[4], &mut map)?,
                "pageUrl" => body.page_url = once(&mut seen[5], &mut map)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(body)
    }
}

/// One item of `fieldValues`: `None` where the `Value` parse would name it as missing.
struct Field<'a> {
    name: Option<Cow<'a, str>>,
    value: Option<Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> Visitor<'de> for FieldVisitor {
            type Value = Field<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a {name, value} object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field<'de>, A::Error> {
                let (mut name, mut value) = (None, None);
                let mut seen = [false; 2];
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match &*key {
                        "name" => name = Some(once::<_, Text>(&mut seen[0], &mut map)?.0),
                        "value" => value = Some(once::<_, Scalar>(&mut seen[1], &mut map)?.0),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Field { name, value })
            }
        }
        d.deserialize_map(FieldVisitor)
    }
}

/// A JSON string, and nothing else.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(TextVisitor)
    }
}

/// A field's value as the `Value` parse's `scalar` reads it: strings as they are, numbers and
/// booleans as text, null as empty; an array or object is not one.
struct Scalar<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(Number::from(v).to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(Number::from(v).to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
                // A number the `Value` tree cannot hold is its null: empty.
                let text = Number::from_f64(v).map(|n| n.to_string());
                Ok(Scalar(Cow::Owned(text.unwrap_or_default())))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed(if v { "true" } else { "false" })))
            }
            fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed("")))
            }
        }
        d.deserialize_any(ScalarVisitor)
    }
}

/// An id as the `Value` parse's `id_field` reads it: a string (trimmed; blank is none) or a
/// number as text; null or absent is none; anything else is not one.
#[derive(Default)]
struct Id(Option<String>);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E>(self, v: &str) -> Result<Id, E> {
                let v = v.trim();
                Ok(Id((!v.is_empty()).then(|| v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Id, E> {
                Ok(Id(Some(Number::from(v).to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Id, E> {
                Ok(Id(Some(Number::from(v).to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Id, E> {
                Ok(Id(Number::from_f64(v).map(|n| n.to_string())))
            }
            fn visit_unit<E>(self) -> Result<Id, E> {
                Ok(Id(None))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

/// Epoch milliseconds as the `Value` parse's `time_field` reads them: an integer, or a string
/// holding one; null or absent is none; anything else is not one.
#[derive(Default)]
struct Time(Option<i64>);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TimeVisitor;
        impl Visitor<'_> for TimeVisitor {
            type Value = Time;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("epoch milliseconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Time, E> {
                v.trim()
                    .parse::<i64>()
                    .map(|t| Time(Some(t)))
                    .map_err(E::custom)
            }
            fn visit_i64<E>(self, v: i64) -> Result<Time, E> {
                Ok(Time(Some(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Time, E> {
                i64::try_from(v).map(|t| Time(Some(t))).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Time, E> {
                // A float is no epoch time; one the `Value` tree cannot hold is its null.
                match Number::from_f64(v) {
                    None => Ok(Time(None)),
                    Some(_) => Err(E::custom("not an integer")),
                }
            }
            fn visit_unit<E>(self) -> Result<Time, E> {
                Ok(Time(None))
            }
        }
        d.deserialize_any(TimeVisitor)
    }
}

/// What the `Value` parse's `string_at_obj` keeps: a string; any other value is none.
#[derive(Default)]
struct Loose(Option<String>);

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LooseVisitor;
        impl<'de> Visitor<'de> for LooseVisitor {
            type Value = Loose;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_unit<E>(self) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
        }
        d.deserialize_any(LooseVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse_payload, parse_tree};

    /// The typed parse against the `Value` parse on the same bytes.
    fn same(body: &[u8]) {
        let text = std::str::from_utf8(body).unwrap();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        assert_eq!(
            parse_payload(body),
            parse_tree(text, body),
            "{}",
            String::from_utf8_lossy(body)
        );
    }

    /// The typed parse answers for the forwarder's bodies (the comparisons below would also
    /// pass if it declined everything).
    #[test]
    fn the_typed_parse_answers_for_seed_bodies() {
        let fixture = include_str!("../../../fixtures/seed-shape.json");
        let sub = super::seed(fixture, fixture.as_bytes()).unwrap().unwrap();
        assert_eq!(
            sub.lead.email.as_deref(),
            Some("dana.whitfield@northwind-robotics.com")
        );
        assert_eq!(sub.portal_id.as_deref(), Some("4411223"));
        let escaped =
            r#"{"fieldValues": [{"name": "email", "value": "a\u0040b.co"}], "pageUrl": "x"}"#;
        assert!(super::seed(escaped, escaped.as_bytes()).is_some());
        assert!(super::seed("[]", b"[]").is_none());
        assert!(super::seed(r#"{"fields": []}"#, b"").is_none());
    }

    #[test]
    fn every_fixture_parses_as_the_value_tree_does() {
        let mut seen = 0;
        for dir in ["fixtures", "fixtures/invalid"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "json") {
                    let body = std::fs::read(&path).unwrap();
                    if std::str::from_utf8(&body).is_ok() && !body.trim_ascii().is_empty() {
                        same(&body);
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen >= 8, "{seen} fixtures");
    }

    /// Bodies at the edges of the seed shape: the typed parse either declines them (and the
    /// `Value` parse answers) or gives exactly the `Value` parse's submission or error.
    #[test]
    fn seed_edge_cases_parse_as_the_value_tree_does() {
        let email = r#"{"name": "email", "value": "a@b.co"}"#;
        let bodies = [
            format!(r#"{{"fieldValues": [{email}]}}"#),
            format!(r#"  {{"portalId": " 7 ", "formId": 3, "formSubmissionId": "", "fieldValues": [{email}]}}"#),
            format!(r#"{{"portalId": 1.5, "formId": -2, "formSubmissionId": 18446744073709551615, "fieldValues": [{email}]}}"#),
            format!(r#"{{"portalId": 1e30, "fieldValues": [{email}]}}"#),
            format!(r#"{{"portalId": true, "fieldValues": [{email}]}}"#),
            format!(r#"{{"portalId": null, "formId": null, "submittedAt": null, "pageUrl": null, "fieldValues": [{email}]}}"#),
            format!(r#"{{"submittedAt": " 1764412800000 ", "fieldValues": [{email}]}}"#),
            format!(r#"{{"submittedAt": "soon", "fieldValues": [{email}]}}"#),
            format!(r#"{{"submittedAt": 1.5, "fieldValues": [{email}]}}"#),
            format!(r#"{{"submittedAt": 9223372036854775808, "fieldValues": [{email}]}}"#),
            format!(r#"{{"submittedAt": -5, "fieldValues": [{email}]}}"#),
            format!(r#"{{"pageUrl": 5, "fieldValues": [{email}]}}"#),
            format!(r#"{{"pageUrl": {{"a": [1, 2]}}, "fieldValues": [{email}]}}"#),
            format!(r#"{{"pageUrl": "https://x.test/\u00e9", "fieldValues": [{email}]}}"#),
            format!(r#"{{"fieldValues": [{email}], "fieldValues": []}}"#),
            format!(r#"{{"fieldValues": [{email}], "portalId": 1, "portalId": 2}}"#),
            format!(r#"{{"fieldValues": [{email}], "fields": [], "properties": {{}}}}"#),
            format!(r#"{{"field\u0056alues": [{email}]}}"#),
            format!(r#"{{"fieldValues": [{email}], "other": {{"deep": [[[{{}}]]]}}}}"#),
            format!(r#"{{"fieldValues": [{email}]}} trailing"#),
            format!(r#"{{"fieldValues": [{email}],}}"#),
            format!(r#"[{{"fieldValues": [{email}]}}]"#),
            r#"{"fieldValues": [["email", "a@b.co"]]}"#.to_string(),
            format!(r#"{{"fieldValues": [{email}, "x"]}}"#),
            format!(r#"{{"fieldValues": {email}}}"#),
            r#"{"fieldValues": null}"#.to_string(),
            r#"{"fieldValues": []}"#.to_string(),
            r#"{"fieldValues": [{"name": "email"}]}"#.to_string(),
            r#"{"fieldValues": [{"value": "a@b.co"}]}"#.to_string(),
            r#"{"fieldValues": [{"name": 5, "value": "a@b.co"}]}"#.to_string(),
            r#"{"fieldValues": [{"name": "email", "value": "a@b.co", "name": "x"}]}"#.to_string(),
            r#"{"fieldValues": [{"name": "email", "value": ["a@b.co"]}]}"#.to_string(),
            r#"{"fieldValues": [{"name": "email", "value": "nope"}]}"#.to_string(),
            r#"{"fieldValues": [{"name": "email", "value": " A@B.CO "}, {"name": "phone", "value": 5551234}, {"name": "optin", "value": true}, {"name": "fax", "value": null}, {"name": "score", "value": 1.25}]}"#.to_string(),
            r#"{"fieldValues": [{"name": "e\u006dail", "value": "a\u0040b.co"}, {"name": "message", "value": "line\r\nnext\ttab"}, {"name": "firstname", "value": "Dana\r\nBcc: x@evil.com"}]}"#.to_string(),
            r#"{"fieldValues": [{"name": "email", "value": "a@b.co"}, {"name": "email", "value": "c@d.co"}]}"#.to_string(),
            r#"{"fieldValues": [{"name": "email", "value": "a@b.co"}, {"name": "full name", "value": " Mary  Ann "}, {"name": "favourite", "value": "teal"}]}"#.to_string(),
            format!(r#"{{"fieldValues": [{email}, {{"name": "company", "value": "{}"}}]}}"#, "x".repeat(600)),
            "\u{feff}{\"fieldValues\": [{\"name\": \"email\", \"value\": \"a@b.co\"}]}".to_string(),
        ];
        for body in &bodies {
            same(body.as_bytes());
        }
    }
}
