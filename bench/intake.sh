#!/usr/bin/env bash
# Intake and end-to-end benchmark for `serve` (issues 4 and 16). Prints figures; asserts nothing
# except that the database holds every submission the server answered 202.
#
#   bench/intake.sh [REQUESTS] [BACKLOG] [STEADY_SECONDS] [ROUNDS]
#
# 1. intake, side by side: REQUESTS (default 20000) signed v3 webhooks over 64 keep-alive
#    connections, 10% of them re-sends of an earlier submission, into `serve --workers 0`
#    (synchronous=FULL group commit) and into the bare spike of the same path
#    (bench/limit-spike: v3 HMAC + JSON parse + one group-committed transaction, nothing else),
#    with the same load generator, alternating, ROUNDS times (default 2). Prints each one's
#    throughput, p99 and peak RSS, the ratio product/spike, the writers' batch sizes, and checks
#    the database against the load generator's record of every answer (`loadgen verify`).
#    Set BASE_BIN=path/to/another/salesagent to run an earlier build in the same rounds, MID_BIN
#    for a third, and NEW_BIN to measure a prebuilt salesagent as "product" instead of building
#    this tree (the load generator and the spike are then built only when absent).
# 2. end to end: a backlog of BACKLOG (default 100000; 0 skips) submissions, then
#    `serve --workers 2` with embedded connectors; workflows completed per second (first claim to
#    last completion), and CPU per workflow. Set MAIL_DIR to put the embedded mailbox's draft
#    files elsewhere. With BASE_BIN set, that build then drains a copy of the same backlog, and
#    E2E_PAIRS=N makes it N pairs, alternating which build drains first.
# 3. steady: 200 requests/s for STEADY_SECONDS (default 30; 0 skips) into `serve --workers 2`;
#    202-to-completed p50/p95/p99.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-20000}
BACKLOG=${2:-100000}
STEADY=${3:-30}
ROUNDS=${4:-2}
export CARGO_TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
if [ -z "${NEW_BIN:-}" ] || [ ! -x "$CARGO_TARGET_DIR/release/examples/loadgen" ]; then
  cargo build --release --quiet --bin salesagent --example loadgen
fi
# The spike is a crate of its own (its own workspace), so `cargo test` never builds it.
if [ -z "${NEW_BIN:-}" ] || [ ! -x "$CARGO_TARGET_DIR/limit-spike/release/limit_spike" ]; then
  (cd bench/limit-spike && CARGO_TARGET_DIR="$CARGO_TARGET_DIR/limit-spike" cargo build --release --quiet)
fi
WORK=$(mktemp -d)
# Private copies: a shared target directory may be rebuilt from another branch meanwhile.
cp "${NEW_BIN:-$CARGO_TARGET_DIR/release/salesagent}" "$WORK/salesagent"
cp "$CARGO_TARGET_DIR/release/examples/loadgen" "$WORK/loadgen"
cp "$CARGO_TARGET_DIR/limit-spike/release/limit_spike" "$WORK/spike"
[ -n "${BASE_BIN:-}" ] && cp "$BASE_BIN" "$WORK/base"
[ -n "${MID_BIN:-}" ] && cp "$MID_BIN" "$WORK/mid"
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
peak_rss() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$PID/status"; }
# cpu_us N: CPU (user + system) the server spent per request, whole process and its writer thread,
# in microseconds. Unlike a rate, it hardly moves when other processes compete for the cores.
cpu_us() {
  local tick total writer=0 t
  tick=$(getconf CLK_TCK)
  total=$(awk -v n="$1" -v hz="$tick" '{printf "%.0f", ($14 + $15) * 1e6 / hz / n}' "/proc/$PID/stat")
  for t in /proc/"$PID"/task/*; do
    case $(cat "$t/comm") in intake-writer|sqlite-writer)
      writer=$(awk -v n="$1" -v hz="$tick" '{printf "%.0f", ($14 + $15) * 1e6 / hz / n}' "$t/stat") ;;
    esac
  done
  echo "$total $writer"
}

start_spike() { # DB
  : > "$WORK/serve.log"
  SECRET=$SALESAGENT_WEBHOOK_SECRET PORT=0 DB_PATH=$1 COMMIT=group ID_KIND=v7 \
    STATS_FILE="$WORK/spike-stats.json" "$WORK/spike" 2>"$WORK/serve.log" &
  PID=$!
  await_address
}

# intake LABEL: one measured intake run; prints its figures and leaves its rate in RATE and its
# CPU per request in CPU.
intake() {
  local label=$1 db="$WORK/intake-$1.db" out
  rm -f "$db" "$db-wal" "$db-shm"
  case $label in
    spike) start_spike "$db" ;;
    base) start_serve "$WORK/base" "$db" --workers 0 ;;
    mid) start_serve "$WORK/mid" "$db" --workers 0 ;;
    *) start_serve "$BIN" "$db" --workers 0 ;;
  esac
  out=$("$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 64 \
    --requests "$REQUESTS" --resend-pct 10 --tag "intake-$label" --record "$WORK/answers")
  local rss cpu
  rss=$(peak_rss)
  cpu=$(cpu_us "$REQUESTS")
  stop_serve
  RATE=$(grep -o 'throughput [0-9]*' <<<"$out" | awk '{print $2}')
  local p99 statuses writer
  p99=$(grep -o 'p99 [0-9.]* ms' <<<"$out")
  statuses=$(grep -o 'statuses .*' <<<"$out")
  if [ "$label" = spike ]; then
    writer=$(tr -d '{}"' < "$WORK/spike-stats.json" | tr ',' '\n' | grep -E '^(txns|avg_batch|max_batch|exec_s|commit_s):' | tr '\n' ' ')
  else
    writer=$(writer_stats)
  fi
  CPU=${cpu% *}
  printf '%-6s %6s/s  %s  peak RSS %5s MB  CPU/request %s us (writer %s us)  %s\n' \
    "$label" "$RATE" "$p99" "$rss" "$CPU" "${cpu#* }" "$statuses"
  printf '       writer: %s\n' "${writer:-(no statistics)}"
  printf '       '; "$GEN" verify --db "$db" --record "$WORK/answers"
}

python3 bench/machine.py "$WORK"
echo "== 1. intake: $REQUESTS signed webhooks (10% re-sends), 64 connections, synchronous=FULL group commit, no workers; $ROUNDS rounds"
for round in $(seq 1 "$ROUNDS"); do
  echo "-- round $round ($(python3 bench/machine.py "$WORK" | sed 's/^machine: //'))"
  # Each round starts one further along the list, so a load spike on the machine (or a page
  # cache warmed by the one before) does not always favour the same build.
  builds=(product spike)
  [ -n "${MID_BIN:-}" ] && builds+=(mid)
  [ -n "${BASE_BIN:-}" ] && builds+=(base)
  order=
  for i in "${!builds[@]}"; do order="$order ${builds[$(((i + round - 1) % ${#builds[@]}))]}"; done
  declare -A rates=() cpus=()
  for who in $order; do
    intake "$who"
    rates[$who]=$RATE
    cpus[$who]=$CPU
  done
  awk -v p="${rates[product]}" -v s="${rates[spike]}" -v pc="${cpus[product]}" -v sc="${cpus[spike]}" \
    'BEGIN { printf "ratio product/spike: rate %.2f, CPU per request %.2f\n", p / s, pc / sc }'
  if [ -n "${MID_BIN:-}" ]; then
    awk -v p="${rates[mid]}" -v s="${rates[spike]}" -v pc="${cpus[mid]}" -v sc="${cpus[spike]}" \
      'BEGIN { printf "ratio mid/spike:     rate %.2f, CPU per request %.2f\n", p / s, pc / sc }'
  fi
  if [ -n "${BASE_BIN:-}" ]; then
    awk -v p="${rates[base]}" -v s="${rates[spike]}" -v pc="${cpus[base]}" -v sc="${cpus[spike]}" \
      'BEGIN { printf "ratio base/spike:    rate %.2f, CPU per request %.2f\n", p / s, pc / sc }'
  fi
done

if [ "$BACKLOG" -gt 0 ]; then
  echo "== 2. end to end: backlog of $BACKLOG, then serve with 2 workers (embedded connectors)"
  # The backlog is posted by the older of the builds (BASE_BIN when set), and each build drains
  # its own copy of it (and its own mailbox), so the builds alternate on identical work. Posted by
  # the newer one, a database that build migrated would be refused by the older (exit 3).
  poster=$BIN
  [ -n "${BASE_BIN:-}" ] && poster=$WORK/base
  start_serve "$poster" "$WORK/e2e.db" --workers 0
  "$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 64 --requests "$BACKLOG" --tag backlog >/dev/null
  stop_serve
  cp "$WORK/e2e.db" "$WORK/backlog.db"
  [ -f "$WORK/e2e.db-wal" ] && cp "$WORK/e2e.db-wal" "$WORK/backlog.db-wal"
  # With BASE_BIN, E2E_PAIRS (default 1) pairs, the first of a pair alternating.
  e2e_order=product
  if [ -n "${BASE_BIN:-}" ]; then
    e2e_order=
    for pair in $(seq 1 "${E2E_PAIRS:-1}"); do
      if [ $((pair % 2)) -eq 1 ]; then e2e_order="$e2e_order product base"; else e2e_order="$e2e_order base product"; fi
    done
  fi
  for who in $e2e_order; do
    rm -f "$WORK/e2e.db-wal" "$WORK/e2e.db-shm"; cp "$WORK/backlog.db" "$WORK/e2e.db"
    [ -f "$WORK/backlog.db-wal" ] && cp "$WORK/backlog.db-wal" "$WORK/e2e.db-wal"
    export SALESAGENT_DATA_DIR="${MAIL_DIR:-$WORK}/mail-$who"
    mkdir -p "$SALESAGENT_DATA_DIR"
    echo "-- $who ($(python3 bench/machine.py "$WORK" | sed 's/^machine: //'))"
    if [ "$who" = base ]; then bin=$WORK/base; else bin=$BIN; fi
    start_serve "$bin" "$WORK/e2e.db" --workers 2
    # The WAL's largest size while it drains (sampled every 100 ms; it must stay bounded).
    (max=0; while kill -0 "$PID" 2>/dev/null; do
       s=$(stat -c %s "$WORK/e2e.db-wal" 2>/dev/null || echo 0)
       [ "$s" -gt "$max" ] && max=$s && echo "$max" > "$WORK/wal-max"
       sleep 0.1
     done) &
    watcher=$!
    "$GEN" wait --db "$WORK/e2e.db"
    # CPU per workflow, user and kernel apart (issue 16's sixth and seventh rounds).
    awk -v hz="$(getconf CLK_TCK)" -v n="$BACKLOG" \
      '{printf "CPU per workflow: user %.3f ms, kernel %.3f ms\n", $14/hz*1000/n, $15/hz*1000/n}' "/proc/$PID/stat"
    echo "serve peak RSS: $(peak_rss) MB"
    stop_serve
    kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null || true
    [ -f "$WORK/wal-max" ] && awk '{printf "largest WAL: %.1f MB (%d frames)\n", $1/1048576, ($1 - 32) / 4120}' "$WORK/wal-max"
    rm -f "$WORK/wal-max"
    # Each checkpointer's passes, largest WAL seen and WAL resets (the intake's; the pool's).
    grep 'checkpointer stopped' "$WORK/serve.log" \
      | grep -oE '"(passes|largest_wal_frames|resets_asked|resets_done)":"?[0-9]*' | tr -d '"' \
      | paste -sd' ' | sed 's/^/checkpointers: /' || true
  done
  rm -rf "${MAIL_DIR:-$WORK}/mail-product" "${MAIL_DIR:-$WORK}/mail-base"
  export SALESAGENT_DATA_DIR=${MAIL_DIR:-$WORK}
fi

if [ "$STEADY" -gt 0 ]; then
  echo "== 3. steady 200 requests/s for ${STEADY}s into serve with 2 workers"
  start_serve "$BIN" "$WORK/steady.db" --workers 2
  "$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 16 --rate 200 --requests $((200 * STEADY)) --tag steady
  "$GEN" wait --db "$WORK/steady.db" >/dev/null
  "$GEN" latency --db "$WORK/steady.db"
  stop_serve
fi
