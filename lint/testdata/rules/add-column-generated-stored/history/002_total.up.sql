SET lock_timeout = '2s';
ALTER TABLE items ADD COLUMN total_cents bigint GENERATED ALWAYS AS (price_cents * quantity) STORED; -- want: add-column-generated-stored "items.total_cents"
