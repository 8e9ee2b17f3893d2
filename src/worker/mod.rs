//! The worker pool: OS threads (the pipeline is synchronous) that claim jobs from the SQLite queue,
//! run them, and record the outcome in the same transaction as the workflow's final state. Each
//! thread builds, uses and drops its own store and connectors, one set per tenant (the real
//! connectors' blocking HTTP clients must never live on an async runtime), and runs each job with
//! its tenant's config, store and connectors. Claims rotate across tenants within each queue, so
//! one tenant's backlog never starves another. One heartbeat thread per pool (deployment-wide)
//! renews the leases of the jobs its threads hold (and only those) and rescues expired leases.
//! A thread whose workflow's final commit waits for its draft to be durable parks that run
//! (`Parked`) and runs its next jobs meanwhile, so the draft's flushes overlap with other work.
//!
//! This module decides *what* happens to a job (with `domain::retry`, the one retry policy);
//! `store::jobs` owns *how* it is written. Nothing here prints.

pub mod shutdown;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::connectors::Connectors;
use crate::domain::retry::{self, Policy, Verdict};
use crate::domain::tenant::TenantId;
use crate::domain::time::now_ms;
use crate::error::{Error, ErrorClass, Result};
use crate::orchestrator::{FinishHook, Outcome, PendingFinish, Pipeline, Run};
use crate::store::{
    CHECKPOINT_PACE, Checkpointer, ClaimSlot, ClaimedJob, Heard, JobFinish, JobListener, JobResult,
    Lease, PipelineWrite, QUEUES, Store, WalReset, WorkflowStatus,
};

/// How much of the claiming each queue gets when all have work (smooth weighted round robin):
/// `batch` never starves `priority`, `priority` never starves the rest.
pub fn queue_weight(queue: &str) -> i64 {
    match queue {
        "priority" => 8,
        "normal" => 4,
        "batch" => 2,
        _ => 1,
    }
}

/// A queue this pool serves, with an optional cap on how many of its jobs run at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSpec {
    pub name: String,
    pub limit: Option<usize>,
}

impl QueueSpec {
    /// Parses `name` or `name=LIMIT`, e.g. `priority,normal,batch=1`.
    pub fn parse(text: &str) -> Result<QueueSpec> {
        let (name, limit) = match text.split_once('=') {
            Some((n, l)) => {
                let limit: usize = l.trim().parse().ok().filter(|l| *l > 0).ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "--queues {text:?}: the limit after `=` must be a positive number"
                    ))
                })?;
                (n.trim(), Some(limit))
            }
            None => (text.trim(), None),
        };
        if !QUEUES.contains(&name) {
            return Err(Error::InvalidInput(format!(
                "--queues: unknown queue {name:?}; use some of: {}",
                QUEUES.join(", ")
            )));
        }
        Ok(QueueSpec {
            name: name.to_string(),
            limit,
        })
    }

    pub fn all() -> Vec<QueueSpec> {
        QUEUES
            .iter()
            .map(|q| QueueSpec {
                name: q.to_string(),
                limit: None,
            })
            .collect()
    }
}

#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub workers: usize,
    pub queues: Vec<QueueSpec>,
    /// How long an idle thread waits for new jobs before polling again. Its own process's
    /// intake wakes it sooner, and on PostgreSQL so does any process's commit of new jobs
    /// (LISTEN/NOTIFY); polling is what remains when no wake-up comes (SQLite across processes,
    /// a pooler that breaks LISTEN, a lost notification).
    pub poll: Duration,
    /// Jobs claimed per claim transaction.
    pub prefetch: usize,
}

impl PoolOptions {
    pub fn from_config(config: &Config) -> PoolOptions {
        PoolOptions {
            workers: config.worker.workers,
            queues: QueueSpec::all(),
            poll: Duration::from_millis(config.worker.poll_ms),
            prefetch: 4,
        }
    }
}

/// Why an idle thread's wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wakeup {
    /// Jobs were announced (this process's intake, or a PostgreSQL notification), or the
    /// pool is stopping.
    Notified,
    /// The poll interval passed with no announcement.
    TimedOut,
}

/// Wakes idle workers when the intake commits new jobs.
#[derive(Default)]
pub struct Wake {
    generation: Mutex<u64>,
    cv: Condvar,
}

impl Wake {
    pub fn notify(&self) {
        let mut g = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        *g = g.wrapping_add(1);
        self.cv.notify_all();
    }

    fn current(&self) -> u64 {
        *self.generation.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a notification newer than `seen` (taken before looking for work, so one that
    /// arrives in between is not missed), or for `timeout`.
    fn wait_since(&self, seen: u64, timeout: Duration) -> Wakeup {
        let g = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        let (g, _) = self
            .cv
            .wait_timeout_while(g, timeout, |g| *g == seen)
            .unwrap_or_else(|e| e.into_inner());
        if *g == seen {
            Wakeup::TimedOut
        } else {
            Wakeup::Notified
        }
    }
}

/// Counters for `serve`'s summary and the benchmark.
#[derive(Default, Debug)]
pub struct PoolStats {
    pub completed: AtomicU64,
    pub retried: AtomicU64,
    pub dead: AtomicU64,
    pub failed: AtomicU64,
    pub lost_leases: AtomicU64,
}

/// A job one of this pool's threads holds: claimed, and maybe started.
struct Held {
    lease: Lease,
    queue: String,
    started: bool,
}

/// Which jobs this pool's threads hold right now. A claim registers its jobs under this lock in
/// the same step as the claim transaction, so a capped queue's free slots are reserved atomically
/// with the claim, and a heartbeat never misses a job a thread holds.
#[derive(Default)]
struct Registry {
    jobs: HashMap<String, Held>,
    /// Set when the pool gave its leases back (shutdown): threads stop retrying their commits.
    abandoned: bool,
    /// Per queue, the index (in `Shared::tenants`) of the tenant the next claim tries first:
    /// the one after the tenant the last claim on that queue served.
    next_tenant: HashMap<String, usize>,
}

struct Shared {
    config: Arc<Config>,
    /// Every tenant of the deployment (`default` alone when none is declared) with its
    /// `max_concurrent_jobs`.
    tenants: Vec<(TenantId, Option<u32>)>,
    options: PoolOptions,
    owner: String,
    stop: AtomicBool,
    wake: Arc<Wake>,
    registry: Mutex<Registry>,
    stats: PoolStats,
    started_at: i64,
    /// The pool's checkpointer asks here for the WAL to be reset (SQLite); a worker thread does
    /// it between two jobs.
    wal: WalReset,
}

impl Shared {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The thread is done with this job (recorded, lost, or given up): the heartbeat no longer
    /// renews its lease.
    fn let_go(&self, job_id: &str) {
        self.registry().jobs.remove(job_id);
    }

    fn abandoned(&self) -> bool {
        self.registry().abandoned
    }
}

/// Stops a pool's claims; running jobs go on to their end (see [`Pool::claim_stop`]).
#[derive(Clone)]
pub struct ClaimStop(Arc<Shared>);

impl ClaimStop {
    pub fn stop(&self) {
        self.0.stop.store(true, Ordering::SeqCst);
        self.0.wake.notify();
    }
}

pub struct Pool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    heartbeat: Option<JoinHandle<()>>,
    heartbeat_stop: Arc<AtomicBool>,
    /// The thread that turns PostgreSQL's notifications into wake-ups (none on SQLite).
    listener: Option<JoinHandle<()>>,
    /// SQLite's WAL checkpoints for the worker threads (none on PostgreSQL); stopped with the pool.
    checkpointer: Option<Checkpointer>,
}

impl Pool {
    /// Starts the worker threads, each opening its own store and building its own connectors
    /// (errors surface here, before anything runs), then the heartbeat/rescuer thread. Blocks
    /// until every thread is ready: async callers run it with `spawn_blocking`.
    pub fn start(config: Arc<Config>, options: PoolOptions) -> Result<Pool> {
        let owner = format!(
            "{}:{}:{}",
            std::process::id(),
            &uuid::Uuid::now_v7().simple().to_string()[20..],
            options.workers
        );
        let tenants = config
            .tenant_ids()
            .into_iter()
            .map(|id| {
                let cap = config
                    .tenant_settings(&id)
                    .and_then(|t| t.max_concurrent_jobs);
                (id, cap)
            })
            .collect();
        let shared = Arc::new(Shared {
            config: config.clone(),
            tenants,
            options: options.clone(),
            owner,
            stop: AtomicBool::new(false),
            wake: Arc::new(Wake::default()),
            registry: Mutex::new(Registry::default()),
            stats: PoolStats::default(),
            started_at: now_ms(),
            wal: WalReset::default(),
        });
        // SQLite: the pool's own checkpointer copies the WAL into the database, so the worker
        // threads' connections never checkpoint inline (each inline checkpoint `fsync`s the WAL
        // and the database on the worker's thread); a worker resets the WAL when it asks.
        let checkpointer = match config.db_url() {
            None => Some(Checkpointer::start(
                Store::open(&config.db, &config.tenant)?,
                CHECKPOINT_PACE,
                shared.wal.clone(),
            )?),
            Some(_) => None,
        };
        let checkpointed = checkpointer.is_some();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<()>>();
        let mut threads = Vec::new();
        for i in 0..options.workers {
            let mine = shared.clone();
            let ready = ready_tx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || match Resources::open(&mine.config, checkpointed) {
                    Ok(resources) => {
                        let _ = ready.send(Ok(()));
                        worker_loop(&mine, i, &resources);
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                    }
                })
                .map_err(|e| Error::io("cannot start a worker thread", e));
            match spawned {
                Ok(t) => threads.push(t),
                Err(e) => {
                    stop_threads(&shared, threads);
                    return Err(e);
                }
            }
        }
        drop(ready_tx);
        for _ in 0..options.workers {
            if let Ok(Err(e)) = ready_rx.recv() {
                stop_threads(&shared, threads);
                return Err(e);
            }
        }
        let hb_store = match Store::open(&config.db, &config.tenant) {
            Ok(s) => s,
            Err(e) => {
                stop_threads(&shared, threads);
                return Err(e);
            }
        };
        let listener = listen_for_jobs(&hb_store);
        // Announce ourselves before the first claim, so readiness sees live workers at once.
        beat(&shared, &hb_store);
        let heartbeat_stop = Arc::new(AtomicBool::new(false));
        let heartbeat = {
            let shared = shared.clone();
            let stop = heartbeat_stop.clone();
            std::thread::Builder::new()
                .name("heartbeat".into())
                .spawn(move || heartbeat_loop(&shared, &hb_store, &stop))
                .map_err(|e| Error::io("cannot start the heartbeat thread", e))?
        };
        let listener = listener.and_then(|l| spawn_listener(&shared, l));
        Ok(Pool {
            shared,
            threads,
            heartbeat: Some(heartbeat),
            heartbeat_stop,
            listener,
            checkpointer,
        })
    }

    /// [`Pool::start`] from async code, on a blocking thread: the worker threads build the
    /// connectors, and real ones (blocking HTTP clients) must never be built, used or dropped on
    /// a runtime thread.
    pub async fn spawn(config: Arc<Config>, options: PoolOptions) -> Result<Pool> {
        tokio::task::spawn_blocking(move || Pool::start(config, options))
            .await
            .map_err(|e| Error::Configuration(format!("worker pool: {e}")))?
    }

    /// The lease owner name this pool's jobs carry.
    pub fn owner(&self) -> &str {
        &self.shared.owner
    }

    pub fn wake(&self) -> Arc<Wake> {
        self.shared.wake.clone()
    }

    /// Where this pool's checkpointer asks for the WAL to be reset, when it runs one (SQLite):
    /// another writer of the process (serve's intake writer) takes the requests too, so that
    /// one checkpointer copies the WAL for all of them.
    pub fn wal_reset(&self) -> Option<WalReset> {
        self.checkpointer.as_ref().map(|_| self.shared.wal.clone())
    }

    pub fn stats(&self) -> &PoolStats {
        &self.shared.stats
    }

    /// Stops claiming; running jobs go on to their end.
    pub fn stop_claiming(&self) {
        self.claim_stop().stop();
    }

    /// A handle that stops this pool's claims from elsewhere (a signal task), without the pool.
    pub fn claim_stop(&self) -> ClaimStop {
        ClaimStop(self.shared.clone())
    }

    /// Whether every worker thread has returned.
    pub fn is_idle(&self) -> bool {
        self.threads.iter().all(|t| t.is_finished())
    }

    /// Ends the pool. Jobs claimed but never started go back to the queue uncounted; jobs still
    /// running (the grace period ran out) have their leases released (the attempt counts) so
    /// another worker takes them at once. Their side effects are looked up before being redone,
    /// and a thread still running one stops at its next commit, which the lost lease fences.
    pub fn finish(mut self) -> Result<usize> {
        self.stop_claiming();
        let store = Store::open(&self.shared.config.db, &self.shared.config.tenant)?;
        let (unstarted, started): (Vec<Lease>, Vec<Lease>) = {
            let mut registry = self.shared.registry();
            registry.abandoned = true;
            let (u, s): (Vec<&Held>, Vec<&Held>) = registry.jobs.values().partition(|h| !h.started);
            (
                u.into_iter().map(|h| h.lease.clone()).collect(),
                s.into_iter().map(|h| h.lease.clone()).collect(),
            )
        };
        store.release_jobs(&unstarted, true)?;
        let released = store.release_jobs(&started, false)?;
        self.heartbeat_stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
        if let Some(l) = self.listener.take() {
            let _ = l.join();
        }
        if self.is_idle() {
            for t in self.threads.drain(..) {
                let _ = t.join();
            }
        }
        drop(self.checkpointer.take());
        store.remove_worker(&self.shared.owner)?;
        Ok(released)
    }
}

/// A worker thread's own stores and connectors, one set per tenant (each built from that tenant's
/// effective config: its own HubSpot token, Gmail account, LLM key, mail directory), built on
/// that thread when it starts (so a broken one stops the pool before anything runs) and dropped
/// there.
struct Resources {
    tenants: Vec<(TenantId, Store, Connectors)>,
    /// The connection that resets the WAL when the pool's checkpointer asks (SQLite).
    wal: Option<RefCell<Store>>,
}

impl Resources {
    /// `checkpointed`: the pool runs a checkpointer, so none of these connections (the
    /// embedded CRM's included) checkpoints inline, and the thread resets the WAL when asked.
    fn open(config: &Config, checkpointed: bool) -> Result<Resources> {
        if !checkpointed {
            return Resources::open_each(config);
        }
        let mut resources =
            crate::store::without_inline_checkpoints(|| Resources::open_each(config))?;
        resources.wal = Some(RefCell::new(Store::open(&config.db, &config.tenant)?));
        Ok(resources)
    }

    /// Between two jobs (no transaction open on this thread), the WAL reset the pool's
    /// checkpointer asks for: a RESTART checkpoint on the thread's own connection for it, which
    /// waits at most about half a second for the others' readers and writers, so the next write
    /// transaction, this thread's or another's, starts the WAL over.
    fn reset_wal_if_wanted(&self, wanted: &WalReset) {
        if let Some(wal) = &self.wal {
            wanted.reset_if_wanted(|truncate| wal.borrow_mut().reset_wal(truncate));
        }
    }

    fn open_each(config: &Config) -> Result<Resources> {
        let tenants = config
            .tenant_ids()
            .into_iter()
            .map(|id| {
                let own = config.for_tenant(&id)?;
                let mut store = Store::open(&own.db, &id)?;
                store.tune_for_worker()?;
                let connectors = Connectors::from_config(own)?;
                Ok((id, store, connectors))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Resources { tenants, wal: None })
    }

    /// The connection claims go through: a claim names its tenants itself (queue maintenance
    /// is deployment-wide), so any tenant's connection serves.
    fn queue_store(&self) -> &Store {
        &self.tenants[0].1
    }

    fn of(&self, tenant: &TenantId) -> Option<(&Store, &Connectors)> {
        self.tenants
            .iter()
            .find(|(id, _, _)| id == tenant)
            .map(|(_, s, c)| (s, c))
    }
}

/// A LISTEN session for jobs other processes commit (PostgreSQL), or none: SQLite, or a database
/// that refuses (the threads then poll, which is all a pooler in transaction mode allows).
fn listen_for_jobs(store: &Store) -> Option<JobListener> {
    store
        .job_listener()
        .map_err(|e| tracing::warn!(error = %e, "cannot LISTEN for new jobs; workers poll"))
        .ok()
        .flatten()
}

fn spawn_listener(shared: &Arc<Shared>, listener: JobListener) -> Option<JoinHandle<()>> {
    let shared = shared.clone();
    std::thread::Builder::new()
        .name("job-listener".into())
        .spawn(move || {
            forward_announcements(listener, &shared.wake, &shared.stop, shared.options.poll)
        })
        .map_err(|e| tracing::warn!(error = %e, "cannot start the job listener; workers poll"))
        .ok()
}

/// Turns announcements of jobs committed by any process (PostgreSQL's LISTEN/NOTIFY, on one
/// connection for the whole pool rather than one per thread) into wake-ups of this pool's idle
/// threads, until the pool stops claiming. Each wait lasts at most `poll`, so a stop is seen
/// promptly; a lost connection is retried with a growing pause while the threads poll.
fn forward_announcements(
    mut listener: JobListener,
    wake: &Wake,
    stop: &AtomicBool,
    poll: Duration,
) {
    let mut failures = 0u32;
    while !stop.load(Ordering::SeqCst) {
        match listener.wait(poll) {
            Ok(Heard::Jobs) => {
                failures = 0;
                wake.notify();
            }
            Ok(Heard::Nothing) => failures = 0,
            Err(e) => {
                failures = (failures + 1).min(6);
                tracing::warn!(error = %e, "listening for new jobs failed; workers poll meanwhile");
                std::thread::sleep(Duration::from_millis(50 << failures));
            }
        }
    }
}

/// Stops and joins the threads started so far (start-up failed).
fn stop_threads(shared: &Shared, threads: Vec<JoinHandle<()>>) {
    shared.stop.store(true, Ordering::SeqCst);
    shared.wake.notify();
    for t in threads {
        let _ = t.join();
    }
}

fn lease_ms(config: &Config) -> i64 {
    // `Config::validate` bounds lease_secs (at most a day), so this never overflows.
    (config.worker.lease_secs.max(1) * 1000) as i64
}

fn beat(shared: &Shared, store: &Store) {
    let queues: Vec<&str> = shared
        .options
        .queues
        .iter()
        .map(|q| q.name.as_str())
        .collect();
    // The time is taken under the registry lock: a job claimed after this read is newer than the
    // beat (see `store::workers::ORPHANED_LEASE`).
    let (now, held) = {
        let registry = shared.registry();
        let held: Vec<Lease> = registry.jobs.values().map(|h| h.lease.clone()).collect();
        (now_ms(), held)
    };
    if let Err(e) = store.heartbeat(
        &shared.owner,
        std::process::id(),
        &queues.join(","),
        shared.options.workers,
        shared.started_at,
        &held,
        now,
    ) {
        tracing::warn!(error = %e, "heartbeat failed");
    }
}

/// Renews the leases of held jobs every third of the lease and returns expired ones (from any
/// process) to the queue.
fn heartbeat_loop(shared: &Shared, store: &Store, stop: &AtomicBool) {
    let interval = Duration::from_millis((lease_ms(&shared.config) / 3).max(50) as u64);
    let mut next = Instant::now();
    // The pool beat just before starting this thread, so the first round only rescues (a
    // second beat at once would race whoever reads the first, e.g. readiness right after it).
    let mut just_beaten = true;
    while !stop.load(Ordering::SeqCst) {
        if Instant::now() >= next {
            if !just_beaten {
                beat(shared, store);
            }
            just_beaten = false;
            match store.rescue_expired_jobs(now_ms()) {
                Ok(r) if r.returned + r.dead > 0 => {
                    tracing::warn!(
                        returned = r.returned,
                        dead = r.dead,
                        "rescued jobs whose lease expired"
                    );
                    shared.wake.notify();
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "rescuing expired leases failed"),
            }
            next = Instant::now() + interval;
        }
        std::thread::sleep(Duration::from_millis(20).min(interval));
    }
}

/// Smooth weighted round robin over the queues: the order in which to try them this time.
struct Scheduler {
    current: Vec<(String, i64, i64)>,
}

impl Scheduler {
    fn new(queues: &[QueueSpec]) -> Scheduler {
        Scheduler {
            current: queues
                .iter()
                .map(|q| (q.name.clone(), queue_weight(&q.name), 0))
                .collect(),
        }
    }

    fn order(&mut self) -> Vec<String> {
        let total: i64 = self.current.iter().map(|q| q.1).sum();
        for q in &mut self.current {
            q.2 += q.1;
        }
        let best = (0..self.current.len())
            .max_by_key(|&i| (self.current[i].2, -(i as i64)))
            .unwrap_or(0);
        self.current[best].2 -= total;
        let mut order = vec![self.current[best].0.clone()];
        let mut rest: Vec<&(String, i64, i64)> = self
            .current
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != best)
            .map(|(_, q)| q)
            .collect();
        rest.sort_by_key(|q| -q.1);
        order.extend(rest.into_iter().map(|q| q.0.clone()));
        order
    }
}

fn worker_loop(shared: &Shared, index: usize, resources: &Resources) {
    let store = resources.queue_store();
    let mut parked = Parked::default();
    let mut scheduler = Scheduler::new(&shared.options.queues);
    let mut failures = 0u32;
    while !shared.stop.load(Ordering::SeqCst) {
        let order = scheduler.order();
        let seen = shared.wake.current();
        let claimed = match claim(shared, store, &order) {
            Ok(c) => {
                failures = 0;
                c
            }
            Err(e) => {
                failures = (failures + 1).min(8);
                tracing::warn!(worker = index, error = %e, "claiming jobs failed; trying again");
                std::thread::sleep(Duration::from_millis(50 << failures));
                continue;
            }
        };
        if claimed.is_empty() {
            parked.settle(shared, resources, 0);
            resources.reset_wal_if_wanted(&shared.wal);
            shared.wake.wait_since(seen, shared.options.poll);
            continue;
        }
        let mut jobs = claimed.into_iter();
        while let Some(job) = jobs.next() {
            if !start(shared, &job) {
                // Claimed but never started: back to the queue without counting an attempt.
                let rest: Vec<ClaimedJob> = std::iter::once(job).chain(jobs.by_ref()).collect();
                let leases: Vec<Lease> = rest.iter().map(|j| j.lease.clone()).collect();
                if let Err(e) = store.release_jobs(&leases, true) {
                    tracing::warn!(error = %e, "releasing unstarted jobs failed; their leases will expire");
                }
                for j in &rest {
                    shared.let_go(&j.id);
                }
                break;
            }
            parked.settle_ready(shared, resources);
            resources.reset_wal_if_wanted(&shared.wal);
            let pending = match pipeline_for(shared, resources, &job) {
                Ok(pipeline) => run_job(shared, &pipeline, &job),
                Err(e) => {
                    finish_unrunnable(shared, store, &job, &e);
                    None
                }
            };
            match pending {
                Some(pending) => parked.park(shared, resources, job, pending),
                None => shared.let_go(&job.id),
            }
        }
    }
    parked.settle(shared, resources, 0);
}

/// How many finished runs a worker thread keeps waiting for their drafts to be durable while it
/// runs the next jobs. A draft's flushes take a few milliseconds however many are in flight,
/// against ~1.5 ms of the worker's CPU per workflow, so a few in flight keep the thread busy.
const MAX_PARKED: usize = 8;

/// Runs whose final commit waits for a draft being synced (`Pipeline::start`), oldest first. Each
/// keeps its job in the registry, so the heartbeat renews its lease until the commit is made.
#[derive(Default)]
struct Parked(std::collections::VecDeque<(ClaimedJob, Box<PendingFinish>)>);

impl Parked {
    fn park(
        &mut self,
        shared: &Shared,
        resources: &Resources,
        job: ClaimedJob,
        pending: Box<PendingFinish>,
    ) {
        self.0.push_back((job, pending));
        self.settle(shared, resources, MAX_PARKED);
    }

    /// Completes the oldest runs whose drafts are durable by now, without waiting.
    fn settle_ready(&mut self, shared: &Shared, resources: &Resources) {
        while self.0.front().is_some_and(|(_, p)| p.is_ready()) {
            self.complete_oldest(shared, resources);
        }
    }

    /// Completes runs, waiting as needed, until at most `keep` are left.
    fn settle(&mut self, shared: &Shared, resources: &Resources, keep: usize) {
        self.settle_ready(shared, resources);
        while self.0.len() > keep {
            self.complete_oldest(shared, resources);
        }
    }

    fn complete_oldest(&mut self, shared: &Shared, resources: &Resources) {
        let Some((job, pending)) = self.0.pop_front() else {
            return;
        };
        match pipeline_for(shared, resources, &job) {
            Ok(pipeline) => {
                let hook = JobHook::new(shared, &job);
                let ran = pipeline.complete(*pending, &hook);
                conclude(shared, &pipeline, &job, &hook, ran);
            }
            // Cannot happen (the run started with this pipeline); the lease expires and the job
            // is rescued and retried.
            Err(e) => tracing::warn!(error = %e, "a finished run lost its pipeline"),
        }
        shared.let_go(&job.id);
    }
}

/// The job's tenant's pipeline: its effective config, store and connectors.
fn pipeline_for<'a>(
    shared: &'a Shared,
    resources: &'a Resources,
    job: &ClaimedJob,
) -> Result<Pipeline<'a>> {
    let config = shared.config.for_tenant(&job.tenant)?;
    let (store, connectors) = resources.of(&job.tenant).ok_or_else(|| {
        Error::Internal(format!(
            "job {} belongs to tenant {}, which this worker does not serve",
            job.id, job.tenant
        ))
    })?;
    Ok(Pipeline {
        store,
        connectors,
        config,
    })
}

/// A job whose tenant's pipeline could not be put together (a bug: claims only name the tenants
/// this pool serves): dead-lettered, never silently dropped.
fn finish_unrunnable(shared: &Shared, store: &Store, job: &ClaimedJob, e: &Error) {
    let result = JobResult::Dead {
        class: ErrorClass::Internal,
        error: e.to_string(),
    };
    count(&shared.stats, job, &result);
    let finish = JobFinish {
        lease: job.lease.clone(),
        result,
        at: now_ms(),
    };
    if let Err(e) = record_end(shared, job, &|| store.finish_job(&finish)) {
        tracing::warn!(error = %e, "recording the job's end failed; its lease will expire");
    }
}

/// Where a claim in `order` looks, in turn: for each queue with free slots (its cap minus the
/// jobs this pool holds of it, at most `prefetch`), each tenant, starting with the one after the
/// tenant the last claim on that queue served (round robin across tenants inside the queues'
/// weighted order).
fn claim_slots<'a>(
    shared: &'a Shared,
    registry: &Registry,
    order: &'a [String],
) -> Vec<ClaimSlot<'a>> {
    let prefetch = shared.options.prefetch.max(1);
    let n = shared.tenants.len();
    let mut slots = Vec::with_capacity(order.len() * n);
    for q in order {
        let cap = shared
            .options
            .queues
            .iter()
            .find(|s| &s.name == q)
            .and_then(|s| s.limit)
            .unwrap_or(usize::MAX);
        let held = registry.jobs.values().filter(|h| &h.queue == q).count();
        let limit = cap.saturating_sub(held).min(prefetch);
        if limit == 0 {
            continue;
        }
        let first = registry.next_tenant.get(q).copied().unwrap_or(0);
        for k in 0..n {
            let (tenant, tenant_cap) = &shared.tenants[(first + k) % n];
            slots.push(ClaimSlot {
                queue: q,
                tenant,
                limit,
                tenant_cap: *tenant_cap,
            });
        }
    }
    slots
}

/// Claims jobs from the first queue in `order` that has any, from the first tenant in turn that
/// has some there. Runs under the registry lock, so a capped queue's free slots are reserved in
/// the same step as the claim, the claimed jobs are registered before anyone counts again, and
/// the pool's threads share one rotation.
fn claim(shared: &Shared, store: &Store, order: &[String]) -> Result<Vec<ClaimedJob>> {
    let mut registry = shared.registry();
    let slots = claim_slots(shared, &registry, order);
    let config = &shared.config;
    let claimed = store.claim_from(
        &shared.owner,
        &slots,
        lease_ms(config),
        i64::from(config.worker.max_attempts.max(1)),
        now_ms(),
    )?;
    if let Some(first) = claimed.first()
        && let Some(i) = shared.tenants.iter().position(|(t, _)| *t == first.tenant)
    {
        registry
            .next_tenant
            .insert(first.queue.clone(), (i + 1) % shared.tenants.len());
    }
    for job in &claimed {
        registry.jobs.insert(
            job.id.clone(),
            Held {
                lease: job.lease.clone(),
                queue: job.queue.clone(),
                started: false,
            },
        );
    }
    Ok(claimed)
}

/// Marks `job` started, unless the pool is stopping (then it goes back unstarted).
fn start(shared: &Shared, job: &ClaimedJob) -> bool {
    let mut registry = shared.registry();
    if shared.stop.load(Ordering::SeqCst) || registry.abandoned {
        return false;
    }
    match registry.jobs.get_mut(&job.id) {
        Some(held) => {
            held.started = true;
            true
        }
        None => false,
    }
}

/// The longest wait between two attempts of a job.
const MAX_JOB_BACKOFF: Duration = Duration::from_secs(3600);

/// What the queue does with a failed attempt: the shared policy (`domain::retry::decide`),
/// written as the job's result.
pub fn decide(
    class: ErrorClass,
    message: &str,
    retry_after_ms: Option<u64>,
    attempt: i64,
    max_attempts: i64,
    backoff_base_ms: u64,
    now: i64,
) -> JobResult {
    let policy = Policy {
        max_attempts: u32::try_from(max_attempts.max(1)).unwrap_or(u32::MAX),
        base: Duration::from_millis(backoff_base_ms),
        max: MAX_JOB_BACKOFF,
    };
    let attempt_no = u32::try_from(attempt.max(1)).unwrap_or(u32::MAX);
    let after = retry_after_ms.map(Duration::from_millis);
    match retry::decide(class, attempt_no, after, &policy, retry::jitter_unit()) {
        Verdict::Cancel => JobResult::Cancelled {
            class,
            error: message.to_string(),
        },
        Verdict::Dead if class.is_retryable() => JobResult::Dead {
            class,
            error: format!("{message} (after {attempt} attempts)"),
        },
        Verdict::Dead => JobResult::Dead {
            class,
            error: message.to_string(),
        },
        Verdict::Retry(delay) => JobResult::Retry {
            run_at: now.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)),
            class,
            error: format!("{message} (attempt {attempt} of {max_attempts})"),
        },
    }
}

/// Commits the end of a job (`commit` does it once) until it is recorded. After a store failure
/// (disk full, an immutable file, the write lock held past the busy timeout) the same worker
/// tries again with growing pauses while it holds the lease (its heartbeat keeps renewing it); it
/// stops when the lease is lost (the rescuer gave the job to another worker), the pool gave its
/// leases back, or the failure is one no waiting cures (a broken constraint: `internal`).
fn record_end(shared: &Shared, job: &ClaimedJob, commit: &dyn Fn() -> Result<()>) -> Result<()> {
    let mut pause = Duration::from_millis(50);
    let mut warned = false;
    loop {
        match commit() {
            Err(e @ Error::Store { class, .. })
                if class != ErrorClass::Internal && !shared.abandoned() =>
            {
                if !warned {
                    tracing::warn!(job_id = %job.id, error = %e,
                        "recording the job's end failed; trying again until the store recovers");
                    warned = true;
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            Ok(()) if warned => {
                tracing::info!(job_id = %job.id, "the job's end is recorded: the store recovered");
                return Ok(());
            }
            other => return other,
        }
    }
}

/// Fences the run with the job's lease, adds the job's end to the pipeline's final batch, and
/// keeps committing that batch through store failures.
struct JobHook<'a> {
    shared: &'a Shared,
    job: &'a ClaimedJob,
    result: Mutex<Option<JobResult>>,
}

impl<'a> JobHook<'a> {
    fn new(shared: &'a Shared, job: &'a ClaimedJob) -> JobHook<'a> {
        JobHook {
            shared,
            job,
            result: Mutex::new(None),
        }
    }
}

impl FinishHook for JobHook<'_> {
    fn lease(&self) -> Option<&Lease> {
        Some(&self.job.lease)
    }

    fn on_finish(&self, outcome: &Outcome, writes: &mut Vec<PipelineWrite>) {
        let now = now_ms();
        let result = match &outcome.failure {
            None => JobResult::Completed,
            Some(f) => decide(
                f.class,
                &f.message,
                f.retry_after_ms,
                self.job.attempt,
                self.job.max_attempts,
                self.shared.config.worker.backoff_base_ms,
                now,
            ),
        };
        *self.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(result.clone());
        writes.push(PipelineWrite::Job(JobFinish {
            lease: self.job.lease.clone(),
            result,
            at: now,
        }));
    }

    fn commit_final(&self, commit: &dyn Fn() -> Result<()>) -> Result<()> {
        record_end(self.shared, self.job, commit)
    }
}

fn count(stats: &PoolStats, job: &ClaimedJob, result: &JobResult) {
    match result {
        JobResult::Retry { .. } => {
            crate::metrics::inc("salesagent_retries_total", &[("queue", job.queue.as_str())])
        }
        JobResult::Dead { class, error } => {
            tracing::warn!(
                job_id = %job.id,
                workflow_id = job.workflow_id.as_deref().unwrap_or(""),
                attempt = job.attempt,
                class = class.as_str(),
                %error,
                "job moved to the dead-letter queue (see `salesagent dlq list`)"
            );
            crate::metrics::inc(
                "salesagent_dead_letters_total",
                &[("class", class.as_str())],
            )
        }
        _ => {}
    }
    let counter = match result {
        JobResult::Completed => &stats.completed,
        JobResult::Retry { .. } => &stats.retried,
        JobResult::Dead { .. } => &stats.dead,
        JobResult::Cancelled { .. } => &stats.failed,
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

fn lost_lease(shared: &Shared, e: &Error) {
    shared.stats.lost_leases.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(error = %e, "lost the lease: nothing more is written; the new owner finishes the job");
}

/// The job kind the intake queues for a HubSpot `contact.privacyDeletion` event.
const PRIVACY_ERASE_JOB: &str = "privacy_erase";

/// Runs a `privacy_erase` job: erases the contact's person from the store and our mailbox
/// (`privacy::erase_deleted_contact`); a failure is retried like a step's, by its class.
fn privacy_erase(shared: &Shared, pipeline: &Pipeline<'_>, job: &ClaimedJob) -> JobResult {
    let event: crate::domain::submission::PrivacyDeletion = match serde_json::from_str(&job.payload)
    {
        Ok(e) => e,
        Err(e) => {
            return JobResult::Dead {
                class: ErrorClass::Internal,
                error: format!("the privacy_erase job's payload is not an event: {e}"),
            };
        }
    };
    let erased = crate::privacy::erase_deleted_contact(
        pipeline.store,
        pipeline.config,
        pipeline.connectors,
        &event,
    );
    match erased {
        Ok(report) => {
            let subjects = report.map_or(0, |r| r.subjects.len());
            tracing::info!(contact_id = %event.contact_id, subjects, "erased after HubSpot's privacy deletion");
            JobResult::Completed
        }
        // A workflow of the person is running: erase once it has finished (its next attempt).
        Err(e @ Error::Refused(_)) => decide_for(shared, job, &e, ErrorClass::Transient),
        Err(e) => decide_for(shared, job, &e, e.class()),
    }
}

/// What becomes of `job` after `e` (counted as `class`), by the one retry policy.
fn decide_for(shared: &Shared, job: &ClaimedJob, e: &Error, class: ErrorClass) -> JobResult {
    decide(
        class,
        &e.to_string(),
        e.retry_after().map(|d| d.as_millis() as u64),
        job.attempt,
        job.max_attempts,
        shared.config.worker.backoff_base_ms,
        now_ms(),
    )
}

/// Runs a job; a workflow whose final commit waits for its draft to be durable comes back
/// pending (the caller completes it later, see `Parked`).
fn run_job(
    shared: &Shared,
    pipeline: &Pipeline<'_>,
    job: &ClaimedJob,
) -> Option<Box<PendingFinish>> {
    let span = tracing::info_span!("job", job_id = %job.id, attempt = job.attempt);
    let _enter = span.enter();
    if job.kind == PRIVACY_ERASE_JOB {
        finish_alone(shared, pipeline, job, privacy_erase(shared, pipeline, job));
        return None;
    }
    let Some(workflow_id) = job
        .workflow_id
        .as_deref()
        .filter(|_| job.kind == "workflow")
    else {
        finish_alone(
            shared,
            pipeline,
            job,
            JobResult::Dead {
                class: ErrorClass::Internal,
                error: format!("job kind {:?} is not handled by this worker", job.kind),
            },
        );
        return None;
    };
    let hook = JobHook::new(shared, job);
    let ran = match pipeline.start(workflow_id, &hook) {
        Ok(Run::Pending(pending)) => return Some(pending),
        Ok(Run::Finished(outcome)) => Ok(outcome),
        Err(e) => Err(e),
    };
    conclude(shared, pipeline, job, &hook, ran);
    None
}

/// Counts and logs how a workflow job's run ended, and records the end of a run that stopped
/// before recording it.
fn conclude(
    shared: &Shared,
    pipeline: &Pipeline<'_>,
    job: &ClaimedJob,
    hook: &JobHook<'_>,
    ran: Result<Outcome>,
) {
    let workflow_id = job.workflow_id.as_deref().unwrap_or_default();
    match ran {
        Ok(outcome) => {
            if let Some(result) = hook.result.lock().unwrap_or_else(|e| e.into_inner()).take() {
                count(&shared.stats, job, &result);
            }
            // The pipeline logged "workflow finished" at info: one line per workflow is enough.
            tracing::debug!(
                workflow_id,
                status = outcome.status.as_str(),
                "job finished"
            );
            if outcome.status == WorkflowStatus::Completed {
                auto_send(pipeline, workflow_id);
            }
        }
        Err(e @ Error::LeaseLost { .. }) => lost_lease(shared, &e),
        Err(e) => {
            // The run stopped before recording its end: the workflow is already finished (nothing
            // left to do), or the store or a step's stored state failed.
            let status = pipeline
                .store
                .get_workflow(workflow_id)
                .ok()
                .map(|w| w.status);
            match status {
                Some(s) if s.is_finished() => {
                    finish_alone(shared, pipeline, job, JobResult::Completed)
                }
                _ => finish_alone(
                    shared,
                    pipeline,
                    job,
                    decide_for(shared, job, &e, e.class()),
                ),
            }
        }
    }
}

/// Records the end of a job that ran no pipeline to its final commit.
fn finish_alone(shared: &Shared, pipeline: &Pipeline<'_>, job: &ClaimedJob, result: JobResult) {
    count(&shared.stats, job, &result);
    let finish = JobFinish {
        lease: job.lease.clone(),
        result,
        at: now_ms(),
    };
    match record_end(shared, job, &|| pipeline.store.finish_job(&finish)) {
        Ok(()) => {}
        Err(e @ Error::LeaseLost { .. }) => lost_lease(shared, &e),
        Err(e) => {
            tracing::warn!(error = %e, "recording the job's end failed; its lease will expire")
        }
    }
}

/// Auto-send (off unless `send.auto_send_domains` is set) for a workflow the worker completed;
/// it goes through every send gate, and a failure leaves the draft for an operator.
fn auto_send(pipeline: &Pipeline<'_>, workflow_id: &str) {
    let operator = crate::operator::Operator {
        store: pipeline.store,
        config: pipeline.config,
        mailbox: pipeline.connectors.mailbox.as_ref(),
        crm: pipeline.connectors.crm.as_ref(),
    };
    match operator.auto_send(workflow_id) {
        Ok(Some(outcome)) => tracing::info!(workflow_id, ?outcome, "auto-send"),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(workflow_id, error = %e, "auto-send failed; the draft waits for review")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_committed_by_another_connection_wakes_the_pool_by_notification() {
        // PostgreSQL with SALESAGENT_TEST_PG; on SQLite there is no listener, and nothing changes.
        let enqueuer = Store::open_in_memory().unwrap();
        let Some(listener) = enqueuer.job_listener().unwrap() else {
            assert_eq!(enqueuer.dialect(), crate::store::sql::Dialect::Sqlite);
            return;
        };
        let (wake, stop) = (Wake::default(), AtomicBool::new(false));
        // A poll interval of a minute: the wait below ends by notification or it fails.
        let poll = Duration::from_secs(60);
        let woke = std::thread::scope(|scope| {
            scope.spawn(|| {
                forward_announcements(listener, &wake, &stop, Duration::from_millis(100))
            });
            let seen = wake.current();
            // The listener has a session of its own: this store's connection is another one.
            let body = r#"{"portalId":1,"formId":"f","formSubmissionId":"S","fieldValues":[{"name":"email","value":"a@example.com"}]}"#;
            let parsed = crate::domain::submission::parse_payload(body.as_bytes()).unwrap();
            let mut item = crate::store::NewSubmission::received(
                crate::store::Source::Webhook,
                &parsed.submissions[0],
                body.as_bytes(),
                1000,
            );
            item.queue = Some("normal");
            enqueuer.accept_submissions(&[item]).unwrap();
            let woke = wake.wait_since(seen, poll);
            stop.store(true, Ordering::SeqCst);
            woke
        });
        assert_eq!(woke, Wakeup::Notified);
    }

    #[test]
    fn retry_after_wins_and_classes_decide() {
        let r = decide(ErrorClass::Transient, "429", Some(7000), 1, 5, 1000, 100);
        assert!(matches!(r, JobResult::Retry { run_at: 7100, .. }), "{r:?}");
        assert!(matches!(
            decide(ErrorClass::Transient, "x", None, 5, 5, 1000, 0),
            JobResult::Dead { .. }
        ));
        assert!(matches!(
            decide(ErrorClass::Configuration, "401", None, 1, 5, 1000, 0),
            JobResult::Dead { .. }
        ));
        assert!(matches!(
            decide(ErrorClass::InvalidInput, "bad", None, 1, 5, 1000, 0),
            JobResult::Cancelled { .. }
        ));
        assert!(matches!(
            decide(ErrorClass::Internal, "missing", None, 1, 5, 1000, 0),
            JobResult::Dead { .. }
        ));
    }

    #[test]
    fn weighted_order_serves_every_queue() {
        let mut s = Scheduler::new(&QueueSpec::all());
        let mut firsts: HashMap<String, usize> = HashMap::new();
        for _ in 0..150 {
            *firsts.entry(s.order().remove(0)).or_default() += 1;
        }
        assert_eq!(firsts["priority"], 80);
        assert_eq!(firsts["normal"], 40);
        assert_eq!(firsts["batch"], 20);
        assert_eq!(firsts["cleanup"], 10);
    }

    #[test]
    fn queue_specs_parse_with_limits() {
        assert_eq!(
            QueueSpec::parse("batch=2").unwrap(),
            QueueSpec {
                name: "batch".into(),
                limit: Some(2)
            }
        );
        assert!(QueueSpec::parse("bulk").is_err());
        assert!(QueueSpec::parse("batch=0").is_err());
    }
}
