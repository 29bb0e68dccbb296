-- lockstep:phase contract
SET lock_timeout = '2s';
ALTER TABLE users DROP CONSTRAINT users_pkey; -- want: drop-constraint "it also fails while orders references it"
