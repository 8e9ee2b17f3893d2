#!/usr/bin/env python3
"""The pgbench scripts of bench/pg-batching.sh: one.sql, together.sql and rows.sql in OUTDIR.

    python3 bench/pg_batching.py model final K ROWS OUTDIR
    python3 bench/pg_batching.py product final|workflow K STRIDE OUTDIR

`one` makes a workflow's statements a transaction at a time, `together` K workflows' in one
transaction (a statement each), `rows` K workflows' in each statement. `model` picks workflows
at random among ROWS on tables of the product's index counts; `product` works on the product's
tables, each client on workflows of its own (STRIDE of them a run, from the run's `:base`, `:i`
counting the client's transactions), so that no two transactions finish the same workflow.

The unit `final` is a run's final commit: the job's end fenced by owner and attempt, four step
rows, a draft, the workflow's progress, two usage counters. The unit `workflow` is a whole
workflow: the run's first reads, the embedded CRM's contact, company and task, the draft's and
the task's intent commits (lease check with the progress, the step's latest attempt, the step
rows; the task's with the usage counters) and the final commit (the job's end, then steps,
draft, task row and progress in one statement, then the usage counters), stage by stage as a
worker makes them: 13 step rows (2 of them updated), 23 messages a workflow in `one`. The claim
is left out (the product already claims several jobs a statement).
"""

import sys

USAGE_ARGS = "model final K ROWS OUTDIR | product final|workflow K STRIDE OUTDIR"

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


def with_transactions(stage_list):
    """The statements of (in a transaction?, statements) stages, BEGIN and COMMIT around those in one."""
    body = []
    for in_tx, statements in stage_list:
        body += (["BEGIN;"] + statements + ["COMMIT;"]) if in_tx else statements
    return body


def workflow_scripts(k, head_one, head_k):
    """UNIT=workflow on the product's tables."""
    one = [head_one] + with_transactions(stages("(SELECT :n::bigint AS x) AS u", 1))
    per = [stages(f"(SELECT (:n + {i})::bigint AS x) AS u", 1) for i in range(k)]
    together = [head_k] + with_transactions(
        (per[0][stage][0], [s for workflow in per for s in workflow[stage][1]])
        for stage in range(len(per[0]))
    )
    nums = ", ".join(f":n + {i}" for i in range(k))
    rows = [head_k] + with_transactions(stages(f"unnest(ARRAY[{nums}]::bigint[]) AS u (x)", k))
    return one, together, rows


def model_final_one(x):
    """A run's final commit on the model's tables, for the workflow number x (an expression)."""
    return f"""UPDATE jobs SET state = 'completed', lease_expires_at = NULL, updated_at = {x}
    WHERE id = {x} AND owner = 'w' AND attempt = 1 RETURNING id;
INSERT INTO workflow_steps SELECT gen_random_uuid()::text, {x}, s, 1, 'completed', repeat('x', 300), {x}
    FROM generate_series(10, 13) s;
INSERT INTO drafts VALUES (gen_random_uuid()::text, 't', {x}, 'lead' || {x} || '@example.com',
    'Following up', repeat('y', 900), 'pending', 70, {x});
UPDATE workflows SET status = 'completed', updated_at = updated_at + 1 WHERE id = {x};
INSERT INTO usage VALUES ('t', '2026-12-03', 'drafts', :client_id % 16, 1),
    ('t', '2026-12-03', 'tasks', :client_id % 16, 1)
    ON CONFLICT (tenant_id, day, metric, shard) DO UPDATE SET n = usage.n + excluded.n;"""


def model_final_rows(k):
    """The final commits of K workflows on the model's tables, a statement a table."""
    ids = "ARRAY[" + ",".join(f":n + {i}" for i in range(k)) + "]::bigint[]"
    return f"""UPDATE jobs SET state = 'completed', lease_expires_at = NULL, updated_at = id
    WHERE id = ANY ({ids}) AND owner = 'w' AND attempt = 1 RETURNING id;
INSERT INTO workflow_steps SELECT gen_random_uuid()::text, w, s, 1, 'completed', repeat('x', 300), w
    FROM unnest({ids}) w, generate_series(10, 13) s;
INSERT INTO drafts SELECT gen_random_uuid()::text, 't', w, 'lead' || w || '@example.com',
    'Following up', repeat('y', 900), 'pending', 70, w FROM unnest({ids}) w;
UPDATE workflows SET status = 'completed', updated_at = updated_at + 1
    WHERE id = ANY ({ids});
INSERT INTO usage VALUES ('t', '2026-12-03', 'drafts', :client_id % 16, {k}),
    ('t', '2026-12-03', 'tasks', :client_id % 16, {k})
    ON CONFLICT (tenant_id, day, metric, shard) DO UPDATE SET n = usage.n + excluded.n;"""


def product_final_one(x):
    """A run's final commit on the product's tables, for the workflow number x (an expression)."""
    return f"""UPDATE jobs SET state = 'completed', lease_owner = NULL, lease_expires_at = NULL, updated_at = {x}
    WHERE id = 'j' || ({x}) AND lease_owner = 'w' AND attempt = 1 AND state = 'running' RETURNING id;
INSERT INTO workflow_steps (id, workflow_id, seq, name, attempt, status, output, started_at,
        finished_at, duration_ms)
    SELECT gen_random_uuid()::text, 'w' || ({x}), s, 'step' || s, 1, 'completed', repeat('x', 300),
        {x}, {x}, 1 FROM generate_series(10, 13) s;
INSERT INTO drafts (id, workflow_id, recipient, sender, subject, body, message_id, score, mailbox,
        status, created_at, updated_at)
    VALUES (gen_random_uuid()::text, 'w' || ({x}), 'lead' || ({x}) || '@example.com',
        'sales@example.com', 'Following up', repeat('y', 900), '<m' || ({x}) || '@example.com>', 70,
        'embedded', 'pending_review', {x}, {x});
UPDATE workflows SET status = 'completed', current_step = 'finalize', updated_at = {x},
    completed_at = {x} WHERE id = 'w' || ({x});
INSERT INTO usage (tenant_id, day, metric, shard, n) VALUES ('default', '2026-12-03', 'drafts',
    :client_id % 16, 1), ('default', '2026-12-03', 'tasks', :client_id % 16, 1)
    ON CONFLICT (tenant_id, day, metric, shard) DO UPDATE SET n = usage.n + excluded.n;"""


def product_final_rows(k):
    """The final commits of K workflows on the product's tables, a statement a table."""
    def ids(prefix):
        return "ARRAY[" + ",".join(f"'{prefix}' || (:n + {i})" for i in range(k)) + "]"
    return f"""UPDATE jobs SET state = 'completed', lease_owner = NULL, lease_expires_at = NULL, updated_at = :n
    WHERE id = ANY ({ids('j')}) AND lease_owner = 'w' AND attempt = 1 AND state = 'running'
    RETURNING id;
INSERT INTO workflow_steps (id, workflow_id, seq, name, attempt, status, output, started_at,
        finished_at, duration_ms)
    SELECT gen_random_uuid()::text, w, s, 'step' || s, 1, 'completed', repeat('x', 300), :n, :n, 1
    FROM unnest({ids('w')}) w, generate_series(10, 13) s;
INSERT INTO drafts (id, workflow_id, recipient, sender, subject, body, message_id, score, mailbox,
        status, created_at, updated_at)
    SELECT gen_random_uuid()::text, w, w || '@example.com', 'sales@example.com', 'Following up',
        repeat('y', 900), '<' || w || '@example.com>', 70, 'embedded', 'pending_review', :n, :n
    FROM unnest({ids('w')}) w;
UPDATE workflows SET status = 'completed', current_step = 'finalize', updated_at = :n,
    completed_at = :n WHERE id = ANY ({ids('w')});
INSERT INTO usage (tenant_id, day, metric, shard, n) VALUES ('default', '2026-12-03', 'drafts',
    :client_id % 16, {k}), ('default', '2026-12-03', 'tasks', :client_id % 16, {k})
    ON CONFLICT (tenant_id, day, metric, shard) DO UPDATE SET n = usage.n + excluded.n;"""


def final_scripts(k, head_one, head_k, one_commit, rows_commit, term):
    """UNIT=final: one transaction of `one_commit(term(i))` each, or of `rows_commit(k)`."""
    one = [head_one, "BEGIN;", one_commit(":n"), "COMMIT;"]
    together = [head_k, "BEGIN;"] + [one_commit(term(i)) for i in range(k)] + ["COMMIT;"]
    rows = [head_k, "BEGIN;", rows_commit(k), "COMMIT;"]
    return one, together, rows


def main():
    if len(sys.argv) != 6:
        sys.exit(f"usage: {sys.argv[0]} {USAGE_ARGS}")
    schema, unit, k, span, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    if schema == "model" and unit == "final":
        head = f"\\set n random(1, {span - k})"
        scripts = final_scripts(k, head, head, model_final_one, model_final_rows, lambda i: f"(:n + {i})")
    elif schema == "product" and unit in ("final", "workflow"):
        counter = "\\set i :i + 1"
        head_one = f"\\set n :base + :client_id * {span} + :i + 1\n{counter}"
        head_k = f"\\set n :base + :client_id * {span} + :i * {k} + 1\n{counter}"
        if unit == "final":
            scripts = final_scripts(k, head_one, head_k, product_final_one, product_final_rows, lambda i: f":n + {i}")
        else:
            scripts = workflow_scripts(k, head_one, head_k)
    else:
        sys.exit(f"usage: {sys.argv[0]} {USAGE_ARGS}")
    for name, body in zip(("one", "together", "rows"), scripts):
        with open(f"{out}/{name}.sql", "w") as f:
            f.write("\n".join(body) + "\n")


if __name__ == "__main__":
    main()
