SET lock_timeout = '2s';
ALTER TABLE events ADD CONSTRAINT events_user_fk FOREIGN KEY (user_id) REFERENCES users (id); -- want: add-foreign-key-not-valid-missing "partitioned table events"
