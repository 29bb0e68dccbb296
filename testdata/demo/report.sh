#!/usr/bin/env bash
# Demo stage "report": what lockstep would post on a pull request, written
# as markdown files, without a token. A throwaway git repository gets the
# sample service's migrations as its main branch and a pull request that
# adds the newest one; `lockstep lint --since main --report local` then
# writes the sticky comment, the review comments (only on the lines the pull
# request adds) and the job summary. A `lockstep plan --dry-run` after it
# adds its own section to the same sticky comment, leaving lint's as it was,
# as each stage does on the pull request.
#
# Usage: testdata/demo/report.sh BIN OUT
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "$2")/report
rm -rf "$out" && mkdir -p "$out"
repo="$out/repo"
mkdir -p "$repo/migrations"

src=testdata/demo/migrations
if [ -d "$src" ] && ls "$src"/*.up.sql >/dev/null 2>&1; then
  cp "$src"/*.sql "$repo/migrations/"
else
  # The sample service is not there yet: a small history of our own.
  cat > "$repo/migrations/001_create_accounts.up.sql" <<'SQL'
CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
SQL
  cat > "$repo/migrations/002_accounts_email.up.sql" <<'SQL'
SET lock_timeout = '2s';
CREATE INDEX accounts_email ON accounts (email);
ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;
SQL
fi

git_() { git -C "$repo" -c user.name=demo -c user.email=demo@example.com -c commit.gpgsign=false "$@"; }
newest=$(cd "$repo/migrations" && ls -1 ./*.up.sql | sort | tail -n 1)
newest=${newest#./}
mv "$repo/migrations/$newest" "$out/$newest"
git_ init -q -b main
git_ add -A && git_ commit -q -m "the service so far"
git_ checkout -q -b add-migration
mv "$out/$newest" "$repo/migrations/$newest"
git_ add -A && git_ commit -q -m "pull request: $newest"

echo "pull request adds migrations/$newest; lockstep lint --since main --report local:"
code=0
(cd "$repo" && "$bin" lint migrations --since main --report local --report-dir "$out") || code=$?
echo "lint exit code: $code (1 = findings at or above --fail-on)"
if [ "$code" -gt 1 ]; then exit "$code"; fi
if grep -q 'captured_at  *timestamp$' "$repo"/migrations/*.sql 2>/dev/null; then
  echo
  echo "the next stage adds its section: lockstep plan change-column-type payments.captured_at timestamptz --dry-run --report local:"
  (cd "$repo" && "$bin" plan change-column-type payments.captured_at timestamptz --dry-run --report local --report-dir "$out" >/dev/null)
fi
echo
echo "what lockstep would post:"
for f in "$out"/*.md; do
  echo "  $f"
done
