//! Slow, idle and numerous clients cannot exhaust `serve`: small bounded raw-TCP clients against
//! short configured timeouts and caps. Deadlines here only stop a hung test; the one bound on
//! time is the issue's own (SIGTERM with half-open connections exits within the grace period).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::server_support::{PATH, Proc, signed_env, wait_for};

fn addr(serve: &Proc) -> String {
    serve.base.trim_start_matches("http://").to_string()
}

fn connect(serve: &Proc) -> TcpStream {
    let s = TcpStream::connect(addr(serve)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s
}

/// Reads until the server closes (or answers then closes); returns what it sent. Bounded by the
/// read timeout.
fn read_until_closed(s: &mut TcpStream) -> Result<String, std::io::Error> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(String::from_utf8_lossy(&out).into_owned()),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                return Ok(String::from_utf8_lossy(&out).into_owned());
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether the server still holds `s` open: nothing to read, no EOF, within `wait`.
fn still_open(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 1];
    let open = matches!(s.read(&mut buf), Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut));
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    open
}

fn serve_with(server: &str) -> (crate::env::TestEnv, Proc) {
    let env = signed_env();
    env.write_config(&format!("[server]\n{server}"));
    let serve = Proc::serve(&env, &["--workers", "0"]);
    (env, serve)
}

#[test]
fn a_slowloris_head_is_cut_off_at_the_header_timeout() {
    let (_env, serve) = serve_with("header_read_timeout_secs = 2\nidle_timeout_secs = 60\n");
    let mut s = connect(&serve);
    let head = format!("POST {PATH} HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    let started = Instant::now();
    let mut closed = false;
    // One byte every 200 ms, far longer than the header timeout allows; bounded at 60 s.
    for b in head.bytes().chain(std::iter::repeat(b'a')).take(300) {
        if s.write_all(&[b]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        if !still_open(&mut s, Duration::from_millis(1)) {
            closed = true;
            break;
        }
    }
    assert!(closed, "the server never closed a slow head");
    eprintln!("slow head closed after {:?}", started.elapsed());
}

#[test]
fn an_idle_connection_is_closed_but_keep_alive_outlives_the_header_timeout() {
    let (_env, serve) = serve_with("header_read_timeout_secs = 1\nidle_timeout_secs = 4\n");
    // A connection that never sends anything is closed (idle timeout).
    let mut idle = connect(&serve);
    assert!(read_until_closed(&mut idle).is_ok(), "closed by the server");

    // One request, then silence: the connection is idle, not "slow", so it outlives the header
    // timeout (1 s) and is closed by the idle timeout.
    let mut s = connect(&serve);
    s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        still_open(&mut s, Duration::from_millis(2500)),
        "keep-alive is bounded by the idle timeout, not the header timeout"
    );
    assert!(read_until_closed(&mut s).is_ok());
}

#[test]
fn a_stalled_body_gets_408() {
    let (_env, serve) = serve_with("body_timeout_secs = 2\n");
    let mut s = connect(&serve);
    s.write_all(
        format!(
            "POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"a\":"
        )
        .as_bytes(),
    )
    .unwrap();
    let answer = read_until_closed(&mut s).unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[test]
fn http_1_1_without_host_is_400() {
    let env = signed_env();
    let serve = Proc::serve(&env, &["--workers", "0"]);
    let mut s = connect(&serve);
    s.write_all(b"GET /health/live HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut s).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
}

#[test]
fn over_the_connection_cap_new_clients_get_503() {
    let (_env, serve) = serve_with("max_connections = 4\nidle_timeout_secs = 120\n");
    let mut held: Vec<TcpStream> = (0..4).map(|_| connect(&serve)).collect();
    // The server counts a connection once it has accepted it: poll until the cap shows.
    let mut answer = String::new();
    wait_for("the cap to refuse a connection", || {
        let mut s = connect(&serve);
        let _ = s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        answer = read_until_closed(&mut s).unwrap_or_default();
        answer.starts_with("HTTP/1.1 503")
    });
    assert!(
        answer.to_ascii_lowercase().contains("retry-after:"),
        "{answer}"
    );
    // Closing them frees the slots.
    held.clear();
    wait_for("a slot to free up", || {
        let mut s = connect(&serve);
        let _ = s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        read_until_closed(&mut s)
            .unwrap_or_default()
            .starts_with("HTTP/1.1 200")
    });
}

/// A POST whose head declares a 1 MB body, with `sent` bytes of it.
fn parked_body(serve: &Proc, sent: usize) -> TcpStream {
    let mut s = connect(serve);
    s.write_all(
        format!(
            "POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    s.write_all(&vec![b' '; sent]).unwrap();
    s
}

#[test]
fn bodies_in_flight_over_the_budget_get_503() {
    // 2 MiB of budget: two parked 1 MB bodies fill it.
    let (_env, serve) = serve_with(
        "max_inflight_body_bytes = 2097152\nbody_timeout_secs = 120\nidle_timeout_secs = 120\n",
    );
    // Park bodies one at a time until one is refused: the budget holds two.
    let mut held = Vec::new();
    let mut answer = String::new();
    for _ in 0..10 {
        let mut c = parked_body(&serve, 1000);
        c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut buf = [0u8; 4096];
        answer = match c.read(&mut buf) {
            Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
            Err(_) => String::new(),
        };
        if answer.starts_with("HTTP/1.1 503") {
            break;
        }
        held.push(c);
    }
    assert!(
        answer.starts_with("HTTP/1.1 503"),
        "never refused: {answer}"
    );
    assert!(held.len() >= 2, "two bodies fit the budget: {}", held.len());
    assert!(
        answer.to_ascii_lowercase().contains("retry-after:"),
        "{answer}"
    );
}

#[test]
fn sigterm_with_half_open_connections_exits_within_the_grace_period() {
    let env = signed_env();
    // Default timeouts (10 s for a head): the half-open heads are closed by the shutdown itself.
    env.write_config("[worker]\nshutdown_grace_secs = 10\n");
    let mut serve = Proc::serve(&env, &["--workers", "1"]);
    // Six half-open heads, one idle connection, and one request in the middle of its body.
    let mut half_open: Vec<TcpStream> = (0..6)
        .map(|_| {
            let mut s = connect(&serve);
            s.write_all(format!("POST {PATH} HTTP/1.1\r\nHost: x\r\nX-Slow: a").as_bytes())
                .unwrap();
            s
        })
        .collect();
    let _idle = connect(&serve);
    let body = br#"{"fieldValues": []}"#;
    let mut inflight = connect(&serve);
    inflight
        .write_all(
            format!(
                "POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    inflight.write_all(&body[..5]).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let signalled = Instant::now();
    serve.signal("TERM");
    // The slow clients keep trickling; the request in flight sends the rest of its body.
    std::thread::sleep(Duration::from_millis(300));
    for s in &mut half_open {
        let _ = s.write_all(b"a");
    }
    inflight.write_all(&body[5..]).unwrap();
    let answer = read_until_closed(&mut inflight).unwrap();
    // Answered, not dropped: intake is closed by then, so 503 with Retry-After (HubSpot retries).
    assert!(
        answer.starts_with("HTTP/1.1 503") && answer.to_ascii_lowercase().contains("retry-after:"),
        "the request in flight is answered: {answer}"
    );
    let code = serve.wait_exit();
    let took = signalled.elapsed();
    assert_eq!(code, Some(0), "{}", serve.stderr());
    assert!(
        took < Duration::from_secs(11),
        "serve must exit within grace + 1 s, took {took:?}"
    );
}

/// Resident and peak memory of a process, in MB (Linux `/proc`).
fn rss_mb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .unwrap_or(0)
            / 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[test]
fn six_hundred_parked_bodies_stay_within_the_in_flight_budget() {
    // Defaults: 256 MB of bodies in flight, 1 MB per body.
    let (_env, serve) = serve_with("body_timeout_secs = 300\nidle_timeout_secs = 300\n");
    let (before, _) = rss_mb(serve.pid());
    let addr = addr(&serve);
    let parked: Vec<_> = (0..8)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for _ in 0..75 {
                    let Ok(mut s) = TcpStream::connect(&addr) else {
                        continue;
                    };
                    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
                    let head = format!(
                        "POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
                    );
                    let _ = s.write_all(head.as_bytes());
                    let _ = s.write_all(&vec![b' '; 999_000]);
                    held.push(s);
                }
                held
            })
        })
        .collect();
    let held: Vec<TcpStream> = parked.into_iter().flat_map(|t| t.join().unwrap()).collect();
    std::thread::sleep(Duration::from_secs(2));
    let (during, peak) = rss_mb(serve.pid());
    eprintln!(
        "600 connections parking ~1 MB each: serve RSS {before} MB before, {during} MB with them \
         open (peak {peak} MB); budget 256 MB"
    );
    drop(held);
    // The in-flight budget (256 MB) plus a fixed overhead, with a generous margin.
    assert!(peak < 256 + 300, "RSS peak {peak} MB");
}
