//! `salesagent workflows retry --from-step`: superseded steps run again, side effects are looked
//! up instead of repeated.

use crate::env::{TestEnv, fixture, parse_json, stderr, stdout};

fn run_seed(env: &TestEnv) -> serde_json::Value {
    let out = env.run(&[
        "run",
        fixture("seed-shape.json").to_str().unwrap(),
        "--json",
    ]);
    parse_json(&out.stdout)
}

#[test]
fn from_step_reruns_the_draft_step_without_a_second_draft() {
    let env = TestEnv::new();
    // The task step fails once: the draft exists, the task does not.
    let crm_down = env.crm_refuses_tasks();
    let report = run_seed(&env);
    assert_eq!(report["status"], "failed", "{report}");
    assert_eq!(report["current_step"], "task");
    let wf = report["workflow_id"].as_str().unwrap().to_string();
    let draft = report["draft"]["id"].as_str().unwrap().to_string();
    drop(crm_down);

    let out = env.run(&["workflows", "retry", &wf, "--from-step", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("compose"), "{}", stderr(&out));

    let out = env.run(&[
        "workflows",
        "retry",
        &wf,
        "--from-step",
        "draft",
        "--by",
        "ann",
    ]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let shown = env.json(&["workflows", "show", &wf]);
    assert_eq!(shown["status"], "completed");
    assert_eq!(shown["draft"]["id"], draft.as_str());
    let steps = shown["steps"].as_array().unwrap();
    let attempts = |name: &str| {
        steps.iter().find(|s| s["name"] == name).unwrap()["attempts"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(attempts("draft"), 2);
    assert_eq!(attempts("compose"), 1);
    assert!(
        steps.iter().all(|s| s["status"] == "completed"),
        "{steps:?}"
    );
    assert_eq!(env.mail_files("drafts").len(), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM drafts"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_contacts"), 1);
    let audit = env.json(&["audit", "list", "--action", "workflow.retry"]);
    assert_eq!(audit[0]["actor"], "ann");
    assert_eq!(audit[0]["reason"], "from step draft");
}

#[test]
fn from_step_refuses_workflows_that_did_not_fail() {
    let env = TestEnv::new();
    let report = run_seed(&env);
    let wf = report["workflow_id"].as_str().unwrap();
    let out = env.run(&["workflows", "retry", wf, "--from-step", "compose"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
}
