CREATE TABLE countries (
  code char(2) PRIMARY KEY, -- want: ban-char "countries.code is char\(2\): it pads values with spaces"
  flag character, -- want: ban-char "countries.flag is char\(1\)"
  kind "char",
  name text,
  iso varchar(3)
);
ALTER TABLE countries ADD COLUMN region bpchar(5); -- want: ban-char "countries.region"
ALTER TABLE countries ALTER COLUMN iso TYPE character(3); -- want: ban-char "countries.iso"
CREATE TABLE labels (name text, short varchar(8));
ALTER TABLE labels ADD COLUMN tag "char";
