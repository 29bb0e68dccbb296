-- lockstep:phase contract
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN email_lower text; -- want: phase-mismatch "declared -- lockstep:phase contract, but this statement is expand work"
