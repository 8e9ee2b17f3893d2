//! HubSpot's v3 signing rules through `serve`: HubSpot decodes a fixed set of percent-escapes in
//! the URI before signing, and a request signed that way (or over the URI as sent) is accepted.

use std::process::Command;

use crate::server_support::{Proc, SECRET, post, seed_payload, signed_env};

/// base64(HMAC-SHA256(SECRET, "POST" + uri + body + ts)), computed by Python, not by us.
fn python_v3(uri: &str, body: &[u8], ts: i64) -> String {
    let script = "import base64, hashlib, hmac, sys\n\
                  key, uri, ts = sys.argv[1].encode(), sys.argv[2], sys.argv[3]\n\
                  body = sys.stdin.buffer.read()\n\
                  msg = b'POST' + uri.encode() + body + ts.encode()\n\
                  print(base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode())";
    let mut child = Command::new("python3")
        .args(["-c", script, SECRET, uri, &ts.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn v3_signatures_over_hubspots_decoded_uri_and_the_raw_uri_are_both_accepted() {
    let env = signed_env();
    let server = Proc::serve(&env, &["--workers", "0"]);
    let query = "?utm=a%3Ab%2Fc%3Fd%40e%21f%24g%27h%28i%29j%2Ak%2Cl%3Bm&x=%20";
    let sent = format!("{}{query}", server.url());
    let decoded = format!("{}?utm=a:b/c?d@e!f$g'h(i)j*k,l;m&x=%20", server.url());
    let ts = salesagent::domain::time::now_ms();
    for (n, signed_over) in [(1, &decoded), (2, &sent)] {
        let body = seed_payload(n);
        let headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            (
                "x-hubspot-signature-v3".to_string(),
                python_v3(signed_over, &body, ts),
            ),
            ("x-hubspot-request-timestamp".to_string(), ts.to_string()),
        ];
        let (status, reply, _) = post(&sent, &headers, body);
        assert_eq!(status, 202, "signed over {signed_over}: {reply}");
    }
    // Anything else still fails.
    let body = seed_payload(3);
    let other = format!("{}?utm=a:b", server.url());
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        (
            "x-hubspot-signature-v3".to_string(),
            python_v3(&other, &body, ts),
        ),
        ("x-hubspot-request-timestamp".to_string(), ts.to_string()),
    ];
    assert_eq!(post(&sent, &headers, body).0, 401);
}

/// Found by `webhook::props::verification_never_panics`: a timestamp far from now overflowed the
/// age arithmetic, which panicked the handler (the client saw a dropped connection) instead of
/// answering 401; and `serve` keeps answering afterwards.
#[test]
fn a_timestamp_far_from_now_is_refused_not_a_crash() {
    let env = signed_env();
    let server = Proc::serve(&env, &["--workers", "0"]);
    let body = seed_payload(1);
    for ts in ["-9223372036854775808", "9223372036854775807"] {
        let headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            (
                "x-hubspot-signature-v3".to_string(),
                python_v3(&server.url(), &body, 0),
            ),
            ("x-hubspot-request-timestamp".to_string(), ts.to_string()),
        ];
        let (status, reply, _) = post(&server.url(), &headers, body.clone());
        assert_eq!(status, 401, "timestamp {ts}: {reply}");
    }
    let ts = salesagent::domain::time::now_ms();
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        (
            "x-hubspot-signature-v3".to_string(),
            python_v3(&server.url(), &body, ts),
        ),
        ("x-hubspot-request-timestamp".to_string(), ts.to_string()),
    ];
    assert_eq!(post(&server.url(), &headers, body).0, 202);
}
