-- lockstep:phase expand
SET lock_timeout = '2s';
ALTER TABLE users DROP COLUMN legacy; -- want: phase-mismatch "declared -- lockstep:phase expand, but this statement is contract"
