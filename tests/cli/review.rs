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
    let cfg = serde_json::json!({
        "cwd": env.path(),
        "argv": [env!("CARGO_BIN_EXE_salesagent"), "drafts", "review", "--by", "rita"],
        "env": {
            "SALESAGENT_DB": env.db(),
            "EDITOR": editor,
            "PATH": std::env::var("PATH").unwrap_or_default(),
            "TERM": "xterm",
            "NO_COLOR": "1",
            "USER": "tester",
        },
        "steps": [
            ["draft 1 of 2", null],
            [prompt, "e\r"],
            ["edited", null],
            [prompt, "a\r"],
            ["approved", null],
            ["draft 2 of 2", null],
            [prompt, "r\r"],
            ["Reason", "not a fit\r"],
            ["rejected", null],
            ["reviewed:", null],
        ],
    });
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(DRIVER)
        .arg(cfg.to_string())
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result = parse_json(&out.stdout);
    assert_eq!(result["code"], 0, "{}", result["transcript"]);

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
    assert!(
        edits[0]["after"]
            .as_str()
            .unwrap()
            .contains("Edited subject")
    );
    assert!(env.mail_files("sent").is_empty());
}
