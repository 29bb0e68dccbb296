SET lock_timeout = '2s';
DROP TABLE legacy_events; -- want: drop-table "dropping table legacy_events breaks the old release"
DROP TABLE IF EXISTS audit_old CASCADE; -- want: drop-table "CASCADE silently drops every view and foreign key"
-- A table the same file creates has no readers.
CREATE TABLE scratch (id bigint PRIMARY KEY);
DROP TABLE scratch;
-- Dropping other things is not this rule's business.
DROP VIEW IF EXISTS report_v;
