CREATE SCHEMA reporting;
CREATE TABLE reporting.daily (day date PRIMARY KEY, total bigint);
