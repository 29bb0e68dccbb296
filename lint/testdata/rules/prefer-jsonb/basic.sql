CREATE TABLE webhooks (
  payload json, -- want: prefer-jsonb "webhooks.payload is json: it has no equality operator"
  headers jsonb
);
ALTER TABLE webhooks ADD COLUMN history json[]; -- want: prefer-jsonb "webhooks.history"
ALTER TABLE webhooks ALTER COLUMN headers TYPE json; -- want: prefer-jsonb "webhooks.headers"
ALTER TABLE webhooks ALTER COLUMN payload TYPE jsonb USING payload::jsonb;
