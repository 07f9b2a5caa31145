// docs/steps.md is generated (`keelhaul steps --format md`): a step moved or reworded without
// regenerating it is caught here, in `npm test`, not only by CI's scripts/check-steps-doc.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers/keelhaul.js';

test('docs/steps.md is what `keelhaul steps --format md` generates now', () => {
  const generated = execFileSync(process.execPath, [BIN, 'steps', '--format', 'md'], { cwd: ROOT, encoding: 'utf8' });
  const committed = readFileSync(join(ROOT, 'docs', 'steps.md'), 'utf8');
  // Compared line by line, so the message names the first stale line rather than two whole files.
  const a = committed.split('\n');
  const b = generated.split('\n');
  const first = a.findIndex((line, i) => line !== b[i]);
  assert.ok(first < 0 && a.length === b.length,
    `docs/steps.md is stale from line ${first < 0 ? Math.min(a.length, b.length) + 1 : first + 1} (committed: ${JSON.stringify(a[first] ?? '')}, generated: ${JSON.stringify(b[first] ?? '')}); regenerate: node dist/cli/main.js steps --format md > docs/steps.md`);
});
