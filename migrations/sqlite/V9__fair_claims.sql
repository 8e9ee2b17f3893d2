-- Claims rotate across tenants (each claim asks for one tenant's jobs on one queue), so the claim
-- index leads with the tenant after state and queue: a claim for tenant B finds B's first due job
-- directly instead of walking past tenant A's whole backlog. The old index is a prefix of this
-- one for every other query on it (counts and ages per state and queue).
DROP INDEX IF EXISTS jobs_claim;
CREATE INDEX jobs_claim_tenant ON jobs (state, queue, tenant_id, priority DESC, run_at);
