SET lock_timeout = '2s';
ALTER DOMAIN zip ADD CONSTRAINT zip_digits CHECK (VALUE ~ '^[0-9]{5}$'); -- want: domain-with-constraint "adding CHECK zip_digits to domain zip scans customers, shops under SHARE"
ALTER DOMAIN unused ADD CONSTRAINT unused_positive CHECK (VALUE > 0);
