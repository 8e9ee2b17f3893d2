-- Issue 16: SQLite evaluates `x IN ('a', 'b', 'c')` (three constants or more) in a CHECK
-- constraint or a partial index's condition by building a temporary B-tree of the constants,
-- each time a statement that checks it runs: a pager, a page cache and an insert per constant,
-- then freeing them. The intake's three INSERTs per submission built five (11% of the intake
-- writer's CPU in the profile), and every step row and job update of the workers built more.
-- The same conditions spelled as `x = 'a' OR x = 'b' ...` are evaluated in place.
--
-- The CHECK constraints are rewritten in the schema text itself: SQLite's documented procedure
-- for a table change that leaves the stored rows as they are (https://sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes"); each new CHECK accepts exactly the values the old
-- one did, so every stored row satisfies it. Rebuilding the tables instead would copy every
-- submission's raw payload. The schema is reloaded at once (RESET), and the index change below
-- bumps the schema version, so other connections reload it too.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(sql, 'CHECK (source IN (''webhook'', ''run'', ''import''))',
                     'CHECK (source = ''webhook'' OR source = ''run'' OR source = ''import'')')
 WHERE type = 'table' AND name = 'submissions';
UPDATE sqlite_master
   SET sql = replace(sql, 'CHECK (status IN
                      (''pending'', ''running'', ''completed'', ''duplicate'', ''suppressed'', ''failed'', ''cancelled''))',
                     'CHECK (status = ''pending'' OR status = ''running'' OR status = ''completed''
                      OR status = ''duplicate'' OR status = ''suppressed'' OR status = ''failed''
                      OR status = ''cancelled'')')
 WHERE type = 'table' AND name = 'workflows';
UPDATE sqlite_master
   SET sql = replace(sql, 'CHECK (status IN (''running'', ''completed'', ''failed'', ''skipped''))',
                     'CHECK (status = ''running'' OR status = ''completed'' OR status = ''failed''
                      OR status = ''skipped'')')
 WHERE type = 'table' AND name = 'workflow_steps';
UPDATE sqlite_master
   SET sql = replace(replace(sql,
         'CHECK (queue IN (''priority'', ''normal'', ''batch'', ''cleanup''))',
         'CHECK (queue = ''priority'' OR queue = ''normal'' OR queue = ''batch'' OR queue = ''cleanup'')'),
         'CHECK (state IN
                   (''available'', ''running'', ''retryable'', ''completed'', ''dead'', ''cancelled'', ''held''))',
         'CHECK (state = ''available'' OR state = ''running'' OR state = ''retryable''
                   OR state = ''completed'' OR state = ''dead'' OR state = ''cancelled'' OR state = ''held'')')
 WHERE type = 'table' AND name = 'jobs';
PRAGMA writable_schema = RESET;

-- The one-live-job-per-key index, its condition spelled the same way (its reader, the privacy
-- erasure's redelivery check, spells its query's condition alike, so it still uses the index).
DROP INDEX jobs_unique;
CREATE UNIQUE INDEX jobs_unique ON jobs (tenant_id, unique_key)
    WHERE unique_key IS NOT NULL AND state <> 'completed' AND state <> 'dead' AND state <> 'cancelled';
