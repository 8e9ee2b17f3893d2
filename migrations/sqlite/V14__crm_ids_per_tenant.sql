-- Embedded CRM ids are HubSpot object ids, and each tenant is its own HubSpot portal: the same id
-- may name different contacts (and tasks) in two tenants. Key both tables by (tenant_id, id) and
-- have tasks reference their contact within their own tenant. Existing rows keep their ids.
-- Order matters with foreign keys on: the new tables are built and filled beside the old ones,
-- the old child is dropped before its parent, and the renames carry the new tasks' reference
-- over to the renamed contacts table.
CREATE TABLE crm_contacts_v14 (
    id         INTEGER NOT NULL,
    tenant_id  TEXT NOT NULL DEFAULT 'default',
    email      TEXT NOT NULL,
    first_name TEXT,
    last_name  TEXT,
    company    TEXT,
    job_title  TEXT,
    phone      TEXT,
    company_id INTEGER REFERENCES crm_companies (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
INSERT INTO crm_contacts_v14 (id, tenant_id, email, first_name, last_name, company, job_title,
                              phone, company_id, created_at, updated_at)
    SELECT id, tenant_id, email, first_name, last_name, company, job_title,
           phone, company_id, created_at, updated_at
    FROM crm_contacts;

CREATE TABLE crm_tasks_v14 (
    id         INTEGER NOT NULL,
    tenant_id  TEXT NOT NULL DEFAULT 'default',
    contact_id INTEGER NOT NULL,
    reference  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    priority   TEXT NOT NULL,
    task_type  TEXT NOT NULL,
    owner_id   TEXT,
    status     TEXT NOT NULL DEFAULT 'NOT_STARTED',
    due_at     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES crm_contacts_v14 (tenant_id, id)
);
INSERT INTO crm_tasks_v14 (id, tenant_id, contact_id, reference, subject, body, priority,
                           task_type, owner_id, status, due_at, created_at)
    SELECT id, tenant_id, contact_id, reference, subject, body, priority,
           task_type, owner_id, status, due_at, created_at
    FROM crm_tasks;

DROP TABLE crm_tasks;
DROP TABLE crm_contacts;
ALTER TABLE crm_contacts_v14 RENAME TO crm_contacts;
ALTER TABLE crm_tasks_v14 RENAME TO crm_tasks;

CREATE UNIQUE INDEX crm_contacts_email ON crm_contacts (tenant_id, email);
CREATE UNIQUE INDEX crm_tasks_reference ON crm_tasks (tenant_id, reference);
CREATE INDEX crm_tasks_contact ON crm_tasks (tenant_id, contact_id);
