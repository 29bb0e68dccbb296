-- lockstep:phase contract
-- Release 2024.06 stopped reading users.name; every instance runs it now.
SET lock_timeout = '2s';
ALTER TABLE users DROP COLUMN name;
