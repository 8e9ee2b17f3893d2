-- The whole data model of DESIGN.md. Times are epoch milliseconds (INTEGER, UTC); ids are UUIDv7 text
-- unless a remote system owns them. Migrations are append-only: change the schema in a new file.

CREATE TABLE submissions (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL DEFAULT 'default',
    source          TEXT NOT NULL CHECK (source IN ('webhook', 'run', 'import')),
    shape           TEXT NOT NULL,
    portal_id       TEXT,
    form_id         TEXT,
    external_id     TEXT,
    dedupe_key      TEXT NOT NULL,
    signature       TEXT,
    email           TEXT,
    first_name      TEXT,
    last_name       TEXT,
    company         TEXT,
    job_title       TEXT,
    phone           TEXT,
    message         TEXT,
    page_url        TEXT,
    contact_object_id TEXT,
    custom_fields   TEXT NOT NULL DEFAULT '{}',
    raw_payload     BLOB NOT NULL,
    import_job_id   TEXT,
    synthetic       INTEGER NOT NULL DEFAULT 0,
    submitted_at    INTEGER,
    received_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX submissions_dedupe ON submissions (tenant_id, dedupe_key);
CREATE UNIQUE INDEX submissions_signature ON submissions (tenant_id, signature) WHERE signature IS NOT NULL;
CREATE INDEX submissions_email_form ON submissions (tenant_id, email, form_id, received_at);
CREATE INDEX submissions_import ON submissions (import_job_id) WHERE import_job_id IS NOT NULL;

-- Authenticated bodies we could not parse: kept for inspection, never dropped.
CREATE TABLE quarantined_payloads (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL DEFAULT 'default',
    reason       TEXT NOT NULL,
    content_type TEXT,
    raw_payload  BLOB NOT NULL,
    received_at  INTEGER NOT NULL
);

CREATE TABLE workflows (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL DEFAULT 'default',
    submission_id   TEXT NOT NULL REFERENCES submissions (id),
    email           TEXT,
    status          TEXT NOT NULL CHECK (status IN
                      ('pending', 'running', 'completed', 'duplicate', 'suppressed', 'failed', 'cancelled')),
    mode            TEXT NOT NULL,
    current_step    TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    trace_id        TEXT NOT NULL,
    score           INTEGER,
    last_error      TEXT,
    last_error_class TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    completed_at    INTEGER
);
CREATE INDEX workflows_status_created ON workflows (tenant_id, status, created_at);
CREATE INDEX workflows_created ON workflows (tenant_id, created_at);
CREATE INDEX workflows_email ON workflows (tenant_id, email, created_at);
CREATE INDEX workflows_submission ON workflows (submission_id);

CREATE TABLE workflow_steps (
    id           TEXT PRIMARY KEY,
    workflow_id  TEXT NOT NULL REFERENCES workflows (id),
    seq          INTEGER NOT NULL,
    name         TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'skipped')),
    input        TEXT,
    output       TEXT,
    remote_id    TEXT,
    error        TEXT,
    error_class  TEXT,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    duration_ms  INTEGER
);
CREATE UNIQUE INDEX workflow_steps_attempt ON workflow_steps (workflow_id, seq, attempt);

CREATE TABLE drafts (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL DEFAULT 'default',
    workflow_id       TEXT NOT NULL UNIQUE REFERENCES workflows (id),
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
                        ('pending_review', 'approved', 'rejected', 'sending', 'sent', 'send_failed', 'orphaned')),
    reviewer          TEXT,
    review_note       TEXT,
    reviewed_at       INTEGER,
    sent_at           INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX drafts_status ON drafts (tenant_id, status, created_at);
CREATE INDEX drafts_recipient ON drafts (tenant_id, recipient, created_at);
CREATE INDEX drafts_sender_sent ON drafts (tenant_id, sender, sent_at) WHERE sent_at IS NOT NULL;

-- Follow-up tasks as recorded by the pipeline, whichever CRM holds them.
CREATE TABLE tasks (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL DEFAULT 'default',
    workflow_id  TEXT NOT NULL UNIQUE REFERENCES workflows (id),
    crm          TEXT NOT NULL,
    remote_task_id TEXT NOT NULL,
    contact_id   TEXT NOT NULL,
    subject      TEXT NOT NULL,
    priority     TEXT NOT NULL,
    due_at       INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open',
    created_at   INTEGER NOT NULL
);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL DEFAULT 'default',
    queue        TEXT NOT NULL CHECK (queue IN ('priority', 'normal', 'batch', 'cleanup')),
    kind         TEXT NOT NULL,
    workflow_id  TEXT REFERENCES workflows (id),
    payload      TEXT NOT NULL DEFAULT '{}',
    priority     INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL CHECK (state IN
                   ('available', 'running', 'retryable', 'completed', 'dead', 'cancelled', 'held')),
    attempt      INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    run_at       INTEGER NOT NULL,
    lease_owner  TEXT,
    lease_expires_at INTEGER,
    unique_key   TEXT,
    last_error   TEXT,
    last_error_class TEXT,
    import_job_id TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_claim ON jobs (state, queue, priority DESC, run_at);
CREATE INDEX jobs_lease ON jobs (state, lease_expires_at) WHERE state = 'running';
CREATE UNIQUE INDEX jobs_unique ON jobs (tenant_id, unique_key)
    WHERE unique_key IS NOT NULL AND state NOT IN ('completed', 'dead', 'cancelled');
CREATE INDEX jobs_workflow ON jobs (workflow_id);
CREATE INDEX jobs_import ON jobs (import_job_id, state) WHERE import_job_id IS NOT NULL;

-- Every attempt of a job, so a dead letter can show its whole error history.
CREATE TABLE job_attempts (
    job_id      TEXT NOT NULL REFERENCES jobs (id),
    attempt     INTEGER NOT NULL,
    worker      TEXT,
    error       TEXT,
    error_class TEXT,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    PRIMARY KEY (job_id, attempt)
);

CREATE TABLE worker_heartbeats (
    worker_id   TEXT PRIMARY KEY,
    hostname    TEXT,
    pid         INTEGER,
    queues      TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    seen_at     INTEGER NOT NULL
);

CREATE TABLE dead_letters (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL DEFAULT 'default',
    job_id       TEXT NOT NULL REFERENCES jobs (id),
    workflow_id  TEXT REFERENCES workflows (id),
    error_class  TEXT NOT NULL,
    error        TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    payload      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    retried_at   INTEGER,
    resolved_at  INTEGER
);
CREATE INDEX dead_letters_created ON dead_letters (tenant_id, created_at);
CREATE INDEX dead_letters_class ON dead_letters (tenant_id, error_class, created_at);

CREATE TABLE import_jobs (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL DEFAULT 'default',
    file_name     TEXT NOT NULL,
    file_hash     TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('running', 'paused', 'cancelled', 'completed')),
    rows_read     INTEGER NOT NULL DEFAULT 0,
    rows_accepted INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    checkpoint_row INTEGER NOT NULL DEFAULT 0,
    checkpoint_offset INTEGER NOT NULL DEFAULT 0,
    options       TEXT NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    finished_at   INTEGER
);
CREATE INDEX import_jobs_hash ON import_jobs (tenant_id, file_hash);

CREATE TABLE import_row_errors (
    import_job_id TEXT NOT NULL REFERENCES import_jobs (id),
    row_number    INTEGER NOT NULL,
    column_name   TEXT,
    message       TEXT NOT NULL,
    raw_row       TEXT NOT NULL,
    PRIMARY KEY (import_job_id, row_number)
);

CREATE TABLE reconciliation_reports (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL DEFAULT 'default',
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    checks       TEXT NOT NULL,
    findings     TEXT NOT NULL DEFAULT '[]',
    fixes        TEXT NOT NULL DEFAULT '[]',
    dead_letters INTEGER NOT NULL DEFAULT 0,
    fix_mode     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX reconciliation_reports_started ON reconciliation_reports (tenant_id, started_at);

-- Named advisory locks (reconcile must not overlap itself).
CREATE TABLE locks (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE settings (
    tenant_id  TEXT NOT NULL DEFAULT 'default',
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    set_by     TEXT,
    reason     TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL DEFAULT 'default',
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT,
    reason     TEXT,
    before     TEXT,
    after      TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (tenant_id, created_at);
CREATE INDEX audit_log_action ON audit_log (tenant_id, action, created_at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- `value` is a lowercase email, '@domain', or 'sha256:<hex>' of an email erased under GDPR.
CREATE TABLE suppressions (
    tenant_id  TEXT NOT NULL DEFAULT 'default',
    value      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, value)
);

-- The embedded CRM: numeric ids like HubSpot's, so Webhooks API events name contacts the same way.
CREATE TABLE crm_companies (
    id         INTEGER PRIMARY KEY,
    tenant_id  TEXT NOT NULL DEFAULT 'default',
    domain     TEXT NOT NULL,
    name       TEXT,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX crm_companies_domain ON crm_companies (tenant_id, domain);

CREATE TABLE crm_contacts (
    id         INTEGER PRIMARY KEY,
    tenant_id  TEXT NOT NULL DEFAULT 'default',
    email      TEXT NOT NULL,
    first_name TEXT,
    last_name  TEXT,
    company    TEXT,
    job_title  TEXT,
    phone      TEXT,
    company_id INTEGER REFERENCES crm_companies (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX crm_contacts_email ON crm_contacts (tenant_id, email);

CREATE TABLE crm_tasks (
    id         INTEGER PRIMARY KEY,
    tenant_id  TEXT NOT NULL DEFAULT 'default',
    contact_id INTEGER NOT NULL REFERENCES crm_contacts (id),
    reference  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    priority   TEXT NOT NULL,
    task_type  TEXT NOT NULL,
    owner_id   TEXT,
    status     TEXT NOT NULL DEFAULT 'NOT_STARTED',
    due_at     INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX crm_tasks_reference ON crm_tasks (tenant_id, reference);
CREATE INDEX crm_tasks_contact ON crm_tasks (contact_id);
