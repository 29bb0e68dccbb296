-- user_id matches the key it references: change users.id first.
CREATE TABLE orders (id bigint PRIMARY KEY, user_id int REFERENCES users (id));
CREATE TABLE notes (id bigint PRIMARY KEY, user_id int, FOREIGN KEY (user_id) REFERENCES users);
