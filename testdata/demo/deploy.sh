#!/usr/bin/env bash
# Demo stage "deploy": two canary rollouts through a real nginx, analysed in a
# real Prometheus, recorded in a throwaway PostgreSQL ledger.
#   v2 is healthy: promoted through 20% → 50% → 100%, recorded deployed, which
#      unlocks the contract migration release v1 left behind.
#   v3 fails 40% of its requests: rolled back to v2 by itself.
# The analysis figures of every step are printed; then the contract runs.
#
# Usage: testdata/demo/deploy.sh BIN OUT
set -euo pipefail
bin=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "$2")/deploy
rm -rf "$out" && mkdir -p "$out"
cd "$out"

pids=()
pgdata=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$pgdata" ]; then $pgrun "$pgbin/pg_ctl" -D "$pgdata" stop -m immediate -w >/dev/null 2>&1 || true; rm -rf "$(dirname "$pgdata")"; fi
}
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
wait_http() { for _ in $(seq 1 200); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "not up: $1" >&2; return 1; }

for tool in nginx prometheus curl python3; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "deploy demo skipped: $tool not installed (make deps)"; exit 0; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
pgbin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")
[ -x "$pgbin/initdb" ] || { echo "deploy demo skipped: PostgreSQL server binaries not installed (make deps)"; exit 0; }

say "building the demo service"
(cd "$root" && go build -o "$out/bin/demoapp" ./internal/demoapp/cmd/demoapp)

# A throwaway PostgreSQL for the ledger (as nobody when we are root: it
# refuses to run as root).
pgrun=""
pgtmp=$(mktemp -d /tmp/lockstep-demo-pg.XXXXXX)
chmod 755 "$pgtmp"
if [ "$(id -u)" = 0 ]; then chown nobody "$pgtmp"; pgrun="runuser -u nobody --"; fi
pgdata=$pgtmp/data
pgport=$(freeport)
$pgrun "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >/dev/null
$pgrun "$pgbin/pg_ctl" -D "$pgdata" -l "$pgtmp/log" -w -o "-p $pgport -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pgtmp -c fsync=off" start >/dev/null
export LOCKSTEP_DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable"
export GITHUB_ACTOR=demo

# Three instances of the demo service: v1 (stable), v2 (healthy), v3 (fails 40%).
declare -A port
for v in v1 v2 v3; do port[$v]=$(freeport); done
"$out/bin/demoapp" -listen "127.0.0.1:${port[v1]}" -version v1 & pids+=($!)
"$out/bin/demoapp" -listen "127.0.0.1:${port[v2]}" -version v2 & pids+=($!)
"$out/bin/demoapp" -listen "127.0.0.1:${port[v3]}" -version v3 -fail-rate 0.4 & pids+=($!)
for v in v1 v2 v3; do wait_http "http://127.0.0.1:${port[$v]}/healthz"; done

# Prometheus scraping them every 500ms.
promport=$(freeport)
cat >prometheus.yml <<YML
global: {scrape_interval: 500ms, evaluation_interval: 500ms}
scrape_configs:
  - job_name: demo
    static_configs:
      - targets: ["127.0.0.1:${port[v1]}", "127.0.0.1:${port[v2]}", "127.0.0.1:${port[v3]}"]
YML
prometheus --config.file=prometheus.yml --storage.tsdb.path=prom-data --web.listen-address="127.0.0.1:$promport" >prometheus.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$promport/-/ready"

# nginx in front, with a private prefix; lockstep writes upstream.conf and
# location.conf, starting with everything on v1.
ngxport=$(freeport)
mkdir -p nginx/logs nginx/tmp && chmod -R 777 nginx
user=""; [ "$(id -u)" = 0 ] && user="user root;"
cat >nginx/nginx.conf <<NGX
$user
daemon off;
worker_processes 2;
pid $out/nginx/nginx.pid;
error_log $out/nginx/logs/error.log notice;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path $out/nginx/tmp/body;
    proxy_temp_path $out/nginx/tmp/proxy;
    fastcgi_temp_path $out/nginx/tmp/fastcgi;
    uwsgi_temp_path $out/nginx/tmp/uwsgi;
    scgi_temp_path $out/nginx/tmp/scgi;
    include $out/nginx/upstream.conf;
    server {
        listen 127.0.0.1:$ngxport;
        include $out/nginx/location.conf;
    }
}
NGX
config() { # config STABLE CANDIDATE > file
  cat <<YML
deploy:
  provider: nginx
  strategy: canary
  nginx:
    binary: $nginx_bin
    prefix: $out/nginx
    conf: $out/nginx/nginx.conf
    upstream_file: $out/nginx/upstream.conf
    location_file: $out/nginx/location.conf
    verify_url: http://127.0.0.1:$ngxport/_lockstep/generation
    pid_file: $out/nginx/nginx.pid
    stable: ["127.0.0.1:${port[$1]}"]
    candidate: ["127.0.0.1:${port[$2]}"]
  canary:
    steps:
      - weight: 20
        pause: 1s
      - weight: 50
        pause: 1s
      - weight: 100
  analysis:
    prometheus: http://127.0.0.1:$promport
    interval: 1s
    failure_limit: 1
    metrics:
      - name: error-rate
        query: sum(rate(http_requests_total{version="{{.Release}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{version="{{.Release}}"}[1m]))
        max: 0.01
      - name: p99-latency
        query: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{version="{{.Release}}"}[1m])))
        baseline_query: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{version="{{.Release}}"}[1m])))
        max_ratio: 3
YML
}
config v1 v2 >deploy-v2.yaml
config v2 v3 >deploy-v3.yaml
cat >nginx/upstream.conf <<NGX
upstream app { server 127.0.0.1:${port[v1]}; }
map \$request_method \$app_upstream { default app; }
NGX
cat >nginx/location.conf <<'NGX'
location / { proxy_pass http://$app_upstream; }
NGX
"$nginx_bin" -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/logs/error.log" & pids+=($!)
wait_http "http://127.0.0.1:$ngxport/"

# Traffic through nginx for the whole demo.
(cd "$root" && go build -o "$out/bin/loadgen" ./internal/demoapp/cmd/loadgen)
"$out/bin/loadgen" -url "http://127.0.0.1:$ngxport/" -rate 200 -duration 60s >loadgen.json 2>&1 & pids+=($!)

# The migrations: release v1 created users and left a contract (dropping
# legacy_name, which only v0 read) for once a later release is deployed.
mkdir -p migrations
cat >migrations/001_users.up.sql <<'SQL'
-- lockstep:phase expand
CREATE TABLE users (id bigint PRIMARY KEY, name text, legacy_name text);
SQL
cat >migrations/002_drop_legacy_name.up.sql <<'SQL'
-- lockstep:phase contract
SET lock_timeout = '2s';
ALTER TABLE users DROP COLUMN legacy_name;
SQL
say "release v1: expand, then recorded deployed"
"$bin" migrate expand --release v1 | tail -n 3
"$bin" release deployed v1
cat >migrations/003_users_email.up.sql <<'SQL'
-- lockstep:phase expand
ALTER TABLE users ADD COLUMN email text;
SQL
say "release v2: expand"
"$bin" migrate expand --release v2 | tail -n 3

# Prometheus picks its targets up a few seconds after it starts.
for _ in $(seq 1 100); do
  n=$(curl -fsS "http://127.0.0.1:$promport/api/v1/query" --data-urlencode 'query=count(count_over_time(up[1m]) >= 2)' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')
  [ "$n" = 3 ] && break
  sleep 0.2
done

say "lockstep deploy --release v2: healthy canary"
"$bin" deploy --release v2 --config deploy-v2.yaml --skip-gate "demo: no gates configured" --report local --report-dir report-v2 | tee deploy-v2.txt

say "lockstep deploy --release v3: fails 40% of its requests"
set +e
"$bin" deploy --release v3 --config deploy-v3.yaml --skip-gate "demo: no gates configured" --report local --report-dir report-v3 2>&1 | tee deploy-v3.txt
code=${PIPESTATUS[0]}
set -e
echo "exit code: $code (1: rolled back)"
[ "$code" = 1 ] || { echo "expected exit 1 from the failing rollout" >&2; exit 1; }

say "the contract v1 left behind runs now that v2 is deployed"
"$bin" migrate contract --release v2 | tail -n 4
"$bin" migrate status | tee status.txt

kill "${pids[-1]}" 2>/dev/null || true
wait "${pids[-1]}" 2>/dev/null || true
say "load generator through nginx during both rollouts"
cat loadgen.json || true
