//! `salesagent audit list`, and the log's append-only guarantee.

use crate::env::{TestEnv, stderr};

#[test]
fn audit_entries_cannot_be_changed_or_deleted() {
    let env = TestEnv::new();
    let out = env.run(&[
        "mode",
        "set",
        "draft-only",
        "--reason",
        "start",
        "--by",
        "ann",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let update = conn.execute("UPDATE audit_log SET actor = 'mallory'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute("DELETE FROM audit_log", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let entries = env.json(&["audit", "list"]);
    assert_eq!(entries.as_array().unwrap().len(), 1);
    assert_eq!(entries[0]["actor"], "ann");
}

#[test]
fn audit_list_filters_by_action_actor_and_time() {
    let env = TestEnv::new();
    env.run(&[
        "mode",
        "set",
        "draft-only",
        "--reason",
        "one",
        "--by",
        "ann",
    ]);
    env.run(&[
        "suppress", "add", "x@y.com", "--reason", "asked", "--by", "bob",
    ]);
    assert_eq!(env.json(&["audit", "list"]).as_array().unwrap().len(), 2);
    let bob = env.json(&["audit", "list", "--actor", "bob"]);
    assert_eq!(bob.as_array().unwrap().len(), 1);
    assert_eq!(bob[0]["action"], "suppression.add");
    let mode = env.json(&["audit", "list", "--action", "mode.set", "--since", "1h"]);
    assert_eq!(mode.as_array().unwrap().len(), 1);
    let future = env.json(&["audit", "list", "--since", "2999-01-01"]);
    assert!(future.as_array().unwrap().is_empty());
    let out = env.run(&["audit", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("suppression.add"));
    let out = env.run(&["audit", "list", "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
}
