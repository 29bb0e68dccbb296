ALTER TYPE mood RENAME VALUE 'sad' TO 'unhappy'; -- want: alter-enum-rename-value "renaming value 'sad' of enum mood to 'unhappy' breaks the old release"
CREATE TYPE color AS ENUM ('red');
ALTER TYPE color RENAME VALUE 'red' TO 'crimson';
