#!/usr/bin/env bash
# What intake's optional B-trees cost (issue 16): the same build on a fresh database as migrated
# ("full") and with INDEXES dropped by hand before the load ("dropped"), alternating, ROUNDS
# times; prints each run's rate, p99, CPU per request (process, intake writer) and
# `loadgen verify`. An experiment, not a configuration: no reader is moved, so the queries the
# dropped indexes served may scan.
#
#   BIN=path/to/salesagent GEN=path/to/loadgen bench/intake-indexes.sh [ROUNDS=3] [INDEXES...]
#
# Default INDEXES: workflows_created jobs_workflow (one of each pair the fifth round named).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
shift || true
INDEXES=("$@")
[ ${#INDEXES[@]} -gt 0 ] || INDEXES=(workflows_created jobs_workflow)
REQUESTS=20000
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BIN=${BIN:?set BIN to a release salesagent}
GEN=${GEN:?set GEN to a release loadgen}
export SALESAGENT_WEBHOOK_SECRET=bench-secret SALESAGENT_DATA_DIR=$WORK
# shellcheck source=bench/serve.sh
. bench/serve.sh
cpu_us() { # process (writer) CPU per request, microseconds
  local hz writer=0 t
  hz=$(getconf CLK_TCK)
  for t in /proc/"$PID"/task/*; do
    [ "$(cat "$t/comm")" = intake-writer ] &&
      writer=$(awk -v hz="$hz" -v n=$REQUESTS '{printf "%.0f", ($14 + $15) * 1e6 / hz / n}' "$t/stat")
  done
  echo "$(awk -v hz="$hz" -v n=$REQUESTS '{printf "%.0f", ($14 + $15) * 1e6 / hz / n}' "/proc/$PID/stat") ($writer)"
}
echo "dropping: ${INDEXES[*]}"
for r in $(seq 1 "$ROUNDS"); do
  for v in full dropped; do
    db=$WORK/$v-$r.db
    start_serve "$BIN" "$db" --workers 0
    stop_serve
    if [ $v = dropped ]; then
      python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for i in sys.argv[2:]:
    c.execute("DROP INDEX " + i)
c.commit()' "$db" "${INDEXES[@]}"
    fi
    start_serve "$BIN" "$db" --workers 0
    out=$("$GEN" post --url "$URL" --secret bench-secret --connections 64 --requests $REQUESTS \
      --resend-pct 10 --tag "ix-$v-$r" --record "$WORK/answers-$v-$r")
    cpu=$(cpu_us)
    stop_serve
    echo "round $r $v (load $(cut -d' ' -f1 /proc/loadavg)): $(grep -o 'throughput [0-9]*/s' <<<"$out"), $(grep -o 'p99 [0-9.]* ms' <<<"$out"), CPU/request $cpu us, $(writer_stats | grep -o 'avg_batch:[0-9.]*')"
    echo "  $("$GEN" verify --db "$db" --record "$WORK/answers-$v-$r")"
  done
done
