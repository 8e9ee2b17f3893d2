-- The composer made measurable (issue 14): how each draft's text was obtained, and eval runs that
-- re-compose past leads with a candidate configuration without touching the workflow tables.

ALTER TABLE drafts ADD COLUMN structured_mode TEXT;
ALTER TABLE drafts ADD COLUMN repaired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drafts ADD COLUMN latency_ms INTEGER;
ALTER TABLE drafts ADD COLUMN fallback_reason TEXT;

-- One run of `eval run`: the candidate as resolved when the run started (overlay and prompt
-- texts), so a resumed run composes with exactly what it started with.
CREATE TABLE eval_runs (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL DEFAULT 'default',
    candidate_name TEXT NOT NULL,
    candidate      TEXT NOT NULL,
    selection      TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('running', 'completed')),
    total          INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    finished_at    INTEGER
);
CREATE INDEX eval_runs_tenant ON eval_runs (tenant_id, created_at);

-- One lead of a run: the original draft and the operator's decision (copied when the run
-- started), then the candidate's draft once composed. `state` moves pending -> done only.
CREATE TABLE eval_items (
    run_id             TEXT NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
    tenant_id          TEXT NOT NULL DEFAULT 'default',
    seq                INTEGER NOT NULL,
    workflow_id        TEXT NOT NULL,
    draft_id           TEXT NOT NULL,
    recipient          TEXT NOT NULL,
    source             TEXT NOT NULL,
    original_subject   TEXT NOT NULL,
    original_body      TEXT NOT NULL,
    original_model     TEXT,
    decision           TEXT NOT NULL CHECK (decision IN ('pending', 'approved', 'edited', 'rejected')),
    final_subject      TEXT NOT NULL,
    final_body         TEXT NOT NULL,
    review_note        TEXT,
    state              TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    candidate_subject  TEXT,
    candidate_body     TEXT,
    guard_passed       INTEGER,
    guard_violations   TEXT,
    error              TEXT,
    error_class        TEXT,
    model              TEXT,
    prompt_version     TEXT,
    structured_mode    TEXT,
    repaired           INTEGER NOT NULL DEFAULT 0,
    fallback_used      INTEGER NOT NULL DEFAULT 0,
    tokens             INTEGER,
    latency_ms         INTEGER,
    finished_at        INTEGER,
    PRIMARY KEY (run_id, seq),
    UNIQUE (run_id, workflow_id)
);
CREATE INDEX eval_items_tenant ON eval_items (tenant_id, run_id);
