-- Issue 16 (see migrations/sqlite/V16): SQLite evaluates a condition `x IN ('a', 'b', 'c')` by
-- building a temporary B-tree each time; its CHECK constraints and the partial index below are
-- spelled `x = 'a' OR ...` / `x <> 'a' AND ...` instead. PostgreSQL evaluates either spelling in
-- place, so its CHECK constraints stay as they are; the index's condition is spelled as SQLite's,
-- so the two schemas (and the query that relies on the index) stay alike.
DROP INDEX jobs_unique;
CREATE UNIQUE INDEX jobs_unique ON jobs (tenant_id, unique_key)
    WHERE unique_key IS NOT NULL AND state <> 'completed' AND state <> 'dead' AND state <> 'cancelled';
