//! The worker pool: OS threads (the pipeline is synchronous) that claim jobs from the SQLite queue,
//! run them, and record the outcome in the same transaction as the workflow's final state. One
//! heartbeat thread per pool renews leases and rescues the expired leases of dead workers.
//!
//! This module decides *what* happens to a job (retry when, dead letter when); `store::jobs` owns
//! *how* it is written. Nothing here prints.

pub mod shutdown;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::connectors::Connectors;
use crate::domain::time::now_ms;
use crate::error::{Error, ErrorClass, Result};
use crate::orchestrator::{FinishHook, Outcome, Pipeline};
use crate::store::{ClaimedJob, JobFinish, JobResult, PipelineWrite, QUEUES, Store};

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
    /// How long to wait for new jobs before polling again (others' enqueues are not signalled).
    pub poll: Duration,
    /// Jobs claimed per claim transaction.
    pub prefetch: usize,
}

impl PoolOptions {
    pub fn from_config(config: &Config) -> PoolOptions {
        PoolOptions {
            workers: config.worker.workers,
            queues: QueueSpec::all(),
            poll: Duration::from_millis(200),
            prefetch: 4,
        }
    }
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
    fn wait_since(&self, seen: u64, timeout: Duration) {
        let g = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self
            .cv
            .wait_timeout_while(g, timeout, |g| *g == seen)
            .unwrap_or_else(|e| e.into_inner());
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

struct Shared {
    config: Arc<Config>,
    options: PoolOptions,
    owner: String,
    stop: AtomicBool,
    wake: Arc<Wake>,
    /// Jobs of each queue held by this pool right now (for per-queue limits).
    running: HashMap<String, AtomicUsize>,
    stats: PoolStats,
    started_at: i64,
}

pub struct Pool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    heartbeat: Option<JoinHandle<()>>,
    heartbeat_stop: Arc<AtomicBool>,
}

impl Pool {
    /// Opens a store and connectors per worker (errors surface here, before anything runs), then
    /// starts the worker threads and the heartbeat/rescuer thread.
    pub fn start(config: Arc<Config>, options: PoolOptions) -> Result<Pool> {
        let owner = format!(
            "{}:{}:{}",
            std::process::id(),
            &uuid::Uuid::now_v7().simple().to_string()[20..],
            options.workers
        );
        let running = options
            .queues
            .iter()
            .map(|q| (q.name.clone(), AtomicUsize::new(0)))
            .collect();
        let shared = Arc::new(Shared {
            config: config.clone(),
            options: options.clone(),
            owner,
            stop: AtomicBool::new(false),
            wake: Arc::new(Wake::default()),
            running,
            stats: PoolStats::default(),
            started_at: now_ms(),
        });
        let mut resources = Vec::with_capacity(options.workers);
        for _ in 0..options.workers {
            let mut store = Store::open(&config.db, &config.tenant)?;
            store.tune_for_worker()?;
            let connectors = Connectors::from_config(&config)?;
            resources.push((store, connectors));
        }
        let hb_store = Store::open(&config.db, &config.tenant)?;
        // Announce ourselves before the first claim, so readiness sees live workers at once.
        beat(&shared, &hb_store);
        let mut threads = Vec::new();
        for (i, (store, connectors)) in resources.into_iter().enumerate() {
            let shared = shared.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .spawn(move || worker_loop(&shared, i, &store, &connectors))
                    .map_err(|e| Error::io("cannot start a worker thread", e))?,
            );
        }
        let heartbeat_stop = Arc::new(AtomicBool::new(false));
        let heartbeat = {
            let shared = shared.clone();
            let stop = heartbeat_stop.clone();
            std::thread::Builder::new()
                .name("heartbeat".into())
                .spawn(move || heartbeat_loop(&shared, &hb_store, &stop))
                .map_err(|e| Error::io("cannot start the heartbeat thread", e))?
        };
        Ok(Pool {
            shared,
            threads,
            heartbeat: Some(heartbeat),
            heartbeat_stop,
        })
    }

    /// The lease owner name this pool's jobs carry.
    pub fn owner(&self) -> &str {
        &self.shared.owner
    }

    pub fn wake(&self) -> Arc<Wake> {
        self.shared.wake.clone()
    }

    pub fn stats(&self) -> &PoolStats {
        &self.shared.stats
    }

    /// Stops claiming; running jobs go on to their end.
    pub fn stop_claiming(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wake.notify();
    }

    /// Whether every worker thread has returned.
    pub fn is_idle(&self) -> bool {
        self.threads.iter().all(|t| t.is_finished())
    }

    /// Ends the pool. Jobs still running (the grace period ran out) have their leases released so
    /// another worker takes them at once; their side effects are looked up before being redone.
    pub fn finish(mut self) -> Result<usize> {
        self.stop_claiming();
        let store = Store::open(&self.shared.config.db, &self.shared.config.tenant)?;
        let released = if self.is_idle() {
            0
        } else {
            store.release_all_jobs(&self.shared.owner)?
        };
        self.heartbeat_stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
        if self.is_idle() {
            for t in self.threads.drain(..) {
                let _ = t.join();
            }
        }
        store.remove_worker(&self.shared.owner)?;
        Ok(released)
    }
}

fn lease_ms(config: &Config) -> i64 {
    (config.worker.lease_secs.max(1) * 1000) as i64
}

fn beat(shared: &Shared, store: &Store) {
    let queues: Vec<&str> = shared
        .options
        .queues
        .iter()
        .map(|q| q.name.as_str())
        .collect();
    if let Err(e) = store.heartbeat(
        &shared.owner,
        std::process::id(),
        &queues.join(","),
        shared.options.workers,
        shared.started_at,
        lease_ms(&shared.config),
        now_ms(),
    ) {
        tracing::warn!(error = %e, "heartbeat failed");
    }
}

/// Renews leases every third of the lease and returns expired ones (from any process) to the queue.
fn heartbeat_loop(shared: &Shared, store: &Store, stop: &AtomicBool) {
    let interval = Duration::from_millis((lease_ms(&shared.config) / 3).max(50) as u64);
    let mut next = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if Instant::now() >= next {
            beat(shared, store);
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

fn worker_loop(shared: &Shared, index: usize, store: &Store, connectors: &Connectors) {
    let config = &shared.config;
    let pipeline = Pipeline {
        store,
        connectors,
        config,
    };
    let mut scheduler = Scheduler::new(&shared.options.queues);
    let limits: HashMap<&str, usize> = shared
        .options
        .queues
        .iter()
        .map(|q| (q.name.as_str(), q.limit.unwrap_or(usize::MAX)))
        .collect();
    let mut failures = 0u32;
    while !shared.stop.load(Ordering::SeqCst) {
        let order: Vec<String> = scheduler
            .order()
            .into_iter()
            .filter(|q| shared.running[q].load(Ordering::SeqCst) < limits[q.as_str()])
            .collect();
        let refs: Vec<&str> = order.iter().map(String::as_str).collect();
        let seen = shared.wake.current();
        let claimed = match store.claim_jobs(
            &shared.owner,
            &refs,
            shared.options.prefetch.max(1),
            lease_ms(config),
            i64::from(config.worker.max_attempts.max(1)),
            now_ms(),
        ) {
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
            shared.wake.wait_since(seen, shared.options.poll);
            continue;
        }
        let counter = &shared.running[&claimed[0].queue];
        counter.fetch_add(claimed.len(), Ordering::SeqCst);
        let mut jobs = claimed.into_iter();
        while let Some(job) = jobs.next() {
            if shared.stop.load(Ordering::SeqCst) {
                // Claimed but never started: back to the queue without counting an attempt.
                let rest: Vec<String> = std::iter::once(job.id)
                    .chain(jobs.by_ref().map(|j| j.id))
                    .collect();
                if let Err(e) = store.release_jobs(&shared.owner, &rest, true) {
                    tracing::warn!(error = %e, "releasing unstarted jobs failed; their leases will expire");
                }
                counter.fetch_sub(rest.len(), Ordering::SeqCst);
                break;
            }
            run_job(shared, &pipeline, &job);
            counter.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// What the queue does with a failed attempt.
pub fn decide(
    class: ErrorClass,
    message: &str,
    retry_after_ms: Option<u64>,
    attempt: i64,
    max_attempts: i64,
    backoff_base_ms: u64,
    now: i64,
) -> JobResult {
    let class_name = class.as_str().to_string();
    match class {
        ErrorClass::InvalidInput => JobResult::Cancelled {
            class: class_name,
            error: message.to_string(),
        },
        ErrorClass::Configuration => JobResult::Dead {
            class: class_name,
            error: message.to_string(),
        },
        _ if attempt >= max_attempts => JobResult::Dead {
            class: class_name,
            error: format!("{message} (after {attempt} attempts)"),
        },
        _ => {
            let delay = match retry_after_ms {
                Some(ms) => ms as i64,
                None => backoff_ms(class, attempt, backoff_base_ms, jitter_seed()),
            };
            JobResult::Retry {
                run_at: now + delay,
                class: class_name,
                error: format!("{message} (attempt {attempt} of {max_attempts})"),
            }
        }
    }
}

/// 1 s, 2 s, 4 s, 8 s … (times 4 for an external service that is down) with ±20% jitter, capped
/// at an hour. `seed` is any 64-bit value; it picks the point in the jitter band.
pub fn backoff_ms(class: ErrorClass, attempt: i64, base_ms: u64, seed: u64) -> i64 {
    let exp = (attempt.max(1) - 1).min(20) as u32;
    let mut delay = (base_ms as f64) * f64::from(2u32.pow(exp.min(20)));
    if class == ErrorClass::ExternalService {
        delay *= 4.0;
    }
    let unit = (seed % 10_001) as f64 / 10_000.0; // 0..=1
    let jittered = delay * (0.8 + 0.4 * unit);
    jittered.min(3_600_000.0) as i64
}

fn jitter_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// Adds the job's end to the pipeline's final batch.
struct JobHook<'a> {
    shared: &'a Shared,
    job: &'a ClaimedJob,
    result: Mutex<Option<JobResult>>,
}

impl FinishHook for JobHook<'_> {
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
            job_id: self.job.id.clone(),
            owner: self.shared.owner.clone(),
            attempt: self.job.attempt,
            result,
            at: now,
        }));
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

fn run_job(shared: &Shared, pipeline: &Pipeline<'_>, job: &ClaimedJob) {
    let span = tracing::info_span!("job", job_id = %job.id, attempt = job.attempt);
    let _enter = span.enter();
    let finish_alone = |result: JobResult| {
        count(&shared.stats, job, &result);
        let finish = JobFinish {
            job_id: job.id.clone(),
            owner: shared.owner.clone(),
            attempt: job.attempt,
            result,
            at: now_ms(),
        };
        match pipeline.store.finish_job(&finish) {
            Ok(()) => {}
            Err(Error::Refused(msg)) => {
                shared.stats.lost_leases.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("{msg}");
            }
            Err(e) => {
                tracing::warn!(error = %e, "recording the job's end failed; its lease will expire")
            }
        }
    };
    let Some(workflow_id) = job
        .workflow_id
        .as_deref()
        .filter(|_| job.kind == "workflow")
    else {
        finish_alone(JobResult::Cancelled {
            class: ErrorClass::InvalidInput.as_str().into(),
            error: format!("job kind {:?} is not handled by this worker", job.kind),
        });
        return;
    };
    let hook = JobHook {
        shared,
        job,
        result: Mutex::new(None),
    };
    match pipeline.run_with(workflow_id, &hook) {
        Ok(outcome) => {
            if let Some(result) = hook.result.lock().unwrap_or_else(|e| e.into_inner()).take() {
                count(&shared.stats, job, &result);
            }
            // The pipeline logged "workflow finished" at info: one line per workflow is enough.
            tracing::debug!(workflow_id, status = outcome.status, "job finished");
            if outcome.status == crate::orchestrator::status::COMPLETED {
                auto_send(pipeline, workflow_id);
            }
        }
        Err(e) => {
            // The pipeline could not record its end: a lost lease, a finished workflow, or the store.
            let status = pipeline.store.get_workflow(workflow_id).map(|w| w.status);
            match status.as_deref() {
                Ok("completed" | "duplicate" | "suppressed" | "cancelled") => {
                    finish_alone(JobResult::Completed)
                }
                _ if matches!(e, Error::Refused(_))
                    && e.to_string().contains("no longer leased") =>
                {
                    shared.stats.lost_leases.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "lost the lease; the new owner finishes the job");
                }
                _ => finish_alone(decide(
                    e.class(),
                    &e.to_string(),
                    e.retry_after().map(|d| d.as_millis() as u64),
                    job.attempt,
                    job.max_attempts,
                    shared.config.worker.backoff_base_ms,
                    now_ms(),
                )),
            }
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
    fn backoff_doubles_with_twenty_percent_jitter() {
        for (attempt, base) in [(1, 1000.0), (2, 2000.0), (3, 4000.0), (4, 8000.0)] {
            let low = backoff_ms(ErrorClass::Transient, attempt, 1000, 0);
            let high = backoff_ms(ErrorClass::Transient, attempt, 1000, 10_000);
            assert_eq!(low, (base * 0.8) as i64);
            assert_eq!(high, (base * 1.2) as i64);
        }
        assert!(backoff_ms(ErrorClass::ExternalService, 1, 1000, 5000) >= 4000);
        assert_eq!(
            backoff_ms(ErrorClass::Transient, 60, 1000, 10_000),
            3_600_000
        );
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
