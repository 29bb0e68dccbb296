-- The index comes from an unreleased file: nothing uses it yet.
DROP INDEX users_email_idx;
