CREATE TABLE users (email text NOT NULL, name text);
CREATE TABLE carts (code text, owner text);
CREATE TABLE tags (label text NOT NULL);
CREATE TABLE notes (ref text);
CREATE TABLE orders (ref text, total integer);
