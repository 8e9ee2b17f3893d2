#!/usr/bin/env bash
# The cost of tenant routing and scoping (issue 15): one tenant against ten, side by side in one
# run. Prints figures; asserts nothing.
#
#   bench/tenants.sh [REQUESTS] [BACKLOG] [ROUNDS]
#
# Each round, alternating: intake of REQUESTS signed webhooks at 64 connections into
# `serve --workers 0` (no tenants declared, every submission from one portal; then ten tenants
# t0..t9 each owning one portal, the submissions spread over the ten), CPU per request and rate;
# then end to end from a BACKLOG of the same shape with `serve --workers 2`, workflows/s.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-20000}
BACKLOG=${2:-20000}
ROUNDS=${3:-2}
export CARGO_TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
cargo build --release --quiet --bin salesagent --example loadgen
WORK=$(mktemp -d)
cp "$CARGO_TARGET_DIR/release/salesagent" "$WORK/salesagent"
cp "$CARGO_TARGET_DIR/release/examples/loadgen" "$WORK/loadgen"
BIN=$WORK/salesagent
GEN=$WORK/loadgen
export SALESAGENT_WEBHOOK_SECRET=bench-secret-0123456789
export SALESAGENT_DATA_DIR=$WORK
PID=
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
# shellcheck source=bench/serve.sh
. bench/serve.sh

: > "$WORK/one.toml"
for i in $(seq 0 9); do
  printf '[tenants.t%d]\nportal_ids = [%d]\n' "$i" $((62515 + i))
done > "$WORK/ten.toml"

cpu_us() { # N: CPU (user + system) per request of the server, in microseconds
  awk -v n="$1" -v hz="$(getconf CLK_TCK)" '{printf "%.0f", ($14 + $15) * 1e6 / hz / n}' "/proc/$PID/stat"
}

portals() { [ "$1" = one ] && echo 1 || echo 10; }

intake() { # one|ten
  local db="$WORK/intake-$1.db" out
  rm -f "$db" "$db-wal" "$db-shm"
  SALESAGENT_CONFIG=$WORK/$1.toml start_serve "$BIN" "$db" --workers 0
  out=$("$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 64 \
    --requests "$REQUESTS" --portals "$(portals "$1")" --tag "i$1")
  printf '  intake %-3s tenant(s): %s; CPU %s µs/request\n' "$1" "$(echo "$out" | tr '\n' ' ')" "$(cpu_us "$REQUESTS")"
  stop_serve
}

e2e() { # one|ten
  local db="$WORK/e2e-$1.db"
  rm -f "$db" "$db-wal" "$db-shm"
  rm -rf "$WORK/mail"
  SALESAGENT_CONFIG=$WORK/$1.toml start_serve "$BIN" "$db" --workers 0
  "$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 64 \
    --requests "$BACKLOG" --portals "$(portals "$1")" --tag "e$1" >/dev/null
  stop_serve
  SALESAGENT_CONFIG=$WORK/$1.toml start_serve "$BIN" "$db" --workers 2
  printf '  e2e    %-3s tenant(s): %s\n' "$1" "$("$GEN" wait --db "$db" | tr '\n' ' ')"
  stop_serve
}

python3 bench/machine.py "$WORK"
for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r"
  intake one; intake ten
  e2e one; e2e ten
done
