//! Limit spike: signed HubSpot v3 form webhook -> durable SQLite (WAL, synchronous=FULL) with
//! group commit in one dedicated writer thread. Reply only after the commit that holds the record.
//!
//! env: SECRET (required), PORT (8740), DB_PATH (limit-spike.db in the temp dir), COMMIT=group|single,
//!      BATCH_MAX (512), WORKERS (tokio worker threads, default 2), STATS_FILE (JSON written at exit)
//! controls (NOT durable / not the design, only to locate the limit):
//!      STORE=none   reply 202 right after verify+parse, no DB at all (HTTP+HMAC+JSON ceiling)
//!      SYNC=normal  synchronous=NORMAL: WAL not fsynced at commit (removes the fsync from the path)
//!      ID_KIND=v7   time-ordered UUIDv7 ids instead of random v4 (fewer B-tree pages touched per batch)
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
    serve::ListenerExt,
    Router,
};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use tokio::sync::{mpsc, oneshot};

type HmacSha256 = Hmac<Sha256>;
const MAX_AGE_MS: i64 = 300_000;

struct Record {
    submission_id: String,
    job_id: String,
    dedupe_key: String,
    received_at: i64,
    raw: Bytes,
}

enum Outcome {
    New(String),
    Duplicate(String),
    Failed,
}

type Msg = (Record, oneshot::Sender<Outcome>);

#[derive(Clone)]
struct AppState {
    /// HMAC already keyed with the secret; cloned per request (saves re-keying).
    mac: HmacSha256,
    tx: mpsc::UnboundedSender<Msg>,
    stats: Arc<Stats>,
    store_none: bool,
    ids_v7: bool,
}

#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    rejected_401: AtomicU64,
    bad_400: AtomicU64,
    txns: AtomicU64,
    records: AtomicU64,
    max_batch: AtomicU64,
    exec_ns: AtomicU64,
    commit_ns: AtomicU64,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FieldValue<'a> {
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    value: serde_json::Value,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FormSubmission<'a> {
    #[serde(rename = "formSubmissionId", borrow)]
    form_submission_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "formId")]
    form_id: Option<serde_json::Value>,
    #[serde(rename = "portalId")]
    portal_id: Option<serde_json::Value>,
    #[serde(rename = "fieldValues", default, borrow)]
    field_values: Vec<FieldValue<'a>>,
    #[serde(borrow)]
    message: Option<std::borrow::Cow<'a, str>>,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn err(status: StatusCode, msg: &str) -> Response {
    json(status, format!("{{\"error\":\"{msg}\"}}"))
}

async fn intake(
    State(st): State<AppState>,
    ouri: Uri, // not nested, so this is the request's own path[?query]
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    st.stats.requests.fetch_add(1, Ordering::Relaxed);
    // 1. signature headers + freshness
    let (Some(sig), Some(ts)) = (
        headers.get("x-hubspot-signature-v3").and_then(|v| v.to_str().ok()),
        headers.get("x-hubspot-request-timestamp").and_then(|v| v.to_str().ok()),
    ) else {
        st.stats.rejected_401.fetch_add(1, Ordering::Relaxed);
        return err(StatusCode::UNAUTHORIZED, "missing signature");
    };
    let Ok(ts_ms) = ts.parse::<i64>() else {
        st.stats.rejected_401.fetch_add(1, Ordering::Relaxed);
        return err(StatusCode::UNAUTHORIZED, "bad timestamp");
    };
    let now = now_ms();
    if (now - ts_ms).abs() > MAX_AGE_MS {
        st.stats.rejected_401.fetch_add(1, Ordering::Relaxed);
        return err(StatusCode::UNAUTHORIZED, "stale timestamp");
    }
    // 2. HMAC-SHA256(secret, "POST" + uri + body + timestamp), uri = http://<Host><path[?query]>
    let host = headers.get(header::HOST).map(|v| v.as_bytes()).unwrap_or(b"");
    let pq = ouri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut mac = st.mac.clone();
    mac.update(b"POST");
    mac.update(b"http://");
    mac.update(host);
    mac.update(pq.as_bytes());
    mac.update(&body);
    mac.update(ts.as_bytes());
    let ok = match base64::engine::general_purpose::STANDARD.decode(sig) {
        Ok(raw) => mac.verify_slice(&raw).is_ok(), // constant time
        Err(_) => false,
    };
    if !ok {
        st.stats.rejected_401.fetch_add(1, Ordering::Relaxed);
        return err(StatusCode::UNAUTHORIZED, "bad signature");
    }
    // 3. parse + dedupe key
    let key = match serde_json::from_slice::<FormSubmission>(&body) {
        Ok(FormSubmission { form_submission_id: Some(id), .. }) if !id.is_empty() => format!("sub:{id}"),
        Ok(_) => {
            st.stats.bad_400.fetch_add(1, Ordering::Relaxed);
            return err(StatusCode::BAD_REQUEST, "missing formSubmissionId");
        }
        Err(_) => {
            st.stats.bad_400.fetch_add(1, Ordering::Relaxed);
            return err(StatusCode::BAD_REQUEST, "invalid json");
        }
    };
    // 4. hand to the writer, wait for the commit
    let new_id = || if st.ids_v7 { uuid::Uuid::now_v7() } else { uuid::Uuid::new_v4() }.simple().to_string();
    if st.store_none {
        // control only: nothing stored
        let _ = (&key, new_id());
        return json(StatusCode::ACCEPTED, format!("{{\"submission_id\":\"{}\",\"duplicate\":false}}", new_id()));
    }
    let rec = Record {
        submission_id: new_id(),
        job_id: new_id(),
        dedupe_key: key,
        received_at: now,
        raw: body,
    };
    let (otx, orx) = oneshot::channel();
    if st.tx.send((rec, otx)).is_err() {
        return err(StatusCode::SERVICE_UNAVAILABLE, "writer gone");
    }
    match orx.await {
        Ok(Outcome::New(id)) => json(StatusCode::ACCEPTED, format!("{{\"submission_id\":\"{id}\",\"duplicate\":false}}")),
        Ok(Outcome::Duplicate(id)) => json(StatusCode::OK, format!("{{\"submission_id\":\"{id}\",\"duplicate\":true}}")),
        _ => err(StatusCode::INTERNAL_SERVER_ERROR, "store failed"),
    }
}

async fn live() -> Response {
    json(StatusCode::OK, "{\"status\":\"ok\"}".to_string())
}

fn open_db(path: &str, sync: &str) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open db");
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", sync).unwrap();
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS submissions(id TEXT PRIMARY KEY, dedupe_key TEXT UNIQUE, received_at INTEGER, raw BLOB);
         CREATE TABLE IF NOT EXISTS jobs(id TEXT PRIMARY KEY, submission_id TEXT, state TEXT, queue TEXT, priority INTEGER, run_at INTEGER);
         CREATE INDEX IF NOT EXISTS jobs_ready ON jobs(queue, state, priority DESC, run_at);",
    )
    .unwrap();
    conn
}

/// Write `batch` in ONE transaction, commit (fsync of the WAL), return outcomes in order.
fn write_batch(conn: &mut rusqlite::Connection, batch: &[Record], stats: &Stats) -> rusqlite::Result<Vec<Outcome>> {
    let t0 = Instant::now();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut out = Vec::with_capacity(batch.len());
    {
        let mut ins_sub = tx.prepare_cached(
            "INSERT OR IGNORE INTO submissions(id, dedupe_key, received_at, raw) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut ins_job = tx.prepare_cached(
            "INSERT INTO jobs(id, submission_id, state, queue, priority, run_at) VALUES (?1, ?2, 'queued', 'hubspot_forms', 0, ?3)",
        )?;
        let mut sel = tx.prepare_cached("SELECT id FROM submissions WHERE dedupe_key = ?1")?;
        for r in batch {
            let n = ins_sub.execute(rusqlite::params![r.submission_id, r.dedupe_key, r.received_at, &r.raw[..]])?;
            if n == 1 {
                ins_job.execute(rusqlite::params![r.job_id, r.submission_id, r.received_at])?;
                out.push(Outcome::New(r.submission_id.clone()));
            } else {
                let id: String = sel.query_row([&r.dedupe_key], |row| row.get(0))?;
                out.push(Outcome::Duplicate(id));
            }
        }
    }
    let t1 = Instant::now();
    tx.commit()?;
    let t2 = Instant::now();
    stats.exec_ns.fetch_add((t1 - t0).as_nanos() as u64, Ordering::Relaxed);
    stats.commit_ns.fetch_add((t2 - t1).as_nanos() as u64, Ordering::Relaxed);
    stats.txns.fetch_add(1, Ordering::Relaxed);
    stats.records.fetch_add(batch.len() as u64, Ordering::Relaxed);
    stats.max_batch.fetch_max(batch.len() as u64, Ordering::Relaxed);
    Ok(out)
}

fn writer(mut conn: rusqlite::Connection, mut rx: mpsc::UnboundedReceiver<Msg>, batch_max: usize, stats: Arc<Stats>) {
    let mut recs: Vec<Record> = Vec::with_capacity(batch_max);
    let mut replies: Vec<oneshot::Sender<Outcome>> = Vec::with_capacity(batch_max);
    while let Some((r, s)) = rx.blocking_recv() {
        recs.push(r);
        replies.push(s);
        // drain whatever else is already waiting (group commit); batch_max=1 => single commit
        while recs.len() < batch_max {
            match rx.try_recv() {
                Ok((r, s)) => {
                    recs.push(r);
                    replies.push(s);
                }
                Err(_) => break,
            }
        }
        match write_batch(&mut conn, &recs, &stats) {
            Ok(outs) => {
                for (s, o) in replies.drain(..).zip(outs) {
                    let _ = s.send(o);
                }
            }
            Err(e) => {
                eprintln!("write_batch failed: {e}");
                for s in replies.drain(..) {
                    let _ = s.send(Outcome::Failed);
                }
            }
        }
        recs.clear();
    }
}

fn main() {
    let secret = std::env::var("SECRET").expect("SECRET env var required");
    let port: u16 = std::env::var("PORT").ok().and_then(|v| v.parse().ok()).unwrap_or(8740);
    let db_path = std::env::var("DB_PATH").unwrap_or_else(|_| std::env::temp_dir().join("limit-spike.db").to_string_lossy().into_owned());
    let single = std::env::var("COMMIT").map(|v| v == "single").unwrap_or(false);
    let batch_max = if single {
        1
    } else {
        std::env::var("BATCH_MAX").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
    };
    let workers: usize = std::env::var("WORKERS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let stats_file = std::env::var("STATS_FILE").ok();
    let store_none = std::env::var("STORE").map(|v| v == "none").unwrap_or(false);
    let ids_v7 = std::env::var("ID_KIND").map(|v| v == "v7").unwrap_or(false);
    let sync = if std::env::var("SYNC").map(|v| v == "normal").unwrap_or(false) { "NORMAL" } else { "FULL" };

    let stats = Arc::new(Stats::default());
    let conn = open_db(&db_path, sync);
    let (tx, rx) = mpsc::unbounded_channel::<Msg>();
    let wstats = stats.clone();
    let wh = std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || writer(conn, rx, batch_max, wstats))
        .unwrap();

    let state = AppState {
        mac: HmacSha256::new_from_slice(secret.as_bytes()).unwrap(),
        tx,
        stats: stats.clone(),
        store_none,
        ids_v7,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let app = Router::new()
            .route("/api/webhooks/hubspot/forms", post(intake))
            .route("/health/live", get(live))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        // PORT=0 picks a free port; the log line names the one bound (bench/intake.sh reads it).
        let port = listener.local_addr().unwrap().port();
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        eprintln!(
            "limit_spike listening on http://127.0.0.1:{port} db={db_path} commit={} batch_max={batch_max} workers={workers} sync={sync} store_none={store_none} ids_v7={ids_v7}",
            if single { "single" } else { "group" }
        );
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            })
            .await
            .unwrap();
    });
    drop(rt); // drops the router/state => the channel's sender => writer drains and exits
    wh.join().unwrap();
    let s = &*stats;
    let txns = s.txns.load(Ordering::Relaxed);
    let recs = s.records.load(Ordering::Relaxed);
    let line = format!(
        "{{\"requests\":{},\"rejected_401\":{},\"bad_400\":{},\"txns\":{txns},\"records\":{recs},\"avg_batch\":{:.2},\"max_batch\":{},\
\"exec_s\":{:.3},\"commit_s\":{:.3},\"avg_commit_ms\":{:.3}}}",
        s.requests.load(Ordering::Relaxed),
        s.rejected_401.load(Ordering::Relaxed),
        s.bad_400.load(Ordering::Relaxed),
        if txns > 0 { recs as f64 / txns as f64 } else { 0.0 },
        s.max_batch.load(Ordering::Relaxed),
        s.exec_ns.load(Ordering::Relaxed) as f64 / 1e9,
        s.commit_ns.load(Ordering::Relaxed) as f64 / 1e9,
        if txns > 0 { s.commit_ns.load(Ordering::Relaxed) as f64 / 1e6 / txns as f64 } else { 0.0 },
    );
    eprintln!("{line}");
    if let Some(f) = stats_file {
        let _ = std::fs::write(f, line + "\n");
    }
}
