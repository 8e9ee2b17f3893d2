//! Drafts every mail parser reads cleanly: each draft the binary writes is parsed by Python's
//! `email` package with `policy.strict` (defects raise) and checked line by line: CRLF only,
//! header lines within 78 characters, no line over 998 bytes, a final CRLF; long and emoji
//! subjects fold into RFC 2047 words of at most 75 characters; IDN domains go out as punycode;
//! senders keep their display name.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::env::{TestEnv, stderr};

/// Parses `raw` strictly with Python and returns what it read, or panics with the defect.
pub fn strict_parse(raw: &[u8]) -> Value {
    let script = r#"
import email.parser, email.policy, json, sys
raw = sys.stdin.buffer.read()
lines = raw.split(b"\r\n")
assert raw.endswith(b"\r\n"), "the message does not end with CRLF"
assert b"\n" not in raw.replace(b"\r\n", b""), "a bare LF"
assert b"\r" not in raw.replace(b"\r\n", b""), "a bare CR"
head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
for line in head:
    assert len(line) <= 78, "header line of %d characters: %r" % (len(line), line)
    assert line.strip(), "a header line that is only whitespace"
for line in lines:
    assert len(line) <= 998, "line of %d bytes" % len(line)
msg = email.parser.BytesParser(policy=email.policy.strict).parsebytes(raw)
assert not msg.defects, msg.defects
sender = msg["From"].addresses[0]
to = msg["To"].addresses[0]
body = msg.get_body(("plain",)).get_content()
print(json.dumps({
    "subject": str(msg["Subject"]),
    "from_name": sender.display_name,
    "from_address": sender.addr_spec,
    "to": to.addr_spec,
    "message_id": str(msg["Message-ID"]),
    "body": body,
}))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "Python's strict parser refused the message:\n{}\n--- message ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(raw)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn payload(email: &str) -> String {
    format!(
        r#"{{"portalId":62515,"formId":"f-mime","formSubmissionId":"sub-{email}","submittedAt":1764412800000,
        "fieldValues":[{{"name":"email","value":"{email}"}},{{"name":"firstname","value":"Zoë"}},
        {{"name":"company","value":"Müller & Söhne"}}]}}"#
    )
}

/// Runs one lead through `run` with this template subject and body; returns the draft's bytes.
fn draft_for(env: &TestEnv, subject: &str, body: &str, email: &str) -> Vec<u8> {
    draft_from(env, "Jürgen Väth <sales@example.com>", subject, body, email)
}

/// [`draft_for`] with this configured sender.
fn draft_from(env: &TestEnv, sender: &str, subject: &str, body: &str, email: &str) -> Vec<u8> {
    env.write_config(&format!(
        "[routing]\ndefault_sender = {sender:?}\nrules = []\n\n\
         [templates.default]\nsubject = {subject:?}\nbody = {body:?}\n"
    ));
    let file = env.write_file(&format!("{email}.json"), payload(email));
    let out = env.run(&["run", file.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = crate::env::parse_json(&out.stdout);
    let draft = report["draft"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no draft in {report:#}"));
    std::fs::read(env.mail_dir().join("drafts").join(format!("{draft}.eml"))).unwrap()
}

#[test]
fn drafts_parse_strictly_with_long_and_emoji_subjects_idn_domains_and_display_names() {
    let env = TestEnv::new();
    let long = "Following up on your request about the enterprise plan for the whole team, \
                with pricing for every region and a few dates that could suit a first call soon";
    let emoji = "\u{1F680}".repeat(190);
    let cases = [
        (
            long.to_string(),
            "Hi {{first_name}},\nthanks for asking.",
            "zoe@müller-söhne.de",
        ),
        (
            emoji.clone(),
            "Hi {{first_name}}, no final newline",
            "lee@example.com",
        ),
        (
            format!(
                "Grüße an {{{{company}}}}: {}",
                "sehr lange Zeile ".repeat(8)
            ),
            "Grüße\n\nJürgen",
            "dana@example.org",
        ),
    ];
    for (subject, body, email) in &cases {
        let raw = draft_for(&env, subject, body, email);
        let parsed = strict_parse(&raw);
        let expected_subject = subject.replace("{{company}}", "Müller & Söhne");
        let got = parsed["subject"].as_str().unwrap();
        assert_eq!(got.trim(), expected_subject.trim(), "{parsed:#}");
        assert_eq!(parsed["from_name"], "Jürgen Väth");
        assert_eq!(parsed["from_address"], "sales@example.com");
        let expected_to = email.replace("müller-söhne.de", "xn--mller-shne-kcb9d.de");
        assert_eq!(parsed["to"], expected_to.as_str());
        assert!(parsed["body"].as_str().unwrap().ends_with('\n'));
    }
    // The draft row records the sender's address; the lead keeps its address as received.
    let drafts = env.json(&["drafts", "list"]);
    let rows = drafts.as_array().unwrap();
    assert!(
        rows.iter().all(|d| d["from"] == "sales@example.com"),
        "{drafts:#}"
    );
    assert!(
        rows.iter().any(|d| d["to"] == "zoe@müller-söhne.de"),
        "{drafts:#}"
    );
}

/// Found by `connectors::props::drafts_read_back_the_same_through_an_independent_parser`: a
/// display name with specials was quoted as one unfoldable token, so a long one made a From
/// line past 78 characters (past 998 when longer still). It now folds at its spaces.
#[test]
fn a_long_quoted_sender_name_folds_like_any_header() {
    let env = TestEnv::new();
    let name = "Northwind Robotics Ltd., Enterprise Sales and Customer Success (EMEA and APAC)";
    let raw = draft_from(
        &env,
        &format!("{name} <sales@example.com>"),
        "Hello",
        "Hi",
        "lee@example.com",
    );
    let parsed = strict_parse(&raw);
    assert_eq!(parsed["from_name"], name, "{parsed:#}");
    assert_eq!(parsed["from_address"], "sales@example.com");
}

#[test]
fn a_non_ascii_local_part_is_refused_at_validation_and_the_lead_is_kept() {
    let lead = "zoë@müller-söhne.de";
    let env = crate::server_support::signed_env();
    // `run` refuses the file before anything is written, saying why.
    let file = env.write_file("zoe.json", payload(lead));
    let out = env.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("non-ASCII characters before the @"));
    // A webhook with it is kept as received (quarantined, with the reason) and answered 400.
    let server = crate::server_support::Proc::serve(&env, &[]);
    let sent = env
        .cmd()
        .args(["webhook", "send", "-", "--url", &server.url()])
        .write_stdin(payload(lead))
        .output()
        .unwrap();
    assert_eq!(sent.status.code(), Some(1), "{}", stderr(&sent));
    assert!(stderr(&sent).contains("answered 400"), "{}", stderr(&sent));
    assert_eq!(
        env.sql_i64(
            "SELECT COUNT(*) FROM quarantined_payloads WHERE CAST(raw_payload AS TEXT) LIKE '%zoë@müller-söhne.de%' \
             AND reason LIKE '%non-ASCII characters before the @%SMTPUTF8%'"
        ),
        1
    );
    assert!(env.mail_files("drafts").is_empty());
}

/// A sender with a display name is valid configuration now (it was refused).
#[test]
fn config_check_accepts_a_sender_with_a_display_name() {
    let env = TestEnv::new();
    env.write_config("[routing]\ndefault_sender = \"Jürgen Väth <sales@example.com>\"\n");
    let out = env.run(&["config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    env.write_config("[routing]\ndefault_sender = \"Jürgen <zoë@example.com>\"\n");
    let out = env.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("non-ASCII"), "{}", stderr(&out));
}

/// Found by `connectors::props::drafts_read_back_the_same_through_an_independent_parser`: with
/// Gmail's HTML alternative on, a body holding the line `--<boundary>` (the boundary is derived
/// from the Message-ID, so an edited or recomposed text can hold it) ended the plain part
/// early; such a part now goes out in base64, which cannot hold `--`. Found on the way, by
/// Python's strict check here: the multipart Content-Type line was 105 characters long (the
/// boundary held the whole Message-ID); it is now folded, with a boundary of 30 characters.
#[test]
fn a_body_holding_the_multipart_boundary_stays_whole() {
    use crate::fakes::gmail::FakeGmail;
    let gmail = FakeGmail::start("client-id", "client-secret", "refresh-token");
    let env = TestEnv::new()
        .env("SALESAGENT_CONNECTORS_MAILBOX", "gmail")
        .env("SALESAGENT_GMAIL_CLIENT_ID", "client-id")
        .env("SALESAGENT_GMAIL_CLIENT_SECRET", "client-secret")
        .env("SALESAGENT_GMAIL_REFRESH_TOKEN", "refresh-token")
        .env("SALESAGENT_GMAIL_API_BASE", &gmail.base_url)
        .env("SALESAGENT_GMAIL_TOKEN_URL", &gmail.token_url());
    let config = |body: &str| {
        format!(
            "[gmail]\nhtml = true\n\n[routing]\ndefault_sender = \"sales@example.com\"\n\
             rules = []\n\n[templates.default]\nsubject = \"Hello\"\nbody = {body:?}\n"
        )
    };
    env.write_config(&config("Hi"));
    let file = env.write_file("lead.json", payload("lee@example.com"));
    let out = env.run(&["run", file.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = crate::env::parse_json(&out.stdout);
    let draft = report["draft"]["id"].as_str().unwrap().to_string();
    let first = gmail.drafts()[0].raw.clone();
    strict_parse(first.as_bytes());
    let boundary = first
        .split("boundary=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no boundary in {first}"));
    let body = format!("Hi,\n--{boundary}\nthe rest of the text\n");
    env.write_config(&config(&body));
    let out = env.run(&["drafts", "recompose", &draft]);
    assert!(out.status.success(), "{}", stderr(&out));
    let raw = gmail.drafts()[0].raw.clone();
    assert!(raw.contains("multipart/alternative"), "{raw}");
    let parsed = strict_parse(raw.as_bytes());
    // A base64 part decodes to its CRLF line ends.
    let read = parsed["body"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(read, body, "{raw}");
}
