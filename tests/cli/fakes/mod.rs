//! In-process fakes of HubSpot, Gmail and an OpenAI-compatible LLM on 127.0.0.1:0, strict about
//! what the documented APIs require, with faults injected on demand (statuses with Retry-After,
//! hangs past the client timeout, a request held until the test releases it, and a dropped
//! connection after the write was performed).
//!
//! The HTTP/1.1 server is hand-written on std threads (one per connection, `Connection: close`)
//! because a dropped connection after the handler ran needs control of the socket.

pub mod gmail;
pub mod hubspot;
pub mod llm;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::Value;

/// A request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn query_param(&self, key: &str) -> Option<String> {
        form_param(&self.query, key)
    }

    /// "METHOD /path" for matching faults.
    pub fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A value from `a=1&b=2` (percent- and plus-decoded).
pub fn form_param(text: &str, key: &str) -> Option<String> {
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k) == key).then(|| decode(v))
    })
}

pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the fake does with a request.
#[derive(Clone, Debug)]
pub enum Reply {
    Json(u16, Value),
    /// Status, extra headers, body.
    Raw(u16, Vec<(String, String)>, String),
    /// Close the socket without any response (after the handler did its work).
    Drop,
    /// Wait this long (past the client's timeout), then close without a response.
    Hang(Duration),
}

/// A fault to inject instead of (or after) the normal handling of a matching request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status and body; `retry_after` as the header when set.
    Status {
        status: u16,
        body: Value,
        retry_after: Option<String>,
    },
    /// Perform the request normally, then drop the connection instead of answering.
    DropAfterWrite,
    Hang(Duration),
    /// Wait until the gate opens (the test says so), then handle the request normally: holds a
    /// worker inside a step for as long as a test needs.
    Hold(Gate),
}

/// A gate a held request waits at; cloned into the fault, opened by the test.
#[derive(Clone, Debug, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    pub fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    fn wait(&self) {
        let mut open = self.0.0.lock().unwrap();
        // Bounded: a test that forgets to open the gate does not hang the suite forever.
        let deadline = std::time::Instant::now() + Duration::from_secs(300);
        while !*open && std::time::Instant::now() < deadline {
            open = self
                .0
                .1
                .wait_timeout(open, Duration::from_millis(100))
                .unwrap()
                .0;
        }
    }
}

impl Fault {
    pub fn status(status: u16) -> Fault {
        Fault::Status {
            status,
            body: serde_json::json!({"status": "error", "message": format!("injected {status}")}),
            retry_after: None,
        }
    }
}

#[derive(Default)]
struct Faults {
    /// (route prefix such as "POST /gmail/v1/users/me/drafts", remaining count, fault)
    rules: Vec<(String, usize, Fault)>,
}

/// Shared plumbing of every fake: the request log and the fault list.
#[derive(Clone, Default)]
pub struct Recorder {
    log: Arc<Mutex<Vec<Request>>>,
    faults: Arc<Mutex<Faults>>,
}

impl Recorder {
    /// Injects `fault` for the next `times` requests whose "METHOD /path" equals `route`.
    pub fn inject(&self, route: &str, times: usize, fault: Fault) {
        self.faults
            .lock()
            .unwrap()
            .rules
            .push((route.to_string(), times, fault));
    }

    fn take_fault(&self, req: &Request) -> Option<Fault> {
        let mut faults = self.faults.lock().unwrap();
        let route = req.route();
        let rule = faults
            .rules
            .iter_mut()
            .find(|(r, n, _)| *n > 0 && *r == route)?;
        rule.1 -= 1;
        Some(rule.2.clone())
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// Requests for `route` ("METHOD /path").
    pub fn count(&self, route: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.route() == route)
            .count()
    }

    /// Runs `handle` under the fault rules: the fault replaces the answer, or (drop after write)
    /// follows the handling.
    pub fn dispatch(&self, req: &Request, handle: impl FnOnce(&Request) -> Reply) -> Reply {
        self.log.lock().unwrap().push(req.clone());
        match self.take_fault(req) {
            None => handle(req),
            Some(Fault::DropAfterWrite) => {
                let _ = handle(req);
                Reply::Drop
            }
            Some(Fault::Hang(d)) => Reply::Hang(d),
            Some(Fault::Hold(gate)) => {
                gate.wait();
                handle(req)
            }
            Some(Fault::Status {
                status,
                body,
                retry_after,
            }) => {
                let headers = retry_after
                    .map(|v| vec![("Retry-After".to_string(), v)])
                    .unwrap_or_default();
                Reply::Raw(status, headers, body.to_string())
            }
        }
    }
}

/// A running fake server. It lives until the test process exits.
pub struct Server {
    pub base_url: String,
}

pub fn serve(handler: Arc<dyn Fn(&Request) -> Reply + Send + Sync>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handler = handler.clone();
            std::thread::spawn(move || {
                let _ = handle_connection(stream, &*handler);
            });
        }
    });
    Server {
        base_url: format!("http://{addr}"),
    }
}

fn handle_connection(
    stream: TcpStream,
    handler: &(dyn Fn(&Request) -> Reply + Send + Sync),
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    let req = Request {
        method,
        path,
        query,
        headers,
        body,
    };
    let mut stream = stream;
    let (status, extra, body) = match handler(&req) {
        Reply::Json(status, v) => (status, vec![], v.to_string()),
        Reply::Raw(status, headers, body) => (status, headers, body),
        Reply::Drop => {
            stream.shutdown(std::net::Shutdown::Both)?;
            return Ok(());
        }
        Reply::Hang(d) => {
            std::thread::sleep(d);
            stream.shutdown(std::net::Shutdown::Both)?;
            return Ok(());
        }
    };
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    for (n, v) in extra {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()?;
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A bare HTTP/1.1 call to a fake, for tests of the fakes themselves: (status, body).
pub fn call(
    base_url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    let addr = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect to fake");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        request.push_str(&format!("{n}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[cfg(test)]
mod strictness {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    use serde_json::json;

    use super::call;
    use super::gmail::FakeGmail;
    use super::hubspot::FakeHubSpot;

    #[test]
    fn hubspot_fake_rejects_a_task_without_hs_timestamp_and_a_bad_token() {
        let fake = FakeHubSpot::start("pat-good");
        let contact = fake.seed_contact("a@b.com");
        let auth = [
            ("Authorization", "Bearer pat-good"),
            ("Content-Type", "application/json"),
        ];
        let task = |props: serde_json::Value| {
            json!({
                "properties": props,
                "associations": [{"to": {"id": contact}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}]
            })
            .to_string()
        };
        let (status, body) = call(
            &fake.base_url,
            "POST",
            "/crm/v3/objects/tasks",
            &auth,
            &task(json!({"hs_task_subject": "x"})),
        );
        assert_eq!(status, 400);
        assert_eq!(body["category"], "VALIDATION_ERROR");
        let (status, _) = call(
            &fake.base_url,
            "POST",
            "/crm/v3/objects/tasks",
            &auth,
            &task(json!({"hs_timestamp": "1764412800000"})),
        );
        assert_eq!(status, 201);
        let bad = [("Authorization", "Bearer pat-bad")];
        let (status, body) = call(
            &fake.base_url,
            "GET",
            "/crm/v3/objects/contacts?limit=1",
            &bad,
            "",
        );
        assert_eq!(status, 401);
        assert!(body["correlationId"].is_string());
    }

    #[test]
    fn gmail_fake_rejects_bad_raw_and_unknown_tokens() {
        let fake = FakeGmail::start("id", "secret", "refresh");
        let form = [("Content-Type", "application/x-www-form-urlencoded")];
        let (status, token) = call(
            &fake.base_url,
            "POST",
            "/token",
            &form,
            "grant_type=refresh_token&client_id=id&client_secret=secret&refresh_token=refresh",
        );
        assert_eq!(status, 200);
        let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
        let auth = [("Authorization", bearer.as_str())];
        let draft = |raw: String| json!({"message": {"raw": raw}}).to_string();
        let good = "From: a@b.com\r\nTo: c@d.com\r\nSubject: s\r\nDate: Sat, 29 Nov 2025 10:40:00 +0000\r\nMessage-ID: <wf-1@b.com>\r\n\r\nhi?>>";
        let path = "/gmail/v1/users/me/drafts";
        let (status, _) = call(
            &fake.base_url,
            "POST",
            path,
            &auth,
            &draft(STANDARD.encode(good)),
        );
        assert_eq!(status, 400, "plain base64 with + or / is refused");
        let (status, _) = call(
            &fake.base_url,
            "POST",
            path,
            &auth,
            &draft(URL_SAFE.encode("no headers at all")),
        );
        assert_eq!(status, 400);
        let (status, _) = call(
            &fake.base_url,
            "POST",
            path,
            &auth,
            &draft(URL_SAFE.encode(good)),
        );
        assert_eq!(status, 200);
        let (status, body) = call(
            &fake.base_url,
            "GET",
            path,
            &[("Authorization", "Bearer ya29.expired")],
            "",
        );
        assert_eq!(status, 401);
        assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
        fake.revoke_refresh_token();
        let (status, body) = call(
            &fake.base_url,
            "POST",
            "/token",
            &form,
            "grant_type=refresh_token&client_id=id&client_secret=secret&refresh_token=refresh",
        );
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_grant");
    }
}
