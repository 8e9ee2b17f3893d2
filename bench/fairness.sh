#!/bin/sh
# Fairness across tenants: tenant acme has a backlog of BACKLOG (default 20,000) imported jobs,
# then tenant globex posts 50 signed webhooks (one every 50 ms) to `serve --workers 2`. Prints
# globex's 202 -> draft latency (p50, p95, max: the draft row's time minus the submission's
# receipt, both stored in ms) and how much of acme's backlog ran meanwhile. SAME_QUEUE=1 moves
# acme's jobs onto globex's queue (normal) first, so only the rotation across tenants (not the
# queues' weights) lets globex through.
# Usage: bench/fairness.sh  [BACKLOG=… SAME_QUEUE=1 BENCH_DIR=…]
. "$(dirname "$0")/common.sh"
BACKLOG=${BACKLOG:-20000}
export SALESAGENT_DB="$WORK/fair.db" SALESAGENT_WEBHOOK_SECRET=bench-app-secret
rm -f "$SALESAGENT_DB"*
cat > "$WORK/salesagent.toml" <<'EOF'
[tenants.acme]
portal_ids = [111]
[tenants.globex]
portal_ids = [222]
EOF
export SALESAGENT_CONFIG="$WORK/salesagent.toml"
awk -v n="$BACKLOG" 'BEGIN {
  print "email,firstName,formId,portalId";
  for (i = 1; i <= n; i++) printf "lead%d@backlog%d.com,First%d,form-bulk,111\n", i, i % 997, i;
}' > "$WORK/backlog.csv"
"$BIN" --tenant acme import "$WORK/backlog.csv" -q > /dev/null
if [ "${SAME_QUEUE:-0}" = 1 ]; then
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE jobs SET queue = '"'"'normal'"'"' WHERE tenant_id = '"'"'acme'"'"'"); c.commit()' "$SALESAGENT_DB"
fi
echo "backlog: $BACKLOG acme jobs (same queue: ${SAME_QUEUE:-0})  cores: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" serve --listen 127.0.0.1:0 --workers 2 2> "$WORK/serve.log" &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT
i=0
while ! grep -q "listening on " "$WORK/serve.log" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 300 ] || { cat "$WORK/serve.log"; exit 1; }; sleep 0.1
done
URL="$(grep -o 'listening on [^ ]*' "$WORK/serve.log" | head -n1 | cut -d' ' -f3)/api/webhooks/hubspot/forms"
sleep 1 # let acme's backlog start draining
n=1
while [ $n -le 50 ]; do
  printf '{"portalId":222,"formId":"f-web","formSubmissionId":"w-%d","fieldValues":[{"name":"email","value":"buyer%d@globex-customer%d.com"},{"name":"firstname","value":"Kim"}]}' \
    "$n" "$n" "$n" > "$WORK/b.json"
  "$BIN" webhook send "$WORK/b.json" --url "$URL" > /dev/null
  n=$((n + 1)); sleep 0.05
done
python3 - "$SALESAGENT_DB" <<'EOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
q = lambda sql: db.execute(sql).fetchone()[0]
deadline = time.time() + 120
while q("SELECT COUNT(*) FROM drafts WHERE tenant_id = 'globex'") < 50 and time.time() < deadline:
    time.sleep(0.05)
lat = sorted(r[0] for r in db.execute(
    "SELECT d.created_at - s.received_at FROM drafts d JOIN workflows w ON w.id = d.workflow_id "
    "JOIN submissions s ON s.id = w.submission_id WHERE d.tenant_id = 'globex'"))
done = q("SELECT COUNT(*) FROM jobs WHERE tenant_id = 'acme' AND state = 'completed'")
total = q("SELECT COUNT(*) FROM jobs WHERE tenant_id = 'acme'")
if len(lat) < 50:
    print(f"only {len(lat)} of globex's 50 drafts within 120 s"); sys.exit(1)
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"globex 202 -> draft: p50 {pct(0.50)} ms  p95 {pct(0.95)} ms  max {lat[-1]} ms")
print(f"acme's backlog when globex's 50 had drafts: {done} of {total} completed ({total - done} pending)")
EOF
