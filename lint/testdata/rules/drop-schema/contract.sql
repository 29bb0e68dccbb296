-- lockstep:phase contract
DROP SCHEMA old_reports CASCADE; -- want: drop-schema "declared contract"
