-- test: new=002,003
ALTER TABLE users ADD COLUMN handle text NOT NULL DEFAULT '';
