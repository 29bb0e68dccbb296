CREATE TABLE orders (
  id bigint PRIMARY KEY,
  user_id bigint REFERENCES users (id), -- want: fk-without-index "no index leads with the foreign key columns orders \(user_id\): every DELETE from users"
  shop_id bigint REFERENCES shops (id)
);
-- created later in the same file: covers shop_id
CREATE INDEX orders_shop_id_idx ON orders (shop_id, id);
CREATE TABLE memberships (
  user_id bigint REFERENCES users (id),
  team_id bigint REFERENCES teams (id), -- want: fk-without-index "memberships \(team_id\)"
  PRIMARY KEY (user_id, team_id)
);
CREATE TABLE tags (
  id bigint PRIMARY KEY,
  post_id bigint,
  CONSTRAINT tags_post_fk FOREIGN KEY (post_id) REFERENCES posts (id) -- want: fk-without-index "tags \(post_id\)"
);
-- a partial index does not cover every lookup
CREATE INDEX tags_post_live_idx ON tags (post_id) WHERE id > 0;
CREATE TABLE ratings (
  user_id bigint REFERENCES users (id),
  item_id bigint,
  UNIQUE (user_id, item_id)
);
