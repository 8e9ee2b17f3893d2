//! `purge` through the binary: counts per kind, small batches, dry runs that change nothing,
//! mail files removed with their drafts, the other tenant's data kept, and the audit entry.

use serde_json::Value;

use crate::env::{TestEnv, fixture, parse_json, stderr};

/// Far enough ahead that everything written now is past every default retention limit.
const LATER: &str = "2030-06-01";

fn purge(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["purge", "--json", "--as-of", LATER];
    all.extend_from_slice(args);
    let out = env.run(&all);
    assert!(out.status.success(), "{}", stderr(&out));
    parse_json(&out.stdout)
}

/// The `.eml` files in a tenant's mail folder (`mail/<tenant>/<folder>`).
fn files_in(env: &TestEnv, tenant: &str, folder: &str) -> usize {
    std::fs::read_dir(env.mail_dir().join(tenant).join(folder))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .count()
        })
        .unwrap_or(0)
}

fn kind<'a>(report: &'a Value, name: &str) -> &'a Value {
    report[0]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

#[test]
fn purge_removes_what_is_past_retention_in_batches_and_a_dry_run_changes_nothing() {
    let env = TestEnv::new();
    env.write_config("[tenants.acme]\n[tenants.globex]\n");
    // Payloads that name no portal, so either tenant may run them.
    let seed = env.write_file(
        "seed.json",
        serde_json::json!({
            "formId": "f-1", "formSubmissionId": "s-1", "submittedAt": 1764412800000u64,
            "fieldValues": [
                {"name": "email", "value": "dana@northwind.example"},
                {"name": "firstname", "value": "Dana"},
            ],
        })
        .to_string(),
    );
    for tenant in ["acme", "globex"] {
        for f in [fixture("forms-v3.json"), seed.clone()] {
            let out = env.run(&["run", "--tenant", tenant, f.to_str().unwrap()]);
            assert!(out.status.success(), "{}", stderr(&out));
        }
    }
    let drafts = env.json(&["drafts", "list", "--tenant", "acme"]);
    let first = drafts[0]["id"].as_str().unwrap().to_string();
    let out = env.run(&[
        "drafts", "reject", "--tenant", "acme", &first, "--reason", "no",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let acme_workflows = env.sql_i64("SELECT COUNT(*) FROM workflows WHERE tenant_id = 'acme'");
    assert!(acme_workflows >= 2);

    // Nothing is old yet: a purge today purges nothing.
    let today = {
        let out = env.run(&["purge", "--tenant", "acme", "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        parse_json(&out.stdout)
    };
    assert!(
        today[0]["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["rows"] == 0),
        "{today}"
    );

    let acme_usage = env.sql_i64("SELECT COUNT(*) FROM usage WHERE tenant_id = 'acme'");
    assert!(acme_usage > 0, "the runs counted no usage");
    let counts = env.table_counts();
    let files = files_in(&env, "acme", "drafts") + files_in(&env, "acme", "rejected");
    assert_eq!(files, 2, "acme's draft files");
    let dry = purge(&env, &["--tenant", "acme", "--dry-run"]);
    assert_eq!(dry[0]["dry_run"], true);
    assert_eq!(kind(&dry, "workflows")["rows"], acme_workflows);
    assert_eq!(env.table_counts(), counts, "a dry run changed rows");
    assert_eq!(
        files_in(&env, "acme", "drafts") + files_in(&env, "acme", "rejected"),
        files
    );

    let report = purge(&env, &["--tenant", "acme", "--batch", "1"]);
    assert_eq!(kind(&report, "raw_payloads")["rows"], acme_workflows);
    assert_eq!(kind(&report, "workflows")["rows"], acme_workflows);
    assert!(kind(&report, "workflows")["batches"].as_u64().unwrap() >= acme_workflows as u64);
    assert_eq!(kind(&report, "rejected_draft_files")["files"], 1);
    for table in ["workflows", "submissions", "drafts", "tasks"] {
        assert_eq!(
            env.sql_i64(&format!(
                "SELECT COUNT(*) FROM {table} WHERE tenant_id = 'acme'"
            )),
            0,
            "{table}"
        );
    }
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM workflow_steps s LEFT JOIN workflows w ON w.id = s.workflow_id WHERE w.id IS NULL"), 0);
    assert_eq!(kind(&report, "usage")["rows"], acme_usage);
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM usage WHERE tenant_id = 'acme'"),
        0
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM usage WHERE tenant_id = 'globex'"),
        acme_usage
    );
    // Globex keeps everything, files included.
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE tenant_id = 'globex'"),
        acme_workflows
    );
    assert_eq!(files_in(&env, "globex", "drafts") as i64, acme_workflows);
    assert_eq!(
        files_in(&env, "acme", "drafts") + files_in(&env, "acme", "rejected"),
        0
    );
    assert_eq!(
        env.sql_i64(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'purge.run' AND tenant_id = 'acme'"
        ),
        2,
        "one per run that was not a dry run"
    );

    // A second run finds nothing more.
    let again = purge(&env, &["--tenant", "acme"]);
    assert!(
        again[0]["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["rows"] == 0),
        "{again}"
    );
}
