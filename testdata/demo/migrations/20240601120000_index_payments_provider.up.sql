CREATE INDEX payments_provider_idx ON payments (provider);
