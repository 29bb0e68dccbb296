#!/usr/bin/env bash
# make bench-backfill: lockstep's batched backfill against one UPDATE of the
# same 1,000,000 rows, each under the same concurrent read/write load, side
# by side, with the ratios and their targets. Without --database it starts
# a throwaway PostgreSQL from the machine's binaries (internal/pgtest); any
# argument goes to bench/backfill (--help lists them), e.g.
#   bench/backfill.sh --database postgres://postgres@127.0.0.1:5432/postgres -rate 2000
set -euo pipefail
cd "$(dirname "$0")/.."
cache=bench/.cache
mkdir -p "$cache"
"${GO:-go}" build -o "$cache/backfill" ./bench/backfill
exec "$cache/backfill" "$@"
