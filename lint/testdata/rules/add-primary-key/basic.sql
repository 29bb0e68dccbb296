SET lock_timeout = '2s';
-- lockstep does not know the columns of events: it may have to scan for NULLs too.
ALTER TABLE events ADD PRIMARY KEY (id); -- want: add-primary-key "ADD PRIMARY KEY on events builds its unique index while holding ACCESS EXCLUSIVE.*scans again if id may hold NULL"
ALTER TABLE visits ADD COLUMN visit_id bigserial PRIMARY KEY; -- want: add-primary-key "ADD COLUMN visit_id ... PRIMARY KEY rewrites visits"
ALTER TABLE audit_log ADD COLUMN log_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY; -- want: add-primary-key "ADD COLUMN log_id ... PRIMARY KEY rewrites audit_log to fill the column and builds the key.s unique index"

-- A table created in this file has no readers.
CREATE TABLE sessions (token text NOT NULL, user_id bigint);
ALTER TABLE sessions ADD PRIMARY KEY (token);
