#!/usr/bin/env bash
# Readiness latency under 64 concurrent /metrics scrapers (issue 11). Prints figures; asserts nothing.
#
#   bench/scrape.sh [ROWS] [SCRAPERS] [SECONDS]
#
# Imports ROWS leads (default 50000: that many workflows and batch jobs for the store gauges to
# count), starts `serve --workers 0` so the backlog stays, and runs bench/scrape.py against it.
set -euo pipefail
ROWS=${1:-50000}
SCRAPERS=${2:-64}
SECONDS_=${3:-20}
. "$(dirname "$0")/common.sh"
export SALESAGENT_DB=$WORK/scrape.db SALESAGENT_WEBHOOK_SECRET=bench-secret SALESAGENT_DATA_DIR=$WORK
PID=
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
gen_csv "$WORK/leads.csv" "$ROWS"
"$BIN" import "$WORK/leads.csv" -q
"$BIN" serve --listen 127.0.0.1:0 --workers 0 2>"$WORK/serve.log" &
PID=$!
for _ in $(seq 1 200); do
  grep -q "listening on" "$WORK/serve.log" && break
  sleep 0.1
done
URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$WORK/serve.log" | head -1)
echo "store: $ROWS workflows and batch jobs; serve at $URL"
python3 "$ROOT/bench/scrape.py" "$URL" "$SCRAPERS" "$SECONDS_"
