-- Issue 16: a step row was three B-trees on SQLite: the rowid table, the automatic index of
-- `id TEXT PRIMARY KEY` and the unique index `workflow_steps_attempt (workflow_id, seq,
-- attempt)`. Every step row inserted (~13 per workflow) wrote a page of each, and the
-- end-to-end drain's WAL was 30% step pages: 8.7 frames per workflow for the table, 5.1 for the
-- natural key's index, 5.0 for the id's (bench/pages.sh, BENCHMARKS.md, ninth round). Nothing
-- looks a step up by its id: the pipeline's upsert, `workflows show` and every reader key it by
-- (workflow_id, seq, attempt), and retention and privacy by workflow_id.
--
-- So the table is keyed by that natural key alone, WITHOUT ROWID: one B-tree, ordered by
-- workflow then step then attempt, which is the order every reader wants. Its rows are small
-- (~250 bytes on average with the embedded connectors); a longer one spills to an overflow
-- page as before. The id stays, NOT NULL, as the step's name in `--json` output; the key still
-- refuses a second row for one attempt (the pipeline's ON CONFLICT names the same columns).
-- Every row is copied in key order; nothing references this table.
CREATE TABLE workflow_steps_v19 (
    id           TEXT NOT NULL,
    workflow_id  TEXT NOT NULL REFERENCES workflows (id),
    seq          INTEGER NOT NULL,
    name         TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status = 'running' OR status = 'completed' OR status = 'failed'
                      OR status = 'skipped'),
    input        TEXT,
    output       TEXT,
    remote_id    TEXT,
    error        TEXT,
    error_class  TEXT,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    duration_ms  INTEGER,
    superseded_at INTEGER,
    PRIMARY KEY (workflow_id, seq, attempt)
) WITHOUT ROWID;
INSERT INTO workflow_steps_v19 (id, workflow_id, seq, name, attempt, status, input, output,
        remote_id, error, error_class, started_at, finished_at, duration_ms, superseded_at)
    SELECT id, workflow_id, seq, name, attempt, status, input, output,
           remote_id, error, error_class, started_at, finished_at, duration_ms, superseded_at
      FROM workflow_steps ORDER BY workflow_id, seq, attempt;
DROP TABLE workflow_steps;
ALTER TABLE workflow_steps_v19 RENAME TO workflow_steps;

-- The same for `tasks` (one per workflow): its `id TEXT PRIMARY KEY` index is read by nobody
-- (every reader and writer goes by workflow_id, reconcile's scan by rowid), and it was one more
-- B-tree written per task row (1.2 WAL frames per workflow). The table stays a rowid table (the
-- scan's cursor is the rowid, kept as it was) keyed by workflow_id, which was UNIQUE already.
CREATE TABLE tasks_v19 (
    id           TEXT NOT NULL,
    tenant_id    TEXT NOT NULL DEFAULT 'default',
    workflow_id  TEXT NOT NULL PRIMARY KEY REFERENCES workflows (id),
    crm          TEXT NOT NULL,
    remote_task_id TEXT NOT NULL,
    contact_id   TEXT NOT NULL,
    subject      TEXT NOT NULL,
    priority     TEXT NOT NULL,
    due_at       INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open',
    created_at   INTEGER NOT NULL
);
INSERT INTO tasks_v19 (rowid, id, tenant_id, workflow_id, crm, remote_task_id, contact_id, subject,
        priority, due_at, status, created_at)
    SELECT rowid, id, tenant_id, workflow_id, crm, remote_task_id, contact_id, subject,
           priority, due_at, status, created_at
      FROM tasks ORDER BY rowid;
DROP TABLE tasks;
ALTER TABLE tasks_v19 RENAME TO tasks;
