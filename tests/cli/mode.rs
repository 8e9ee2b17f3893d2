//! `salesagent mode show|set`: SEND mode only behind every gate, draft-only always, all audited.

use crate::drafts::SEND_CONFIG;
use crate::env::{TestEnv, stderr};

#[test]
fn every_unmet_gate_refuses_send_mode_with_exit_4() {
    let cases = [
        (
            "",
            vec!["environment", "send.allow", "send.sender_allowlist"],
        ),
        (
            "[send]\nallow = true\nsender_allowlist = [\"sales@example.com\"]\n",
            vec!["environment"],
        ),
        (
            "environment = \"production\"\n[send]\nsender_allowlist = [\"sales@example.com\"]\n",
            vec!["send.allow"],
        ),
        (
            "environment = \"production\"\n[send]\nallow = true\n",
            vec!["send.sender_allowlist"],
        ),
    ];
    for (config, unmet) in cases {
        let env = TestEnv::new();
        env.write_config(config);
        let out = env.run(&["mode", "set", "send", "--reason", "go", "--yes"]);
        assert_eq!(out.status.code(), Some(4), "{config}: {}", stderr(&out));
        for gate in &unmet {
            assert!(stderr(&out).contains(gate), "{config}: {}", stderr(&out));
        }
        let shown = env.json(&["mode", "show"]);
        assert_eq!(shown["mode"], "draft_only");
        assert_eq!(shown["send_allowed"], false);
        let failing: Vec<_> = shown["gates"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["passed"] == false)
            .map(|g| g["gate"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(failing, unmet, "{config}");
        assert_eq!(
            env.sql_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'mode.set'"),
            0
        );
        // The refused attempt is audited: who tried, and which gates failed.
        let refused = env.json(&["audit", "list", "--action", "mode.set_refused"]);
        assert_eq!(refused.as_array().unwrap().len(), 1, "{config}: {refused}");
        assert_eq!(refused[0]["actor"], "tester");
        let after = refused[0]["after"].to_string();
        for gate in &unmet {
            assert!(after.contains(gate), "{config}: {after}");
        }
    }
}

#[test]
fn send_mode_needs_confirmation_and_is_audited() {
    let env = TestEnv::new();
    env.write_config(SEND_CONFIG);
    let out = env.run(&["mode", "set", "send", "--reason", "go"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pass --yes to confirm"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&[
        "mode", "set", "send", "--reason", "launch", "--by", "ann", "--yes",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = env.json(&["mode", "show"]);
    assert_eq!(shown["mode"], "send");
    assert_eq!(shown["set_by"], "ann");
    assert_eq!(shown["reason"], "launch");
    assert_eq!(shown["send_allowed"], true);
    let out = env.run(&["mode", "set", "draft-only", "--reason", "incident"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = env.json(&["audit", "list", "--action", "mode.set"]);
    let audit = audit.as_array().unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["after"], "draft_only");
    assert_eq!(audit[0]["actor"], "tester");
    assert_eq!(audit[1]["after"], "send");
    let text = env.run(&["mode", "show"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("incident"));
}

#[test]
fn the_environment_gate_reads_the_layered_config() {
    let env = TestEnv::new().env("SALESAGENT_ENVIRONMENT", "production");
    env.write_config("[send]\nallow = true\nsender_allowlist = [\"sales@example.com\"]\n");
    let out = env.run(&["mode", "set", "send", "--reason", "go", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.json(&["mode", "show"])["mode"], "send");
}

#[test]
fn draft_only_is_always_allowed() {
    let env = TestEnv::new();
    let out = env.run(&["mode", "set", "draft-only", "--reason", "belt and braces"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The kill switch acts without a reason (the audit says none was given).
    let out = env.run(&["mode", "set", "draft-only"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn racing_mode_changes_leave_the_newest_audit_entry_in_force() {
    let env = TestEnv::new();
    env.run(&["mode", "set", "draft-only", "--reason", "start"]);
    for round in 0..3 {
        let children: Vec<_> = (0..12)
            .map(|i| {
                env.std_command()
                    .args([
                        "mode",
                        "set",
                        "draft-only",
                        "--reason",
                        &format!("r{round}-{i}"),
                    ])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        let conn = rusqlite::Connection::open(env.db()).unwrap();
        let in_force: String = conn
            .query_row("SELECT reason FROM settings WHERE key = 'mode'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let newest: String = conn
            .query_row(
                "SELECT reason FROM audit_log WHERE action = 'mode.set'
                 ORDER BY created_at DESC, id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(newest, in_force, "round {round}");
    }
}
