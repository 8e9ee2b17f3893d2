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
        if let Some(p) = find_placeholder(text) {
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

/// Finds `{{x}}`, `[[x]]`, `{x}`, `[FIRST_NAME]` or `<first_name>`-style leftovers.
fn find_placeholder(text: &str) -> Option<String> {
    for (open, close) in [("{{", "}}"), ("[[", "]]")] {
        if let Some(i) = text.find(open) {
            let end = text[i..]
                .find(close)
                .map(|e| i + e + 2)
                .unwrap_or(text.len().min(i + 20));
            return Some(text[i..end].to_string());
        }
        if text.contains(close) {
            return Some(close.to_string());
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
            return Some(text[i..i + end + 2].to_string());
        }
    }
    None
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
