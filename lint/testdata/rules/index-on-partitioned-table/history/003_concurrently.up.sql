CREATE INDEX CONCURRENTLY measurements_value_idx ON measurements (value); -- want: index-on-partitioned-table "fails on the partitioned table measurements"
