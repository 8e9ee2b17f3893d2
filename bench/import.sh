#!/bin/sh
# Import of ROWS (default 100,000) generated rows: validate + enqueue, into a fresh database.
# Prints wall time and max RSS (/usr/bin/time -v) for: a dry run, the import, and a re-run of the
# same file (found by its hash: nothing to do). Usage: bench/import.sh  [ROWS=… BENCH_DIR=…]
. "$(dirname "$0")/common.sh"
gen_csv "$WORK/leads.csv" "$ROWS"
echo "rows: $ROWS  file: $(du -h "$WORK/leads.csv" | cut -f1)  cores: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
export SALESAGENT_DB="$WORK/bench.db"
rm -f "$SALESAGENT_DB"*
measure "import --dry-run (no db)" "$BIN" import "$WORK/leads.csv" --dry-run
measure "import" "$BIN" import "$WORK/leads.csv"
measure "import again (same file)" "$BIN" import "$WORK/leads.csv"
measure "import --dry-run (full db)" "$BIN" import "$WORK/leads.csv" --dry-run
tail -n 1 "$WORK/import.out"
"$BIN" import list --json | head -c 400; echo
