SELECT 1;
ALTER TABLE users ADD COLUMN; -- want: syntax-error "syntax error at or near \";\""
