SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN region text DEFAULT default_region();
ALTER TABLE users ADD COLUMN code text DEFAULT next_code(); -- want: add-column-volatile-default "volatile DEFAULT next_code\(\)"
ALTER TABLE users ADD COLUMN ticket bigint DEFAULT nextval('tickets_seq'); -- want: add-column-volatile-default "volatile DEFAULT nextval\('tickets_seq'\) .*nextval\(\) gives every existing row its own value"
