-- Usage metering (issue 15): per tenant and UTC day, one counter per metric. Each counter is
-- raised by an UPSERT inside the very transaction that commits the work it counts, so a crash,
-- a retry or a lost lease (whose commit rolls back) never counts twice or counts what did not
-- commit. One row per metric rather than a column per metric: a new metric is a new name, not a
-- migration, and a day only holds the metrics that happened. `day` is ISO 8601 ('2026-11-30'),
-- so ranges and retention (`DELETE … WHERE day < ?`) compare text.
CREATE TABLE usage (
    tenant_id TEXT NOT NULL,
    day       TEXT NOT NULL CHECK (length(day) = 10),
    metric    TEXT NOT NULL,
    n         INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (tenant_id, day, metric)
) WITHOUT ROWID;
