-- pending was added by 002, not released yet: nothing uses it.
ALTER TYPE status RENAME VALUE 'pending' TO 'waiting';
ALTER TYPE status RENAME VALUE 'gone' TO 'deleted'; -- want: alter-enum-rename-value "'gone' of enum status"
