//! A short store failure at a job's end (the write lock held past the busy timeout, a full disk,
//! an immutable file) must not leave the job `running` forever: the same worker records the end
//! once the store recovers, and the workflow completes, without a restart.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::env::TestEnv;
use crate::fakes::llm::FakeLlm;
use crate::fakes::{Fault, Gate};
use crate::server_support::{Proc, signed_env, wait_for};
use crate::worker::enqueue;

const LLM_KEY: &str = "sk-store-failures";
const COMPLETIONS: &str = "POST /v1/chat/completions";

/// An env whose composer is the LLM connector at a fake, with one queued job; returns the worker
/// held inside the compose step and the gate that releases it.
fn held_worker(env: TestEnv) -> (TestEnv, FakeLlm, Proc, Gate) {
    let llm = FakeLlm::start(LLM_KEY);
    let env = env
        .env("SALESAGENT_CONNECTORS_COMPOSER", "llm")
        .env("SALESAGENT_LLM_API_KEY", LLM_KEY)
        .env("SALESAGENT_LLM_BASE_URL", &llm.base_url)
        .env("SALESAGENT_LLM_MODEL", "fake-model");
    env.write_config(
        "[worker]\nlease_secs = 60\nbackoff_base_ms = 50\n[http]\ntimeout_ms = 120000\n",
    );
    enqueue(&env, 1);
    let gate = Gate::default();
    llm.inject(COMPLETIONS, 1, Fault::Hold(gate.clone()));
    let worker = Proc::worker(&env, &["--workers", "1"]);
    wait_for("the worker to be inside the compose step", || {
        llm.recorder.count(COMPLETIONS) == 1
    });
    (env, llm, worker, gate)
}

/// Releases the held step, waits until the job's end could not be recorded, lifts the failure,
/// and expects the same worker to finish the workflow.
fn recovers(env: &TestEnv, worker: &Proc, gate: &Gate, lift: impl FnOnce()) {
    gate.open();
    wait_for("recording the job's end to fail", || {
        worker.stderr().contains("recording the job's end failed")
    });
    lift();
    wait_for("the same worker to complete the workflow", || {
        env.sql_i64("SELECT COUNT(*) FROM workflows WHERE status = 'completed'") == 1
            && env.sql_i64("SELECT COUNT(*) FROM jobs WHERE state = 'completed'") == 1
    });
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM drafts"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM tasks"), 1);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM dead_letters"), 0);
}

#[test]
fn the_write_lock_held_past_the_busy_timeout_does_not_strand_the_job() {
    let (env, _llm, worker, gate) = held_worker(signed_env());
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    recovers(&env, &worker, &gate, || {
        conn.execute_batch("ROLLBACK").unwrap()
    });
}

/// A small tmpfs mounted over a directory for the test's lifetime (unmounted on drop).
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    let _ = f.flush();
    path
}

#[test]
fn a_full_disk_does_not_strand_the_job() {
    let env = signed_env();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=24m", "tmpfs"])
        .arg(env.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        println!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    }
    let mount = Mount(env.path().to_path_buf());
    let (env, llm, worker, gate) = held_worker(env);
    let filler = fill(env.path());
    recovers(&env, &worker, &gate, || {
        std::fs::remove_file(&filler).unwrap()
    });
    // The worker and the fake go first, then the mount, then the env's directory.
    drop((worker, llm));
    drop(mount);
}

#[test]
fn an_immutable_database_file_does_not_strand_the_job() {
    let (env, _llm, worker, gate) = held_worker(signed_env());
    let files: Vec<PathBuf> = ["salesagent.db", "salesagent.db-wal"]
        .iter()
        .map(|f| env.path().join(f))
        .collect();
    let chattr = |flag: &str| {
        files.iter().all(|f| {
            Command::new("chattr")
                .arg(flag)
                .arg(f)
                .status()
                .is_ok_and(|s| s.success())
        })
    };
    if !chattr("+i") {
        chattr("-i");
        gate.open();
        println!("skipped: chattr +i is not supported here");
        return;
    }
    recovers(&env, &worker, &gate, || assert!(chattr("-i")));
}
