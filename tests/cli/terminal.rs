//! Tables on a real terminal (a pseudo-terminal of a given size, through Python's `pty`): they fit
//! 80 columns, and at 200 columns rows are not separated by rules.

use crate::dlq::{dead_letter, failed_workflow};
use crate::env::TestEnv;

/// Runs the binary on a PTY of `columns` × 50 and returns everything it printed.
const SIZED: &str = r#"
import fcntl, json, os, pty, select, struct, sys, termios
cfg = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cfg["columns"], 0, 0))
    os.chdir(cfg["cwd"])
    os.execve(cfg["argv"][0], cfg["argv"], cfg["env"])
out = b""
while True:
    r, _, _ = select.select([fd], [], [], 60)
    if not r:
        raise SystemExit("timed out:\n" + out.decode(errors="replace"))
    try:
        data = os.read(fd, 65536)
    except OSError:
        data = b""
    if not data:
        break
    out += data
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
"#;

fn on_terminal(env: &TestEnv, columns: u16, args: &[&str]) -> String {
    let mut argv = vec![env!("CARGO_BIN_EXE_salesagent").to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let cfg = serde_json::json!({
        "cwd": env.path(),
        "argv": argv,
        "columns": columns,
        "env": {
            "SALESAGENT_DB": env.db(),
            "PATH": std::env::var("PATH").unwrap_or_default(),
            "TERM": "xterm",
            "NO_COLOR": "1",
            "USER": "tester",
        },
    });
    let stdout = crate::env::python_driver(SIZED, &cfg);
    String::from_utf8_lossy(&stdout).replace("\r\n", "\n")
}

fn with_long_rows() -> TestEnv {
    let env = TestEnv::new();
    let wf = failed_workflow(&env);
    for i in 0..3 {
        dead_letter(
            &env,
            &format!("dl-wide-000{i}"),
            Some(&wf),
            "external_service",
            &format!(
                "hubspot: 503 Service Unavailable from POST /crm/v3/objects/tasks after several \
                 attempts; correlationId 5d1c0f3e-aaaa-bbbb-cccc-{i:012}; the portal said try later"
            ),
        );
    }
    env
}

#[test]
fn a_table_fits_an_80_column_terminal() {
    let env = with_long_rows();
    let text = on_terminal(&env, 80, &["dlq", "list"]);
    assert!(text.contains("dl-wide-"), "{text}");
    assert!(
        text.contains("ATTEMPTS"),
        "header words stay whole:\n{text}"
    );
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "a line wider than the terminal ({}):\n{text}",
            line.chars().count()
        );
    }
}

#[test]
fn a_table_on_a_wide_terminal_has_no_rule_between_rows() {
    let env = with_long_rows();
    let text = on_terminal(&env, 200, &["dlq", "list"]);
    let rules = text
        .lines()
        .filter(|l| !l.trim().is_empty() && l.trim().chars().all(|c| "─═ ".contains(c)))
        .count();
    assert!(
        rules <= 3,
        "only above, under the header and below:\n{text}"
    );
    let rows = text.lines().filter(|l| l.contains("dl-wide-")).count();
    assert_eq!(rows, 3, "one line per row at 200 columns:\n{text}");
}
