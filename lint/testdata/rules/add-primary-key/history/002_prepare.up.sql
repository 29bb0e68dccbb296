SET lock_timeout = '2s';
ALTER TABLE notes ADD CONSTRAINT notes_ref_not_null CHECK (ref IS NOT NULL) NOT VALID;
