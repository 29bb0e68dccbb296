CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id bigint PRIMARY KEY);
CREATE SCHEMA ledger;
CREATE TABLE ledger.entries (id bigint PRIMARY KEY);
CREATE TABLE ledger.accounts (id bigint PRIMARY KEY);
