// docs/coverage.md maps the reference tools' checks to keelhaul scenario IDs; it must not name an ID
// that features/ does not have, and every row must carry a verdict (and a reason when out of scope).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const ID = /\b(?:ISO|HARD|PORT|CONF|RES|EX|ATK)-[A-Z0-9]+(?:-[A-Z0-9]+)*\b/g;

function featureFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? featureFiles(join(dir, e.name)) : e.name.endsWith('.feature') ? [join(dir, e.name)] : []));
}

const shippedIds = new Set(featureFiles(join(ROOT, 'features')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/(?:^|\s)@((?:ISO|HARD|PORT|CONF|RES|EX|ATK)-[A-Z0-9-]+)/gm)].map((m) => m[1]!)));
const coverage = readFileSync(join(ROOT, 'docs', 'coverage.md'), 'utf8');

test('every scenario ID docs/coverage.md names exists in features/', () => {
  const named = [...new Set([...coverage.matchAll(ID)].map((m) => m[0]))];
  assert.ok(named.length > 40, `coverage.md names ${named.length} IDs`);
  const missing = named.filter((id) => !shippedIds.has(id));
  assert.deepEqual(missing, [], `coverage.md names IDs that no feature file has: ${missing.join(', ')}`);
});

test('every row of docs/coverage.md has a verdict; covered rows name an ID, out-of-scope rows a reason', () => {
  const rows = coverage.split('\n').filter((l) => l.startsWith('| ') && !/^\|\s*-/.test(l) && !/^\| (CIS|check|technique) \|/.test(l));
  assert.ok(rows.length > 200, `${rows.length} rows`);
  for (const row of rows) {
    const cells = row.split('|').slice(1, -1).map((c) => c.trim());
    if (cells[0]!.startsWith('**')) continue; // a section heading of the CIS benchmark
    const [ids, verdict, why] = cells.slice(-3);
    assert.ok(['covered', 'in part', 'out of scope'].includes(verdict!), `no verdict: ${row}`);
    if (verdict !== 'out of scope') assert.match(ids!, new RegExp(ID.source), `a ${verdict} row names no scenario: ${row}`);
    if (verdict !== 'covered') assert.ok((why ?? '').length > 5, `an ${verdict} row says why: ${row}`);
  }
});

test('every shipped isolation and hardening scenario is accounted for somewhere in docs/coverage.md', () => {
  const named = new Set([...coverage.matchAll(ID)].map((m) => m[0]));
  // A row's ID (HARD-03) accounts for its per-request IDs (HARD-03-DEV ...).
  const unaccounted = [...shippedIds].filter((id) => /^(ISO|HARD)-/.test(id) && !named.has(id) && !named.has(id.replace(/^((?:ISO|HARD)-\d+).*$/, '$1')));
  assert.deepEqual(unaccounted, [], `not in coverage.md: ${unaccounted.join(', ')}`);
});
