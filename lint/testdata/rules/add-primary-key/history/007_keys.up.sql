SET lock_timeout = '2s';
-- email is NOT NULL: only the index build.
ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (email); -- want: add-primary-key "ADD PRIMARY KEY on users builds its unique index while holding ACCESS EXCLUSIVE: reads and writes wait for the whole build$"
-- USING INDEX on a NOT NULL column: catalog-only.
ALTER TABLE tags ADD CONSTRAINT tags_pkey PRIMARY KEY USING INDEX tags_label_idx;
-- USING INDEX on a column proven by the CHECK validated in 003: catalog-only from PostgreSQL 12.
ALTER TABLE notes ADD CONSTRAINT notes_pkey PRIMARY KEY USING INDEX notes_ref_idx;
-- USING INDEX, but code may hold NULL: SET NOT NULL scans under ACCESS EXCLUSIVE.
ALTER TABLE carts ADD CONSTRAINT carts_pkey PRIMARY KEY USING INDEX carts_code_idx; -- want: add-primary-key "ADD PRIMARY KEY USING INDEX carts_code_idx sets code NOT NULL, which scans carts under ACCESS EXCLUSIVE"
-- ref may hold NULL: the build, then a second scan to set it NOT NULL.
ALTER TABLE orders ADD PRIMARY KEY (ref); -- want: add-primary-key "ADD PRIMARY KEY on orders .*, then scans again to set ref NOT NULL"
