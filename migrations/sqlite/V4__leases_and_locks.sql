-- Concurrency that holds (issue 10): the worker registry, and one live import per file.

-- Which jobs each worker process's threads hold right now (a JSON array of job ids), written with
-- every heartbeat in the same transaction that renews exactly those leases. Reconcile reads it
-- to tell a lease renewed for a running thread from one no thread owns any more.
ALTER TABLE worker_heartbeats ADD COLUMN running_jobs TEXT NOT NULL DEFAULT '[]';

-- Starting an import was check-then-act: two concurrent runs of the same file could both create
-- an import record. Runs that raced before this migration are folded into the newest record of
-- their file (the older ones become cancelled; their rows and jobs are kept), then a unique
-- index makes a second live record of the same content impossible.
UPDATE import_jobs SET state = 'cancelled', finished_at = COALESCE(finished_at, updated_at)
WHERE state <> 'cancelled'
  AND EXISTS (SELECT 1 FROM import_jobs newer
              WHERE newer.tenant_id = import_jobs.tenant_id
                AND newer.file_hash = import_jobs.file_hash
                AND newer.state <> 'cancelled'
                AND (newer.created_at, newer.id) > (import_jobs.created_at, import_jobs.id));
CREATE UNIQUE INDEX import_jobs_live_hash ON import_jobs (tenant_id, file_hash)
    WHERE state <> 'cancelled';
