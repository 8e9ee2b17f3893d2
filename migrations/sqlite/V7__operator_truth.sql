-- An operator's day (issue 12): how many worker threads each process runs (`queues` shows
-- processes and threads), and what became of a quarantined payload (replayed into workflows,
-- or discarded), by whom and when.

ALTER TABLE worker_heartbeats ADD COLUMN threads INTEGER NOT NULL DEFAULT 1;

ALTER TABLE quarantined_payloads ADD COLUMN resolution TEXT
    CHECK (resolution IN ('replayed', 'discarded'));
ALTER TABLE quarantined_payloads ADD COLUMN resolved_by TEXT;
ALTER TABLE quarantined_payloads ADD COLUMN resolved_at INTEGER;
ALTER TABLE quarantined_payloads ADD COLUMN workflow_ids TEXT;
CREATE INDEX quarantined_payloads_received ON quarantined_payloads (tenant_id, received_at);
