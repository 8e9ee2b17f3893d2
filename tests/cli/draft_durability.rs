//! A draft file is durable under its name before its workflow completes: written to a temporary
//! file, synced, renamed, and the directory synced after the rename (issue 16). Watched with
//! strace, since no file state shows a missing directory sync short of pulling the power.

use crate::env::{TestEnv, fixture};

/// One traced system call: its process, name, arguments and result, from an `strace -f` line.
struct Call {
    pid: String,
    name: String,
    args: String,
    result: String,
}

fn parse(line: &str) -> Option<Call> {
    let (pid, rest) = line.split_once(' ')?;
    let (name, rest) = rest.trim_start().split_once('(')?;
    // strace pads the result: `fsync(8)          = 0`.
    let (args, result) = rest.rsplit_once(" = ")?;
    let args = args.trim_end().strip_suffix(')')?;
    Some(Call {
        pid: pid.to_string(),
        name: name.to_string(),
        args: args.to_string(),
        result: result.split_whitespace().next()?.to_string(),
    })
}

#[test]
fn a_drafts_rename_is_followed_by_a_sync_of_its_directory() {
    if std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_err()
    {
        println!("skipped: strace not installed");
        return;
    }
    let env = TestEnv::new();
    let log = env.path().join("strace.log");
    let inner = env.std_command();
    let mut cmd = std::process::Command::new("strace");
    cmd.args(["-f", "-qq", "-o"])
        .arg(&log)
        .args([
            "-e",
            "trace=openat,rename,renameat,renameat2,fsync,fdatasync",
            env!("CARGO_BIN_EXE_salesagent"),
            "--json",
            "run",
        ])
        .arg(fixture("seed-shape.json"));
    cmd.current_dir(env.path());
    for (key, value) in inner.get_envs() {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    let out = cmd.output().expect("run strace");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&log).expect("strace log");
    let calls: Vec<Call> = text.lines().filter_map(parse).collect();
    let renamed = calls
        .iter()
        .position(|c| c.name.starts_with("rename") && c.args.contains(".eml.tmp\""))
        .unwrap_or_else(|| panic!("no rename of a draft's temporary file:\n{text}"));
    let pid = &calls[renamed].pid;
    // After the rename, the same thread opens the drafts directory and syncs that descriptor.
    let drafts = "mail/drafts\"";
    let synced = calls[renamed + 1..]
        .iter()
        .filter(|c| &c.pid == pid)
        .scan(None::<String>, |dir_fd, c| {
            if c.name == "openat" && c.args.contains(drafts) {
                *dir_fd = Some(c.result.clone());
            }
            Some(c.name == "fsync" && dir_fd.as_deref() == Some(c.args.trim()))
        })
        .any(|hit| hit);
    assert!(
        synced,
        "the drafts directory is not synced after the rename:\n{text}"
    );
}
