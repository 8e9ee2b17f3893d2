-- Privacy and hygiene (issue 18): the per-tenant key of pseudonymous subject references, and
-- the remote erasures (Gmail drafts, HubSpot GDPR deletes) still to do after a local erasure.

-- One random key per tenant, generated on first use and never changed: audit rows and erased
-- suppressions carry HMAC-SHA256(key, normalised address), never the address.
CREATE TABLE privacy_keys (
    tenant_id   TEXT PRIMARY KEY,
    subject_key BLOB NOT NULL CHECK (length(subject_key) = 32),
    created_at  INTEGER NOT NULL
);

-- A remote erasure recorded in the same transaction as the local one; `done_at` once the remote
-- service confirmed it. Holds the remote id only (never the address).
CREATE TABLE pending_erasures (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL DEFAULT 'default',
    subject_ref TEXT NOT NULL,
    service     TEXT NOT NULL CHECK (service IN ('gmail', 'hubspot')),
    remote_id   TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    done_at     INTEGER,
    UNIQUE (tenant_id, service, remote_id)
);
CREATE INDEX pending_erasures_open ON pending_erasures (tenant_id, created_at) WHERE done_at IS NULL;

