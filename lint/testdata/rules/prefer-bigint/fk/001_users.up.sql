CREATE TABLE users (id int PRIMARY KEY); -- want: prefer-bigint "users.id"
