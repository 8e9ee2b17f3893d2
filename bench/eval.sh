#!/bin/sh
# Eval throughput: LEADS (default 200) past drafts re-composed against a fake LLM that answers
# after LATENCY seconds (default 0.05), at [llm] concurrency 1, 4 and 8. Prints wall time and leads
# per second for each. Usage: bench/eval.sh  [LEADS=… LATENCY=… BENCH_DIR=…]
. "$(dirname "$0")/common.sh"
LEADS=${LEADS:-200}
LATENCY=${LATENCY:-0.05}
export SALESAGENT_DB="$WORK/eval.db"
rm -f "$SALESAGENT_DB"*
gen_csv "$WORK/leads.csv" "$LEADS"
"$BIN" import "$WORK/leads.csv" > /dev/null
"$BIN" worker --workers 2 2> /dev/null &
WORKER=$!
until [ "$(sqlite3 "$SALESAGENT_DB" "SELECT COUNT(*) FROM drafts" 2>/dev/null || echo 0)" -ge "$LEADS" ]; do sleep 0.2; done
kill -TERM "$WORKER"; wait "$WORKER" || true

python3 "$(dirname "$0")/fake_llm.py" --latency "$LATENCY" > "$WORK/llm.url" &
LLM=$!
trap 'kill $LLM 2>/dev/null || true' EXIT
until [ -s "$WORK/llm.url" ]; do sleep 0.1; done
SALESAGENT_LLM_BASE_URL=$(cat "$WORK/llm.url")
export SALESAGENT_LLM_BASE_URL SALESAGENT_LLM_MODEL=bench-model
echo "leads: $LEADS  llm latency: ${LATENCY}s  cores: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in 1 4 8; do
  printf '[connectors]\ncomposer = "llm"\n[llm]\nconcurrency = %s\n' "$n" > "$WORK/c$n.toml"
  start=$(date +%s.%N)
  "$BIN" -q eval run --candidate "$WORK/c$n.toml" --json > "$WORK/c$n.json"
  end=$(date +%s.%N)
  python3 - "$start" "$end" "$LEADS" "$n" "$WORK/c$n.json" <<'PY'
import json, sys
start, end, leads, n, path = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
s = json.load(open(path))["summary"]
wall = end - start
print(f"concurrency {n}: wall {wall:.2f} s  {leads / wall:.1f} leads/s  composed {s['composed']}  "
      f"guard passed {s['guard_passed']}  latency p50 {s['latency_p50_ms']} ms p95 {s['latency_p95_ms']} ms")
PY
done
