-- test: rule=drop-column:off
SET lock_timeout = '2s';
-- An ignore of a rule that is off is not reported: the configuration may turn it on again.
-- lockstep:ignore drop-column the column is unused since release 41
ALTER TABLE users DROP COLUMN legacy;
