//! `/api/v1` through the real `serve` with two tenants (acme, globex), keys made by
//! `salesagent keys`: authentication (none, bad, revoked, expired, another tenant's, missing
//! scope) on every endpoint, keys in query strings, rotation overlap, rate limits, idempotent
//! submissions under concurrency, an approval race with the CLI, and keys never leaking.

use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::env::{TestEnv, stderr};
use crate::server_support::{Proc, signed_env, wait_for};

pub const TENANTS: &str = "[tenants.acme]\nname = \"Acme\"\nportal_ids = [111]\n\n\
    [tenants.globex]\nname = \"Globex\"\nportal_ids = [222]\n";

const ALL_SCOPES: &str = "submissions:write,workflows:read,workflows:write,drafts:read,drafts:review,dlq:read,dlq:write,usage:read";

/// A key made by `keys create`: its id and the whole key (shown once).
pub struct Key {
    pub id: String,
    pub text: String,
}

pub fn create_key(env: &TestEnv, tenant: &str, scopes: &str, extra: &[&str]) -> Key {
    let mut args = vec![
        "--tenant", tenant, "keys", "create", "--name", "test", "--scope", scopes,
    ];
    args.extend_from_slice(extra);
    let v = env.json(&args);
    Key {
        id: v["id"].as_str().unwrap().to_string(),
        text: v["key"].as_str().unwrap().to_string(),
    }
}

pub fn two_tenants(extra_config: &str) -> TestEnv {
    let env = signed_env();
    env.write_config(&format!("{extra_config}{TENANTS}"));
    env
}

/// `serve --tenant acme`: acme's webhooks and workers; `/api/v1` serves keys of every tenant.
pub fn serve(env: &TestEnv) -> Proc {
    Proc::serve(env, &["--tenant", "acme", "--workers", "1"])
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// One request: (status, JSON body, headers). `key` goes in `Authorization: Bearer`.
pub fn call(
    server: &Proc,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Value, HeaderMap) {
    let url = format!("{}{path}", server.base);
    let mut req = client().request(method.parse().unwrap(), &url);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value, headers)
}

fn lead(email: &str) -> Value {
    json!({"email": email, "first_name": "Dana", "last_name": "Whitfield", "company": "Northwind",
           "job_title": "VP Operations", "message": "Can we talk next week?", "form_id": "site",
           "fields": {"budget": 5000}})
}

/// Submits a lead as `key` and waits for its pending draft; returns (workflow id, draft id).
pub fn submit_and_wait(server: &Proc, key: &str, email: &str) -> (String, String) {
    let (status, v, _) = call(
        server,
        "POST",
        "/api/v1/submissions",
        Some(key),
        Some(lead(email)),
        &[],
    );
    assert_eq!(status, 202, "{v}");
    let workflow = v["workflow_id"].as_str().unwrap().to_string();
    let mut draft = String::new();
    wait_for("the API submission's draft", || {
        let (_, w, _) = call(
            server,
            "GET",
            &format!("/api/v1/workflows/{workflow}"),
            Some(key),
            None,
            &[],
        );
        match w["draft"]["id"].as_str() {
            Some(id) => {
                draft = id.to_string();
                true
            }
            None => false,
        }
    });
    (workflow, draft)
}

/// Every endpoint that takes an id, with acme's ids filled in.
fn id_endpoints(
    workflow: &str,
    draft: &str,
    dead: &str,
) -> Vec<(&'static str, String, &'static str, Option<Value>)> {
    vec![
        (
            "GET",
            format!("/api/v1/workflows/{workflow}"),
            "workflows:read",
            None,
        ),
        (
            "POST",
            format!("/api/v1/workflows/{workflow}/retry"),
            "workflows:write",
            None,
        ),
        (
            "GET",
            format!("/api/v1/drafts/{draft}"),
            "drafts:read",
            None,
        ),
        (
            "PATCH",
            format!("/api/v1/drafts/{draft}"),
            "drafts:review",
            Some(json!({"subject": "x"})),
        ),
        (
            "POST",
            format!("/api/v1/drafts/{draft}/approve"),
            "drafts:review",
            Some(json!({"by": "eve"})),
        ),
        (
            "POST",
            format!("/api/v1/drafts/{draft}/reject"),
            "drafts:review",
            Some(json!({"reason": "no"})),
        ),
        (
            "POST",
            format!("/api/v1/dlq/{dead}/retry"),
            "dlq:write",
            None,
        ),
    ]
}

fn list_endpoints() -> Vec<(&'static str, String, &'static str, Option<Value>)> {
    vec![
        (
            "POST",
            "/api/v1/submissions".into(),
            "submissions:write",
            Some(lead("x@example.com")),
        ),
        ("GET", "/api/v1/workflows".into(), "workflows:read", None),
        (
            "GET",
            "/api/v1/drafts?status=pending_review".into(),
            "drafts:read",
            None,
        ),
        ("GET", "/api/v1/dlq".into(), "dlq:read", None),
    ]
}

fn assert_error_shape(v: &Value, code: &str, context: &str) {
    assert_eq!(v["error"]["code"], code, "{context}: {v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{context}: {v}"
    );
}

/// Makes a dead letter of acme's by hand (a job that used up its attempts).
fn dead_letter(env: &TestEnv, workflow: &str) -> String {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    let id = "01dead00-0000-7000-8000-000000000001".to_string();
    conn.execute(
        "INSERT INTO jobs (id, tenant_id, queue, kind, workflow_id, state, run_at, attempt, max_attempts, created_at, updated_at)
         VALUES ('01dead00-0000-7000-8000-00000000j0b1', 'acme', 'normal', 'workflow', ?1, 'dead', 0, 5, 5, 0, 0)",
        [workflow],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO dead_letters (id, tenant_id, job_id, workflow_id, error_class, error, attempts, payload, created_at)
         VALUES (?1, 'acme', '01dead00-0000-7000-8000-00000000j0b1', ?2, 'transient', 'crm down', 5, '{}', 0)",
        [&id, workflow],
    )
    .unwrap();
    id
}

#[test]
fn every_endpoint_refuses_what_it_must() {
    let env = two_tenants("");
    let acme = create_key(
        &env,
        "acme",
        ALL_SCOPES,
        &["--burst", "500", "--rate", "500"],
    );
    let globex = create_key(
        &env,
        "globex",
        ALL_SCOPES,
        &["--burst", "500", "--rate", "500"],
    );
    let revoked = create_key(&env, "acme", ALL_SCOPES, &[]);
    let expired = create_key(&env, "acme", ALL_SCOPES, &["--expires", "1s"]);
    let readonly = create_key(
        &env,
        "acme",
        "usage:read",
        &["--burst", "500", "--rate", "500"],
    );
    let out = env.run(&[
        "--tenant",
        "acme",
        "keys",
        "revoke",
        &revoked.id,
        "--reason",
        "left",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let server = serve(&env);
    let (workflow, draft) = submit_and_wait(&server, &acme.text, "dana@northwind.com");
    let dead = dead_letter(&env, &workflow);
    // A well-formed key with a valid checksum that the store does not know.
    let mut unknown = acme.text.clone();
    unknown.replace_range(8..20, "AAAAAAAAAAAA");
    let forged = forge_checksum(&unknown);
    wait_for("the short-lived key to expire", || {
        call(
            &server,
            "GET",
            "/api/v1/workflows",
            Some(&expired.text),
            None,
            &[],
        )
        .0 == 401
    });

    let mut endpoints = list_endpoints();
    endpoints.extend(id_endpoints(&workflow, &draft, &dead));
    for (method, path, scope, body) in &endpoints {
        let context = format!("{method} {path}");
        for (key, what) in [
            (None, "no key"),
            (Some("not-a-key"), "garbage"),
            (Some(forged.as_str()), "unknown key"),
            (Some(revoked.text.as_str()), "revoked"),
            (Some(expired.text.as_str()), "expired"),
        ] {
            let (status, v, _) = call(&server, method, path, key, body.clone(), &[]);
            assert_eq!(status, 401, "{context} with {what}: {v}");
            assert_error_shape(&v, "unauthorized", &context);
        }
        let (status, v, _) = call(
            &server,
            method,
            path,
            Some(&readonly.text),
            body.clone(),
            &[],
        );
        assert_eq!(status, 403, "{context} without {scope}: {v}");
        assert_error_shape(&v, "missing_scope", &context);
        assert!(
            v["error"]["message"].as_str().unwrap().contains(scope),
            "{v}"
        );
    }
    // Another tenant's key: every acme id is "not found", exactly like an id that does not exist.
    for (method, path, _, body) in id_endpoints(&workflow, &draft, &dead) {
        let (status, v, _) = call(
            &server,
            method,
            &path,
            Some(&globex.text),
            body.clone(),
            &[],
        );
        assert_eq!(status, 404, "{method} {path} with globex's key: {v}");
        assert_error_shape(&v, "not_found", &path);
        let missing = path
            .replace(&workflow, "01a00000-0000-7000-8000-000000000000")
            .replace(&draft, "01a00000-0000-7000-8000-000000000000")
            .replace(&dead, "01a00000-0000-7000-8000-000000000000");
        let (_, nothing, _) = call(&server, method, &missing, Some(&globex.text), body, &[]);
        assert_eq!(v, nothing, "another tenant's id answers like no id at all");
    }
    for path in ["/api/v1/workflows", "/api/v1/drafts", "/api/v1/dlq"] {
        let (status, v, _) = call(&server, "GET", path, Some(&globex.text), None, &[]);
        assert_eq!(status, 200, "{v}");
        let rows = v
            .as_object()
            .unwrap()
            .values()
            .find_map(Value::as_array)
            .unwrap();
        assert!(
            rows.is_empty(),
            "globex sees none of acme's rows on {path}: {v}"
        );
    }
    // acme's own key sees them, with the CLI's fields.
    let (status, v, _) = call(
        &server,
        "GET",
        "/api/v1/drafts?status=pending_review",
        Some(&acme.text),
        None,
        &[],
    );
    assert_eq!(status, 200);
    let cli = env.json(&["--tenant", "acme", "drafts", "list"]);
    let mut api_fields: Vec<_> = v["drafts"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    api_fields.sort();
    let mut cli_fields: Vec<_> = cli[0].as_object().unwrap().keys().cloned().collect();
    // With several tenants the CLI adds `tenant`; an API key answers for its one tenant only.
    cli_fields.retain(|f| f != "tenant");
    cli_fields.sort();
    assert_eq!(
        api_fields, cli_fields,
        "the API prints the CLI's --json fields"
    );
    let (status, v, _) = call(
        &server,
        "GET",
        &format!("/api/v1/drafts/{draft}"),
        Some(&acme.text),
        None,
        &[],
    );
    assert_eq!(status, 200);
    assert_eq!(v["lead"]["message"], "Can we talk next week?", "{v}");
    assert_eq!(v["on_approve"]["sends"], false, "{v}");
}

/// Recomputes a key's checksum after its id was changed, the way `domain::api_key` does.
fn forge_checksum(key: &str) -> String {
    let body = &key[..key.len() - 6];
    let mut crc = !0u32;
    for &b in body.as_bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    let mut n = !crc;
    let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = alphabet[(n % 62) as usize];
        n /= 62;
    }
    format!("{body}{}", String::from_utf8_lossy(&out))
}

#[test]
fn keys_in_query_strings_are_refused() {
    let env = two_tenants("");
    let acme = create_key(&env, "acme", "drafts:read", &[]);
    let server = serve(&env);
    for query in [
        format!("?api_key={}", acme.text),
        format!("?token={}", acme.text),
        format!("?q={}", acme.text),
    ] {
        let path = format!("/api/v1/drafts{query}");
        let (status, v, _) = call(&server, "GET", &path, None, None, &[]);
        assert_eq!(status, 400, "{v}");
        assert_error_shape(&v, "key_in_query", &path);
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Authorization: Bearer"),
            "{v}"
        );
        // Refused even with a valid bearer key beside it.
        let (status, _, _) = call(&server, "GET", &path, Some(&acme.text), None, &[]);
        assert_eq!(status, 400);
    }
    assert!(
        !server.stderr().contains(&acme.text[8..]),
        "{}",
        server.stderr()
    );
}

#[test]
fn rotation_keeps_the_old_key_for_the_overlap_only() {
    let env = two_tenants("");
    let first = create_key(&env, "acme", "drafts:read", &[]);
    let server = serve(&env);
    let ok = |key: &str| call(&server, "GET", "/api/v1/drafts", Some(key), None, &[]).0;
    assert_eq!(ok(&first.text), 200);
    let v = env.json(&[
        "--tenant",
        "acme",
        "keys",
        "rotate",
        &first.id,
        "--overlap",
        "1h",
    ]);
    let second = v["key"].as_str().unwrap().to_string();
    let second_id = v["id"].as_str().unwrap().to_string();
    assert_ne!(second, first.text);
    assert_eq!(ok(&first.text), 200, "the old key works during the overlap");
    assert_eq!(ok(&second), 200, "the new key works at once");
    let v = env.json(&[
        "--tenant",
        "acme",
        "keys",
        "rotate",
        &second_id,
        "--overlap",
        "0s",
    ]);
    let third = v["key"].as_str().unwrap().to_string();
    let (status, v, _) = call(&server, "GET", "/api/v1/drafts", Some(&second), None, &[]);
    assert_eq!(
        status, 401,
        "an overlap of 0 stops the old key at once: {v}"
    );
    assert_eq!(v["error"]["message"], "this API key has expired");
    assert_eq!(ok(&third), 200);
    assert_eq!(ok(&first.text), 200, "the first key keeps its own overlap");
    // A rotated key cannot be rotated again; the audit log names ids, never secrets.
    let out = env.run(&["--tenant", "acme", "keys", "rotate", &first.id]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let audit = env.json(&["--tenant", "acme", "audit", "list"]).to_string();
    assert!(
        audit.contains("api_key.rotate") && audit.contains(&first.id),
        "{audit}"
    );
    assert!(!audit.contains(&second[21..]), "{audit}");
}

#[test]
fn the_rate_limit_answers_429_then_recovers() {
    let env = two_tenants("");
    let key = create_key(
        &env,
        "acme",
        "drafts:read",
        &["--rate", "1", "--burst", "3"],
    );
    let other = create_key(&env, "acme", "drafts:read", &[]);
    let server = serve(&env);
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..6 {
        let (status, v, headers) =
            call(&server, "GET", "/api/v1/drafts", Some(&key.text), None, &[]);
        statuses.push(status);
        assert_eq!(headers["ratelimit-limit"], "3");
        assert!(
            headers.contains_key("ratelimit-remaining") && headers.contains_key("ratelimit-reset")
        );
        if status == 429 {
            assert_error_shape(&v, "rate_limited", "429");
            limited = Some(headers);
        }
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    let headers = limited.expect("a 429 after the burst");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(headers["ratelimit-remaining"], "0");
    assert_eq!(
        call(
            &server,
            "GET",
            "/api/v1/drafts",
            Some(&other.text),
            None,
            &[]
        )
        .0,
        200,
        "each key has its own bucket"
    );
    wait_for("the bucket to refill", || {
        call(&server, "GET", "/api/v1/drafts", Some(&key.text), None, &[]).0 == 200
    });
}

#[test]
fn concurrent_identical_idempotent_posts_make_one_workflow() {
    let env = two_tenants("");
    let key = create_key(
        &env,
        "acme",
        "submissions:write",
        &["--rate", "1000", "--burst", "1000"],
    );
    let server = Proc::serve(&env, &["--tenant", "acme", "--workers", "0"]);
    let body = lead("once@northwind.com");
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                s.spawn(|| {
                    let (status, v, _) = call(
                        &server,
                        "POST",
                        "/api/v1/submissions",
                        Some(&key.text),
                        Some(body.clone()),
                        &[("idempotency-key", "order-42")],
                    );
                    (status, v)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let first = &answers[0].1;
    for (status, v) in &answers {
        assert_eq!(*status, 202, "{v}");
        assert_eq!(v, first, "the same key and body get the same answer");
    }
    let workflows = env.sql_i64(
        "SELECT COUNT(*) FROM workflows w JOIN submissions s ON s.id = w.submission_id
         WHERE s.tenant_id = 'acme' AND s.email = 'once@northwind.com'",
    );
    assert_eq!(workflows, 1);
    let audited = env.sql_i64(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'submission.create' AND actor = 'api_key:{}'
           AND tenant_id = 'acme' AND subject = '{}'",
        key.id,
        first["workflow_id"].as_str().unwrap()
    ));
    assert_eq!(
        audited, 1,
        "the accepted submission is audited once, as the key"
    );
    // The same key with another body is a conflict; another key is a new submission.
    let (status, v, _) = call(
        &server,
        "POST",
        "/api/v1/submissions",
        Some(&key.text),
        Some(lead("other@northwind.com")),
        &[("idempotency-key", "order-42")],
    );
    assert_eq!(status, 409, "{v}");
    assert_error_shape(&v, "idempotency_conflict", "409");
    let (status, v, _) = call(
        &server,
        "POST",
        "/api/v1/submissions",
        Some(&key.text),
        Some(lead("once@northwind.com")),
        &[("idempotency-key", "order-43")],
    );
    assert_eq!(status, 202);
    assert_ne!(v["workflow_id"], first["workflow_id"]);
}

/// Each query on `path` is 422 in the one error shape, naming its field.
fn assert_invalid_queries(server: &Proc, key: &str, path: &str, cases: &[(&str, &str)]) {
    for (query, field) in cases {
        let (status, v, _) = call(
            server,
            "GET",
            &format!("{path}?{query}"),
            Some(key),
            None,
            &[],
        );
        assert_eq!(
            (status, v["error"]["field"].as_str()),
            (422, Some(*field)),
            "{path}?{query}: {v}"
        );
        assert_error_shape(&v, "invalid", query);
    }
}

#[test]
fn invalid_input_names_the_field() {
    let env = two_tenants("");
    let key = create_key(&env, "acme", "submissions:write,drafts:read", &[]);
    let server = Proc::serve(&env, &["--tenant", "acme", "--workers", "0"]);
    for (body, field) in [
        (json!({"first_name": "x"}), "email"),
        (json!({"email": "not-an-address"}), "email"),
        (json!({"email": "a@b.co", "company": 7}), "company"),
        (json!({"email": "a@b.co", "nickname": "x"}), "nickname"),
        (
            json!({"email": "a@b.co", "fields": {"a": {"b": 1}}}),
            "fields.a",
        ),
    ] {
        let (status, v, _) = call(
            &server,
            "POST",
            "/api/v1/submissions",
            Some(&key.text),
            Some(body.clone()),
            &[],
        );
        assert_eq!(status, 422, "{body}: {v}");
        assert_eq!(v["error"]["field"], field, "{body}: {v}");
    }
    let (status, v, _) = call(
        &server,
        "POST",
        "/api/v1/submissions",
        Some(&key.text),
        Some(lead("a@b.co")),
        &[("idempotency-key", "has space")],
    );
    assert_eq!(
        (status, v["error"]["field"].as_str()),
        (422, Some("Idempotency-Key")),
        "{v}"
    );
    assert_invalid_queries(
        &server,
        &key.text,
        "/api/v1/drafts",
        &[
            ("status=nope", "status"),
            ("limit=0", "limit"),
            ("cursor=zzz", "cursor"),
            ("since=later", "since"),
        ],
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM submissions"),
        0,
        "bad input writes nothing"
    );
}

#[test]
fn workflows_page_by_cursor() {
    let env = two_tenants("");
    let key = create_key(&env, "acme", "submissions:write,workflows:read", &[]);
    let server = Proc::serve(&env, &["--tenant", "acme", "--workers", "0"]);
    for n in 0..5 {
        let (status, _, _) = call(
            &server,
            "POST",
            "/api/v1/submissions",
            Some(&key.text),
            Some(lead(&format!("p{n}@northwind.com"))),
            &[],
        );
        assert_eq!(status, 202);
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/workflows?limit=2".to_string();
    for _ in 0..10 {
        let (status, v, _) = call(&server, "GET", &path, Some(&key.text), None, &[]);
        assert_eq!(status, 200, "{v}");
        seen.extend(
            v["workflows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["id"].as_str().unwrap().to_string()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/workflows?limit=2&cursor={c}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (5, 5), "{seen:?}");
}

#[test]
fn an_approval_race_between_the_api_and_the_cli_has_one_winner_and_one_send() {
    let env = two_tenants(crate::drafts::SEND_CONFIG);
    let out = env.run(&[
        "--tenant", "acme", "mode", "set", "send", "--reason", "launch", "--yes",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let key = create_key(
        &env,
        "acme",
        "submissions:write,workflows:read,drafts:review",
        &[],
    );
    assert!(
        key.text.starts_with("sa_live_"),
        "production keys are live keys"
    );
    let server = serve(&env);
    for n in 0..3 {
        let (_, draft) = submit_and_wait(&server, &key.text, &format!("race{n}@northwind.com"));
        let (api, cli) = std::thread::scope(|s| {
            let api = s.spawn(|| {
                call(
                    &server,
                    "POST",
                    &format!("/api/v1/drafts/{draft}/approve"),
                    Some(&key.text),
                    Some(json!({"by": "slack:ann"})),
                    &[],
                )
            });
            let cli = s.spawn(|| {
                env.run(&[
                    "--tenant", "acme", "drafts", "approve", &draft, "--by", "bob",
                ])
            });
            (api.join().unwrap(), cli.join().unwrap())
        });
        let api_won = api.0 == 200;
        let cli_won = cli.status.success();
        assert!(
            api_won ^ cli_won,
            "exactly one wins: api {} {}, cli {:?} {}",
            api.0,
            api.1,
            cli.status.code(),
            stderr(&cli)
        );
        if api_won {
            assert_eq!(cli.status.code(), Some(4), "{}", stderr(&cli));
            assert!(
                stderr(&cli).contains("already approved by slack:ann via api_key:"),
                "{}",
                stderr(&cli)
            );
        } else {
            assert_eq!(api.0, 409, "{}", api.1);
            assert!(
                api.1["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("already approved by bob"),
                "{}",
                api.1
            );
        }
        let sends = env.sql_i64(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'draft.send' AND subject = '{draft}'"
        ));
        assert_eq!(sends, 1, "one send for draft {draft}");
    }
}

#[test]
fn keys_never_appear_in_logs_metrics_the_database_or_bodies() {
    let env = two_tenants("");
    let key = create_key(
        &env,
        "acme",
        "submissions:write,workflows:read,drafts:read,drafts:review",
        &[],
    );
    let secret = &key.text[21..];
    let server = serve(&env);
    let (_, draft) = submit_and_wait(&server, &key.text, "quiet@northwind.com");
    let mut bodies = Vec::new();
    for (method, path, body) in [
        ("GET", "/api/v1/drafts".to_string(), None),
        ("GET", format!("/api/v1/drafts/{draft}"), None),
        (
            "POST",
            format!("/api/v1/drafts/{draft}/approve"),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/api/v1/drafts/{draft}/approve"),
            Some(json!({})),
        ),
        ("GET", "/api/v1/dlq".to_string(), None),
        ("GET", format!("/api/v1/drafts?api_key={}", key.text), None),
    ] {
        bodies.push(
            call(&server, method, &path, Some(&key.text), body, &[])
                .1
                .to_string(),
        );
    }
    let wrong = format!("{}x", &key.text[..key.text.len() - 1]);
    bodies.push(
        call(&server, "GET", "/api/v1/drafts", Some(&wrong), None, &[])
            .1
            .to_string(),
    );
    let metrics = client()
        .get(format!("{}/metrics", server.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let keys = env.json(&["--tenant", "acme", "keys", "list"]).to_string();
    let audit = env.json(&["--tenant", "acme", "audit", "list"]).to_string();
    let mut db = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", env.db().display());
        db.extend(std::fs::read(&path).unwrap_or_default());
    }
    let db = String::from_utf8_lossy(&db);
    for (place, text) in [
        ("serve's log", server.stderr()),
        ("metrics", metrics),
        ("keys list", keys),
        ("audit log", audit),
        ("the database", db.into_owned()),
        ("error bodies", bodies.join("\n")),
    ] {
        assert!(!text.contains(secret), "the key's secret is in {place}");
    }
    let stored: String = rusqlite::Connection::open(env.db())
        .unwrap()
        .query_row(
            "SELECT secret_hash FROM api_keys WHERE id = ?1",
            [&key.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored.len(), 64, "only the SHA-256 of the secret is stored");
}

#[test]
fn keys_commands() {
    let env = two_tenants("");
    let out = env.run(&[
        "--tenant",
        "acme",
        "keys",
        "create",
        "--name",
        "zap",
        "--scope",
        "mode:write",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("unknown scope"), "{}", stderr(&out));
    let out = env.run(&["keys", "create", "--name", "zap", "--scope", "drafts:read"]);
    assert_eq!(out.status.code(), Some(2), "which tenant? {}", stderr(&out));
    let out = env.run(&[
        "--tenant",
        "acme",
        "keys",
        "create",
        "--name",
        "zap",
        "--scope",
        "drafts:read",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.trim().starts_with("sa_test_"),
        "the key alone on stdout: {text}"
    );
    let acme = create_key(&env, "acme", "drafts:read,dlq:read", &["--expires", "90d"]);
    let globex = create_key(&env, "globex", "drafts:read", &[]);
    let all = env.json(&["keys", "list"]);
    assert_eq!(all.as_array().unwrap().len(), 3, "{all}");
    let only = env.json(&["--tenant", "globex", "keys", "list"]);
    assert_eq!(only.as_array().unwrap().len(), 1);
    assert_eq!(only[0]["id"], globex.id.as_str());
    assert!(
        only[0].get("key").is_none() && only[0].get("secret_hash").is_none(),
        "{only}"
    );
    let listed = env.json(&["--tenant", "acme", "keys", "list"]);
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == acme.id.as_str())
        .unwrap();
    assert_eq!(row["scopes"], json!(["drafts:read", "dlq:read"]));
    assert!(
        row["expires_at"].is_string() && row["state"] == "active",
        "{row}"
    );
    let out = env.run(&["--tenant", "globex", "keys", "revoke", &acme.id]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "another tenant's key is not found: {}",
        stderr(&out)
    );
    let out = env.run(&["--tenant", "acme", "keys", "revoke", &acme.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["--tenant", "acme", "keys", "revoke", &acme.id]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
}

/// `GET /api/v1/usage?{query}` as `key` of `tenant`, checked to be what
/// `usage --tenant T {cli_args} --json` prints but for the moment each was made; the API's report.
fn usage_as_the_cli_prints_it(
    env: &TestEnv,
    server: &Proc,
    (tenant, key): (&str, &Key),
    query: &str,
    cli_args: &[&str],
) -> Value {
    let without_generated_at = |mut report: Value| {
        report.as_object_mut().unwrap().remove("generated_at");
        report
    };
    let (status, api, _) = call(
        server,
        "GET",
        &format!("/api/v1/usage{query}"),
        Some(&key.text),
        None,
        &[],
    );
    assert_eq!(status, 200, "{query}: {api}");
    let mut args = vec!["--tenant", tenant, "usage"];
    args.extend_from_slice(cli_args);
    let cli = env.json(&args);
    let api = without_generated_at(api);
    assert_eq!(
        api,
        without_generated_at(cli),
        "the API serves what `usage {cli_args:?} --json` prints"
    );
    let rows = api["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{api}");
    assert!(
        rows.iter().all(|r| r["tenant"] == tenant),
        "only the key's tenant: {api}"
    );
    api
}

#[test]
fn usage_is_the_keys_tenant_only_with_the_clis_numbers() {
    let env = two_tenants("");
    let acme = create_key(&env, "acme", "submissions:write,usage:read", &[]);
    let globex = create_key(&env, "globex", "submissions:write,usage:read", &[]);
    let no_scope = create_key(&env, "acme", "submissions:write,drafts:read", &[]);
    // No workers: the counts stay what the submissions made while we compare.
    let server = Proc::serve(&env, &["--tenant", "acme", "--workers", "0"]);
    for (key, email) in [
        (&acme, "a1@northwind.com"),
        (&acme, "a2@northwind.com"),
        (&globex, "g1@initech.com"),
    ] {
        let (status, v, _) = call(
            &server,
            "POST",
            "/api/v1/submissions",
            Some(&key.text),
            Some(lead(email)),
            &[],
        );
        assert_eq!(status, 202, "{v}");
    }

    let v = usage_as_the_cli_prints_it(&env, &server, ("acme", &acme), "", &[]);
    assert_eq!(v["totals"]["submissions_accepted"], 2, "{v}");
    assert_eq!(v["by"], "day", "{v}");
    let v = usage_as_the_cli_prints_it(
        &env,
        &server,
        ("globex", &globex),
        "?since=7d&by=month",
        &["--since", "7d", "--by", "month"],
    );
    assert_eq!(v["totals"]["submissions_accepted"], 1, "acme's never: {v}");
    let month = v["last_day"].as_str().unwrap()[..7].to_string();
    let v = usage_as_the_cli_prints_it(
        &env,
        &server,
        ("acme", &acme),
        &format!("?month={month}"),
        &["--month", &month],
    );
    assert_eq!(v["totals"]["submissions_accepted"], 2, "{v}");

    let (status, v, _) = call(
        &server,
        "GET",
        "/api/v1/usage",
        Some(&no_scope.text),
        None,
        &[],
    );
    assert_eq!(status, 403, "{v}");
    assert_error_shape(&v, "missing_scope", "GET /api/v1/usage");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("usage:read"),
        "{v}"
    );
    let (status, v, _) = call(&server, "GET", "/api/v1/usage", None, None, &[]);
    assert_eq!(status, 401, "{v}");
    assert_error_shape(&v, "unauthorized", "GET /api/v1/usage without a key");

    assert_invalid_queries(
        &server,
        &acme.text,
        "/api/v1/usage",
        &[
            ("since=later", "since"),
            ("since=2999-01-01", "since"),
            ("month=2026-13", "month"),
            ("by=week", "by"),
            ("since=7d&month=2026-11", "month"),
        ],
    );
}

fn checked_in_openapi() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    std::fs::read_to_string(path).expect("docs/openapi.json")
}

#[test]
fn the_openapi_document_is_current_and_served() {
    let env = two_tenants("");
    let out = env.run(&["openapi"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed == checked_in_openapi(),
        "docs/openapi.json is stale: run scripts/gen-docs.sh"
    );
    let doc: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/submissions",
        "/api/v1/workflows",
        "/api/v1/workflows/{id}",
        "/api/v1/workflows/{id}/retry",
        "/api/v1/drafts",
        "/api/v1/drafts/{id}",
        "/api/v1/drafts/{id}/approve",
        "/api/v1/drafts/{id}/reject",
        "/api/v1/dlq",
        "/api/v1/dlq/{id}/retry",
        "/api/v1/usage",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    let server = Proc::serve(&env, &["--tenant", "acme", "--workers", "0"]);
    let (status, served, _) = call(&server, "GET", "/api/v1/openapi.json", None, None, &[]);
    assert_eq!(status, 200, "the document is public");
    assert_eq!(served, doc);
}

#[test]
fn the_openapi_document_passes_an_independent_validator() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: openapi-spec-validator (Python) not installed");
        return;
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    let script = "import sys\n\
        from openapi_spec_validator import validate\n\
        from openapi_spec_validator.readers import read_from_filename\n\
        spec, _ = read_from_filename(sys.argv[1])\n\
        validate(spec)\n\
        print(spec['openapi'])\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator refused docs/openapi.json:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3.1.0");
}
