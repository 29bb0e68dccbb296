SET lock_timeout = '2s';
-- Already so: nothing to rewrite.
ALTER TABLE accounts SET LOGGED;
ALTER TABLE page_cache SET UNLOGGED;
ALTER TABLE page_cache SET LOGGED; -- want: set-logged-unlogged "SET LOGGED rewrites page_cache"
