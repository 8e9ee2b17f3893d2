-- Drafts can be superseded (issue 12, `drafts recompose`): the recomposed text replaces the pending
-- draft in place (same id, same mailbox draft), and the earlier text is kept as a row of status
-- `superseded` pointing at the live draft (`superseded_by`). SQLite cannot change a CHECK or drop
-- a UNIQUE constraint in place, so the table is rebuilt: one live draft per workflow is now a
-- partial unique index, and `superseded` joins the allowed statuses.
-- Note for later migrations: this copies the columns drafts had after V3; a column added to
-- drafts by a migration numbered below 6 must be added here too.

CREATE TABLE drafts_v6 (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL DEFAULT 'default',
    workflow_id       TEXT NOT NULL REFERENCES workflows (id),
    recipient         TEXT NOT NULL,
    sender            TEXT NOT NULL,
    subject           TEXT NOT NULL,
    body              TEXT NOT NULL,
    message_id        TEXT NOT NULL,
    score             INTEGER,
    route_reason      TEXT,
    model             TEXT,
    prompt_version    TEXT,
    tokens_used       INTEGER,
    fallback_used     INTEGER NOT NULL DEFAULT 0,
    mailbox           TEXT NOT NULL,
    remote_draft_id   TEXT,
    remote_message_id TEXT,
    thread_id         TEXT,
    status            TEXT NOT NULL CHECK (status IN
                        ('pending_review', 'approved', 'rejected', 'sending', 'sent', 'send_failed',
                         'orphaned', 'superseded')),
    reviewer          TEXT,
    review_note       TEXT,
    reviewed_at       INTEGER,
    sent_at           INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    send_started_at   INTEGER,
    superseded_by     TEXT,
    CHECK ((status = 'superseded') = (superseded_by IS NOT NULL))
);

INSERT INTO drafts_v6 (id, tenant_id, workflow_id, recipient, sender, subject, body, message_id,
    score, route_reason, model, prompt_version, tokens_used, fallback_used, mailbox,
    remote_draft_id, remote_message_id, thread_id, status, reviewer, review_note, reviewed_at,
    sent_at, created_at, updated_at, send_started_at)
SELECT id, tenant_id, workflow_id, recipient, sender, subject, body, message_id,
    score, route_reason, model, prompt_version, tokens_used, fallback_used, mailbox,
    remote_draft_id, remote_message_id, thread_id, status, reviewer, review_note, reviewed_at,
    sent_at, created_at, updated_at, send_started_at
FROM drafts;

DROP TABLE drafts;
ALTER TABLE drafts_v6 RENAME TO drafts;

CREATE UNIQUE INDEX drafts_one_live_per_workflow ON drafts (workflow_id)
    WHERE status != 'superseded';
CREATE INDEX drafts_workflow ON drafts (workflow_id);
CREATE INDEX drafts_status ON drafts (tenant_id, status, created_at);
CREATE INDEX drafts_recipient ON drafts (tenant_id, recipient, created_at);
CREATE INDEX drafts_sender_sent ON drafts (tenant_id, sender, sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX drafts_sender_send_started ON drafts (tenant_id, sender, send_started_at)
    WHERE send_started_at IS NOT NULL;
