CREATE UNIQUE INDEX CONCURRENTLY tags_label_idx ON tags (label);
