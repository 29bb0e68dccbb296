-- lockstep:phase contract
SET lock_timeout = '2s';
ALTER TABLE users DROP COLUMN nick; -- want: drop-column "declared contract"
