#!/usr/bin/env python3
"""A whole workflow's statements on the product's tables, for bench/pg-batching.sh UNIT=workflow.

Writes one.sql, together.sql and rows.sql (pgbench scripts) into OUTDIR for K workflows a
transaction: the run's first reads, the embedded CRM's contact, company and task, the draft's
and the task's intent commits (lease check with the progress, the step's latest attempt, the
step rows; the task's with the usage counters) and the final commit (the job's end, then steps,
draft, task row and progress in one statement, then the usage counters), stage by stage as a
worker makes them: 13 step rows (2 of them updated), 23 messages a workflow in `one`. The claim
is left out (the product already claims several jobs a statement).

    python3 bench/pg_batching_workflow.py K STRIDE OUTDIR
"""

import sys

STEPS = "(id, workflow_id, seq, name, attempt, status, output, started_at, finished_at, duration_ms)"
STEP_UPSERT = (
    "ON CONFLICT (workflow_id, seq, attempt) DO UPDATE SET status = excluded.status, "
    "output = excluded.output, finished_at = excluded.finished_at"
)
USAGE = (
    "INSERT INTO usage (tenant_id, day, metric, shard, n) VALUES "
    "('default', '2026-12-03', '{a}', :client_id % 16, {n}), "
    "('default', '2026-12-03', '{b}', :client_id % 16, {n}) "
    "ON CONFLICT (tenant_id, day, metric, shard) DO UPDATE SET n = usage.n + excluded.n;"
)


def steps_from(source, rows):
    """Step rows of `rows` (seq, status) for each workflow number x of `source`."""
    values = ", ".join(f"({seq}, '{status}')" for seq, status in rows)
    return (
        f"INSERT INTO workflow_steps {STEPS} SELECT gen_random_uuid()::text, 'w' || x, r.seq, "
        f"'step' || r.seq, 1, r.status, repeat('x', 200), x, x, 1 FROM {source}, "
        f"(VALUES {values}) AS r (seq, status) {STEP_UPSERT}"
    )


def intent(source, step, rows, usage=None):
    """An intent commit: lease check with progress, the step's latest attempt, the step rows."""
    lease = (
        f"WITH j AS (SELECT id FROM jobs WHERE id IN (SELECT 'j' || x FROM {source}) "
        "AND lease_owner = 'w' AND attempt = 1 AND state = 'running' ORDER BY id FOR NO KEY UPDATE) "
        f"UPDATE workflows SET current_step = 'step{step}', score = 70, updated_at = updated_at + 1 "
        "WHERE id IN (SELECT 'w' || substr(id, 2) FROM j) AND status = 'running';"
    )
    latest = (
        "SELECT DISTINCT ON (workflow_id) workflow_id, attempt, status FROM workflow_steps "
        f"WHERE workflow_id IN (SELECT 'w' || x FROM {source}) AND seq = {step} "
        "ORDER BY workflow_id, attempt DESC;"
    )
    write = steps_from(source, rows)
    if usage:
        write = f"WITH s AS ({write} RETURNING 1) {usage[:-1]} RETURNING (SELECT count(*) FROM s);"
    else:
        write += ";"
    return [lease, latest, write]


def stages(source, k):
    """The stages of K workflows whose numbers `source` yields as x: (in a transaction?, statements)."""
    email = "'lead' || x || '@example.com'"
    reads = [
        "SELECT w.status, w.mode, s.email, s.first_name, s.raw_payload FROM workflows w "
        "JOIN submissions s ON s.id = w.submission_id "
        f"WHERE w.id IN (SELECT 'w' || x FROM {source}) AND w.tenant_id = 'default';",
        "SELECT workflow_id, seq, attempt, status, output FROM workflow_steps "
        f"WHERE workflow_id IN (SELECT 'w' || x FROM {source}) ORDER BY workflow_id, seq, attempt;",
        "SELECT x, EXISTS (SELECT 1 FROM suppressions WHERE tenant_id = 'default' "
        f"AND value IN ({email}, 'example.com')), (SELECT count(*) FROM workflows "
        f"WHERE tenant_id = 'default' AND email = {email} AND created_at < x) FROM {source};",
        f"SELECT id FROM crm_contacts WHERE tenant_id = 'default' AND email IN (SELECT {email} FROM {source});",
        f"SELECT id FROM drafts WHERE workflow_id IN (SELECT 'w' || x FROM {source}) AND status <> 'superseded';",
    ]
    contact = (
        "INSERT INTO crm_contacts (email, first_name, last_name, company, created_at, updated_at) "
        f"SELECT {email}, 'First', 'Last', 'Company', x, x FROM {source} "
        "ON CONFLICT (tenant_id, email) DO NOTHING RETURNING id;"
    )
    company = (
        "WITH c AS (INSERT INTO crm_companies (domain, name, created_at) "
        f"SELECT 'company' || x || '.com', 'Company', x FROM {source} "
        "ON CONFLICT (tenant_id, domain) DO NOTHING RETURNING id, created_at) "
        "UPDATE crm_contacts t SET company_id = c.id FROM c "
        "WHERE t.tenant_id = 'default' AND t.email = 'lead' || c.created_at || '@example.com';"
    )
    crm_task = (
        "INSERT INTO crm_tasks (contact_id, reference, subject, body, priority, task_type, due_at, created_at) "
        f"SELECT c.id, 'w' || x, 'Follow up', repeat('z', 300), 'HIGH', 'EMAIL', x, x FROM {source} "
        f"JOIN crm_contacts c ON c.tenant_id = 'default' AND c.email = {email} "
        "ON CONFLICT (tenant_id, reference) DO NOTHING RETURNING id;"
    )
    draft_intent = intent(source, 9, [(s, "completed") for s in range(1, 9)] + [(9, "running")])
    task_intent = intent(
        source, 11, [(9, "completed"), (10, "completed"), (11, "running")],
        USAGE.format(a="llm_calls", b="llm_tokens", n=k),
    )
    end = (
        "UPDATE jobs SET state = 'completed', lease_owner = NULL, lease_expires_at = NULL, "
        f"updated_at = updated_at + 1 WHERE id IN (SELECT 'j' || x FROM {source}) "
        "AND lease_owner = 'w' AND attempt = 1 AND state = 'running' RETURNING id;"
    )
    final = (
        f"WITH st AS ({steps_from(source, [(11, 'completed'), (12, 'completed'), (13, 'completed')])} RETURNING 1), "
        "d AS (INSERT INTO drafts (id, workflow_id, recipient, sender, subject, body, message_id, score, "
        "mailbox, status, created_at, updated_at) SELECT gen_random_uuid()::text, 'w' || x, "
        f"{email}, 'sales@example.com', 'Following up', repeat('y', 900), '<m' || x || '@example.com>', "
        f"70, 'embedded', 'pending_review', x, x FROM {source} ON CONFLICT DO NOTHING RETURNING 1), "
        "t AS (INSERT INTO tasks (id, workflow_id, crm, remote_task_id, contact_id, subject, priority, "
        "due_at, created_at) SELECT gen_random_uuid()::text, 'w' || x, 'embedded', 't' || x, 'c' || x, "
        f"'Follow up', 'HIGH', x, x FROM {source} ON CONFLICT (workflow_id) DO NOTHING RETURNING 1), "
        "p AS (UPDATE workflows SET status = 'completed', current_step = 'finalize', completed_at = updated_at, "
        f"updated_at = updated_at + 1 WHERE id IN (SELECT 'w' || x FROM {source}) AND status = 'running' "
        "RETURNING 1) SELECT (SELECT count(*) FROM st), (SELECT count(*) FROM d), "
        "(SELECT count(*) FROM t), (SELECT count(*) FROM p);"
    )
    return [
        (False, reads),
        (False, [contact, company]),
        (True, draft_intent),
        (False, [crm_task]),
        (True, task_intent),
        (True, [end, final, USAGE.format(a="drafts_created", b="tasks_created", n=k)]),
    ]


def script(body):
    return "\n".join(body) + "\n"


def main():
    k, stride, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    head = [f"\\set n :base + :client_id * {stride} + :i * {k} + 1", "\\set i :i + 1"]
    one = head[:]
    for in_tx, statements in stages("(SELECT :n::bigint AS x) AS u", 1):
        one += (["BEGIN;"] + statements + ["COMMIT;"]) if in_tx else statements
    together = head[:]
    per = [stages(f"(SELECT (:n + {i})::bigint AS x) AS u", 1) for i in range(k)]
    for stage in range(len(per[0])):
        in_tx = per[0][stage][0]
        statements = [s for workflow in per for s in workflow[stage][1]]
        together += (["BEGIN;"] + statements + ["COMMIT;"]) if in_tx else statements
    rows = head[:]
    nums = ", ".join(f":n + {i}" for i in range(k))
    for in_tx, statements in stages(f"unnest(ARRAY[{nums}]::bigint[]) AS u (x)", k):
        rows += (["BEGIN;"] + statements + ["COMMIT;"]) if in_tx else statements
    # One workflow's numbering (:i counts workflows, not groups of K).
    one[0] = f"\\set n :base + :client_id * {stride} + :i + 1"
    for name, body in (("one", one), ("together", together), ("rows", rows)):
        with open(f"{out}/{name}.sql", "w") as f:
            f.write(script(body))


if __name__ == "__main__":
    main()
