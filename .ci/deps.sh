#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need, skipping what is
# already there: Debian's PostgreSQL, Prometheus and nginx, the Go modules,
# and squawk (the peer linter, for the comparison test and bench/).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have_pg() { command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; }
have_pg || need+=(postgresql)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
command -v git >/dev/null 2>&1 || need+=(git)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The packages start their services; the tests start their own on free ports.
  for s in nginx prometheus postgresql; do $sudo service "$s" stop >/dev/null 2>&1 || true; done
fi

go mod download

# squawk, the peer linter, from npm (its platform package ships the binary).
squawk_dir=bench/.cache/squawk
# --prefix pins the place: without it npm installs next to the nearest
# package.json above the directory, and the check below would never see it.
if [ ! -x "$squawk_dir/node_modules/@squawk-cli/linux-x64/bin/squawk" ] && command -v npm >/dev/null 2>&1; then
  mkdir -p "$squawk_dir"
  echo "installing squawk-cli into $squawk_dir"
  npm install --prefix "$squawk_dir" --silent --no-audit --no-fund squawk-cli@2.66.0 >/dev/null 2>&1 || echo "squawk not installed: the comparison test will be skipped" >&2
fi
