#!/usr/bin/env bash
# bench/rollback.sh: how fast does lockstep deploy put traffic back on stable
# when a canary fails? Real nginx, Prometheus (scraping every 500ms) and demo
# service instances on loopback, 150 requests/s through nginx. For each run,
# the time from the candidate's first failed response (as the load generator
# saw it) to traffic back on stable (the rollback's reload verified in
# effect), against the configured bound (failure_limit + 1) × interval,
# printed as a ratio: ≤ 1 is within the bound.
#
# Usage: bench/rollback.sh [runs] [failure_limit] [interval_ms]
set -euo pipefail
cd "$(dirname "$0")/.."
export LOCKSTEP_BENCH=1
export LOCKSTEP_BENCH_RUNS=${1:-5}
export LOCKSTEP_BENCH_FAILURE_LIMIT=${2:-1}
export LOCKSTEP_BENCH_INTERVAL_MS=${3:-1000}
go test -count=1 -timeout 10m -run '^TestRollbackBench$' -v ./deployer/nginx/ | sed -n 's/^BENCH //p'
