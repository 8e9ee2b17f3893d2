//! RFC 5322 messages: rendering drafts as bytes a mail system accepts (RFC 2047 headers, CRLF,
//! base64 bodies when needed) and reading headers back.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

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

/// A mailbox: an address and an optional display name (`Jürgen Väth <sales@example.com>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

/// Reads `address`, `Name <address>` or `"Name" <address>`. The address itself is not checked
/// here (see `lead::check_email`).
pub fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    let text = text.trim();
    let Some(open) = text.rfind('<') else {
        if text.contains(['<', '>']) {
            return Err(format!("{text:?} has an unbalanced < or >"));
        }
        return Ok(Mailbox {
            name: None,
            address: text.to_string(),
        });
    };
    let address = text[open + 1..]
        .strip_suffix('>')
        .ok_or_else(|| format!("{text:?} does not end with the address in <>"))?
        .trim();
    let raw_name = text[..open].trim();
    let name = raw_name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .unwrap_or(raw_name)
        .trim();
    if name
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        return Err(format!(
            "the display name {name:?} has a quote, a backslash or a control character"
        ));
    }
    Ok(Mailbox {
        name: (!name.is_empty()).then(|| name.to_string()),
        address: address.to_string(),
    })
}

/// The address as it goes into a header: the domain as IDNA (punycode). A non-ASCII local part
/// needs SMTPUTF8, which Gmail drafts cannot carry: refused.
pub fn wire_address(address: &str) -> Result<String, String> {
    let (local, domain) = address
        .rsplit_once('@')
        .ok_or_else(|| format!("{address:?} is not an email address"))?;
    if !local.is_ascii() {
        return Err(format!(
            "{address:?} has non-ASCII characters before the @ (that needs SMTPUTF8, which Gmail drafts cannot carry)"
        ));
    }
    let domain = idna::domain_to_ascii(domain)
        .map_err(|_| format!("{address:?} has a domain that is not a valid IDNA name"))?;
    Ok(format!("{local}@{domain}"))
}

/// Longest header line we aim for (RFC 5322 2.1.1 "should"), and the hard limit.
const LINE_SOFT: usize = 78;
const LINE_HARD: usize = 998;
/// An encoded word is at most 75 characters (RFC 2047 2); `=?UTF-8?B?` + `?=` take 12.
const WORD_MAX: usize = 75;
const WORD_OVERHEAD: usize = 12;

/// Text that can go into a header as it is: printable ASCII and spaces, nothing a decoder could
/// read as an encoded word, no word too long for a line.
fn header_safe(text: &str) -> bool {
    text.chars().all(|c| c == ' ' || c.is_ascii_graphic())
        && !text.contains("=?")
        && text.split(' ').all(|w| w.len() < LINE_HARD - 40)
}

/// RFC 2047 `B` encoded words for `text`, whole characters in each: the first at most
/// `first_max` characters long (what is left of the header's first line), the rest at most 75.
fn encoded_words(text: &str, first_max: usize) -> Vec<String> {
    let bytes_for = |max: usize| (max.saturating_sub(WORD_OVERHEAD) / 4 * 3).max(4);
    let mut words = Vec::new();
    let mut chunk = String::new();
    let mut limit = bytes_for(first_max.min(WORD_MAX));
    let push = |chunk: &mut String, words: &mut Vec<String>| {
        words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
        chunk.clear();
    };
    for c in text.chars() {
        if !chunk.is_empty() && chunk.len() + c.len_utf8() > limit {
            push(&mut chunk, &mut words);
            limit = bytes_for(WORD_MAX);
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        push(&mut chunk, &mut words);
    }
    words
}

/// Joins `tokens` with single spaces into `Name: value`, folding before a token (CRLF + the
/// space) whenever the line would pass 78 characters. Empty tokens (runs of spaces) never start
/// a line, so no folded line is whitespace only.
fn fold(name: &str, tokens: &[String]) -> String {
    let mut out = format!("{name}:");
    let mut line = out.len();
    for (i, token) in tokens.iter().enumerate() {
        let first = i == 0;
        if !first && !token.is_empty() && line + 1 + token.len() > LINE_SOFT {
            out.push_str("\r\n");
            line = 0;
        }
        out.push(' ');
        out.push_str(token);
        line += 1 + token.len();
    }
    out
}

/// An unstructured header (Subject): as it is when it is plain ASCII without leading or trailing
/// spaces, else encoded words;
/// folded so lines stay within 78 characters where possible and never pass 998.
pub fn unstructured_header(name: &str, value: &str) -> String {
    // Readers drop the whitespace after the colon and before the line end, so a value that
    // starts or ends with a space ("Subject:  ") would read back trimmed; encoded words keep it.
    if header_safe(value) && value.trim_matches(' ') == value {
        let tokens: Vec<String> = value.split(' ').map(str::to_string).collect();
        return fold(name, &tokens);
    }
    let first = LINE_SOFT.saturating_sub(name.len() + 2);
    fold(name, &encoded_words(value, first))
}

/// An address header (From, To): an optional display name (quoted when it has specials,
/// encoded words when not ASCII) and the address with its domain in IDNA.
pub fn mailbox_header(name: &str, mailbox: &Mailbox) -> Result<String, String> {
    let address = wire_address(&mailbox.address)?;
    let Some(display) = &mailbox.name else {
        return Ok(fold(name, &[address]));
    };
    let mut tokens = if header_safe(display) {
        let specials = display.contains(['(', ')', '<', '>', '[', ']', ':', ';', '@', ',', '.']);
        let mut words: Vec<String> = display.split(' ').map(str::to_string).collect();
        if specials {
            // A quoted string may hold folding whitespace (RFC 5322 3.2.4): quote around the
            // words, so a long name folds at its spaces like any other header.
            words[0].insert(0, '"');
            if let Some(last) = words.last_mut() {
                last.push('"');
            }
        }
        words
    } else {
        encoded_words(display, LINE_SOFT.saturating_sub(name.len() + 2))
    };
    tokens.push(format!("<{address}>"));
    Ok(fold(name, &tokens))
}

pub fn render(msg: &Message<'_>) -> Result<String, String> {
    let values = [
        ("From", msg.from),
        ("To", msg.to),
        ("Subject", msg.subject),
        ("Message-ID", msg.message_id),
        ("In-Reply-To", msg.in_reply_to.unwrap_or_default()),
    ];
    for (name, value) in values.iter().chain(msg.extra_headers) {
        if value.contains(['\r', '\n']) {
            return Err(format!("header {name} contains a line break"));
        }
    }
    let from = parse_mailbox(msg.from)?;
    let to = parse_mailbox(msg.to)?;
    let mut lines = vec![
        mailbox_header("From", &from)?,
        mailbox_header("To", &to)?,
        unstructured_header("Subject", msg.subject),
        format!("Date: {}", rfc2822_date(msg.date)),
        format!("Message-ID: {}", msg.message_id),
        "MIME-Version: 1.0".to_string(),
    ];
    if let Some(parent) = msg.in_reply_to {
        lines.push(format!("In-Reply-To: {parent}"));
        lines.push(format!("References: {parent}"));
    }
    for (name, value) in msg.extra_headers {
        lines.push(unstructured_header(name, value));
    }
    let mut out = String::with_capacity(msg.body.len() + 512);
    for line in &lines {
        out.push_str(line);
        out.push_str("\r\n");
    }
    match msg.html_body {
        None => {
            out.push_str(&text_part("text/plain", msg.body, None));
        }
        Some(html) => {
            let boundary = boundary_for(msg.message_id);
            out.push_str(&format!(
                "Content-Type: multipart/alternative;\r\n boundary=\"{boundary}\"\r\n\r\n"
            ));
            // The CRLF before each delimiter belongs to it (RFC 2046 5.1.1), so every part
            // keeps its own final CRLF.
            for (i, (mime, text)) in [("text/plain", msg.body), ("text/html", html)]
                .into_iter()
                .enumerate()
            {
                let lead = if i == 0 { "" } else { "\r\n" };
                out.push_str(&format!("{lead}--{boundary}\r\n"));
                out.push_str(&text_part(mime, text, Some(&boundary)));
            }
            out.push_str(&format!("\r\n--{boundary}--\r\n"));
        }
    }
    Ok(out)
}

/// The multipart boundary of a message: deterministic (the same draft renders the same bytes)
/// and 30 characters, within RFC 2046's 70 whatever the Message-ID's length.
fn boundary_for(message_id: &str) -> String {
    let digest = hex::encode(Sha256::digest(message_id.as_bytes()));
    format!("=_alt_{}", &digest[..24])
}

/// Content headers plus body: 7bit when plain ASCII with short lines, base64 otherwise. Line
/// ends are CRLF, lone CRs included, and the body always ends with one. Inside a multipart,
/// a text holding its `boundary` delimiter goes in base64 too (base64 never holds `--`).
fn text_part(mime: &str, text: &str, boundary: Option<&str>) -> String {
    let mut normalised = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n");
    if !normalised.ends_with("\r\n") {
        normalised.push_str("\r\n");
    }
    let simple = normalised.is_ascii()
        && normalised.split("\r\n").all(|l| l.len() <= 998)
        && boundary.is_none_or(|b| !normalised.contains(&format!("--{b}")));
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

    /// Found by `connectors::props::drafts_read_back_the_same_through_an_independent_parser`:
    /// a subject of " " was written as plain text and read back as "".
    #[test]
    fn a_subject_with_leading_or_trailing_spaces_reads_back_the_same() {
        for subject in [" ", " Hello", "Hello ", "  two  "] {
            let raw = format!(
                "{}\r\n\r\nbody\r\n",
                unstructured_header("Subject", subject)
            );
            let parsed = mail_parser::MessageParser::default()
                .parse(raw.as_bytes())
                .unwrap();
            assert_eq!(parsed.subject().unwrap_or_default(), subject, "{raw:?}");
        }
        assert_eq!(
            unstructured_header("Subject", "Hello there"),
            "Subject: Hello there"
        );
    }

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
        assert!(raw.ends_with("\r\n\r\nHi Dana,\r\nthanks\r\n"));
    }

    fn header_lines(raw: &str) -> Vec<&str> {
        raw.split("\r\n\r\n")
            .next()
            .unwrap()
            .split("\r\n")
            .collect()
    }

    #[test]
    fn long_subjects_fold_within_78_characters() {
        let ascii = "Following up on your request about the enterprise plan ".repeat(4);
        let emoji = "\u{1F680}".repeat(190);
        for subject in [ascii.trim(), emoji.as_str(), &"Grüße ".repeat(40)] {
            let raw = render(&message(subject, "b")).unwrap();
            for line in header_lines(&raw) {
                assert!(line.len() <= 78, "{} chars: {line}", line.len());
                assert!(!line.trim().is_empty());
            }
            let headers = parse_headers(&raw);
            let folded = header(&headers, "Subject").unwrap();
            assert_eq!(decode_words(folded), subject);
            for word in folded.split(' ').filter(|w| w.starts_with("=?")) {
                assert!(word.len() <= 75, "{word}");
            }
        }
    }

    #[test]
    fn domains_go_out_as_punycode_and_non_ascii_local_parts_are_refused() {
        let mut m = message("s", "b");
        m.to = "zoe@müller-söhne.de";
        let raw = render(&m).unwrap();
        assert!(
            raw.contains("\r\nTo: zoe@xn--mller-shne-kcb9d.de\r\n"),
            "{raw}"
        );
        m.to = "zoë@müller-söhne.de";
        let err = render(&m).unwrap_err();
        assert!(err.contains("non-ASCII characters before the @"), "{err}");
    }

    #[test]
    fn senders_may_carry_a_display_name() {
        let mut m = message("s", "b");
        m.from = "Jürgen Väth <sales@example.com>";
        let raw = render(&m).unwrap();
        let from = header(&parse_headers(&raw), "From").unwrap().to_string();
        assert!(from.starts_with("=?UTF-8?B?") && from.ends_with(" <sales@example.com>"));
        assert_eq!(
            decode_words(from.trim_end_matches(" <sales@example.com>")),
            "Jürgen Väth"
        );
        m.from = "Sales Team, ACME <sales@example.com>";
        let raw = render(&m).unwrap();
        assert!(raw.contains("From: \"Sales Team, ACME\" <sales@example.com>\r\n"));
        assert_eq!(
            parse_mailbox("\"Dana\" <d@x.com>").unwrap(),
            Mailbox {
                name: Some("Dana".into()),
                address: "d@x.com".into()
            }
        );
        assert!(parse_mailbox("Dana <d@x.com").is_err());
    }

    /// Found by `connectors::props::drafts_read_back_the_same_through_an_independent_parser`:
    /// a quoted display name was one token, so nothing folded it (a From line of 3,928 bytes).
    #[test]
    fn long_quoted_display_names_fold_inside_the_quotes() {
        let name = "Sales: Team ".repeat(300);
        let mut m = message("s", "b");
        let from = format!("{} <sales@example.com>", name.trim());
        m.from = &from;
        let raw = render(&m).unwrap();
        for line in header_lines(&raw) {
            assert!(line.len() <= 78, "{} chars: {line}", line.len());
        }
        let from = header(&parse_headers(&raw), "From").unwrap().to_string();
        assert_eq!(from, format!("\"{}\" <sales@example.com>", name.trim()));
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

    fn boundary_of(raw: &str) -> String {
        let at = raw.find("boundary=\"").unwrap() + "boundary=\"".len();
        raw[at..].split('"').next().unwrap().to_string()
    }

    /// Found by `connectors::props::drafts_read_back_the_same_through_an_independent_parser`:
    /// a plain-text line `--<boundary>` ended the part early (a parser read an empty body).
    #[test]
    fn a_body_holding_the_boundary_is_encoded() {
        let mut m = message("s", "plain");
        m.html_body = Some("<p>html</p>");
        let boundary = boundary_of(&render(&m).unwrap());
        let body = format!("Hi\n--{boundary}\nthe rest\n");
        m.body = &body;
        let raw = render(&m).unwrap();
        let delimiters = raw.matches(&format!("\r\n--{boundary}")).count();
        assert_eq!(delimiters, 3, "opening, between the parts, closing: {raw}");
        let plain = raw.split("Content-Type: text/plain").nth(1).unwrap();
        assert!(plain.contains("Content-Transfer-Encoding: base64"), "{raw}");
    }

    /// Found by the strict parse in `tests/cli/mime.rs`: the boundary held the whole
    /// Message-ID, so the multipart Content-Type line passed 78 characters (and the boundary
    /// could pass RFC 2046's 70).
    #[test]
    fn the_multipart_header_stays_within_78_characters() {
        let id = format!(
            "<wf-01930000-0000-7000-8000-000000000001@{}>",
            "sub.".repeat(12)
        );
        let mut m = message("s", "plain");
        m.message_id = &id;
        m.html_body = Some("<p>html</p>");
        let raw = render(&m).unwrap();
        let head = raw.split("\r\n\r\n").next().unwrap();
        for line in head.split("\r\n").filter(|l| !l.starts_with("Message-ID:")) {
            assert!(line.len() <= 78, "{} chars: {line}", line.len());
        }
        assert!(boundary_of(&raw).len() <= 70);
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
