SET lock_timeout = '2s';
CREATE INDEX measurements_device_idx ON measurements (device_id, taken_on); -- want: index-on-partitioned-table "builds it on measurements_2024, measurements_2025, measurements_2025_a holding SHARE"
