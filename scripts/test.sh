#!/usr/bin/env bash
# The project's test command (npm test). Builds, makes sure real engines and the fixture daemons are
# up (scripts/engines.sh, test/fixtures/daemons.sh: idempotent; what they start stays up for the next
# run, `scripts/engines.sh down` and `test/fixtures/daemons.sh down all` stop it), then runs the unit
# and acceptance tests with node's test runner, one file at a time (the engines are shared).
#   scripts/test.sh [unit|acceptance|all] [extra test files...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
which="${1:-all}"
[ $# -gt 0 ] && shift

npx tsc -p tsconfig.json
files=()
if [ $# -gt 0 ]; then
  files=("$@")
else
  case "$which" in
    unit) mapfile -t files < <(find test/unit -name '*.test.ts' | sort) ;;
    acceptance) mapfile -t files < <(find test/acceptance test/fixtures -name '*.test.ts' | sort) ;;
    all) mapfile -t files < <(find test/unit test/acceptance test/fixtures -name '*.test.ts' | sort) ;;
    *) echo "usage: scripts/test.sh [unit|acceptance|all] [files...]" >&2; exit 2 ;;
  esac
fi
if [ "$which" != unit ]; then
  bash scripts/test-tools.sh
  bash scripts/engines.sh up >&2
  bash test/fixtures/daemons.sh up all >&2
  # Seed the probe image on the fixture daemons (keelhaul seeds the main engines itself).
  eval "$(bash test/fixtures/daemons.sh env)"
  for host in "$KEELHAUL_WEAK_HOST" "$KEELHAUL_HARDENED_HOST"; do
    bash test/fixtures/seed-busybox.sh "$host" >/dev/null 2>&1 || true
  done
fi
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
