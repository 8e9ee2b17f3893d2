//! `salesagent webhook sign|send` without a server: headers, known answers, configuration errors.

use crate::env::{TestEnv, fixture, stderr, stdout};
use crate::server_support::signed_env;

#[test]
fn sign_without_a_secret_is_a_configuration_error() {
    let env = TestEnv::new();
    let out = env.run(&[
        "webhook",
        "sign",
        fixture("seed-shape.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("SALESAGENT_WEBHOOK_SECRET"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sign_prints_v3_headers_and_v1_matches_hubspots_example() {
    let env = signed_env();
    let out = env.run(&[
        "webhook",
        "sign",
        fixture("seed-shape.json").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("X-HubSpot-Signature-v3: "), "{text}");
    assert!(text.contains("X-HubSpot-Request-Timestamp: "), "{text}");
    // HubSpot's documented v1 example.
    let body = r#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#;
    let file = env.write_file("v1.json", body);
    let out = env
        .cmd()
        .env(
            "SALESAGENT_WEBHOOK_SECRET",
            "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
        )
        .args([
            "webhook",
            "sign",
            file.to_str().unwrap(),
            "--signature-version",
            "v1",
        ])
        .output()
        .unwrap();
    assert!(stdout(&out).contains(
        "X-HubSpot-Signature: 232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
    ));
}

#[test]
fn send_needs_an_http_url_and_an_existing_file() {
    let env = signed_env();
    let out = env.run(&[
        "webhook",
        "send",
        fixture("seed-shape.json").to_str().unwrap(),
        "--url",
        "localhost:1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not an http(s) URL"));
    let out = env.run(&[
        "webhook",
        "send",
        "missing.json",
        "--url",
        "http://127.0.0.1:9/x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such file"));
}
