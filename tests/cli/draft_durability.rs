//! A draft file is durable under its name before its workflow completes: written to a temporary
//! file, synced, renamed, and the directory synced after the rename (issue 16). Watched with
//! strace, since no file state shows a missing directory sync short of pulling the power; and a
//! worker killed while its drafts are being synced leaves no half-written draft under its name
//! and no draft row without its file.

use crate::env::{TestEnv, fixture};
use crate::server_support::{Proc, signed_env, wait_for};
use crate::worker::enqueue;

/// The draft id a file is named after, and whether the file is a whole draft of that id: its
/// header block names the id, and the body after it ends as every rendered draft does.
fn whole_draft(path: &std::path::Path) -> (String, bool) {
    let id = path.file_stem().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let whole = text.split_once("\r\n\r\n").is_some_and(|(headers, body)| {
        headers.contains(&format!("X-Salesagent-Draft: {id}\r\n"))
            && headers.starts_with("From: ")
            && !body.trim().is_empty()
            && text.ends_with("\r\n")
    });
    (id, whole)
}

#[test]
fn a_worker_killed_while_drafts_are_synced_leaves_them_whole_and_every_row_its_file() {
    let env = signed_env();
    env.write_config("[worker]\nlease_secs = 2\n");
    let total = 120;
    enqueue(&env, total);
    let mut first = Proc::worker(&env, &["--workers", "2"]);
    // Killed while drafts are being written and synced: some workflows have their draft rows,
    // more have files (synced or not yet committed), and at least one job is mid-run.
    wait_for("some drafts to be written", || {
        env.mail_files("drafts").len() >= 10
            && env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'running'") >= 1
    });
    first.kill9();
    for path in env.mail_files("drafts") {
        let (id, whole) = whole_draft(&path);
        assert!(whole, "{} is not a whole draft of {id}", path.display());
    }
    let rows = env.sql_strings("SELECT remote_draft_id FROM drafts");
    for id in &rows {
        let path = env.mail_dir().join("drafts").join(format!("{id}.eml"));
        assert!(path.is_file(), "draft row {id} has no file");
    }
    assert!(rows.len() < total, "the kill must come before the end");
    // Another worker finishes: one draft and one task per workflow, every file whole.
    let _second = Proc::worker(&env, &["--workers", "2"]);
    wait_for("every workflow to complete", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'") == total as i64
    });
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM drafts"), total as i64);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM crm_tasks"), total as i64);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM tasks"), total as i64);
    let files = env.mail_files("drafts");
    assert_eq!(files.len(), total);
    assert!(files.iter().all(|p| whole_draft(p).1));
}

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
