CREATE INDEX CONCURRENTLY payments_user_id_idx ON payments (user_id);
