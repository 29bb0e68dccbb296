BEGIN;
ALTER TABLE users ADD COLUMN a text;
PREPARE TRANSACTION 'add_a'; -- want: uncommitted-transaction "PREPARE TRANSACTION leaves a prepared transaction"
