// The observation keys that other code reads back by name are declared once (judges/observation-keys.ts).
// Checked here: each has a writer (a step that observes it, by the constant or, until the writers are
// switched, by the same string), and no reader spells one as a literal of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OBSERVATION, STABILITY_NUMBERS, stabilityNumber } from '../../judges/observation-keys.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const tsFiles = (dir: string) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`);
const READERS = ['run/summary.ts', 'run/matrix.ts', 'run/report-html.ts', 'scripts/verdict-stability.sh'];

test('every declared key is written by a step (by the constant or the same string)', () => {
  const writers = [...tsFiles('steps'), ...tsFiles('support')].map((path) => ({ path, text: read(path) }));
  for (const [name, key] of Object.entries(OBSERVATION)) {
    const pattern = new RegExp(`observe\\(\\s*(OBSERVATION\\.${name}\\b|['"\`]${key}['"\`])`);
    const found = writers.filter((w) => pattern.test(w.text)).map((w) => w.path);
    assert.ok(found.length > 0, `no step or support file observes "${key}" (judges/observation-keys.ts declares it for its readers: ${READERS.join(', ')})`);
  }
});

test('the readers name the keys through OBSERVATION, not as literals of their own', () => {
  const keys = Object.values(OBSERVATION).join('|');
  for (const path of READERS) {
    const text = read(path);
    const literal = new RegExp(`(observations\\??\\.|\\bo\\??\\.|\\)\\??\\.|\\[['"\`])(${keys})\\b`, 'g');
    assert.deepEqual([...text.matchAll(literal)].map((m) => m[0]), [], `${path} reads an observation key by a literal; import OBSERVATION from judges/observation-keys`);
  }
  assert.match(read('scripts/verdict-stability.sh'), /observation-keys\.js/, 'the stability script takes its keys from the compiled module');
});

test('the stability number is the first of the list present, as `a ?? b ?? ...`', () => {
  assert.equal(stabilityNumber({ [OBSERVATION.fairShare]: { median: 0.5 }, [OBSERVATION.cpuQuota]: { medianRate: 0.25 } }), 0.25);
  assert.equal(stabilityNumber({ [OBSERVATION.cpuQuota]: { medianRate: null }, [OBSERVATION.heartbeat]: { maxGapS: 2 } }), 2);
  assert.equal(stabilityNumber({ [OBSERVATION.pinnedCpuRate]: { rate: null } }), null);
  assert.equal(stabilityNumber({}), undefined);
  assert.equal(stabilityNumber(undefined), undefined);
  assert.equal(STABILITY_NUMBERS.length, 7);
});
