-- lockstep:phase contract
-- Contract: v0 is the only release that reads fullname. This runs once a
-- release after v1 is fully deployed, so rolling back to v1 still works.
SET lock_timeout = '2s';

DROP TRIGGER customers_sync_display_name ON customers;

DROP FUNCTION customers_sync_display_name();

ALTER TABLE customers DROP COLUMN fullname;
