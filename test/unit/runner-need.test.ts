// A run measures where keelhaul runs (run/runner.ts, a helper container) only when a selected step
// comes from a step file that can reach a published port (support/port-vantage.ts): the list of those
// files is kept in step with the import graph here (a new path from a step file to port-vantage.ts,
// not listed, would judge ports from an unmeasured location), and ourStepFilesUsed is checked on the
// shape of cucumber's dry-run messages.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { STEP_FILES_REACHING_PUBLISHED_PORTS } from '../../support/port-vantage.js';
import { ourStepFilesUsed } from '../../run/cucumber-config.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TARGET = join(ROOT, 'support', 'port-vantage.ts');
/** Value imports (not `import type`), re-exports, side-effect and dynamic imports. */
const IMPORT = /(?:^|\n)\s*(?:import\s+(?!type\b)[^'";]*?from\s*|export\s+(?!type\b)[^'";]*?from\s*|import\s*)['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

function reaches(file: string, seen = new Set<string>()): boolean {
  if (file === TARGET) return true;
  if (seen.has(file)) return false;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const specifier = m[1] ?? m[2]!;
    if (!specifier.startsWith('.')) continue;
    const next = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
    if (existsSync(next) && reaches(next, seen)) return true;
  }
  return false;
}

describe('which step files need where keelhaul runs measured', () => {
  test('exactly the step files whose imports reach support/port-vantage.ts', () => {
    const reaching = readdirSync(join(ROOT, 'steps')).filter((f) => f.endsWith('.steps.ts'))
      .filter((f) => reaches(join(ROOT, 'steps', f))).map((f) => f.replace(/\.ts$/, '')).sort();
    assert.ok(reaching.includes('ports.steps'), 'the graph walk finds the ports family');
    assert.deepEqual([...STEP_FILES_REACHING_PUBLISHED_PORTS].sort(), reaching);
  });

  test('ourStepFilesUsed: keelhaul\'s step files whose definitions the test cases use, not a user\'s', () => {
    const cwd = '/somewhere/else';
    const envelopes = [
      { stepDefinition: { id: 'a', sourceReference: { uri: join(ROOT, 'steps', 'ports.steps.ts') } } },
      { stepDefinition: { id: 'b', sourceReference: { uri: join(ROOT, 'dist', 'steps', 'baseline.steps.js') } } },
      { stepDefinition: { id: 'c', sourceReference: { uri: 'steps/ports.steps.ts' } } }, // the user's, relative to cwd
      { stepDefinition: { id: 'd', sourceReference: { uri: join(ROOT, 'steps', 'hardening.steps.ts') } } },
      { hook: { id: 'h', sourceReference: { uri: join(ROOT, 'support', 'hooks.ts') } } },
      { testCase: { testSteps: [{ hookId: 'h' }, { stepDefinitionIds: ['b'] }, { stepDefinitionIds: ['c'] }] } },
      { testCase: { testSteps: [{ stepDefinitionIds: [] }, { stepDefinitionIds: ['a', 'd'] }] } },
    ];
    assert.deepEqual([...ourStepFilesUsed(envelopes, cwd)].sort(), ['baseline.steps', 'hardening.steps', 'ports.steps']);
    assert.deepEqual([...ourStepFilesUsed(envelopes.filter((e) => !e.testCase || e.testCase.testSteps.some((s) => s.stepDefinitionIds?.includes('c'))), cwd)], ['baseline.steps']);
  });
});
