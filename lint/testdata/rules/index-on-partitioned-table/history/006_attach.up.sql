SET lock_timeout = '2s';
-- ... attached to it.
ALTER INDEX measurements_id_idx ATTACH PARTITION measurements_2024_id_idx;
