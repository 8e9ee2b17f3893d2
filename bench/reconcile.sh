#!/bin/sh
# Reconcile over ROWS (default 100,000) completed workflows with embedded connectors: each has a
# draft (an .eml file in the local mailbox) and a task (a row in the local CRM). The workflows come
# from `salesagent import`; drafts, tasks and contacts are then filled in with sqlite3-equivalent
# SQL by python3 (running 100,000 pipelines would measure the pipeline, not reconcile).
# 1% of the draft files are deleted, so the run has findings to report.
. "$(dirname "$0")/common.sh"
gen_csv "$WORK/leads.csv" "$ROWS"
export SALESAGENT_DB="$WORK/bench.db"
rm -f "$SALESAGENT_DB"*
"$BIN" import "$WORK/leads.csv" --quiet > /dev/null
python3 - "$SALESAGENT_DB" "$WORK/mail/drafts" <<'PY'
import os, sqlite3, sys
db, drafts = sys.argv[1], sys.argv[2]
os.makedirs(drafts, exist_ok=True)
c = sqlite3.connect(db)
c.executescript("""
UPDATE workflows SET status = 'completed', current_step = 'finalize', completed_at = updated_at;
UPDATE jobs SET state = 'completed';
INSERT INTO crm_contacts (id, email, created_at, updated_at)
  SELECT rowid, email, 0, 0 FROM workflows;
INSERT INTO crm_tasks (id, contact_id, reference, subject, body, priority, task_type, due_at, created_at)
  SELECT w.rowid, w.rowid, 'salesagent-workflow:' || w.id, 'Follow up', '', 'MEDIUM', 'TODO', 0, 0 FROM workflows w;
INSERT INTO tasks (id, workflow_id, crm, remote_task_id, contact_id, subject, priority, due_at, created_at)
  SELECT 't-' || w.id, w.id, 'local_crm', CAST(w.rowid AS TEXT), CAST(w.rowid AS TEXT), 'Follow up', 'MEDIUM', 0, 0 FROM workflows w;
INSERT INTO drafts (id, workflow_id, recipient, sender, subject, body, message_id, mailbox, remote_draft_id, status, created_at, updated_at)
  SELECT 'd-' || w.id, w.id, w.email, 'sales@example.com', 's', 'b', '<wf-' || w.id || '@example.com>', 'local', 'd-' || w.id, 'pending_review', w.created_at, w.created_at FROM workflows w;
""")
c.commit()
n = 0
for (draft,) in c.execute("SELECT id FROM drafts"):
    n += 1
    if n % 100 == 0:
        continue  # 1% vanished from the mailbox
    with open(os.path.join(drafts, draft + ".eml"), "w") as f:
        f.write("Subject: s\r\n\r\nb\r\n")
print(f"arranged {n} completed workflows with drafts and tasks")
PY
echo "rows: $ROWS  cores: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
sync
measure "reconcile" "$BIN" reconcile --quiet
measure "reconcile --json" "$BIN" reconcile --json
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('findings', r['found'], 'duration_ms', r['duration_ms'])" "$WORK/reconcile --json.out"
measure "reconcile --fix" "$BIN" reconcile --fix --quiet
measure "reconcile (after the fix)" "$BIN" reconcile --quiet
