SET lock_timeout = '2s';
ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200);
ALTER TABLE accounts ALTER COLUMN id TYPE bigint;
ALTER TABLE accounts DROP COLUMN "naïve";
