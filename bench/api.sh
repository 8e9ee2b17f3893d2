#!/usr/bin/env bash
# /api/v1 figures (issue 17). Prints figures; asserts nothing.
#
#   bench/api.sh [DRAFTS] [REQUESTS]
#
# 1. read: GET /api/v1/drafts?status=pending_review (the default page of 50) over DRAFTS
#    (default 100000) pending drafts, 8 keep-alive connections, 5000 requests: p50/p99.
#    The drafts are one real pipeline run cloned in SQL (running 100,000 workflows would take
#    minutes and measure the worker, not the read).
# 2. write: REQUESTS (default 20000) POST /api/v1/submissions at 64 connections, and the same
#    number of signed webhooks at 64 connections, into the same `serve --workers 0` in the same
#    run, so the two figures share the machine's state.
set -euo pipefail
cd "$(dirname "$0")/.."
DRAFTS=${1:-100000}
REQUESTS=${2:-20000}
export CARGO_TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
cargo build --release --quiet --bin salesagent --example loadgen
WORK=$(mktemp -d)
cp "$CARGO_TARGET_DIR/release/salesagent" "$WORK/salesagent"
cp "$CARGO_TARGET_DIR/release/examples/loadgen" "$WORK/loadgen"
BIN=$WORK/salesagent
GEN=$WORK/loadgen
export SALESAGENT_WEBHOOK_SECRET=bench-secret
export SALESAGENT_DATA_DIR=$WORK
PID=
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
# shellcheck source=bench/serve.sh
. bench/serve.sh

key_for() { # DB: a key with every scope and no practical rate limit
  SALESAGENT_DB=$1 "$BIN" --json keys create --name bench \
    --scope submissions:write,drafts:read,workflows:read --rate 1000000 --burst 1000000 |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])'
}

python3 bench/machine.py "$WORK"

echo "== 1. read: GET /api/v1/drafts?status=pending_review over $DRAFTS pending drafts"
DB=$WORK/read.db
KEY=$(key_for "$DB")
start_serve "$BIN" "$DB" --workers 1
BASE=${URL%/api/webhooks/hubspot/forms}
curl -s -o /dev/null -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
  -d '{"email":"seed@example.com","first_name":"Seed","message":"hello"}' "$BASE/api/v1/submissions"
for _ in $(seq 1 200); do
  [ "$(python3 -c "import sqlite3; print(sqlite3.connect('$DB').execute('select count(*) from drafts').fetchone()[0])")" = 1 ] && break
  sleep 0.1
done
stop_serve
python3 - "$DB" "$((DRAFTS - 1))" <<'PY'
import sqlite3, sys
db, extra = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
def clone(table, changes, key):
    cols = [r[1] for r in c.execute(f"pragma table_info({table})")]
    select = ", ".join(changes.get(col, col) for col in cols)
    c.execute(f"""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                  INSERT INTO {table} ({", ".join(cols)}) SELECT {select} FROM {table}, n WHERE {key}""",
              (extra,))
clone("submissions", {"id": "id || '-' || i", "dedupe_key": "dedupe_key || '-' || i",
                      "signature": "NULL", "received_at": "received_at + i"}, "id NOT LIKE '%-%-%-%-%-%'")
clone("workflows", {"id": "id || '-' || i", "submission_id": "submission_id || '-' || i",
                    "created_at": "created_at + i", "updated_at": "updated_at + i"}, "id NOT LIKE '%-%-%-%-%-%'")
clone("drafts", {"id": "id || '-' || i", "workflow_id": "workflow_id || '-' || i",
                 "message_id": "'<' || i || '.' || substr(message_id, 2)", "remote_draft_id": "NULL",
                 "created_at": "created_at + i", "updated_at": "updated_at + i"}, "id NOT LIKE '%-%-%-%-%-%'")
c.commit()
print("pending drafts:", c.execute("select count(*) from drafts where status = 'pending_review'").fetchone()[0])
PY
start_serve "$BIN" "$DB" --workers 0
BASE=${URL%/api/webhooks/hubspot/forms}
"$GEN" post --url "$BASE/api/v1/drafts?status=pending_review" --api-key "$KEY" --get \
  --connections 8 --requests 5000 --tag read
stop_serve

echo "== 2. write: $REQUESTS API submissions vs $REQUESTS signed webhooks, 64 connections, same serve"
DB=$WORK/write.db
KEY=$(key_for "$DB")
start_serve "$BIN" "$DB" --workers 0
BASE=${URL%/api/webhooks/hubspot/forms}
echo -n "webhook: "
"$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 64 --requests "$REQUESTS" --tag hook
echo -n "api:     "
"$GEN" post --url "$BASE/api/v1/submissions" --api-key "$KEY" --connections 64 --requests "$REQUESTS" --tag api
echo -n "webhook: "
"$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 64 --requests "$REQUESTS" --tag hook2
stop_serve
python3 -c "import sqlite3; c = sqlite3.connect('$DB'); print('stored:', dict(c.execute('select shape, count(*) from submissions group by shape').fetchall()))"
