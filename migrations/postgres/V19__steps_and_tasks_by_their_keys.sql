-- Issue 16: a step row is keyed by (workflow_id, seq, attempt) alone, as on SQLite (see its V19):
-- nothing looks a step up by its id, so the id's primary-key index was one more index entry per
-- step row inserted. The unique index on the natural key becomes the primary key as it is (no
-- rebuild, every row kept); the id stays, NOT NULL.
ALTER TABLE workflow_steps DROP CONSTRAINT workflow_steps_pkey;
ALTER TABLE workflow_steps ALTER COLUMN id SET NOT NULL;
ALTER TABLE workflow_steps ADD CONSTRAINT workflow_steps_pkey PRIMARY KEY USING INDEX workflow_steps_attempt;

-- And `tasks` keyed by workflow_id (it was UNIQUE already), as on SQLite: its id's index was
-- read by nobody.
ALTER TABLE tasks DROP CONSTRAINT tasks_pkey;
ALTER TABLE tasks ALTER COLUMN id SET NOT NULL;
ALTER TABLE tasks DROP CONSTRAINT tasks_workflow_id_key;
ALTER TABLE tasks ADD CONSTRAINT tasks_pkey PRIMARY KEY (workflow_id);
