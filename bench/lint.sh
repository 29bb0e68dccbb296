#!/usr/bin/env bash
# make bench: lockstep lint against squawk on the same generated corpus of
# golang-migrate files, side by side, and the ratio of their wall times.
# Usage: bench/lint.sh BIN [N_FILES] (2,000 by default; another count gets a
# corpus of its own, bench/corpus-N).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-bin/lockstep}")
n=${2:-2000}
runs=${RUNS:-10}
corpus=bench/corpus
[ "$n" = 2000 ] || corpus=bench/corpus-$n
cache=bench/.cache

# The corpus: made once, deterministic.
have=$(find "$corpus" -maxdepth 1 -name '*.up.sql' 2>/dev/null | wc -l || true)
if [ "$have" -ne "$n" ]; then
  go run ./bench/gen -n "$n" -out "$corpus"
fi

# squawk from npm: its platform package ships the binary.
squawk=""
for c in "$cache/node_modules/@squawk-cli/linux-x64/bin/squawk" \
         "$cache/squawk/node_modules/@squawk-cli/linux-x64/bin/squawk" \
         /tmp/squawk/node_modules/@squawk-cli/linux-x64/bin/squawk; do
  if [ -x "$c" ]; then squawk=$c; break; fi
done
if [ -z "$squawk" ]; then
  command -v npm >/dev/null || { echo "bench: npm is needed to install squawk (apt-get install npm)" >&2; exit 1; }
  echo "installing squawk-cli@2.66.0 into $cache/squawk"
  mkdir -p "$cache/squawk"
  npm install --prefix "$cache/squawk" --silent --no-audit --no-fund squawk-cli@2.66.0 >/dev/null
  squawk="$cache/squawk/node_modules/@squawk-cli/linux-x64/bin/squawk"
fi

timeit="$cache/timeit"
mkdir -p "$cache"
go build -o "$timeit" ./bench/timeit
floor="$cache/parsefloor"
go build -o "$floor" ./bench/parsefloor

files=("$corpus"/*.up.sql)
kib=$(cat "${files[@]}" | wc -c | awk '{printf "%d", $1/1024}')
echo "corpus: ${#files[@]} golang-migrate files, ${kib} KiB ($corpus); $(nproc) cores; $runs runs each after 2 warm-ups"
echo "  lockstep: $("$bin" version)    squawk: $("$squawk" --version 2>/dev/null || echo squawk)"
echo

# Both read every file and write a JSON report, discarded. --report none:
# squawk posts nothing either (and outside CI lockstep would post nowhere).
# The floor: a process that only reads the same files and parses them with
# pg_query_go's Parse (bench/parsefloor); no linter on that Parse runs faster.
# The three run in turn, run after run, so that the machine's drift slows
# all of them alike; the ratios are taken run by run.
out=$("$timeit" -runs "$runs" \
  -cmd "lockstep=$bin lint $corpus --format json --fail-on never --output /dev/null --report none" \
  -cmd "squawk=$squawk --reporter json $corpus/*.up.sql" \
  -cmd "floor=$floor $corpus")

read -r _ lmed _ _ lrss <<<"$(grep '^lockstep ' <<<"$out")"
read -r _ smed _ _ srss <<<"$(grep '^squawk ' <<<"$out")"
read -r _ fmed _ _ frss <<<"$(grep '^floor ' <<<"$out")"
read -r _ _ ratio rmin rmax <<<"$(grep '^ratio lockstep/' <<<"$out")"
read -r _ _ fratio _ _ <<<"$(grep '^ratio floor/' <<<"$out")"
echo
printf '%-10s %12s %14s\n' "" "median ms" "peak RSS MiB"
printf '%-10s %12s %14s\n' lockstep "$lmed" "$(awk -v k="$lrss" 'BEGIN{printf "%.1f", k/1024}')"
printf '%-10s %12s %14s\n' squawk "$smed" "$(awk -v k="$srss" 'BEGIN{printf "%.1f", k/1024}')"
printf '%-10s %12s %14s   (pg_query_go Parse alone, no linting)\n' floor "$fmed" "$(awk -v k="$frss" 'BEGIN{printf "%.1f", k/1024}')"
echo
echo "ratio lockstep/squawk (wall time, median of $runs paired runs): $ratio  (range $rmin-$rmax; target <= 0.70)"
echo "ratio parse floor/squawk:                                  $fratio  (what lint adds: $(awk -v a="$lmed" -v b="$fmed" 'BEGIN{printf "%.0f", a-b}') ms)"
