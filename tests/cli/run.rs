//! `salesagent run`: every payload shape to a completed workflow, duplicates, suppression, bad input.

use crate::env::{TestEnv, fixture, stderr};

#[test]
fn seed_shape_completes_with_thirteen_steps_and_a_draft_file() {
    let env = TestEnv::new();
    let report = env.json(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    assert_eq!(report["status"], "completed");
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 13);
    assert!(
        steps.iter().all(|s| s["status"] == "completed"),
        "{steps:?}"
    );
    assert_eq!(report["draft"]["status"], "pending_review");
    assert_eq!(env.mail_files("drafts").len(), 1);
    let out = env.run(&["run", fixture("seed-shape.json").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
}
