DROP INDEX CONCURRENTLY users_email_idx; -- want: prefer-robust-stmts "users_email_idx is then gone"
