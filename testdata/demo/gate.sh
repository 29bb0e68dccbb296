#!/usr/bin/env bash
# Demo stage "gate": may this deploy start now? One gate open (Thursday
# morning, inside the window, error budget left) and one closed (Friday
# evening: the friday-evening freeze, outside the window), each with its
# reasons, and an emergency override refused and accepted. Production also
# asks finish_before_close of a 45-minute rollout; staging has no window. Deterministic: every
# decision is made --at a fixed time, against a Prometheus loaded with a
# fixed history.
#
# Usage: testdata/demo/gate.sh BIN OUT
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "$2")/gate
rm -rf "$out" && mkdir -p "$out"
cd "$out"

# History ends on Friday 2026-11-27 19:00 Berlin (18:00 UTC).
end=$(date -u -d 2026-11-27T18:00:00Z +%s)
budget=""
prom_pid=""
cleanup() { if [ -n "$prom_pid" ]; then kill "$prom_pid" 2>/dev/null || true; wait "$prom_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  # 28 days and a bit of a service answering 100 requests/s, 0.03 of them
  # with a 5xx: 30% of a 99.9% budget spent.
  awk -v end="$end" 'BEGIN {
    start = end - 28*86400 - 7200
    print "# TYPE http_requests_total counter"
    for (t = start + 30; t < end; t += 60) printf "http_requests_total{code=\"200\"} %.3f %d\n", 1e6 + 99.97*(t-start), t
    for (t = start + 30; t < end; t += 60) printf "http_requests_total{code=\"500\"} %.3f %d\n", 1e3 + 0.03*(t-start), t
    print "# EOF"
  }' >history.om
  promtool tsdb create-blocks-from openmetrics --max-block-duration=720h history.om data >/dev/null
  for port in 19390 19391 19392 19393 19394; do
    cat >prometheus.yml <<EOF
global: {scrape_interval: 1m}
EOF
    prometheus --config.file=prometheus.yml --storage.tsdb.path=data --storage.tsdb.retention.time=100y \
      --web.listen-address=127.0.0.1:$port >prometheus.log 2>&1 &
    prom_pid=$!
    for _ in $(seq 1 100); do
      if curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then break; fi
      kill -0 "$prom_pid" 2>/dev/null || break
      sleep 0.1
    done
    if curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then
      budget="  error_budget:
    prometheus: http://127.0.0.1:$port
    objective: 99.9
    window: 28d
    min_remaining: 10%
    bad: sum(rate(http_requests_total{code=~\"5..\"}[{{.Window}}]))
    total: sum(rate(http_requests_total[{{.Window}}]))"
      break
    fi
    cleanup
    prom_pid=""
  done
fi
if [ -z "$budget" ]; then
  echo "(prometheus not available: the demo runs without the error-budget gate)"
fi

cat >lockstep.yaml <<EOF
gates:
  timezone: Europe/Berlin
  windows:
    - days: [mon, tue, wed, thu]
      from: "09:00"
      to: "16:00"
    - days: [fri]
      from: "09:00"
      to: "12:00"
  freezes:
    - name: friday-evening
      cron: "0 16 * * fri"
      duration: 65h
    - name: year-end
      from: 2026-12-20
      to: 2027-01-04
  override:
    allowed: [alice]
    never: [migration_risk]
$budget
  environments:
    production:
      finish_before_close: true
      rollout_duration: 45m
    staging:
      windows: []
      freezes: []
EOF

run() {
  local title=$1
  shift
  printf '\n\033[1m$ lockstep gate %s\033[0m   # %s\n' "$*" "$title"
  set +e
  "$bin" gate --report none "$@"
  local code=$?
  set -e
  printf '(exit %d)\n' "$code"
}

run "Thursday morning: open" --env production --at 2026-11-26T10:30:00+01:00
run "Friday evening: closed" --env production --at 2026-11-27T18:30:00+01:00
"$bin" gate --report none --env production --at 2026-11-27T18:30:00+01:00 --format json >closed.json || true
run "staging has no window or freeze" --env staging --at 2026-11-27T18:30:00+01:00
GITHUB_ACTOR=mallory run "override by someone not allowed: refused" --env production --at 2026-11-27T18:30:00+01:00 \
  --override "hotfix" --override-gates window,freeze
GITHUB_ACTOR=alice run "override by alice, naming only window and freeze" --env production --at 2026-11-27T18:30:00+01:00 \
  --override "INC-4711: checkout is down" --override-gates window,freeze

printf '\nThe closed decision as JSON: %s\n' "$out/closed.json"
