-- lockstep:phase expand
-- Release v2 adds an optional email: a new expand file whose version comes
-- after the contract v1 left waiting.
SET lock_timeout = '2s';

ALTER TABLE customers ADD COLUMN email text;
