-- lockstep:phase backfill
-- lockstep:batch key=id size=5000
-- lockstep migrate backfill runs this in key ranges of 5000 rows, one
-- short transaction each, with a checkpoint after every batch.
UPDATE users SET email_lower = lower(email) WHERE email_lower IS NULL;
