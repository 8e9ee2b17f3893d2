#!/usr/bin/env bash
# End-to-end throughput of two builds side by side, in one run (issue 10: fencing must not cost
# the pipeline). Prints figures; asserts nothing.
#
#   bench/e2e-compare.sh BASE_REV [BACKLOG] [ROUNDS]
#
# Builds BASE_REV (e.g. main) and the working tree in release, then, ROUNDS times (default 1),
# alternating base and this build: a backlog of BACKLOG (default 100000) signed webhooks into
# `serve --workers 0`, then `serve --workers 2` with embedded connectors until every workflow is
# completed (workflows per second, first claim to last completion, as bench/intake.sh part 2),
# with the server's CPU per workflow and, per worker thread and workflow it ran, the time it was
# blocked (flushes, lock waits, idle), on a CPU and waiting for one (/proc/PID/task/TID/schedstat).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_REV=${1:?usage: bench/e2e-compare.sh BASE_REV [BACKLOG] [ROUNDS]}
BACKLOG=${2:-100000}
ROUNDS=${3:-1}
export CARGO_TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
WORK=$(mktemp -d)
BASE_TREE=$WORK/base-tree
PID=
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null
  git worktree remove --force "$BASE_TREE" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
BASE_SHA=$(git rev-parse --short "$BASE_REV")
git worktree add --detach -q "$BASE_TREE" "$BASE_SHA"
(cd "$BASE_TREE" && cargo build --release --quiet --bin salesagent)
cp "$CARGO_TARGET_DIR/release/salesagent" "$WORK/base"
cargo build --release --quiet --bin salesagent --example loadgen
cp "$CARGO_TARGET_DIR/release/salesagent" "$WORK/new"
cp "$CARGO_TARGET_DIR/release/examples/loadgen" "$WORK/loadgen"
export SALESAGENT_WEBHOOK_SECRET=bench-secret
export SALESAGENT_DATA_DIR=${MAIL_DIR:-$WORK}

# shellcheck source=bench/serve.sh
. bench/serve.sh

# worker_figures N: CPU per workflow of the server, and per worker thread blocked / on CPU /
# runqueue in ms per workflow it ran (N split over 2 workers); the mailbox's syncing threads' CPU.
worker_figures() {
  local n=$1 hz t oncpu runq start up sync=0 threads=""
  hz=$(getconf CLK_TCK)
  up=$(cut -d' ' -f1 /proc/uptime)
  for t in /proc/"$PID"/task/*; do
    case $(cat "$t/comm") in
      worker-*)
        read -r oncpu runq _ < "$t/schedstat"
        start=$(awk '{print $22}' "$t/stat")
        threads="$threads $(awk -v on="$oncpu" -v rq="$runq" -v st="$start" -v up="$up" -v hz="$hz" -v n=$((n / 2)) \
          'BEGIN { wall = (up - st / hz) * 1e9; printf "%.2f/%.2f/%.2f", (wall - on - rq) / 1e6 / n, on / 1e6 / n, rq / 1e6 / n }')" ;;
      mail-sync) sync=$(awk -v a="$sync" -v hz="$hz" '{print a + ($14 + $15) / hz}' "$t/stat") ;;
    esac
  done
  awk -v hz="$hz" -v n="$n" -v s="$sync" '{printf "      CPU per workflow %.3f ms (mail-sync %.3f ms)", ($14 + $15) / hz * 1000 / n, s * 1000 / n}' "/proc/$PID/stat"
  echo "; per worker thread, ms per workflow blocked/on-CPU/runqueue:$threads"
}

e2e() { # LABEL BIN
  local label=$1 bin=$2 db="$WORK/$1.db"
  rm -f "$db" "$db-wal" "$db-shm"; rm -rf "$SALESAGENT_DATA_DIR/mail"
  start_serve "$bin" "$db" --workers 0
  "$WORK/loadgen" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 64 \
    --requests "$BACKLOG" --tag backlog >/dev/null
  stop_serve
  start_serve "$bin" "$db" --workers 2
  printf '%-5s ' "$label"
  "$WORK/loadgen" wait --db "$db"
  worker_figures "$BACKLOG"
  stop_serve
}

python3 bench/machine.py "$WORK" "; base $BASE_REV = $BASE_SHA, new = working tree"
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round: backlog $BACKLOG, serve --workers 2, embedded connectors"
  e2e base "$WORK/base"
  e2e new "$WORK/new"
done
