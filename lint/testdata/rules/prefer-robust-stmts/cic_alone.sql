CREATE INDEX CONCURRENTLY users_email_idx ON users (email); -- want: prefer-robust-stmts "leaves an INVALID index behind if it fails"
