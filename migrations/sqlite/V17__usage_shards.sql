-- Issue 19: a usage counter is one row per (tenant, day, metric), raised by every commit that
-- counts: on PostgreSQL, where a run's commits no longer take the global write lock, each
-- commit holds that row's lock until its WAL flush is done, so every worker's commit would queue
-- behind every other's on it. A counter is now several rows, one per `shard` (on PostgreSQL the
-- writer's backend, modulo 16), whose sum is the count; every reader already sums. SQLite has one
-- writer and writes shard 0 only.
CREATE TABLE usage_shards (
    tenant_id TEXT NOT NULL,
    day       TEXT NOT NULL CHECK (length(day) = 10),
    metric    TEXT NOT NULL,
    shard     INTEGER NOT NULL DEFAULT 0 CHECK (shard >= 0),
    n         INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (tenant_id, day, metric, shard)
) WITHOUT ROWID;
INSERT INTO usage_shards (tenant_id, day, metric, shard, n)
    SELECT tenant_id, day, metric, 0, n FROM usage;
DROP TABLE usage;
ALTER TABLE usage_shards RENAME TO usage;
