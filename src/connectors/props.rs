//! Property tests of the one RFC 5322 builder, [`OutgoingEmail::to_rfc5322`]: for any lead
//! fields, subject and body, an independent parser (the `mail-parser` crate, not ours) reads
//! back the same To, Subject and body and no header we did not write; every line is CRLF-ended
//! and at most 998 bytes.

use proptest::prelude::*;

use super::{OutgoingEmail, WORKFLOW_HEADER};
use crate::domain::email::wire_address;
use crate::domain::lead::{Lead, single_line};
use crate::domain::template::{default_templates, render, variables};
use crate::props::{awkward_text, config};

/// Valid lead addresses, international domains among them.
fn address() -> impl Strategy<Value = String> {
    let domain = proptest::sample::select(
        &[
            "northwind.com",
            "müller-söhne.de",
            "例え.jp",
            "sub.example.co.uk",
            "xn--bcher-kva.ch",
        ][..],
    );
    ("[a-z0-9][a-z0-9.+_'-]{0,20}[a-z0-9]", domain)
        .prop_map(|(local, domain)| format!("{}@{domain}", local.replace("..", ".")))
}

/// A one-line field as intake stores it (see `lead::single_line`), long ones included.
fn one_line(max: usize) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => awkward_text(max).prop_map(|t| single_line(&t)),
        1 => (awkward_text(3), 100usize..400).prop_map(|(t, n)| single_line(&t.repeat(n))),
    ]
}

/// A subject: what the default templates make of the lead, or any one-line text (emoji,
/// encoded-word look-alikes, a thousand characters without a space).
fn subject(lead: Lead) -> impl Strategy<Value = String> {
    let vars = variables(&lead, "sales@example.com");
    let templated: Vec<String> = default_templates()
        .values()
        .map(|t| render(&t.subject, &vars))
        .collect();
    prop_oneof![
        proptest::sample::select(templated),
        one_line(60).prop_map(Option::unwrap_or_default),
        awkward_text(30).prop_map(|t| t.replace(['\r', '\n'], "")),
        Just("x".repeat(1200)),
        Just(format!("{} 😀", "Grüße ".repeat(60))),
    ]
}

/// A body with any line endings and long lines, multipart boundaries and dots at line starts.
fn body() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => awkward_text(20),
        1 => proptest::sample::select(&["\r\n", "\n", "\r", "\r\n.\r\n", "\nFrom me\n", "\n--=_alt_wf-1@example.com\n"][..])
            .prop_map(str::to_string),
        1 => (1000usize..1400).prop_map(|n| "y".repeat(n)),
    ];
    proptest::collection::vec(piece, 0..10).prop_map(|p| p.concat())
}

fn lead() -> impl Strategy<Value = Lead> {
    (address(), one_line(30), one_line(30), one_line(30)).prop_map(
        |(email, first_name, last_name, company)| Lead {
            email: Some(email),
            first_name,
            last_name,
            company,
            ..Lead::default()
        },
    )
}

/// What a reader gets for a body we wrote: CRLF line ends (lone CRs and LFs included) and a
/// final CRLF, as `email::text_part` promises; worked out here one character at a time.
fn expected_body(body: &str) -> String {
    let mut text = String::with_capacity(body.len() + 2);
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                text.push_str("\r\n");
            }
            '\n' => text.push_str("\r\n"),
            c => text.push(c),
        }
    }
    if !text.ends_with("\r\n") {
        text.push_str("\r\n");
    }
    text
}

/// The headers we write, in order; anything else a parser finds was injected.
fn expected_headers(html: bool, reply: bool) -> Vec<&'static str> {
    let mut names = vec![
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
    ];
    if reply {
        names.extend(["In-Reply-To", "References"]);
    }
    names.extend([WORKFLOW_HEADER, "X-Salesagent-Draft", "Content-Type"]);
    if !html {
        names.push("Content-Transfer-Encoding");
    }
    names
}

fn check_lines(raw: &str) -> Result<(), TestCaseError> {
    prop_assert!(raw.is_ascii(), "the message is not 7-bit");
    prop_assert!(raw.ends_with("\r\n"));
    for line in raw[..raw.len() - 2].split("\r\n") {
        prop_assert!(!line.contains(['\r', '\n']), "a bare CR or LF in {line:?}");
        prop_assert!(line.len() <= 998, "a line of {} bytes", line.len());
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(128))]

    /// Invariant: any lead fields, subject and body give a draft that an independent parser
    /// reads back with the same To, Subject and body, and only the headers we wrote.
    #[test]
    fn drafts_read_back_the_same_through_an_independent_parser(
        (lead, subject) in lead().prop_flat_map(|lead| (Just(lead.clone()), subject(lead))),
        body in body(),
        html in any::<bool>(),
        reply in any::<bool>(),
        sender_name in one_line(30),
    ) {
        let sender_name = sender_name.filter(|n| !n.contains(['"', '\\', '<', '>']));
        let from = match &sender_name {
            Some(name) => format!("{name} <sales@example.com>"),
            None => "sales@example.com".to_string(),
        };
        let email = OutgoingEmail {
            draft_id: "01930000-0000-7000-8000-000000000002".into(),
            workflow_id: "01930000-0000-7000-8000-000000000001".into(),
            message_id: "<wf-1@example.com>".into(),
            from,
            to: lead.email.clone().unwrap(),
            subject: subject.clone(),
            body: body.clone(),
            thread_id: None,
            in_reply_to: reply.then(|| "<parent@mail.example.com>".to_string()),
            date: 1_764_412_800_000,
        };
        let html_body = html.then(|| format!("<p>{}</p>", body.replace('<', "&lt;")));
        let raw = email.to_rfc5322(html_body.as_deref()).map_err(TestCaseError::fail)?;
        check_lines(&raw)?;

        let parsed = mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .ok_or_else(|| TestCaseError::fail("mail-parser could not parse the draft"))?;
        let names: Vec<&str> = parsed.headers().iter().map(|h| h.name()).collect();
        prop_assert_eq!(names, expected_headers(html, reply), "headers injected or lost");
        let to = parsed.to().and_then(|a| a.first()).and_then(|a| a.address());
        let wire_to = wire_address(&email.to).unwrap();
        prop_assert_eq!(to, Some(wire_to.as_str()));
        // An empty Subject reads back as no subject.
        prop_assert_eq!(parsed.subject().unwrap_or_default(), subject.as_str());
        let from = parsed.from().and_then(|a| a.first());
        prop_assert_eq!(from.and_then(|a| a.address()), Some("sales@example.com"));
        prop_assert_eq!(from.and_then(|a| a.name()), sender_name.as_deref());
        let workflow = parsed.header(WORKFLOW_HEADER).and_then(|v| v.as_text());
        prop_assert_eq!(workflow, Some(email.workflow_id.as_str()));
        let text = parsed.body_text(0).map(|t| t.into_owned());
        prop_assert_eq!(text, Some(expected_body(&body)));
        if let Some(html_body) = &html_body {
            prop_assert_eq!(parsed.text_body_count(), 1);
            let html = parsed.body_html(0).map(|t| t.into_owned());
            prop_assert_eq!(html, Some(expected_body(html_body)));
        }
    }

    /// Invariant: a subject with a line break is refused, never written as a second header.
    #[test]
    fn a_line_break_in_the_subject_is_refused(
        before in awkward_text(10),
        brk in proptest::sample::select(&["\r", "\n", "\r\n"][..]),
        after in awkward_text(10),
    ) {
        let email = OutgoingEmail {
            draft_id: "d".into(),
            workflow_id: "w".into(),
            message_id: "<wf-w@example.com>".into(),
            from: "sales@example.com".into(),
            to: "dana@northwind.com".into(),
            subject: format!("{before}{brk}Bcc: x@evil.test{after}"),
            body: "b".into(),
            thread_id: None,
            in_reply_to: None,
            date: 0,
        };
        prop_assert!(email.to_rfc5322(None).is_err());
    }
}
