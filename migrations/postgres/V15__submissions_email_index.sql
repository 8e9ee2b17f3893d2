-- Issue 16: one B-tree fewer per accepted submission (see migrations/sqlite/V15): the readers of
-- the submissions' email index go through the workflows' (tenant, email, created) index.
DROP INDEX IF EXISTS submissions_email_form;
