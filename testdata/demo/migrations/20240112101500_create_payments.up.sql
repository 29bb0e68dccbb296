CREATE TABLE payments (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id     bigint NOT NULL,
  provider     text NOT NULL,
  amount       numeric(12,2) NOT NULL,
  -- The payment provider sends local times; we keep them as they come.
  captured_at  timestamp
);
