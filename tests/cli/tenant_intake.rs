//! Multi-tenant intake and workers through the real binary: the shared URL routes each submission
//! by its portal (an unknown portal is refused with 403, counted, and nothing is stored), each
//! tenant's own URL takes only its own secret, `run`/`import --tenant` refuse another tenant's
//! portal, every job runs with its tenant's config and writes under `mail/<tenant>/`, and one
//! tenant's backlog does not hold up another tenant's webhooks.

use std::path::PathBuf;

use crate::env::{TestEnv, stderr, stdout};
use crate::server_support::{PATH, Proc, SECRET, post, signed_headers, wait_for};

pub(crate) const ACME_SECRET: &str = "acme-own-webhook-secret";
pub(crate) const GLOBEX_SECRET: &str = "globex-own-webhook-secret";

/// Two tenants (acme owns portal 111, globex 222, each with its own webhook secret, sender and
/// subject) and initech (portal 333) without a webhook secret of its own.
const TENANTS: &str = r#"
[tenants.acme]
name = "Acme"
portal_ids = [111]
webhook_secret_env = "ACME_WEBHOOK_SECRET"
[tenants.acme.routing]
default_sender = "Acme Sales <sales@acme.test>"
rules = []
[tenants.acme.templates.default]
subject = "Acme follows up"
body = "Hello,\n\nthanks for writing to Acme.\n"

[tenants.globex]
portal_ids = [222]
webhook_secret_env = "GLOBEX_WEBHOOK_SECRET"
[tenants.globex.routing]
default_sender = "Globex Team <team@globex.test>"
rules = []
[tenants.globex.templates.default]
subject = "Globex follows up"
body = "Hello,\n\nthanks for writing to Globex.\n"

[tenants.initech]
portal_ids = [333]
"#;

fn tenant_env() -> TestEnv {
    let env = TestEnv::new()
        .env("SALESAGENT_WEBHOOK_SECRET", SECRET)
        .env("ACME_WEBHOOK_SECRET", ACME_SECRET)
        .env("GLOBEX_WEBHOOK_SECRET", GLOBEX_SECRET);
    env.write_config(TENANTS);
    env
}

/// A seed-shape submission from `portal`: the same lead email and form id whatever the portal.
fn seed(portal: u64, n: usize) -> Vec<u8> {
    seed_from(portal, n, "same.lead@northwind.test")
}

fn seed_from(portal: u64, n: usize, email: &str) -> Vec<u8> {
    format!(
        r#"{{"portalId":{portal},"formId":"f-shared","formSubmissionId":"sub-{n}","submittedAt":1764412800000,
        "fieldValues":[{{"name":"email","value":"{email}"}},{{"name":"firstname","value":"Dana"}},
        {{"name":"lastname","value":"Lee"}},{{"name":"company","value":"Northwind"}}]}}"#
    )
    .into_bytes()
}

/// A Webhooks API array with one `contact.creation` per portal.
fn events(portals: &[u64]) -> Vec<u8> {
    let events: Vec<String> = portals
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                r#"{{"eventId":{i},"portalId":{p},"occurredAt":17644129{i:02}000,"subscriptionType":"contact.creation","objectId":{}}}"#,
                9000 + i
            )
        })
        .collect();
    format!("[{}]", events.join(",")).into_bytes()
}

/// The headers that sign `body` for `url` with `secret` (through `webhook sign`).
pub(crate) fn signed(env: &TestEnv, secret: &str, url: &str, body: &[u8]) -> Vec<(String, String)> {
    let file = env.write_file("body.json", body);
    let out = env
        .cmd()
        .env("SALESAGENT_WEBHOOK_SECRET", secret)
        .args([
            "webhook",
            "sign",
            file.to_str().unwrap(),
            "--url",
            url,
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    signed_headers(&crate::env::parse_json(&out.stdout))
}

pub(crate) fn send(
    env: &TestEnv,
    secret: &str,
    url: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let headers = signed(env, secret, url, &body);
    let (status, json, _) = post(url, &headers, body);
    (status, json)
}

fn tenant_of_portal(env: &TestEnv, portal: u64) -> Vec<String> {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT s.tenant_id || '/' || w.tenant_id || '/' || j.tenant_id FROM submissions s
             JOIN workflows w ON w.submission_id = s.id JOIN jobs j ON j.workflow_id = w.id
             WHERE s.portal_id = ?1 ORDER BY s.id",
        )
        .unwrap();
    stmt.query_map([portal.to_string()], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn metric(server: &Proc, series: &str) -> f64 {
    let text = reqwest::blocking::get(format!("{}/metrics", server.base))
        .unwrap()
        .text()
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
}

#[test]
fn the_shared_url_routes_each_submission_to_the_tenant_of_its_portal() {
    let env = tenant_env();
    let server = Proc::serve(&env, &["--workers", "0"]);
    let url = server.url();
    // The same lead and form in both tenants: two submissions, one per tenant, no duplicate.
    assert_eq!(send(&env, SECRET, &url, seed(111, 1)).0, 202);
    assert_eq!(send(&env, SECRET, &url, seed(222, 1)).0, 202);
    // One event array with both portals: each event goes to its own tenant.
    let (status, body) = send(&env, SECRET, &url, events(&[111, 222]));
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["submissions"].as_array().unwrap().len(), 2, "{body}");
    assert_eq!(tenant_of_portal(&env, 111), vec!["acme/acme/acme"; 2]);
    assert_eq!(tenant_of_portal(&env, 222), vec!["globex/globex/globex"; 2]);
    // A replay is a duplicate within its own tenant.
    let (status, body) = send(&env, SECRET, &url, seed(222, 1));
    assert_eq!((status, body["duplicate"].as_bool()), (200, Some(true)));
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM submissions"), 4);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM submissions WHERE tenant_id = 'default'"),
        0
    );
}

#[test]
fn a_portal_no_tenant_owns_is_refused_counted_and_nothing_is_stored() {
    let env = tenant_env();
    let server = Proc::serve(&env, &["--workers", "0"]);
    let url = server.url();
    let before = metric(
        &server,
        "salesagent_webhooks_received_total{result=\"unknown_portal\"}",
    );
    let (status, body) = send(&env, SECRET, &url, seed(999, 1));
    assert_eq!(status, 403, "{body}");
    // A mixed array with one unknown portal is refused whole: atomic, nothing stored.
    let (status, _) = send(&env, SECRET, &url, events(&[111, 999, 222]));
    assert_eq!(status, 403);
    // A Forms API v3 body names no portal: on the shared URL it has no tenant.
    let forms = std::fs::read(crate::env::fixture("forms-v3.json")).unwrap();
    assert_eq!(send(&env, SECRET, &url, forms).0, 403);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM submissions"), 0);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM jobs"), 0);
    let after = metric(
        &server,
        "salesagent_webhooks_received_total{result=\"unknown_portal\"}",
    );
    assert_eq!(after - before, 3.0);
    assert!(
        server.stderr().contains("999"),
        "the refusal is logged with its portal:\n{}",
        server.stderr()
    );
}

#[test]
fn an_unparsable_body_is_quarantined_under_the_tenant_of_its_portal_or_refused() {
    let env = tenant_env();
    let server = Proc::serve(&env, &["--workers", "0"]);
    let broken = |portal: u64| format!(r#"{{"portalId":{portal},"fieldValues":"oops"}}"#);
    let (status, body) = send(&env, SECRET, &server.url(), broken(111).into_bytes());
    assert_eq!(status, 400, "{body}");
    assert!(body["quarantine_id"].is_string(), "{body}");
    let (status, _) = send(&env, SECRET, &server.url(), broken(999).into_bytes());
    assert_eq!(status, 403);
    let own = format!("{}{PATH}/globex", server.base);
    assert_eq!(send(&env, GLOBEX_SECRET, &own, b"[1]".to_vec()).0, 400);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let tenants: Vec<String> = conn
        .prepare("SELECT tenant_id FROM quarantined_payloads ORDER BY received_at, id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(tenants, vec!["acme", "globex"]);
}

#[test]
fn a_tenants_own_url_takes_only_its_own_secret() {
    let env = tenant_env();
    let server = Proc::serve(&env, &["--workers", "0"]);
    let acme = format!("{}{PATH}/acme", server.base);
    let globex = format!("{}{PATH}/globex", server.base);
    assert_eq!(send(&env, ACME_SECRET, &acme, seed(111, 1)).0, 202);
    assert_eq!(send(&env, GLOBEX_SECRET, &globex, seed(222, 1)).0, 202);
    // The app's secret and the other tenant's are not this tenant's.
    assert_eq!(send(&env, SECRET, &acme, seed(111, 2)).0, 401);
    assert_eq!(send(&env, GLOBEX_SECRET, &acme, seed(111, 3)).0, 401);
    // Nor is a tenant's secret good on the shared URL.
    assert_eq!(send(&env, ACME_SECRET, &server.url(), seed(111, 4)).0, 401);
    // Its own secret does not let it post another tenant's portal.
    assert_eq!(send(&env, ACME_SECRET, &acme, seed(222, 5)).0, 403);
    // A body without a portal (Forms API v3) is the URL's tenant's.
    let forms = std::fs::read(crate::env::fixture("forms-v3.json")).unwrap();
    assert_eq!(send(&env, ACME_SECRET, &acme, forms).0, 202);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM submissions WHERE tenant_id = 'acme'"),
        2
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM submissions WHERE tenant_id = 'globex'"),
        1
    );
    // A tenant without its own secret and an undeclared one look alike: an unknown route.
    let (initech, _) = send(
        &env,
        SECRET,
        &format!("{}{PATH}/initech", server.base),
        seed(333, 6),
    );
    let (nosuch, nosuch_body) = send(
        &env,
        SECRET,
        &format!("{}{PATH}/nosuch", server.base),
        seed(333, 7),
    );
    let (route, route_body) = send(
        &env,
        SECRET,
        &format!("{}/nowhere", server.base),
        seed(1, 8),
    );
    assert_eq!((initech, nosuch, route), (404, 404, 404));
    assert_eq!(nosuch_body, route_body);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM submissions"), 3);
}

#[test]
fn without_tenants_every_portal_is_the_default_tenants_and_there_is_no_tenant_url() {
    let env = TestEnv::new().env("SALESAGENT_WEBHOOK_SECRET", SECRET);
    let server = Proc::serve(&env, &["--workers", "0"]);
    assert_eq!(send(&env, SECRET, &server.url(), seed(999, 1)).0, 202);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM submissions WHERE tenant_id = 'default'"),
        1
    );
    let default_url = format!("{}{PATH}/default", server.base);
    assert_eq!(send(&env, SECRET, &default_url, seed(999, 2)).0, 404);
}

#[test]
fn run_and_import_with_a_tenant_refuse_another_tenants_portal() {
    let env = tenant_env();
    let payload = env.write_file("globex.json", seed(222, 1));
    let out = env.run(&["--tenant", "acme", "run", payload.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("portal 222 belongs to tenant globex, not acme"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM submissions"), 0);
    let out = env.run(&["--tenant", "globex", "run", payload.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("mail/globex/drafts/"),
        "{}",
        stdout(&out)
    );

    let csv = env.write_file(
        "leads.csv",
        "email,firstName,formId,portalId\n\
         a@northwind.test,Ann,f-1,111\n\
         b@northwind.test,Bo,f-1,222\n\
         c@northwind.test,Cy,f-1,\n",
    );
    let out = env.run(&[
        "--tenant",
        "acme",
        "import",
        csv.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(11), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["rows_accepted"], 2, "{summary}");
    assert_eq!(summary["rows_rejected"], 1, "{summary}");
    let error = &summary["errors"][0];
    assert_eq!(error["row"], 3, "{summary}");
    assert_eq!(error["column"], "portalId", "{summary}");
    assert!(
        error["reason"]
            .as_str()
            .unwrap()
            .contains("portal 222 belongs to tenant globex"),
        "{summary}"
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM submissions WHERE tenant_id = 'acme'"),
        2
    );
}

fn eml_files(dir: PathBuf) -> Vec<String> {
    std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn each_tenants_jobs_run_with_its_own_config_and_write_under_its_own_mail_directory() {
    let env = tenant_env();
    let server = Proc::serve(&env, &["--workers", "2"]);
    let url = server.url();
    assert_eq!(send(&env, SECRET, &url, seed(111, 1)).0, 202);
    assert_eq!(send(&env, SECRET, &url, seed(222, 1)).0, 202);
    wait_for("both workflows to complete", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'") == 2
    });
    let acme = eml_files(env.mail_dir().join("acme/drafts"));
    let globex = eml_files(env.mail_dir().join("globex/drafts"));
    assert_eq!((acme.len(), globex.len()), (1, 1));
    assert!(
        acme[0].contains("From: Acme Sales <sales@acme.test>"),
        "{}",
        acme[0]
    );
    assert!(acme[0].contains("Subject: Acme follows up"), "{}", acme[0]);
    assert!(
        globex[0].contains("From: Globex Team <team@globex.test>"),
        "{}",
        globex[0]
    );
    assert!(
        globex[0].contains("Subject: Globex follows up"),
        "{}",
        globex[0]
    );
    assert!(
        !env.mail_dir().join("drafts").exists(),
        "declared tenants never write to the single-tenant mail/drafts/"
    );
    // Each draft row is its tenant's.
    assert_eq!(
        env.sql_i64(
            "SELECT COUNT(*) FROM drafts d JOIN workflows w ON w.id = d.workflow_id
             WHERE d.tenant_id = w.tenant_id AND d.sender LIKE '%' || w.tenant_id || '%'"
        ),
        2
    );
}

#[test]
fn one_tenants_backlog_does_not_hold_up_another_tenants_webhooks() {
    let env = tenant_env();
    // acme's backlog: 20,000 imported rows, moved onto the queue globex's webhooks use, so only
    // the rotation across tenants (not the queues' weights) can let globex through.
    let mut csv = String::from("email,firstName,formId,portalId\n");
    for i in 0..20_000 {
        csv.push_str(&format!("lead{i}@backlog{i}.test,Lee,f-bulk,111\n"));
    }
    let file = env.write_file("backlog.csv", csv);
    let out = env.run(&["--tenant", "acme", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute(
        "UPDATE jobs SET queue = 'normal' WHERE tenant_id = 'acme'",
        [],
    )
    .unwrap();
    drop(conn);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE tenant_id = 'acme' AND state = 'available'"),
        20_000
    );
    let server = Proc::serve(&env, &["--workers", "2"]);
    wait_for("acme's backlog to start draining", || {
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE tenant_id = 'acme' AND state = 'completed'")
            > 0
    });
    for n in 0..50 {
        let lead = format!("lead{n}@globex-customer{n}.test");
        let (status, body) = send(&env, SECRET, &server.url(), seed_from(222, n, &lead));
        assert_eq!(status, 202, "{body}");
    }
    wait_for("globex's 50 workflows to complete", || {
        env.sql_i64(
            "SELECT COUNT(*) FROM workflows WHERE tenant_id = 'globex' AND status = 'completed'",
        ) == 50
    });
    let acme_done =
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE tenant_id = 'acme' AND state = 'completed'");
    assert!(
        acme_done < 10_000,
        "globex's webhooks waited behind acme's backlog: {acme_done} of acme's 20,000 ran first"
    );
}

#[test]
fn a_tenants_max_concurrent_jobs_holds_across_the_workers() {
    let env = tenant_env();
    env.write_config(&TENANTS.replace(
        "[tenants.acme]\nname = \"Acme\"",
        "[tenants.acme]\nname = \"Acme\"\nmax_concurrent_jobs = 1",
    ));
    // Everything is queued before any worker runs, so both workers have work at once.
    let server = Proc::serve(&env, &["--workers", "0"]);
    for n in 0..12 {
        let lead = format!("lead{n}@acme-customer{n}.test");
        assert_eq!(
            send(&env, SECRET, &server.url(), seed_from(111, n, &lead)).0,
            202
        );
    }
    // Each time an acme job starts running, how many of acme's run: recorded by the database
    // itself, in the claim's own transaction.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(
        "CREATE TABLE acme_running_seen (n INTEGER NOT NULL);
         CREATE TRIGGER acme_running AFTER UPDATE OF state ON jobs
         WHEN NEW.state = 'running' AND NEW.tenant_id = 'acme'
         BEGIN
             INSERT INTO acme_running_seen
                 SELECT COUNT(*) FROM jobs WHERE state = 'running' AND tenant_id = 'acme';
         END;",
    )
    .unwrap();
    let _workers = Proc::worker(&env, &["--workers", "2"]);
    wait_for("acme's 12 workflows to complete", || {
        env.sql_i64(
            "SELECT COUNT(*) FROM workflows WHERE tenant_id = 'acme' AND status = 'completed'",
        ) == 12
    });
    assert!(env.sql_i64("SELECT COUNT(*) FROM acme_running_seen") >= 12);
    assert_eq!(
        env.sql_i64("SELECT MAX(n) FROM acme_running_seen"),
        1,
        "two of acme's jobs ran at once"
    );
}
