//! `salesagent drafts recompose ID…|--all-pending`: after a template change, pending drafts are
//! written again; the earlier text is kept as a `superseded` draft, the mailbox draft is updated
//! in place (local `.eml` and Gmail `drafts.update`), and every recompose is audited.

use crate::drafts::submit;
use crate::env::{TestEnv, stderr, stdout};

const NEW_TEMPLATES: &str = "[templates.default]\nsubject = \"Recomposed for {{first_name}}\"\nbody = \"Hello {{first_name}},\\n\\nA better text.\\n\"\n\n\
[templates.high_intent]\nsubject = \"Recomposed for {{first_name}}\"\nbody = \"Hello {{first_name}},\\n\\nA better text.\\n\"\n";

#[test]
fn recompose_replaces_pending_drafts_and_keeps_the_old_text_as_superseded() {
    let env = TestEnv::new();
    let a = submit(&env, "a@northwind.com");
    let b = submit(&env, "b@northwind.com");
    let before = env.json(&["drafts", "show", &a]);
    let out = env.run(&["drafts", "approve", &b]);
    assert!(out.status.success(), "{}", stderr(&out));
    env.write_config(NEW_TEMPLATES);
    let files = env.mail_files("drafts");

    let out = env.run(&["drafts", "recompose", &a, "--by", "rita"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("recomposed"), "{}", stdout(&out));
    let now = env.json(&["drafts", "show", &a]);
    assert_eq!(now["status"], "pending_review");
    assert_eq!(now["subject"], "Recomposed for Dana");
    let eml =
        std::fs::read_to_string(env.mail_dir().join("drafts").join(format!("{a}.eml"))).unwrap();
    assert!(eml.contains("Subject: Recomposed for Dana"), "{eml}");
    assert!(eml.contains("A better text."), "{eml}");
    assert_eq!(env.mail_files("drafts"), files, "updated in place");

    let superseded = env.json(&["drafts", "list", "--status", "superseded"]);
    let superseded = superseded.as_array().unwrap();
    assert_eq!(superseded.len(), 1, "{superseded:?}");
    assert_eq!(superseded[0]["subject"], before["subject"]);
    assert_eq!(superseded[0]["workflow_id"], before["workflow_id"]);

    let audit = env.json(&["audit", "list", "--action", "draft.recompose"]);
    assert_eq!(audit[0]["actor"], "rita");
    assert_eq!(audit[0]["subject"], a.as_str());

    // A decided draft is not recomposed.
    let out = env.run(&["drafts", "recompose", &b]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("approved"), "{}", stderr(&out));

    // The recomposed draft can be decided as usual, and the superseded one cannot.
    let out = env.run(&["drafts", "approve", &a]);
    assert!(out.status.success(), "{}", stderr(&out));
    let old = superseded[0]["id"].as_str().unwrap();
    let out = env.run(&["drafts", "approve", old]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
}

#[test]
fn recompose_all_pending_rewrites_every_pending_draft() {
    let env = TestEnv::new();
    submit(&env, "a@northwind.com");
    submit(&env, "b@northwind.com");
    env.write_config(NEW_TEMPLATES);
    let out = env.run(&["drafts", "recompose", "--all-pending", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pending = env.json(&["drafts", "list", "--status", "pending_review"]);
    let pending = pending.as_array().unwrap();
    assert_eq!(pending.len(), 2);
    assert!(
        pending
            .iter()
            .all(|d| d["subject"] == "Recomposed for Dana"),
        "{pending:?}"
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM drafts WHERE status = 'superseded'"),
        2
    );
    // Without a terminal a bulk recompose needs --yes.
    let out = env.run(&["drafts", "recompose", "--all-pending"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn workflows_retry_from_step_says_what_to_do_for_a_completed_workflow() {
    let env = TestEnv::new();
    submit(&env, "a@northwind.com");
    let help = env.run(&["workflows", "retry", "--help"]);
    let help = stdout(&help);
    assert!(help.contains("drafts recompose"), "{help}");
    assert!(
        !help.contains("even where it completed"),
        "the help must not promise to rerun completed workflows:\n{help}"
    );
    let wf = env.json(&["workflows", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = env.run(&["workflows", "retry", &wf, "--from-step", "compose"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("drafts recompose"),
        "{}",
        stderr(&out)
    );
}
