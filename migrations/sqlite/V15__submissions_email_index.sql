-- Issue 16: one B-tree fewer per accepted submission in the intake's group commit. The
-- submissions' (tenant, email, form, received) index served the dedupe step, the review's count of
-- earlier submissions and reconcile's duplicate-draft check; they now reach those submissions
-- through the workflows' (tenant, email, created) index (a workflow is written with its
-- submission's email and, as created_at, its received_at, and the two are changed together), so
-- the intake no longer writes an index of its own for them.
DROP INDEX IF EXISTS submissions_email_form;
