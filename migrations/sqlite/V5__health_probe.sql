-- One row that /health/ready overwrites in place: a real (small) write, so a full disk or a
-- read-only file makes readiness false instead of a rollback that always succeeds.
CREATE TABLE health_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    written_at INTEGER NOT NULL
);
INSERT INTO health_probe (id, written_at) VALUES (1, 0);
