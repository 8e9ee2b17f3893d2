//! Content guards: the last check before a draft exists. Every violation is reported, not just the
//! first, so the operator can fix the template in one go.

use crate::config::GuardConfig;

pub struct DraftContent<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

pub fn check(config: &GuardConfig, draft: &DraftContent<'_>) -> Result<(), Vec<String>> {
    check_with_lead_text(config, draft, &[])
}

/// [`check`] for a draft written for a lead: `lead_text` is what the lead typed (every field's
/// value). A placeholder-looking piece of the draft that the lead wrote themselves (a name such as
/// `{{ secret }}`) is their text quoted back, not an unfilled placeholder of the template; only the
/// placeholders the lead did not type are refused.
pub fn check_with_lead_text(
    config: &GuardConfig,
    draft: &DraftContent<'_>,
    lead_text: &[&str],
) -> Result<(), Vec<String>> {
    let mut violations = Vec::new();
    for (name, value) in [
        ("From", draft.from),
        ("To", draft.to),
        ("Subject", draft.subject),
    ] {
        if value.contains(['\r', '\n']) {
            violations.push(format!(
                "header {name} contains a line break (header injection)"
            ));
        }
    }
    if draft.subject.trim().is_empty() {
        violations.push("subject is empty".into());
    }
    if draft.body.trim().is_empty() {
        violations.push("body is empty".into());
    }
    let subject_chars = draft.subject.chars().count();
    if subject_chars > config.max_subject_chars {
        violations.push(format!(
            "subject is {subject_chars} characters; at most {} allowed",
            config.max_subject_chars
        ));
    }
    let body_chars = draft.body.chars().count();
    if body_chars > config.max_body_chars {
        violations.push(format!(
            "body is {body_chars} characters; at most {} allowed",
            config.max_body_chars
        ));
    }
    for (part, text) in [("subject", draft.subject), ("body", draft.body)] {
        if let Some(p) = placeholders(&without(text, lead_text)).into_iter().next() {
            violations.push(format!("{part} has an unfilled placeholder {p}"));
        }
    }
    if let Some(line) = &config.unsubscribe_line
        && !draft.body.contains(line.as_str())
    {
        violations.push(format!("body lacks the unsubscribe line {line:?}"));
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

/// `text` with every occurrence of the lead's own values blanked out (longest first), so only
/// what the template or the composer wrote is scanned.
fn without(text: &str, lead_text: &[&str]) -> String {
    let mut values: Vec<&str> = lead_text
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    values.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let mut text = text.to_string();
    for value in values {
        if text.contains(value) {
            text = text.replace(value, " ");
        }
    }
    text
}

/// Every `{{x}}`, `[[x]]` (or a stray `}}`, `]]`), `{x}`, `[FIRST_NAME]` or `<first_name>`-style
/// leftover in `text`, in order.
fn placeholders(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (open, close) in [("{{", "}}"), ("[[", "]]")] {
        let mut covered = vec![];
        let mut from = 0;
        while let Some(i) = text[from..].find(open).map(|i| from + i) {
            let end = text[i + 2..]
                .find(close)
                .map(|e| i + 2 + e + 2)
                .unwrap_or_else(|| floor_char_boundary(text, text.len().min(i + 20)));
            found.push(text[i..end].to_string());
            covered.push(i..end);
            from = end.max(i + 2);
        }
        let mut from = 0;
        while let Some(i) = text[from..].find(close).map(|i| from + i) {
            if !covered.iter().any(|r| r.contains(&i)) {
                found.push(close.to_string());
            }
            from = i + 2;
        }
    }
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let close = match b {
            b'{' => b'}',
            b'[' => b']',
            b'<' => b'>',
            _ => continue,
        };
        let rest = &text[i + 1..];
        let Some(end) = rest.find(close as char) else {
            continue;
        };
        let name = &rest[..end];
        let identifier = !name.is_empty()
            && name.len() <= 40
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name.chars().any(|c| c.is_ascii_alphabetic());
        // `{first_name}` and `[FIRST_NAME]`: snake case or all caps; `<name>` only as snake case.
        let looks_like_variable = name.contains('_')
            || (b != b'<'
                && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                && name.len() > 1)
            || (b == b'{');
        if identifier && looks_like_variable {
            found.push(text[i..i + end + 2].to_string());
        }
    }
    found
}

/// The largest char boundary at or below `i`.
fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft<'a>(subject: &'a str, body: &'a str) -> DraftContent<'a> {
        DraftContent {
            from: "sales@example.com",
            to: "dana@northwind.com",
            subject,
            body,
        }
    }

    #[test]
    fn a_clean_draft_passes() {
        let config = GuardConfig::default();
        assert!(
            check(
                &config,
                &draft("Hello Dana", "Hi Dana,\n\nThanks! [1] <3 {}")
            )
            .is_ok()
        );
    }

    #[test]
    fn refuses_unfilled_placeholders() {
        let config = GuardConfig::default();
        for body in [
            "Hi {{first_name}}",
            "Hi [[name]]",
            "Hi {first_name}",
            "Hi [FIRST_NAME]",
            "Hi <first_name>",
            "Hi }}",
        ] {
            let err = check(&config, &draft("s", body)).unwrap_err();
            assert!(err[0].contains("unfilled placeholder"), "{body}: {err:?}");
        }
    }

    #[test]
    fn what_the_lead_typed_is_not_a_placeholder() {
        let config = GuardConfig::default();
        for typed in [
            "{{unsubscribe_url}}",
            "{{ secret }}",
            "[[x]]",
            "{job_title}",
            "}}",
            "{{",
        ] {
            let body = format!("Hi {typed},\n\nThanks.");
            assert!(check(&config, &draft("s", &body)).is_err(), "{typed}");
            assert!(
                check_with_lead_text(&config, &draft("s", &body), &[typed]).is_ok(),
                "{typed}"
            );
            // The template's own leftover is still refused beside the lead's text.
            let both = format!("{body} {{{{company}}}}");
            let err = check_with_lead_text(&config, &draft("s", &both), &[typed]).unwrap_err();
            assert!(err[0].contains("unfilled placeholder"), "{typed}: {err:?}");
        }
    }

    #[test]
    fn refuses_empty_parts_and_header_injection() {
        let config = GuardConfig::default();
        let err = check(&config, &draft(" ", "")).unwrap_err();
        assert!(err.contains(&"subject is empty".to_string()));
        assert!(err.contains(&"body is empty".to_string()));
        let err = check(&config, &draft("Hi\r\nBcc: evil@x.com", "body")).unwrap_err();
        assert_eq!(
            err,
            vec!["header Subject contains a line break (header injection)"]
        );
    }

    #[test]
    fn requires_the_unsubscribe_line_when_configured() {
        let config = GuardConfig {
            unsubscribe_line: Some("Reply STOP to opt out.".into()),
            ..GuardConfig::default()
        };
        assert!(check(&config, &draft("s", "hello")).is_err());
        assert!(check(&config, &draft("s", "hello\nReply STOP to opt out.")).is_ok());
    }
}
