SET lock_timeout = '2s';
ALTER DOMAIN zip VALIDATE CONSTRAINT zip_len; -- want: domain-with-constraint "validating constraint zip_len of domain zip scans customers, shops"
