-- test: runner=multi-statement
DO $$
BEGIN
  UPDATE users SET a = 1 WHERE id = 1; -- want: naive-split-dollar-quote "also at this one inside a dollar-quoted body: the statement at line 2 is sent in two pieces"
  UPDATE users SET b = 2 WHERE id = 2;
END
$$;
SELECT 'a;b'; -- want: naive-split-dollar-quote "inside a string literal"
-- a comment; with text after it -- want: naive-split-dollar-quote "inside a -- comment"
SELECT 1;
-- a comment that ends with a semicolon is harmless;
SELECT 2;
SELECT E'it\'s; fine' AS x; -- want: naive-split-dollar-quote "string literal"
CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; -- want: naive-split-dollar-quote "BEGIN ATOMIC"
END;
CREATE TABLE "odd;name" (id bigint); -- want: naive-split-dollar-quote "quoted identifier"
/* block; comment */ SELECT 3; -- want: naive-split-dollar-quote "comment"
