#!/usr/bin/env bash
# Intake and end-to-end benchmark for `serve` (issue 4). Prints figures; asserts nothing.
#
#   bench/intake.sh [REQUESTS] [BACKLOG] [STEADY_SECONDS]
#
# 1. intake: REQUESTS (default 100000) signed v3 webhooks over 64 keep-alive connections to
#    `serve --workers 0` (synchronous=FULL group commit), throughput and p50/p95/p99, peak RSS.
# 2. end to end: a backlog of BACKLOG (default 20000) submissions, then `serve --workers 2`
#    with embedded connectors; workflows completed per second (first claim to last completion).
#    Set MAIL_DIR to put the embedded mailbox's draft files elsewhere (e.g. on tmpfs).
# 3. steady: 200 requests/s for STEADY_SECONDS (default 30) into `serve --workers 2`;
#    202-to-completed p50/p95/p99.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-100000}
BACKLOG=${2:-20000}
STEADY=${3:-30}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin salesagent --example loadgen
WORK=$(mktemp -d)
# Private copies: a shared target directory may be rebuilt from another branch meanwhile.
cp "$CARGO_TARGET_DIR/release/salesagent" "$WORK/salesagent"
cp "$CARGO_TARGET_DIR/release/examples/loadgen" "$WORK/loadgen"
BIN=$WORK/salesagent
GEN=$WORK/loadgen
"$BIN" serve --help >/dev/null || { echo "the built salesagent has no serve command (target dir shared with another branch?)" >&2; exit 1; }
export SALESAGENT_WEBHOOK_SECRET=bench-secret
# Draft .eml files go here; MAIL_DIR=/dev/shm/x separates the database from the mailbox's file cost.
export SALESAGENT_DATA_DIR=${MAIL_DIR:-$WORK}
PID=
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# shellcheck source=bench/serve.sh
. bench/serve.sh
peak_rss() { awk '/VmHWM/ {printf "%.1f MB", $2/1024}' "/proc/$PID/status"; }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1. intake: $REQUESTS signed webhooks, 64 connections, synchronous=FULL group commit, no workers"
start_serve "$BIN" "$WORK/intake.db" --workers 0
"$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 64 --requests "$REQUESTS" --tag intake
echo "serve peak RSS: $(peak_rss)"
stop_serve

echo "== 2. end to end: backlog of $BACKLOG, then serve with 2 workers (embedded connectors)"
start_serve "$BIN" "$WORK/e2e.db" --workers 0
"$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 64 --requests "$BACKLOG" --tag backlog >/dev/null
stop_serve
start_serve "$BIN" "$WORK/e2e.db" --workers 2
"$GEN" wait --db "$WORK/e2e.db"
echo "serve peak RSS: $(peak_rss)"
stop_serve

echo "== 3. steady 200 requests/s for ${STEADY}s into serve with 2 workers"
start_serve "$BIN" "$WORK/steady.db" --workers 2
"$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 16 --rate 200 --requests $((200 * STEADY)) --tag steady
"$GEN" wait --db "$WORK/steady.db" >/dev/null
"$GEN" latency --db "$WORK/steady.db"
stop_serve
