SET lock_timeout = '2s';
ALTER TABLE measurements ADD CONSTRAINT measurements_sensor_taken_on_key UNIQUE (sensor, taken_on); -- want: add-unique-constraint "USING INDEX is not supported on a partitioned table: build the unique index partition by partition instead"
