//! Multi-tenancy leftovers: embedded CRM ids keyed per tenant, queue gauges over every tenant,
//! `probe`/`webhook sign|send` with a tenant's own secret, and `serve` without a top-level secret.

use crate::env::{TestEnv, parse_json, stderr};
use crate::server_support::{PATH, Proc, SECRET, post, signed_headers, wait_for};
use crate::tenant_intake::{ACME_SECRET, GLOBEX_SECRET};
use crate::tenants::{TWO_TENANTS, payload, run_ok as ok};

const LEAD: &str = "dana.whitfield@northwind-robotics.com";

#[test]
fn the_same_crm_contact_id_lives_in_two_tenants_apart() {
    let env = TestEnv::new();
    env.write_config(TWO_TENANTS);
    for (tenant, first) in [("acme", "Ann"), ("globex", "Gil")] {
        let added = ok(
            &env,
            &[
                "crm",
                "add-contact",
                "--tenant",
                tenant,
                "--email",
                LEAD,
                "--first-name",
                first,
                "--id",
                "3234588",
                "--json",
            ],
        );
        assert_eq!(added["id"], 3234588, "{tenant}: {added}");
    }
    // The pipeline in each tenant finds its own contact 3234588 and hangs its task on it.
    for tenant in ["acme", "globex"] {
        let report = ok(
            &env,
            &["run", "--tenant", tenant, &payload(&env, tenant), "--json"],
        );
        assert_eq!(report["status"], "completed", "{tenant}: {report}");
    }
    // A second contact without --id in each tenant gets a fresh id there.
    for tenant in ["acme", "globex"] {
        ok(
            &env,
            &[
                "crm",
                "add-contact",
                "--tenant",
                tenant,
                "--email",
                "x@y.example",
                "--json",
            ],
        );
    }
    for (tenant, first) in [("acme", "Ann"), ("globex", "Gil")] {
        let contacts = ok(&env, &["crm", "contacts", "--tenant", tenant, "--json"]);
        let contacts = contacts.as_array().unwrap();
        assert_eq!(contacts.len(), 2, "{tenant}: {contacts:?}");
        let ours = contacts.iter().find(|c| c["email"] == LEAD).unwrap();
        assert_eq!(ours["id"], 3234588, "{tenant}: {contacts:?}");
        assert_eq!(ours["first_name"], first, "{tenant}: {contacts:?}");
        let tasks = ok(&env, &["crm", "tasks", "--tenant", tenant, "--json"]);
        let tasks = tasks.as_array().unwrap();
        assert_eq!(tasks.len(), 1, "{tenant}: {tasks:?}");
        assert_eq!(tasks[0]["contact_id"], 3234588, "{tenant}: {tasks:?}");
    }
    let all = ok(&env, &["crm", "contacts", "--json"]);
    assert_eq!(all.as_array().unwrap().len(), 4, "{all}");
}

/// A database from before V14 (the CRM tables as V1 made them, with rows) keeps every contact
/// and task, ids and links included, when this build migrates it.
#[test]
fn v14_keeps_the_crm_rows_it_rekeys() {
    let env = TestEnv::new();
    env.init_db();
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(
        "DROP TABLE crm_tasks; DROP TABLE crm_contacts;
         CREATE TABLE crm_contacts (
             id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL DEFAULT 'default',
             email TEXT NOT NULL, first_name TEXT, last_name TEXT, company TEXT, job_title TEXT,
             phone TEXT, company_id INTEGER REFERENCES crm_companies (id),
             created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
         CREATE UNIQUE INDEX crm_contacts_email ON crm_contacts (tenant_id, email);
         CREATE TABLE crm_tasks (
             id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL DEFAULT 'default',
             contact_id INTEGER NOT NULL REFERENCES crm_contacts (id), reference TEXT NOT NULL,
             subject TEXT NOT NULL, body TEXT NOT NULL, priority TEXT NOT NULL,
             task_type TEXT NOT NULL, owner_id TEXT, status TEXT NOT NULL DEFAULT 'NOT_STARTED',
             due_at INTEGER NOT NULL, created_at INTEGER NOT NULL);
         INSERT INTO crm_contacts (id, email, first_name, created_at, updated_at)
             VALUES (41, 'old@example.com', 'Olga', 1, 1);
         INSERT INTO crm_tasks (id, contact_id, reference, subject, body, priority, task_type,
                                due_at, created_at)
             VALUES (7, 41, 'ref-1', 'Follow up', 'body', 'HIGH', 'EMAIL', 2, 1);
         DELETE FROM refinery_schema_history WHERE version = 14;",
    )
    .unwrap();
    drop(conn);
    let contacts = ok(&env, &["crm", "contacts", "--json"]);
    assert_eq!(contacts[0]["id"], 41, "{contacts}");
    assert_eq!(contacts[0]["email"], "old@example.com", "{contacts}");
    let tasks = ok(&env, &["crm", "tasks", "--json"]);
    assert_eq!(tasks[0]["id"], 7, "{tasks}");
    assert_eq!(tasks[0]["contact_id"], 41, "{tasks}");
    let added = ok(
        &env,
        &["crm", "add-contact", "--email", "new@example.com", "--json"],
    );
    assert_eq!(added["id"], 42, "{added}");
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let fk_problems: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk_problems, 0);
}

/// Two tenants, each with its own portal and webhook secret.
const OWN_SECRETS: &str = r#"
[tenants.acme]
portal_ids = [111]
webhook_secret_env = "ACME_WEBHOOK_SECRET"

[tenants.globex]
portal_ids = [222]
webhook_secret_env = "GLOBEX_WEBHOOK_SECRET"
"#;

fn own_secrets_env(extra_config: &str) -> TestEnv {
    let env = TestEnv::new()
        .env("SALESAGENT_WEBHOOK_SECRET", SECRET)
        .env("ACME_WEBHOOK_SECRET", ACME_SECRET)
        .env("GLOBEX_WEBHOOK_SECRET", GLOBEX_SECRET);
    env.write_config(&format!("{extra_config}\n{OWN_SECRETS}"));
    env
}

fn seed(portal: u64, n: usize) -> Vec<u8> {
    format!(
        r#"{{"portalId":{portal},"formId":"f-shared","formSubmissionId":"sub-{n}","submittedAt":1764412800000,
        "fieldValues":[{{"name":"email","value":"lead{n}@northwind.test"}},{{"name":"firstname","value":"Dana"}}]}}"#
    )
    .into_bytes()
}

/// The status of posting `body` to `url` signed with `secret`.
fn send(env: &TestEnv, secret: &str, url: &str, body: Vec<u8>) -> u16 {
    crate::tenant_intake::send(env, secret, url, body).0
}

fn metrics(server: &Proc) -> String {
    reqwest::blocking::get(format!("{}/metrics", server.base))
        .unwrap()
        .text()
        .unwrap()
}

/// Waits (bounded) for every line of `want` to be in a scrape; panics with the last one.
fn wait_for_series(server: &Proc, want: &[&str]) {
    let mut text = String::new();
    let found = (0..600).any(|_| {
        text = metrics(server);
        let all = want.iter().all(|w| text.lines().any(|l| l == *w));
        if !all {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        all
    });
    assert!(found, "wanted {want:#?} in:\n{text}");
}

/// Two jobs waiting for acme and one for globex, through each tenant's own URL.
fn queue_three(env: &TestEnv, server: &Proc) {
    let acme = format!("{}{PATH}/acme", server.base);
    let globex = format!("{}{PATH}/globex", server.base);
    assert_eq!(send(env, ACME_SECRET, &acme, seed(111, 1)), 202);
    assert_eq!(send(env, ACME_SECRET, &acme, seed(111, 2)), 202);
    assert_eq!(send(env, GLOBEX_SECRET, &globex, seed(222, 3)), 202);
}

/// A serve without workers (`extra_config` added) and three jobs waiting in it.
fn serve_with_three_queued(extra_config: &str) -> (TestEnv, Proc) {
    let env = own_secrets_env(extra_config);
    let server = Proc::serve(&env, &["--workers", "0"]);
    queue_three(&env, &server);
    (env, server)
}

#[test]
fn queue_gauges_count_every_tenants_jobs() {
    let (_env, server) = serve_with_three_queued("");
    wait_for_series(
        &server,
        &[
            "salesagent_queue_jobs{queue=\"normal\",state=\"available\"} 3",
            "salesagent_workflows{status=\"pending\"} 3",
        ],
    );
    let text = metrics(&server);
    assert!(
        !text.contains("tenant=\"acme\""),
        "no tenant labels unless asked:\n{text}"
    );
}

#[test]
fn queue_gauges_carry_the_tenant_with_tenant_labels() {
    let (_env, server) = serve_with_three_queued("[metrics]\ntenant_labels = true\n");
    wait_for_series(
        &server,
        &[
            "salesagent_queue_jobs{tenant=\"acme\",queue=\"normal\",state=\"available\"} 2",
            "salesagent_queue_jobs{tenant=\"globex\",queue=\"normal\",state=\"available\"} 1",
            "salesagent_workflows{tenant=\"globex\",status=\"pending\"} 1",
            "salesagent_dead_letters{tenant=\"acme\"} 0",
        ],
    );
}

/// The two tenants with their own secrets plus initech, which has none (the shared URL, routed
/// by its portal, is its only way in).
fn three_tenants_env() -> TestEnv {
    let env = own_secrets_env("");
    env.write_config(&format!(
        "{OWN_SECRETS}\n[tenants.initech]\nportal_ids = [333]\n"
    ));
    env
}

#[test]
fn probe_with_a_tenant_goes_through_that_tenants_url_and_secret() {
    let env = three_tenants_env();
    let server = Proc::serve(&env, &[]);
    for (tenant, posted_to) in [
        ("acme", format!("{}/acme", server.url())),
        ("globex", format!("{}/globex", server.url())),
        ("initech", server.url()),
    ] {
        let report = env.json(&[
            "probe",
            "--tenant",
            tenant,
            "--url",
            &server.url(),
            "--timeout",
            "60s",
        ]);
        assert_eq!(report["ok"], true, "{tenant}: {report}");
        assert_eq!(report["url"], posted_to.as_str(), "{tenant}: {report}");
        assert_eq!(report["status"], "completed", "{tenant}: {report}");
        assert_eq!(report["cleaned_up"], true, "{tenant}: {report}");
    }
    for table in ["submissions", "workflows", "jobs", "drafts"] {
        assert_eq!(
            env.sql_i64(&format!("SELECT COUNT(*) FROM {table}")),
            0,
            "{table}"
        );
    }
    // Another tenant's secret is not acme's: the probe fails with the server's 401.
    let out = env
        .cmd()
        .env("ACME_WEBHOOK_SECRET", GLOBEX_SECRET)
        .args(["probe", "--tenant", "acme", "--url", &server.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(crate::env::stdout(&out).contains("FAILED: the server answered 401"));
}

/// `webhook VERB --tenant T --url URL FILE --json` as an operator of T, who knows T's secret
/// only; it must succeed.
fn as_tenant_operator(
    env: &TestEnv,
    verb: &str,
    tenant: &str,
    url: &str,
    file: &std::path::Path,
) -> std::process::Output {
    let out = env
        .cmd()
        .env_remove("SALESAGENT_WEBHOOK_SECRET")
        .args(["webhook", verb, "--tenant", tenant, "--url", url])
        .arg(file)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

#[test]
fn webhook_sign_and_send_with_a_tenant_use_its_own_secret_and_url() {
    let env = three_tenants_env();
    let server = Proc::serve(&env, &["--workers", "0"]);
    let file = env.write_file("acme.json", seed(111, 1));
    // An operator of acme knows acme's secret only.
    let out = as_tenant_operator(&env, "send", "acme", &server.url(), &file);
    assert_eq!(parse_json(&out.stdout)["status"], 202);

    let file = env.write_file("globex.json", seed(222, 2));
    let out = as_tenant_operator(&env, "sign", "globex", &server.url(), &file);
    let signed = parse_json(&out.stdout);
    let globex_url = format!("{}/globex", server.url());
    assert_eq!(signed["url"], globex_url.as_str(), "{signed}");
    let (status, body, _) = post(&globex_url, &signed_headers(&signed), seed(222, 2));
    assert_eq!(status, 202, "{body}");

    // A tenant without a secret of its own: the app's secret and the shared URL.
    let file = env.write_file("initech.json", seed(333, 3));
    let out = env
        .cmd()
        .args([
            "webhook",
            "send",
            "--tenant",
            "initech",
            "--url",
            &server.url(),
        ])
        .arg(&file)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for tenant in ["acme", "globex", "initech"] {
        assert_eq!(
            env.sql_i64(&format!(
                "SELECT COUNT(*) FROM submissions WHERE tenant_id = '{tenant}'"
            )),
            1,
            "{tenant}"
        );
    }
}

#[test]
fn without_an_app_secret_serve_keeps_the_shared_url_closed_when_every_tenant_has_its_own() {
    let env = own_secrets_env("");
    let server = Proc::serve_without_app_secret(&env, &["--workers", "0"]);
    wait_for("the log line saying the shared URL is closed", || {
        server.stderr().contains("the shared webhook URL is closed")
    });
    // Whatever signs it, and unsigned: 401 on the shared URL.
    for secret in [ACME_SECRET, GLOBEX_SECRET, SECRET] {
        assert_eq!(
            send(&env, secret, &server.url(), seed(111, 1)),
            401,
            "{secret:?}"
        );
    }
    let unsigned = post(
        &server.url(),
        &[("content-type".into(), "application/json".into())],
        seed(222, 2),
    );
    assert_eq!(unsigned.0, 401);
    let text_body = post(&server.url(), &[], b"not json".to_vec());
    assert_eq!(text_body.0, 401);
    // Each tenant's own URL takes its own secret.
    let acme = format!("{}{PATH}/acme", server.base);
    assert_eq!(send(&env, ACME_SECRET, &acme, seed(111, 3)), 202);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM submissions"), 1);
}

#[test]
fn without_an_app_secret_serve_refuses_to_start_naming_the_tenant_without_its_own() {
    let env = three_tenants_env();
    let out = env
        .cmd()
        .env_remove("SALESAGENT_WEBHOOK_SECRET")
        .args(["serve", "--listen", "127.0.0.1:0", "--workers", "0"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("tenant initech has no webhook secret"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert!(!err.contains("acme"), "{err}");
}
