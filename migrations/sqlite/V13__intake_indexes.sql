-- Issue 16: every index on submissions, workflows and jobs is a B-tree insert inside the intake's
-- group commit. The v3 signature's unique index was the costliest (its keys are random, so each
-- accepted submission dirtied a page of its own) and caught nothing the dedupe index does not: a
-- replayed signed request has the same body, hence the same dedupe keys. The signature stays
-- stored, for inspection; it is no longer indexed.
DROP INDEX IF EXISTS submissions_signature;
