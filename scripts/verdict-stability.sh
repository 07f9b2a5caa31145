#!/usr/bin/env bash
# scripts/verdict-stability.sh: run a family (noisy neighbours by default) N times against one platform and print
# the verdict of every scenario in every run, with the key numbers, so that one can see the verdicts do
# not move with the machine's load. Exits 0 when every scenario got the same outcome in every run, 1 when
# one moved, 2 on usage errors.
#
#   scripts/verdict-stability.sh [-n RUNS] [-t TARGET] [-f PATHS] [-g TAGS] [-o DIR]
#     -n RUNS    how many runs (default 10)
#     -f PATHS   feature paths, space-separated (default features/noisy-neighbours)
#     -t TARGET  platform URL (default unix:///var/run/docker.sock)
#     -g TAGS    cucumber tag expression (default @noisy-neighbours)
#     -o DIR     where each run's reports go (default a new /tmp/keelhaul-stability.XXXXXX)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=10 target=unix:///var/run/docker.sock tags=@noisy-neighbours paths=features/noisy-neighbours out=""
while getopts 'n:t:f:g:o:h' opt; do
  case "$opt" in
    n) runs="$OPTARG" ;;
    t) target="$OPTARG" ;;
    f) paths="$OPTARG" ;;
    g) tags="$OPTARG" ;;
    o) out="$OPTARG" ;;
    *) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "verdict-stability: -n wants a positive number" >&2; exit 2; }
[ -n "$out" ] || out="$(mktemp -d /tmp/keelhaul-stability.XXXXXX)"
mkdir -p "$out"
# The table below reads the observation keys from the compiled judges/observation-keys.ts.
{ [ -f dist/cli/main.js ] && [ -f dist/judges/observation-keys.js ]; } || npx tsc -p tsconfig.json

for ((i = 1; i <= runs; i++)); do
  start=$(date +%s)
  code=0
  # shellcheck disable=SC2086 # PATHS is a space-separated list on purpose
  node dist/cli/main.js run $paths --tags "$tags" --target "$target" --reports "$out/run-$i" \
    >"$out/run-$i.log" 2>&1 || code=$?
  echo "verdict-stability: run $i/$runs exit $code in $(($(date +%s) - start)) s (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
done

node --input-type=module - "$out" "$runs" <<'EOF'
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
// Which observation holds each scenario's key number: declared once, in judges/observation-keys.ts.
const { stabilityNumber } = await import(pathToFileURL(join(process.cwd(), 'dist', 'judges', 'observation-keys.js')).href);
const [dir, n] = [process.argv[2], Number(process.argv[3])];
const short = { pass: 'pass', finding: 'FIND', 'not-applicable': 'n/a', inconclusive: 'INCONC', error: 'ERROR' };
const rows = new Map();
const durations = [];
const numbers = new Map();
for (let i = 1; i <= n; i++) {
  const path = `${dir}/run-${i}/summary.json`;
  if (!existsSync(path)) { durations.push('-'); continue; }
  const s = JSON.parse(readFileSync(path, 'utf8'));
  durations.push(`${Math.round(s.durationMs / 1000)}s`);
  for (const sc of s.scenarios) {
    if (!rows.has(sc.id)) rows.set(sc.id, Array(n).fill('-'));
    rows.get(sc.id)[i - 1] = short[sc.outcome] ?? sc.outcome;
    const pick = stabilityNumber(sc.observations);
    if (pick !== undefined) {
      if (!numbers.has(sc.id)) numbers.set(sc.id, []);
      numbers.get(sc.id).push(pick);
    }
  }
}
const label = { 'RES-01': 'max heartbeat gap s', 'RES-03': 'CPU rate (quota 0.25)', 'RES-04': 'victim share', 'RES-05': 'shares ratio', 'RES-06': 'pinned CPU rate', 'RES-07': 'forks started (limit 50)', 'RES-10': 'direct write B/s' };
const head = ['scenario', ...Array.from({ length: n }, (_, i) => `r${i + 1}`), 'stable', 'measured (min..max)'];
const lines = [head];
let unstable = 0;
for (const [id, cells] of [...rows].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
  const stable = new Set(cells).size === 1;
  if (!stable) unstable++;
  const v = numbers.get(id);
  const range = v && v.length ? `${label[id] ?? ''} ${Math.min(...v)}..${Math.max(...v)}` : '';
  lines.push([id, ...cells, stable ? 'yes' : 'NO', range.trim()]);
}
lines.push(['duration', ...durations, '', '']);
const widths = head.map((_, c) => Math.max(...lines.map((l) => String(l[c]).length)));
for (const l of lines) console.log(l.map((cell, c) => String(cell).padEnd(widths[c])).join('  ').trimEnd());
console.log(`\n${rows.size} scenarios x ${n} runs: ${unstable === 0 ? 'every verdict identical in every run' : `${unstable} scenario(s) changed verdict`} (reports in ${dir})`);
process.exit(unstable === 0 ? 0 : 1);
EOF
