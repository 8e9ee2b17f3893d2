#!/usr/bin/env bash
# The cost of each backend, SQLite and PostgreSQL, side by side in one run (issue 19). Prints
# figures and their ratio postgres/sqlite; asserts nothing except that every 202 is stored.
#
#   bench/postgres.sh [REQUESTS] [BACKLOG] [STEADY_SECONDS]
#   bench/postgres.sh 20000 0 0          (intake only)
#
# For each backend:
# 1. intake: REQUESTS (default 20000) signed v3 webhooks (10% re-sends) over 64 connections into
#    one `serve --workers 0`, then into two `serve --workers 0` on one database (32 connections
#    each, at once); rate, p99, each intake writer's batch size and time per commit, and
#    `loadgen verify` of the database against every answer.
#    REQUESTS=0 skips it (e.g. `bench/postgres.sh 0 20000 0`: end to end only).
# 2. end to end: a backlog of BACKLOG (default 100000; 0 skips), then two `worker` processes
#    (WORKER_THREADS each, default 1) with the embedded connectors; workflows/s, and the CPU
#    seconds per workflow of the workers (and of PostgreSQL's server processes). On PostgreSQL
#    also: commits and statements per workflow (`pg_stat_database.xact_commit`,
#    `pg_stat_statements`, which the bench's own cluster loads) and what its backends waited on
#    (`pg_stat_activity` sampled every 0.2 s: advisory lock, row locks, WAL, client).
#    BACKENDS=postgres (or sqlite) runs one backend only.
# 3. claim latency: CLAIM_RATE requests/s (default 200) for STEADY_SECONDS (default 30; 0 skips)
#    into `serve --workers 0` with 8 `worker` processes (one thread each); runnable-to-claimed
#    p50/p95/p99 of first attempts. A rate above what the workers finish measures the backlog's
#    wait, not the claim: keep it below the end-to-end figure.
#
# TRACK_PLANNING=1 adds each statement's plans and planning time; TRACK_NESTED=1 counts the
# statements run inside others (foreign-key checks) on lines of their own.
# BIN=path/to/salesagent and GEN=path/to/loadgen skip the release build (e.g. debug binaries for a
# quick check that the script works; never for figures).
# BASE_BIN=path/to/another/salesagent: end to end, that build also drains a copy of the same
# backlog (`CREATE DATABASE … TEMPLATE` on PostgreSQL, a file copy on SQLite), right after or
# before this one; E2E_PAIRS=N (default 1) makes it N pairs, alternating which build drains
# first, each drain after a `bench/machine.py` line, and ends with each pair's figures and their
# means. Both builds must read the backlog's schema (a build older than its migrations refuses it).
# PostgreSQL: the server BENCH_PG names (a URL whose user may CREATE DATABASE), else a throwaway
# cluster of its own started by scripts/pg.sh on port ${BENCH_PGPORT:-55440} (same host, fsync on,
# synchronous_commit = on), stopped at the end; PG_SOCKET=1 connects to that cluster by its Unix
# socket instead of TCP; PG_SETTINGS="shared_buffers=4GB max_wal_size=8GB" sets its server settings.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-20000}
BACKLOG=${2:-100000}
STEADY=${3:-30}
WORKER_THREADS=${WORKER_THREADS:-1}
CLAIM_RATE=${CLAIM_RATE:-200}
[ -n "${E2E_PAIRS:-}" ] && [ -z "${BASE_BIN:-}" ] && echo "E2E_PAIRS compares two builds: set BASE_BIN too (one drain of BIN now)" >&2
case ${E2E_PAIRS:-1} in
  '' | *[!0-9]* | 0) echo "E2E_PAIRS must be a whole number ≥ 1, not '$E2E_PAIRS'" >&2; exit 2 ;;
esac
E2E_PAIRS=${E2E_PAIRS:-1}
if [ -z "${BIN:-}" ] || [ -z "${GEN:-}" ]; then
  CARGO_TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
  export CARGO_TARGET_DIR
  cargo build --release --quiet --bin salesagent --example loadgen
  BIN=$CARGO_TARGET_DIR/release/salesagent
  GEN=$CARGO_TARGET_DIR/release/examples/loadgen
fi
WORK=$(mktemp -d)
# Private copies: a shared target directory may be rebuilt from another branch meanwhile.
cp "$BIN" "$WORK/salesagent"; BIN=$WORK/salesagent
cp "$GEN" "$WORK/loadgen"; GEN=$WORK/loadgen
if [ -n "${BASE_BIN:-}" ]; then cp "$BASE_BIN" "$WORK/base"; BASE_BIN=$WORK/base; fi
export SALESAGENT_WEBHOOK_SECRET=bench-secret
PID=
PIDS=()
own_pg=
cleanup() {
  for p in $PID "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$own_pg" ] && PGPORT=$BENCH_PGPORT PGDATA_DIR=$PGDIR scripts/pg.sh stop
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=bench/serve.sh
. bench/serve.sh
# shellcheck source=bench/ticks.sh
. bench/ticks.sh

BENCH_PGPORT=${BENCH_PGPORT:-55440}
# Outside WORK: the server runs as the postgres user, who cannot enter mktemp's private directory.
PGDIR=/tmp/salesagent-bench-pg-$$
if [ -n "${BENCH_PG:-}" ]; then
  PG=$BENCH_PG
  [ -n "${PG_SETTINGS:-}" ] && echo "PG_SETTINGS is for the bench's own cluster; the server BENCH_PG names keeps its settings" >&2
else
  own_pg=1
  PG=$(PGPORT=$BENCH_PGPORT PGDATA_DIR=$PGDIR scripts/pg.sh start)
fi
if [ -n "$own_pg" ]; then
  # Statement counts per workflow (end to end): the extension must be loaded at server start.
  psql -qAt "$PG" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
  # PG_SETTINGS="name=value …": server settings for the bench's own cluster, set before its
  # restart (so those that need one, like shared_buffers, take effect); printed below.
  for setting in ${PG_SETTINGS:-}; do
    case $setting in
      ?*=?*) psql -qAt "$PG" -c "ALTER SYSTEM SET ${setting%%=*} = '${setting#*=}'" >/dev/null ;;
      *) echo "PG_SETTINGS: '$setting' is not name=value (e.g. PG_SETTINGS=\"shared_buffers=4GB\")" >&2; exit 2 ;;
    esac
  done
  PGPORT=$BENCH_PGPORT PGDATA_DIR=$PGDIR scripts/pg.sh restart
  # TRACK_PLANNING=1: each statement's plans and planning time too (which are planned afresh);
  # the setting exists once the library is loaded.
  if [ -n "${TRACK_PLANNING:-}" ]; then
    psql -qAt "$PG" -c "ALTER SYSTEM SET pg_stat_statements.track_planning = on" \
      -c "SELECT pg_reload_conf()" >/dev/null
  fi
  # Table statistics as a long-running server has them. Every run starts from empty tables (the
  # embedded CRM's fill up during the drain), and autovacuum analyzes a table at most once per
  # naptime (60 s by default): a drain shorter than that ran on the statements' generic plans
  # made for empty tables, which scan the whole tenant by a wrong index (the CRM task's reference
  # check by `crm_tasks_contact`, the contact's foreign-key check by `crm_contacts_email`, the
  # dedupe read by `workflows_created`), so each call cost more as the tables grew: ~20% of the
  # server's CPU per workflow at 20,000 (BENCHMARKS.md, issue 19, ninth round). ANALYZE_NAPTIME=60s
  # measures the server's default.
  psql -qAt "$PG" -c "ALTER SYSTEM SET autovacuum_naptime = '${ANALYZE_NAPTIME:-1s}'" \
    -c "SELECT pg_reload_conf()" >/dev/null
  # TRACK_NESTED=1: statements run inside statements too (a foreign key's check, a function's
  # queries), each on its own line, so what a statement's triggers cost shows apart.
  if [ -n "${TRACK_NESTED:-}" ]; then
    psql -qAt "$PG" -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'" \
      -c "SELECT pg_reload_conf()" >/dev/null
  fi
fi
# PG_SOCKET=1: every connection of the bench's own cluster goes through its Unix socket instead of
# TCP on 127.0.0.1 (the way a same-host deployment is usually connected: `host` in the URL is the
# socket's directory, percent-encoded).
# With BENCH_PG the URL given decides, and is not printed (it may hold a password).
if [ -n "$own_pg" ] && [ -n "${PG_SOCKET:-}" ]; then
  PG="postgres://postgres@${PGDIR//\//%2F}:$BENCH_PGPORT/postgres"
  echo "postgres connection: the Unix socket in $PGDIR"
elif [ -n "$own_pg" ]; then
  echo "postgres connection: TCP 127.0.0.1:$BENCH_PGPORT"
fi
for setting in synchronous_commit shared_buffers max_wal_size checkpoint_timeout wal_buffers; do
  psql -qAt "$PG" -c "SHOW $setting" | sed "s/^/postgres $setting = /"
done

# fresh_db BACKEND NAME: prints a new, empty database of BACKEND (a file, or a database on $PG).
fresh_db() {
  case $1 in
    sqlite) echo "$WORK/$2.db" ;;
    postgres)
      local name="bench_$2_$$"
      PGOPTIONS=--client-min-messages=warning psql -qAt "$PG" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
      echo "${PG%/*}/$name" ;;
  esac
}

# post URL CONNECTIONS REQUESTS TAG: the load generator's one-line summary.
post() {
  "$GEN" post --url "$1" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections "$2" --requests "$3" \
    --resend-pct 10 --tag "$4" --record "$WORK/answers-$4"
}

declare -A figure=()

# intake_one BACKEND: one server, 64 connections.
intake_one() {
  local db out
  db=$(fresh_db "$1" intake1)
  start_serve "$BIN" "$db" --workers 0
  out=$(post "$URL" 64 "$REQUESTS" "one-$1")
  stop_serve
  figure[$1 intake 1 serve /s]=$(grep -o 'throughput [0-9]*' <<<"$out" | awk '{print $2}')
  figure[$1 intake 1 serve p99 ms]=$(grep -o 'p99 [0-9.]*' <<<"$out" | awk '{print $2}')
  printf '%-8s 1 serve:  %s\n' "$1" "$out"
  printf '         writer: %s\n' "$(writer_stats)"
  printf '         '; "$GEN" verify --db "$db" --record "$WORK/answers-one-$1"
}

# intake_two BACKEND: two servers on one database, half the load (32 connections) each, at once.
intake_two() {
  local db a b start end half=$((REQUESTS / 2))
  db=$(fresh_db "$1" intake2)
  SERVE_LOG=$WORK/serve-a.log start_serve "$BIN" "$db" --workers 0
  a=$URL; PIDS+=("$PID")
  SERVE_LOG=$WORK/serve-b.log start_serve "$BIN" "$db" --workers 0
  b=$URL; PIDS+=("$PID"); PID=
  start=$(date +%s.%N)
  post "$a" 32 "$half" "two-a-$1" > "$WORK/two-a.out" &
  local ga=$!
  post "$b" 32 "$half" "two-b-$1" > "$WORK/two-b.out" &
  wait "$ga" $!
  end=$(date +%s.%N)
  for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p" || true; done
  PIDS=()
  figure[$1 intake 2 serves /s]=$(echo "2 * $half / ($end - $start)" | bc -l | xargs printf '%.0f')
  figure[$1 intake 2 serves p99 ms]=$(cat "$WORK/two-a.out" "$WORK/two-b.out" | grep -o 'p99 [0-9.]*' | awk '{print $2}' | sort -g | tail -1)
  printf '%-8s 2 serves: %s/s together\n' "$1" "${figure[$1 intake 2 serves /s]}"
  printf '           a: %s\n           b: %s\n' "$(cat "$WORK/two-a.out")" "$(cat "$WORK/two-b.out")"
  printf '           writer a: %s\n           writer b: %s\n' \
    "$(writer_stats "$WORK/serve-a.log")" "$(writer_stats "$WORK/serve-b.log")"
  # Each generator numbers its submissions from 0: told apart by a prefix for one verify.
  { sed 's/^/a/' "$WORK/answers-two-a-$1"; sed 's/^/b/' "$WORK/answers-two-b-$1"; } > "$WORK/answers-two-$1"
  printf '         '; "$GEN" verify --db "$db" --record "$WORK/answers-two-$1"
}

# workers N DB [THREADS]: starts N `worker` processes of WORKER_BIN (default BIN) on DB (pids in
# PIDS), each THREADS (default WORKER_THREADS) threads.
workers() {
  local _
  for _ in $(seq 1 "$1"); do
    SALESAGENT_DB=$2 "${WORKER_BIN:-$BIN}" worker --workers "${3:-$WORKER_THREADS}" 2>>"$WORK/workers.log" &
    PIDS+=("$!")
  done
}

stop_workers() {
  for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p" || true; done
  PIDS=()
}

# cpu_ticks PID...: the CPU time (user + system, clock ticks) the processes have used so far.
cpu_ticks() {
  local p
  # Fields 14 and 15 of /proc/PID/stat, counted after the command name's closing parenthesis.
  for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null || true; done \
    | sed 's/.*) //' | awk '{t += $12 + $13} END {print t + 0}'
}


# pg_server_pids: PostgreSQL's server processes (the postmaster's children: backends, WAL writer).
# For a server BENCH_PG names, the processes its pg_stat_activity lists (the same ones, when it
# runs on this host; none are found here when it does not).
pg_server_pids() {
  local postmaster
  if [ -n "$own_pg" ]; then
    postmaster=$(head -1 "$PGDIR/data/postmaster.pid" 2>/dev/null) || return 0
    pgrep -P "$postmaster" || true
  else
    psql -qAt "$PG" -c "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()" 2>/dev/null || true
  fi
}

# pg_counts DBNAME: "commits statements" of the database so far (statements: pg_stat_statements,
# 0 where the extension is not loaded).
pg_counts() {
  psql -qAt "$PG" -c "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = '$1'),
      COALESCE((SELECT SUM(calls) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                WHERE d.datname = '$1'
                  AND s.query NOT IN ('BEGIN', 'COMMIT', 'ROLLBACK')), 0)" 2>/dev/null \
    | tr '|' ' ' || echo "0 0"
}

# sample_waits DBNAME FILE: every 0.2 s, one line per busy backend of DBNAME: its state, what
# it waits on (CPU when nothing) and, after a |, its statement's start; runs until killed.
sample_waits() {
  printf '%s\n' "SELECT state || ' ' || COALESCE(wait_event_type || ':' || wait_event, 'CPU')
             || '|' || left(regexp_replace(query, '\s+', ' ', 'g'), 48)
      FROM pg_stat_activity WHERE datname = '$1' AND backend_type = 'client backend'
        AND state <> 'idle' AND pid <> pg_backend_pid()" '\watch 0.2' \
    | psql -qAt "$PG" >"$2" 2>/dev/null
}

# table_counters DB FINISHED: per workflow, each table's rows inserted, updated (and of those
# HOT: an update that wrote no index entry), deleted, and the index entries its writes made
# (an insert or a non-HOT update makes one in every index whose condition the row meets;
# counted here as one in every index, partial ones included). Read after the workers exit:
# a backend's counters reach the statistics when it ends at the latest.
table_counters() {
  sleep 1
  echo "         tables per workflow: inserted, updated, HOT updated, deleted, indexes, index entries written (upper bound), table, and in the whole drain: autovacuums, autoanalyzes"
  psql -qAt -F ' ' "$1" -c "SELECT to_char(n_tup_ins::numeric / $2, 'FM990.00'),
          to_char(n_tup_upd::numeric / $2, 'FM990.00'),
          to_char(n_tup_hot_upd::numeric / $2, 'FM990.00'),
          to_char(n_tup_del::numeric / $2, 'FM990.00'),
          (SELECT COUNT(*) FROM pg_index i WHERE i.indrelid = t.relid),
          to_char((n_tup_ins + n_tup_upd - n_tup_hot_upd)::numeric / $2
                  * (SELECT COUNT(*) FROM pg_index i WHERE i.indrelid = t.relid), 'FM990.00'),
          relname, autovacuum_count, autoanalyze_count
      FROM pg_stat_user_tables t WHERE n_tup_ins + n_tup_upd + n_tup_del > 0
      ORDER BY n_tup_ins + n_tup_upd + n_tup_del DESC" | sed 's/^/           /'
  psql -qAt -F ' ' "$1" -c "SELECT 'WAL per workflow (the whole server): ' || to_char(wal_records::numeric / $2, 'FM990.0')
          || ' records, ' || to_char(wal_fpi::numeric / $2, 'FM990.00') || ' full pages, '
          || to_char(wal_bytes::numeric / $2, 'FM999990') || ' bytes, '
          || to_char(wal_sync::numeric / $2, 'FM990.00') || ' syncs, '
          || to_char(wal_buffers_full::numeric / $2, 'FM990.00') || ' writes for full WAL buffers'
      FROM pg_stat_wal" | sed 's/^/         /'
  echo "         indexes per workflow: scans, table, index"
  psql -qAt -F ' ' "$1" -c "SELECT to_char(idx_scan::numeric / $2, 'FM990.00'), relname, indexrelname
      FROM pg_stat_user_indexes WHERE idx_scan > 0 ORDER BY idx_scan DESC LIMIT 20" | sed 's/^/           /'
}

# copy_db BACKEND DB NAME: prints a new database of BACKEND holding what DB holds (no process
# may have DB open).
copy_db() {
  case $1 in
    sqlite)
      local f
      for f in "$2" "$2-wal"; do [ -e "$f" ] && cp "$f" "$WORK/$3.db${f#"$2"}"; done
      echo "$WORK/$3.db" ;;
    postgres)
      local name="bench_$3_$$" try
      # A template must have no sessions: the backends of a server just stopped may take a moment.
      for try in 1 2 3 4 5 6 7 8 9 10; do
        PGOPTIONS=--client-min-messages=warning psql -qAt "$PG" -c "DROP DATABASE IF EXISTS $name" \
          -c "CREATE DATABASE $name TEMPLATE ${2##*/}" >/dev/null 2>"$WORK/copy_db.err" && break
        [ "$try" = 10 ] && { cat "$WORK/copy_db.err" >&2; return 1; }
        sleep 0.5
      done
      echo "${PG%/*}/$name" ;;
  esac
}

# drop_copy BACKEND DB: removes a drained copy (a backlog of 100,000 is ~1 GB on PostgreSQL).
drop_copy() {
  case $1 in
    sqlite) rm -f "$2" "$2-wal" "$2-shm" ;;
    postgres) PGOPTIONS=--client-min-messages=warning psql -qAt "$PG" -c "DROP DATABASE IF EXISTS ${2##*/}" >/dev/null || true ;;
  esac
}

# end_to_end BACKEND: a backlog, then two worker processes drain it; with BASE_BIN, each build
# drains copies of it, E2E_PAIRS times, alternating.
end_to_end() {
  local db
  db=$(fresh_db "$1" e2e)
  start_serve "$BIN" "$db" --workers 0
  "$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 64 \
    --requests "$BACKLOG" --tag "backlog-$1" >/dev/null
  stop_serve
  if [ -z "${BASE_BIN:-}" ]; then
    drain "$1" "$db"
    return
  fi
  local pair who copy bin key first=() lines=()
  for pair in $(seq 1 "$E2E_PAIRS"); do
    if [ $((pair % 2)) = 1 ]; then first=(new base); else first=(base new); fi
    for who in "${first[@]}"; do
      copy=$(copy_db "$1" "$db" "e2e_${who}_$pair")
      printf '         %s\n' "$(python3 bench/machine.py "$WORK")"
      bin=$BIN key="$who $pair"
      [ "$who" = base ] && bin=$BASE_BIN
      # The first drain of this build gives the figures of the postgres/sqlite table.
      [ "$key" = "new 1" ] && key=$1
      WORKER_BIN=$bin drain "$1" "$copy" "$who" "$key"
      lines+=("$pair $who $last_rate $last_machine_cpu")
      drop_copy "$1" "$copy"
    done
  done
  echo "         pairs (workflows/s, machine CPU ms per workflow), new = BIN, base = BASE_BIN:"
  printf '%s\n' "${lines[@]}" | awk '
    { rate[$2] += $3; cpu[$2] += $4; n[$2]++; row[$1] = row[$1] sprintf("  %s %s/s %s ms", $2, $3, $4) }
    END {
      for (p = 1; p in row; p++) printf "           pair %d:%s\n", p, row[p]
      printf "           means: new %.0f/s %.2f ms, base %.0f/s %.2f ms; new/base: rate %.2f, CPU %.2f\n",
        rate["new"] / n["new"], cpu["new"] / n["new"], rate["base"] / n["base"], cpu["base"] / n["base"],
        (rate["new"] / n["new"]) / (rate["base"] / n["base"]), (cpu["new"] / n["new"]) / (cpu["base"] / n["base"])
    }'
}

# drain BACKEND DB [WHO [KEY]]: two worker processes drain DB's backlog; prints the figures,
# kept in `figure` under KEY (default BACKEND) and in last_rate and last_machine_cpu. WHO names
# the build on the output's lines.
drain() {
  local db=$2 key=${4:-$1} out name before after sampler server_before server_after worker_cpu finished c0 s0 c1 s1
  local machine_before machine_after
  name=${db##*/}
  if [ "$1" = postgres ]; then
    # PG_BEFORE_DRAIN_SQL: statements run on the bench's database after the backlog and its
    # migrations, before the workers start (an experiment's change, e.g. a constraint dropped
    # to learn its price; never for the product's figures).
    if [ -n "${PG_BEFORE_DRAIN_SQL:-}" ]; then
      echo "         before the drain: $PG_BEFORE_DRAIN_SQL"
      psql -qAt -v ON_ERROR_STOP=1 "$db" -c "$PG_BEFORE_DRAIN_SQL" >/dev/null
    fi
    psql -qAt "$PG" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
      -c "SELECT pg_stat_statements_reset()" >/dev/null 2>&1 || true
    # The drain's own table and index counters (pg_stat_reset resets the database it runs in).
    psql -qAt "$db" -c "SELECT pg_stat_reset()" -c "SELECT pg_stat_reset_shared('wal')" >/dev/null
    before=$(pg_counts "$name")
    # shellcheck disable=SC2046  # one pid per word
    server_before=$(cpu_ticks $(pg_server_pids))
    sample_waits "$name" "$WORK/waits" &
    sampler=$!
  fi
  machine_before=$(machine_ticks)
  workers 2 "$db"
  out=$("$GEN" wait --db "$db")
  machine_after=$(machine_ticks)
  worker_cpu=$(cpu_ticks "${PIDS[@]}")
  if [ "$1" = postgres ]; then
    # shellcheck disable=SC2046
    server_after=$(cpu_ticks $(pg_server_pids))
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
  fi
  stop_workers
  finished=$(grep -o 'completed [0-9]*' <<<"$out" | awk '{print $2}')
  figure[$key end to end workflows/s]=$(grep -o 'rate [0-9]*' <<<"$out" | awk '{print $2}')
  printf '%-8s end to end%s, 2 worker processes: %s\n' "$1" "${3:+ ($3)}" "$out"
  last_rate=${figure[$key end to end workflows/s]}
  local tick
  tick=$(getconf CLK_TCK)
  figure[$key e2e worker CPU ms/workflow]=$(echo "1000 * $worker_cpu / $tick / $finished" | bc -l | xargs printf '%.2f')
  figure[$key e2e machine CPU ms/workflow]=$(echo "1000 * ($machine_after - $machine_before) / $tick / $finished" | bc -l | xargs printf '%.2f')
  last_machine_cpu=${figure[$key e2e machine CPU ms/workflow]}
  printf '         machine CPU %s ms per workflow (every process and the kernel, from the workers'"'"' start to the drain'"'"'s end)\n' \
    "${figure[$key e2e machine CPU ms/workflow]}"
  printf '         worker CPU %s ms per workflow' "${figure[$key e2e worker CPU ms/workflow]}"
  if [ "$1" = postgres ]; then
    after=$(pg_counts "$name")
    figure[$key e2e server CPU ms/workflow]=$(echo "1000 * ($server_after - $server_before) / $tick / $finished" | bc -l | xargs printf '%.2f')
    read -r c0 s0 <<<"$before"
    read -r c1 s1 <<<"$after"
    figure[$key e2e commits/workflow]=$(echo "($c1 - $c0) / $finished" | bc -l | xargs printf '%.2f')
    figure[$key e2e statements/workflow]=$(echo "($s1 - $s0) / $finished" | bc -l | xargs printf '%.2f')
    printf ', server CPU %s ms per workflow; %s commits and %s statements (BEGIN/COMMIT not counted) per workflow\n' \
      "${figure[$key e2e server CPU ms/workflow]}" "${figure[$key e2e commits/workflow]}" "${figure[$key e2e statements/workflow]}"
    echo "         busy backends sampled every 0.2 s, by state and wait (share of samples):"
    grep -v '^$' "$WORK/waits" | cut -d'|' -f1 | sort | uniq -c | sort -rn | head -8 \
      | awk -v n="$(grep -vc '^$' "$WORK/waits")" '{c=$1; $1=""; printf "           %5.1f%%%s\n", 100 * c / n, $0}'
    # The same samples by what each backend was running (its current or, when idle in
    # transaction, its last statement): which statement waits on what.
    echo "         the same samples by wait and statement (share of samples):"
    grep -v '^$' "$WORK/waits" | grep -v '^idle' | sort | uniq -c | sort -rn | head -12 \
      | awk -v n="$(grep -vc '^$' "$WORK/waits")" '{c=$1; $1=""; printf "           %5.1f%%%s\n", 100 * c / n, $0}'
    # The server's profile: each statement's calls and execution time per workflow, by calls and
    # by total time (BEGIN and COMMIT included here: a COMMIT's time is its WAL flush).
    local order
    # Exec time includes waits (row locks, WAL buffers): the load-independent figures are the
    # counts beside it, WAL records and bytes and buffers dirtied per workflow.
    for order in calls total_exec_time wal_bytes; do
      echo "         statements by $order: calls per workflow, exec ms per workflow, mean ms, plans per call, plan ms per workflow, WAL records, WAL bytes, buffers dirtied and buffers hit per workflow, text"
      psql -qAt -F ' ' "$PG" -c "SELECT to_char(calls::numeric / $finished, 'FM990.00'),
              to_char(total_exec_time::numeric / $finished, 'FM990.000'),
              to_char(mean_exec_time::numeric, 'FM990.000'),
              to_char(plans::numeric / GREATEST(calls, 1), 'FM990.00'),
              to_char(total_plan_time::numeric / $finished, 'FM990.000'),
              to_char(wal_records::numeric / $finished, 'FM990.00'),
              to_char(wal_bytes::numeric / $finished, 'FM99990'),
              to_char(shared_blks_dirtied::numeric / $finished, 'FM990.00'),
              to_char(shared_blks_hit::numeric / $finished, 'FM9990.0'),
              left(regexp_replace(query, '\s+', ' ', 'g'), 100)
          FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$name'
          ORDER BY $order DESC LIMIT ${STATEMENTS_SHOWN:-40}" 2>/dev/null | sed 's/^/           /' || true
    done | tee "$WORK/statements"
    table_counters "$db" "$finished"
    if [ -n "${KEEP_STATEMENTS:-}" ]; then cp "$WORK/statements" "$KEEP_STATEMENTS"; fi
  else
    echo
  fi
}

# claim_latency BACKEND: steady intake with 8 worker processes waiting for jobs.
claim_latency() {
  local db out
  db=$(fresh_db "$1" claims)
  workers 8 "$db" 1
  start_serve "$BIN" "$db" --workers 0
  "$GEN" post --url "$URL" --secret "$SALESAGENT_WEBHOOK_SECRET" --connections 16 --rate "$CLAIM_RATE" \
    --requests $((CLAIM_RATE * STEADY)) --tag "steady-$1" >/dev/null
  "$GEN" wait --db "$db" >/dev/null
  stop_serve
  stop_workers
  out=$("$GEN" claims --db "$db")
  figure[$1 claim p50 ms]=$(grep -o 'p50 [0-9.]*' <<<"$out" | awk '{print $2}')
  figure[$1 claim p99 ms]=$(grep -o 'p99 [0-9.]*' <<<"$out" | awk '{print $2}')
  printf '%-8s claim latency, 8 worker processes: %s\n' "$1" "$out"
}

python3 bench/machine.py "$WORK"
for backend in ${BACKENDS:-sqlite postgres}; do
  export SALESAGENT_DATA_DIR=$WORK/data-$backend
  mkdir -p "$SALESAGENT_DATA_DIR"
  if [ "$REQUESTS" -gt 0 ]; then
    echo "== $backend: intake, $REQUESTS signed webhooks (10% re-sends), 64 connections"
    intake_one "$backend"
    intake_two "$backend"
  fi
  if [ "$BACKLOG" -gt 0 ]; then
    echo "== $backend: end to end from a backlog of $BACKLOG"
    end_to_end "$backend"
  fi
  if [ "$STEADY" -gt 0 ]; then
    echo "== $backend: claim latency, $CLAIM_RATE requests/s for ${STEADY}s"
    claim_latency "$backend"
  fi
done

echo "== postgres / sqlite"
for metric in "intake 1 serve /s" "intake 1 serve p99 ms" "intake 2 serves /s" "intake 2 serves p99 ms" \
  "end to end workflows/s" "e2e machine CPU ms/workflow" "e2e worker CPU ms/workflow" "claim p50 ms" "claim p99 ms"; do
  s=${figure[sqlite $metric]:-}
  p=${figure[postgres $metric]:-}
  [ -n "$s" ] || continue
  awk -v m="$metric" -v s="$s" -v p="${p:-0}" \
    'BEGIN { printf "%-26s sqlite %10s  postgres %10s  ratio %s\n", m, s, p, (s > 0 ? sprintf("%.2f", p / s) : "-") }'
done
