CREATE TABLE events (id bigserial PRIMARY KEY, payload jsonb); -- want: prefer-identity "events.id is bigserial: an identity column does the same"
CREATE TABLE jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
ALTER TABLE events ADD COLUMN seq smallserial; -- want: prefer-identity "events.seq is smallserial"
ALTER TABLE events ADD COLUMN n bigint;
