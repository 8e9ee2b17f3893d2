//! `salesagent drafts review` driven through a pseudo-terminal (Python's `pty`, so the suite needs
//! no PTY crate): edit via a scripted `$EDITOR`, approve, reject with a reason.

use crate::drafts::submit;
use crate::env::{TestEnv, parse_json};

/// Forks the binary on a PTY, answers each expected text with its reply, then reads to the end.
const DRIVER: &str = r#"
import json, os, pty, select, sys
cfg = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.chdir(cfg["cwd"])
    os.execve(cfg["argv"][0], cfg["argv"], cfg["env"])
seen = b""
buf = b""
def read_more():
    global buf, seen
    r, _, _ = select.select([fd], [], [], 60)
    if not r:
        raise SystemExit("timed out; transcript:\n" + seen.decode(errors="replace"))
    try:
        data = os.read(fd, 4096)
    except OSError:
        data = b""
    buf += data
    seen += data
    return data
for want, reply in cfg["steps"]:
    while want.encode() not in buf:
        if not read_more():
            raise SystemExit("EOF before %r; transcript:\n%s" % (want, seen.decode(errors="replace")))
    buf = buf[buf.index(want.encode()) + len(want):]
    if reply is not None:
        os.write(fd, reply.encode())
while read_more():
    pass
_, status = os.waitpid(pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "transcript": seen.decode(errors="replace")}))
"#;

/// Runs salesagent with `args` on a pseudo-terminal, answering each expected text with its reply
/// (`None`: just wait for it); returns the exit code and everything the terminal showed.
pub fn on_terminal(
    env: &TestEnv,
    args: &[&str],
    extra_env: &[(&str, &str)],
    steps: &[(&str, Option<&str>)],
) -> (i64, String) {
    let mut child_env = serde_json::json!({
        "SALESAGENT_DB": env.db(),
        "PATH": std::env::var("PATH").unwrap_or_default(),
        "TERM": "xterm",
        "NO_COLOR": "1",
        "USER": "tester",
    });
    for (k, v) in extra_env {
        child_env[*k] = serde_json::Value::String(v.to_string());
    }
    let mut argv = vec![env!("CARGO_BIN_EXE_salesagent").to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let cfg = serde_json::json!({
        "cwd": env.path(),
        "argv": argv,
        "env": child_env,
        "steps": steps,
    });
    let stdout = crate::env::python_driver(DRIVER, &cfg);
    let result = parse_json(&stdout);
    (
        result["code"].as_i64().unwrap(),
        result["transcript"].as_str().unwrap().to_string(),
    )
}

#[test]
fn the_review_loop_edits_approves_and_rejects_on_a_terminal() {
    let env = TestEnv::new();
    let first = submit(&env, "a@northwind.com");
    let second = submit(&env, "b@northwind.com");
    let editor = env.write_file(
        "editor.sh",
        "#!/bin/sh\nsed -i 's/^Subject: .*/Subject: Edited subject/' \"$1\"\n",
    );
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .unwrap();
    let prompt = "[q]uit";
    let editor = editor.to_str().unwrap();
    let (code, transcript) = on_terminal(
        &env,
        &["drafts", "review", "--by", "rita"],
        &[("EDITOR", editor)],
        &[
            ("draft 1 of 2", None),
            (prompt, Some("e\r")),
            ("edited", None),
            (prompt, Some("a\r")),
            ("approved", None),
            ("draft 2 of 2", None),
            (prompt, Some("r\r")),
            ("Reason", Some("not a fit\r")),
            ("rejected", None),
            ("reviewed:", None),
        ],
    );
    assert_eq!(code, 0, "{transcript}");

    let a = env.json(&["drafts", "show", &first]);
    assert_eq!(a["status"], "approved");
    assert_eq!(a["reviewer"], "rita");
    assert_eq!(a["subject"], "Edited subject");
    let eml = std::fs::read_to_string(env.mail_dir().join("drafts").join(format!("{first}.eml")))
        .unwrap();
    assert!(eml.contains("Subject: Edited subject"), "{eml}");
    let b = env.json(&["drafts", "show", &second]);
    assert_eq!(b["status"], "rejected");
    assert_eq!(b["review_note"], "not a fit");
    assert_eq!(env.mail_files("rejected").len(), 1);
    let edits = env.json(&["audit", "list", "--action", "draft.edit"]);
    assert_eq!(edits[0]["actor"], "rita");
    // `after` is the edit as a JSON object, not a string holding JSON.
    assert!(edits[0]["after"].is_object(), "{edits}");
    assert!(edits[0]["after"].to_string().contains("Edited subject"));
    assert!(env.mail_files("sent").is_empty());
}

#[test]
fn bulk_approval_and_send_mode_ask_on_a_terminal() {
    let env = TestEnv::new();
    env.write_config(crate::drafts::SEND_CONFIG);
    submit(&env, "a@northwind.com");
    submit(&env, "b@northwind.com");
    let (code, transcript) = on_terminal(
        &env,
        &["drafts", "approve", "--all-pending"],
        &[],
        &[
            ("approve 2 pending drafts?", Some("n")),
            ("nothing approved", None),
        ],
    );
    assert_eq!(code, 0, "{transcript}");
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM drafts WHERE status = 'approved'"),
        0
    );
    let (code, transcript) = on_terminal(
        &env,
        &["drafts", "approve", "--all-pending"],
        &[],
        &[("approve 2 pending drafts?", Some("y"))],
    );
    assert_eq!(code, 0, "{transcript}");
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM drafts WHERE status = 'approved'"),
        2
    );
    let (code, transcript) = on_terminal(
        &env,
        &["mode", "set", "send", "--reason", "launch"],
        &[],
        &[
            ("switch to SEND mode", Some("y")),
            ("mode is now send", None),
        ],
    );
    assert_eq!(code, 0, "{transcript}");
    assert!(
        env.mail_files("sent").is_empty(),
        "switching sends nothing by itself"
    );
}

/// An editor script at `name` in the env (executable).
fn editor_script(env: &TestEnv, name: &str, script: &str) -> String {
    let path = env.write_file(name, script);
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&path)
        .status()
        .unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn the_review_shows_the_leads_words_then_who_then_the_draft_then_what_approve_does() {
    let env = TestEnv::new();
    submit(&env, "a@northwind.com");
    let (code, transcript) = on_terminal(
        &env,
        &["drafts", "review"],
        &[],
        &[("[q]uit", Some("q\r")), ("reviewed:", None)],
    );
    assert_eq!(code, 0, "{transcript}");
    let at = |needle: &str| {
        transcript
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing from:\n{transcript}"))
    };
    let words = at("We want to automate picking");
    let who = at("VP Operations");
    let draft = at("Subject:");
    let approve = at("approve: marks approved, nothing is sent");
    assert!(
        words < who && who < draft && draft < approve,
        "{transcript}"
    );
}

#[test]
fn the_summary_counts_edits_and_ctrl_d_quits() {
    let env = TestEnv::new();
    submit(&env, "a@northwind.com");
    submit(&env, "b@northwind.com");
    let editor = editor_script(
        &env,
        "editor.sh",
        "#!/bin/sh\nsed -i 's/^Subject: .*/Subject: Edited subject/' \"$1\"\n",
    );
    let (code, transcript) = on_terminal(
        &env,
        &["drafts", "review"],
        &[("EDITOR", &editor)],
        &[
            ("draft 1 of 2", None),
            ("[q]uit", Some("e\r")),
            ("edited", None),
            ("[q]uit", Some("\x04")),
            ("reviewed:", None),
        ],
    );
    assert_eq!(code, 0, "{transcript}");
    assert!(
        !transcript.contains("draft 2 of 2"),
        "Ctrl-D quits the loop:\n{transcript}"
    );
    assert!(transcript.contains("1 edited"), "{transcript}");
}

#[test]
fn an_editor_that_fails_is_one_line_and_the_loop_goes_on() {
    for (label, editor) in [
        ("false", Some("false".to_string())),
        ("not found", Some("/nonexistent/editor".to_string())),
        ("unset", None),
    ] {
        let env = TestEnv::new();
        let id = submit(&env, "a@northwind.com");
        let before = env.json(&["drafts", "show", &id]);
        let extra: Vec<(&str, &str)> = match &editor {
            Some(e) => vec![("EDITOR", e.as_str())],
            None => vec![],
        };
        let (code, transcript) = on_terminal(
            &env,
            &["drafts", "review"],
            &extra,
            &[
                ("[q]uit", Some("e\r")),
                ("editor", None),
                ("[q]uit", Some("s\r")),
                ("reviewed:", None),
            ],
        );
        assert_eq!(code, 0, "{label}: {transcript}");
        assert!(
            transcript.contains("the editor failed") || transcript.contains("no editor"),
            "{label}: {transcript}"
        );
        assert!(!transcript.contains("no change"), "{label}: {transcript}");
        assert!(transcript.contains("1 skipped"), "{label}: {transcript}");
        let after = env.json(&["drafts", "show", &id]);
        assert_eq!(after["subject"], before["subject"], "{label}");
        assert_eq!(after["body"], before["body"], "{label}");
    }
}
