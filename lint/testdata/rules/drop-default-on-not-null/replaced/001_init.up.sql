CREATE TABLE users (
  id bigint PRIMARY KEY,
  status text NOT NULL DEFAULT 'active',
  kind text NOT NULL DEFAULT 'person',
  region text NOT NULL DEFAULT 'eu',
  tier text NOT NULL DEFAULT 'basic',
  plan text NOT NULL DEFAULT 'free',
  locale text NOT NULL DEFAULT 'en'
);
