//! Secrets fail closed: an empty or whitespace-only secret from any source (variable, `*_FILE`,
//! config file) is a configuration error for `serve` and is named by `config check`; unsigned
//! intake is for development only.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::env::{TestEnv, stderr};

/// `serve` on port 0 with whatever secret settings `env` carries; its exit code, or None when
/// it was still running after a generous wait (it must never get that far with a bad secret).
fn serve_exit(env: &TestEnv, extra: &[&str]) -> (Option<i32>, String) {
    let mut child = env
        .std_command()
        .args(["serve", "--listen", "127.0.0.1:0", "--workers", "0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return (
                status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            return (None, String::from_utf8_lossy(&out.stderr).into_owned());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn assert_refused(env: &TestEnv, key: &str, source: &str) {
    let (code, err) = serve_exit(env, &[]);
    assert_eq!(code, Some(3), "serve must refuse an empty {key}:\n{err}");
    assert!(err.contains(key) && err.contains("empty"), "{err}");
    let out = env.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("error: {key}")) && err.contains(source),
        "config check must name {key} and where it came from:\n{err}"
    );
    assert!(!err.contains("configuration OK"), "{err}");
}

#[test]
fn an_empty_secret_file_is_refused() {
    for (name, contents) in [("empty", ""), ("newline", "\n"), ("spaces", "   \t \r\n")] {
        let env = TestEnv::new();
        let file = env.write_file(name, contents);
        let env = env.env("SALESAGENT_WEBHOOK_SECRET_FILE", file.to_str().unwrap());
        assert_refused(&env, "webhook.secret", "SALESAGENT_WEBHOOK_SECRET_FILE");
    }
}

#[test]
fn an_empty_secret_in_the_config_file_is_refused() {
    let env = TestEnv::new();
    env.write_config("[webhook]\nsecret = \"\"\n");
    assert_refused(&env, "webhook.secret", "config file");
    let env = TestEnv::new();
    env.write_config("[webhook]\nsecret = \"  \"\n");
    assert_refused(&env, "webhook.secret", "config file");
}

#[test]
fn a_whitespace_secret_variable_is_refused() {
    let env = TestEnv::new().env("SALESAGENT_WEBHOOK_SECRET", "   ");
    assert_refused(&env, "webhook.secret", "SALESAGENT_WEBHOOK_SECRET");
}

#[test]
fn every_other_secret_is_checked_the_same_way() {
    for (var, key) in [
        (
            "SALESAGENT_WEBHOOK_SECRET_PREVIOUS",
            "webhook.previous_secret",
        ),
        ("SALESAGENT_HUBSPOT_TOKEN", "hubspot.token"),
        ("SALESAGENT_GMAIL_CLIENT_SECRET", "gmail.client_secret"),
        ("SALESAGENT_GMAIL_REFRESH_TOKEN", "gmail.refresh_token"),
        ("SALESAGENT_LLM_API_KEY", "llm.api_key"),
    ] {
        let env = TestEnv::new();
        let file = env.write_file("blank", "\n");
        let env = env
            .env("SALESAGENT_WEBHOOK_SECRET", "a-long-enough-webhook-secret")
            .env(&format!("{var}_FILE"), file.to_str().unwrap());
        assert_refused(&env, key, &format!("{var}_FILE"));
    }
}

#[test]
fn a_short_secret_is_warned_about() {
    let env = TestEnv::new().env("SALESAGENT_WEBHOOK_SECRET", "short");
    let out = env.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: webhook.secret: is only 5 bytes"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("short"),
        "the value itself is never shown"
    );
}

#[test]
fn a_secret_file_is_trimmed_before_use() {
    // The same secret with and without surrounding whitespace signs the same way.
    let env = TestEnv::new();
    let file = env.write_file("secret", "  a-long-enough-webhook-secret \n");
    let payload = env.write_file("p.json", b"{}");
    let padded = env.env("SALESAGENT_WEBHOOK_SECRET_FILE", file.to_str().unwrap());
    let sign = |e: &TestEnv| {
        e.json(&[
            "webhook",
            "sign",
            payload.to_str().unwrap(),
            "--url",
            "http://127.0.0.1/x",
            "--timestamp",
            "1764412800000",
        ])["headers"]
            .clone()
    };
    let plain = TestEnv::new().env("SALESAGENT_WEBHOOK_SECRET", "a-long-enough-webhook-secret");
    assert_eq!(sign(&padded), sign(&plain));
}

#[test]
fn unsigned_intake_is_refused_outside_development() {
    for environment in ["production", "test"] {
        let env = TestEnv::new().env("SALESAGENT_ENVIRONMENT", environment);
        let (code, err) = serve_exit(&env, &["--insecure-no-signature"]);
        assert_eq!(code, Some(3), "{err}");
        assert!(err.contains("--insecure-no-signature is refused"), "{err}");
    }
}
