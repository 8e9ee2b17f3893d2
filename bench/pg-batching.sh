#!/usr/bin/env bash
# What several workflows' rows in one statement would save on PostgreSQL (issue 19): the same
# writes, a run's final commit modelled on this project's (the job's end fenced by owner and
# attempt, four step rows, a draft, the workflow's progress, two usage counters), made three ways
# by `pgbench` at 8 clients (as 2 `worker` processes of 4 threads), each for DURATION seconds,
# alternating, ROUNDS times:
#   one       one workflow a transaction, one statement a table (what a worker does today);
#   together  K workflows in one transaction, still one statement a workflow and table (a commit
#             combiner that only shares the BEGIN, the COMMIT and the WAL flush);
#   rows      K workflows in one transaction and one statement a table (`unnest` of K ids: a
#             batched pipeline).
# Prints workflows/s and the machine's CPU per workflow (/proc/stat: every process and the
# kernel, so the server, pgbench and the WAL's writes alike). Not a test: asserts nothing.
# The tables have the product's index counts per table (jobs 6, workflows 5, steps 2, drafts 8,
# usage 1), not its columns: the figures are for the shape of the work, not the product's own.
# SCHEMA=product BIN=path/to/salesagent: the product's own tables instead, as its migrations make
# them (every column, CHECK, foreign key and partial index), each transaction on workflows no
# other has finished (a counter per client), so the partial unique indexes hold.
# UNIT=workflow (with SCHEMA=product): a whole workflow's statements instead of its final commit
# (its first reads, the embedded CRM's three writes, both intent commits, the final commit; 23
# messages a workflow in `one`). bench/pg_batching.py writes every variant's pgbench script.
#
#   bench/pg-batching.sh [K] [ROUNDS] [DURATION]        (defaults 4 2 15)
#   BENCH_PG=postgres://… runs it on that server (a database `pgbatching` is made and dropped);
#   otherwise a throwaway cluster of scripts/pg.sh on BENCH_PGPORT (default 55441).
set -euo pipefail
cd "$(dirname "$0")/.."
K=${1:-4}
ROUNDS=${2:-2}
DURATION=${3:-15}
for v in "$K" "$ROUNDS" "$DURATION"; do
  case $v in '' | *[!0-9]* | 0) echo "K, ROUNDS and DURATION are whole numbers ≥ 1, not '$v'" >&2; exit 2 ;; esac
done
SCHEMA=${SCHEMA:-model}
UNIT=${UNIT:-final}
case $UNIT in
  final) ;;
  workflow) [ "$SCHEMA" = product ] || { echo "UNIT=workflow runs on the product's tables: set SCHEMA=product too" >&2; exit 2; } ;;
  *) echo "UNIT is final or workflow, not '$UNIT'" >&2; exit 2 ;;
esac
case $SCHEMA in
  model) ;;
  product) [ -x "${BIN:-}" ] || { echo "SCHEMA=product needs BIN=path/to/salesagent (its migrations make the tables)" >&2; exit 2; } ;;
  *) echo "SCHEMA is model or product, not '$SCHEMA'" >&2; exit 2 ;;
esac
command -v pgbench >/dev/null || { echo "pgbench is missing: apt-get install -y postgresql" >&2; exit 3; }
WORK=$(mktemp -d)
own_pg=
BENCH_PGPORT=${BENCH_PGPORT:-55441}
PGDIR=/tmp/salesagent-pg-batching-$$
cleanup() {
  [ -n "${DB:-}" ] && [ -z "$own_pg" ] && psql -qAt "$ADMIN" -c "DROP DATABASE IF EXISTS pgbatching" >/dev/null 2>&1
  [ -n "$own_pg" ] && PGPORT=$BENCH_PGPORT PGDATA_DIR=$PGDIR scripts/pg.sh stop >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -n "${BENCH_PG:-}" ]; then
  ADMIN=$BENCH_PG
else
  own_pg=1
  ADMIN=$(PGPORT=$BENCH_PGPORT PGDATA_DIR=$PGDIR scripts/pg.sh start)
fi
PGOPTIONS="-c client_min_messages=warning" psql -qAt "$ADMIN" -c "DROP DATABASE IF EXISTS pgbatching" -c "CREATE DATABASE pgbatching" >/dev/null
# The same server and options, the database's name replaced.
admin_base=${ADMIN%%\?*}
DB=${admin_base%/*}/pgbatching${ADMIN#"$admin_base"}
ROWS=1000000

if [ "$SCHEMA" = model ]; then

psql -q "$DB" <<SQL
CREATE TABLE workflows (id bigint PRIMARY KEY, tenant_id text, submission_id bigint, email text,
    status text, created_at bigint, updated_at bigint);
CREATE INDEX ON workflows (status, created_at);
CREATE INDEX ON workflows (tenant_id, email, created_at);
CREATE INDEX ON workflows (submission_id);
CREATE INDEX ON workflows (created_at);
INSERT INTO workflows SELECT g, 't', g, 'lead' || g || '@example.com', 'running', g, g
    FROM generate_series(1, $ROWS) g;
CREATE TABLE jobs (id bigint PRIMARY KEY, tenant_id text, queue text, state text, run_at bigint,
    unique_key text UNIQUE, workflow_id bigint, owner text, attempt int, lease_expires_at bigint,
    updated_at bigint);
CREATE INDEX ON jobs (queue, state, run_at);
CREATE INDEX ON jobs (tenant_id, state);
CREATE INDEX ON jobs (workflow_id);
CREATE INDEX ON jobs (lease_expires_at) WHERE state = 'running';
INSERT INTO jobs SELECT g, 't', 'forms', 'running', g, 'workflow:' || g, g, 'w', 1, 0, g
    FROM generate_series(1, $ROWS) g;
CREATE TABLE workflow_steps (id text PRIMARY KEY, workflow_id bigint, seq int, attempt int,
    status text, output text, at bigint);
CREATE INDEX ON workflow_steps (workflow_id, seq, attempt);
CREATE TABLE drafts (id text PRIMARY KEY, tenant_id text, workflow_id bigint, email text,
    subject text, body text, status text, score int, created_at bigint);
CREATE INDEX ON drafts (workflow_id);
CREATE INDEX ON drafts (tenant_id, status, created_at);
CREATE INDEX ON drafts (tenant_id, created_at);
CREATE INDEX ON drafts (email);
CREATE INDEX ON drafts (tenant_id, score);
CREATE INDEX ON drafts (subject);
CREATE INDEX ON drafts (status);
CREATE TABLE usage (tenant_id text, day text, metric text, shard int, n bigint,
    PRIMARY KEY (tenant_id, day, metric, shard));
VACUUM ANALYZE;
SQL

python3 bench/pg_batching.py model final "$K" "$ROWS" "$WORK"

else
  # Each client finishes workflows of its own, STRIDE of them a run at most, each run on fresh ones.
  STRIDE=20000
  RUNS=$((3 * ROUNDS))
  ROWS=$((8 * STRIDE * RUNS))
  "$BIN" --db "$DB" stats --json >/dev/null
  psql -q "$DB" <<SQL
INSERT INTO submissions (id, source, shape, dedupe_key, email, raw_payload, received_at)
    SELECT 's' || g, 'webhook', 'forms-v3', 'k' || g, 'lead' || g || '@example.com', '\\x7b7d', g
    FROM generate_series(1, $ROWS) g;
INSERT INTO workflows (id, submission_id, email, status, mode, trace_id, created_at, updated_at)
    SELECT 'w' || g, 's' || g, 'lead' || g || '@example.com', 'running', 'draft_only', 't' || g, g, g
    FROM generate_series(1, $ROWS) g;
INSERT INTO jobs (id, queue, kind, workflow_id, state, attempt, run_at, lease_owner,
        lease_expires_at, unique_key, created_at, updated_at)
    SELECT 'j' || g, 'normal', 'workflow', 'w' || g, 'running', 1, g, 'w', g + 60000,
        'workflow:w' || g, g, g
    FROM generate_series(1, $ROWS) g;
INSERT INTO suppressions (value, reason, created_by, created_at)
    SELECT 'nobody' || g || '@example.org', 'bench', 'bench', g FROM generate_series(1, 1000) g;
VACUUM ANALYZE;
SQL
  python3 bench/pg_batching.py product "$UNIT" "$K" "$STRIDE" "$WORK"
fi

# shellcheck source=bench/ticks.sh
. bench/ticks.sh
tick=$(getconf CLK_TCK)
declare -A rate cpu
runs=0
run() { # NAME WORKFLOWS_PER_TRANSACTION ROUND
  local before after tx vars=()
  # SCHEMA=product: this run's workflows start past every earlier run's.
  [ "$SCHEMA" = product ] && vars=(-D i=0 -D base=$((runs * 8 * STRIDE)))
  runs=$((runs + 1))
  before=$(machine_ticks)
  tx=$(pgbench -n -M prepared -c 8 -j 2 -T "$DURATION" "${vars[@]}" -f "$WORK/$1.sql" "$DB" 2>"$WORK/pgbench.err" |
    awk '/number of transactions actually processed/ {split($NF, a, "/"); print a[1]}')
  after=$(machine_ticks)
  if [ -z "$tx" ] || [ "$tx" = 0 ] || grep -qiE 'error|abort' "$WORK/pgbench.err"; then
    echo "pgbench failed (a client that ran out of its STRIDE of workflows hits another's):" >&2
    head -5 "$WORK/pgbench.err" >&2
    exit 1
  fi
  rate[$1 $3]=$(echo "$tx * $2 / $DURATION" | bc -l | xargs printf '%.0f')
  cpu[$1 $3]=$(echo "1000 * ($after - $before) / $tick / ($tx * $2)" | bc -l | xargs printf '%.3f')
  printf '  %-9s round %s: %6s workflows/s, machine CPU %s ms per workflow\n' "$1" "$3" "${rate[$1 $3]}" "${cpu[$1 $3]}"
}
echo "one run's $UNIT ($SCHEMA tables), K=$K workflows per transaction, 8 clients, ${DURATION} s each, $ROUNDS rounds"
for r in $(seq 1 "$ROUNDS"); do
  python3 bench/machine.py "$WORK"
  # Alternate the order, so neither variant always runs on the warmer (or the slower) machine.
  if [ $((r % 2)) = 1 ]; then order="one together rows"; else order="rows together one"; fi
  for v in $order; do
    case $v in one) run one 1 "$r" ;; *) run "$v" "$K" "$r" ;; esac
  done
done
# Every run wrote what it says: as many drafts and jobs ended as workflows counted, and 4 step
# rows each (UNIT=final) or 13 (UNIT=workflow)
# (SCHEMA=model picks its workflows at random, so a few jobs are ended twice and counted once).
total=0
for key in "${!rate[@]}"; do total=$((total + ${rate[$key]} * DURATION)); done
psql -qAt "$DB" -c "SELECT 'written: ' || (SELECT count(*) FROM drafts) || ' drafts, '
    || (SELECT count(*) FROM workflow_steps) || ' step rows, '
    || (SELECT count(*) FROM jobs WHERE state = 'completed') || ' jobs ended (workflows counted: ~$total)'"
echo "means, and each against one:"
for v in one together rows; do
  r=0 c=0
  for i in $(seq 1 "$ROUNDS"); do r=$(echo "$r + ${rate[$v $i]}" | bc -l); c=$(echo "$c + ${cpu[$v $i]}" | bc -l); done
  r=$(echo "$r / $ROUNDS" | bc -l); c=$(echo "$c / $ROUNDS" | bc -l)
  [ "$v" = one ] && { r1=$r; c1=$c; }
  printf '  %-9s %6.0f workflows/s (%.2f×), machine CPU %.3f ms per workflow (%.2f×)\n' "$v" "$r" \
    "$(echo "$r / $r1" | bc -l)" "$c" "$(echo "$c / $c1" | bc -l)"
done
