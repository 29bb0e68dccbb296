-- The history: created in an earlier release, so it has readers now.
CREATE TABLE accounts (
  id      int PRIMARY KEY,
  email   varchar(100) NOT NULL,
  "naïve" text,
  status  text
);
