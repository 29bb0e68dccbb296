BEGIN;
ALTER TABLE users ADD COLUMN a text;
ROLLBACK; -- want: uncommitted-transaction "the transaction opened at line 1 ends with ROLLBACK"
