DROP SCHEMA billing; -- want: drop-schema "fails while it still holds billing.invoices"
DROP SCHEMA ledger CASCADE; -- want: drop-schema "drops ledger.accounts and ledger.entries with their data"
