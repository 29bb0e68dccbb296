-- lockstep:phase contract
SET lock_timeout = '2s';
ALTER TABLE orders ALTER COLUMN state DROP DEFAULT; -- want: drop-default-on-not-null "declared contract"
