ALTER TABLE accounts ADD COLUMN plan text;
ALTER TABLE accounts ADD COLUM tier text;
