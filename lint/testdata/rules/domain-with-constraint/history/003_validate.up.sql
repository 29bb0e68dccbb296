SET lock_timeout = '2s';
ALTER DOMAIN zip ADD CONSTRAINT zip_len CHECK (length(VALUE) = 5) NOT VALID;
