//! RFC 5322 messages: rendering drafts as bytes a mail system accepts (RFC 2047 headers, CRLF,
//! base64 bodies when needed) and reading headers back.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A message to render. Header values must not contain line breaks; `render` refuses them.
#[derive(Clone, Debug)]
pub struct Message<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub html_body: Option<&'a str>,
    /// Our own Message-ID, with angle brackets.
    pub message_id: &'a str,
    pub date: jiff::Timestamp,
    pub in_reply_to: Option<&'a str>,
    /// Extra `X-` headers, e.g. the workflow that produced the draft.
    pub extra_headers: &'a [(&'a str, &'a str)],
}

/// The deterministic Message-ID of a workflow's draft: a retry finds the draft by it.
pub fn message_id_for(workflow_id: &str, domain: &str) -> String {
    format!("<wf-{workflow_id}@{domain}>")
}

pub fn render(msg: &Message<'_>) -> Result<String, String> {
    let mut headers: Vec<(&str, String)> = vec![
        ("From", msg.from.to_string()),
        ("To", msg.to.to_string()),
        ("Subject", encode_word(msg.subject)),
        ("Date", rfc2822_date(msg.date)),
        ("Message-ID", msg.message_id.to_string()),
        ("MIME-Version", "1.0".to_string()),
    ];
    if let Some(parent) = msg.in_reply_to {
        headers.push(("In-Reply-To", parent.to_string()));
        headers.push(("References", parent.to_string()));
    }
    for (name, value) in msg.extra_headers {
        headers.push((name, value.to_string()));
    }
    for (name, value) in &headers {
        if value.contains(['\r', '\n']) {
            return Err(format!("header {name} contains a line break"));
        }
    }
    let mut out = String::with_capacity(msg.body.len() + 512);
    for (name, value) in &headers {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    match msg.html_body {
        None => {
            out.push_str(&text_part("text/plain", msg.body));
        }
        Some(html) => {
            let boundary = format!("=_alt_{}", msg.message_id.trim_matches(['<', '>']));
            out.push_str(&format!(
                "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
            ));
            for (mime, text) in [("text/plain", msg.body), ("text/html", html)] {
                out.push_str(&format!("--{boundary}\r\n"));
                out.push_str(&text_part(mime, text));
                out.push_str("\r\n");
            }
            out.push_str(&format!("--{boundary}--\r\n"));
        }
    }
    Ok(out)
}

/// Content headers plus body: 7bit when plain ASCII with short lines, base64 otherwise.
fn text_part(mime: &str, text: &str) -> String {
    let normalised = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let simple = normalised.is_ascii() && normalised.split("\r\n").all(|l| l.len() <= 998);
    if simple {
        format!(
            "Content-Type: {mime}; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{normalised}"
        )
    } else {
        let encoded = STANDARD.encode(normalised.as_bytes());
        let mut wrapped = String::with_capacity(encoded.len() + encoded.len() / 76 * 2 + 2);
        for chunk in encoded.as_bytes().chunks(76) {
            wrapped.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            wrapped.push_str("\r\n");
        }
        format!(
            "Content-Type: {mime}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{wrapped}"
        )
    }
}

/// RFC 2047 encoded-words for non-ASCII text, folded so no encoded word exceeds 75 characters.
pub fn encode_word(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
    }
    words.join(" ")
}

/// Decodes `=?UTF-8?B?…?=` words (what `encode_word` writes); other text passes through.
pub fn decode_words(text: &str) -> String {
    let mut out = String::new();
    let mut pending_space = String::new();
    for token in text.split(' ') {
        let decoded = token
            .strip_prefix("=?UTF-8?B?")
            .or_else(|| token.strip_prefix("=?utf-8?b?"))
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|b| STANDARD.decode(b).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        match decoded {
            Some(d) => {
                out.push_str(&d);
                pending_space.clear();
            }
            None => {
                out.push_str(&pending_space);
                out.push_str(token);
                pending_space = " ".into();
                continue;
            }
        }
        pending_space = String::new();
    }
    out
}

pub fn rfc2822_date(at: jiff::Timestamp) -> String {
    jiff::fmt::rfc2822::to_string(&at.to_zoned_datetime(jiff::tz::TimeZone::UTC))
        .unwrap_or_default()
}

/// The header block of a message as (name, value) pairs, unfolded; names keep their case.
pub fn parse_headers(message: &str) -> Vec<(String, String)> {
    let head = message
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .split("\n\n")
        .next()
        .unwrap_or_default();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    headers
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<'a>(subject: &'a str, body: &'a str) -> Message<'a> {
        Message {
            from: "sales@example.com",
            to: "dana@northwind.com",
            subject,
            body,
            html_body: None,
            message_id: "<wf-1@salesagent.local>",
            date: jiff::Timestamp::from_second(1_764_412_800).unwrap(),
            in_reply_to: None,
            extra_headers: &[("X-Salesagent-Workflow", "1")],
        }
    }

    #[test]
    fn renders_headers_and_a_crlf_body() {
        let raw = render(&message("Hello", "Hi Dana,\nthanks")).unwrap();
        let headers = parse_headers(&raw);
        assert_eq!(header(&headers, "to"), Some("dana@northwind.com"));
        assert_eq!(
            header(&headers, "Date"),
            Some("Sat, 29 Nov 2025 10:40:00 +0000")
        );
        assert_eq!(header(&headers, "X-Salesagent-Workflow"), Some("1"));
        assert!(raw.ends_with("\r\n\r\nHi Dana,\r\nthanks"));
    }

    #[test]
    fn non_ascii_subjects_are_encoded_and_decode_back() {
        let subject = "Grüße aus München, und noch ein ziemlich langer Betreff für das Team";
        let raw = render(&message(subject, "Grüße")).unwrap();
        let headers = parse_headers(&raw);
        let encoded = header(&headers, "Subject").unwrap();
        assert!(encoded.starts_with("=?UTF-8?B?"));
        assert!(encoded.split(' ').all(|w| w.len() <= 75));
        assert_eq!(decode_words(encoded), subject);
        assert!(raw.contains("Content-Transfer-Encoding: base64"));
    }

    #[test]
    fn refuses_line_breaks_in_headers() {
        let err = render(&message("Hi\nBcc: x@y.z", "b")).unwrap_err();
        assert_eq!(err, "header Subject contains a line break");
    }

    #[test]
    fn html_alternative_is_multipart() {
        let mut m = message("s", "plain");
        m.html_body = Some("<p>html</p>");
        let raw = render(&m).unwrap();
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/html"));
    }
}
