SET lock_timeout = '2s';
-- invoices comes from a released file: it has rows and readers.
ALTER TABLE invoices ADD CONSTRAINT invoices_amount_positive CHECK (amount > 0); -- want: add-check-not-valid-missing "invoices"
