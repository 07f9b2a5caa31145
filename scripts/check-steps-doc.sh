#!/usr/bin/env bash
# Fails (exit 1) when docs/steps.md is not what `keelhaul steps --format md` generates from the
# step definitions as they are now. CI runs it; to fix, regenerate:
#   npx tsc -p tsconfig.json && node dist/cli/main.js steps --format md > docs/steps.md
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ "${SKIP_BUILD:-}" = 1 ] || npx tsc -p tsconfig.json
fresh="$(mktemp)"
trap 'rm -f "$fresh"' EXIT
node dist/cli/main.js steps --format md >"$fresh"
if ! diff -u docs/steps.md "$fresh" >&2; then
  echo "check-steps-doc: docs/steps.md is stale; regenerate it with:" >&2
  echo "  node dist/cli/main.js steps --format md > docs/steps.md" >&2
  exit 1
fi
echo "check-steps-doc: docs/steps.md is current ($(grep -c '^### ' docs/steps.md) steps)"
