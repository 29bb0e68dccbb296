SET lock_timeout = '2s';
DROP TABLE sessions; -- want: drop-table "takes ACCESS EXCLUSIVE on accounts too, which its foreign keys reference"
DROP TABLE users; -- want: drop-table "it also fails: orders still references it"
