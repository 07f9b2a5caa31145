#!/usr/bin/env bash
# scripts/outcomes.sh: the outcome of every scenario of the default suite, one "ID<TAB>outcome" line each,
# for comparing two builds of keelhaul ("behaviour unchanged" of a redesign; issue 15 was compared so).
#
#   scripts/outcomes.sh [-k KEELHAUL_DIR] [-p PLANTS] -t TARGET -o FILE.tsv
#     -k DIR     the checkout whose dist/ runs (default: this one); build it first (npx tsc -p tsconfig.json)
#     -t TARGET  platform URL
#     -p PLANTS  weak-fixture plants for this run (test/fixtures/daemons.sh plant weak PLANTS), set back to
#                none after; the weak fixture is shared, so the run holds /tmp/weak-fixture.lock throughout
#     -o FILE    where the lines go; the run's reports go to FILE.reports/
#
# Compare two builds on one target:
#   scripts/outcomes.sh -k /tmp/before -t unix:///var/run/docker.sock -o /tmp/before-docker.tsv
#   scripts/outcomes.sh -t unix:///var/run/docker.sock -o /tmp/after-docker.tsv
#   join -a1 -a2 -e MISSING -o 0,1.2,2.2 -t $'\t' /tmp/before-docker.tsv /tmp/after-docker.tsv | awk -F'\t' '$2 != $3'
# Timing-sensitive scenarios (noisy neighbours) and time-bounded searches can move with the machine's load:
# rerun a scenario that moved (and scripts/verdict-stability.sh) before calling it a change of behaviour.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$here" target="" plants="" out=""
while getopts 'k:t:p:o:h' opt; do
  case "$opt" in
    k) dir="$(cd "$OPTARG" && pwd)" ;;
    t) target="$OPTARG" ;;
    p) plants="$OPTARG" ;;
    o) out="$OPTARG" ;;
    *) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ -n "$target" ] && [ -n "$out" ] || { echo "outcomes: -t TARGET and -o FILE are needed (-h for help)" >&2; exit 2; }
[ -f "$dir/dist/cli/main.js" ] || { echo "outcomes: $dir/dist/cli/main.js is missing: build it (npx tsc -p tsconfig.json)" >&2; exit 2; }
reports="$out.reports"
rm -rf "$reports"

run() {
  local code=0
  (cd "$dir" && timeout 1800 node dist/cli/main.js run --target "$target" --reports "$reports" >"$out.log" 2>&1) || code=$?
  echo "exit $code" >>"$out.log"
}
if [ -n "$plants" ]; then
  exec 9>/tmp/weak-fixture.lock
  flock -w 1800 9 || { echo "outcomes: the weak fixture stayed locked for 30 min" >&2; exit 1; }
  bash "$here/test/fixtures/daemons.sh" plant weak "$plants" >/dev/null
  trap 'bash "$here/test/fixtures/daemons.sh" plant weak none >/dev/null 2>&1 || true' EXIT
  run
else
  run
fi
[ -f "$reports/summary.json" ] || { echo "outcomes: the run wrote no summary.json ($(tail -1 "$out.log")); see $out.log" >&2; exit 1; }
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const rows = s.scenarios.map((x) => `${x.id}\t${x.outcome}`).sort();
require("fs").writeFileSync(process.argv[2], rows.join("\n") + "\n");' "$reports/summary.json" "$out"
echo "outcomes: $(wc -l <"$out") scenarios, $(tail -1 "$out.log") -> $out" >&2
