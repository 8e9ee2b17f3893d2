//! Group commit: one writer thread owns the intake's `synchronous=FULL` connection and commits, in
//! one transaction, whatever requests arrived while the previous commit was syncing. A request is
//! answered only after the commit that holds it, so every 202 is durable.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::domain::submission::{ParsedSubmission, PrivacyDeletion};
use crate::domain::tenant::TenantId;
use crate::domain::time::now_ms;
use crate::error::{Error, Result};
use crate::store::{
    Acceptance, CHECKPOINT_PACE, Checkpointer, NewSubmission, Routed, Source, Store, WalReset,
};

/// Most requests committed together; bounds a transaction's size and latency.
const MAX_BATCH: usize = 2048;

/// One request's submissions, owned so they can cross to the writer thread.
pub struct Submit {
    pub parsed: Vec<ParsedSubmission>,
    /// The tenant each of `parsed` was routed to (same length and order).
    pub tenants: Vec<TenantId>,
    /// Audited as this actor in the commit (`api_key:<id>` for `/api/v1`); None for webhooks.
    pub audit_actor: Option<String>,
    pub raw: Bytes,
    /// The v3 signature, stored on the first submission only (a replay of it is a duplicate).
    pub signature: Option<String>,
    pub trace_id: String,
    /// A probe's submission (`X-Salesagent-Synthetic: 1` on a signed request): no side effects.
    pub synthetic: bool,
    pub reply: oneshot::Sender<Result<Vec<Acceptance>>>,
}

pub struct Quarantine {
    /// The tenant whose own URL it came in on; `None`: the shared URL (the store's tenant).
    pub tenant: Option<TenantId>,
    pub reason: String,
    pub content_type: Option<String>,
    pub raw: Bytes,
    pub reply: oneshot::Sender<Result<String>>,
}

pub struct PrivacyDeletions {
    /// Each event with the tenant that owns its portal.
    pub events: Vec<(TenantId, PrivacyDeletion)>,
    /// How many erasure jobs were queued (a redelivery queues none).
    pub reply: oneshot::Sender<Result<usize>>,
}

pub enum Message {
    Submit(Submit),
    Quarantine(Quarantine),
    /// HubSpot `contact.privacyDeletion` events: queue one erasure job each.
    PrivacyDeletions(PrivacyDeletions),
    /// Everything sent before this has been answered; the writer exits.
    Stop,
}

/// Whether intake commits are failing right now (a full disk, a read-only file): readiness is
/// false from a failed commit until the next one that succeeds.
#[derive(Debug, Default)]
pub struct Health {
    failing: AtomicBool,
    /// When the last intake commit succeeded (epoch ms; 0: none yet).
    last_ok_ms: AtomicI64,
}

impl Health {
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::SeqCst)
    }

    /// An intake commit succeeded at or after `since`: the store took a real write just now, so
    /// readiness need not queue a probe write behind the intake writer.
    pub fn committed_since(&self, since: i64) -> bool {
        !self.is_failing() && self.last_ok_ms.load(Ordering::SeqCst) >= since
    }

    fn record(&self, ok: bool) {
        if ok {
            self.last_ok_ms.store(now_ms(), Ordering::SeqCst);
        }
        self.failing.store(!ok, Ordering::SeqCst);
    }
}

pub struct Writer {
    pub tx: mpsc::Sender<Message>,
    handle: JoinHandle<()>,
    checkpointer: Option<Checkpointer>,
}

/// Who copies the intake's WAL into the database, and asks the writer to start it over.
pub enum Checkpoints {
    /// A checkpointer of the writer's own, on this second connection (SQLite, no worker pool in
    /// the process).
    Own(Box<Store>),
    /// The worker pool's in the same process ([`crate::worker::Pool::wal_reset`]): one
    /// checkpointer for every writer of the process (two racing each other for the checkpoint
    /// lock let the WAL grow by half), and the writer resets the WAL when that one asks, as
    /// the worker threads do.
    Pool(WalReset),
    /// The database server checkpoints its own WAL (PostgreSQL): no file of ours.
    ByServer,
}

impl Writer {
    /// Starts the writer thread on `store` (opened with `Durability::Full`). `on_commit` runs after
    /// each commit that enqueued jobs (it wakes the workers).
    /// The writer never checkpoints itself: `checkpoints` says who does ([`CHECKPOINT_PACE`]).
    pub fn start(
        mut store: Store,
        checkpoints: Checkpoints,
        on_commit: Arc<dyn Fn() + Send + Sync>,
        health: Arc<Health>,
    ) -> Result<Writer> {
        store.tune_for_intake()?;
        let (tx, rx) = mpsc::channel(8192);
        let (wal, checkpointer) = match checkpoints {
            Checkpoints::Own(other) => {
                let wal = WalReset::default();
                let checkpointer = Checkpointer::start(*other, CHECKPOINT_PACE, wal.clone())?;
                (wal, Some(checkpointer))
            }
            Checkpoints::Pool(wal) => (wal, None),
            Checkpoints::ByServer => (WalReset::default(), None),
        };
        let handle = std::thread::Builder::new()
            .name("intake-writer".into())
            .spawn(move || run(store, rx, &*on_commit, &health, &wal))
            .map_err(|e| Error::io("cannot start the intake writer", e))?;
        Ok(Writer {
            tx,
            handle,
            checkpointer,
        })
    }

    /// Answers everything queued so far, then stops the threads.
    pub fn stop(mut self) {
        let _ = self.tx.blocking_send(Message::Stop);
        let _ = self.handle.join();
        drop(self.checkpointer.take());
    }
}

/// What the writer did, logged when it stops: the batch size it actually reaches and where its
/// time went (bench/intake.sh prints the line).
#[derive(Debug, Default)]
struct WriterStats {
    commits: u64,
    requests: u64,
    max_batch: usize,
    busy: Duration,
}

impl WriterStats {
    fn record(&mut self, requests: usize, took: Duration) {
        self.commits += 1;
        self.requests += requests as u64;
        self.max_batch = self.max_batch.max(requests);
        self.busy += took;
    }

    fn log(&self) {
        let avg = self.requests as f64 / self.commits.max(1) as f64;
        let per_commit_ms = self.busy.as_secs_f64() * 1000.0 / self.commits.max(1) as f64;
        tracing::info!(
            commits = self.commits,
            requests = self.requests,
            avg_batch = format_args!("{avg:.1}"),
            max_batch = self.max_batch,
            busy_s = format_args!("{:.3}", self.busy.as_secs_f64()),
            per_commit_ms = format_args!("{per_commit_ms:.3}"),
            "intake writer stopped"
        );
    }
}

fn run(
    mut store: Store,
    mut rx: mpsc::Receiver<Message>,
    on_commit: &(dyn Fn() + Send + Sync),
    health: &Health,
    wal: &WalReset,
) {
    let mut stopping = false;
    let mut stats = WriterStats::default();
    while !stopping {
        wal.reset_if_wanted(|truncate| store.reset_wal(truncate));
        let Some(first) = rx.blocking_recv() else {
            break;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let mut submits = Vec::new();
        for message in batch {
            match message {
                Message::Submit(s) => submits.push(s),
                Message::Quarantine(q) => {
                    let tenant = q.tenant.as_ref().unwrap_or(store.tenant());
                    let result = store.quarantine_as(
                        tenant,
                        &q.reason,
                        q.content_type.as_deref(),
                        &q.raw,
                        now_ms(),
                    );
                    let _ = q.reply.send(result);
                }
                Message::PrivacyDeletions(p) => {
                    let _ = p
                        .reply
                        .send(store.enqueue_privacy_deletions(&p.events, now_ms()));
                }
                Message::Stop => stopping = true,
            }
        }
        if submits.is_empty() {
            continue;
        }
        let started = std::time::Instant::now();
        let outcome = commit(&store, &submits);
        stats.record(submits.len(), started.elapsed());
        match outcome {
            Ok(mut results) => {
                health.record(true);
                on_commit();
                for s in submits.into_iter().rev() {
                    let mine = results.split_off(results.len() - s.parsed.len());
                    let _ = s.reply.send(Ok(mine));
                }
            }
            Err(e) => {
                // One bad request must not fail its neighbours: commit each on its own.
                tracing::warn!(error = %e, requests = submits.len(), "group commit failed; committing one by one");
                let mut any_ok = false;
                for s in submits {
                    let result = commit(&store, std::slice::from_ref(&s));
                    if result.is_ok() {
                        any_ok = true;
                        on_commit();
                    }
                    let _ = s.reply.send(result);
                }
                health.record(any_ok);
            }
        }
    }
    stats.log();
}

fn commit(store: &Store, submits: &[Submit]) -> Result<Vec<Acceptance>> {
    let received_at = now_ms();
    let items: Vec<Routed<'_>> = submits
        .iter()
        .flat_map(|s| {
            s.parsed
                .iter()
                .zip(&s.tenants)
                .enumerate()
                .map(move |(i, (parsed, tenant))| Routed {
                    tenant,
                    item: NewSubmission {
                        source: Source::Webhook,
                        parsed,
                        raw_payload: &s.raw,
                        signature: if i == 0 { s.signature.as_deref() } else { None },
                        import_job_id: None,
                        synthetic: s.synthetic,
                        queue: Some("normal"),
                        trace_id: Some(&s.trace_id),
                        received_at,
                    },
                    audit_actor: s.audit_actor.as_deref(),
                })
        })
        .collect();
    store.accept_routed(&items)
}
