//! A running `salesagent serve` or `salesagent worker` child process for tests: started on
//! 127.0.0.1 port 0, its address read from stderr, signalled or killed by pid, never by name.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::env::{Backend, TestEnv, parse_json};

pub const SECRET: &str = "test-webhook-secret";
pub const PATH: &str = "/api/webhooks/hubspot/forms";

/// A test env whose commands all know the webhook secret.
pub fn signed_env() -> TestEnv {
    signed_env_on(Backend::Sqlite)
}

/// The same on `backend`.
pub fn signed_env_on(backend: Backend) -> TestEnv {
    TestEnv::on(backend).env("SALESAGENT_WEBHOOK_SECRET", SECRET)
}

/// Polls `check` until it holds, panicking with `what` after a generous deadline (never a timing
/// assertion: the deadline only stops a hung test).
pub fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub struct Proc {
    child: Child,
    stderr: Arc<Mutex<String>>,
    /// `http://127.0.0.1:PORT` for `serve`; empty for `worker`.
    pub base: String,
}

fn command(env: &TestEnv, secret: Option<&str>) -> Command {
    let mut cmd = env.std_command();
    cmd.env("SALESAGENT_LOG", "salesagent=info,warn");
    if let Some(s) = secret {
        cmd.env("SALESAGENT_WEBHOOK_SECRET", s);
    }
    cmd
}

impl Proc {
    /// `salesagent serve --listen 127.0.0.1:0 ARGS…`, once it has said where it listens.
    pub fn serve(env: &TestEnv, args: &[&str]) -> Proc {
        let mut cmd = command(env, Some(SECRET));
        cmd.args(["serve", "--listen", "127.0.0.1:0"]).args(args);
        Proc::listening(cmd)
    }

    /// `serve` with no app webhook secret at all (whatever the env carries): only tenants' own.
    pub fn serve_without_app_secret(env: &TestEnv, args: &[&str]) -> Proc {
        let mut cmd = command(env, None);
        cmd.env_remove("SALESAGENT_WEBHOOK_SECRET")
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args);
        Proc::listening(cmd)
    }

    /// The same at the default log level (no `SALESAGENT_LOG`): what an operator sees.
    pub fn serve_default_log(env: &TestEnv, args: &[&str]) -> Proc {
        let mut cmd = command(env, Some(SECRET));
        cmd.env_remove("SALESAGENT_LOG")
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args);
        Proc::listening(cmd)
    }

    fn listening(cmd: Command) -> Proc {
        let mut p = Proc::spawn(cmd);
        let mut base = String::new();
        wait_for("serve to print its address", || {
            let text = p.stderr();
            if let Some(rest) = text.split("listening on ").nth(1) {
                base = rest.lines().next().unwrap_or("").trim().to_string();
                return true;
            }
            assert!(
                p.child.try_wait().unwrap().is_none(),
                "serve exited early:\n{text}"
            );
            false
        });
        p.base = base;
        p
    }

    /// `salesagent worker ARGS…`, once it has announced itself.
    pub fn worker(env: &TestEnv, args: &[&str]) -> Proc {
        let mut cmd = command(env, None);
        cmd.arg("worker").args(args);
        let p = Proc::spawn(cmd);
        wait_for("the worker to start", || p.stderr().contains(" on queues "));
        p
    }

    fn spawn(mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn salesagent");
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Proc {
            child,
            stderr,
            base: String::new(),
        }
    }

    pub fn url(&self) -> String {
        format!("{}{PATH}", self.base)
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM or SIGINT (by pid).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit and returns its code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let mut code = None;
        wait_for("the process to exit", || match self.child.try_wait() {
            Ok(Some(status)) => {
                code = Some(status.code());
                true
            }
            _ => false,
        });
        code.flatten()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The headers `salesagent webhook sign` prints for `file` (via the real binary).
pub fn sign(
    env: &TestEnv,
    file: &std::path::Path,
    url: &str,
    extra: &[&str],
) -> Vec<(String, String)> {
    let mut args = vec!["webhook", "sign", file.to_str().unwrap(), "--url", url];
    args.extend_from_slice(extra);
    signed_headers(&env.json(&args))
}

/// The headers of `webhook sign --json`'s output.
pub fn signed_headers(json: &Value) -> Vec<(String, String)> {
    json["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

/// POSTs `body` with `headers`; returns the status, the JSON body and the response headers.
pub fn post(
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut req = client.post(url).body(body);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let resp = req.send().expect("post");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        parse_json(&bytes)
    };
    (status, value, headers)
}

/// A seed-shape payload for a distinct lead `n`.
pub fn seed_payload(n: usize) -> Vec<u8> {
    format!(
        r#"{{"portalId":62515,"formId":"f-demo","formSubmissionId":"sub-{n}","submittedAt":1764412800000,
        "fieldValues":[{{"name":"email","value":"lead{n}@example{n}.com"}},{{"name":"firstname","value":"Lee"}},
        {{"name":"lastname","value":"Number{n}"}},{{"name":"company","value":"Example {n} Ltd"}}]}}"#
    )
    .into_bytes()
}

impl Proc {
    /// `serve --insecure-no-signature` without any secret.
    pub fn serve_insecure(env: &TestEnv) -> Proc {
        let mut cmd = command(env, None);
        // Whatever the env carries: this server has no secret at all.
        cmd.env_remove("SALESAGENT_WEBHOOK_SECRET");
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--insecure-no-signature",
            "--workers",
            "0",
        ]);
        let mut p = Proc::spawn(cmd);
        let mut base = String::new();
        wait_for("serve to print its address", || {
            let text = p.stderr();
            match text.split("listening on ").nth(1) {
                Some(rest) => {
                    base = rest.lines().next().unwrap_or("").trim().to_string();
                    true
                }
                None => false,
            }
        });
        p.base = base;
        p
    }
}
