ALTER TABLE measurements DETACH PARTITION measurements_2024 CONCURRENTLY; -- want: detach-partition-non-concurrent "needs PostgreSQL 14: on 13 the statement is a syntax error"
