SET lock_timeout = '2s';
-- invoice_staging comes from 002, not released yet: nothing reads it.
DROP TABLE invoice_staging;
-- invoices comes from 001, released: the old release reads it.
DROP TABLE invoices; -- want: drop-table "invoices"
