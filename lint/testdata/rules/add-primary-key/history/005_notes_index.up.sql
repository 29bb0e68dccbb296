CREATE UNIQUE INDEX CONCURRENTLY notes_ref_idx ON notes (ref);
