//! Load generator for `bench/intake.sh`: signed HubSpot webhooks over plain HTTP/1.1 keep-alive
//! connections (a minimal client, so the generator costs little of the shared CPU), with latency
//! percentiles. Also reads 202-to-completed latencies from a database. Not part of the binary.
//!
//! Usage:
//!   loadgen post --url URL --secret S [--connections 64] [--requests N] [--rate R] [--tag T]
//!                [--resend-pct P] [--record FILE] [--portals N]
//!   loadgen post --url URL --api-key K [...]        (POST /api/v1/submissions leads instead)
//!   loadgen post --url URL --api-key K --get [...]  (GET URL, e.g. /api/v1/drafts?status=…)
//!   loadgen verify --db PATH --record FILE   (every 202 the server gave is in the database)
//!   loadgen latency --db PATH   (202-to-completed percentiles)
//!   loadgen wait --db PATH      (waits for the queue to drain; prints workflows/s)
//!   loadgen claims --db PATH    (runnable-to-claimed percentiles of first attempts)
//!
//! `--db` is a SQLite file or a `postgres://` URL.
//!
//! `--resend-pct P`: P% of the requests repeat an earlier submission (same body, fresh timestamp and
//! signature), as HubSpot's retries do; the server must answer them as duplicates. `--record FILE`
//! writes, per request, the submission number, the status and the `submission_id` answered, so
//! `verify` can check the database against what the server said.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The signed form submission for lead `n`, from portal `62515 + n % portals`.
fn payload(tag: &str, n: usize, portals: usize) -> Vec<u8> {
    let portal = 62515 + n % portals.max(1);
    format!(
        r#"{{"portalId":{portal},"formId":"f-bench","formSubmissionId":"{tag}-{n}","submittedAt":1764412800000,"fieldValues":[{{"name":"email","value":"lead{n}@{tag}-bench{n}.com"}},{{"name":"firstname","value":"Lee"}},{{"name":"lastname","value":"Bench"}},{{"name":"company","value":"Bench {n} Ltd"}},{{"name":"message","value":"Please call me about pricing for 40 warehouses."}}]}}"#
    )
    .into_bytes()
}

/// The body of `POST /api/v1/submissions` for lead `n`.
fn api_lead(tag: &str, n: usize) -> Vec<u8> {
    format!(
        r#"{{"email":"lead{n}@{tag}-bench{n}.com","first_name":"Lee","last_name":"Bench","company":"Bench {n} Ltd","message":"Please call me about pricing for 40 warehouses.","form_id":"f-bench"}}"#
    )
    .into_bytes()
}

struct Target {
    /// `/api/v1` instead of the webhook: the bearer key, and whether to GET the URL.
    api_key: Option<String>,
    get: bool,
    addr: String,
    host: String,
    path: String,
    url: String,
    secret: String,
    tag: String,
    /// Submissions spread over this many portals (62515, 62516, …): one per tenant.
    portals: usize,
}

fn api_request(t: &Target, key: &str, n: usize) -> Vec<u8> {
    let head = |method: &str, extra: &str| {
        format!(
            "{method} {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key}\r\n{extra}\r\n",
            t.path, t.host
        )
    };
    if t.get {
        return head("GET", "").into_bytes();
    }
    let body = api_lead(&t.tag, n);
    let mut bytes = head(
        "POST",
        &format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ),
    )
    .into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

fn request(t: &Target, n: usize) -> Vec<u8> {
    if let Some(key) = &t.api_key {
        return api_request(t, key, n);
    }
    let body = payload(&t.tag, n, t.portals);
    let headers = salesagent::webhook::signed_headers(&t.secret, "v3", &t.url, &body, now_ms());
    let mut req = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        t.path,
        t.host,
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

/// Which submission request `n` carries: with re-sends, every `1/fraction`-th request repeats the
/// submission of a request sent a little earlier (usually already answered, sometimes in flight).
fn submission_of(n: usize, resend_pct: usize) -> usize {
    if resend_pct == 0 {
        return n;
    }
    let every = (100 / resend_pct).max(1);
    if n % every == every - 1 && n >= every {
        n - every + 1 - every / 2
    } else {
        n
    }
}

/// The `submission_id` of a JSON response body, if any.
fn submission_id(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("submission_id")?.as_str().map(str::to_string)
}

/// Reads one response; returns its status and body.
async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<(u16, Vec<u8>)> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let status: u16 = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            let total = end + 4 + len;
            while buf.len() < total {
                let mut chunk = [0u8; 4096];
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[end + 4..total].to_vec();
            buf.drain(..total);
            return Ok((status, body));
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64
}

async fn post(args: &[String]) {
    let url = arg(args, "--url").expect("--url");
    let api_key = arg(args, "--api-key");
    let secret = arg(args, "--secret").unwrap_or_default();
    assert!(
        api_key.is_some() || !secret.is_empty(),
        "--secret or --api-key"
    );
    let connections: usize = arg(args, "--connections").map_or(64, |v| v.parse().unwrap());
    let requests: usize = arg(args, "--requests").map_or(100_000, |v| v.parse().unwrap());
    let rate: Option<f64> = arg(args, "--rate").map(|v| v.parse().unwrap());
    let tag = arg(args, "--tag").unwrap_or_else(|| format!("r{}", now_ms()));
    let resend_pct: usize = arg(args, "--resend-pct").map_or(0, |v| v.parse().unwrap());
    let record = arg(args, "--record");
    let rest = url.strip_prefix("http://").expect("http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let target = Arc::new(Target {
        api_key,
        get: args.iter().any(|a| a == "--get"),
        addr: host.to_string(),
        host: host.to_string(),
        path: path.to_string(),
        url: url.clone(),
        secret,
        tag,
        portals: arg(args, "--portals").map_or(1, |v| v.parse().unwrap()),
    });
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let target = target.clone();
        let next = next.clone();
        let record_answers = record.is_some();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut answers: Vec<(usize, u16, String)> = Vec::new();
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            let mut stream = TcpStream::connect(&target.addr).await.expect("connect");
            stream.set_nodelay(true).ok();
            let mut buf = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests {
                    break;
                }
                if let Some(r) = rate {
                    let due = start + Duration::from_secs_f64(n as f64 / r);
                    tokio::time::sleep_until(due.into()).await;
                }
                let sub = submission_of(n, resend_pct);
                let req = request(&target, sub);
                let t0 = Instant::now();
                if stream.write_all(&req).await.is_err() {
                    *statuses.entry(0).or_default() += 1;
                    break;
                }
                match read_response(&mut stream, &mut buf).await {
                    Ok((s, body)) => {
                        lat.push(t0.elapsed().as_micros() as u64);
                        *statuses.entry(s).or_default() += 1;
                        if record_answers {
                            answers.push((sub, s, submission_id(&body).unwrap_or_default()));
                        }
                    }
                    Err(_) => {
                        *statuses.entry(0).or_default() += 1;
                        break;
                    }
                }
            }
            (lat, statuses, answers)
        }));
    }
    let mut all = Vec::new();
    let mut answers = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for t in tasks {
        let (lat, st, ans) = t.await.expect("task");
        all.extend(lat);
        answers.extend(ans);
        for (k, v) in st {
            *statuses.entry(k).or_default() += v;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_unstable();
    println!(
        "requests {}  elapsed {:.2} s  throughput {:.0}/s  p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms  statuses {:?}",
        all.len(),
        elapsed,
        all.len() as f64 / elapsed,
        pct(&all, 0.50) / 1000.0,
        pct(&all, 0.95) / 1000.0,
        pct(&all, 0.99) / 1000.0,
        all.last().copied().unwrap_or(0) as f64 / 1000.0,
        statuses
    );
    if let Some(path) = record {
        let mut out = String::new();
        for (sub, status, id) in answers {
            out.push_str(&format!("{sub} {status} {id}\n"));
        }
        std::fs::write(&path, out).expect("write --record file");
    }
}

/// Checks the database against a `--record` file: every submission answered 202 was answered 202
/// exactly once, re-sends were answered as duplicates of the same id, and every 202'd id is stored
/// (with its workflow and job, in the product's schema; with its job in the spike's).
fn verify(args: &[String]) {
    let db = arg(args, "--db").expect("--db");
    let record = arg(args, "--record").expect("--record");
    let text = std::fs::read_to_string(&record).expect("read --record file");
    let mut accepted = std::collections::HashMap::<String, String>::new();
    let mut problems = Vec::new();
    let mut other = std::collections::BTreeMap::<u16, usize>::new();
    let mut answered = Vec::new();
    for line in text.lines() {
        let mut it = line.split(' ');
        let (sub, status, id) = (
            it.next().unwrap_or("").to_string(),
            it.next().and_then(|s| s.parse::<u16>().ok()).unwrap_or(0),
            it.next().unwrap_or("").to_string(),
        );
        match status {
            202 => {
                if let Some(first) = accepted.insert(sub.clone(), id.clone()) {
                    problems.push(format!(
                        "submission {sub} answered 202 twice ({first}, {id})"
                    ));
                }
            }
            200 => answered.push((sub, id)),
            s => *other.entry(s).or_default() += 1,
        }
    }
    for (sub, id) in &answered {
        match accepted.get(sub) {
            Some(first) if first == id => {}
            Some(first) => problems.push(format!("re-send of {sub} answered {id}, first {first}")),
            None => problems.push(format!("submission {sub} answered only as a duplicate")),
        }
    }
    let mut conn = Db::open(&db);
    let product = conn.has_table("workflows");
    let sql = if product {
        "SELECT s.id FROM submissions s JOIN workflows w ON w.submission_id = s.id
         JOIN jobs j ON j.workflow_id = w.id"
    } else {
        "SELECT s.id FROM submissions s JOIN jobs j ON j.submission_id = s.id"
    };
    let mut whole = std::collections::HashMap::<String, usize>::new();
    for id in conn.strings(sql) {
        *whole.entry(id).or_default() += 1;
    }
    let missing = accepted
        .values()
        .filter(|id| whole.get(*id) != Some(&1))
        .count();
    let stored = conn.ints("SELECT COUNT(*) FROM submissions")[0][0];
    if missing > 0 {
        problems.push(format!(
            "{missing} submissions answered 202 are not stored whole"
        ));
    }
    if stored as usize != accepted.len() {
        problems.push(format!(
            "{stored} submissions stored, {} answered 202",
            accepted.len()
        ));
    }
    if !other.is_empty() {
        problems.push(format!("other statuses: {other:?}"));
    }
    println!(
        "verify: {} answered 202, {} answered 200 (duplicates), {stored} stored: {}",
        accepted.len(),
        answered.len(),
        if problems.is_empty() {
            "ok"
        } else {
            "MISMATCH"
        }
    );
    for p in problems.iter().take(10) {
        println!("  {p}");
    }
    if !problems.is_empty() {
        std::process::exit(1);
    }
}

fn latency(args: &[String]) {
    let db = arg(args, "--db").expect("--db");
    let mut conn = Db::open(&db);
    let v: Vec<u64> = conn
        .ints(
            "SELECT completed_at - created_at FROM workflows
             WHERE status = 'completed' ORDER BY 1",
        )
        .iter()
        .map(|row| row[0].max(0) as u64)
        .collect();
    let span = conn.ints(
        "SELECT MIN(completed_at), MAX(completed_at) FROM workflows WHERE status = 'completed'",
    );
    let (first, last) = (span[0][0], span[0][1]);
    println!(
        "completed {}  first-to-last {:.2} s  202->completed p50 {} ms  p95 {} ms  p99 {} ms",
        v.len(),
        (last - first) as f64 / 1000.0,
        pct(&v, 0.50),
        pct(&v, 0.95),
        pct(&v, 0.99)
    );
}

/// How long jobs waited to be claimed: each job's first attempt's start minus the time it became
/// runnable, percentiles.
fn claims(args: &[String]) {
    let db = arg(args, "--db").expect("--db");
    let v: Vec<u64> = Db::open(&db)
        .ints(
            "SELECT a.started_at - j.run_at FROM jobs j
             JOIN job_attempts a ON a.job_id = j.id AND a.attempt = 1 ORDER BY 1",
        )
        .iter()
        .map(|row| row[0].max(0) as u64)
        .collect();
    println!(
        "claimed {}  runnable->claimed p50 {} ms  p95 {} ms  p99 {} ms  max {} ms",
        v.len(),
        pct(&v, 0.50),
        pct(&v, 0.95),
        pct(&v, 0.99),
        v.last().copied().unwrap_or(0)
    );
}

/// Waits until no job is waiting or running, then prints the end-to-end rate measured from the
/// first claim to the last completion (both from the database).
fn wait(args: &[String]) {
    let db = arg(args, "--db").expect("--db");
    let mut conn = Db::open(&db);
    // One waiting job is enough to know (LIMIT 1, a BIGINT count on both backends): a count of
    // them all walks every waiting job's entry each poll, which cost the server ~0.1 ms per
    // workflow of a 100,000 drain on PostgreSQL (the bench's own load, not the product's). The
    // rate comes from the rows' own times, so the poll's pace does not move it.
    while conn.ints(
        "SELECT COUNT(*) FROM (SELECT 1 FROM jobs
             WHERE state IN ('available', 'retryable', 'running') LIMIT 1) AS waiting",
    )[0][0]
        > 0
    {
        std::thread::sleep(Duration::from_millis(500));
    }
    let row = conn.ints(
        "SELECT COUNT(*), (SELECT MIN(started_at) FROM job_attempts), MAX(completed_at)
         FROM workflows WHERE status = 'completed'",
    );
    let (done, first, last) = (row[0][0], row[0][1], row[0][2]);
    let secs = (last - first).max(1) as f64 / 1000.0;
    println!(
        "workflows completed {done}  first claim to last completion {secs:.2} s  rate {:.0}/s",
        done as f64 / secs
    );
    // A workflow that did not complete is a finding, not noise: say where it ended and why.
    let unfinished = conn.strings(
        "SELECT w.id || ' ' || w.status || ' (job ' || COALESCE(j.state, 'none') || '): '
                || COALESCE(w.last_error_class, '') || ' ' || COALESCE(w.last_error, '')
         FROM workflows w LEFT JOIN jobs j ON j.workflow_id = w.id
         WHERE w.status <> 'completed' ORDER BY w.id LIMIT 10",
    );
    for line in unfinished {
        println!("not completed: {line}");
    }
}

/// The database the product (or the spike) wrote: a SQLite file, or a `postgres://` URL.
enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(Box<postgres::Client>),
}

impl Db {
    fn open(db: &str) -> Db {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            let client =
                postgres::Client::connect(db, postgres::NoTls).expect("connect to PostgreSQL");
            return Db::Postgres(Box::new(client));
        }
        let conn = rusqlite::Connection::open(db).expect("open db");
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        Db::Sqlite(conn)
    }

    fn has_table(&mut self, name: &str) -> bool {
        let sql = match self {
            Db::Sqlite(_) => format!("SELECT COUNT(*) FROM sqlite_master WHERE name = '{name}'"),
            Db::Postgres(_) => format!(
                "SELECT COUNT(*) FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name = '{name}'"
            ),
        };
        self.ints(&sql)[0][0] > 0
    }

    /// Every row of integer columns (NULL read as 0).
    fn ints(&mut self, sql: &str) -> Vec<Vec<i64>> {
        self.rows(
            sql,
            |r| {
                (0..r.as_ref().column_count())
                    .map(|i| Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0)))
                    .collect()
            },
            |r| {
                (0..r.len())
                    .map(|i| r.get::<_, Option<i64>>(i).unwrap_or(0))
                    .collect()
            },
        )
    }

    /// The first column of every row, as text.
    fn strings(&mut self, sql: &str) -> Vec<String> {
        self.rows(sql, |r| r.get(0), |r| r.get(0))
    }

    /// Every row of `sql`, read by the backend's reader.
    fn rows<T>(
        &mut self,
        sql: &str,
        sqlite: impl Fn(&rusqlite::Row) -> rusqlite::Result<T>,
        pg: impl Fn(&postgres::Row) -> T,
    ) -> Vec<T> {
        match self {
            Db::Sqlite(conn) => {
                let mut stmt = conn.prepare(sql).unwrap();
                stmt.query_map([], |r| sqlite(r))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            }
            Db::Postgres(client) => client.query(sql, &[]).unwrap().iter().map(pg).collect(),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("post") => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
            .block_on(post(&args)),
        Some("latency") => latency(&args),
        Some("verify") => verify(&args),
        Some("wait") => wait(&args),
        Some("claims") => claims(&args),
        _ => eprintln!(
            "usage: loadgen post --url URL --secret S [--connections N] [--requests N] [--rate R] [--resend-pct P] [--record FILE] [--portals N] | loadgen verify --db PATH --record FILE | loadgen latency --db PATH | loadgen wait --db PATH | loadgen claims --db PATH"
        ),
    }
}
