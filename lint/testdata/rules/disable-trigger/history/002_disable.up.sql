SET lock_timeout = '2s';
ALTER TABLE accounts DISABLE TRIGGER accounts_touch; -- want: disable-trigger "turns off the trigger accounts_touch of accounts: once committed, the writes of both releases skip it"
