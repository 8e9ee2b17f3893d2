//! The store's bad days, with real file states: a full disk (a small tmpfs, filled) makes intake
//! answer 503 with Retry-After and readiness false until space returns; the WAL stays bounded
//! under sustained intake.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::env::TestEnv;
use crate::server_support::{Proc, post, sign, signed_env, wait_for};

/// A tmpfs of `size` mounted under `dir` for the test's life; None (with a visible notice) where
/// mounting is not allowed.
struct Tmpfs {
    mount: PathBuf,
}

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let mount = dir.join("small-disk");
        std::fs::create_dir_all(&mount).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs { mount })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.mount)
            .status();
    }
}

/// Writes zeros into `path` until the file system is full.
fn fill(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    for _ in 0..100_000 {
        if f.write_all(&chunk).and_then(|_| f.sync_all()).is_err() {
            break;
        }
    }
    // Whatever is left in partial blocks.
    for _ in 0..100_000 {
        if f.write_all(&[0u8; 512]).and_then(|_| f.sync_all()).is_err() {
            return;
        }
    }
}

fn ready(serve: &Proc) -> (u16, Value) {
    let resp = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .get(format!("{}/health/ready", serve.base))
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap())
}

/// A distinct lead with a long message (so each commit needs new pages).
fn payload(n: usize) -> Vec<u8> {
    format!(
        r#"{{"portalId":62515,"formId":"f-disk","formSubmissionId":"disk-{n}","submittedAt":1764412800000,
        "fieldValues":[{{"name":"email","value":"lead{n}@example{n}.com"}},{{"name":"message","value":"{}"}}]}}"#,
        "m".repeat(9_000)
    )
    .into_bytes()
}

fn post_signed(env: &TestEnv, serve: &Proc, n: usize) -> (u16, reqwest::header::HeaderMap) {
    let body = payload(n);
    let file = env.write_file(&format!("p{n}.json"), &body);
    let headers = sign(env, &file, &serve.url(), &[]);
    let (status, _, h) = post(&serve.url(), &headers, body);
    (status, h)
}

#[test]
fn a_full_disk_answers_503_and_readiness_tells_the_truth() {
    let scratch = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(scratch.path(), "6m") else {
        return;
    };
    let db = disk.mount.join("sa.db");
    let env = signed_env().env("SALESAGENT_DB", db.to_str().unwrap());
    let serve = Proc::serve(&env, &["--workers", "0"]);
    assert_eq!(post_signed(&env, &serve, 0).0, 202);
    assert_eq!(ready(&serve).0, 200, "{}", ready(&serve).1);

    let filler = disk.mount.join("filler");
    fill(&filler);
    let mut refused = None;
    for n in 1..400 {
        let (status, headers) = post_signed(&env, &serve, n);
        assert_ne!(status, 500, "a full disk is not an internal error");
        if status == 503 {
            refused = Some(headers);
            break;
        }
        assert_eq!(status, 202);
    }
    let headers = refused.expect("a full disk must refuse intake at some point");
    assert!(
        headers.get("retry-after").is_some(),
        "503 carries Retry-After"
    );
    let (status, body) = ready(&serve);
    assert_eq!(status, 503, "readiness goes false: {body}");
    assert!(
        body["checks"]["store_writable"] == false || body["checks"]["intake_commits"] == "failing",
        "{body}"
    );

    std::fs::remove_file(&filler).unwrap();
    let mut n = 1000;
    wait_for("intake to recover once space is back", || {
        n += 1;
        post_signed(&env, &serve, n).0 == 202
    });
    wait_for("readiness to recover", || ready(&serve).0 == 200);
    drop(serve);
}

/// Posts signed leads from `clients` threads for `secs` seconds (signing in-process, with the
/// library's own signer); returns how many were accepted and the WAL's peak size.
pub fn sustained_load(env: &TestEnv, serve: &Proc, clients: usize, secs: u64) -> (usize, u64) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let wal = PathBuf::from(format!("{}-wal", env.db().display()));
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..clients)
        .map(|t| {
            let (url, stop, accepted) = (serve.url(), stop.clone(), accepted.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                for n in 0..1_000_000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let body = payload(t * 10_000_000 + n);
                    let now = salesagent::domain::time::now_ms();
                    let mut req = client.post(&url).header("content-type", "application/json");
                    for (k, v) in salesagent::webhook::signed_headers(
                        crate::server_support::SECRET,
                        "v3",
                        &url,
                        &body,
                        now,
                    ) {
                        req = req.header(k, v);
                    }
                    if let Ok(r) = req.body(body).send()
                        && r.status().as_u16() == 202
                    {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    let mut peak = 0u64;
    while started.elapsed() < Duration::from_secs(secs) {
        peak = peak.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        t.join().unwrap();
    }
    (accepted.load(Ordering::Relaxed), peak)
}

/// The peak BENCHMARKS.md states for this load (before: 505 MB and never shrinking); a RESTART
/// checkpoint needs a moment without readers, so under load the WAL can pass journal_size_limit
/// (64 MB) between two of them.
const WAL_BOUND: u64 = 256 * 1024 * 1024;

#[test]
fn the_wal_stays_bounded_under_sustained_intake() {
    let env = signed_env();
    // Workers read while intake writes: readers are what keep a PASSIVE checkpoint from
    // ever resetting the WAL.
    let serve = Proc::serve(&env, &["--workers", "2"]);
    // BENCHMARKS.md's figure is the same load for 60 s: WAL_LOAD_SECS=60.
    let secs = std::env::var("WAL_LOAD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let (accepted, peak) = sustained_load(&env, &serve, 4, secs);
    let wal = PathBuf::from(format!("{}-wal", env.db().display()));
    let after = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "sustained intake: {accepted} accepted in {secs} s; WAL peak {} KB, {} KB after",
        peak / 1024,
        after / 1024
    );
    assert!(accepted > 0);
    assert!(
        peak < WAL_BOUND,
        "the WAL stays under {WAL_BOUND} bytes: {peak}"
    );
    // Once the burst is over the WAL comes back under journal_size_limit (it never shrank before).
    let mut n = 0;
    wait_for("the WAL to shrink after the load", || {
        n += 1;
        post_signed(&env, &serve, 50_000_000 + n);
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) <= 64 * 1024 * 1024
    });
    drop(serve);
}
