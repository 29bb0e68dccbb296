ALTER TABLE notes VALIDATE CONSTRAINT notes_ref_not_null;
