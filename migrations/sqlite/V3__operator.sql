-- Operator workflow (issue 5): superseded step records for `workflows retry --from-step`, and the
-- time a send was claimed, which the per-sender daily cap counts (a claimed send counts even if it
-- later failed: it may have gone out).

ALTER TABLE workflow_steps ADD COLUMN superseded_at INTEGER;
ALTER TABLE drafts ADD COLUMN send_started_at INTEGER;
CREATE INDEX drafts_sender_send_started ON drafts (tenant_id, sender, send_started_at)
    WHERE send_started_at IS NOT NULL;
CREATE INDEX dead_letters_job ON dead_letters (job_id);

-- A retried dead letter keeps the error history of the attempts it replaces (job_attempts rows of
-- the job are moved here as JSON, so the fresh attempts can reuse their numbers).
ALTER TABLE dead_letters ADD COLUMN attempt_history TEXT;
