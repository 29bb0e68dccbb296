SET lock_timeout = '2s';
ALTER TABLE measurements DETACH PARTITION measurements_2023; -- want: detach-partition-non-concurrent "takes ACCESS EXCLUSIVE on measurements"
