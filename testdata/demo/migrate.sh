#!/usr/bin/env bash
# Demo stage "migrate": one column rename carried across releases on a
# throwaway PostgreSQL, with the real lockstep migrate and release commands.
#   v0  in production: customers, 300,000 rows.
#   v1  renames fullname to display_name: expand (new column + sync trigger),
#       batched backfill with progress (stopped by SIGTERM part-way, then
#       resumed), and a contract (drop fullname) that must wait for a release
#       after v1 to be fully deployed.
#   v2  adds an expand file after that contract's version; its contract run
#       is refused until v2 is recorded deployed, then waits (--drain-check)
#       while a shop@v0 session is connected, then runs.
# The files come from testdata/demo/releases/<release>/, copied into one
# golang-migrate directory release by release, as a repository grows.
#
# Usage: testdata/demo/migrate.sh BIN OUT
set -euo pipefail
bin=$(realpath "$1")
src=$(cd "$(dirname "$0")" && pwd)/releases
out=$(realpath -m "$2")/migrate
rm -rf "$out" && mkdir -p "$out/migrations"
cd "$out"

pgrun=""
pgdata=""
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$pgdata" ]; then $pgrun "$pgbin/pg_ctl" -D "$pgdata" stop -m immediate -w >/dev/null 2>&1 || true; rm -rf "$(dirname "$pgdata")"; fi
}
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

command -v python3 >/dev/null || { echo "migrate demo skipped: python3 not installed"; exit 0; }
pgbin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")
[ -x "$pgbin/initdb" ] || { echo "migrate demo skipped: PostgreSQL server binaries not installed (make deps)"; exit 0; }

# A throwaway PostgreSQL (as nobody when we are root: it refuses to run as
# root).
pgtmp=$(mktemp -d /tmp/lockstep-demo-pg.XXXXXX)
chmod 755 "$pgtmp"
if [ "$(id -u)" = 0 ]; then chown nobody "$pgtmp"; pgrun="runuser -u nobody --"; fi
pgdata=$pgtmp/data
pgport=$(freeport)
$pgrun "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >/dev/null
$pgrun "$pgbin/pg_ctl" -D "$pgdata" -l "$pgtmp/log" -w -o "-p $pgport -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pgtmp -c fsync=off" start >/dev/null
db="postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable"
export GITHUB_ACTOR=demo
sql() { "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 "$db" "$@"; }

# Backfill tuning for the demo: batches of at most 20,000 keys so that a
# few dozen of them show, and a progress line every second in CI logs.
cat >lockstep.yaml <<'YML'
version: 1
migrations:
  backfill:
    target_batch_duration: 50ms
    max_batch_size: 20000
    log_every: 1s
YML

# lockstep ARGS...: show the command (the URL as $DATABASE_URL), run it.
lockstep() {
  local shown=()
  for a in "$@"; do [ "$a" = "$db" ] && shown+=('"$DATABASE_URL"') || shown+=("$a"); done
  printf '\033[2m$ lockstep %s\033[0m\n' "${shown[*]}"
  "$bin" "$@"
}
migrate() { # migrate PHASE RELEASE
  lockstep migrate "$1" --release "$2" --database "$db" --dir migrations --report none
}
status() { lockstep migrate status --database "$db" --dir migrations; }
ship() { # ship RELEASE: its files join the directory
  cp "$src/$1"/*.up.sql migrations/
  echo "release $1 adds: $(cd "$src/$1" && ls *.up.sql | tr '\n' ' ')"
  "$bin" lint migrations --fail-on error >"lint-$1.txt" || { cat "lint-$1.txt"; exit 1; }
  echo "lockstep lint migrations: no error ($(tail -n 1 "lint-$1.txt"))"
}

say "release v0 (in production): customers, 300,000 rows"
ship v0
migrate expand v0
sql -c "INSERT INTO customers (id, fullname) SELECT g, 'Customer ' || g FROM generate_series(1, 300000) g"
lockstep release deployed v0 --database "$db"

say "release v1, before its deploy: expand"
ship v1
migrate expand v1
status

say "release v1: backfill in batches while v0 and v1 serve traffic"
echo "The deploy job is cancelled part-way (SIGTERM once 100,000 rows are done):"
printf '\033[2m$ lockstep migrate backfill --release v1 --database "$DATABASE_URL" --dir migrations --report none\033[0m\n'
"$bin" migrate backfill --release v1 --database "$db" --dir migrations --report none &
bf=$!
pids+=("$bf")
for _ in $(seq 1 400); do
  done_rows=$(sql -At -c "SELECT coalesce(max(rows_done), 0) FROM lockstep.backfills" 2>/dev/null || echo 0)
  [ "${done_rows:-0}" -ge 100000 ] && break
  kill -0 "$bf" 2>/dev/null || break
  sleep 0.05
done
kill -TERM "$bf" 2>/dev/null || true
set +e
wait "$bf"
code=$?
set -e
echo "exit code: $code (1: stopped after the batch under way; 0: it had finished first)"
[ "$code" -le 1 ] || exit "$code"
status
echo
echo "The job runs again and resumes after the checkpoint:"
migrate backfill v1
status
sql -At -c "SELECT 'rows with display_name unset: ' || count(*) FROM customers WHERE display_name IS NULL"

say "both releases write during the deploy; the trigger keeps the columns equal"
sql -c "INSERT INTO customers (id, fullname) VALUES (300001, 'written by v0')" \
    -c "INSERT INTO customers (id, display_name) VALUES (300002, 'written by v1')" \
    -c "SELECT id, fullname, display_name FROM customers WHERE id > 300000 ORDER BY id"

say "release v1, after its deploy: its own contract is only scheduled"
migrate contract v1
lockstep release deployed v1 --database "$db"

say "release v2, before its deploy: expand (version 5, after v1's waiting contract 4)"
ship v2
migrate expand v2
status

say "release v2's pipeline tries the contract before v2 is fully deployed: refused"
set +e
migrate contract v2
code=$?
set -e
echo "exit code: $code (1: contract refused)"
[ "$code" = 1 ] || { echo "expected exit 1 from the early contract" >&2; exit 1; }

say "release v2 recorded fully deployed: v1's contract is unlocked"
lockstep release deployed v2 --database "$db"

say "a v0 worker is still connected (application_name=shop@v0): --drain-check waits for it"
# An idle session that lasts as long as its input is open.
mkfifo worker.in
PGAPPNAME=shop@v0 "$pgbin/psql" -X -q "$db" <worker.in >/dev/null 2>&1 &
worker=$!
pids+=("$worker")
exec 3>worker.in
for _ in $(seq 1 100); do
  [ "$(sql -At -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'shop@v0'")" -ge 1 ] && break
  sleep 0.05
done
set +e
lockstep migrate contract --release v2 --drain-check --database "$db" --dir migrations --report none
code=$?
set -e
echo "exit code: $code (1: refused while an old release's session remains)"
[ "$code" = 1 ] || { echo "expected exit 1 from the drain check" >&2; exit 1; }
exec 3>&- # the worker disconnects
wait "$worker" 2>/dev/null || true
rm -f worker.in
for _ in $(seq 1 100); do
  [ "$(sql -At -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'shop@v0'")" = 0 ] && break
  sleep 0.05
done

say "the v0 worker is gone: the contract runs"
lockstep migrate contract --release v2 --drain-check --database "$db" --dir migrations --report none
status | tee status.txt
lockstep migrate status --database "$db" --dir migrations --format json >status.json

say "golang-migrate's own table, as its CLI sees it"
sql -c "SELECT version, dirty FROM schema_migrations"
say "the schema v2 runs on"
sql -c '\d customers'
