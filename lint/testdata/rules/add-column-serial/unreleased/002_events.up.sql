-- test: new=002,003
CREATE TABLE audit (what text NOT NULL);
