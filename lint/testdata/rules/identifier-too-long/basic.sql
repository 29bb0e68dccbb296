CREATE TABLE customer_subscription_billing_history_entries_with_extra_context_v2 (id bigint PRIMARY KEY); -- want: identifier-too-long "is 67 bytes: PostgreSQL silently truncates it to 63"
-- the second use of the same name is not reported again
ALTER TABLE customer_subscription_billing_history_entries_with_extra_context_v2 ADD COLUMN note text;
CREATE INDEX "Übersicht_der_Abonnements_für_Kündigungsgründe_äöü_größer_sechzig" ON short_name (id); -- want: identifier-too-long "is 74 bytes"
CREATE TABLE short_name (id bigint PRIMARY KEY, "MixedCase" text);
SELECT 'a string literal that is longer than sixty-three bytes is no identifier at all';
DO $$
BEGIN
  ALTER TABLE short_name ADD COLUMN a_column_name_that_is_definitely_much_longer_than_sixty_three_bytes int; -- want: identifier-too-long "a_column_name_that_is_definitely_much_longer_than_sixty_three_bytes"
END
$$;
