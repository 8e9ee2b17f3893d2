//! Settings that feed arithmetic are bounded in `Config::validate`: a huge value is a
//! configuration error (exit 3) naming the key and the range, never an overflow panic.

use crate::env::{TestEnv, fixture, stderr};

/// The largest integer TOML holds.
const HUGE: &str = "9223372036854775807";

fn assert_refused(env: &TestEnv, args: &[&str], key: &str) {
    let out = env.run(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
    assert!(
        err.contains(key) && err.contains("out of range"),
        "{args:?}: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_huge_lease_is_a_configuration_error_not_an_overflow() {
    let env = TestEnv::new().env("SALESAGENT_WEBHOOK_SECRET", "bounds-secret-0123456789");
    env.write_config(&format!("[worker]\nlease_secs = {HUGE}\n"));
    assert_refused(&env, &["config", "check"], "worker.lease_secs");
    assert_refused(&env, &["worker", "--workers", "1"], "worker.lease_secs");
    assert_refused(
        &env,
        &["serve", "--listen", "127.0.0.1:0"],
        "worker.lease_secs",
    );
}

#[test]
fn a_huge_dedupe_window_is_a_configuration_error_not_an_overflow() {
    let env = TestEnv::new();
    env.write_config(&format!("[dedupe]\nwindow_secs = {HUGE}\n"));
    let seed = fixture("seed-shape.json");
    assert_refused(&env, &["run", seed.to_str().unwrap()], "dedupe.window_secs");
}

#[test]
fn huge_backoff_and_timeouts_are_configuration_errors() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[worker]\nbackoff_base_ms = {HUGE}\n[http]\ntimeout_ms = {HUGE}\nretry_max_ms = {HUGE}\n"
    ));
    let out = env.run(&["config", "check"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    for key in [
        "worker.backoff_base_ms",
        "http.timeout_ms",
        "http.retry_max_ms",
    ] {
        assert!(err.contains(key), "{key}: {err}");
    }
}
