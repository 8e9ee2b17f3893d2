-- Issue 19: a usage counter becomes several rows, one per `shard` (the writer's backend modulo
-- 16), whose sum is the count: with a run's commits free of the global write lock, one row per
-- counter would make every commit that counts wait for the last one's WAL flush on that row's
-- lock. Every reader already sums. See migrations/sqlite/V17.
ALTER TABLE usage ADD COLUMN shard INTEGER NOT NULL DEFAULT 0 CHECK (shard >= 0);
ALTER TABLE usage DROP CONSTRAINT usage_pkey;
ALTER TABLE usage ADD PRIMARY KEY (tenant_id, day, metric, shard);
