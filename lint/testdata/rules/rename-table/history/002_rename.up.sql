-- test: new=002
SET lock_timeout = '2s';
-- ALTER TABLE also renames indexes: that is rename-index-or-constraint's business.
ALTER TABLE posts_title_idx RENAME TO posts_title_index;
CREATE VIEW recent_posts AS SELECT * FROM posts;
ALTER VIEW recent_posts RENAME TO latest_posts;
ALTER TABLE posts RENAME TO articles; -- want: rename-table "posts"
