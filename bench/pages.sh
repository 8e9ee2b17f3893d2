#!/usr/bin/env bash
# Pages written and read per workflow, by B-tree (issue 16, ninth round). Prints counts; asserts
# nothing. Not a rate benchmark: the tracer adds a lock and a buffered record per page access.
#
#   bench/pages.sh [BACKLOG] [BIN]
#
# Posts BACKLOG (default 5000) signed webhooks into `serve --workers 0`, then drains them with
# `serve --workers 2` and the embedded connectors with bench/pagetrace (an LD_PRELOAD shim)
# logging every pread/pwrite on the database and its WAL, and bench/pages.py maps each page to
# its B-tree with SQLite's `dbstat` table (Python's sqlite3 has it). BIN is a prebuilt salesagent
# (default: this tree's release build); the load generator comes from this tree.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKLOG=${1:-5000}
export CARGO_TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
if [ -z "${2:-}" ] || [ ! -x "$CARGO_TARGET_DIR/release/examples/loadgen" ]; then
  cargo build --release --quiet --bin salesagent --example loadgen
fi
WORK=$(mktemp -d)
cp "${2:-$CARGO_TARGET_DIR/release/salesagent}" "$WORK/salesagent"
cp "$CARGO_TARGET_DIR/release/examples/loadgen" "$WORK/loadgen"
cc -O2 -shared -fPIC -o "$WORK/pagetrace.so" bench/pagetrace/pagetrace.c -ldl -lpthread
PID=
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
export SALESAGENT_WEBHOOK_SECRET=bench-secret SALESAGENT_DATA_DIR=$WORK/mail
mkdir -p "$SALESAGENT_DATA_DIR"
# shellcheck source=bench/serve.sh
. bench/serve.sh
DB=$WORK/pages.db
python3 bench/machine.py "$WORK"
start_serve "$WORK/salesagent" "$DB" --workers 0
"$WORK/loadgen" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 64 \
  --requests "$BACKLOG" --tag backlog >/dev/null
stop_serve
PAGETRACE_DB=$DB PAGETRACE_OUT=$WORK/pages.log LD_PRELOAD=$WORK/pagetrace.so \
  start_serve "$WORK/salesagent" "$DB" --workers 2
"$WORK/loadgen" wait --db "$DB"
stop_serve
python3 bench/pages.py "$WORK/pages.log" "$DB" "$BACKLOG"
# PAGES_KEEP=FILE keeps the drained database there (to look at its rows afterwards).
[ -n "${PAGES_KEEP:-}" ] && cp "$DB" "$PAGES_KEEP"
