-- Tenant-scoped API keys (issue 17). Only the SHA-256 of a key's secret part is kept, with its
-- public id (the primary key: a presented key finds its row by it) and the prefix lists show.
-- `scopes` is a space-separated list. `rate_per_sec`/`burst` override the default token bucket.
-- A rotated key points at its successor and keeps working until its `expires_at` (the overlap).
CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL DEFAULT 'default',
    name           TEXT NOT NULL,
    prefix         TEXT NOT NULL,
    secret_hash    TEXT NOT NULL CHECK (length(secret_hash) = 64),
    scopes         TEXT NOT NULL,
    rate_per_sec   REAL CHECK (rate_per_sec IS NULL OR rate_per_sec > 0),
    burst          INTEGER CHECK (burst IS NULL OR burst > 0),
    created_at     INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    expires_at     INTEGER,
    last_used_at   INTEGER,
    revoked_at     INTEGER,
    revoked_by     TEXT,
    rotated_to     TEXT REFERENCES api_keys (id)
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);
