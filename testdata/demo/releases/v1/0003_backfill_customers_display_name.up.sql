-- lockstep:phase backfill
-- lockstep:batch key=id size=2000
-- The rows written before the trigger: copied in key ranges, each batch a
-- short transaction of its own with its checkpoint.
UPDATE customers SET display_name = fullname WHERE display_name IS NULL;
