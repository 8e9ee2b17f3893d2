//! `workflows list|show` and `drafts list|show`: tables for people, stable JSON for scripts.

use crate::env::{TestEnv, fixture, stderr, stdout};

fn env_with_three_workflows() -> TestEnv {
    let env = TestEnv::new();
    for f in [
        "seed-shape.json",
        "forms-v3.json",
        "workflow-contact-v1.json",
    ] {
        let out = env.run(&["run", fixture(f).to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    env
}

#[test]
fn workflows_list_prints_a_table_and_json() {
    let env = env_with_three_workflows();
    let out = env.run(&["workflows", "list"]);
    assert!(out.status.success());
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("ID"), "{text}");
    assert!(lines[0].contains("STATUS") && lines[0].contains("EMAIL"));
    // Newest first.
    assert!(
        lines[1].contains("sam.reyes@harborfreight-logistics.com"),
        "{text}"
    );
    assert!(
        lines[3].contains("dana.whitfield@northwind-robotics.com"),
        "{text}"
    );

    let json = env.json(&["workflows", "list"]);
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        for key in ["id", "status", "email", "created_at", "current_step"] {
            assert!(item.get(key).is_some(), "missing {key}: {item}");
        }
        assert_eq!(item["status"], "completed");
        assert_eq!(item["current_step"], "finalize");
    }
    let limited = env.json(&["workflows", "list", "--limit", "1"]);
    assert_eq!(limited.as_array().unwrap().len(), 1);
    let by_email = env.json(&["workflows", "list", "--email", "Lee.Okafor@brightline.io"]);
    assert_eq!(by_email.as_array().unwrap().len(), 1);
    let failed = env.json(&["workflows", "list", "--status", "failed"]);
    assert!(failed.as_array().unwrap().is_empty());
    let recent = env.json(&["workflows", "list", "--since", "1h"]);
    assert_eq!(recent.as_array().unwrap().len(), 3);
    let future = env.json(&["workflows", "list", "--since", "2999-01-01"]);
    assert!(future.as_array().unwrap().is_empty());
}

#[test]
fn workflows_list_refuses_bad_filters() {
    let env = TestEnv::new();
    let out = env.run(&["workflows", "list", "--since", "last tuesday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--since"), "{}", stderr(&out));
    let out = env.run(&["workflows", "list", "--status", "exploded"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn workflows_show_matches_the_run_report_and_accepts_a_prefix() {
    let env = TestEnv::new();
    let run = env.json(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    let id = run["workflow_id"].as_str().unwrap();
    let shown = env.json(&["workflows", "show", id]);
    assert_eq!(shown["workflow_id"], run["workflow_id"]);
    assert_eq!(shown["steps"].as_array().unwrap().len(), 13);
    assert_eq!(shown["draft"], run["draft"]);
    assert_eq!(shown["task"], run["task"]);
    // An unambiguous prefix is enough, as in git.
    let prefix = &id[..id.len() - 6];
    assert_eq!(
        env.json(&["workflows", "show", prefix])["workflow_id"],
        run["workflow_id"]
    );

    let out = env.run(&["workflows", "show", id]);
    let text = stdout(&out);
    assert!(text.contains("status      completed"), "{text}");
    for step in ["validate", "dedupe", "compose", "guard", "finalize"] {
        assert!(text.contains(step), "{step} missing:\n{text}");
    }
}

#[test]
fn unknown_ids_exit_5() {
    let env = env_with_three_workflows();
    let out = env.run(&["workflows", "show", "01ffffff-0000-7000-8000-000000000000"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("no workflow with id"));
    let out = env.run(&["drafts", "show", "zzzz"]);
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn drafts_list_and_show() {
    let env = env_with_three_workflows();
    let drafts = env.json(&["drafts", "list"]);
    let items = drafts.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|d| d["status"] == "pending_review"));
    assert!(items[0].get("body").is_none(), "list leaves the body out");
    let pending = env.json(&["drafts", "list", "--status", "pending_review"]);
    assert_eq!(pending.as_array().unwrap().len(), 3);
    let id = items[0]["id"].as_str().unwrap();
    let shown = env.json(&["drafts", "show", id]);
    assert!(shown["body"].as_str().unwrap().starts_with("Hi Sam,"));
    let text = stdout(&env.run(&["drafts", "show", id]));
    assert!(
        text.lines()
            .any(|l| l.starts_with("To:") && l.ends_with("sam.reyes@harborfreight-logistics.com")),
        "{text}"
    );
    assert!(text.contains("Hi Sam,"), "{text}");
}

#[test]
fn stats_summarise_the_window() {
    let env = env_with_three_workflows();
    let bad = crate::env::fixture("invalid/missing-email.json");
    assert_eq!(
        env.run(&["run", bad.to_str().unwrap()]).status.code(),
        Some(2)
    );
    let stats = env.json(&["stats", "--since", "1h"]);
    assert_eq!(stats["workflows"], 3);
    assert_eq!(stats["by_status"]["completed"], 3);
    assert_eq!(stats["success_rate"], 1.0);
    assert_eq!(stats["received_to_draft"]["count"], 3);
    assert!(stats["received_to_draft"]["p99_ms"].as_i64().unwrap() >= 0);
    assert_eq!(stats["approval_rate"], serde_json::Value::Null);
    let text = stdout(&env.run(&["stats"]));
    assert!(text.contains("success rate        100.0%"), "{text}");
    let empty = env.json(&["stats", "--since", "2999-01-01"]);
    assert_eq!(empty["workflows"], 0);
}
