-- lockstep:phase contract
SET lock_timeout = '2s';
DROP TABLE old_reports; -- want: drop-table "declared contract"
