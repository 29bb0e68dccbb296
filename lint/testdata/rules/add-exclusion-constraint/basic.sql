SET lock_timeout = '2s';
ALTER TABLE coupons ADD CONSTRAINT coupons_code_excl EXCLUDE (code WITH =); -- want: add-exclusion-constraint "the exclusion constraint coupons_code_excl builds its index and checks every row of coupons while holding ACCESS EXCLUSIVE"
ALTER TABLE coupons ADD EXCLUDE USING hash (campaign WITH =); -- want: add-exclusion-constraint "coupons_campaign_excl"

-- Other constraints are other rules' business.
ALTER TABLE coupons ADD CONSTRAINT coupons_code_check CHECK (code <> '') NOT VALID;

-- A table created in this file has no readers.
CREATE TABLE slots (id bigint PRIMARY KEY, during tstzrange);
ALTER TABLE slots ADD CONSTRAINT slots_no_overlap EXCLUDE USING gist (during WITH &&);
