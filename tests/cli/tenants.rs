//! Two tenants with overlapping data (the same lead email and form id in both), attacked as an
//! operator of one would: every id of tenant acme used with `--tenant globex` is "not found"
//! (exit 5) and changes none of acme's rows or files; reads without `--tenant` show both with
//! a TENANT column; writes without it refuse (exit 2); the kill switch, global suppressions,
//! `tenants` and `config check` per tenant.

use std::collections::BTreeMap;

use crate::env::{Backend, TestEnv, fixture, parse_json, stderr, stdout};

crate::on_both_backends!(every_id_of_one_tenant_is_not_found_in_another_and_changes_nothing);

pub(crate) const TWO_TENANTS: &str = r#"
[tenants.acme]
name = "Acme Corp"
portal_ids = [4411223]

[tenants.globex]
name = "Globex"
portal_ids = [4411224]
"#;

/// The seed-shape fixture as `tenant`'s portal sends it: the same lead and form in both.
pub(crate) fn payload(env: &TestEnv, tenant: &str) -> String {
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

/// Each tenant runs the same lead through its own portal.
fn both_ran_the_same_lead(env: &TestEnv) {
    for tenant in ["acme", "globex"] {
        let report = run_ok(
            env,
            &["run", "--tenant", tenant, &payload(env, tenant), "--json"],
        );
        assert_eq!(report["status"], "completed", "{tenant}: {report}");
    }
}

pub(crate) fn run_ok(env: &TestEnv, args: &[&str]) -> serde_json::Value {
    let out = env.run(args);
    assert!(
        out.status.success(),
        "salesagent {args:?}: {:?}\n{}",
        out.status.code(),
        stderr(&out)
    );
    parse_json(&out.stdout)
}

/// Every row of `tenant` in every table that has a tenant (plus the step, attempt and row-error
/// rows of its workflows, jobs and imports), and its mail files with their bytes: a command
/// that changed nothing of the tenant's leaves this exactly as it was.
fn dump(env: &TestEnv, tenant: &str) -> BTreeMap<String, Vec<String>> {
    let mut queries: Vec<(String, String)> = env
        .tables_with_column("tenant_id")
        .into_iter()
        .map(|t| {
            let sql = format!("SELECT * FROM {t} WHERE tenant_id = '{tenant}'");
            (t, sql)
        })
        .collect();
    for (child, parent, key) in [
        ("workflow_steps", "workflows", "workflow_id"),
        ("job_attempts", "jobs", "job_id"),
        ("import_row_errors", "import_jobs", "import_job_id"),
    ] {
        queries.push((
            child.to_string(),
            format!(
                "SELECT c.* FROM {child} c JOIN {parent} p ON p.id = c.{key}
                 WHERE p.tenant_id = '{tenant}'"
            ),
        ));
    }
    let mut out = BTreeMap::new();
    for (name, sql) in queries {
        // Sorted here: some tables have no rowid (WITHOUT ROWID), and order is not the point.
        let mut rows = env.sql_texts(&sql);
        rows.sort();
        out.insert(name, rows);
    }
    let mut files = Vec::new();
    collect_files(&env.mail_dir(), &mut files);
    files.sort();
    let acme_drafts = out["drafts"].join("\n");
    let mine: Vec<String> = files
        .iter()
        .filter(|(path, _)| {
            let stem = std::path::Path::new(path)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            acme_drafts.contains(&stem)
        })
        .map(|(path, bytes)| format!("{path} {}", bytes.len()))
        .collect();
    out.insert("mail files".into(), mine);
    out
}

fn collect_files(dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            out.push((path.display().to_string(), bytes));
        }
    }
}

/// Two tenants that each ran the same lead, imported the same file and reconciled; acme also
/// has a failed workflow with its dead letter and a quarantined payload.
struct Ids {
    workflow: String,
    failed_workflow: String,
    draft: String,
    import: String,
    dead_letter: String,
    report: String,
    quarantined: String,
}

fn two_tenants(env: &TestEnv) -> Ids {
    env.write_config(TWO_TENANTS);
    let acme = run_ok(
        env,
        &["run", "--tenant", "acme", &payload(env, "acme"), "--json"],
    );
    let globex = run_ok(
        env,
        &[
            "run",
            "--tenant",
            "globex",
            &payload(env, "globex"),
            "--json",
        ],
    );
    assert_eq!(acme["status"], "completed", "{acme}");
    assert_eq!(globex["status"], "completed", "{globex}");
    // A failed workflow of acme's (its CRM refuses the task), left with a dead letter.
    let failed = {
        let _down = env.crm_refuses_tasks();
        let out = env.run(&[
            "run",
            "--tenant",
            "acme",
            fixture("forms-v3.json").to_str().unwrap(),
            "--json",
        ]);
        parse_json(&out.stdout)
    };
    assert_eq!(failed["status"], "failed", "{failed}");
    let failed_workflow = failed["workflow_id"].as_str().unwrap().to_string();
    let blob = match env.backend() {
        Backend::Sqlite => "X'7b7d'",
        Backend::Postgres => "'\\x7b7d'::bytea",
    };
    env.sql_batch(&format!(
        "INSERT INTO jobs (id, tenant_id, queue, kind, workflow_id, payload, state, attempt,
             max_attempts, run_at, last_error, last_error_class, created_at, updated_at)
         VALUES ('job-0001-dead', 'acme', 'normal', 'workflow', '{failed_workflow}', '{{}}',
                 'dead', 2, 2, 1, 'crm down', 'transient', 1, 1);
         INSERT INTO job_attempts (job_id, attempt, worker, error, error_class, started_at, finished_at)
         VALUES ('job-0001-dead', 1, 'w1', 'crm down', 'transient', 1, 1);
         INSERT INTO dead_letters (id, tenant_id, job_id, workflow_id, error_class, error, attempts,
             payload, created_at)
         VALUES ('dl-0001-a', 'acme', 'job-0001-dead', '{failed_workflow}', 'transient',
                 'crm down', 2, '{{}}', 1);
         INSERT INTO quarantined_payloads (id, tenant_id, reason, content_type, raw_payload, received_at)
         VALUES ('qp-0001-a', 'acme', 'unparseable', 'application/json', {blob}, 1);"
    ));
    // The same CSV in both: one live import per file and tenant.
    let csv = fixture("leads.csv");
    let csv = csv.to_str().unwrap();
    for tenant in ["acme", "globex"] {
        let out = env.run(&["import", "--tenant", tenant, csv, "--json"]);
        assert!(
            matches!(out.status.code(), Some(0 | 11)),
            "import for {tenant}: {}",
            stderr(&out)
        );
    }
    let imports = run_ok(env, &["import", "list", "--tenant", "acme", "--json"]);
    for tenant in ["acme", "globex"] {
        let out = env.run(&["reconcile", "--tenant", tenant, "--json"]);
        assert!(
            matches!(out.status.code(), Some(0 | 10)),
            "reconcile for {tenant}: {}",
            stderr(&out)
        );
    }
    let reports = run_ok(env, &["reconcile", "reports", "--tenant", "acme", "--json"]);
    Ids {
        workflow: acme["workflow_id"].as_str().unwrap().to_string(),
        failed_workflow,
        draft: acme["draft"]["id"].as_str().unwrap().to_string(),
        import: imports[0]["id"].as_str().unwrap().to_string(),
        dead_letter: "dl-0001-a".into(),
        report: reports[0]["id"].as_str().unwrap().to_string(),
        quarantined: "qp-0001-a".into(),
    }
}

fn every_id_of_one_tenant_is_not_found_in_another_and_changes_nothing(backend: Backend) {
    let env = TestEnv::on(backend);
    let ids = two_tenants(&env);
    let before = dump(&env, "acme");
    assert!(!before["drafts"].is_empty() && !before["dead_letters"].is_empty());
    let attacks: Vec<Vec<&str>> = vec![
        vec!["workflows", "show", &ids.workflow],
        vec!["workflows", "retry", &ids.failed_workflow],
        vec!["drafts", "show", &ids.draft],
        vec!["drafts", "approve", &ids.draft],
        vec!["drafts", "reject", &ids.draft, "--reason", "not ours"],
        vec!["drafts", "send", &ids.draft, "--yes"],
        vec!["drafts", "recompose", &ids.draft],
        vec!["dlq", "show", &ids.dead_letter],
        vec!["dlq", "retry", &ids.dead_letter, "--yes"],
        vec!["dlq", "retry", &ids.dead_letter, "--now", "--yes"],
        vec!["import", "status", &ids.import],
        vec!["import", "errors", &ids.import],
        vec!["import", "pause", &ids.import],
        vec!["import", "resume", &ids.import],
        vec!["import", "cancel", &ids.import],
        vec!["reconcile", "report", &ids.report],
        vec!["quarantine", "show", &ids.quarantined],
        vec!["quarantine", "replay", &ids.quarantined, "--yes"],
        vec!["quarantine", "discard", &ids.quarantined, "--reason", "x"],
    ];
    let mut wrong = Vec::new();
    for attack in &attacks {
        for json in [false, true] {
            let mut args = vec!["--tenant", "globex"];
            args.extend(attack.iter().copied());
            if json {
                args.push("--json");
            }
            let out = env.run(&args);
            if out.status.code() != Some(5) {
                wrong.push(format!(
                    "{args:?}: exit {:?}\n{}{}",
                    out.status.code(),
                    stdout(&out),
                    stderr(&out)
                ));
            }
            // Indistinguishable from an id that does not exist: no tenant named, nothing about
            // acme in the answer.
            let text = format!("{}{}", stdout(&out), stderr(&out));
            assert!(!text.contains("acme"), "{args:?} says acme: {text}");
        }
    }
    assert!(
        wrong.is_empty(),
        "not answered with not found:\n{}",
        wrong.join("\n")
    );
    assert_eq!(
        dump(&env, "acme"),
        before,
        "a command with --tenant globex changed acme's rows"
    );
    // The same ids in their own tenant are found, so the answers above were about the tenant.
    for attack in [
        vec!["workflows", "show", ids.workflow.as_str()],
        vec!["drafts", "show", &ids.draft],
        vec!["dlq", "show", &ids.dead_letter],
        vec!["import", "status", &ids.import],
        vec!["reconcile", "report", &ids.report],
        vec!["quarantine", "show", &ids.quarantined],
    ] {
        let mut args = vec!["--tenant", "acme"];
        args.extend(attack);
        let out = env.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn deciding_and_exporting_in_one_tenant_never_touches_the_other() {
    let env = TestEnv::new();
    two_tenants(&env);
    let before = dump(&env, "acme");
    let globex_draft = run_ok(
        &env,
        &[
            "drafts",
            "list",
            "--tenant",
            "globex",
            "--status",
            "pending_review",
            "--json",
        ],
    )[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for args in [
        vec![
            "--tenant",
            "globex",
            "drafts",
            "reject",
            &globex_draft,
            "--reason",
            "no",
        ],
        vec![
            "--tenant",
            "globex",
            "drafts",
            "approve",
            "--all-pending",
            "--yes",
        ],
        vec!["--tenant", "globex", "dlq", "retry", "--all", "--yes"],
        vec!["--tenant", "globex", "reconcile", "--fix"],
        vec!["--tenant", "globex", "import", "cancel", "--help"],
    ] {
        let out = env.run(&args);
        assert!(
            matches!(out.status.code(), Some(0 | 10)),
            "{args:?}: {:?} {}",
            out.status.code(),
            stderr(&out)
        );
    }
    let export = env.path().join("globex-dlq.csv");
    let out = env.run(&[
        "--tenant",
        "globex",
        "dlq",
        "export",
        "--format",
        "csv",
        "--output",
        export.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let exported = std::fs::read_to_string(&export).unwrap();
    assert!(!exported.contains("dl-0001-a"), "{exported}");
    let reject = run_ok(&env, &["drafts", "show", &globex_draft, "--json"]);
    assert_eq!(reject["status"], "rejected");
    assert_eq!(reject["tenant"], "globex");
    assert_eq!(
        dump(&env, "acme"),
        before,
        "globex's decisions changed acme's rows"
    );
}

#[test]
fn reads_without_a_tenant_show_both_and_writes_refuse() {
    let env = TestEnv::new();
    let ids = two_tenants(&env);
    let out = env.run(&["workflows", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("TENANT"), "{text}");
    assert!(text.contains("acme") && text.contains("globex"), "{text}");
    let listed = run_ok(&env, &["drafts", "list", "--json"]);
    let tenants: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["tenant"].as_str().unwrap())
        .collect();
    assert!(
        tenants.contains(&"acme") && tenants.contains(&"globex"),
        "{listed}"
    );
    let out = env.run(&[
        "--tenant", "globex", "suppress", "add", "a@b.com", "--reason", "x",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for args in [
        vec!["audit", "list"],
        vec!["dlq", "list"],
        vec!["import", "list"],
        vec!["crm", "contacts"],
        vec!["crm", "tasks"],
        vec!["reconcile", "reports"],
        vec!["quarantine", "list"],
    ] {
        let out = env.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.starts_with("TENANT"),
            "{args:?}: {text}{}",
            stderr(&out)
        );
    }
    for args in [vec!["stats"], vec!["queues"], vec!["mode", "show"]] {
        let mut json = args.clone();
        json.push("--json");
        let each = run_ok(&env, &json);
        let tenants: Vec<&str> = each
            .as_array()
            .unwrap_or_else(|| panic!("{args:?}: {each}"))
            .iter()
            .map(|t| t["tenant"].as_str().unwrap())
            .collect();
        assert_eq!(tenants, ["acme", "globex"], "{args:?}");
    }
    // One id without --tenant: found in its tenant, and shown with it.
    let shown = run_ok(&env, &["workflows", "show", &ids.workflow, "--json"]);
    assert_eq!(shown["tenant"], "acme");
    let page = stdout(&env.run(&["drafts", "show", &ids.draft]));
    assert!(page.starts_with("tenant      acme"), "{page}");
    // Writes refuse to guess.
    for args in [
        vec!["drafts", "approve", ids.draft.as_str()],
        vec!["drafts", "reject", &ids.draft, "--reason", "x"],
        vec!["workflows", "retry", &ids.failed_workflow],
        vec!["dlq", "retry", &ids.dead_letter, "--yes"],
        vec!["import", "cancel", &ids.import],
        vec!["reconcile"],
        vec!["suppress", "add", "a@b.com", "--reason", "x"],
        vec!["mode", "set", "draft-only"],
        vec!["run", fixture("forms-v3.json").to_str().unwrap()],
    ] {
        let before = dump(&env, "acme");
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("which tenant?") && err.contains("--tenant"),
            "{err}"
        );
        assert_eq!(dump(&env, "acme"), before, "{args:?} changed acme");
    }
}

#[test]
fn the_kill_switch_and_global_suppressions_cover_every_tenant() {
    let env = TestEnv::new();
    env.write_config(TWO_TENANTS);
    let out = env.run(&[
        "mode",
        "set",
        "draft-only",
        "--all-tenants",
        "--reason",
        "drill",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = run_ok(&env, &["audit", "list", "--action", "mode.set", "--json"]);
    let tenants: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(tenants.len(), 2, "{audit}");
    assert!(tenants.contains(&"acme") && tenants.contains(&"globex"));
    let out = env.run(&[
        "mode",
        "set",
        "send",
        "--all-tenants",
        "--reason",
        "x",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    let out = env.run(&[
        "suppress",
        "add",
        "--global",
        "@northwind-robotics.com",
        "--reason",
        "spam",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&[
        "suppress", "add", "--global", "--tenant", "acme", "x@y.com", "--reason", "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    for tenant in ["acme", "globex"] {
        let report = run_ok(
            &env,
            &["run", "--tenant", tenant, &payload(&env, tenant), "--json"],
        );
        assert_eq!(report["status"], "suppressed", "{tenant}: {report}");
    }
    let listed = run_ok(&env, &["suppress", "list", "--json"]);
    assert_eq!(listed[0]["global"], true, "{listed}");
    let out = env.run(&["suppress", "remove", "--global", "@northwind-robotics.com"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A tenant's own entry binds only that tenant.
    let out = env.run(&[
        "suppress",
        "add",
        "--tenant",
        "acme",
        "lee.okafor@northwind-robotics.com",
        "--reason",
        "asked",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let globex = run_ok(&env, &["--tenant", "globex", "suppress", "list", "--json"]);
    assert_eq!(globex, serde_json::json!([]));
    let acme = run_ok(&env, &["--tenant", "acme", "suppress", "list", "--json"]);
    assert_eq!(acme[0]["tenant"], "acme", "{acme}");
}

#[test]
fn tenants_list_and_show_say_what_each_tenant_is() {
    let env = TestEnv::new();
    two_tenants(&env);
    let list = run_ok(&env, &["tenants", "list", "--json"]);
    let acme = &list[0];
    assert_eq!(acme["slug"], "acme");
    assert_eq!(acme["name"], "Acme Corp");
    assert_eq!(acme["portal_ids"], serde_json::json!([4411223]));
    assert_eq!(acme["mode"], "draft_only");
    assert!(acme["counts"]["workflows"].as_i64().unwrap() >= 2, "{acme}");
    assert!(
        acme["counts"]["drafts_waiting"].as_i64().unwrap() >= 1,
        "{acme}"
    );
    assert_eq!(acme["counts"]["dead_letters"], 1);
    assert!(acme["last_submission_at"].is_string());
    assert_eq!(list[1]["counts"]["dead_letters"], 0);
    let out = env.run(&["tenants", "show", "nosuch"]);
    assert_eq!(out.status.code(), Some(5));
    let text = stdout(&env.run(&["tenants", "list"]));
    assert!(text.starts_with("TENANT"), "{text}");
}

#[test]
fn tenant_credentials_show_their_source_never_their_value() {
    let env = TestEnv::new().env("ACME_HUBSPOT_TOKEN", "pat-na1-acme-secret-value-0123456789");
    env.write_config(&TWO_TENANTS.replace(
        "portal_ids = [4411223]",
        "portal_ids = [4411223]\nhubspot_token_env = \"ACME_HUBSPOT_TOKEN\"",
    ));
    let shown = stdout(&env.run(&["tenants", "show", "acme", "--json"]));
    assert!(!shown.contains("pat-na1"), "{shown}");
    assert!(shown.contains("ACME_HUBSPOT_TOKEN"), "{shown}");
    let page = stdout(&env.run(&["tenants", "show", "acme"]));
    assert!(
        page.contains("ACME_HUBSPOT_TOKEN") && !page.contains("pat-na1"),
        "{page}"
    );
    let check = env.run(&["config", "check", "--json"]);
    let text = stdout(&check);
    assert!(!text.contains("pat-na1"), "{text}");
    let report = parse_json(&check.stdout);
    assert!(report["tenants"]["acme"].is_object(), "{report}");
    assert!(report["tenants"]["globex"].is_object(), "{report}");
    let one = run_ok(&env, &["config", "check", "--tenant", "globex", "--json"]);
    assert_eq!(one["tenant"], "globex");
    assert!(one.get("tenants").is_none(), "{one}");
    let human = stdout(&env.run(&["config", "check"]));
    assert!(
        human.contains("# tenant acme") && human.contains("# tenant globex"),
        "{human}"
    );
    assert!(!human.contains("pat-na1"), "{human}");
}

#[test]
fn send_mode_is_per_tenant_with_its_own_gates_and_the_kill_switch_stops_both() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "environment = \"production\"\n{}\n[tenants.acme.send]\nallow = true\nsender_allowlist = [\"sales@example.com\"]\n",
        TWO_TENANTS
    ));
    both_ran_the_same_lead(&env);
    let out = env.run(&[
        "--tenant", "acme", "mode", "set", "send", "--reason", "go", "--yes",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // globex's own gates fail: its [send] is the top level's, which allows nothing.
    let out = env.run(&[
        "--tenant", "globex", "mode", "set", "send", "--reason", "go", "--yes",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("send.allow"), "{}", stderr(&out));
    let modes = run_ok(&env, &["mode", "show", "--json"]);
    assert_eq!(modes[0]["tenant"], "acme");
    assert_eq!(modes[0]["mode"], "send");
    assert_eq!(modes[1]["mode"], "draft_only");
    // Approving in each: acme's draft goes out, globex's stays approved (its mode is its own).
    let draft = |tenant: &str| {
        run_ok(&env, &["drafts", "list", "--tenant", tenant, "--json"])[0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (acme, globex) = (draft("acme"), draft("globex"));
    for (tenant, id) in [("acme", &acme), ("globex", &globex)] {
        let out = env.run(&["--tenant", tenant, "drafts", "approve", id, "--yes"]);
        assert!(out.status.success(), "{tenant}: {}", stderr(&out));
    }
    let status = |tenant: &str, id: &str| {
        run_ok(&env, &["drafts", "show", "--tenant", tenant, id, "--json"])["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status("acme", &acme), "sent");
    assert_eq!(status("globex", &globex), "approved");
    // The kill switch: both draft-only, audited in each, and nothing more goes out.
    let out = env.run(&[
        "mode",
        "set",
        "draft-only",
        "--all-tenants",
        "--reason",
        "incident",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let modes = run_ok(&env, &["mode", "show", "--json"]);
    assert_eq!(modes[0]["mode"], "draft_only");
    let out = env.run(&["--tenant", "globex", "drafts", "send", &globex, "--yes"]);
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(status("globex", &globex), "approved");
}

#[test]
fn one_tenants_reconcile_lock_never_blocks_another() {
    let env = TestEnv::new();
    env.write_config(TWO_TENANTS);
    both_ran_the_same_lead(&env);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(
        "INSERT INTO locks (name, owner, acquired_at, expires_at)
         VALUES ('reconcile:acme', 'elsewhere:1', 0, 99999999999999);",
    )
    .unwrap();
    let out = env.run(&["--tenant", "acme", "reconcile"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let out = env.run(&["--tenant", "globex", "reconcile"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn backup_and_restore_are_of_the_whole_file_and_audited_in_every_tenant() {
    let env = TestEnv::new();
    env.write_config(TWO_TENANTS);
    both_ran_the_same_lead(&env);
    let backup = env.path().join("b.db");
    let out = env.run(&["db", "backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("2 workflows"), "{}", stdout(&out));
    let out = env.run(&["db", "restore", backup.to_str().unwrap(), "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = run_ok(&env, &["audit", "list", "--action", "db.restore", "--json"]);
    let mut tenants: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["tenant"].as_str().unwrap())
        .collect();
    tenants.sort();
    assert_eq!(tenants, ["acme", "globex"], "{audit}");
}
