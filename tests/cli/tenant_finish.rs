//! Multi-tenancy leftovers: embedded CRM ids keyed per tenant, queue gauges over every tenant,
//! `probe`/`webhook sign|send` with a tenant's own secret, and `serve` without a top-level secret.

use crate::env::{TestEnv, fixture, parse_json, stderr};

const TWO_TENANTS: &str = r#"
[tenants.acme]
name = "Acme Corp"
portal_ids = [4411223]

[tenants.globex]
name = "Globex"
portal_ids = [4411224]
"#;

const LEAD: &str = "dana.whitfield@northwind-robotics.com";

fn ok(env: &TestEnv, args: &[&str]) -> serde_json::Value {
    let out = env.run(args);
    assert!(
        out.status.success(),
        "salesagent {args:?}: {:?}\n{}",
        out.status.code(),
        stderr(&out)
    );
    parse_json(&out.stdout)
}

/// The seed-shape fixture as `tenant`'s portal sends it.
fn payload(env: &TestEnv, tenant: &str) -> String {
    let text = std::fs::read_to_string(fixture("seed-shape.json")).unwrap();
    let text = match tenant {
        "acme" => text,
        _ => text.replace("4411223", "4411224"),
    };
    env.write_file(&format!("{tenant}-seed.json"), text)
        .to_str()
        .unwrap()
        .to_string()
}

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
