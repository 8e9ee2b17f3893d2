//! Secrets and personal data stay out of errors and logs: a malformed config never quotes a
//! secret's line, logged parse failures mask the lead's address, and a rejected import row is
//! stored bounded.

use crate::env::{TestEnv, stderr};
use crate::server_support::{Proc, post, sign, signed_env, wait_for};

#[test]
fn a_malformed_config_never_shows_a_secret_line() {
    let env = TestEnv::new();
    env.write_config("[webhook]\nsecret = \"TOMLSECRET-1234\nlisten = \"127.0.0.1:0\"\n");
    let out = env.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("line 2, column"), "line and column: {err}");
    assert!(!err.contains("TOMLSECRET"), "the secret leaked: {err}");
    // A line without a secret is still quoted by its reason.
    env.write_config("db = 5\n");
    let err = stderr(&env.run(&["config", "check"]));
    assert!(
        err.contains("line 1, column 6") && err.contains("expected"),
        "{err}"
    );
}

#[test]
fn logged_parse_failures_mask_the_address() {
    let env = signed_env();
    let serve = Proc::serve(&env, &["--workers", "0"]);
    let body = br#"{"portalId": 4411223, "formId": "f-1", "formSubmissionId": "mask-1",
        "fieldValues": [{"name": "email", "value": "marie..curie@quartz-analytics.fr"}]}"#;
    let file = env.write_file("bad.json", body);
    let headers = sign(&env, &file, &serve.url(), &[]);
    let (status, _, _) = post(&serve.url(), &headers, body.to_vec());
    assert_eq!(status, 400);
    wait_for("the quarantine to be logged", || {
        serve.stderr().contains("quarantined")
    });
    let log = serve.stderr();
    assert!(log.contains("m…@quartz-analytics.fr"), "{log}");
    assert!(!log.contains("marie..curie"), "the address leaked: {log}");
}

#[test]
fn a_rejected_import_row_is_stored_bounded() {
    let env = TestEnv::new();
    let huge = "x".repeat(200_000);
    let file = env.write_file(
        "huge.csv",
        format!(
            "email,firstName,lastName,company,formId\nnot-an-email-{huge},A,B,{huge},form-1\nok@example.com,Ok,Row,Fine,form-1\n"
        ),
    );
    let out = env.run(&["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(11), "{}", stderr(&out));
    let stored =
        env.sql_i64("SELECT MAX(LENGTH(raw_row) + LENGTH(message)) FROM import_row_errors");
    assert!(
        stored <= 8 * 1024,
        "a rejected row keeps a few KB, not {stored} bytes"
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM import_row_errors WHERE message LIKE '%cut%'"),
        1,
        "the reason says the row was cut"
    );
}
