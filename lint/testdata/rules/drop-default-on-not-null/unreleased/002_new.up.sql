-- test: new=002,003
CREATE TABLE invites (id bigint PRIMARY KEY, state text NOT NULL DEFAULT 'sent');
