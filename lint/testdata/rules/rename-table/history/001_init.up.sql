CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE INDEX posts_title_idx ON posts (title);
