SELECT set_config('lock_timeout', '3s', true);
ALTER TABLE accounts DROP CONSTRAINT accounts_old_check;
