-- lockstep:phase backfill
-- lockstep:batch key=id size=5000
UPDATE users SET email_lower = lower(email) WHERE email_lower IS NULL;
