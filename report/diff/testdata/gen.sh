#!/usr/bin/env bash
# Re-makes pr.diff with real git: a base commit and a head commit that
# modifies a file in two hunks, renames one file with an edit, renames one
# unchanged, adds a file and deletes one. Run from anywhere:
#   report/diff/testdata/gen.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
git init -q -b main .
git config user.email t@example.com
git config user.name t
mkdir -p migrations db
{
  echo "-- users"
  for i in $(seq 1 30); do echo "ALTER TABLE users ADD COLUMN c$i int;"; done
} > migrations/001_users.up.sql
{
  echo "CREATE TABLE orders (id bigint PRIMARY KEY);"
  echo "CREATE INDEX orders_id ON orders (id);"
  echo "-- end"
} > db/orders.sql
printf 'SELECT 1;\nSELECT 2;\n' > db/keep.sql
printf 'DROP TABLE legacy;\n' > db/gone.sql
git add -A && git commit -q -m base
# two hunks in 001: line 3 changed, a line inserted after line 25
sed -i 's/ADD COLUMN c2 int;/ADD COLUMN c2 bigint;/' migrations/001_users.up.sql
sed -i '25a ALTER TABLE users ALTER COLUMN c24 SET NOT NULL;' migrations/001_users.up.sql
git mv db/orders.sql db/orders_v2.sql
sed -i 's/CREATE INDEX orders_id/CREATE INDEX CONCURRENTLY orders_id/' db/orders_v2.sql
git mv db/keep.sql db/kept.sql
git rm -q db/gone.sql
cat > migrations/002_index.up.sql <<'SQL'
CREATE INDEX users_email ON users (email);
ALTER TABLE users
  ALTER COLUMN email SET NOT NULL;
SQL
git add -A && git commit -q -m head
git diff -M --no-color --no-ext-diff --src-prefix=a/ --dst-prefix=b/ HEAD~1 HEAD > "$here/pr.diff"
