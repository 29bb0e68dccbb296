-- test: new=002,003
CREATE SCHEMA staging;
