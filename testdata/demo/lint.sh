#!/usr/bin/env bash
# Demo stage "lint": lockstep lint on the sample service's migration history
# (testdata/demo/migrations, with its lockstep.yaml), in text for people
# (coloured on a terminal) and in every machine format at once.
#
# Usage: testdata/demo/lint.sh BIN OUT
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "$2")/lint
rm -rf "$out" && mkdir -p "$out"
top=$PWD
cd "$(dirname "$0")"

n=$(ls migrations/*.up.sql | wc -l)
echo "Shopfront's history: $n golang-migrate files in testdata/demo/migrations, configured by testdata/demo/lockstep.yaml"
echo "\$ lockstep lint migrations --write json=... --write sarif=... --write github=... --write gitlab=... --write rdjson=..."
echo
code=0
"$bin" lint migrations \
  --write "json=$out/lint.json" \
  --write "sarif=$out/lockstep.sarif" \
  --write "github=$out/github-annotations.txt" \
  --write "gitlab=$out/gl-code-quality-report.json" \
  --write "rdjson=$out/reviewdog.rdjson" || code=$?
echo
echo "exit code $code (1: findings at or above fail_on: error)"
if [ "$code" -gt 1 ]; then exit "$code"; fi

echo
echo "Wrote, from the same run:"
describe() {
  case "$1" in
    lint.json) echo "stable JSON (docs/output.md)" ;;
    lockstep.sarif) echo "SARIF 2.1.0 for GitHub code scanning (upload-sarif)" ;;
    github-annotations.txt) echo "workflow commands: annotations on the pull request's lines" ;;
    gl-code-quality-report.json) echo "GitLab Code Quality report (artifacts:reports:codequality)" ;;
    reviewdog.rdjson) echo "reviewdog diagnostics (reviewdog -f=rdjson)" ;;
  esac
}
for f in lint.json lockstep.sarif github-annotations.txt gl-code-quality-report.json reviewdog.rdjson; do
  printf '  %-48s %7s bytes  %s\n' "${out#"$top"/}/$f" "$(wc -c <"$out/$f")" "$(describe "$f")"
done
echo
echo "The first annotation GitHub would show:"
head -n 1 "$out/github-annotations.txt" | cut -c1-220
