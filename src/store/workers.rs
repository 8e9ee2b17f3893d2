//! Worker heartbeats and the worker registry: which worker processes are alive, and which jobs
//! each one's threads hold right now. A heartbeat renews exactly those jobs' leases, in the same
//! transaction as the registry row, so reconcile can tell a lease renewed for a running thread
//! from one left behind.

use super::sql::params;

use super::Store;
use super::jobs::Lease;
use super::locks::hostname;
use crate::error::Result;

impl Store {
    /// Records that `owner` (a process running `threads` worker threads) is alive, which jobs its
    /// threads hold (`held`), and extends exactly those leases. Returns how many were renewed.
    #[allow(clippy::too_many_arguments)]
    pub fn heartbeat(
        &self,
        owner: &str,
        pid: u32,
        queues: &str,
        threads: usize,
        started_at: i64,
        held: &[Lease],
        now: i64,
    ) -> Result<usize> {
        let tx = self.write_tx()?;
        let running: Vec<&str> = held.iter().map(|l| l.job_id.as_str()).collect();
        let running = serde_json::to_string(&running).unwrap_or_else(|_| "[]".into());
        tx.prepare_cached(
            "INSERT INTO worker_heartbeats (worker_id, hostname, pid, queues, threads, started_at,
                 seen_at, running_jobs)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (worker_id) DO UPDATE SET seen_at = excluded.seen_at,
                 queues = excluded.queues, threads = excluded.threads,
                 running_jobs = excluded.running_jobs",
        )?
        .execute(params![
            owner,
            hostname(),
            pid,
            queues,
            threads as i64,
            started_at,
            now,
            running
        ])?;
        let renewed = Store::renew_leases_in(&tx, held, now)?;
        tx.commit()?;
        Ok(renewed)
    }

    /// Forgets a worker that stopped cleanly.
    pub fn remove_worker(&self, owner: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM worker_heartbeats WHERE worker_id = ?1",
            [owner],
        )?;
        Ok(())
    }

    /// Worker processes whose heartbeat is newer than `since`.
    pub fn workers_alive(&self, since: i64) -> Result<i64> {
        Ok(self.live_workers(since)?.processes)
    }
}

/// SQL: whether running job `j` is one its owner's registry has let go of — the owner's latest
/// heartbeat came after the claim and does not list it (a thread no longer runs it).
/// `running_jobs` is a JSON array of job ids, which are UUIDs (no `"`, `%` or `_`), so "lists
/// it" is a LIKE on the quoted id: one spelling for both dialects, where reading the array would
/// need SQLite's `json_each` and PostgreSQL's `jsonb_array_elements_text`.
pub(super) const ORPHANED_LEASE: &str = "EXISTS (SELECT 1 FROM worker_heartbeats h
     WHERE h.worker_id = j.lease_owner
       AND h.seen_at > COALESCE((SELECT MAX(a.started_at) FROM job_attempts a
                                 WHERE a.job_id = j.id AND a.attempt = j.attempt), 0)
       AND h.running_jobs NOT LIKE '%\"' || j.id || '\"%')";

#[cfg(test)]
mod tests {
    use crate::store::test_support::{SEED, enqueue, progress};
    use crate::store::{Store, WorkflowRequeue, WorkflowStatus};

    #[test]
    fn reconcile_sees_a_lease_renewed_for_a_job_no_thread_runs() {
        let store = Store::open_in_memory().unwrap();
        let (workflow_id, _) = enqueue(&store, SEED);
        let job = store
            .claim_jobs("w1", &[("normal", 1)], 60_000, 5, 2000)
            .unwrap()
            .remove(0);
        let running = progress(&workflow_id, WorkflowStatus::Running, 2001);
        store.apply(Some(&job.lease), &[running], 2001).unwrap();
        // While a thread holds it, the beat lists it: not stuck.
        store
            .heartbeat(
                "w1",
                1,
                "normal",
                1,
                0,
                std::slice::from_ref(&job.lease),
                2500,
            )
            .unwrap();
        assert!(store.stuck_workflows(0, 3000, 0).unwrap().is_empty());
        // The thread let go of it (its end could not be recorded); the lease is still valid.
        store.heartbeat("w1", 1, "normal", 1, 0, &[], 3500).unwrap();
        let stuck = store.stuck_workflows(0, 4000, 0).unwrap();
        assert_eq!(stuck.len(), 1);
        assert!(stuck[0].orphaned);
        assert!(matches!(
            store
                .requeue_workflow(&workflow_id, "normal", 4000)
                .unwrap(),
            WorkflowRequeue::Released { .. }
        ));
    }
}
