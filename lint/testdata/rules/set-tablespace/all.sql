ALTER TABLE ALL IN TABLESPACE archive SET TABLESPACE pg_default; -- want: set-tablespace "ALTER TABLE ALL IN TABLESPACE archive copies every table stored there"
