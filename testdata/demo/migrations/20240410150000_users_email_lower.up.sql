-- lockstep:phase expand
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN email_lower text;
