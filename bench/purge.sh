#!/usr/bin/env bash
# Retention benchmark (issue 18). Prints figures; asserts nothing.
#
#   bench/purge.sh [JOBS]
#
# 1. claim latency: JOBS (default 10000000) completed jobs older than [retention]
#    finished_jobs_days, plus 64 available ones; the worker's claim statement (copied from
#    store/jobs.rs) run 200 times in rolled-back IMMEDIATE transactions, before and after
#    `salesagent purge`; database size before and after.
# 2. intake while purging: `serve --workers 0` at 200 signed requests/s for 30 s, once alone and
#    once while `salesagent purge` deletes the JOBS completed jobs in batches; p50/p95/p99 of each.
#
# BIN=path/to/salesagent and GEN=path/to/loadgen skip the release build (e.g. debug binaries on
# a busy machine; the figures then say so).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${1:-10000000}
WORK=$(mktemp -d)
if [ -z "${BIN:-}" ] || [ -z "${GEN:-}" ]; then
  export CARGO_TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
  cargo build --release --quiet --bin salesagent --example loadgen
  BIN=$CARGO_TARGET_DIR/release/salesagent
  GEN=$CARGO_TARGET_DIR/release/examples/loadgen
fi
# Private copies: a shared target directory may be rebuilt from another branch meanwhile.
cp "$BIN" "$WORK/salesagent"; BIN=$WORK/salesagent
cp "$GEN" "$WORK/loadgen"; GEN=$WORK/loadgen
"$BIN" purge --help >/dev/null || { echo "this salesagent has no purge command" >&2; exit 1; }
export SALESAGENT_WEBHOOK_SECRET=bench-secret
export SALESAGENT_DATA_DIR=$WORK
PID=
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
# shellcheck source=bench/serve.sh
. bench/serve.sh

# A migrated database with JOBS completed jobs finished 30 days ago (UUIDv7-shaped ids of that
# time, as the product mints them) and 64 available jobs.
make_db() { # DB
  local db=$1
  : > "$db"
  SALESAGENT_DB=$db "$BIN" mode show >/dev/null
  local t
  t=$(( $(date +%s%3N) - 30 * 86400000 ))
  sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $JOBS - 1)
INSERT INTO jobs (id, tenant_id, queue, kind, payload, state, attempt, run_at, created_at, updated_at)
SELECT printf('%08x-%04x-7000-8000-%012x', ($t + i / 1000) >> 16, ($t + i / 1000) & 65535, i),
       'default', 'normal', 'workflow', '{}', 'completed', 1, $t, $t, $t FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 63)
INSERT INTO jobs (id, tenant_id, queue, kind, payload, state, run_at, created_at, updated_at)
SELECT printf('ffffffff-ffff-7fff-8fff-%012x', i), 'default', 'normal', 'workflow', '{}',
       'available', 0, 0, 0 FROM n;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
}

# Milliseconds per claim of 10 jobs, over 200 claims (each rolled back, so every claim finds the
# same 64 available jobs).
claim_ms() { # DB
  local db=$1 sql="" start end
  for _ in $(seq 1 200); do
    sql+="BEGIN IMMEDIATE;
UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = 'bench',
    lease_expires_at = 9e15, updated_at = 1, max_attempts = 5
WHERE id IN (SELECT id FROM (
    SELECT * FROM (SELECT id, priority, run_at FROM jobs
        WHERE state = 'available' AND queue = 'normal' AND run_at <= 9e15 AND tenant_id = 'default'
        ORDER BY priority DESC, run_at LIMIT 10)
    UNION ALL
    SELECT * FROM (SELECT id, priority, run_at FROM jobs
        WHERE state = 'retryable' AND queue = 'normal' AND run_at <= 9e15 AND tenant_id = 'default'
        ORDER BY priority DESC, run_at LIMIT 10))
  ORDER BY priority DESC, run_at LIMIT 10)
RETURNING id;
ROLLBACK;
"
  done
  start=$(date +%s%N)
  printf '%s' "$sql" | sqlite3 "$db" >/dev/null
  end=$(date +%s%N)
  awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 200 / 1e6 }'
}

size() { du -h "$1" | cut -f1; }

python3 bench/machine.py "$WORK" "; $JOBS completed jobs"
echo "== 1. claim latency with $JOBS completed jobs, before and after purge"
make_db "$WORK/claim.db"
echo "empty-queue baseline is the same statement on a database without the completed jobs:"
JOBS_SAVED=$JOBS; JOBS=1; make_db "$WORK/small.db"; JOBS=$JOBS_SAVED
echo "claim of 10: $(claim_ms "$WORK/small.db") ms with ~0 completed jobs"
echo "claim of 10: $(claim_ms "$WORK/claim.db") ms with $JOBS completed jobs (database $(size "$WORK/claim.db"))"
start=$(date +%s%N)
SALESAGENT_DB=$WORK/claim.db "$BIN" purge --json -q > "$WORK/purge.json"
end=$(date +%s%N)
echo "purge: $(awk -v ns=$((end - start)) 'BEGIN { printf "%.1f", ns / 1e9 }') s, $(grep -o '"kind":"finished_jobs","older_than_days":7,"rows":[0-9]*,"files":0,"batches":[0-9]*' "$WORK/purge.json")"
echo "claim of 10: $(claim_ms "$WORK/claim.db") ms after purge (database $(size "$WORK/claim.db"), freed pages kept for reuse)"

echo "== 2. intake p99 at 200 requests/s for 30 s, alone and while purge deletes $JOBS jobs"
make_db "$WORK/intake.db"
start_serve "$BIN" "$WORK/intake.db" --workers 0
echo "alone:         $("$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 16 --rate 200 --requests 6000 --tag alone)"
SALESAGENT_DB=$WORK/intake.db "$BIN" purge --json -q > "$WORK/purge2.json" &
PURGE=$!
echo "while purging: $("$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 16 --rate 200 --requests 6000 --tag purging)"
if kill -0 "$PURGE" 2>/dev/null; then echo "(purge still running when the load ended)"; fi
wait "$PURGE"
echo "purge: $(grep -o '"kind":"finished_jobs","older_than_days":7,"rows":[0-9]*' "$WORK/purge2.json")"
stop_serve
