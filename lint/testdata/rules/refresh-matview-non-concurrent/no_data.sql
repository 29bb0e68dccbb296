REFRESH MATERIALIZED VIEW weekly_sales WITH NO DATA; -- want: refresh-matview-non-concurrent "WITH NO DATA empties it: every read fails"
