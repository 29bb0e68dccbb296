#!/usr/bin/env bash
# make demo: the whole story on the sample service in testdata/demo.
# Each stage is a script of its own; output lands in demo-out/.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-bin/lockstep}
bin=$(realpath "$bin")
export LOCKSTEP_BIN=$bin
out=demo-out
rm -rf "$out" && mkdir -p "$out"
for stage in lint report migrate gate deploy; do
  script=testdata/demo/$stage.sh
  [ -x "$script" ] || continue
  printf '\n\033[1m━━ %s ━━\033[0m\n' "$stage"
  "$script" "$bin" "$out"
done
printf '\nEverything the demo wrote is in %s/\n' "$out"
