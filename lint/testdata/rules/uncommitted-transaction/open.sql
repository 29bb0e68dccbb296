BEGIN; -- want: uncommitted-transaction "BEGIN at line 1 is never committed"
ALTER TABLE users ADD COLUMN a text;
